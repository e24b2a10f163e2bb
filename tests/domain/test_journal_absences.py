"""The class teacher's list of absences without a valid reason, and excusing from it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.journal import (
    AbsenceItem,
    excuse_absence,
    load_page,
    set_cell,
    unexcused_absences,
)
from ejournal.domain.models import Lesson
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

SINCE = D(2026, 10, 1)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _mark(session: Session, tiny: TinySchool, lesson: Lesson, text: str, index: int = 0) -> int:
    """Write a cell as the lesson's teacher; returns the cell's version."""
    who = "maths" if lesson.assignment_id == tiny.maths_5a.id else "russian"
    result = set_cell(
        session,
        actor=tiny.actors[who],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[index].id or 0,
        text=text,
        expected_version=None,
        now=NOW,
        reason="ввод за прошлые уроки",
    )
    return result.cell.version


def _list(
    session: Session,
    tiny: TinySchool,
    who: str = "class_teacher",
    *,
    class_id: int | None = None,
    until: dt.date | None = None,
) -> list[AbsenceItem]:
    return unexcused_absences(
        session,
        actor=tiny.actors[who],
        class_id=class_id if class_id is not None else tiny.class5.id or 0,
        since=SINCE,
        until=until,
    )


def test_lists_absences_of_every_subject_newest_first(session: Session, tiny: TinySchool) -> None:
    """Absences in Russian and mathematics come with student, date, lesson and subject."""
    russian = add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 2)
    maths = add_lesson(session, tiny.maths_5a, D(2026, 10, 15), 3)
    _mark(session, tiny, russian, "н", index=0)
    version = _mark(session, tiny, maths, "н", index=1)
    items = _list(session, tiny)
    assert [(i.date, i.number, i.subject_name, i.student_id) for i in items] == [
        (maths.date, 3, tiny.maths.name, tiny.students[1].id),
        (russian.date, 2, tiny.russian.name, tiny.students[0].id),
    ]
    assert items[0].version == version
    assert items[0].student_name.startswith(tiny.students[1].last_name)


def test_leaves_out_marks_old_absences_and_cancelled_lessons(
    session: Session, tiny: TinySchool
) -> None:
    """Marks, absences before `since` and cancelled lessons are not on the list."""
    _mark(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 1), "5")
    _mark(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 9, 14), 1), "н")
    cancelled = add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 1)
    _mark(session, tiny, cancelled, "н")
    cancelled.cancelled = True
    session.add(cancelled)
    session.flush()
    assert _list(session, tiny) == []


def test_an_excused_absence_leaves_the_list_and_the_subject_teacher_sees_it(
    session: Session, tiny: TinySchool
) -> None:
    """Excused with the listed version, the absence is gone from the list and shown excused."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)
    _mark(session, tiny, lesson, "н")
    (item,) = _list(session, tiny)
    excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        attendance_id=item.attendance_id,
        reason="болезнь, справка",
        expected_version=item.version,
    )
    assert _list(session, tiny) == []
    page = load_page(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
    )
    cell = page.cell(tiny.students[0].id or 0, lesson.id or 0)
    assert cell.excused and cell.attendance is not None
    assert cell.attendance.reason == "болезнь, справка"


@pytest.mark.parametrize("who", ["primary", "russian", "parent"])
def test_another_class_is_refused(session: Session, tiny: TinySchool, who: str) -> None:
    """A forged call for 5 «А» by the 1 «А» class teacher, a subject teacher or a parent is refused."""
    _mark(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 2), "н")
    with pytest.raises(PermissionDenied):
        _list(session, tiny, who)


def test_until_bounds_the_list(session: Session, tiny: TinySchool) -> None:
    """Absences after `until` are left out."""
    _mark(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 2), "н")
    _mark(session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2), "н")
    items = _list(session, tiny, until=D(2026, 10, 16))
    assert [i.date for i in items] == [D(2026, 10, 13)]


def test_a_class_teacher_cannot_list_another_class(session: Session, tiny: TinySchool) -> None:
    """The 5 «А» class teacher asking for 1 «А» is refused."""
    with pytest.raises(PermissionDenied):
        _list(session, tiny, class_id=tiny.class1.id or 0)
