"""Period marks, excused absences and diary remarks written from the journal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.journal import excuse_absence, set_cell, set_period_mark, write_remark
from ejournal.domain.models import Attendance, AuditLog, DiaryRemark, Lesson, PeriodMark
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _cell(session: Session, tiny: TinySchool, lesson: Lesson, text: str, index: int = 0) -> Any:
    return set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[index].id or 0,
        text=text,
        expected_version=None,
        now=NOW,
        reason="ввод за прошлые уроки",
    )


def _period_mark(session: Session, tiny: TinySchool, value: int | None, **kw: Any) -> Any:
    return set_period_mark(
        session,
        actor=tiny.actors[kw.pop("who", "russian")],
        student_id=kw.pop("student_id", tiny.students[0].id or 0),
        assignment_id=kw.pop("assignment_id", tiny.russian_5a.id or 0),
        period_id=kw.pop("period_id", tiny.q1.id or 0),
        value=value,
        expected_version=kw.pop("expected_version", 0),
        now=NOW,
        **kw,
    )


def _fours(session: Session, tiny: TinySchool) -> None:
    """Three 4s in October for the first student: the suggested quarter mark is 4."""
    for day in (13, 14, 15):
        _cell(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, day), 1), "4")


def _stored_period_marks(session: Session) -> list[tuple[int | None, bool]]:
    return [
        (p.value, p.not_attested)
        for p in session.exec(select(PeriodMark).order_by(col(PeriodMark.id))).all()
    ]


# --------------------------------------------------------------------------- period marks


def test_suggested_mark_needs_no_justification(session: Session, tiny: TinySchool) -> None:
    """A quarter mark equal to the suggested one is saved as it is."""
    _fours(session, tiny)
    result = _period_mark(session, tiny, 4)
    assert (result.value, result.suggested) == (4, 4)
    assert result.version > 0


def test_departing_mark_needs_a_justification(session: Session, tiny: TinySchool) -> None:
    """A 5 against a suggested 4 is refused without a one-line justification."""
    _fours(session, tiny)
    with pytest.raises(ValidationError, match="обоснование"):
        _period_mark(session, tiny, 5)
    assert _stored_period_marks(session) == []
    result = _period_mark(session, tiny, 5, justification="олимпиада по русскому языку")
    assert result.value == 5


def test_justification_is_one_line(session: Session, tiny: TinySchool) -> None:
    """A justification spanning lines is refused."""
    _fours(session, tiny)
    with pytest.raises(ValidationError, match="одна строка"):
        _period_mark(session, tiny, 5, justification="первое\nвторое")


@pytest.mark.parametrize("value", [0, 1, 6])
def test_period_mark_is_two_to_five(session: Session, tiny: TinySchool, value: int) -> None:
    """Only 2, 3, 4 or 5 can be a period mark."""
    with pytest.raises(ValidationError, match="2, 3, 4 или 5"):
        _period_mark(session, tiny, value, justification="проверка")


def test_not_attested_refused_when_the_student_has_marks(
    session: Session, tiny: TinySchool
) -> None:
    """A student with marks must be attested: "not attested" is refused."""
    _fours(session, tiny)
    with pytest.raises(ValidationError, match="75%"):
        _period_mark(session, tiny, None, not_attested=True)


def test_not_attested_allowed_after_missing_most_lessons(
    session: Session, tiny: TinySchool
) -> None:
    """A student absent without reason from every lesson and without marks may be unattested."""
    for day in (13, 14, 15, 16):
        _cell(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, day), 1), "н")
    result = _period_mark(session, tiny, None, not_attested=True)
    assert (result.value, result.not_attested) == (None, True)
    assert _stored_period_marks(session) == [(None, True)]


def test_no_period_marks_in_grade_one(session: Session, tiny: TinySchool) -> None:
    """Grade 1 gets no period marks."""
    with pytest.raises(ValidationError, match="1 классе"):
        _period_mark(
            session,
            tiny,
            5,
            who="primary",
            student_id=tiny.first_grader.id,
            assignment_id=tiny.russian_1a.id,
            justification="-",
        )


def test_second_period_mark_writer_gets_a_conflict(session: Session, tiny: TinySchool) -> None:
    """Two teachers' screens saw no quarter mark; the second save is refused with the first's."""
    _fours(session, tiny)
    _period_mark(session, tiny, 4, expected_version=0)
    with pytest.raises(ConflictError) as caught:
        _period_mark(session, tiny, 3, expected_version=0, justification="ошибка")
    assert caught.value.current.value == 4


def test_period_mark_change_is_audited(session: Session, tiny: TinySchool) -> None:
    """Setting a quarter mark leaves an audit row with the justification as its reason."""
    _fours(session, tiny)
    _period_mark(session, tiny, 5, justification="олимпиада")
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None and (row.entity, row.reason) == ("period_mark", "олимпиада")


@pytest.mark.parametrize("who", ["maths", "class_teacher", "deputy", "parent", "student"])
def test_only_the_teacher_sets_period_marks(session: Session, tiny: TinySchool, who: str) -> None:
    """Anyone but the assignment's teacher is refused and nothing is stored."""
    _fours(session, tiny)
    with pytest.raises(PermissionDenied):
        _period_mark(session, tiny, 4, who=who)
    assert _stored_period_marks(session) == []


def test_year_mark_follows_the_quarter_marks(session: Session, tiny: TinySchool) -> None:
    """With quarter marks 4, 4, 5, 4 the suggested year mark is 4."""
    for quarter, value in zip(tiny.quarters, [4, 4, 5, 4], strict=True):
        session.add(
            PeriodMark(
                student_id=tiny.students[0].id or 0,
                subject_id=tiny.russian.id or 0,
                period_id=quarter.id or 0,
                value=value,
                author_id=tiny.actors["russian"].user_id,
            )
        )
    session.commit()
    result = _period_mark(session, tiny, 4, period_id=tiny.year_period.id)
    assert (result.value, result.suggested) == (4, 4)


# --------------------------------------------------------------------------- excused absences


def _absence(session: Session, tiny: TinySchool) -> tuple[Lesson, int]:
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)
    return lesson, _cell(session, tiny, lesson, "н").cell.version


def test_class_teacher_excuses_an_absence(session: Session, tiny: TinySchool) -> None:
    """The class teacher marks an absence excused with its reason, audited."""
    lesson, version = _absence(session, tiny)
    cell = excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=tiny.students[0].id,
        lesson_id=lesson.id,
        reason="болезнь, справка",
        expected_version=version,
    )
    assert cell.excused and cell.version > version
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None and (row.action, row.reason) == (
        "journal.attendance.excuse",
        "болезнь, справка",
    )


def test_excuse_needs_a_reason(session: Session, tiny: TinySchool) -> None:
    """An excuse without a reason is refused."""
    lesson, version = _absence(session, tiny)
    with pytest.raises(ValidationError, match="причину"):
        excuse_absence(
            session,
            actor=tiny.actors["class_teacher"],
            student_id=tiny.students[0].id,
            lesson_id=lesson.id,
            reason="  ",
            expected_version=version,
        )


@pytest.mark.parametrize("who", ["russian", "primary", "parent"])
def test_only_the_class_teacher_excuses(session: Session, tiny: TinySchool, who: str) -> None:
    """The subject teacher, another class's teacher and parents cannot excuse an absence."""
    lesson, version = _absence(session, tiny)
    with pytest.raises(PermissionDenied):
        excuse_absence(
            session,
            actor=tiny.actors[who],
            student_id=tiny.students[0].id,
            lesson_id=lesson.id,
            reason="болезнь",
            expected_version=version,
        )
    stored = session.exec(select(Attendance)).one()
    assert stored.status == "absent"


def test_excuse_on_a_stale_version_is_a_conflict(session: Session, tiny: TinySchool) -> None:
    """If the teacher changed the cell meanwhile, the excuse is refused showing the cell."""
    lesson, version = _absence(session, tiny)
    excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        attendance_id=session.exec(select(Attendance.id)).one(),
        reason="болезнь",
        expected_version=version,
    )
    with pytest.raises(ConflictError):
        excuse_absence(
            session,
            actor=tiny.actors["class_teacher"],
            student_id=tiny.students[0].id,
            lesson_id=lesson.id,
            reason="соревнования",
            expected_version=version,
        )


def test_class_teacher_cannot_write_a_mark(session: Session, tiny: TinySchool) -> None:
    """Excusing is all a class teacher writes in a colleague's column: a mark is refused."""
    lesson, _ = _absence(session, tiny)
    with pytest.raises(PermissionDenied):
        set_cell(
            session,
            actor=tiny.actors["class_teacher"],
            lesson_id=lesson.id or 0,
            student_id=tiny.students[1].id or 0,
            text="5",
            expected_version=None,
            now=NOW,
        )


# --------------------------------------------------------------------------- remarks


def test_teacher_writes_a_praise_into_the_diary(session: Session, tiny: TinySchool) -> None:
    """A teacher's praise linked to a lesson is stored for the diary with the subject."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)
    result = write_remark(
        session,
        actor=tiny.actors["russian"],
        student_id=tiny.students[0].id or 0,
        kind="praise",
        text="Отличный ответ у доски",
        lesson_id=lesson.id,
    )
    stored = session.get(DiaryRemark, result.id)
    assert stored is not None
    assert (stored.kind, stored.subject_id, stored.text) == (
        "praise",
        tiny.russian.id,
        "Отличный ответ у доски",
    )


def test_class_teacher_writes_a_remark(session: Session, tiny: TinySchool) -> None:
    """The class teacher may write a remark to a student of the class."""
    result = write_remark(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=tiny.students[2].id or 0,
        kind="remark",
        text="Опоздание на первый урок",
    )
    assert result.kind == "remark"


def test_unknown_remark_kind_is_refused(session: Session, tiny: TinySchool) -> None:
    """Only a remark or a praise can be written."""
    with pytest.raises(ValidationError, match="замечание или похвала"):
        write_remark(
            session,
            actor=tiny.actors["russian"],
            student_id=tiny.students[0].id or 0,
            kind="warning",
            text="…",
        )


@pytest.mark.parametrize("who", ["primary", "parent", "deputy"])
def test_outsiders_cannot_write_remarks(session: Session, tiny: TinySchool, who: str) -> None:
    """A teacher who does not teach the student, a parent and the deputy are refused."""
    with pytest.raises(PermissionDenied):
        write_remark(
            session,
            actor=tiny.actors[who],
            student_id=tiny.students[0].id or 0,
            kind="remark",
            text="Замечание",
        )
    assert session.exec(select(DiaryRemark)).all() == []
