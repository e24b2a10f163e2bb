"""A changed cell or period mark always gets a new version, even over imported versions."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ejournal.domain.journal import excuse_absence, set_cell, set_period_mark
from ejournal.domain.models import Attendance, Mark, PeriodMark
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

#: A version no audit row gave (as the demo seed writes), far above the audit ids to come.
IMPORTED = 10_000


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _set(session: Session, tiny: TinySchool, lesson_id: int, text: str, version: int) -> int:
    result = set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson_id,
        student_id=tiny.students[0].id or 0,
        text=text,
        expected_version=version,
        now=NOW,
        reason="исправление",
    )
    return result.cell.version


def test_a_mark_over_an_imported_version_gets_a_higher_one(session: Session, tiny: TinySchool):
    """Replacing a mark whose stored version is above every audit id still changes the version."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)
    _set(session, tiny, lesson.id or 0, "4", 0)
    mark = session.exec(select(Mark)).one()
    mark.version = IMPORTED
    session.add(mark)
    session.flush()
    assert _set(session, tiny, lesson.id or 0, "5", IMPORTED) > IMPORTED


def test_an_excuse_over_an_imported_version_gets_a_higher_one(session: Session, tiny: TinySchool):
    """Excusing an absence stored with an imported version changes the cell's version."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)
    _set(session, tiny, lesson.id or 0, "н", 0)
    att = session.exec(select(Attendance)).one()
    att.version = IMPORTED
    session.add(att)
    session.flush()
    cell = excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        attendance_id=att.id,
        reason="болезнь",
        expected_version=IMPORTED,
    )
    assert cell.version > IMPORTED


def test_a_period_mark_over_an_imported_version_gets_a_higher_one(
    session: Session, tiny: TinySchool
):
    """Changing a period mark stored with an imported version changes its version."""
    for day in (13, 14, 15):
        _set(
            session, tiny, add_lesson(session, tiny.russian_5a, D(2026, 10, day), 1).id or 0, "4", 0
        )

    def put(value: int, version: int) -> int:
        return set_period_mark(
            session,
            actor=tiny.actors["russian"],
            student_id=tiny.students[0].id or 0,
            assignment_id=tiny.russian_5a.id or 0,
            period_id=tiny.q1.id or 0,
            value=value,
            expected_version=version,
            justification="" if value == 4 else "олимпиада",
            now=NOW,
        ).version

    put(4, 0)
    pm = session.exec(select(PeriodMark)).one()
    pm.version = IMPORTED
    session.add(pm)
    session.flush()
    assert put(5, IMPORTED) > IMPORTED
