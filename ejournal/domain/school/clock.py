"""The school's clock: its «today» and local dates, in the school's own time zone.

The one home of that rule. Stored instants are UTC; a naive datetime is read as UTC
(that is how the database keeps them); a plain date is already the school's date.
The server's own clock and time zone never decide what «today» is for a school.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Zoned(Protocol):
    """Anything with the school's IANA time zone (School)."""

    timezone: str


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def school_today(school: Zoned, now: dt.datetime | dt.date | None = None) -> dt.date:
    """Today's date at the school: `now` (default: this moment) in the school's zone."""
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if isinstance(now, dt.datetime):
        return _aware(now).astimezone(ZoneInfo(school.timezone)).date()
    return now


def local_date(school: Zoned, at: dt.datetime) -> dt.date:
    """The school's date of the instant `at`."""
    return _aware(at).astimezone(ZoneInfo(school.timezone)).date()


def local_day_bounds(
    school: Zoned, first: dt.date, last: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants [start of `first`, start of the day after `last`) in the school's zone."""
    zone = ZoneInfo(school.timezone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end.astimezone(dt.UTC)
