"""The school year and calendar set up from an empty school (issue 13): the year, the
standard periods and their dates, holidays, the week, the bells and the classes — each
refused input leaves the database as it was, and only SETTINGS_MANAGE may change them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, func, select

from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.journal.context import is_holiday
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
from ejournal.domain.permissions import Actor
from ejournal.domain.setup import calendar
from tests.factories import D, add_lesson, add_staff, make_school, staff_actor

pytestmark = pytest.mark.db


@dataclass
class Empty:
    school: School
    admin: Actor
    teacher: Actor
    teacher_staff: Staff


@pytest.fixture()
def empty(session: Session) -> Empty:
    """A school with nothing but an administrator and one teacher (with an account)."""
    school = School(name="Школа № 5", short_name="Школа № 5")
    session.add(school)
    session.flush()
    admin_s, admin_u = add_staff(session, school, "admin5", "Админова", "Анна")
    teacher_s, teacher_u = add_staff(session, school, "teacher5", "Петрова", "Ольга", "Ивановна")
    session.commit()
    return Empty(
        school,
        staff_actor(school, admin_u, admin_s, Role.ADMIN),
        staff_actor(school, teacher_u, teacher_s, Role.TEACHER),
        teacher_s,
    )


def audits(session: Session, entity: AuditEntity | None = None) -> int:
    q = (
        select(func.count())
        .select_from(AuditLog)
        .where(col(AuditLog.action) == AuditAction.CALENDAR_UPDATE.value)
    )
    if entity is not None:
        q = q.where(col(AuditLog.entity) == entity.value)
    return session.exec(q).one()


def year_of(session: Session, e: Empty) -> calendar.YearRow:
    return calendar.create_year(
        session, actor=e.admin, starts_on="2026-09-01", ends_on="2027-05-31"
    )


def periods(
    session: Session, year_id: int
) -> list[tuple[str, int, str, dt.date, dt.date, int, int]]:
    rows = session.exec(
        select(Period).where(Period.year_id == year_id).order_by(col(Period.id))
    ).all()
    return [
        (p.kind, p.number, p.name, p.starts_on, p.ends_on, p.grade_from, p.grade_to) for p in rows
    ]


# --------------------------------------------------------------------------- the year


def test_the_first_year_is_named_from_its_dates_and_becomes_current(
    session: Session, empty: Empty
) -> None:
    """01.09.2026–31.05.2027 makes «2026/2027», the school's current year, audited."""
    year = calendar.create_year(
        session, actor=empty.admin, starts_on="01.09.2026", ends_on=D(2027, 5, 31)
    )
    assert (year.name, year.starts_on, year.ends_on, year.is_current) == (
        "2026/2027",
        D(2026, 9, 1),
        D(2027, 5, 31),
        True,
    )
    assert audits(session, AuditEntity.ACADEMIC_YEAR) == 1
    setup = calendar.get_school_setup(session, actor=empty.admin)
    assert setup.year == year and setup.years == (year,)


def test_a_next_year_is_not_current_until_made_so(session: Session, empty: Empty) -> None:
    """The next year is created aside; making it current leaves exactly one current year."""
    first = year_of(session, empty)
    second = calendar.create_year(
        session, actor=empty.admin, starts_on="2027-09-01", ends_on="2028-05-31"
    )
    assert (second.name, second.is_current) == ("2027/2028", False)
    calendar.set_current_year(session, actor=empty.admin, year_id=second.id)
    current = session.exec(
        select(AcademicYear.name).where(col(AcademicYear.is_current).is_(True))
    ).all()
    assert current == ["2027/2028"]
    assert calendar.get_school_setup(session, actor=empty.admin).year.id == second.id  # type: ignore[union-attr]
    assert first.id != second.id


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        ("2026-09-01", "2026-08-01", "заканчиваться позже"),
        ("2026-09-01", "2028-05-31", "заканчивается в следующем"),
        ("", "2027-05-31", "Укажите дату начала"),
        ("31.02.2026", "2027-05-31", "не дата"),
        ("2027-05-20", "2028-05-31", "пересекаются с учебным годом 2026/2027"),
        ("2026-09-02", "2027-05-30", "2026/2027 уже есть"),
    ],
)
def test_a_bad_or_overlapping_year_is_refused_and_nothing_is_written(
    session: Session, empty: Empty, starts: str, ends: str, message: str
) -> None:
    """Dates out of order, spanning two years, missing, not dates, overlapping or
    duplicating an existing year: refused in words, no year and no audit row added."""
    year_of(session, empty)
    session.commit()
    with pytest.raises(ValidationError, match=message):
        calendar.create_year(session, actor=empty.admin, starts_on=starts, ends_on=ends)
    session.rollback()
    assert session.exec(select(func.count()).select_from(AcademicYear)).one() == 1
    assert audits(session) == 1


# --------------------------------------------------------------------------- periods


def test_standard_periods_have_the_shape_the_journal_uses(session: Session, empty: Empty) -> None:
    """One click: four quarters for grades 1–9, two half-years for 10–11 and the year,
    named and dated as the demo school's, over the year's own first and last day."""
    year = year_of(session, empty)
    assert calendar.fill_standard_periods(session, actor=empty.admin, year_id=year.id) == 7
    assert periods(session, year.id) == [
        ("quarter", 1, "1 четверть", D(2026, 9, 1), D(2026, 10, 25), 1, 9),
        ("quarter", 2, "2 четверть", D(2026, 11, 5), D(2026, 12, 28), 1, 9),
        ("quarter", 3, "3 четверть", D(2027, 1, 12), D(2027, 3, 22), 1, 9),
        ("quarter", 4, "4 четверть", D(2027, 4, 1), D(2027, 5, 31), 1, 9),
        ("half_year", 1, "1 полугодие", D(2026, 9, 1), D(2026, 12, 28), 10, 11),
        ("half_year", 2, "2 полугодие", D(2027, 1, 12), D(2027, 5, 31), 10, 11),
        ("year", 1, "Год", D(2026, 9, 1), D(2027, 5, 31), 1, 11),
    ]
    assert audits(session, AuditEntity.PERIOD) == 7
    with pytest.raises(ValidationError, match="уже заданы"):
        calendar.fill_standard_periods(session, actor=empty.admin, year_id=year.id)


def test_period_dates_are_saved_together(session: Session, empty: Empty) -> None:
    """The table's new dates for the first and second quarter are saved, one audit each."""
    year = year_of(session, empty)
    calendar.fill_standard_periods(session, actor=empty.admin, year_id=year.id)
    setup = calendar.get_school_setup(session, actor=empty.admin)
    q1, q2 = setup.periods[0], setup.periods[1]
    changed = calendar.update_period_dates(
        session,
        actor=empty.admin,
        year_id=year.id,
        dates={q1.id: ("2026-09-01", "2026-10-24"), q2.id: ("2026-11-06", "2026-12-27")},
    )
    assert changed == 2
    after = calendar.get_school_setup(session, actor=empty.admin).periods
    assert (after[0].ends_on, after[1].starts_on, after[1].ends_on) == (
        D(2026, 10, 24),
        D(2026, 11, 6),
        D(2026, 12, 27),
    )
    assert audits(session, AuditEntity.PERIOD) == 7 + 2


@pytest.mark.parametrize(
    ("q1_end", "message"),
    [
        ("2026-11-10", "должна закончиться до начала «2 четверть»"),
        ("2027-06-10", "выходит за учебный год"),
        ("2026-08-20", "раньше начала"),
        ("завтра", "не дата"),
    ],
)
def test_overlapping_or_outside_period_dates_are_refused(
    session: Session, empty: Empty, q1_end: str, message: str
) -> None:
    """A quarter running into the next, past the year, ending before it starts, or not a
    date: refused, and the stored dates stay."""
    year = year_of(session, empty)
    calendar.fill_standard_periods(session, actor=empty.admin, year_id=year.id)
    session.commit()
    before = periods(session, year.id)
    q1 = calendar.get_school_setup(session, actor=empty.admin).periods[0]
    with pytest.raises(ValidationError, match=message):
        calendar.update_period_dates(
            session, actor=empty.admin, year_id=year.id, dates={q1.id: ("2026-09-01", q1_end)}
        )
    session.rollback()
    assert periods(session, year.id) == before


def test_a_period_redated_by_someone_else_is_not_overwritten(
    session: Session, empty: Empty
) -> None:
    """Two people edit the table: the second save of the same quarter names the conflict."""
    year = year_of(session, empty)
    calendar.fill_standard_periods(session, actor=empty.admin, year_id=year.id)
    q1 = calendar.get_school_setup(session, actor=empty.admin).periods[0]
    shown = {q1.id: ("2026-09-01", "2026-10-25")}
    calendar.update_period_dates(
        session,
        actor=empty.admin,
        year_id=year.id,
        dates={q1.id: ("2026-09-01", "2026-10-23")},
        loaded=shown,
    )
    with pytest.raises(ConflictError, match="изменил другой пользователь"):
        calendar.update_period_dates(
            session,
            actor=empty.admin,
            year_id=year.id,
            dates={q1.id: ("2026-09-01", "2026-10-24")},
            loaded=shown,
        )


# --------------------------------------------------------------------------- holidays


def test_an_extra_february_week_for_grade_one_only(session: Session, empty: Empty) -> None:
    """A holiday for grade 1 only makes its days free for grade 1, not for grade 2."""
    year = year_of(session, empty)
    row = calendar.add_holiday(
        session,
        actor=empty.admin,
        year_id=year.id,
        name=" Дополнительные  каникулы ",
        starts_on="2027-02-15",
        ends_on="2027-02-21",
        grade_from="1",
        grade_to="1",
    )
    assert (row.name, row.grades) == ("Дополнительные каникулы", "1 классы")
    assert is_holiday(session, year.id, 1, D(2027, 2, 17))
    assert not is_holiday(session, year.id, 2, D(2027, 2, 17))
    assert audits(session, AuditEntity.HOLIDAY) == 1
    calendar.remove_holiday(session, actor=empty.admin, holiday_id=row.id)
    assert not is_holiday(session, year.id, 1, D(2027, 2, 17))
    assert audits(session, AuditEntity.HOLIDAY) == 2


@pytest.mark.parametrize(
    ("name", "starts", "ends", "grades", "message"),
    [
        ("", "2026-10-26", "2026-11-03", (1, 11), "Укажите название"),
        ("Осенние", "2026-11-03", "2026-10-26", (1, 11), "раньше первого"),
        ("Летние", "2027-06-01", "2027-08-31", (1, 11), "выходят за учебный год"),
        ("Осенние", "2026-10-26", "2026-11-03", (5, 1), "больше, чем «по»"),
        ("Осенние", "2026-10-26", "2026-11-03", (0, 11), "от 1 до 11"),
    ],
)
def test_a_bad_holiday_is_refused(
    session: Session,
    empty: Empty,
    name: str,
    starts: str,
    ends: str,
    grades: tuple[int, int],
    message: str,
) -> None:
    """No name, dates reversed, outside the year, grades reversed or impossible: refused,
    no holiday written."""
    year = year_of(session, empty)
    session.commit()
    with pytest.raises(ValidationError, match=message):
        calendar.add_holiday(
            session,
            actor=empty.admin,
            year_id=year.id,
            name=name,
            starts_on=starts,
            ends_on=ends,
            grade_from=grades[0],
            grade_to=grades[1],
        )
    session.rollback()
    assert session.exec(select(func.count()).select_from(Holiday)).one() == 0


# --------------------------------------------------------------------------- week and bells


def test_the_week_is_five_or_six_days(session: Session, empty: Empty) -> None:
    """6 is saved and audited; 7 is refused and the 6 stays."""
    assert calendar.set_days_per_week(session, actor=empty.admin, days="6") == 6
    session.commit()
    with pytest.raises(ValidationError, match="5 или 6"):
        calendar.set_days_per_week(session, actor=empty.admin, days=7)
    session.rollback()
    assert session.get(School, empty.school.id).days_per_week == 6  # type: ignore[union-attr]
    assert audits(session, AuditEntity.SCHOOL) == 1


SIX = [
    ("08:30", "09:15"),
    ("09:25", "10:10"),
    ("10:30", "11:15"),
    ("11:35", "12:20"),
    ("12:30", "13:15"),
    ("13:25", "14:10"),
]


def bells(session: Session, school_id: int | None) -> list[tuple[int, str, str]]:
    rows = session.exec(
        select(BellSlot).where(BellSlot.school_id == school_id).order_by(col(BellSlot.number))
    ).all()
    return [(b.number, f"{b.starts_at:%H:%M}", f"{b.ends_at:%H:%M}") for b in rows]


def test_bells_for_six_lessons_then_fewer(session: Session, empty: Empty) -> None:
    """Six lessons are written (8.30 read as 08:30, blank rows at the end ignored); a
    shorter schedule later removes the lessons past it."""
    rows = [("8.30", "9:15"), *SIX[1:], ("", "")]
    assert calendar.set_bell_schedule(session, actor=empty.admin, rows=rows) == 6
    assert bells(session, empty.school.id) == [(n, a, b) for n, (a, b) in enumerate(SIX, 1)]
    assert calendar.get_school_setup(session, actor=empty.admin).bells[0] == calendar.BellRow(
        1, "08:30", "09:15"
    )
    assert audits(session, AuditEntity.BELL_SLOT) == 6
    calendar.set_bell_schedule(
        session, actor=empty.admin, rows=[("08:00", "08:45"), *SIX[1:4]], loaded=SIX
    )
    assert bells(session, empty.school.id)[0] == (1, "08:00", "08:45")
    assert len(bells(session, empty.school.id)) == 4
    assert audits(session, AuditEntity.BELL_SLOT) == 6 + 1 + 2


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("08:30", "08:15")], "Урок 1: окончание 08:15 не позже начала 08:30"),
        ([("08:30", "09:15"), ("09:00", "09:45")], "Урок 2 начинается в 09:00, раньше конца"),
        ([("8 30", "09:15")], "«8 30» — не время"),
        ([("25:00", "26:00")], "не время"),
        ([("08:30", "09:15"), ("", ""), ("10:00", "10:45")], "Урок 2: укажите время"),
    ],
)
def test_bad_bells_are_refused_and_the_old_schedule_stays(
    session: Session, empty: Empty, rows: list[tuple[str, str]], message: str
) -> None:
    """Ending before starting, overlapping the previous lesson, not a time, a gap in the
    numbering: refused by lesson number; the schedule already saved is untouched."""
    calendar.set_bell_schedule(session, actor=empty.admin, rows=SIX)
    session.commit()
    with pytest.raises(ValidationError, match=message):
        calendar.set_bell_schedule(session, actor=empty.admin, rows=rows)
    session.rollback()
    assert len(bells(session, empty.school.id)) == 6


def test_a_bell_schedule_saved_meanwhile_is_not_overwritten(session: Session, empty: Empty) -> None:
    """The form loaded six lessons; someone saved five since: the save is refused."""
    calendar.set_bell_schedule(session, actor=empty.admin, rows=SIX[:5])
    with pytest.raises(ConflictError, match="другой пользователь"):
        calendar.set_bell_schedule(session, actor=empty.admin, rows=SIX, loaded=SIX[:4])


# --------------------------------------------------------------------------- classes


@pytest.mark.parametrize("typed", ["5А", "5 А", "5-А", "5 «А»", "5a"])
def test_a_class_is_added_as_schools_write_it(session: Session, empty: Empty, typed: str) -> None:
    """Each way of writing 5 «А» adds the same class; the second time it is refused."""
    year = year_of(session, empty)
    row = calendar.add_class(session, actor=empty.admin, year_id=year.id, name=typed, room=" 21 ")
    assert (row.name, row.grade, row.letter, row.room, row.class_teacher) == (
        "5 «А»",
        5,
        "А",
        "21",
        "",
    )
    with pytest.raises(ValidationError, match="5 «А» в 2026/2027 уже есть"):
        calendar.add_class(session, actor=empty.admin, year_id=year.id, name="5А")
    assert audits(session, AuditEntity.CLASS_GROUP) == 1


@pytest.mark.parametrize(
    ("typed", "message"), [("12А", "не распознан"), ("5", "букву"), ("", "Укажите класс")]
)
def test_a_class_that_is_not_one_is_refused(
    session: Session, empty: Empty, typed: str, message: str
) -> None:
    """Grade 12, no letter, nothing typed: refused, no class written."""
    year = year_of(session, empty)
    session.commit()
    with pytest.raises(ValidationError, match=message):
        calendar.add_class(session, actor=empty.admin, year_id=year.id, name=typed)
    session.rollback()
    assert session.exec(select(func.count()).select_from(ClassGroup)).one() == 0


def test_a_class_teacher_with_an_account_gets_the_role(session: Session, empty: Empty) -> None:
    """Naming Петрова class teacher grants her the class-teacher role of that class;
    naming nobody takes it away again."""
    year = year_of(session, empty)
    row = calendar.add_class(
        session,
        actor=empty.admin,
        year_id=year.id,
        name="5А",
        class_teacher_id=empty.teacher_staff.id,
    )
    assert row.class_teacher == "Петрова Ольга Ивановна"
    grants = session.exec(
        select(RoleGrant.user_id).where(
            RoleGrant.role == Role.CLASS_TEACHER.value, RoleGrant.class_id == row.id
        )
    ).all()
    assert grants == [empty.teacher_staff.user_id]
    cleared = calendar.update_class(
        session, actor=empty.admin, class_id=row.id, class_teacher_id="0", room="14"
    )
    assert (cleared.class_teacher_id, cleared.room) == (None, "14")
    assert session.exec(select(RoleGrant).where(RoleGrant.class_id == row.id)).all() == []


def test_a_class_teacher_without_an_account_is_only_named(session: Session, empty: Empty) -> None:
    """A staff member without an account (imported staff) is named on the class."""
    plain = Staff(school_id=empty.school.id or 0, last_name="Сидорова", first_name="Вера")
    session.add(plain)
    session.flush()
    year = year_of(session, empty)
    row = calendar.add_class(session, actor=empty.admin, year_id=year.id, name="1Б")
    row = calendar.update_class(
        session, actor=empty.admin, class_id=row.id, class_teacher_id=plain.id, room=""
    )
    assert (row.class_teacher_id, row.class_teacher) == (plain.id, "Сидорова Вера")
    assert session.exec(select(RoleGrant).where(RoleGrant.class_id == row.id)).all() == []


def test_an_empty_class_is_removed_with_its_class_teacher_role(
    session: Session, empty: Empty
) -> None:
    """A class with nobody in it goes, and its class teacher's role for it too."""
    year = year_of(session, empty)
    row = calendar.add_class(
        session,
        actor=empty.admin,
        year_id=year.id,
        name="7В",
        class_teacher_id=empty.teacher_staff.id,
    )
    assert calendar.remove_class(session, actor=empty.admin, class_id=row.id) == "7 «В»"
    assert session.get(ClassGroup, row.id) is None
    assert session.exec(select(RoleGrant).where(RoleGrant.class_id == row.id)).all() == []


def test_a_class_with_students_is_not_removed(session: Session) -> None:
    """The tiny school's 5 «А» has students: refused, saying why; the class stays."""
    tiny = make_school(session)
    deputy = tiny.actors["deputy"]
    setup = calendar.get_school_setup(session, actor=deputy)
    five = next(c for c in setup.classes if c.name == "5 «А»")
    assert (five.students, five.in_use) == (5, "в нём есть учащиеся")
    with pytest.raises(ValidationError, match="5 «А» нельзя удалить: в нём есть учащиеся"):
        calendar.remove_class(session, actor=deputy, class_id=tiny.class5.id)
    session.rollback()
    assert session.get(ClassGroup, tiny.class5.id) is not None


def test_the_tiny_school_reads_back_as_the_page_shows_it(session: Session) -> None:
    """make_school's year, its seven periods in kind order, the autumn holiday, classes."""
    tiny = make_school(session)
    setup = calendar.get_school_setup(session, actor=tiny.actors["deputy"])
    assert setup.year is not None and setup.year.name == "2026/2027"
    assert [p.name for p in setup.periods] == [
        "1 четверть",
        "2 четверть",
        "3 четверть",
        "4 четверть",
        "1 полугодие",
        "2 полугодие",
        "Год",
    ]
    assert [(h.name, h.grades) for h in setup.holidays] == [("Осенние каникулы", "все классы")]
    assert [(c.name, c.class_teacher) for c in setup.classes] == [
        ("1 «А»", "Лебедева Мария"),
        ("5 «А»", "Волкова Ольга Ивановна"),
    ]
    with pytest.raises(ValidationError, match="уже заданы"):
        calendar.fill_standard_periods(session, actor=tiny.actors["deputy"], year_id=tiny.year.id)


# --------------------------------------------------------------------------- forged calls


@pytest.mark.parametrize("who", ["russian", "class_teacher", "parent", "student"])
def test_forged_calls_change_nothing(session: Session, who: str) -> None:
    """A teacher, class teacher, parent or student calling any set-up service is refused
    and nothing changes."""
    tiny = make_school(session)
    actor = tiny.actors[who]
    yid = tiny.year.id
    q1 = tiny.q1
    calls = [
        lambda: calendar.get_school_setup(session, actor=actor),
        lambda: calendar.create_year(
            session, actor=actor, starts_on="2027-09-01", ends_on="2028-05-31"
        ),
        lambda: calendar.set_current_year(session, actor=actor, year_id=yid),
        lambda: calendar.update_year_dates(
            session, actor=actor, year_id=yid, starts_on="2026-09-01", ends_on="2027-06-30"
        ),
        lambda: calendar.fill_standard_periods(session, actor=actor, year_id=yid),
        lambda: calendar.update_period_dates(
            session, actor=actor, year_id=yid, dates={q1.id or 0: ("2026-09-02", "2026-10-20")}
        ),
        lambda: calendar.add_holiday(
            session,
            actor=actor,
            year_id=yid,
            name="Лишние",
            starts_on="2026-12-01",
            ends_on="2026-12-02",
        ),
        lambda: calendar.set_days_per_week(session, actor=actor, days=6),
        lambda: calendar.set_bell_schedule(session, actor=actor, rows=SIX),
        lambda: calendar.add_class(session, actor=actor, year_id=yid, name="9Б"),
        lambda: calendar.update_class(
            session, actor=actor, class_id=tiny.class5.id, class_teacher_id=0, room="1"
        ),
        lambda: calendar.remove_class(session, actor=actor, class_id=tiny.class1.id),
    ]
    for forged in calls:
        with pytest.raises(PermissionDenied):
            forged()
        session.rollback()
    assert session.exec(select(func.count()).select_from(AuditLog)).one() == 0
    assert session.get(School, tiny.school.id).days_per_week == 5  # type: ignore[union-attr]
    assert session.get(Period, q1.id).starts_on == D(2026, 9, 1)  # type: ignore[union-attr]
    group = session.get(ClassGroup, tiny.class5.id)
    assert group is not None and group.class_teacher_id == tiny.staff["class_teacher"].id


def test_another_schools_year_and_class_are_refused(session: Session, empty: Empty) -> None:
    """The administrator of the empty school cannot touch the tiny school's year or class."""
    tiny = make_school(session)
    with pytest.raises(PermissionDenied):
        calendar.add_holiday(
            session,
            actor=empty.admin,
            year_id=tiny.year.id,
            name="Чужие",
            starts_on="2026-12-01",
            ends_on="2026-12-02",
        )
    with pytest.raises(PermissionDenied):
        calendar.update_class(
            session, actor=empty.admin, class_id=tiny.class5.id, class_teacher_id=0, room=""
        )
    with pytest.raises(PermissionDenied):
        calendar.get_school_setup(session, actor=empty.admin, year_id=tiny.year.id)
    with pytest.raises(NotFound):
        calendar.remove_holiday(session, actor=empty.admin, holiday_id=999_999)
    # Another school's teacher cannot be made class teacher here.
    year = year_of(session, empty)
    with pytest.raises(PermissionDenied):
        calendar.add_class(
            session,
            actor=empty.admin,
            year_id=year.id,
            name="5А",
            class_teacher_id=tiny.staff["russian"].id,
        )
    session.rollback()
    assert (
        session.exec(
            select(func.count())
            .select_from(ClassGroup)
            .where(ClassGroup.school_id == empty.school.id)
        ).one()
        == 0
    )


def test_bells_cannot_drop_a_lesson_the_timetable_uses(session: Session) -> None:
    """The tiny school's timetable has a 3rd lesson: two bells are refused, three are fine."""
    tiny = make_school(session)
    deputy = tiny.actors["deputy"]
    session.commit()
    with pytest.raises(ValidationError, match="есть 3-й урок"):
        calendar.set_bell_schedule(session, actor=deputy, rows=SIX[:2])
    session.rollback()
    assert bells(session, tiny.school.id) == []
    assert calendar.set_bell_schedule(session, actor=deputy, rows=SIX[:3]) == 3


def test_a_years_dates_are_corrected_and_its_name_follows(session: Session, empty: Empty) -> None:
    """A year typed a year off is corrected: new dates, new name, one audit row."""
    year = calendar.create_year(
        session, actor=empty.admin, starts_on="2025-09-01", ends_on="2026-05-31"
    )
    fixed = calendar.update_year_dates(
        session, actor=empty.admin, year_id=year.id, starts_on="2026-09-01", ends_on="2027-05-31"
    )
    assert (fixed.name, fixed.starts_on, fixed.ends_on) == (
        "2026/2027",
        D(2026, 9, 1),
        D(2027, 5, 31),
    )
    assert audits(session, AuditEntity.ACADEMIC_YEAR) == 2


def test_a_year_cannot_shrink_past_its_periods_holidays_or_lessons(session: Session) -> None:
    """The tiny school's year ending 20 May would leave the 4th quarter outside; starting
    on 2 September would leave the lesson of 1 September outside: both refused."""
    tiny = make_school(session)
    deputy = tiny.actors["deputy"]
    with pytest.raises(ValidationError, match="«4 четверть»"):
        calendar.update_year_dates(
            session,
            actor=deputy,
            year_id=tiny.year.id,
            starts_on="2026-09-01",
            ends_on="2027-05-20",
        )
    session.rollback()
    for p in tiny.quarters[:1] + tiny.half_years[:1] + [tiny.year_period]:
        p.starts_on = D(2026, 9, 2)
        session.add(p)
    session.commit()
    add_lesson(session, tiny.russian_5a, D(2026, 9, 1))
    with pytest.raises(ValidationError, match=r"есть уроки с 01\.09\.2026"):
        calendar.update_year_dates(
            session,
            actor=deputy,
            year_id=tiny.year.id,
            starts_on="2026-09-02",
            ends_on="2027-05-31",
        )
    session.rollback()
    assert session.get(AcademicYear, tiny.year.id).starts_on == D(2026, 9, 1)  # type: ignore[union-attr]
