"""The shapes every control figure shares: the window a report covers, a report as a table
of typed columns with their Russian definitions («как считается»), and a checklist finding.

Pure data: the checklist (`checklist.py`), the reports (`reports.py`), the exports
(`export.py`), the CLI and the dashboard all speak these.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session

from ejournal.domain.errors import DomainError, NotFound
from ejournal.domain.models import AcademicYear, Period

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip

#: How a column's values are typed (exports write numbers as numbers, shares as percents).
Kind = Literal["text", "int", "share", "decimal", "date", "datetime"]


@dataclass(frozen=True)
class Column:
    """One column of a report: the row key, its Russian header, its kind and, for a figure,
    how it is counted (shown beside it as «как считается»)."""

    key: str
    title: str
    kind: Kind = "text"
    definition: str = ""


@dataclass(frozen=True)
class Window:
    """The days a report covers: a calendar month or a period (четверть, полугодие, год).
    `on` is the report day: who counts as a class's student and what «so far» means."""

    starts_on: dt.date
    ends_on: dt.date
    label: str  # «ноябрь 2026», «2 четверть 2026/2027»
    on: dt.date
    period_id: int | None = None
    month: str | None = None  # "YYYY-MM"

    @property
    def last_day(self) -> dt.date:
        """The last day whose lessons count: the window's end or the report day if earlier."""
        return min(self.ends_on, self.on)


@dataclass(frozen=True)
class Report:
    """A report: a title, the window, typed columns and rows (dicts keyed by column keys,
    plus the ids of what each row describes: class_id, subject_id, teacher_id, student_id,
    period_id where they apply)."""

    name: str  # fill, checklist, progress, attendance, participation, objectivity, ktp
    title: str
    window: Window
    school_name: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    notes: tuple[str, ...] = ()

    def definitions(self) -> list[tuple[str, str]]:
        """(header, how it is counted) for every column that has a definition."""
        return [(c.title, c.definition) for c in self.columns if c.definition]


@dataclass(frozen=True)
class Finding:
    """One thing the checklist found: which rule, the regulation clause, who and what it is
    about, a Russian sentence, and the journal page (with the cell or lesson) to fix it on."""

    rule: str
    text: str
    teacher_id: int | None = None
    teacher: str = ""
    class_id: int | None = None
    class_name: str = ""
    subject_id: int | None = None
    subject: str = ""
    student_id: int | None = None
    lesson_id: int | None = None
    assignment_id: int | None = None
    period_id: int | None = None
    day: dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def link(self) -> str:
        """The journal page of the finding: ``/journal?a=&p=[&l=][&s=]`` ('' without one)."""
        if self.assignment_id is None or self.period_id is None:
            return ""
        url = f"/journal?a={self.assignment_id}&p={self.period_id}"
        if self.lesson_id is not None:
            url += f"&l={self.lesson_id}"
        if self.student_id is not None:
            url += f"&s={self.student_id}"
        return url


def month_window(session: Session, school_id: int, month: str, *, on: dt.date) -> Window:
    """The window of calendar month "YYYY-MM" (Russian error for a malformed one)."""
    try:
        year_s, month_s = month.split("-")
        year, number = int(year_s), int(month_s)
        first = dt.date(year, number, 1)
    except ValueError:
        raise DomainError("Месяц указывается как ГГГГ-ММ, например 2026-11.") from None
    last = dt.date(year, number, calendar.monthrange(year, number)[1])
    return Window(first, last, f"{MONTHS[number - 1]} {year}", on, month=f"{year:04d}-{number:02d}")


def period_window(session: Session, school_id: int, period_id: int, *, on: dt.date) -> Window:
    """The window of a period of the school (NotFound for another school's period)."""
    row = session.get(Period, period_id)
    year = session.get(AcademicYear, row.year_id) if row is not None else None
    if row is None or year is None or year.school_id != school_id:
        raise NotFound("Период не найден.")
    return Window(row.starts_on, row.ends_on, f"{row.name} {year.name}", on, period_id=row.id)


@dataclass(frozen=True)
class Filters:
    """What the deputy narrowed the figures to (None: all)."""

    grade: int | None = None
    class_id: int | None = None
    subject_id: int | None = None
    teacher_id: int | None = None  # staff id
