"""«Что нужно, чтобы получить …»: the fewest further marks that reach a target period mark.

`plan_marks()` is the pure core (plain numbers in, a plan out); `what_do_i_need()` reads
the child's marks, the lessons left in the period by the timetable and the КТП's planned
heavier works, then asks the core. A plan is checked with the very functions that
compute the journal's average and suggested mark (`grading`), so "reaches" means what the
teacher will see.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    PERIOD_IN_THIS,
    child_assignments,
    child_period,
    holiday_name,
    holidays_for,
    load_child,
)
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.grading import Thresholds, weighted_average
from ejournal.domain.models import (
    Holiday,
    Lesson,
    Mark,
    PeriodKind,
    Subject,
    ThematicPlanItem,
    TimetableSlot,
    WorkType,
)
from ejournal.domain.numbers import decimal_text
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today

#: Above this many compositions the plan keeps the greedy (heaviest-first) choice.
MAX_COMPOSITIONS = 20_000

DEFAULT_OPTION_NAME = "ответ на уроке"


@dataclass(frozen=True)
class WorkOption:
    """A kind of mark still obtainable: its weight and how many of it the period still offers."""

    work_type_id: int | None
    name: str
    abbreviation: str
    weight: Decimal
    available: int

    @property
    def label(self) -> str:
        return self.abbreviation or self.name.lower()


@dataclass(frozen=True)
class PlanStep:
    option: WorkOption
    value: int
    count: int

    @property
    def text(self) -> str:
        return f"{self.count} × «{self.value}» за {self.option.label}"


@dataclass(frozen=True)
class Plan:
    steps: tuple[PlanStep, ...]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.steps)

    def marks(self) -> list[tuple[int, Decimal]]:
        return [(s.value, s.option.weight) for s in self.steps for _ in range(s.count)]


def reaches(
    current: Sequence[tuple[int, Decimal]],
    extra: Sequence[tuple[int, Decimal]],
    target: int,
    thresholds: Thresholds,
) -> bool:
    """True when the current marks plus `extra` give a suggested mark of at least `target`."""
    mark = thresholds.mark(weighted_average([*current, *extra]))
    return mark is not None and mark >= target


def _compositions(caps: Sequence[int], n: int) -> Iterator[tuple[int, ...]]:
    """Every way to take exactly n marks with at most caps[i] of kind i."""
    if not caps:
        if n == 0:
            yield ()
        return
    if len(caps) == 1:
        if n <= caps[0]:
            yield (n,)
        return
    for first in range(min(caps[0], n) + 1):
        for rest in _compositions(caps[1:], n - first):
            yield (first, *rest)


def _count_compositions(caps: Sequence[int], n: int) -> int:
    total = 1
    for cap in caps[:-1]:
        total *= min(cap, n) + 1
    return total


def plan_marks(
    current: Sequence[tuple[int, Decimal]],
    *,
    target: int,
    options: Sequence[WorkOption],
    lessons_left: int,
    thresholds: Thresholds,
) -> Plan | None:
    """The fewest further marks (at most one per lesson left) that reach `target`; None if none do.

    Fewest marks first; among plans with that many marks, the lowest mark that still
    suffices (all marks alike), then the lightest works (ordinary answers before control
    works). An empty plan means the target is reached already.
    """
    if reaches(current, [], target, thresholds):
        return Plan(())
    usable = [o for o in options if o.available > 0 and o.weight > 0]
    # Heaviest first: for a fixed number of fives, more weight moves the average most.
    heavy_first = sorted(usable, key=lambda o: (-o.weight, o.name))
    sequence: list[WorkOption] = []
    for option in heavy_first:
        room = lessons_left - len(sequence)
        sequence += [option] * max(0, min(option.available, room))
    fewest = next(
        (
            n
            for n in range(1, len(sequence) + 1)
            if reaches(current, [(5, o.weight) for o in sequence[:n]], target, thresholds)
        ),
        None,
    )
    if fewest is None:
        return None
    greedy = Counter(sequence[:fewest])
    # The kind with most marks available goes last so enumeration stays small.
    kinds = sorted(usable, key=lambda o: (o.available, -o.weight))
    caps = [min(o.available, lessons_left) for o in kinds]
    if _count_compositions(caps, fewest) > MAX_COMPOSITIONS:
        candidates: list[tuple[int, ...]] = [tuple(greedy.get(o, 0) for o in kinds)]
    else:
        candidates = list(_compositions(caps, fewest))
    for value in range(2, 6):
        best: tuple[Decimal, tuple[int, ...]] | None = None
        for counts in candidates:
            extra = [
                (value, o.weight) for o, c in zip(kinds, counts, strict=True) for _ in range(c)
            ]
            if not reaches(current, extra, target, thresholds):
                continue
            weight = sum((w for _, w in extra), Decimal(0))
            if best is None or weight < best[0]:
                best = (weight, counts)
        if best is not None:
            steps = tuple(
                PlanStep(option=o, value=value, count=c)
                for o, c in sorted(
                    zip(kinds, best[1], strict=True), key=lambda oc: (-oc[0].weight, oc[0].name)
                )
                if c > 0
            )
            return Plan(steps)
    raise AssertionError("the greedy plan of fives reaches the target")  # pragma: no cover


# --------------------------------------------------------------------------- the service


@dataclass(frozen=True)
class NeedResult:
    target: int
    subject_name: str
    period_name: str
    current_average: Decimal | None
    current_mark: int | None
    threshold: Decimal
    lessons_left: int
    reachable: bool
    already_reached: bool
    steps: list[PlanStep]
    total_marks: int
    resulting_average: Decimal | None
    message: str


def remaining_lessons(
    session: Session,
    *,
    assignment_ids: Sequence[int],
    first: dt.date,
    last: dt.date,
    days_per_week: int,
    holidays: Sequence[Holiday],
) -> int:
    """Lessons of the assignments from `first` to `last` by the timetable, minus holidays.

    Lessons already created count once with their slot; a cancelled lesson removes its slot;
    an extra lesson outside the timetable counts too.
    """
    if first > last or not assignment_ids:
        return 0
    slots = session.exec(
        select(TimetableSlot).where(
            col(TimetableSlot.assignment_id).in_(assignment_ids),
            TimetableSlot.valid_from <= last,
            or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= first),
        )
    ).all()
    existing = session.exec(
        select(Lesson).where(
            col(Lesson.assignment_id).in_(assignment_ids), Lesson.date >= first, Lesson.date <= last
        )
    ).all()
    keys: set[tuple[dt.date, int, int]] = set()
    by_weekday: dict[int, list[TimetableSlot]] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot)
    day = first
    while day <= last:
        weekday = day.isoweekday()
        if weekday <= days_per_week and holiday_name(holidays, day) is None:
            for slot in by_weekday.get(weekday, []):
                if slot.valid_from <= day and (slot.valid_to is None or day <= slot.valid_to):
                    keys.add((day, slot.number, slot.assignment_id))
        day += dt.timedelta(days=1)
    for lesson in existing:
        key = (lesson.date, lesson.number, lesson.assignment_id)
        if lesson.cancelled:
            keys.discard(key)
        else:
            keys.add(key)
    return len(keys)


@read_only
def what_do_i_need(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    subject_id: int,
    period_id: int,
    target: int,
    today: dt.date | None = None,
) -> NeedResult:
    """What further marks reach `target` as the period mark, or a plain "impossible"."""
    ctx = load_child(session, actor, student_id)
    if target not in (3, 4, 5):
        raise ValidationError("Цель — отметка 3, 4 или 5.")
    period = child_period(session, ctx, period_id)
    subject = session.get(Subject, subject_id)
    assignments = child_assignments(session, ctx, subject_id=subject_id)
    if subject is None or not assignments:
        raise NotFound("Этого предмета нет в расписании ученика.")
    if not subject.marked:
        raise ValidationError("По этому предмету отметки не ставятся.")
    school = ctx.school
    today = school_today(school, today)
    ids = [a.id for a in assignments if a.id is not None]
    thresholds = Thresholds.of(school)

    current = [
        (m.value, m.weight)
        for m in session.exec(
            select(Mark)
            .join(Lesson, col(Lesson.id) == Mark.lesson_id)
            .where(
                Mark.student_id == student_id,
                col(Lesson.assignment_id).in_(ids),
                Lesson.date >= period.starts_on,
                Lesson.date <= period.ends_on,
                col(Lesson.cancelled).is_(False),
            )
        ).all()
    ]
    # Lessons from tomorrow on: today's lesson may already be over.
    first = max(today + dt.timedelta(days=1), period.starts_on)
    lessons_left = remaining_lessons(
        session,
        assignment_ids=ids,
        first=first,
        last=period.ends_on,
        days_per_week=school.days_per_week,
        holidays=holidays_for(session, ctx),
    )

    work_types = session.exec(
        select(WorkType)
        .where(WorkType.school_id == school.id)
        .order_by(col(WorkType.sort_order), col(WorkType.id))
    ).all()
    default = next(
        (w for w in work_types if w.weight == Decimal(1) and not w.is_control),
        None,
    )
    default_weight = Decimal(1) if default is None else default.weight
    planned = Counter(
        session.exec(
            select(ThematicPlanItem.work_type_id).where(
                col(ThematicPlanItem.assignment_id).in_(ids),
                col(ThematicPlanItem.work_type_id).is_not(None),
                col(ThematicPlanItem.planned_on) >= first,
                col(ThematicPlanItem.planned_on) <= period.ends_on,
            )
        ).all()
    )
    options = [
        WorkOption(
            work_type_id=None if default is None else default.id,
            name=DEFAULT_OPTION_NAME if default is None else default.name,
            abbreviation="" if default is None else default.abbreviation,
            weight=default_weight,
            available=lessons_left,
        )
    ]
    # A heavier work counts only when the КТП plans one in the rest of the period.
    for w in work_types:
        if w.weight > default_weight and planned.get(w.id, 0) > 0:
            options.append(
                WorkOption(w.id, w.name, w.abbreviation, w.weight, available=planned[w.id or 0])
            )

    average = weighted_average(current)
    plan = plan_marks(
        current, target=target, options=options, lessons_left=lessons_left, thresholds=thresholds
    )
    where = PERIOD_IN_THIS.get(PeriodKind(period.kind), "в этом периоде")
    if plan is None:
        if lessons_left == 0:
            message = f"Невозможно {where}: уроков по расписанию не осталось."
        else:
            message = (
                f"Невозможно {where}: даже «5» на всех оставшихся уроках ({lessons_left})"
                f" не дадут «{target}»."
            )
        resulting = None
    elif not plan.steps:
        message = f"Цель уже достигнута: средний балл {decimal_text(average)} даёт «{target}»."
        resulting = average
    else:
        resulting = weighted_average([*current, *plan.marks()])
        message = "Нужно ещё: " + " и ".join(s.text for s in plan.steps)
        message += "" if message.endswith(".") else "."
    return NeedResult(
        target=target,
        subject_name=subject.name,
        period_name=period.name,
        current_average=average,
        current_mark=thresholds.mark(average),
        threshold=thresholds.threshold(target),
        lessons_left=lessons_left,
        reachable=plan is not None,
        already_reached=plan is not None and not plan.steps,
        steps=[] if plan is None else list(plan.steps),
        total_marks=0 if plan is None else plan.total,
        resulting_average=resulting,
        message=message,
    )


__all__ = [
    "NeedResult",
    "Plan",
    "PlanStep",
    "Thresholds",
    "WorkOption",
    "plan_marks",
    "reaches",
    "remaining_lessons",
    "what_do_i_need",
]


__all__ = [
    "DEFAULT_OPTION_NAME",
    "MAX_COMPOSITIONS",
    "NeedResult",
    "Plan",
    "PlanStep",
    "WorkOption",
    "plan_marks",
    "reaches",
    "remaining_lessons",
    "what_do_i_need",
]
