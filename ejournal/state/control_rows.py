"""What the control page (``/dashboard``) sends to the browser: its rows as TypedDicts.

Figures travel as ready Russian text («83 %», «+4 п.п.»); the raw counts stay in the
reports and their exports.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypedDict

from ejournal.domain.control import Column, Finding


class Option(TypedDict):
    value: str
    label: str


class TileRow(TypedDict):
    """A headline figure with its change against the previous month or period."""

    key: str
    title: str
    value: str  # «83 %»
    delta: str  # «+4 п.п. к октябрю», "" when there is nothing to compare
    trend: str  # "up", "down", "same" or ""
    definition: str  # «как считается»
    counts: str  # the raw counts behind the share


class RuleRow(TypedDict):
    """A checklist rule with how many findings it has (or a teacher's / class's group)."""

    key: str
    title: str
    clause: str
    description: str
    count: int


class FindingRow(TypedDict):
    index: int
    key: str  # the index as text (a form field's value)
    rule: str
    rule_title: str
    text: str
    teacher: str
    teacher_id: int
    class_name: str
    subject: str
    student: str  # the student the finding is about ("" for a lesson or a page)
    day: str
    link: str


class ForecastRow(TypedDict):
    """A class's успеваемость and качество now and forecast for the end of the term."""

    class_name: str
    students: int
    progress_now: str
    progress: str  # «87 % (80–93 %)»
    quality_now: str
    quality: str


def _range(mid: float, low: float, high: float) -> str:
    return f"{share_text(mid)} ({round(100 * low)}–{round(100 * high)} %)"


def forecast_row(f: Any) -> ForecastRow:
    return {
        "class_name": f.class_name,
        "students": f.students,
        "progress_now": share_text(f.progress_now),
        "progress": _range(f.progress, f.progress_low, f.progress_high),
        "quality_now": share_text(f.quality_now),
        "quality": _range(f.quality, f.quality_low, f.quality_high),
    }


class ColumnRow(TypedDict):
    key: str
    title: str
    numeric: bool
    definition: str


def option_list(pairs: list[tuple[str, str]]) -> list[Option]:
    return [{"value": v, "label": label} for v, label in pairs]


def day_text(day: dt.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day is not None else ""


def finding_row(i: int, f: Finding, rule_title: str) -> FindingRow:
    return {
        "index": i,
        "key": str(i),
        "rule": f.rule,
        "rule_title": rule_title,
        "text": f.text,
        "teacher": f.teacher,
        "teacher_id": f.teacher_id or 0,
        "class_name": f.class_name,
        "subject": f.subject,
        "student": str(f.extra.get("student") or ""),
        "day": day_text(f.day),
        "link": f.link,
    }


def share_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{round(100 * value):d} %".replace("-", "−")


def cell_text(column: Column, value: Any) -> str:
    """A report cell as the page shows it (exports keep the raw value)."""
    if value is None or value == "":
        return "—"
    if column.kind == "share":
        return share_text(float(value))
    if column.kind == "decimal":
        return f"{Decimal(str(value)):.2f}".replace(".", ",")
    if column.kind == "date" and isinstance(value, dt.date):
        return day_text(value)
    if column.kind == "datetime" and isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    return str(value)


def column_row(c: Column) -> ColumnRow:
    return {
        "key": c.key,
        "title": c.title,
        "numeric": c.kind in ("int", "share", "decimal"),
        "definition": c.definition,
    }
