"""What a forecast may know about a student × subject × period on a cut-off day.

Pure: a `Case` is plain rows (marks with their days and weights, absences, lesson days, the
КТП's control works, earlier period marks), built from the database (`history.py`) or from a
school's CSV archive (`archive.py`); `case_features()` turns it into numbers using only what
was known by the cut-off day — a mark of a later lesson, or one entered later, is not seen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The mark values a period mark can take, in the order of every probability vector.
CLASSES: tuple[int, ...] = (2, 3, 4, 5)

#: The cut-offs the backtest looks from: this many weeks into the period.
WEEKS: tuple[int, ...] = (2, 4, 6)


@dataclass(frozen=True)
class MarkPoint:
    """One current mark: the lesson's day, the value 1–5, its weight, whether it is a control
    work, and the day it was entered (None: the lesson's day)."""

    day: dt.date
    value: int
    weight: float = 1.0
    is_control: bool = False
    entered: dt.date | None = None

    @property
    def known_on(self) -> dt.date:
        """The first day a forecast may see the mark."""
        return self.day if self.entered is None or self.entered < self.day else self.entered


@dataclass(frozen=True)
class PeriodOutcome:
    """An earlier period mark of the student: in which period, subject, when it ended, value."""

    period: Hashable
    subject: Hashable
    ended_on: dt.date
    value: int


@dataclass(frozen=True)
class Case:
    """One student × subject × period, with everything that happened in it.

    `group` is the set of students compared (the class; in a CSV archive the subject's
    students of the period). `outcome` is the period mark set (None while open).
    """

    student: Hashable
    subject: Hashable
    period: Hashable
    group: Hashable
    starts_on: dt.date
    ends_on: dt.date
    marks: tuple[MarkPoint, ...] = ()
    lesson_days: tuple[dt.date, ...] = ()  # the lessons the student could attend, sorted
    absences: tuple[tuple[dt.date, bool], ...] = ()  # (day, excused)
    control_planned: tuple[dt.date, ...] = ()  # the КТП's control works of the page
    history: tuple[PeriodOutcome, ...] = ()  # the student's period marks (all subjects)
    outcome: int | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Marks in lesson order once, so no feature sorts them again.
        if any(a.day > b.day for a, b in zip(self.marks, self.marks[1:], strict=False)):
            object.__setattr__(self, "marks", tuple(sorted(self.marks, key=lambda m: m.day)))


def cutoff_for(case: Case, weeks: int) -> dt.date:
    """The day `weeks` weeks into the period (its last day at most)."""
    return min(case.ends_on, case.starts_on + dt.timedelta(days=7 * weeks - 1))


def weeks_bucket(starts_on: dt.date, on: dt.date) -> int:
    """The backtest's bucket nearest to the day: 2, 4 or 6 weeks into the period."""
    weeks = ((on - starts_on).days + 1) / 7
    return 2 if weeks < 3 else 4 if weeks < 5 else 6


def known_marks(case: Case, cutoff: dt.date) -> list[MarkPoint]:
    """The period's marks known by the end of `cutoff`, in lesson order."""
    first = case.starts_on
    last = min(case.ends_on, cutoff)
    return [
        m
        for m in case.marks
        if first <= m.day <= last and (m.entered is None or m.entered <= cutoff)
    ]


def weighted_mean(marks: Sequence[MarkPoint]) -> float | None:
    weights = sum(m.weight for m in marks)
    if weights <= 0:
        return None
    return sum(m.value * m.weight for m in marks) / weights


def earlier(case: Case, hidden: frozenset[Hashable] = frozenset()) -> list[PeriodOutcome]:
    """The student's period marks of periods ended before this one began (none of `hidden`)."""
    return sorted(
        (h for h in case.history if h.ended_on < case.starts_on and h.period not in hidden),
        key=lambda h: h.ended_on,
    )


def last_period_mark(case: Case, hidden: frozenset[Hashable] = frozenset()) -> int | None:
    """The student's mark in this subject for the latest earlier period (None: none)."""
    own = [h for h in earlier(case, hidden) if h.subject == case.subject]
    return own[-1].value if own else None


FEATURE_NAMES: tuple[str, ...] = (
    "average",  # weighted average so far (the class mean when no marks yet)
    "has_marks",
    "marks_count",
    "last_three",  # mean of the last three marks
    "share_of_twos",  # marks 1–2
    "trend",  # second half of the marks minus the first half
    "control_average",  # mean of control works so far (the average when none)
    "controls_ahead",  # control works the КТП still plans after the cut-off
    "unexcused_share",
    "excused_share",
    "class_mean",  # the mean of the group's averages so far
    "above_class",  # average − class mean
    "elapsed",  # share of the period's days passed
    "suggested",  # the mark the average rounds to under the school's thresholds
    "last_period",  # the subject's previous period mark (the average when none)
    "history_mean",  # the mean of all earlier period marks (the average when none)
    "has_history",
)

#: The average assumed with no marks at all and no class to compare with.
NO_MARKS_AVERAGE = 3.8


@dataclass(frozen=True)
class Rounding:
    """The school's thresholds as floats (grading.Thresholds is Decimal)."""

    to_5: float = 4.5
    to_4: float = 3.5
    to_3: float = 2.5

    def mark(self, avg: float | None) -> int | None:
        if avg is None:
            return None
        # The journal rounds the average to hundredths half-up before comparing.
        avg = round(avg + 1e-9, 2)
        return 5 if avg >= self.to_5 else 4 if avg >= self.to_4 else 3 if avg >= self.to_3 else 2


def class_means(cases: Iterable[Case], cutoff_of: dict[Hashable, dt.date]) -> dict[Hashable, float]:
    """(group, subject, period) → the mean of the students' averages by the period's cut-off."""
    sums: dict[Hashable, list[float]] = defaultdict(list)
    for c in cases:
        cutoff = cutoff_of.get(c.period)
        if cutoff is None:
            continue
        avg = weighted_mean(known_marks(c, cutoff))
        if avg is not None:
            sums[(c.group, c.subject, c.period)].append(avg)
    return {k: sum(v) / len(v) for k, v in sums.items()}


def _count_upto(days: Sequence[dt.date], first: dt.date, last: dt.date) -> int:
    return sum(1 for d in days if first <= d <= last)


def base_features(
    case: Case, cutoff: dt.date, *, class_mean: float | None, rounding: Rounding
) -> list[float]:
    """The features of `case` by the end of `cutoff` that do not look at earlier periods."""
    marks = known_marks(case, cutoff)
    avg = weighted_mean(marks)
    mean = class_mean if class_mean is not None else avg
    average = avg if avg is not None else mean if mean is not None else NO_MARKS_AVERAGE
    if mean is None:
        mean = average
    values = [m.value for m in marks]
    last_three = sum(values[-3:]) / len(values[-3:]) if values else average
    twos = sum(1 for v in values if v <= 2) / len(values) if values else 0.0
    if len(values) >= 2:
        half = len(values) // 2
        trend = sum(values[half:]) / len(values[half:]) - sum(values[:half]) / half
    else:
        trend = 0.0
    controls = [m.value for m in marks if m.is_control]
    control_average = sum(controls) / len(controls) if controls else average
    ahead = sum(1 for d in case.control_planned if cutoff < d <= case.ends_on)
    lessons = _count_upto(case.lesson_days, case.starts_on, cutoff)
    unexcused = sum(1 for d, ex in case.absences if not ex and case.starts_on <= d <= cutoff)
    excused = sum(1 for d, ex in case.absences if ex and case.starts_on <= d <= cutoff)
    length = (case.ends_on - case.starts_on).days + 1
    elapsed = min(1.0, max(0.0, ((cutoff - case.starts_on).days + 1) / max(1, length)))
    return [
        average,
        1.0 if avg is not None else 0.0,
        float(len(values)),
        last_three,
        twos,
        trend,
        control_average,
        float(ahead),
        unexcused / lessons if lessons else 0.0,
        excused / lessons if lessons else 0.0,
        mean,
        average - mean,
        elapsed,
        float(rounding.mark(average) or 3),
    ]


@dataclass(frozen=True)
class HistorySummary:
    """A case's earlier period marks summed up, so hiding one period costs O(1)."""

    total: int
    count: int
    by_period: dict[Hashable, tuple[int, int]]  # period → (Σ values, how many)
    own: tuple[PeriodOutcome, ...]  # the subject's, latest last

    @classmethod
    def of(cls, case: Case, memo: dict[Hashable, Any] | None = None) -> HistorySummary:
        """`case`'s summary; `memo` shares the student's part between their subjects."""
        key = ("history", id(case.history), case.starts_on)
        student = None if memo is None else memo.get(key)
        if student is None:
            past = [h for h in case.history if h.ended_on < case.starts_on]
            by_period: dict[Hashable, tuple[int, int]] = {}
            own_by: dict[Hashable, list[PeriodOutcome]] = {}
            for h in past:
                t, n = by_period.get(h.period, (0, 0))
                by_period[h.period] = (t + h.value, n + 1)
                own_by.setdefault(h.subject, []).append(h)
            own_sorted = {k: tuple(sorted(v, key=lambda h: h.ended_on)) for k, v in own_by.items()}
            student = (sum(h.value for h in past), len(past), by_period, own_sorted)
            if memo is not None:
                memo[key] = student
        total, count, by_period, own_sorted = student
        return cls(total, count, by_period, own_sorted.get(case.subject, ()))

    def features(self, average: float, hidden: frozenset[Hashable]) -> list[float]:
        total, count = self.total, self.count
        for p in hidden:
            t, n = self.by_period.get(p, (0, 0))
            total -= t
            count -= n
        own = next((h for h in reversed(self.own) if h.period not in hidden), None)
        return [
            float(own.value) if own is not None else average,
            total / count if count else average,
            1.0 if count else 0.0,
        ]


def history_features(
    case: Case, average: float, *, hidden: frozenset[Hashable] = frozenset()
) -> list[float]:
    """The features from the student's earlier period marks (none of a `hidden` period)."""
    return HistorySummary.of(case).features(average, hidden)


def case_features(
    case: Case,
    cutoff: dt.date,
    *,
    class_mean: float | None,
    rounding: Rounding,
    hidden: frozenset[Hashable] = frozenset(),
) -> list[float]:
    """The numbers of `FEATURE_NAMES` for `case` as known by the end of `cutoff`.

    Nothing after the cut-off is read: marks of later lessons or entered later, absences
    after it; the КТП counts only works planned after it; earlier periods only those ended
    before the period began and not `hidden` (the backtest hides the period it predicts).
    """
    base = base_features(case, cutoff, class_mean=class_mean, rounding=rounding)
    return base + history_features(case, base[0], hidden=hidden)


__all__ = [
    "CLASSES",
    "FEATURE_NAMES",
    "NO_MARKS_AVERAGE",
    "WEEKS",
    "Case",
    "HistorySummary",
    "MarkPoint",
    "PeriodOutcome",
    "Rounding",
    "base_features",
    "case_features",
    "class_means",
    "cutoff_for",
    "earlier",
    "history_features",
    "known_marks",
    "last_period_mark",
    "weeks_bucket",
    "weighted_mean",
]
