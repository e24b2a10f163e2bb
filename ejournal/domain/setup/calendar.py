"""The school year and calendar of a school set up from an empty database (issue 13).

The academic year (named from its dates, «2026/2027»; one current year per school; years
never overlap), its marking periods — quarters for grades 1–9, half-years for 10–11 and the
year, laid out in one click as the demo seed and the journal expect them, then dated by
hand —, holidays (for all grades or a range: the extra February week of grade 1), the 5- or
6-day week, the bell schedule, and the classes of a year with their class teacher and room.

Every service needs SETTINGS_MANAGE (administrator, deputy, director) on the actor's own
school, validates everything before it writes (a refused call changes nothing), and audits
each change (CALENDAR_UPDATE on the changed entity) in the caller's transaction. Edits of
the period table and of the bell schedule carry what the form was loaded with: a row someone
else saved since is refused by name instead of silently overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    AcademicYear,
    Announcement,
    BellSlot,
    ClassGroup,
    Enrolment,
    Holiday,
    Lesson,
    Period,
    PeriodKind,
    Role,
    RoleGrant,
    School,
    Staff,
    Student,
    Subgroup,
    TeachingAssignment,
    TimetableSlot,
)
from ejournal.domain.people import users
from ejournal.domain.people.naming import class_name, person_full
from ejournal.domain.permissions import Actor, Permission, require
from ejournal.domain.seed.schoolyear import build_year
from ejournal.domain.setup.students import clean, lock_school, parse_class, parse_date

YEAR_FIELDS = ("name", "starts_on", "ends_on", "is_current")
PERIOD_FIELDS = ("kind", "number", "name", "starts_on", "ends_on", "grade_from", "grade_to")
HOLIDAY_FIELDS = ("name", "starts_on", "ends_on", "grade_from", "grade_to")
BELL_FIELDS = ("number", "starts_at", "ends_at")
CLASS_FIELDS = ("year_id", "grade", "letter", "class_teacher_id", "room")

MAX_LESSONS = 12
HOLIDAY_NAME_MAX = 100
ROOM_MAX = 32
LETTER_MAX = 4

KIND_TITLES: dict[str, str] = {
    PeriodKind.QUARTER.value: "Четверть",
    PeriodKind.HALF_YEAR.value: "Полугодие",
    PeriodKind.YEAR.value: "Год",
    PeriodKind.EXAM.value: "Экзамен",
    PeriodKind.FINAL.value: "Итоговая",
}
_KIND_ORDER = {k: i for i, k in enumerate(KIND_TITLES)}
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class YearRow:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    is_current: bool


@dataclass(frozen=True)
class PeriodRow:
    id: int
    kind: str
    kind_title: str
    number: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    grades: str  # «1–9»


@dataclass(frozen=True)
class HolidayRow:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int
    grade_to: int
    grades: str  # «все классы», «1 классы», «1–4 классы»


@dataclass(frozen=True)
class BellRow:
    number: int
    starts_at: str  # «08:30»
    ends_at: str


@dataclass(frozen=True)
class ClassRow:
    id: int
    name: str  # «5 «А»»
    grade: int
    letter: str
    class_teacher_id: int | None
    class_teacher: str  # full name, '' when none
    room: str
    students: int
    in_use: str  # why it cannot be removed ('' when it can)


@dataclass(frozen=True)
class StaffOption:
    id: int
    name: str


@dataclass(frozen=True)
class SchoolSetup:
    """Everything the «Учебный год и классы» page shows, for one year of the school."""

    school_name: str
    days_per_week: int
    years: tuple[YearRow, ...]
    year: YearRow | None  # the year shown (the current one unless asked otherwise)
    periods: tuple[PeriodRow, ...]
    holidays: tuple[HolidayRow, ...]
    bells: tuple[BellRow, ...]
    classes: tuple[ClassRow, ...]
    staff: tuple[StaffOption, ...]


# --------------------------------------------------------------------------- small rules


def year_name(starts_on: dt.date, ends_on: dt.date) -> str:
    """«2026/2027»: the calendar years the school year spans."""
    return f"{starts_on.year}/{ends_on.year}"


def grades_text(grade_from: int, grade_to: int) -> str:
    """How a grade range reads on the page: «все классы», «1 классы», «1–4 классы»."""
    if (grade_from, grade_to) == (1, 11):
        return "все классы"
    if grade_from == grade_to:
        return f"{grade_from} классы"
    return f"{grade_from}–{grade_to} классы"


def time_text(value: dt.time) -> str:
    return f"{value:%H:%M}"


def parse_time(value: Any) -> dt.time | None:
    """«08:30», «8:30», «8.30» → 08:30; None when it is not a time of day."""
    if isinstance(value, dt.time):
        return value
    match = _TIME.match(clean(value))
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not clean(value):
        raise ValidationError(f"Укажите {what}.")
    found = parse_date(clean(value))
    if found is None:
        raise ValidationError(f"{what.capitalize()}: «{clean(value)}» — не дата (ДД.ММ.ГГГГ).")
    return found


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _grade(value: Any, what: str) -> int:
    grade = _int(value)
    if grade is None or not 1 <= grade <= 11:
        raise ValidationError(f"{what}: число от 1 до 11.")
    return grade


def _d(value: dt.date) -> str:
    return f"{value:%d.%m.%Y}"


# --------------------------------------------------------------------------- loading


def _allow(session: Session, actor: Actor | None) -> Actor:
    return require(session, actor, Permission.SETTINGS_MANAGE)


def _school(session: Session, actor: Actor) -> School:
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


def _year(session: Session, actor: Actor, year_id: Any) -> AcademicYear:
    year = session.get(AcademicYear, _int(year_id) or 0)
    if year is None:
        raise NotFound("Учебный год не найден: обновите страницу.")
    if year.school_id != actor.school_id:
        raise PermissionDenied()
    return year


def _class(session: Session, actor: Actor, class_id: Any) -> ClassGroup:
    group = session.get(ClassGroup, _int(class_id) or 0)
    if group is None:
        raise NotFound("Класс не найден: обновите страницу.")
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    return group


def _record(
    session: Session,
    actor: Actor,
    entity: AuditEntity,
    entity_id: int | None,
    *,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    audit.record(
        session,
        actor_id=actor.user_id or None,
        action=AuditAction.CALENDAR_UPDATE,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
    )


# --------------------------------------------------------------------------- reading


def _year_row(y: AcademicYear) -> YearRow:
    return YearRow(y.id or 0, y.name, y.starts_on, y.ends_on, y.is_current)


def _periods(session: Session, year_id: int) -> list[Period]:
    rows = session.exec(select(Period).where(Period.year_id == year_id)).all()
    return sorted(rows, key=lambda p: (_KIND_ORDER.get(p.kind, 99), p.number))


def _class_use(session: Session, class_id: int) -> str:
    """Why a class cannot be removed, in words ('' when nothing uses it)."""
    checks: list[tuple[Any, str]] = [
        (select(func.count()).where(Student.class_id == class_id), "в нём есть учащиеся"),
        (select(func.count()).where(Enrolment.class_id == class_id), "есть записи о зачислении"),
        (
            select(func.count()).where(TeachingAssignment.class_id == class_id),
            "ему назначена нагрузка учителей",
        ),
        (select(func.count()).where(Subgroup.class_id == class_id), "у него есть подгруппы"),
        (select(func.count()).where(Announcement.class_id == class_id), "у него есть объявления"),
    ]
    for query, why in checks:
        if session.exec(query).one():
            return why
    return ""


@read_only
def get_school_setup(
    session: Session, *, actor: Actor | None, year_id: int | None = None
) -> SchoolSetup:
    """The page's data: the school's years, the shown year's periods, holidays and classes,
    the week, the bells and the staff to choose class teachers from."""
    actor = _allow(session, actor)
    school = _school(session, actor)
    years = session.exec(
        select(AcademicYear)
        .where(AcademicYear.school_id == actor.school_id)
        .order_by(col(AcademicYear.starts_on))
    ).all()
    shown: AcademicYear | None = None
    if year_id:
        shown = _year(session, actor, year_id)
    else:
        shown = next((y for y in years if y.is_current), years[-1] if years else None)
    staff = session.exec(
        select(Staff)
        .where(Staff.school_id == actor.school_id, col(Staff.is_active).is_(True))
        .order_by(col(Staff.last_name), col(Staff.first_name), col(Staff.id))
    ).all()
    names = {s.id: person_full(s) for s in staff}
    periods: list[PeriodRow] = []
    holidays: list[HolidayRow] = []
    classes: list[ClassRow] = []
    if shown is not None and shown.id is not None:
        periods = [
            PeriodRow(
                p.id or 0,
                p.kind,
                KIND_TITLES.get(p.kind, p.kind),
                p.number,
                p.name,
                p.starts_on,
                p.ends_on,
                f"{p.grade_from}–{p.grade_to}",
            )
            for p in _periods(session, shown.id)
        ]
        holidays = [
            HolidayRow(
                h.id or 0,
                h.name,
                h.starts_on,
                h.ends_on,
                h.grade_from,
                h.grade_to,
                grades_text(h.grade_from, h.grade_to),
            )
            for h in session.exec(
                select(Holiday)
                .where(Holiday.year_id == shown.id)
                .order_by(col(Holiday.starts_on), col(Holiday.id))
            )
        ]
        for g in session.exec(
            select(ClassGroup)
            .where(ClassGroup.year_id == shown.id)
            .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
        ):
            assert g.id is not None
            teacher = ""
            if g.class_teacher_id is not None:
                teacher = names.get(g.class_teacher_id) or person_full(
                    session.get(Staff, g.class_teacher_id)
                )
            classes.append(
                ClassRow(
                    g.id,
                    class_name(g.grade, g.letter),
                    g.grade,
                    g.letter,
                    g.class_teacher_id,
                    teacher,
                    g.room,
                    session.exec(
                        select(func.count()).where(
                            Student.class_id == g.id, col(Student.is_active).is_(True)
                        )
                    ).one(),
                    _class_use(session, g.id),
                )
            )
    bells = session.exec(
        select(BellSlot).where(BellSlot.school_id == actor.school_id).order_by(col(BellSlot.number))
    ).all()
    return SchoolSetup(
        school_name=school.short_name or school.name,
        days_per_week=school.days_per_week,
        years=tuple(_year_row(y) for y in years),
        year=_year_row(shown) if shown is not None else None,
        periods=tuple(periods),
        holidays=tuple(holidays),
        bells=tuple(BellRow(b.number, time_text(b.starts_at), time_text(b.ends_at)) for b in bells),
        classes=tuple(classes),
        staff=tuple(StaffOption(s.id or 0, person_full(s)) for s in staff),
    )


# --------------------------------------------------------------------------- the year


def _year_dates(
    session: Session, actor: Actor, starts_on: Any, ends_on: Any, *, other_than: int | None = None
) -> tuple[dt.date, dt.date, str]:
    """The year's first and last day and its name, checked: in order, spanning two calendar
    years, overlapping and duplicating no other year of the school."""
    starts = _date(starts_on, "дату начала учебного года")
    ends = _date(ends_on, "дату окончания учебного года")
    if ends <= starts:
        raise ValidationError("Учебный год должен заканчиваться позже, чем начинается.")
    if ends.year != starts.year + 1:
        raise ValidationError(
            "Учебный год начинается в одном календарном году и заканчивается в следующем "
            f"(например, 01.09.2026–31.05.2027), а указано {_d(starts)}–{_d(ends)}."
        )
    name = year_name(starts, ends)
    for other in session.exec(
        select(AcademicYear).where(AcademicYear.school_id == actor.school_id)
    ).all():
        if other.id == other_than:
            continue
        if other.name == name:
            raise ValidationError(f"Учебный год {name} уже есть.")
        if other.starts_on <= ends and starts <= other.ends_on:
            raise ValidationError(
                f"Даты пересекаются с учебным годом {other.name} "
                f"({_d(other.starts_on)}–{_d(other.ends_on)})."
            )
    return starts, ends, name


def create_year(session: Session, *, actor: Actor | None, starts_on: Any, ends_on: Any) -> YearRow:
    """A new academic year named from its dates («2026/2027»). It becomes the current year
    when the school has none yet; years of one school never overlap."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    starts, ends, name = _year_dates(session, actor, starts_on, ends_on)
    has_current = session.exec(
        select(AcademicYear.id).where(
            AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    year = AcademicYear(
        school_id=actor.school_id,
        name=name,
        starts_on=starts,
        ends_on=ends,
        is_current=has_current is None,
    )
    session.add(year)
    session.flush()
    _record(
        session, actor, AuditEntity.ACADEMIC_YEAR, year.id, after=audit.snapshot(year, YEAR_FIELDS)
    )
    return _year_row(year)


def update_year_dates(
    session: Session, *, actor: Actor | None, year_id: Any, starts_on: Any, ends_on: Any
) -> YearRow:
    """Correct a year's first and last day (its name follows). Its periods, holidays and
    lessons must stay inside the new dates."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    year = _year(session, actor, year_id)
    assert year.id is not None
    starts, ends, name = _year_dates(session, actor, starts_on, ends_on, other_than=year.id)
    outside: list[str] = []
    for p in _periods(session, year.id):
        if p.starts_on < starts or p.ends_on > ends:
            outside.append(f"«{p.name}» ({_d(p.starts_on)}–{_d(p.ends_on)})")
    for h in session.exec(select(Holiday).where(Holiday.year_id == year.id)):
        if h.starts_on < starts or h.ends_on > ends:
            outside.append(f"«{h.name}» ({_d(h.starts_on)}–{_d(h.ends_on)})")
    if outside:
        raise ValidationError(
            f"Вне дат {_d(starts)}–{_d(ends)} останутся: {', '.join(outside)}. "
            "Сначала измените их даты."
        )
    first, last = session.exec(
        select(func.min(Lesson.date), func.max(Lesson.date))
        .join(TeachingAssignment, col(TeachingAssignment.id) == col(Lesson.assignment_id))
        .where(TeachingAssignment.year_id == year.id)
    ).one()
    if first is not None and (first < starts or last > ends):
        raise ValidationError(
            f"В журнале этого года есть уроки с {_d(first)} по {_d(last)}: "
            "учебный год должен их включать."
        )
    before, after = audit.changes(year, {"name": name, "starts_on": starts, "ends_on": ends})
    if after:
        year.name, year.starts_on, year.ends_on = name, starts, ends
        session.add(year)
        session.flush()
        _record(session, actor, AuditEntity.ACADEMIC_YEAR, year.id, before=before, after=after)
    return _year_row(year)


def set_current_year(session: Session, *, actor: Actor | None, year_id: Any) -> YearRow:
    """Make `year_id` the school's one current year (the one the journal and lists use)."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    year = _year(session, actor, year_id)
    if year.is_current:
        return _year_row(year)
    for other in session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
        )
    ):
        _record(
            session,
            actor,
            AuditEntity.ACADEMIC_YEAR,
            other.id,
            before={"is_current": True},
            after={"is_current": False},
        )
        other.is_current = False
        session.add(other)
    session.flush()
    _record(
        session,
        actor,
        AuditEntity.ACADEMIC_YEAR,
        year.id,
        before={"is_current": False},
        after={"is_current": True},
    )
    year.is_current = True
    session.add(year)
    session.flush()
    return _year_row(year)


# --------------------------------------------------------------------------- periods


def standard_periods(year: AcademicYear) -> list[Period]:
    """The demo seed's calendar laid over the year's own first and last day: four quarters
    for grades 1–9, two half-years for 10–11 and the year for all (not yet added)."""
    spec = build_year(year.starts_on.year)
    rows: list[Period] = []
    for p in spec.periods:
        starts = year.starts_on if p.starts_on == spec.starts_on else p.starts_on
        ends = year.ends_on if p.ends_on == spec.ends_on else p.ends_on
        rows.append(
            Period(
                year_id=year.id or 0,
                kind=str(p.kind),
                number=p.number,
                name=p.name,
                starts_on=starts,
                ends_on=ends,
                grade_from=p.grade_from,
                grade_to=p.grade_to,
            )
        )
    return rows


def _check_periods(year: AcademicYear, periods: Sequence[Period]) -> None:
    """Each period inside the year, not ending before it starts; periods of one kind
    whose grades meet follow each other without overlapping, in their numbers' order."""
    for p in periods:
        if p.ends_on < p.starts_on:
            raise ValidationError(
                f"«{p.name}»: окончание {_d(p.ends_on)} раньше начала {_d(p.starts_on)}."
            )
        if p.starts_on < year.starts_on or p.ends_on > year.ends_on:
            raise ValidationError(
                f"«{p.name}» ({_d(p.starts_on)}–{_d(p.ends_on)}) выходит за учебный год "
                f"{year.name} ({_d(year.starts_on)}–{_d(year.ends_on)})."
            )
    for a in periods:
        for b in periods:
            if a is b or a.kind != b.kind or a.number >= b.number:
                continue
            if a.grade_to < b.grade_from or b.grade_to < a.grade_from:
                continue
            if a.ends_on >= b.starts_on:
                raise ValidationError(
                    f"«{a.name}» ({_d(a.starts_on)}–{_d(a.ends_on)}) должна закончиться до "
                    f"начала «{b.name}» ({_d(b.starts_on)})."
                )


def fill_standard_periods(session: Session, *, actor: Actor | None, year_id: Any) -> int:
    """Lay out the standard periods of a year that has none; returns how many were added."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    year = _year(session, actor, year_id)
    assert year.id is not None
    if _periods(session, year.id):
        raise ValidationError(f"Периоды {year.name} уже заданы: измените их даты в таблице.")
    periods = standard_periods(year)
    _check_periods(year, periods)
    for p in periods:
        session.add(p)
    session.flush()
    audit.record_many(
        session,
        actor_id=actor.user_id or None,
        entries=[
            audit.Entry(
                AuditAction.CALENDAR_UPDATE,
                AuditEntity.PERIOD,
                p.id,
                after=audit.snapshot(p, PERIOD_FIELDS),
                reason="стандартные четверти и полугодия",
            )
            for p in periods
        ],
    )
    return len(periods)


def update_period_dates(
    session: Session,
    *,
    actor: Actor | None,
    year_id: Any,
    dates: Mapping[int, tuple[Any, Any]],
    loaded: Mapping[int, tuple[Any, Any]] | None = None,
) -> int:
    """Save the period table: period id → (start, end), all or nothing. `loaded` holds the
    dates the form showed: a period someone else re-dated since is refused by name.
    Returns how many periods changed."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    year = _year(session, actor, year_id)
    assert year.id is not None
    periods = _periods(session, year.id)
    by_id = {p.id: p for p in periods}
    new: dict[int, tuple[dt.date, dt.date]] = {}
    for raw_id, (raw_start, raw_end) in dates.items():
        period = by_id.get(_int(raw_id))
        if period is None or period.id is None:
            raise NotFound("Период не найден: обновите страницу.")
        new[period.id] = (
            _date(raw_start, f"начало «{period.name}»"),
            _date(raw_end, f"окончание «{period.name}»"),
        )
        if loaded is not None and period.id in loaded:
            was = loaded[period.id]
            shown = (
                _date(was[0], f"начало «{period.name}»"),
                _date(was[1], f"окончание «{period.name}»"),
            )
            stored = (period.starts_on, period.ends_on)
            if shown != stored and new[period.id] != stored:
                raise ConflictError(
                    f"Даты «{period.name}» изменил другой пользователь "
                    f"(сейчас {_d(stored[0])}–{_d(stored[1])}). Обновите страницу и "
                    "проверьте даты."
                )
    proposed = [
        Period(
            id=p.id,
            year_id=p.year_id,
            kind=p.kind,
            number=p.number,
            name=p.name,
            starts_on=new[p.id][0] if p.id in new else p.starts_on,
            ends_on=new[p.id][1] if p.id in new else p.ends_on,
            grade_from=p.grade_from,
            grade_to=p.grade_to,
        )
        for p in periods
    ]
    _check_periods(year, proposed)
    entries: list[audit.Entry] = []
    for p in periods:
        if p.id not in new:
            continue
        starts, ends = new[p.id]
        before, after = audit.changes(p, {"starts_on": starts, "ends_on": ends})
        if not after:
            continue
        p.starts_on, p.ends_on = starts, ends
        session.add(p)
        entries.append(
            audit.Entry(AuditAction.CALENDAR_UPDATE, AuditEntity.PERIOD, p.id, before, after)
        )
    session.flush()
    audit.record_many(session, actor_id=actor.user_id or None, entries=entries)
    return len(entries)


# --------------------------------------------------------------------------- holidays


def add_holiday(
    session: Session,
    *,
    actor: Actor | None,
    year_id: Any,
    name: Any,
    starts_on: Any,
    ends_on: Any,
    grade_from: Any = 1,
    grade_to: Any = 11,
) -> HolidayRow:
    """Holidays (or a day off) inside the year, for all grades or a range of them."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    year = _year(session, actor, year_id)
    title = clean(name)
    if not title:
        raise ValidationError("Укажите название каникул (например, «Осенние каникулы»).")
    if len(title) > HOLIDAY_NAME_MAX:
        raise ValidationError(f"Название каникул — не длиннее {HOLIDAY_NAME_MAX} знаков.")
    starts = _date(starts_on, "первый день каникул")
    ends = _date(ends_on, "последний день каникул")
    if ends < starts:
        raise ValidationError(f"Последний день каникул {_d(ends)} раньше первого {_d(starts)}.")
    if starts < year.starts_on or ends > year.ends_on:
        raise ValidationError(
            f"Каникулы {_d(starts)}–{_d(ends)} выходят за учебный год {year.name} "
            f"({_d(year.starts_on)}–{_d(year.ends_on)})."
        )
    low = _grade(grade_from, "Классы «с»")
    high = _grade(grade_to, "Классы «по»")
    if low > high:
        raise ValidationError(f"Классы «с» ({low}) больше, чем «по» ({high}).")
    twin = session.exec(
        select(Holiday.id).where(
            Holiday.year_id == year.id,
            Holiday.starts_on == starts,
            Holiday.ends_on == ends,
            Holiday.grade_from == low,
            Holiday.grade_to == high,
        )
    ).first()
    if twin is not None:
        raise ValidationError(f"Каникулы {_d(starts)}–{_d(ends)} для этих классов уже есть.")
    holiday = Holiday(
        year_id=year.id or 0,
        name=title,
        starts_on=starts,
        ends_on=ends,
        grade_from=low,
        grade_to=high,
    )
    session.add(holiday)
    session.flush()
    _record(
        session,
        actor,
        AuditEntity.HOLIDAY,
        holiday.id,
        after=audit.snapshot(holiday, HOLIDAY_FIELDS),
    )
    return HolidayRow(holiday.id or 0, title, starts, ends, low, high, grades_text(low, high))


def remove_holiday(session: Session, *, actor: Actor | None, holiday_id: Any) -> None:
    """Remove holidays of the actor's school."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    holiday = session.get(Holiday, _int(holiday_id) or 0)
    if holiday is None:
        raise NotFound("Каникулы не найдены: обновите страницу.")
    _year(session, actor, holiday.year_id)
    _record(
        session,
        actor,
        AuditEntity.HOLIDAY,
        holiday.id,
        before=audit.snapshot(holiday, HOLIDAY_FIELDS),
    )
    session.delete(holiday)
    session.flush()


# --------------------------------------------------------------------------- week and bells


def set_days_per_week(session: Session, *, actor: Actor | None, days: Any) -> int:
    """The school week: 5 (Monday–Friday) or 6 (Monday–Saturday) days."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    value = _int(days)
    if value not in (5, 6):
        raise ValidationError("Учебная неделя — 5 или 6 дней.")
    school = _school(session, actor)
    before, after = audit.changes(school, {"days_per_week": value})
    if after:
        school.days_per_week = value
        session.add(school)
        session.flush()
        _record(session, actor, AuditEntity.SCHOOL, school.id, before=before, after=after)
    return value


def _bells(session: Session, school_id: int) -> list[BellSlot]:
    return list(
        session.exec(
            select(BellSlot).where(BellSlot.school_id == school_id).order_by(col(BellSlot.number))
        ).all()
    )


def parse_bells(rows: Sequence[tuple[Any, Any]]) -> list[tuple[dt.time, dt.time]]:
    """Lessons 1..N as (start, end) from typed rows; blank rows at the end are dropped.
    Each lesson ends after it starts and starts no earlier than the previous one ends."""
    typed = [(clean(a), clean(b)) for a, b in rows]
    while typed and typed[-1] == ("", ""):
        typed.pop()
    if len(typed) > MAX_LESSONS:
        raise ValidationError(f"Уроков в расписании звонков — не больше {MAX_LESSONS}.")
    found: list[tuple[dt.time, dt.time]] = []
    for number, (a, b) in enumerate(typed, start=1):
        if not a or not b:
            raise ValidationError(f"Урок {number}: укажите время начала и окончания.")
        starts, ends = parse_time(a), parse_time(b)
        for text, value in ((a, starts), (b, ends)):
            if value is None:
                raise ValidationError(
                    f"Урок {number}: «{text}» — не время (пишите, например, 08:30)."
                )
        assert starts is not None and ends is not None
        if ends <= starts:
            raise ValidationError(
                f"Урок {number}: окончание {time_text(ends)} не позже начала {time_text(starts)}."
            )
        if found and starts < found[-1][1]:
            raise ValidationError(
                f"Урок {number} начинается в {time_text(starts)}, раньше конца урока "
                f"{number - 1} ({time_text(found[-1][1])})."
            )
        found.append((starts, ends))
    return found


def _check_timetable_fits(session: Session, school_id: int, lessons: int) -> None:
    """A shorter schedule must not drop a lesson number the running timetable uses."""
    used = session.exec(
        select(func.max(TimetableSlot.number))
        .join(TeachingAssignment, col(TeachingAssignment.id) == col(TimetableSlot.assignment_id))
        .join(ClassGroup, col(ClassGroup.id) == col(TeachingAssignment.class_id))
        .where(ClassGroup.school_id == school_id, col(TimetableSlot.valid_to).is_(None))
    ).one()
    if used is not None and used > lessons:
        raise ValidationError(
            f"В расписании уроков есть {used}-й урок, а в расписании звонков уроков "
            f"{lessons}: сначала уберите эти уроки из расписания."
        )


def set_bell_schedule(
    session: Session,
    *,
    actor: Actor | None,
    rows: Sequence[tuple[Any, Any]],
    loaded: Sequence[tuple[Any, Any]] | None = None,
) -> int:
    """Replace the bell schedule with lessons 1..N (start, end as «08:30»). `loaded` is the
    schedule the form showed: when someone saved another one since, nothing is written.
    Returns the number of lessons."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    wanted = parse_bells(rows)
    _check_timetable_fits(session, actor.school_id, len(wanted))
    stored = _bells(session, actor.school_id)
    if loaded is not None:
        shown = parse_bells(loaded)
        if shown != [(b.starts_at, b.ends_at) for b in stored]:
            raise ConflictError(
                "Расписание звонков только что сохранил другой пользователь. Обновите "
                "страницу, проверьте его и сохраните снова."
            )
    by_number = {b.number: b for b in stored}
    entries: list[audit.Entry] = []
    for number, (starts, ends) in enumerate(wanted, start=1):
        slot = by_number.pop(number, None)
        if slot is None:
            slot = BellSlot(
                school_id=actor.school_id, number=number, starts_at=starts, ends_at=ends
            )
            session.add(slot)
            session.flush()
            entries.append(
                audit.Entry(
                    AuditAction.CALENDAR_UPDATE,
                    AuditEntity.BELL_SLOT,
                    slot.id,
                    after=audit.snapshot(slot, BELL_FIELDS),
                )
            )
            continue
        before, after = audit.changes(slot, {"starts_at": starts, "ends_at": ends})
        if after:
            slot.starts_at, slot.ends_at = starts, ends
            session.add(slot)
            entries.append(
                audit.Entry(
                    AuditAction.CALENDAR_UPDATE,
                    AuditEntity.BELL_SLOT,
                    slot.id,
                    {"number": number, **before},
                    {"number": number, **after},
                )
            )
    for slot in by_number.values():
        entries.append(
            audit.Entry(
                AuditAction.CALENDAR_UPDATE,
                AuditEntity.BELL_SLOT,
                slot.id,
                before=audit.snapshot(slot, BELL_FIELDS),
            )
        )
        session.delete(slot)
    session.flush()
    audit.record_many(session, actor_id=actor.user_id or None, entries=entries)
    return len(wanted)


# --------------------------------------------------------------------------- classes


def _staff(session: Session, actor: Actor, staff_id: Any) -> Staff | None:
    """The chosen class teacher (None, 0 or '' for nobody): an active staff member of
    the actor's school."""
    if staff_id in (None, "", 0, "0"):
        return None
    staff = session.get(Staff, _int(staff_id) or 0)
    if staff is None or not staff.is_active:
        raise NotFound("Сотрудник не найден: обновите страницу.")
    if staff.school_id != actor.school_id:
        raise PermissionDenied()
    return staff


def _room(value: Any) -> str:
    room = clean(value)
    if len(room) > ROOM_MAX:
        raise ValidationError(f"Кабинет — не длиннее {ROOM_MAX} знаков.")
    return room


def _set_teacher(session: Session, actor: Actor, group: ClassGroup, staff: Staff | None) -> None:
    """Make `staff` (None: nobody) the class teacher of `group`. A staff member with an
    account gets the class-teacher role for this class (and a previous one loses it), as
    the users page does; one without an account is only named on the class."""
    assert group.id is not None
    grants = session.exec(
        select(RoleGrant).where(
            RoleGrant.role == Role.CLASS_TEACHER.value, RoleGrant.class_id == group.id
        )
    ).all()
    if staff is not None and staff.user_id is not None:
        if not any(g.user_id == staff.user_id for g in grants):
            # The users page's own rule (private there; SETTINGS_MANAGE was checked here):
            # revokes another's grant, grants, names the class teacher and audits.
            users._set_class_teacher(
                session, actor=actor, user_id=staff.user_id, staff=staff, class_id=group.id
            )
            session.flush()
            session.refresh(group)
            return
    for grant in grants:
        if staff is None or grant.user_id != staff.user_id:
            users._revoke(session, actor=actor, grant=grant)
    session.refresh(group)
    new_id = staff.id if staff is not None else None
    before, after = audit.changes(group, {"class_teacher_id": new_id})
    if after:
        group.class_teacher_id = new_id
        session.add(group)
        session.flush()
        _record(session, actor, AuditEntity.CLASS_GROUP, group.id, before=before, after=after)


def add_class(
    session: Session,
    *,
    actor: Actor | None,
    year_id: Any,
    name: Any,
    class_teacher_id: Any = None,
    room: Any = "",
) -> ClassRow:
    """A class of the year from its name as schools write it («5А», «5 А», «5-А»,
    «5 «А»»), with an optional class teacher and room."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    year = _year(session, actor, year_id)
    raw = clean(name)
    if not raw:
        raise ValidationError("Укажите класс, например «5А».")
    parsed = parse_class(raw)
    if parsed is None:
        raise ValidationError(
            f"Класс «{raw}» не распознан: пишите параллель от 1 до 11 и букву, например «5А»."
        )
    grade, letter = parsed
    if not letter:
        raise ValidationError(f"Укажите букву класса: «{grade}А», «{grade}Б»…")
    if len(letter) > LETTER_MAX:
        raise ValidationError("Буква класса слишком длинная.")
    exists = session.exec(
        select(ClassGroup.id).where(
            ClassGroup.year_id == year.id, ClassGroup.grade == grade, ClassGroup.letter == letter
        )
    ).first()
    if exists is not None:
        raise ValidationError(f"Класс {class_name(grade, letter)} в {year.name} уже есть.")
    staff = _staff(session, actor, class_teacher_id)
    group = ClassGroup(
        school_id=actor.school_id,
        year_id=year.id or 0,
        grade=grade,
        letter=letter,
        room=_room(room),
    )
    session.add(group)
    session.flush()
    _record(
        session, actor, AuditEntity.CLASS_GROUP, group.id, after=audit.snapshot(group, CLASS_FIELDS)
    )
    if staff is not None:
        _set_teacher(session, actor, group, staff)
    return _class_row(session, group)


def _class_row(session: Session, group: ClassGroup) -> ClassRow:
    assert group.id is not None
    teacher = session.get(Staff, group.class_teacher_id) if group.class_teacher_id else None
    students = session.exec(
        select(func.count()).where(Student.class_id == group.id, col(Student.is_active).is_(True))
    ).one()
    return ClassRow(
        group.id,
        class_name(group.grade, group.letter),
        group.grade,
        group.letter,
        group.class_teacher_id,
        person_full(teacher),
        group.room,
        students,
        _class_use(session, group.id),
    )


def update_class(
    session: Session,
    *,
    actor: Actor | None,
    class_id: Any,
    class_teacher_id: Any,
    room: Any,
) -> ClassRow:
    """Set a class's class teacher (None/0: nobody) and room."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    group = _class(session, actor, class_id)
    staff = _staff(session, actor, class_teacher_id)
    new_room = _room(room)
    if group.class_teacher_id != (staff.id if staff is not None else None):
        _set_teacher(session, actor, group, staff)
    before, after = audit.changes(group, {"room": new_room})
    if after:
        group.room = new_room
        session.add(group)
        session.flush()
        _record(session, actor, AuditEntity.CLASS_GROUP, group.id, before=before, after=after)
    return _class_row(session, group)


def remove_class(session: Session, *, actor: Actor | None, class_id: Any) -> str:
    """Remove a class nothing uses yet (no students, enrolments, assignments, subgroups or
    announcements); its class-teacher role goes with it. Returns its name."""
    actor = _allow(session, actor)
    lock_school(session, actor.school_id)
    group = _class(session, actor, class_id)
    assert group.id is not None
    label = class_name(group.grade, group.letter)
    why = _class_use(session, group.id)
    if why:
        raise ValidationError(f"Класс {label} нельзя удалить: {why}.")
    for grant in session.exec(select(RoleGrant).where(RoleGrant.class_id == group.id)).all():
        users._revoke(session, actor=actor, grant=grant)
    session.refresh(group)
    _record(
        session,
        actor,
        AuditEntity.CLASS_GROUP,
        group.id,
        before=audit.snapshot(group, CLASS_FIELDS),
    )
    session.delete(group)
    session.flush()
    return label
