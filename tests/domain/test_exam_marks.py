"""Exam and final marks of grade 9 after the state exams [004 §4.4.6], [004 §5.12]: a 9 «Б»
is added to the tiny school, Russian taught by Смирнова («russian»), maths by Кузнецов
(«maths»); its last quarter ends on 31 May 2027, so entry opens on 1 June."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AuditLog,
    ClassGroup,
    Period,
    PeriodMark,
    Role,
    Student,
    TeachingAssignment,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.records.outcomes import (
    NOT_TAKEN,
    exam_sheet,
    outcome_classes,
    set_exam_marks,
    set_year_outcome,
)
from tests.factories import (
    MSK,
    TinySchool,
    add_period_mark,
    add_staff,
    add_student,
    make_school,
    staff_actor,
)

pytestmark = pytest.mark.db

JUNE = dt.datetime(2027, 6, 20, 12, 0, tzinfo=MSK)
MAY = dt.datetime(2027, 5, 31, 12, 0, tzinfo=MSK)


@dataclass
class Nine:
    tiny: TinySchool
    group: ClassGroup
    students: list[Student]
    class_teacher: Actor


@pytest.fixture()
def nine(session: Session) -> Nine:
    tiny = make_school(session)
    teacher, user = add_staff(session, tiny.school, "sokolova", "Соколова", "Софья")
    group = ClassGroup(
        school_id=tiny.school.id or 0,
        year_id=tiny.year.id or 0,
        grade=9,
        letter="Б",
        class_teacher_id=teacher.id,
    )
    session.add(group)
    session.flush()
    for staff, subject in (
        (tiny.staff["russian"], tiny.russian),
        (tiny.staff["maths"], tiny.maths),
    ):
        session.add(
            TeachingAssignment(
                year_id=tiny.year.id or 0,
                teacher_id=staff.id or 0,
                class_id=group.id or 0,
                subject_id=subject.id or 0,
                hours_per_week=Decimal("3"),
            )
        )
    session.commit()
    students = [
        add_student(session, group, "Яковлев", "Ян"),
        add_student(session, group, "Зайцева", "Зоя"),
    ]
    author = tiny.actors["russian"]
    for s, (ru, ma) in zip(students, [(4, 3), (3, 5)], strict=True):
        add_period_mark(session, s, tiny.russian, tiny.year_period, ru, author=author)
        add_period_mark(session, s, tiny.maths, tiny.year_period, ma, author=author)
    actor = staff_actor(
        tiny.school, user, teacher, Role.TEACHER, Role.CLASS_TEACHER, class_ids=(group.id or 0,)
    )
    return Nine(tiny, group, students, actor)


def enter(
    session: Session,
    nine: Nine,
    actor: Actor,
    i: int,
    exam: str,
    final: str = "",
    *,
    subject: str = "russian",
    versions: tuple[int, int] = (0, 0),
    now: dt.datetime = JUNE,
) -> object:
    subj = nine.tiny.russian if subject == "russian" else nine.tiny.maths
    return set_exam_marks(
        session,
        actor=actor,
        class_id=nine.group.id or 0,
        subject_id=subj.id or 0,
        student_id=nine.students[i].id or 0,
        exam=exam,
        final=final,
        exam_version=versions[0],
        final_version=versions[1],
        now=now,
    )


def exam_marks(session: Session) -> list[tuple[str, int | None, bool]]:
    rows = session.exec(
        select(Period.kind, PeriodMark.value, PeriodMark.not_attested)
        .join(Period, col(Period.id) == PeriodMark.period_id)
        .where(col(Period.kind).in_(["exam", "final"]))
        .order_by(col(PeriodMark.id))
    ).all()
    return [(k, v, n) for k, v, n in rows]


def test_subject_teacher_enters_exam_and_final(session: Session, nine: Nine) -> None:
    """The Russian teacher enters exam 5 and final 5 for a year-4 student: stored, audited."""
    row = enter(session, nine, nine.tiny.actors["russian"], 1, "5", "5")
    assert exam_marks(session) == [("exam", 5, False), ("final", 5, False)]
    # Yakovlev (index 0) sorts after Zaitseva, so the sheet shows her second.
    sheet = exam_sheet(
        session, actor=nine.tiny.actors["russian"], class_id=nine.group.id or 0, now=JUNE
    )
    assert sheet.subject_name == "Русский язык" and sheet.is_open
    by_name = {r.full_name: r for r in sheet.rows}
    zoya = by_name["Зайцева Зоя"]
    assert (zoya.year_mark, zoya.exam, zoya.final, zoya.suggested_final) == ("3", "5", "5", 4)
    assert row == zoya
    n = session.exec(
        select(func.count())
        .select_from(AuditLog)
        .where(col(AuditLog.action) == "journal.period_mark.set")
    ).one()
    assert n == 2


def test_exam_periods_are_made_on_first_use(session: Session, nine: Nine) -> None:
    """A year without exam periods gets «Экзамен» and «Итоговая» for grades 9–11."""
    enter(session, nine, nine.class_teacher, 0, "4")
    made = session.exec(select(Period).where(col(Period.kind).in_(["exam", "final"]))).all()
    assert sorted((p.kind, p.grade_from, p.grade_to) for p in made) == [
        ("exam", 9, 11),
        ("final", 9, 11),
    ]


def test_suggested_final_is_mean_of_year_and_exam(session: Session, nine: Nine) -> None:
    """Year 4 + exam 5 suggests 5; «не сдавал» suggests nothing; no exam keeps the year mark."""
    teacher = nine.tiny.actors["russian"]
    enter(session, nine, teacher, 0, "5")
    sheet = exam_sheet(session, actor=teacher, class_id=nine.group.id or 0, now=JUNE)
    by = {r.full_name: r for r in sheet.rows}
    assert by["Яковлев Ян"].suggested_final == 5
    assert by["Зайцева Зоя"].suggested_final == 3  # no exam yet: the year mark
    enter(session, nine, teacher, 1, "не сдавал")
    sheet = exam_sheet(session, actor=teacher, class_id=nine.group.id or 0, now=JUNE)
    zoya = next(r for r in sheet.rows if r.full_name == "Зайцева Зоя")
    assert (zoya.exam, zoya.suggested_final) == (NOT_TAKEN, None)


def test_bad_values_and_grades_are_refused(session: Session, nine: Nine) -> None:
    """A «1», a final «н/а», before the year ends, or in grade 5: refused, nothing stored."""
    teacher = nine.tiny.actors["russian"]
    with pytest.raises(ValidationError, match="не сдавал"):
        enter(session, nine, teacher, 0, "1")
    with pytest.raises(ValidationError, match="Итоговая отметка"):
        enter(session, nine, teacher, 0, "4", "н/а")
    with pytest.raises(ValidationError, match=r"01\.06\.2027"):
        enter(session, nine, teacher, 0, "4", now=MAY)
    with pytest.raises(ValidationError, match="только в 9 и 11"):
        set_exam_marks(
            session,
            actor=nine.tiny.actors["russian"],
            class_id=nine.tiny.class5.id or 0,
            subject_id=nine.tiny.russian.id or 0,
            student_id=nine.tiny.students[0].id or 0,
            exam="4",
            final="4",
            exam_version=0,
            final_version=0,
            now=JUNE,
        )
    assert exam_marks(session) == []


def test_stale_version_is_a_conflict(session: Session, nine: Nine) -> None:
    """The class teacher saving over the subject teacher's exam mark with an old page is told."""
    enter(session, nine, nine.tiny.actors["russian"], 0, "4")
    with pytest.raises(ConflictError, match="другой пользователь"):
        enter(session, nine, nine.class_teacher, 0, "3")
    assert exam_marks(session) == [("exam", 4, False)]


@pytest.mark.parametrize("who", ["maths", "primary", "parent", "class_teacher"])
def test_forged_exam_marks_are_refused(session: Session, nine: Nine, who: str) -> None:
    """Maths teacher on Russian, a class teacher of another class, a parent: nothing stored."""
    with pytest.raises(PermissionDenied):
        enter(session, nine, nine.tiny.actors[who], 0, "5", "5")
    assert exam_marks(session) == []


def test_graduated_needs_final_marks(session: Session, nine: Nine) -> None:
    """«Окончил(а) обучение» is refused until every subject has a final mark ≥ 3."""
    ct, cid, sid = nine.class_teacher, nine.group.id or 0, nine.students[0].id or 0
    with pytest.raises(ValidationError, match="итоговая отметка"):
        set_year_outcome(
            session,
            actor=ct,
            class_id=cid,
            student_id=sid,
            decision="graduated",
            expected_version=0,
            now=JUNE,
        )
    enter(session, nine, ct, 0, "4", "4")
    enter(session, nine, ct, 0, "", "3", subject="maths")
    row = set_year_outcome(
        session,
        actor=ct,
        class_id=cid,
        student_id=sid,
        decision="graduated",
        expected_version=0,
        now=JUNE,
    )
    assert row.decision == "graduated"


def test_teacher_sees_grade_nine_class_for_exams(session: Session, nine: Nine) -> None:
    """A subject teacher of 9 «Б» gets it in the list (exam marks only, no decisions)."""
    classes = outcome_classes(session, actor=nine.tiny.actors["russian"])
    assert [(c.name, c.may_decide, c.may_exam) for c in classes] == [("9 «Б»", False, True)]


def test_journal_period_mark_points_to_the_exam_section(session: Session, nine: Nine) -> None:
    """The journal's period-mark service, given the exam period, says where exams are entered."""
    from ejournal.domain.journal.write import set_period_mark

    enter(session, nine, nine.tiny.actors["russian"], 0, "4")
    exam = session.exec(select(Period).where(Period.kind == "exam")).one()
    assignment = session.exec(
        select(TeachingAssignment).where(
            TeachingAssignment.class_id == nine.group.id,
            TeachingAssignment.subject_id == nine.tiny.russian.id,
        )
    ).one()
    with pytest.raises(ValidationError, match="Экзаменационные и итоговые отметки"):
        set_period_mark(
            session,
            actor=nine.tiny.actors["russian"],
            student_id=nine.students[1].id or 0,
            assignment_id=assignment.id or 0,
            period_id=exam.id or 0,
            value=5,
            expected_version=0,
            now=JUNE,
        )
