"""The family's marks page for one period: a compact table first, the details on tap.

Per subject the child's marks, the weighted average and the period mark: the final one
once the period is over and its marks are published, the suggested one while the period
runs. A closed period never offers «Сейчас выходит» or «Что нужно» — nothing can change
there any more. Abbreviations of work types used in the marks come with their full names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    SubjectSummary,
    child_period,
    load_child,
    period_marks_for,
    published_on,
    subject_marks,
)
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today


@dataclass(frozen=True)
class WorkTypeNote:
    """An abbreviation used in the marks and what it stands for: «Изл.» — «Изложение»."""

    abbreviation: str
    name: str


@dataclass(frozen=True)
class MarksPage:
    period_id: int
    period_name: str
    starts_on: dt.date
    ends_on: dt.date
    closed: bool  # the period is over: its marks no longer change
    published: bool  # its period marks are visible to the family
    publish_on: dt.date  # the first day they are
    subjects: list[SubjectSummary]
    finals: dict[int, str]  # subject id → the published period mark («5», «не аттестован»)
    work_types: list[WorkTypeNote]


@read_only
def marks_page(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    period_id: int,
    today: dt.date | None = None,
) -> MarksPage:
    """The child's marks in a period with the period marks and the abbreviations' names."""
    ctx = load_child(session, actor, student_id)
    period = child_period(session, ctx, period_id)
    today = school_today(ctx.school, today)
    subjects = subject_marks(session, actor=actor, student_id=student_id, period_id=period_id)
    published = next(
        (p for p in period_marks_for(session, ctx, today) if p.period_id == period.id), None
    )
    finals = {} if published is None else {m.subject_id: m.label for m in published.marks}
    notes: dict[str, str] = {}
    for s in subjects:
        for m in s.marks:
            if m.work_type_abbreviation and m.work_type_abbreviation not in notes:
                notes[m.work_type_abbreviation] = m.work_type_name
    return MarksPage(
        period_id=period.id or 0,
        period_name=period.name,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        closed=period.ends_on < today,
        published=published is not None,
        publish_on=published_on(period, ctx.school),
        subjects=subjects,
        finals=finals,
        work_types=[WorkTypeNote(a, n) for a, n in sorted(notes.items())],
    )


__all__ = ["MarksPage", "WorkTypeNote", "marks_page"]
