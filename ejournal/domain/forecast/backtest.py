"""Honesty first: how often would the forecast have come true?

For every closed period in turn, the model is trained on the other periods (the period's own
marks hidden everywhere, also as «earlier period» features of later ones) and predicts from
what was known 2, 4 and 6 weeks into it; the two baselines predict from the same knowledge:
«the rounded current weighted average» and «last period's mark». The predictions are compared
with the period marks actually set: exact accuracy, mean absolute error, recall of «2», Brier
score and calibration (reliability bins).

The product uses the model for a weeks-in bucket only where it beats the better baseline on
exact accuracy (a tie goes to the lower Brier score); otherwise it shows that baseline and
says so (`Backtest.method_for`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from ejournal.domain.forecast.features import (
    CLASSES,
    WEEKS,
    Case,
    Rounding,
    known_marks,
    last_period_mark,
    weighted_mean,
)
from ejournal.domain.forecast.model import (
    MarkModel,
    Memo,
    Probabilities,
    feature_rows,
    period_cutoffs,
    train,
)

MODEL = "model"
AVERAGE = "average"
LAST_PERIOD = "last_period"
METHODS: tuple[str, ...] = (MODEL, AVERAGE, LAST_PERIOD)

#: How the product names each method beside a forecast.
METHOD_TITLES: dict[str, str] = {
    MODEL: "модель прогноза",
    AVERAGE: "округлённый средний балл",
    LAST_PERIOD: "отметка за прошлый период",
}

#: Fewer backtest cases than this and the accuracy is «not measured yet».
MIN_MEASURED = 20

CALIBRATION_BINS = 5


def one_hot(mark: int) -> Probabilities:
    return (
        1.0 if mark == 2 else 0.0,
        1.0 if mark == 3 else 0.0,
        1.0 if mark == 4 else 0.0,
        1.0 if mark == 5 else 0.0,
    )


def most_likely(p: Probabilities) -> int:
    """The mark with the highest probability (the lower mark on a tie)."""
    best = max(p)
    return next(c for c, v in zip(CLASSES, p, strict=True) if v == best)


def average_baseline(
    case: Case, cutoff: dt.date, rounding: Rounding, fallback: int, hidden: frozenset[Hashable]
) -> int:
    """The current weighted average rounded by the school's thresholds; without marks the
    last period's mark, else `fallback`."""
    mark = rounding.mark(weighted_mean(known_marks(case, cutoff)))
    if mark is not None:
        return mark
    last = last_period_mark(case, hidden)
    return last if last is not None else fallback


def last_period_baseline(
    case: Case, cutoff: dt.date, rounding: Rounding, fallback: int, hidden: frozenset[Hashable]
) -> int:
    """Last period's mark in the subject; without one the rounded average, else `fallback`."""
    last = last_period_mark(case, hidden)
    if last is not None:
        return last
    mark = rounding.mark(weighted_mean(known_marks(case, cutoff)))
    return mark if mark is not None else fallback


@dataclass(frozen=True)
class Bin:
    """A reliability bin: predicted probabilities in [low, high), how many, their mean,
    and how often the mark came true."""

    low: float
    high: float
    count: int
    predicted: float | None
    observed: float | None


@dataclass(frozen=True)
class Metrics:
    n: int
    exact: float | None  # share of predictions equal to the period mark
    mae: float | None  # mean |predicted − actual|
    recall_2: float | None  # of the actual «2», the share predicted «2» (None: no «2»)
    brier: float | None  # mean Σ_k (p_k − [actual = k])²
    calibration: tuple[Bin, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One backtest prediction: the case, weeks in, method, probabilities, mark, actual."""

    student: Hashable
    subject: Hashable
    period: Hashable
    weeks: int
    method: str
    probabilities: Probabilities
    mark: int
    actual: int


def metrics(outcomes: Sequence[Outcome]) -> Metrics:
    """The metrics of a set of predictions."""
    n = len(outcomes)
    if n == 0:
        return Metrics(0, None, None, None, None, ())
    exact = sum(1 for o in outcomes if o.mark == o.actual) / n
    mae = sum(abs(o.mark - o.actual) for o in outcomes) / n
    twos = [o for o in outcomes if o.actual == 2]
    recall = sum(1 for o in twos if o.mark == 2) / len(twos) if twos else None
    brier = (
        sum(
            sum(
                (p - (1.0 if c == o.actual else 0.0)) ** 2
                for c, p in zip(CLASSES, o.probabilities, strict=True)
            )
            for o in outcomes
        )
        / n
    )
    bins: list[list[tuple[float, float]]] = [[] for _ in range(CALIBRATION_BINS)]
    for o in outcomes:
        for c, p in zip(CLASSES, o.probabilities, strict=True):
            i = min(CALIBRATION_BINS - 1, int(p * CALIBRATION_BINS))
            bins[i].append((p, 1.0 if c == o.actual else 0.0))
    calibration = tuple(
        Bin(
            low=i / CALIBRATION_BINS,
            high=(i + 1) / CALIBRATION_BINS,
            count=len(b),
            predicted=sum(p for p, _ in b) / len(b) if b else None,
            observed=sum(y for _, y in b) / len(b) if b else None,
        )
        for i, b in enumerate(bins)
    )
    return Metrics(n, exact, mae, recall, brier, calibration)


def accuracy_words(m: Metrics | None) -> str:
    """«такие прогнозы сбывались в 8 случаях из 10» (or that it is not measured yet)."""
    if m is None or m.exact is None or m.n < MIN_MEASURED:
        return "точность таких прогнозов ещё не измерена: мало закрытых периодов"
    tenths = max(0, min(10, math.floor(m.exact * 10 + 0.5)))
    return f"такие прогнозы сбывались в {tenths} случаях из 10"


@dataclass(frozen=True)
class Backtest:
    """Metrics per (method, weeks in), the chosen method per weeks-in bucket, and for each
    method how the period marks fell when it said a mark (its honest probabilities)."""

    metrics: dict[tuple[str, int], Metrics]
    chosen: dict[int, str]
    # (method, weeks, predicted mark) → the shares of actual 2, 3, 4, 5
    confusion: dict[tuple[str, int, int], Probabilities] = field(default_factory=dict)
    periods: int = 0

    def method_for(self, weeks: int) -> str:
        return self.chosen.get(weeks, AVERAGE)

    def accuracy(self, weeks: int, method: str | None = None) -> Metrics | None:
        return self.metrics.get((method or self.method_for(weeks), weeks))

    def words(self, weeks: int, method: str | None = None) -> str:
        return accuracy_words(self.accuracy(weeks, method))

    def table(self) -> list[dict[str, object]]:
        """Rows (method × weeks in) for the bench and the README."""
        rows: list[dict[str, object]] = []
        for w in sorted({w for _, w in self.metrics}):
            for method in METHODS:
                m = self.metrics.get((method, w))
                if m is None:
                    continue
                rows.append(
                    {
                        "weeks": w,
                        "method": method,
                        "chosen": self.chosen.get(w) == method,
                        "n": m.n,
                        "exact": m.exact,
                        "mae": m.mae,
                        "recall_2": m.recall_2,
                        "brier": m.brier,
                    }
                )
        return rows


def choose(metrics_by: dict[tuple[str, int], Metrics], weeks: Sequence[int]) -> dict[int, str]:
    """Per bucket: the model if it beats the better baseline on exact accuracy (a tie: on
    Brier score), else that baseline."""
    chosen: dict[int, str] = {}
    for w in weeks:
        baselines = [metrics_by.get((b, w)) for b in (AVERAGE, LAST_PERIOD)]
        scored = [
            (b, m) for b, m in zip((AVERAGE, LAST_PERIOD), baselines, strict=True) if m and m.n
        ]
        if not scored:
            chosen[w] = AVERAGE
            continue
        best, bm = max(scored, key=lambda bm: (bm[1].exact or 0.0, -(bm[1].brier or 2.0)))
        mm = metrics_by.get((MODEL, w))
        if mm is None or not mm.n or mm.exact is None or bm.exact is None:
            chosen[w] = best
        elif mm.exact > bm.exact + 1e-9 or (
            abs(mm.exact - bm.exact) <= 1e-9 and (mm.brier or 2.0) < (bm.brier or 2.0)
        ):
            chosen[w] = MODEL
        else:
            chosen[w] = best
    return chosen


def _confusion(outcomes: Sequence[Outcome]) -> dict[tuple[str, int, int], Probabilities]:
    counts: dict[tuple[str, int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for o in outcomes:
        counts[(o.method, o.weeks, o.mark)][CLASSES.index(o.actual)] += 1
    out: dict[tuple[str, int, int], Probabilities] = {}
    for key, c in counts.items():
        # Add-one smoothing: a baseline never claims certainty it has not earned.
        total = sum(c) + 4
        out[key] = ((c[0] + 1) / total, (c[1] + 1) / total, (c[2] + 1) / total, (c[3] + 1) / total)
    return out


def predict_cases(
    model: MarkModel,
    cases: Sequence[Case],
    cutoff_of: dict[Hashable, dt.date],
    rounding: Rounding,
    *,
    hidden: frozenset[Hashable] = frozenset(),
    group_cases: Sequence[Case] | None = None,
    memo: Memo | None = None,
) -> dict[str, list[tuple[Probabilities, int]]]:
    """Each method's (probabilities, mark) for `cases` at their periods' cut-offs."""
    rows = feature_rows(
        cases, cutoff_of, rounding, hidden=hidden, group_cases=group_cases, memo=memo
    )
    fallback = most_likely(model.prior)
    out: dict[str, list[tuple[Probabilities, int]]] = {MODEL: [], AVERAGE: [], LAST_PERIOD: []}
    for c, p in zip(cases, model.predict(rows), strict=True):
        out[MODEL].append((p, most_likely(p)))
        cutoff = cutoff_of[c.period]
        a = average_baseline(c, cutoff, rounding, fallback, hidden)
        out[AVERAGE].append((one_hot(a), a))
        last = last_period_baseline(c, cutoff, rounding, fallback, hidden)
        out[LAST_PERIOD].append((one_hot(last), last))
    return out


def run_backtest(
    cases: Sequence[Case],
    rounding: Rounding,
    *,
    weeks: Sequence[int] = WEEKS,
    memo: Memo | None = None,
) -> tuple[Backtest, list[Outcome]]:
    """Leave one closed period out at a time; see the module docstring."""
    memo = {} if memo is None else memo
    by_period: dict[Hashable, list[Case]] = defaultdict(list)
    for c in cases:
        by_period[c.period].append(c)
    closed = [p for p, cs in by_period.items() if any(c.outcome is not None for c in cs)]
    outcomes: list[Outcome] = []
    for period in closed:
        hidden = frozenset({period})
        model = train(cases, rounding, hidden=hidden, memo=memo)
        group = by_period[period]
        test = [c for c in group if c.outcome is not None]
        for w in weeks:
            cutoff_of = period_cutoffs(test, w)
            usable = [c for c in test if cutoff_of[c.period] < c.ends_on]
            if not usable:
                continue
            predictions = predict_cases(
                model, usable, cutoff_of, rounding, hidden=hidden, group_cases=group, memo=memo
            )
            for method, pairs in predictions.items():
                for c, (p, mark) in zip(usable, pairs, strict=True):
                    outcomes.append(
                        Outcome(
                            c.student, c.subject, c.period, w, method, p, mark, int(c.outcome or 0)
                        )
                    )
    grouped: dict[tuple[str, int], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        grouped[(o.method, o.weeks)].append(o)
    metrics_by = {key: metrics(os_) for key, os_ in grouped.items()}
    return (
        Backtest(
            metrics=metrics_by,
            chosen=choose(metrics_by, weeks),
            confusion=_confusion(outcomes),
            periods=len(closed),
        ),
        outcomes,
    )


__all__ = [
    "AVERAGE",
    "LAST_PERIOD",
    "METHODS",
    "METHOD_TITLES",
    "MIN_MEASURED",
    "MODEL",
    "Backtest",
    "Bin",
    "Metrics",
    "Outcome",
    "accuracy_words",
    "average_baseline",
    "choose",
    "last_period_baseline",
    "metrics",
    "most_likely",
    "one_hot",
    "predict_cases",
    "run_backtest",
]
