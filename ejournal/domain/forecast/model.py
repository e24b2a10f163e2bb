"""The period-mark model: multinomial logistic regression (scikit-learn) over `features.py`.

Why this model: a few thousand student × subject × period rows a year, sixteen features that
mostly move the mark one way (the average, the last marks, the share of «2»): a regularised
linear model on standardised features gives calibrated probabilities out of the box, trains
in well under a second and cannot memorise a small school. `training_rows()` makes one row
per closed case and cut-off (2, 4 and 6 weeks in), so one model serves any day of a period.

`trained()` keeps the fitted model (and its backtest) per process, keyed by the school and a
fingerprint of its data, so training happens once until the data change.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ejournal.domain.forecast.features import (
    CLASSES,
    WEEKS,
    Case,
    HistorySummary,
    Rounding,
    base_features,
    class_means,
    cutoff_for,
)

Probabilities = tuple[float, float, float, float]

#: Fewest training rows with at least two different period marks before the model is fitted.
MIN_TRAINING_ROWS = 20
#: At most this many closed cases train one model (an even spread of them): sixteen weights
#: need no more, and the backtest fits one model per closed period.
MAX_TRAINING_CASES = 12_000


@dataclass(frozen=True)
class MarkModel:
    """A fitted model, or (too little data) the marks' frequencies in the training rows."""

    pipeline: Pipeline | None
    prior: Probabilities
    rows: int

    @property
    def fitted(self) -> bool:
        return self.pipeline is not None

    def predict(self, rows: Sequence[Sequence[float]]) -> list[Probabilities]:
        """P(2), P(3), P(4), P(5) for each feature row."""
        if not rows:
            return []
        if self.pipeline is None:
            return [self.prior for _ in rows]
        raw = self.pipeline.predict_proba(np.asarray(rows, dtype=float))
        learned = [int(c) for c in self.pipeline.classes_]
        out: list[Probabilities] = []
        for p in raw:
            full = dict.fromkeys(CLASSES, 0.0)
            for c, v in zip(learned, p, strict=True):
                full[c] = float(v)
            out.append((full[2], full[3], full[4], full[5]))
        return out


def fit_model(x: Sequence[Sequence[float]], y: Sequence[int]) -> MarkModel:
    """Fit the model on feature rows `x` and period marks `y` (2–5)."""
    counts = [sum(1 for v in y if v == c) for c in CLASSES]
    total = sum(counts)
    prior: Probabilities = (
        (counts[0] / total, counts[1] / total, counts[2] / total, counts[3] / total)
        if total
        else (0.05, 0.35, 0.4, 0.2)
    )
    if total < MIN_TRAINING_ROWS or sum(1 for c in counts if c) < 2:
        return MarkModel(None, prior, total)
    # Newton-CG converges in about ten steps here (L-BFGS needs a hundred and, with a
    # multithreaded BLAS, spends them waiting on threads: one thread is faster).
    pipeline = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=1.0, solver="newton-cg", tol=1e-3, max_iter=500),
    )
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(np.asarray(x, dtype=float), np.asarray(y, dtype=int))
    return MarkModel(pipeline, prior, total)


def period_cutoffs(cases: Iterable[Case], weeks: int) -> dict[Hashable, dt.date]:
    """period → the day `weeks` weeks into it."""
    out: dict[Hashable, dt.date] = {}
    for c in cases:
        if c.period not in out:
            out[c.period] = cutoff_for(c, weeks)
    return out


#: (id of a case, cut-off) → its base features, and (id of a case, None) → its history
#: summed up: reused across the backtest's folds.
Memo = dict[Hashable, Any]


def feature_rows(
    cases: Sequence[Case],
    cutoff_of: dict[Hashable, dt.date],
    rounding: Rounding,
    *,
    hidden: frozenset[Hashable] = frozenset(),
    group_cases: Sequence[Case] | None = None,
    memo: Memo | None = None,
    means: dict[Hashable, float] | None = None,
) -> list[list[float]]:
    """The feature rows of `cases`, each at its period's cut-off (class means over
    `group_cases`, default the cases themselves, unless `means` gives them by (group,
    subject, period)). `memo` keeps the base features of a case between calls with other
    `hidden` periods (the cases must outlive it)."""
    memo = {} if memo is None else memo
    rows: list[list[float]] = []
    for c in cases:
        cutoff = cutoff_of[c.period]
        key = (id(c), cutoff)
        base = memo.get(key)
        if base is None:
            if means is None:
                means = class_means(group_cases if group_cases is not None else cases, cutoff_of)
            base = memo[key] = base_features(
                c, cutoff, class_mean=means.get((c.group, c.subject, c.period)), rounding=rounding
            )
        summary = memo.get((id(c), None))
        if summary is None:
            summary = memo[(id(c), None)] = HistorySummary.of(c, memo)
        rows.append(base + summary.features(base[0], hidden))
    return rows


def training_rows(
    cases: Sequence[Case],
    rounding: Rounding,
    *,
    hidden: frozenset[Hashable] = frozenset(),
    weeks: Sequence[int] = WEEKS,
    memo: Memo | None = None,
) -> tuple[list[list[float]], list[int]]:
    """One row per closed case (outcome set, period not `hidden`) and cut-off before its end."""
    closed = [c for c in cases if c.outcome is not None and c.period not in hidden]
    if len(closed) > MAX_TRAINING_CASES:
        step = len(closed) / MAX_TRAINING_CASES
        picked = [closed[int(i * step)] for i in range(MAX_TRAINING_CASES)]
    else:
        picked = closed
    x: list[list[float]] = []
    y: list[int] = []
    for w in weeks:
        cutoff_of = period_cutoffs(closed, w)
        usable = [c for c in picked if cutoff_of[c.period] < c.ends_on]
        x += feature_rows(usable, cutoff_of, rounding, hidden=hidden, group_cases=closed, memo=memo)
        y += [int(c.outcome or 0) for c in usable]
    return x, y


def train(
    cases: Sequence[Case],
    rounding: Rounding,
    *,
    hidden: frozenset[Hashable] = frozenset(),
    memo: Memo | None = None,
) -> MarkModel:
    """The model trained on every closed case not in a `hidden` period."""
    x, y = training_rows(cases, rounding, hidden=hidden, memo=memo)
    return fit_model(x, y)


# --------------------------------------------------------------------------- the cache

T = TypeVar("T")

_cache: dict[Hashable, tuple[Hashable, Any]] = {}
_lock = threading.Lock()


def trained(key: Hashable, fingerprint: Hashable, build: Callable[[], T]) -> T:
    """`build()`'s result, kept per process under `key` until `fingerprint` changes."""
    with _lock:
        found = _cache.get(key)
        if found is not None and found[0] == fingerprint:
            return found[1]
        value = build()
        _cache[key] = (fingerprint, value)
        return value


_checked: dict[Hashable, tuple[float, Hashable]] = {}


def recent_fingerprint(key: Hashable, compute: Callable[[], Hashable], max_age: float) -> Hashable:
    """`compute()`, reused for `max_age` seconds per `key`: a page of forecasts does not
    query the fingerprint on every call (new data reach the model within `max_age`)."""
    now = time.monotonic()
    with _lock:
        found = _checked.get(key)
        if found is not None and now - found[0] < max_age:
            return found[1]
    value = compute()
    with _lock:
        _checked[key] = (now, value)
    return value


#: What the students of a class share on a day (class means, lessons left), newest last.
_shared: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
#: At most this many (school, period, class, day) entries are kept.
SHARED_ENTRIES = 256


def shared(key: Hashable, fingerprint: Hashable, build: Callable[[], T]) -> T:
    """`build()`'s result, kept under `key` (the least recently used of `SHARED_ENTRIES`
    dropped) until `fingerprint` — the model's data fingerprint — changes."""
    with _lock:
        found = _shared.get(key)
        if found is not None and found[0] == fingerprint:
            _shared.move_to_end(key)
            return found[1]
    value = build()
    with _lock:
        _shared[key] = (fingerprint, value)
        _shared.move_to_end(key)
        while len(_shared) > SHARED_ENTRIES:
            _shared.popitem(last=False)
    return value


def forget() -> None:
    """Drop every cached model, fingerprint and class share (tests, or after a restore)."""
    with _lock:
        _cache.clear()
        _checked.clear()
        _shared.clear()


__all__ = [
    "MAX_TRAINING_CASES",
    "MIN_TRAINING_ROWS",
    "MarkModel",
    "Memo",
    "Probabilities",
    "feature_rows",
    "fit_model",
    "forget",
    "period_cutoffs",
    "recent_fingerprint",
    "shared",
    "train",
    "trained",
    "training_rows",
]
