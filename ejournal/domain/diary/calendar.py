"""Calendar facts the diary pages need: a child's marking periods, the school's time zone.

The marks page and the printable extract pick one of the periods; like every diary service
`child_periods()` starts with `load_child()`, so another family's child is refused before
anything is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.diary.child import load_child
from ejournal.domain.models import Period, PeriodKind, School
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today

DEFAULT_TIMEZONE = "Europe/Moscow"

#: Periods with current marks to show: terms first, then the whole year.
DIARY_KINDS = (PeriodKind.QUARTER.value, PeriodKind.HALF_YEAR.value, PeriodKind.YEAR.value)


@dataclass(frozen=True)
class PeriodChoice:
    period_id: int
    name: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    is_current: bool


@read_only
def child_periods(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    today: dt.date | None = None,
) -> list[PeriodChoice]:
    """The child's terms in date order, then the year; the term holding today is current.

    Between terms (holidays) the term that ended last is current, so the page opens on
    the marks a family most likely wants.
    """
    ctx = load_child(session, actor, student_id)
    group = ctx.class_group
    if group is None:
        return []
    today = school_today(ctx.school, today)
    rows = session.exec(
        select(Period)
        .where(
            Period.year_id == group.year_id,
            col(Period.kind).in_(DIARY_KINDS),
            Period.grade_from <= group.grade,
            Period.grade_to >= group.grade,
        )
        .order_by(col(Period.kind) == PeriodKind.YEAR.value, col(Period.starts_on))
    ).all()
    terms = [p for p in rows if p.kind != PeriodKind.YEAR.value]
    current = next((p for p in terms if p.starts_on <= today <= p.ends_on), None)
    if current is None:
        started = [p for p in terms if p.starts_on <= today]
        current = started[-1] if started else (terms[0] if terms else None)
    return [
        PeriodChoice(
            period_id=p.id or 0,
            name=p.name,
            kind=p.kind,
            starts_on=p.starts_on,
            ends_on=p.ends_on,
            is_current=current is not None and p.id == current.id,
        )
        for p in rows
    ]


@read_only
def school_timezone(session: Session, *, actor: Actor | None) -> str:
    """The IANA time zone of the actor's school (times in the diary are shown in it)."""
    school = None if actor is None else session.get(School, actor.school_id)
    return DEFAULT_TIMEZONE if school is None else school.timezone


def today_in(zone: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in time zone `zone` (an unknown zone: the default one).

    "This week" and "today" follow the school's clock, not the server's: at 01:00 in
    Vladivostok the server in UTC still lives the day before.
    """
    try:
        tz = ZoneInfo(zone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(DEFAULT_TIMEZONE)
    at = now if now is not None else dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(tz).date()


@dataclass(frozen=True)
class SchoolCalendar:
    """The actor's school's clock and week: what staff pages need to label a week."""

    timezone: str
    days_per_week: int
    today: dt.date


@read_only
def school_calendar(
    session: Session, *, actor: Actor | None, now: dt.datetime | None = None
) -> SchoolCalendar:
    """The school's time zone, school days per week (5 or 6) and today's date there."""
    school = None if actor is None else session.get(School, actor.school_id)
    zone = DEFAULT_TIMEZONE if school is None else school.timezone
    days = 5 if school is None else school.days_per_week
    return SchoolCalendar(zone, days, today_in(zone, now))


__all__ = [
    "PeriodChoice",
    "SchoolCalendar",
    "child_periods",
    "school_calendar",
    "school_timezone",
    "today_in",
]


def last_finished_week(today: dt.date, days_per_week: int) -> dt.date:
    """The Monday of the last school week that has ended by `today`.

    «Ознакомление» opens there: on a Monday (or mid-week) the current week is only begun
    and would show «0 из 23»; after Friday of a five-day school that week is finished.
    """
    monday = today - dt.timedelta(days=today.weekday())
    last_school_day = monday + dt.timedelta(days=days_per_week - 1)
    return monday if today > last_school_day else monday - dt.timedelta(days=7)
