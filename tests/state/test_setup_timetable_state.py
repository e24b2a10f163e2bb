"""The timetable page's handlers, called as a browser would: the deputy puts maths into
5 «А»'s Monday 1st, is told about a clash with the form kept, takes the lesson off from a
date, downloads the PDF and assigns a substitute for one lesson; a teacher's or a parent's
forged calls change nothing. (State-test school: 5 «А» and 5 «Б», one staff member per
role; here Учителева teaches maths and Классова Russian in 5 «А».)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import func, select

from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    Lesson,
    Period,
    Role,
    Staff,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from ejournal.state.setup_timetable import TimetableState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

MONDAY = "2026-10-19"
REFUSED = "Недостаточно прав"


def _staff_id(world: StateWorld, role: Role) -> int:
    with world.session() as s:
        staff = s.exec(
            select(Staff).where(Staff.user_id == world.school.accounts[role].user_id)
        ).one()
        return staff.id or 0


def _setup(world: StateWorld) -> dict[str, int]:
    """Maths (Учителева) and Russian (Классова) in 5 «А», a first quarter."""
    teacher, class_teacher = _staff_id(world, Role.TEACHER), _staff_id(world, Role.CLASS_TEACHER)
    with world.session() as s:
        sid = world.school.school_id
        maths = Subject(school_id=sid, name="Математика")
        russian = Subject(school_id=sid, name="Русский язык")
        s.add_all([maths, russian])
        s.flush()
        year = s.exec(select(AcademicYear).where(AcademicYear.school_id == sid)).one()
        year_id = year.id
        s.add(
            Period(
                year_id=year_id or 0,
                kind="quarter",
                number=1,
                name="1 четверть",
                starts_on=dt.date(2026, 9, 1),
                ends_on=dt.date(2026, 10, 24),
                grade_from=1,
                grade_to=11,
            )
        )
        tas = {}
        for key, subject, staff_id in (
            ("maths", maths, teacher),
            ("russian", russian, class_teacher),
        ):
            ta = TeachingAssignment(
                year_id=year_id or 0,
                teacher_id=staff_id,
                class_id=world.school.class_id,
                subject_id=subject.id or 0,
                hours_per_week=Decimal(4),
            )
            s.add(ta)
            s.flush()
            tas[key] = ta.id or 0
        s.commit()
    return {**tas, "teacher": teacher, "class_teacher": class_teacher}


def _counts(world: StateWorld) -> tuple[int, int, int]:
    with world.session() as s:
        return (
            s.exec(select(func.count()).select_from(TimetableSlot)).one(),
            s.exec(
                select(func.count()).select_from(Lesson).where(Lesson.substitute_teacher_id != None)  # noqa: E711
            ).one(),
            s.exec(select(func.count()).select_from(AuditLog)).one(),
        )


def _deputy(world: StateWorld) -> TimetableState:
    st = world.state(TimetableState, world.token(Role.DEPUTY))
    call(TimetableState.load, st)
    call(TimetableState.choose_date, st, MONDAY)
    return st


def _monday_first(st: TimetableState) -> list[str]:
    row = next(r for r in st.rows if r.number == 1)
    return [f"{i.subject} {i.other} {i.room}".strip() for i in row.cells[0].lessons]


def test_the_deputy_adds_a_lesson_in_an_empty_cell(world: StateWorld) -> None:
    """5 «А» is shown first; Monday 1st: maths, room 14, from 19 October → in the grid."""
    ids = _setup(world)
    st = _deputy(world)
    assert st.title == "5 «А»"
    assert st.day_names[0] == "Понедельник"
    call(TimetableState.open_cell, st, 1, 1)
    assert st.form_open and st.form_title == "Понедельник, 1-й урок"
    call(TimetableState.change_form_assignment, st, str(ids["maths"]))
    call(TimetableState.change_form_room, st, "14")
    result = call(TimetableState.add_lesson, st)
    assert "Урок добавлен" in toast_text(result)
    assert not st.form_open
    assert _monday_first(st) == ["Математика Учителева У. С. каб. 14"]
    assert any("Математика: в расписании 1 ч в неделю, по нагрузке 4 ч" in w for w in st.warnings)


def test_a_clash_is_told_and_the_form_keeps_the_choice(world: StateWorld) -> None:
    """Russian into the same cell is refused naming maths; the form stays as it was."""
    ids = _setup(world)
    st = _deputy(world)
    call(TimetableState.open_cell, st, 1, 1)
    call(TimetableState.change_form_assignment, st, str(ids["maths"]))
    call(TimetableState.add_lesson, st)
    before = _counts(world)
    call(TimetableState.open_cell, st, 1, 1)
    call(TimetableState.change_form_assignment, st, str(ids["russian"]))
    call(TimetableState.change_form_room, st, "21")
    result = call(TimetableState.add_lesson, st)
    assert "Математика" in toast_text(result) and "5 «А»" in toast_text(result)
    assert st.form_open and st.form_assignment == str(ids["russian"]) and st.form_room == "21"
    assert "Математика" in st.form_error
    assert _counts(world) == before


def test_taking_a_lesson_off_from_the_date_and_the_pdf(world: StateWorld) -> None:
    """«Убрать с даты» empties the cell from the grid's date; «Скачать PDF» downloads."""
    ids = _setup(world)
    st = _deputy(world)
    call(TimetableState.open_cell, st, 1, 1)
    call(TimetableState.change_form_assignment, st, str(ids["maths"]))
    call(TimetableState.change_form_from, st, "2026-09-07")
    call(TimetableState.add_lesson, st)
    slot_id = next(r for r in st.rows if r.number == 1).cells[0].lessons[0].slot_id
    pdf = call(TimetableState.download_pdf, st)
    assert "raspisanie" in str(pdf)
    result = call(TimetableState.remove_lesson, st, slot_id)
    assert "Урок убран с 19.10.2026" in toast_text(result)
    assert _monday_first(st) == []
    call(TimetableState.choose_date, st, "2026-10-12")
    assert _monday_first(st) == ["Математика Учителева У. С."]


def test_the_deputy_assigns_and_cancels_a_substitute_for_one_lesson(world: StateWorld) -> None:
    """Классова substitutes Учителева's maths on Monday 1st; the list shows it; «Отменить»."""
    ids = _setup(world)
    st = _deputy(world)
    call(TimetableState.open_cell, st, 1, 1)
    call(TimetableState.change_form_assignment, st, str(ids["maths"]))
    call(TimetableState.change_form_from, st, "2026-09-07")
    call(TimetableState.add_lesson, st)
    call(TimetableState.change_sub_teacher, st, str(ids["teacher"]))
    call(TimetableState.change_sub_substitute, st, str(ids["class_teacher"]))
    call(TimetableState.change_sub_from, st, MONDAY)
    assert st.sub_to == MONDAY
    call(TimetableState.change_sub_number, st, "1")
    result = call(TimetableState.assign_substitute, st)
    assert "Замена назначена" in toast_text(result)
    assert [(i.when, i.what, i.substitute) for i in st.subs] == [
        ("19.10.2026, 1-й урок", "Математика, 5 «А»", "Классова К. А.")
    ]
    result = call(TimetableState.cancel_substitute, st, st.subs[0].lesson_id)
    assert "отменена" in toast_text(result)
    assert st.subs == []


def test_a_refused_substitution_keeps_the_form(world: StateWorld) -> None:
    """A teacher with no lessons that day: the message stays on screen with the choices."""
    ids = _setup(world)
    st = _deputy(world)
    call(TimetableState.change_sub_teacher, st, str(ids["teacher"]))
    call(TimetableState.change_sub_substitute, st, str(ids["class_teacher"]))
    call(TimetableState.change_sub_from, st, MONDAY)
    result = call(TimetableState.assign_substitute, st)
    assert "нет уроков" in toast_text(result)
    assert st.sub_error and st.sub_teacher == str(ids["teacher"])


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLASS_TEACHER, Role.PARENT])
def test_forged_calls_change_nothing(world: StateWorld, role: Role) -> None:
    """A teacher, a class teacher or a parent calling the handlers is refused; nothing
    changes."""
    ids = _setup(world)
    deputy = _deputy(world)
    call(TimetableState.open_cell, deputy, 1, 1)
    call(TimetableState.change_form_assignment, deputy, str(ids["maths"]))
    call(TimetableState.change_form_from, deputy, "2026-09-07")
    call(TimetableState.add_lesson, deputy)
    slot_id = next(r for r in deputy.rows if r.number == 1).cells[0].lessons[0].slot_id
    before = _counts(world)
    st = world.state(TimetableState, world.token(role))
    for handler, args in [
        (TimetableState.load, ()),
        (TimetableState.open_cell, (1, 2)),
        (TimetableState.change_form_assignment, (str(ids["russian"]),)),
        (TimetableState.add_lesson, ()),
        (TimetableState.remove_lesson, (slot_id,)),
        (TimetableState.download_pdf, ()),
        (TimetableState.change_sub_teacher, (str(ids["teacher"]),)),
        (TimetableState.assign_substitute, ()),
        (TimetableState.cancel_substitute, (1,)),
    ]:
        result = call(handler, st, *args)
        assert REFUSED in toast_text(result), handler
    assert _counts(world) == before
    assert st.rows == []
