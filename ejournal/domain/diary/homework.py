"""Homework on the day it is due: which lesson a homework is for, and «на завтра».

A lesson's homework is due on `Lesson.homework_due_on` when the teacher picked a day;
otherwise at the next lesson of the same teaching assignment (the subject for that class or
subgroup) on a later day; when that lesson is not created yet, at the next slot of the
timetable that is not a holiday. Families read homework on the day they must have it
done, with «задано на уроке 27.11» as a detail.

Every lookup here is a fixed number of queries for a whole date range (a week, a period),
never one per lesson.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    WEEKDAY_NAMES,
    ChildContext,
    ChildRef,
    child_assignments,
    holiday_name,
    holidays_for,
    load_child,
)
from ejournal.domain.models import Holiday, Lesson, Subject, TimetableSlot
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today

#: How far back a homework without a chosen day is looked for: its next lesson may follow
#: after the holidays (autumn and winter breaks are under three weeks).
LOOKBACK_DAYS = 45
#: How far ahead the timetable is searched for the next lesson of a homework.
HORIZON_DAYS = 60


def safe_links(text: str) -> list[str]:
    """The homework's links, one a line, keeping only http(s) URLs (no javascript: …)."""
    links = []
    for line in text.splitlines():
        url = line.strip()
        if url.lower().startswith(("http://", "https://")) and " " not in url:
            links.append(url)
    return links


def has_homework(lesson: Lesson) -> bool:
    """The lesson has homework written down (text or links), not only «не задано»."""
    return bool(lesson.homework.strip() or safe_links(lesson.homework_links))


@dataclass(frozen=True)
class DueHomework:
    """A lesson's homework and the day it is due (None: no next lesson is known)."""

    set_lesson_id: int
    assignment_id: int
    subject_id: int
    subject_name: str
    set_on: dt.date
    due_on: dt.date | None
    text: str
    links: list[str]
    none: bool  # the teacher said «не задано»
    explicit: bool  # the teacher picked the day

    @property
    def origin(self) -> str:
        """«задано на уроке 27.11»."""
        return f"задано на уроке {self.set_on:%d.%m}"


def _bearing(session: Session, ids: Collection[int], where: object) -> list[Lesson]:
    """Lessons of `ids` with homework or «не задано» matching `where`, not cancelled."""
    if not ids:
        return []
    return list(
        session.exec(
            select(Lesson)
            .where(
                col(Lesson.assignment_id).in_(list(ids)),
                col(Lesson.cancelled).is_(False),
                or_(
                    col(Lesson.homework) != "",
                    col(Lesson.homework_links) != "",
                    col(Lesson.homework_none).is_(True),
                ),
                where,  # type: ignore[arg-type]
            )
            .order_by(col(Lesson.date), col(Lesson.number))
        ).all()
    )


def _slot_days(
    slots: Iterable[TimetableSlot],
) -> dict[int, list[TimetableSlot]]:
    by_assignment: dict[int, list[TimetableSlot]] = defaultdict(list)
    for s in slots:
        by_assignment[s.assignment_id].append(s)
    return by_assignment


def _next_slot(
    slots: Sequence[TimetableSlot],
    after: dt.date,
    days_per_week: int,
    holidays: Sequence[Holiday],
) -> dt.date | None:
    """The first school day after `after` with a valid timetable slot among `slots`."""
    for i in range(1, HORIZON_DAYS + 1):
        day = after + dt.timedelta(days=i)
        weekday = day.isoweekday()
        if weekday > days_per_week or holiday_name(holidays, day) is not None:
            continue
        if any(
            s.weekday == weekday
            and s.valid_from <= day
            and (s.valid_to is None or day <= s.valid_to)
            for s in slots
        ):
            return day
    return None


def resolve_due(
    session: Session,
    ctx: ChildContext,
    lessons: Sequence[Lesson],
    *,
    subject_names: Mapping[int, tuple[int, str]],
    holidays: Sequence[Holiday],
    up_to: dt.date,
) -> dict[int, DueHomework]:
    """The due day of each lesson's homework, by lesson id (three queries in all).

    `subject_names` maps an assignment id to (subject id, subject name); `up_to` is the
    last day the caller shows (lessons after it are only looked up by their first day).
    """
    derived = [x for x in lessons if x.homework_due_on is None]
    ids = sorted({x.assignment_id for x in derived})
    dates: dict[int, list[dt.date]] = defaultdict(list)
    after_range: dict[int, dt.date] = {}
    slots: dict[int, list[TimetableSlot]] = {}
    if derived:
        low = min(x.date for x in derived)
        for assignment_id, day in session.exec(
            select(col(Lesson.assignment_id), col(Lesson.date))
            .where(
                col(Lesson.assignment_id).in_(ids),
                col(Lesson.cancelled).is_(False),
                Lesson.date > low,
                Lesson.date <= up_to,
            )
            .distinct()
            .order_by(col(Lesson.assignment_id), col(Lesson.date))
        ).all():
            dates[assignment_id].append(day)
        for assignment_id, first in session.exec(
            select(Lesson.assignment_id, func.min(Lesson.date))
            .where(
                col(Lesson.assignment_id).in_(ids),
                col(Lesson.cancelled).is_(False),
                Lesson.date > up_to,
            )
            .group_by(col(Lesson.assignment_id))
        ).all():
            after_range[assignment_id] = first
        slots = _slot_days(
            session.exec(
                select(TimetableSlot).where(col(TimetableSlot.assignment_id).in_(ids))
            ).all()
        )

    result: dict[int, DueHomework] = {}
    for lesson in lessons:
        assert lesson.id is not None
        due = lesson.homework_due_on
        if due is None:
            known = dates.get(lesson.assignment_id, [])
            at = bisect.bisect_right(known, lesson.date)
            if at < len(known):
                due = known[at]
            elif lesson.assignment_id in after_range:
                due = after_range[lesson.assignment_id]
            else:
                due = _next_slot(
                    slots.get(lesson.assignment_id, []),
                    lesson.date,
                    ctx.school.days_per_week,
                    holidays,
                )
        subject_id, subject_name = subject_names.get(lesson.assignment_id, (0, ""))
        result[lesson.id] = DueHomework(
            set_lesson_id=lesson.id,
            assignment_id=lesson.assignment_id,
            subject_id=subject_id,
            subject_name=subject_name,
            set_on=lesson.date,
            due_on=due,
            text=lesson.homework.strip(),
            links=safe_links(lesson.homework_links),
            none=lesson.homework_none and not has_homework(lesson),
            explicit=lesson.homework_due_on is not None,
        )
    return result


def subject_names_of(session: Session, ctx: ChildContext) -> dict[int, tuple[int, str]]:
    """The child's assignments: assignment id → (subject id, subject name)."""
    assignments = child_assignments(session, ctx)
    names = {
        s.id: s.name
        for s in session.exec(
            select(Subject).where(col(Subject.id).in_({a.subject_id for a in assignments} or {-1}))
        ).all()
    }
    return {a.id: (a.subject_id, names.get(a.subject_id, "")) for a in assignments if a.id}


def homework_around(
    session: Session,
    ctx: ChildContext,
    start: dt.date,
    end: dt.date,
    *,
    subject_names: Mapping[int, tuple[int, str]],
    holidays: Sequence[Holiday],
) -> list[DueHomework]:
    """Homework set or due in [start, end]: set there (any due day) or due there.

    Homework without a chosen day set up to LOOKBACK_DAYS before `start` is included when
    its next lesson falls in the range.
    """
    ids = list(subject_names)
    candidates = _bearing(
        session,
        ids,
        or_(
            and_(
                col(Lesson.date) >= start - dt.timedelta(days=LOOKBACK_DAYS),
                col(Lesson.date) <= end,
            ),
            and_(
                col(Lesson.homework_due_on).is_not(None),
                col(Lesson.homework_due_on) >= start,
                col(Lesson.homework_due_on) <= end,
            ),
        ),
    )
    resolved = resolve_due(
        session, ctx, candidates, subject_names=subject_names, holidays=holidays, up_to=end
    )
    return [
        h
        for h in resolved.values()
        if start <= h.set_on <= end or (h.due_on is not None and start <= h.due_on <= end)
    ]


def next_school_day(ctx: ChildContext, holidays: Sequence[Holiday], after: dt.date) -> dt.date:
    """The first school day after `after` (weekends and holidays skipped)."""
    day = after
    for _ in range(HORIZON_DAYS):
        day += dt.timedelta(days=1)
        if day.isoweekday() <= ctx.school.days_per_week and holiday_name(holidays, day) is None:
            return day
    return after + dt.timedelta(days=1)


@dataclass(frozen=True)
class DueDay:
    """Homework due on one day, in the order of that day's lessons («на завтра»)."""

    child: ChildRef
    date: dt.date
    weekday_name: str
    holiday: str | None
    items: list[DueHomework]


@read_only
def homework_due(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    day: dt.date | None = None,
    today: dt.date | None = None,
) -> DueDay:
    """What the child must have done for `day` (default: the next school day after today).

    Items follow the day's lessons (held or from the timetable); «не задано» items say the
    teacher set nothing for that lesson.
    """
    ctx = load_child(session, actor, student_id)
    holidays = holidays_for(session, ctx)
    today = school_today(ctx.school, today)
    day = day or next_school_day(ctx, holidays, today)
    names = subject_names_of(session, ctx)
    due = [
        h
        for h in homework_around(session, ctx, day, day, subject_names=names, holidays=holidays)
        if h.due_on == day
    ]
    order: dict[int, int] = {}
    if names:
        for assignment_id, number in session.exec(
            select(Lesson.assignment_id, Lesson.number).where(
                col(Lesson.assignment_id).in_(list(names)), Lesson.date == day
            )
        ).all():
            order[assignment_id] = min(order.get(assignment_id, number), number)
        for slot in session.exec(
            select(TimetableSlot).where(
                col(TimetableSlot.assignment_id).in_(list(names)),
                TimetableSlot.weekday == day.isoweekday(),
                TimetableSlot.valid_from <= day,
                or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= day),
            )
        ).all():
            order.setdefault(slot.assignment_id, slot.number)
    due.sort(key=lambda h: (order.get(h.assignment_id, 99), h.subject_name, h.set_on))
    return DueDay(
        child=ctx.ref,
        date=day,
        weekday_name=WEEKDAY_NAMES[day.weekday()],
        holiday=holiday_name(holidays, day),
        items=due,
    )


__all__ = [
    "HORIZON_DAYS",
    "LOOKBACK_DAYS",
    "DueDay",
    "DueHomework",
    "has_homework",
    "homework_around",
    "homework_due",
    "next_school_day",
    "resolve_due",
    "safe_links",
    "subject_names_of",
]
