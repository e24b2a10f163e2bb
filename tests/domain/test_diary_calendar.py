"""The school's clock: "today" and "this week" follow the school's time zone and week."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from ejournal.domain.diary.calendar import school_calendar, today_in
from tests.domain.diary_factories import World, build_world

# 21:30 UTC on Sunday 22 November: already Monday in Moscow and Vladivostok.
LATE_SUNDAY_UTC = dt.datetime(2026, 11, 22, 21, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Kaliningrad", dt.date(2026, 11, 22)),
        ("Europe/Moscow", dt.date(2026, 11, 23)),
        ("Asia/Vladivostok", dt.date(2026, 11, 23)),
    ],
)
def test_today_is_the_date_on_the_schools_clock(zone: str, day: dt.date) -> None:
    """The same instant is a different date in different zones."""
    assert today_in(zone, LATE_SUNDAY_UTC) == day


def test_an_unknown_zone_falls_back_to_moscow() -> None:
    """A mistyped zone does not break the diary: Moscow time is used."""
    assert today_in("Mars/Olympus", LATE_SUNDAY_UTC) == today_in("Europe/Moscow", LATE_SUNDAY_UTC)


@pytest.mark.db
def test_the_calendar_carries_the_schools_zone_and_week(session: Session) -> None:
    """A six-day school in Vladivostok: its zone, six days, and its own today."""
    world: World = build_world(session)
    world.school.timezone = "Asia/Vladivostok"
    world.school.days_per_week = 6
    session.add(world.school)
    session.flush()
    cal = school_calendar(session, actor=world.deputy.actor, now=LATE_SUNDAY_UTC)
    assert (cal.timezone, cal.days_per_week, cal.today) == (
        "Asia/Vladivostok",
        6,
        dt.date(2026, 11, 23),
    )
