"""The «Учебный год и классы» page's handlers, called as a browser would: the deputy
fills the periods, re-dates them, adds holidays, sets the week and the bells, adds and
edits classes; a refused save keeps what was typed and writes nothing; a teacher or a
parent calling the same handlers changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, func, select

from ejournal.domain.models import (
    AcademicYear,
    AuditLog,
    BellSlot,
    ClassGroup,
    Holiday,
    Period,
    Role,
    RoleGrant,
    School,
    Staff,
)
from ejournal.state.setup_school import SchoolSetupState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

SIX = [
    ("08:30", "09:15"),
    ("09:25", "10:10"),
    ("10:30", "11:15"),
    ("11:35", "12:20"),
    ("12:30", "13:15"),
    ("13:25", "14:10"),
]


def _count(world: StateWorld, model: type) -> int:
    with world.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _calendar_audits(world: StateWorld) -> int:
    with world.session() as s:
        return s.exec(
            select(func.count())
            .select_from(AuditLog)
            .where(col(AuditLog.action) == "setup.calendar")
        ).one()


def _loaded(world: StateWorld, role: Role = Role.DEPUTY) -> SchoolSetupState:
    st = world.state(SchoolSetupState, world.token(role))
    call(SchoolSetupState.load, st)
    return st


def test_the_deputy_sees_the_current_year_and_its_classes(world: StateWorld):
    """On load: 2026/2027 shown as current, no periods yet, both classes with 5 «А»'s
    class teacher, the school's staff to choose from, a 5-day week."""
    st = _loaded(world)
    assert st.loaded and st.year_title == "2026/2027" and st.year_is_current
    assert [(y.name, y.dates, y.is_current) for y in st.years] == [
        ("2026/2027", "01.09.2026–31.05.2027", True)
    ]
    assert st.periods == [] and st.days_per_week == "5"
    assert [(c.name, c.teacher, c.students) for c in st.classes] == [
        ("5 «А»", "Классова Клавдия Андреевна", 1),
        ("5 «Б»", "", 0),
    ]
    assert st.classes[0].in_use == "в нём есть учащиеся" and st.classes[1].in_use == ""
    assert st.staff_options[0] == {"value": "0", "label": "— не назначен —"}
    assert "Учителева Ульяна Сергеевна" in [o["label"] for o in st.staff_options]


def test_the_admin_fills_the_periods_and_redates_a_quarter(world: StateWorld):
    """«Заполнить стандартно» adds seven periods; «Сохранить даты» moves the first
    quarter's end; both said in a toast and shown in the table."""
    st = _loaded(world, Role.ADMIN)
    result = call(SchoolSetupState.fill_periods, st)
    assert "Добавлено периодов: 7" in toast_text(result)
    assert [p.name for p in st.periods][:2] == ["1 четверть", "2 четверть"]
    q1 = st.periods[0]
    form = {f"start-{p.id}": p.starts_on for p in st.periods} | {
        f"end-{p.id}": p.ends_on for p in st.periods
    }
    form[f"end-{q1.id}"] = "2026-10-24"
    result = call(SchoolSetupState.save_periods, st, form)
    assert "Даты периодов сохранены (1)" in toast_text(result)
    assert st.periods[0].ends_on == "2026-10-24"
    with world.session() as s:
        assert s.get(Period, q1.id).ends_on == dt.date(2026, 10, 24)  # type: ignore[union-attr]


def test_overlapping_quarters_are_refused_and_the_typed_dates_stay(world: StateWorld):
    """The first quarter running into the second: the reason in a toast and on the page,
    the typed date still shown, nothing saved."""
    st = _loaded(world)
    call(SchoolSetupState.fill_periods, st)
    q1 = st.periods[0]
    result = call(
        SchoolSetupState.save_periods,
        st,
        {f"start-{q1.id}": "2026-09-01", f"end-{q1.id}": "2026-11-20"},
    )
    assert "должна закончиться до начала «2 четверть»" in toast_text(result)
    assert "2 четверть" in st.periods_error
    assert st.periods[0].ends_on == "2026-11-20"
    with world.session() as s:
        assert s.get(Period, q1.id).ends_on == dt.date(2026, 10, 25)  # type: ignore[union-attr]


def test_a_holiday_for_first_graders_is_added_then_removed(world: StateWorld):
    """The February week for grade 1 is listed as «1 классы»; «Удалить» removes it."""
    st = _loaded(world)
    form = {
        "name": "Дополнительные каникулы",
        "starts_on": "2027-02-15",
        "ends_on": "2027-02-21",
        "grade_from": "1",
        "grade_to": "1",
    }
    result = call(SchoolSetupState.add_holiday, st, form)
    assert "Каникулы «Дополнительные каникулы» добавлены (1 классы)" in toast_text(result)
    assert [(h.name, h.dates, h.grades) for h in st.holidays] == [
        ("Дополнительные каникулы", "15.02.2027–21.02.2027", "1 классы")
    ]
    assert st.holiday_name == ""  # the form is cleared for the next one
    result = call(SchoolSetupState.remove_holiday, st, st.holidays[0].id)
    assert "Каникулы удалены" in toast_text(result)
    assert st.holidays == [] and _count(world, Holiday) == 0


def test_a_holiday_outside_the_year_keeps_the_form(world: StateWorld):
    """Summer holidays past 31 May are refused; the name and dates stay in the form."""
    st = _loaded(world)
    form = {"name": "Летние", "starts_on": "2027-06-01", "ends_on": "2027-08-31"}
    result = call(SchoolSetupState.add_holiday, st, form)
    assert "выходят за учебный год 2026/2027" in toast_text(result)
    assert (st.holiday_name, st.holiday_start, st.holiday_end) == (
        "Летние",
        "2027-06-01",
        "2027-08-31",
    )
    assert st.holiday_error and _count(world, Holiday) == 0


def test_the_week_and_six_bells_are_saved(world: StateWorld):
    """6 days then 5; «Добавить урок» six times and «Сохранить звонки» stores six lessons."""
    st = _loaded(world)
    assert "6 дней" in toast_text(call(SchoolSetupState.choose_week, st, "6"))
    assert "5 дней" in toast_text(call(SchoolSetupState.choose_week, st, "5"))
    with world.session() as s:
        assert s.get(School, world.school.school_id).days_per_week == 5  # type: ignore[union-attr]
    # No schedule yet: six blank rows to fill; «Добавить урок» adds a seventh.
    assert [(b.number, b.starts_at, b.ends_at) for b in st.bells] == [
        (n, "", "") for n in range(1, 7)
    ]
    call(SchoolSetupState.add_bell_row, st)
    assert [b.number for b in st.bells] == [1, 2, 3, 4, 5, 6, 7]
    form = {f"start-{n}": a for n, (a, _) in enumerate(SIX, 1)} | {
        f"end-{n}": b for n, (_, b) in enumerate(SIX, 1)
    }
    result = call(SchoolSetupState.save_bells, st, form)
    assert "Расписание звонков сохранено: уроков 6" in toast_text(result)
    assert [(b.starts_at, b.ends_at) for b in st.bells] == SIX
    assert _count(world, BellSlot) == 6


def test_bad_bells_are_refused_with_the_typed_times_kept(world: StateWorld):
    """The second lesson starting before the first ends: refused by number, typed times
    kept, nothing stored; a week of 7 days is refused too."""
    st = _loaded(world)
    form = {"start-1": "08:30", "end-1": "09:15", "start-2": "09:00", "end-2": "09:45"}
    result = call(SchoolSetupState.save_bells, st, form)
    assert "Урок 2 начинается в 09:00, раньше конца урока 1" in toast_text(result)
    assert [(b.starts_at, b.ends_at) for b in st.bells][:3] == [
        ("08:30", "09:15"),
        ("09:00", "09:45"),
        ("", ""),
    ]
    assert _count(world, BellSlot) == 0
    assert "5 или 6" in toast_text(call(SchoolSetupState.choose_week, st, "7"))
    assert st.days_per_week == "5"


def test_a_class_is_added_given_a_teacher_and_removed(world: StateWorld):
    """«5 «В»» typed with quotes is added; the teacher named its class teacher gets the
    role; the empty class is then removed."""
    st = _loaded(world)
    with world.session() as s:
        teacher = s.exec(select(Staff).where(Staff.last_name == "Учителева")).one()
    result = call(
        SchoolSetupState.add_class,
        st,
        {"name": "5 «В»", "class_teacher_id": str(teacher.id), "room": "12"},
    )
    assert "Класс 5 «В» добавлен" in toast_text(result)
    row = next(c for c in st.classes if c.name == "5 «В»")
    assert (row.teacher, row.room, row.teacher_id) == (
        "Учителева Ульяна Сергеевна",
        "12",
        str(teacher.id),
    )
    with world.session() as s:
        grant = s.exec(select(RoleGrant).where(RoleGrant.class_id == row.id)).one()
        assert grant.user_id == teacher.user_id
    result = call(
        SchoolSetupState.save_class,
        st,
        {"class_id": str(row.id), "class_teacher_id": "0", "room": "14"},
    )
    assert "Класс 5 «В» сохранён" in toast_text(result)
    row = next(c for c in st.classes if c.name == "5 «В»")
    assert (row.teacher, row.room) == ("", "14")
    result = call(SchoolSetupState.remove_class, st, row.id)
    assert "Класс 5 «В» удалён" in toast_text(result)
    assert [c.name for c in st.classes] == ["5 «А»", "5 «Б»"]


def test_a_duplicate_class_keeps_the_form_and_a_used_class_stays(world: StateWorld):
    """«5-А» again is refused with the typed text kept; 5 «А» with a student is not removed."""
    st = _loaded(world)
    result = call(SchoolSetupState.add_class, st, {"name": "5-А", "room": "3"})
    assert "5 «А» в 2026/2027 уже есть" in toast_text(result)
    assert (st.class_name, st.class_room) == ("5-А", "3")
    result = call(SchoolSetupState.remove_class, st, world.school.class_id)
    assert "нельзя удалить: в нём есть учащиеся" in toast_text(result)
    assert _count(world, ClassGroup) == 2


def test_a_next_year_is_created_aside_then_made_current(world: StateWorld):
    """2027/2028 is created (not current, 2026/2027 stays shown); «Сделать текущим» moves
    the current year and shows it; an overlapping year is refused with the dates kept."""
    st = _loaded(world)
    result = call(
        SchoolSetupState.create_year, st, {"starts_on": "2027-09-01", "ends_on": "2028-05-31"}
    )
    assert "Учебный год 2027/2028 создан" in toast_text(result)
    assert st.year_title == "2026/2027"
    new = next(y for y in st.years if y.name == "2027/2028")
    assert not new.is_current
    result = call(SchoolSetupState.make_current, st, new.id)
    assert "Текущий учебный год — 2027/2028" in toast_text(result)
    assert (st.year_title, st.year_is_current, st.classes) == ("2027/2028", True, [])
    result = call(
        SchoolSetupState.create_year, st, {"starts_on": "2028-05-01", "ends_on": "2029-05-31"}
    )
    assert "пересекаются с учебным годом 2027/2028" in toast_text(result)
    assert (st.new_year_start, st.new_year_end) == ("2028-05-01", "2029-05-31")
    assert _count(world, AcademicYear) == 2


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLASS_TEACHER, Role.PARENT, Role.STUDENT])
def test_forged_set_up_calls_change_nothing(world: StateWorld, role: Role):
    """Every handler of the page called by a teacher, class teacher, parent or student is
    refused with a message and writes nothing."""
    st = world.state(SchoolSetupState, world.token(role))
    with world.session() as s:
        year_id = s.exec(select(AcademicYear.id)).one()
    calls = [
        (SchoolSetupState.load, ()),
        (SchoolSetupState.create_year, ({"starts_on": "2027-09-01", "ends_on": "2028-05-31"},)),
        (SchoolSetupState.make_current, (year_id,)),
        (
            SchoolSetupState.change_year_dates,
            ({"starts_on": "2026-09-01", "ends_on": "2027-06-30"},),
        ),
        (SchoolSetupState.fill_periods, ()),
        (
            SchoolSetupState.add_holiday,
            ({"name": "X", "starts_on": "2026-12-01", "ends_on": "2026-12-02"},),
        ),
        (SchoolSetupState.remove_holiday, (1,)),
        (SchoolSetupState.choose_week, ("6",)),
        (SchoolSetupState.add_bell_row, ()),
        (SchoolSetupState.save_bells, ({"start-1": "08:00", "end-1": "08:45"},)),
        (SchoolSetupState.add_class, ({"name": "9Б"},)),
        (
            SchoolSetupState.save_class,
            ({"class_id": str(world.school.class_id), "class_teacher_id": "0", "room": "1"},),
        ),
        (SchoolSetupState.remove_class, (world.school.other_class_id,)),
    ]
    for handler, args in calls:
        result = call(handler, st, *args)
        assert "Недостаточно прав" in toast_text(result), handler
    assert not st.loaded and st.bells == []
    assert _calendar_audits(world) == 0
    assert (_count(world, AcademicYear), _count(world, ClassGroup), _count(world, BellSlot)) == (
        1,
        2,
        0,
    )
    assert _count(world, Period) == 0 and _count(world, Holiday) == 0
    with world.session() as s:
        assert s.get(School, world.school.school_id).days_per_week == 5  # type: ignore[union-attr]
        five_a = s.get(ClassGroup, world.school.class_id)
        assert five_a is not None and five_a.class_teacher_id is not None


def test_the_shown_years_dates_are_corrected_or_refused_with_the_dates_kept(world: StateWorld):
    """«Изменить даты года»: ending on 30 June is saved; ending on 15 May after the
    standard periods is refused naming the 4th quarter, the typed date kept."""
    st = _loaded(world)
    assert (st.shown_year_start, st.shown_year_end) == ("2026-09-01", "2027-05-31")
    result = call(
        SchoolSetupState.change_year_dates, st, {"starts_on": "2026-09-01", "ends_on": "2027-06-30"}
    )
    assert "Даты учебного года 2026/2027 сохранены" in toast_text(result)
    assert st.years[0].dates == "01.09.2026–30.06.2027"
    call(SchoolSetupState.fill_periods, st)
    result = call(
        SchoolSetupState.change_year_dates, st, {"starts_on": "2026-09-01", "ends_on": "2027-05-15"}
    )
    assert "«4 четверть»" in toast_text(result)
    assert st.shown_year_end == "2027-05-15" and "4 четверть" in st.year_error
    with world.session() as s:
        assert s.exec(select(AcademicYear.ends_on)).one() == dt.date(2027, 6, 30)
