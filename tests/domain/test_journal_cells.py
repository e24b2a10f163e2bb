"""Writing cells: the rules of a cell, conflicts, pasted blocks, audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.journal import CellResult, paste_block, set_cell
from ejournal.domain.models import Attendance, AuditLog, Lesson, Mark, Student
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

RECENT = D(2026, 10, 19)  # the day before NOW: inside the edit-lock window


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


@pytest.fixture()
def lesson(session: Session, tiny: TinySchool) -> Lesson:
    return add_lesson(session, tiny.russian_5a, RECENT, 2)


def _write(
    session: Session,
    tiny: TinySchool,
    lesson: Lesson,
    text: str,
    *,
    who: str = "russian",
    student: Student | None = None,
    version: int | None = None,
    reason: str = "",
) -> CellResult:
    return set_cell(
        session,
        actor=tiny.actors[who],
        lesson_id=lesson.id or 0,
        student_id=(student or tiny.students[0]).id or 0,
        text=text,
        expected_version=version,
        reason=reason,
        now=NOW,
    )


def _stored(session: Session) -> tuple[list[tuple[int, int, int, int]], list[tuple[int, int, str]]]:
    """Every mark and attendance row, to compare before and after a refused call."""
    marks = session.exec(
        select(Mark.student_id, Mark.lesson_id, Mark.slot, Mark.value).order_by(col(Mark.id))
    ).all()
    absences = session.exec(
        select(Attendance.student_id, Attendance.lesson_id, Attendance.status).order_by(
            col(Attendance.id)
        )
    ).all()
    return [tuple(m) for m in marks], [tuple(a) for a in absences]  # type: ignore[misc]


def _audit_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditLog)).one()


# --------------------------------------------------------------------------- what a cell holds


def test_mark_is_saved_with_the_lessons_work_type(session: Session, tiny: TinySchool) -> None:
    """A mark on a control lesson carries the control work type and its weight."""
    test = add_lesson(session, tiny.russian_5a, RECENT, 3, work_type=tiny.control)
    result = _write(session, tiny, test, "5")
    mark = session.exec(select(Mark).where(Mark.lesson_id == test.id)).one()
    assert (result.cell.text, mark.work_type_id, mark.weight) == ("5", tiny.control.id, 2)


def test_lesson_without_work_type_gives_oral_answer(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A mark in a column with no work type is an «Ответ на уроке»."""
    _write(session, tiny, lesson, "4")
    mark = session.exec(select(Mark).where(Mark.lesson_id == lesson.id)).one()
    assert mark.work_type_id == tiny.answer.id


def test_absent_is_saved_as_attendance(session: Session, tiny: TinySchool, lesson: Lesson) -> None:
    """ "н" records an absence without a valid reason."""
    result = _write(session, tiny, lesson, "н")
    assert result.cell.text == "н"
    assert result.cell.attendance is not None and result.cell.attendance.status == "absent"


def test_mark_replaces_absence(session: Session, tiny: TinySchool, lesson: Lesson) -> None:
    """Typing a mark over "н" removes the absence: the two never share a cell."""
    first = _write(session, tiny, lesson, "н")
    second = _write(session, tiny, lesson, "4", version=first.cell.version)
    assert (second.cell.text, second.cell.attendance) == ("4", None)


def test_empty_text_clears_the_cell(session: Session, tiny: TinySchool, lesson: Lesson) -> None:
    """Delete (empty text) removes the mark and leaves an empty cell of version 0."""
    first = _write(session, tiny, lesson, "5")
    cleared = _write(session, tiny, lesson, "", version=first.cell.version)
    assert (cleared.cell.text, cleared.cell.version) == ("", 0)
    assert _stored(session) == ([], [])


def test_two_marks_in_a_dictation(session: Session, tiny: TinySchool) -> None:
    """ "54" in a Russian dictation column is two marks, slot 1 and slot 2."""
    dictation = add_lesson(session, tiny.russian_5a, RECENT, 3, work_type=tiny.dictation)
    result = _write(session, tiny, dictation, "54")
    assert [(m.slot, m.value) for m in result.cell.marks] == [(1, 5), (2, 4)]


def test_two_marks_refused_in_an_oral_lesson(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Russian allows two marks only for written work types: an oral answer gets one."""
    with pytest.raises(ValidationError, match="Две отметки"):
        _write(session, tiny, lesson, "54")
    assert _stored(session) == ([], [])


def test_54_in_a_one_mark_column_is_refused_whole_and_keeps_the_old_mark(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A cell holding 3 typed over with "54" in an oral lesson: neither 5 nor 4 is stored,
    the 3 and its version stay, and no audit row is written."""
    old = _write(session, tiny, lesson, "3").cell
    before = (_stored(session), _audit_count(session))
    with pytest.raises(ValidationError, match="Две отметки"):
        _write(session, tiny, lesson, "54", version=old.version)
    assert (_stored(session), _audit_count(session)) == before
    assert [(m.value, m.version) for m in session.exec(select(Mark)).all()] == [(3, old.version)]


def test_two_marks_refused_in_maths(session: Session, tiny: TinySchool) -> None:
    """Even a dictation-type column in maths takes one mark: the subject does not allow two."""
    lesson = add_lesson(session, tiny.maths_5a, RECENT, 4, work_type=tiny.dictation)
    with pytest.raises(ValidationError, match="Две отметки"):
        _write(session, tiny, lesson, "54", who="maths")


def test_only_marks_and_n_are_accepted(session: Session, tiny: TinySchool, lesson: Lesson) -> None:
    """A "5+" is refused with the rule's message and nothing is stored."""
    with pytest.raises(ValidationError, match="Допустимы только отметки 1–5 и «н»"):
        _write(session, tiny, lesson, "5+")
    assert _stored(session) == ([], [])


def test_no_marks_in_grade_one(session: Session, tiny: TinySchool) -> None:
    """A mark in grade 1 is refused; an absence is recorded."""
    lesson = add_lesson(session, tiny.russian_1a, RECENT, 1)
    with pytest.raises(ValidationError, match="1 классе"):
        _write(session, tiny, lesson, "5", who="primary", student=tiny.first_grader)
    result = _write(session, tiny, lesson, "н", who="primary", student=tiny.first_grader)
    assert result.cell.text == "н"


def test_no_marks_in_an_unmarked_subject(session: Session, tiny: TinySchool) -> None:
    """Music is taught without marks: a mark is refused."""
    lesson = add_lesson(session, tiny.music_5a, RECENT, 5)
    with pytest.raises(ValidationError, match="без отметок"):
        _write(session, tiny, lesson, "5", who="class_teacher")


def test_no_cells_in_a_cancelled_lesson(session: Session, tiny: TinySchool) -> None:
    """A cancelled lesson's cells take nothing."""
    lesson = add_lesson(session, tiny.russian_5a, RECENT, 3, cancelled=True)
    with pytest.raises(ValidationError, match="отменён"):
        _write(session, tiny, lesson, "н")


def test_no_cells_outside_the_periods(session: Session, tiny: TinySchool) -> None:
    """A lesson dated in the holidays (outside every quarter) takes nothing."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 26), 2)
    with pytest.raises(ValidationError, match="вне учебных"):
        _write(session, tiny, lesson, "5", reason="исправление")


def test_no_cells_for_a_student_not_yet_enrolled(session: Session, tiny: TinySchool) -> None:
    """The newcomer (from 1 October) cannot get a mark for a September lesson."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 9, 28), 2)
    with pytest.raises(ValidationError, match="не числится"):
        _write(session, tiny, lesson, "5", student=tiny.newcomer, reason="исправление")


def test_no_cells_for_a_student_of_another_class(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A first-grader cannot be written into a 5 «А» lesson."""
    with pytest.raises(ValidationError, match="не числится"):
        _write(session, tiny, lesson, "5", student=tiny.first_grader)


def test_no_cells_before_the_lesson(session: Session, tiny: TinySchool) -> None:
    """Marks are not written ahead of the lesson's date."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 22), 2)
    with pytest.raises(ValidationError, match="ещё не прошёл"):
        _write(session, tiny, lesson, "5")


# --------------------------------------------------------------------------- edit lock


def test_old_lesson_needs_a_reason(session: Session, tiny: TinySchool) -> None:
    """A lesson more than 7 days old is refused without a reason."""
    old = add_lesson(session, tiny.russian_5a, D(2026, 10, 5), 2)
    with pytest.raises(ValidationError, match="укажите причину"):
        _write(session, tiny, old, "5")
    assert _stored(session) == ([], [])


def test_reason_for_an_old_lesson_is_audited(session: Session, tiny: TinySchool) -> None:
    """With a reason the change is saved and the reason is in its audit row."""
    old = add_lesson(session, tiny.russian_5a, D(2026, 10, 5), 2)
    _write(session, tiny, old, "5", reason="ученик досдал работу")
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None and row.reason == "ученик досдал работу"


# --------------------------------------------------------------------------- audit


def test_each_change_is_audited_with_before_and_after(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Changing 4 to 5 writes one audit row naming the cell, the old and the new value."""
    first = _write(session, tiny, lesson, "4")
    _write(session, tiny, lesson, "5", version=first.cell.version)
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None
    before, after = json.loads(row.before), json.loads(row.after)
    assert (row.actor_id, row.entity_id) == (tiny.actors["russian"].user_id, lesson.id)
    assert (before["text"], after["text"], after["student_id"]) == ("4", "5", tiny.students[0].id)


def test_retyping_the_same_value_changes_nothing(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Typing the value already there neither writes nor audits."""
    first = _write(session, tiny, lesson, "5")
    count = _audit_count(session)
    again = _write(session, tiny, lesson, "5", version=first.cell.version)
    assert (again.changed, again.cell.version, _audit_count(session)) == (
        False,
        first.cell.version,
        count,
    )


# --------------------------------------------------------------------------- conflicts


def test_second_writer_with_the_same_version_gets_a_conflict(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Two people saw the empty cell; the second write is refused showing the first's mark."""
    _write(session, tiny, lesson, "5", version=0)
    with pytest.raises(ConflictError) as caught:
        _write(session, tiny, lesson, "3", version=0)
    assert caught.value.current.text == "5"
    assert _stored(session)[0] == [(tiny.students[0].id, lesson.id, 1, 5)]


def test_cleared_and_refilled_cell_does_not_reuse_a_version(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A client holding the version of a mark since cleared and refilled still gets a conflict."""
    seen = _write(session, tiny, lesson, "5").cell.version
    _write(session, tiny, lesson, "", version=seen)
    _write(session, tiny, lesson, "4", version=0)
    with pytest.raises(ConflictError):
        _write(session, tiny, lesson, "3", version=seen)


# --------------------------------------------------------------------------- forged calls


def test_teacher_cannot_write_into_another_teachers_lesson(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """The maths teacher writing into a Russian lesson is refused and nothing changes."""
    with pytest.raises(PermissionDenied):
        _write(session, tiny, lesson, "2", who="maths")
    assert _stored(session) == ([], [])


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "parent", "student"])
def test_readers_cannot_write_marks(
    session: Session, tiny: TinySchool, lesson: Lesson, who: str
) -> None:
    """The class teacher, the deputy and families cannot write a mark."""
    with pytest.raises(PermissionDenied):
        _write(session, tiny, lesson, "5", who=who)
    assert _stored(session) == ([], [])


def test_substitute_writes_into_the_lesson_taken(session: Session, tiny: TinySchool) -> None:
    """A substitute writes marks into the lesson they took."""
    lesson = add_lesson(session, tiny.russian_5a, RECENT, 3)
    lesson.substitute_teacher_id = tiny.staff["maths"].id
    session.add(lesson)
    session.commit()
    assert _write(session, tiny, lesson, "4", who="maths").cell.text == "4"


# --------------------------------------------------------------------------- paste


def _paste(
    session: Session, tiny: TinySchool, lessons: list[Lesson], rows: list[list[str]], **kw: object
):  # type: ignore[no-untyped-def]
    return paste_block(
        session,
        actor=tiny.actors["russian"],
        lesson_ids=[lesson.id or 0 for lesson in lessons],
        student_ids=[s.id or 0 for s in tiny.students[: len(rows)]],
        rows=rows,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_paste_fills_a_block(session: Session, tiny: TinySchool) -> None:
    """A 2 × 2 block of marks and an absence is saved at once."""
    a = add_lesson(session, tiny.russian_5a, RECENT, 2)
    b = add_lesson(session, tiny.russian_5a, D(2026, 10, 20), 1)
    result = _paste(session, tiny, [a, b], [["5", "4"], ["н", "3"]])
    assert result.saved
    assert [c.text for c in result.cells] == ["5", "4", "н", "3"]


def test_failed_paste_saves_nothing_and_names_each_bad_cell(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """One bad cell in a column refuses the whole paste and lists every bad cell."""
    result = _paste(session, tiny, [lesson], [["5"], ["5+"], ["4"], ["н5"]])
    assert not result.saved
    assert [(e.student_id, e.message) for e in result.errors] == [
        (tiny.students[1].id, "Допустимы только отметки 1–5 и «н»"),
        (tiny.students[3].id, "«н» и отметка не могут стоять в одной клетке"),
    ]
    assert _stored(session) == ([], [])


def test_paste_over_a_changed_cell_is_a_conflict(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Pasting over a cell someone filled meanwhile refuses the paste, showing that cell."""
    _write(session, tiny, lesson, "2", student=tiny.students[1])
    result = _paste(session, tiny, [lesson], [["5"], ["5"]])
    assert not result.saved
    assert [(e.student_id, e.current and e.current.text) for e in result.errors] == [
        (tiny.students[1].id, "2")
    ]
    assert len(_stored(session)[0]) == 1


def test_paste_into_another_teachers_lesson_is_refused(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A forged paste by the maths teacher raises PermissionDenied and stores nothing."""
    with pytest.raises(PermissionDenied):
        paste_block(
            session,
            actor=tiny.actors["maths"],
            lesson_ids=[lesson.id or 0],
            student_ids=[tiny.students[0].id or 0],
            rows=[["5"]],
            now=NOW,
        )
    assert _stored(session) == ([], [])


def test_paste_of_wrong_shape_is_refused(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Rows that do not match the selected students and lessons are refused."""
    with pytest.raises(ValidationError, match="Размер"):
        _paste(session, tiny, [lesson], [["5", "4"]])


# --------------------------------------------------------------------------- attendance taken


def _taken(session: Session, lesson: Lesson) -> object:
    stored = session.get(Lesson, lesson.id)
    assert stored is not None
    session.refresh(stored)
    return stored.attendance_taken_at


def _lesson_audit(session: Session, lesson: Lesson) -> list[tuple[str, Any, Any]]:
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "lesson", AuditLog.entity_id == lesson.id)
        .order_by(col(AuditLog.id))
    ).all()
    return [(r.action, json.loads(r.before or "{}"), json.loads(r.after or "{}")) for r in rows]


def test_a_lesson_starts_with_attendance_not_taken(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A mark alone does not record attendance: the lesson still has none taken."""
    _write(session, tiny, lesson, "5")
    assert _taken(session, lesson) is None
    assert _lesson_audit(session, lesson) == []


def test_the_first_absence_records_attendance_taken_and_audits_it(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """The first «н» in a column stamps the lesson and writes one lesson audit row."""
    _write(session, tiny, lesson, "н")
    assert _taken(session, lesson) is not None
    [(action, before, after)] = _lesson_audit(session, lesson)
    assert action == "journal.lesson.update"
    assert before["attendance_taken_at"] is None and after["attendance_taken_at"]


def test_a_second_absence_keeps_the_first_time(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Later absences in the same column leave the time and write no more lesson rows."""
    _write(session, tiny, lesson, "н")
    first = _taken(session, lesson)
    _write(session, tiny, lesson, "н", student=tiny.students[1])
    assert _taken(session, lesson) == first
    assert len(_lesson_audit(session, lesson)) == 1


def test_clearing_every_absence_keeps_attendance_taken(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Attendance once taken stays taken when the only «н» is cleared again."""
    result = _write(session, tiny, lesson, "н")
    _write(session, tiny, lesson, "", version=result.cell.version)
    assert _stored(session) == ([], [])
    assert _taken(session, lesson) is not None


def test_a_pasted_absence_records_attendance_of_its_column_only(
    session: Session, tiny: TinySchool
) -> None:
    """A paste with «н» in one column stamps that lesson, not the column of marks only."""
    a = add_lesson(session, tiny.russian_5a, RECENT, 2)
    b = add_lesson(session, tiny.russian_5a, D(2026, 10, 20), 1)
    assert _paste(session, tiny, [a, b], [["5", "4"], ["н", "3"]]).saved
    assert _taken(session, a) is not None and _taken(session, b) is None
    assert [x[0] for x in _lesson_audit(session, a)] == ["journal.lesson.update"]


def test_a_refused_absence_records_no_attendance(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A «н» from another teacher is refused and the lesson stays without attendance."""
    with pytest.raises(PermissionDenied):
        _write(session, tiny, lesson, "н", who="maths")
    session.rollback()
    assert _taken(session, lesson) is None
