"""The academic year: periods, holidays and school days (Russian school calendar)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ejournal.domain.models import PeriodKind


@dataclass(frozen=True)
class PeriodSpec:
    kind: str
    number: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int
    grade_to: int


@dataclass(frozen=True)
class HolidaySpec:
    name: str
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int = 1
    grade_to: int = 11


@dataclass(frozen=True)
class SchoolYear:
    start_year: int
    starts_on: dt.date
    ends_on: dt.date
    periods: tuple[PeriodSpec, ...]
    holidays: tuple[HolidaySpec, ...]

    @property
    def name(self) -> str:
        return f"{self.start_year}/{self.start_year + 1}"

    def is_school_day(self, day: dt.date, grade: int, days_per_week: int = 5) -> bool:
        """A weekday of the school week that no holiday of `grade` covers."""
        if day < self.starts_on or day > self.ends_on or day.isoweekday() > days_per_week:
            return False
        return not any(
            h.starts_on <= day <= h.ends_on and h.grade_from <= grade <= h.grade_to
            for h in self.holidays
        )

    def school_days(self, grade: int, until: dt.date | None = None) -> list[dt.date]:
        last = min(until or self.ends_on, self.ends_on)
        days: list[dt.date] = []
        day = self.starts_on
        while day <= last:
            if self.is_school_day(day, grade):
                days.append(day)
            day += dt.timedelta(days=1)
        return days


def start_year_for(today: dt.date) -> int:
    """The year of the 1 September that opens the academic year containing `today`."""
    return today.year if today.month >= 9 else today.year - 1


def _weekday_on_or_before(day: dt.date, weekday: int) -> dt.date:
    return day - dt.timedelta(days=(day.isoweekday() - weekday) % 7)


def build_year(start_year: int) -> SchoolYear:
    """Quarters for grades 1–9, half-years for 10–11, the year; holidays as schools set them."""
    y, n = start_year, start_year + 1
    d = dt.date
    autumn = HolidaySpec("Осенние каникулы", d(y, 10, 26), d(y, 11, 3))
    winter = HolidaySpec("Зимние каникулы", d(y, 12, 29), d(n, 1, 11))
    february = HolidaySpec("Дополнительные каникулы для 1 классов", d(n, 2, 16), d(n, 2, 22), 1, 1)
    spring = HolidaySpec("Весенние каникулы", d(n, 3, 23), d(n, 3, 31))
    public = (
        HolidaySpec("День народного единства", d(y, 11, 4), d(y, 11, 4)),
        HolidaySpec("День защитника Отечества", d(n, 2, 23), d(n, 2, 23)),
        HolidaySpec("Международный женский день", d(n, 3, 8), d(n, 3, 9)),
        HolidaySpec("Праздник Весны и Труда", d(n, 5, 1), d(n, 5, 1)),
        HolidaySpec("День Победы", d(n, 5, 9), d(n, 5, 11)),
    )
    starts = d(y, 9, 1)
    ends = _weekday_on_or_before(d(n, 5, 26), 5)
    q = PeriodKind.QUARTER
    periods = (
        PeriodSpec(q, 1, "1 четверть", starts, d(y, 10, 25), 1, 9),
        PeriodSpec(q, 2, "2 четверть", d(y, 11, 5), d(y, 12, 28), 1, 9),
        PeriodSpec(q, 3, "3 четверть", d(n, 1, 12), d(n, 3, 22), 1, 9),
        PeriodSpec(q, 4, "4 четверть", d(n, 4, 1), ends, 1, 9),
        PeriodSpec(PeriodKind.HALF_YEAR, 1, "1 полугодие", starts, d(y, 12, 28), 10, 11),
        PeriodSpec(PeriodKind.HALF_YEAR, 2, "2 полугодие", d(n, 1, 12), ends, 10, 11),
        PeriodSpec(PeriodKind.YEAR, 1, "Год", starts, ends, 1, 11),
    )
    return SchoolYear(y, starts, ends, periods, (autumn, winter, february, spring, *public))
