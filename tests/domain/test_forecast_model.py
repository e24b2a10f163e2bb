"""The forecast's features, model and backtest on plain rows (no database)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from ejournal.domain.forecast import backtest as backtest_module
from ejournal.domain.forecast.backtest import (
    AVERAGE,
    LAST_PERIOD,
    MODEL,
    Metrics,
    accuracy_words,
    choose,
    run_backtest,
)
from ejournal.domain.forecast.features import (
    Case,
    MarkPoint,
    PeriodOutcome,
    Rounding,
    case_features,
    cutoff_for,
)
from ejournal.domain.forecast.model import training_rows
from ejournal.domain.forecast.service import consistent

D = dt.date
ROUNDING = Rounding()
PERIODS = [(f"P{n}", D(2025, 9, 1) + dt.timedelta(days=70 * n)) for n in range(5)]


def _case(marks: list[MarkPoint], *, outcome: int | None = 4, **kw: object) -> Case:
    base: dict[str, object] = {
        "student": 1,
        "subject": "maths",
        "period": "P1",
        "group": "5A",
        "starts_on": D(2026, 9, 1),
        "ends_on": D(2026, 10, 31),
        "marks": tuple(marks),
        "outcome": outcome,
    }
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


def _school(seed: int = 3, students: int = 40) -> list[Case]:
    """Five periods of eight weeks; each student has a steady level; a mark a week in the
    first six weeks scatters around it and the period mark is their rounded average."""
    rng = random.Random(seed)
    cases: list[Case] = []
    history: dict[int, list[PeriodOutcome]] = {s: [] for s in range(students)}
    levels = {s: rng.uniform(2.0, 5.0) for s in range(students)}
    for name, start in PERIODS:
        end = start + dt.timedelta(days=55)
        for s in range(students):
            marks = []
            for week in range(6):
                day = start + dt.timedelta(days=7 * week + 1)
                value = max(1, min(5, round(rng.gauss(levels[s], 0.5))))
                marks.append(MarkPoint(day, value, 1.0))
            avg = sum(m.value for m in marks) / len(marks)
            outcome = ROUNDING.mark(avg) or 2
            cases.append(
                Case(
                    student=s,
                    subject="maths",
                    period=name,
                    group="A" if s % 2 else "B",
                    starts_on=start,
                    ends_on=end,
                    marks=tuple(marks),
                    history=tuple(history[s]),
                    outcome=outcome,
                )
            )
        for c in cases[-students:]:
            history[int(str(c.student))].append(
                PeriodOutcome(c.period, c.subject, c.ends_on, int(c.outcome or 0))
            )
    # Every case sees the student's whole history; `earlier()` keeps only what had ended.
    return [Case(**{**c.__dict__, "history": tuple(history[int(str(c.student))])}) for c in cases]


def test_a_mark_after_the_cut_off_changes_no_feature() -> None:
    """Marks of later lessons, or entered after the cut-off, are not seen by the forecast."""
    cutoff = D(2026, 9, 14)
    known = [MarkPoint(D(2026, 9, 3), 3), MarkPoint(D(2026, 9, 10), 4, 2.0, True)]
    before = case_features(_case(known), cutoff, class_mean=3.5, rounding=ROUNDING)
    planted = [
        *known,
        MarkPoint(D(2026, 9, 20), 2),  # a later lesson
        MarkPoint(D(2026, 9, 12), 2, entered=D(2026, 9, 16)),  # entered after the cut-off
    ]
    after = case_features(_case(planted), cutoff, class_mean=3.5, rounding=ROUNDING)
    assert after == before
    seen = case_features(_case(planted), D(2026, 9, 20), class_mean=3.5, rounding=ROUNDING)
    assert seen[2] == 4.0  # by 20 September all four marks are known


def test_the_backtest_prediction_ignores_a_mark_planted_after_the_cut_off() -> None:
    """In the backtest a «1» planted after the 2-week cut-off leaves every prediction unchanged."""
    cases = _school(students=24)
    _, before = run_backtest(cases, ROUNDING, weeks=(2,))
    target = next(c for c in cases if c.period == "P3")
    late = cutoff_for(target, 2) + dt.timedelta(days=1)
    planted = Case(**{**target.__dict__, "marks": (*target.marks, MarkPoint(late, 1, 5.0))})
    changed = [planted if c is target else c for c in cases]
    _, after = run_backtest(changed, ROUNDING, weeks=(2,))
    mine = [o for o in before if o.student == target.student and o.period == "P3"]
    theirs = [o for o in after if o.student == target.student and o.period == "P3"]
    assert mine and [(o.method, o.probabilities) for o in mine] == [
        (o.method, o.probabilities) for o in theirs
    ]


def test_the_model_recovers_a_period_mark_that_is_a_known_function_of_the_marks() -> None:
    """Where the period mark is the rounded average of the marks, six weeks in (all marks
    known) the model gets it right at least 95 times in 100 and is never two steps off."""
    backtest, outcomes = run_backtest(_school(), ROUNDING)
    six = backtest.metrics[(MODEL, 6)]
    assert six.n == 5 * 40
    assert six.exact is not None and six.exact >= 0.95
    assert all(abs(o.mark - o.actual) <= 1 for o in outcomes if o.method == MODEL and o.weeks == 6)
    # Knowing more helps: six weeks in beats two weeks in.
    assert (backtest.metrics[(MODEL, 2)].exact or 0) <= six.exact


def test_the_backtest_never_trains_on_the_period_it_predicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each period is predicted by a model trained with that period hidden, and hidden
    periods give no training row and no «earlier period mark» feature."""
    cases = _school(students=10)
    trained_hidden: list[frozenset[object]] = []
    real_train = backtest_module.train

    def spy(*args: object, **kwargs: object) -> object:
        trained_hidden.append(kwargs["hidden"])  # type: ignore[arg-type]
        return real_train(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(backtest_module, "train", spy)
    _, outcomes = run_backtest(cases, ROUNDING, weeks=(4,))
    assert sorted(sorted(h) for h in trained_hidden) == [[p] for p, _ in PERIODS]  # type: ignore[type-var]
    assert {o.period for o in outcomes} == {p for p, _ in PERIODS}

    x, y = training_rows(cases, ROUNDING, hidden=frozenset({"P2"}), weeks=(4,))
    assert len(x) == len(y) == 4 * 10  # four periods of ten students, P2 left out
    # P3's rows do not see P2's period mark as «last period»: they see P1's.
    p3 = [c for c in cases if c.period == "P3"]
    rows = training_rows(p3, ROUNDING, hidden=frozenset({"P2"}), weeks=(4,))[0]
    p1 = {c.student: c.outcome for c in cases if c.period == "P1"}
    assert [r[14] for r in rows] == [float(p1[c.student] or 0) for c in p3]


def test_the_product_uses_the_model_only_where_it_beats_the_better_baseline() -> None:
    """Per weeks-in bucket: the model when more exact than both baselines, else the better one."""

    def m(exact: float, brier: float) -> Metrics:
        return Metrics(100, exact, 0.3, 0.5, brier)

    metrics = {
        (MODEL, 2): m(0.70, 0.40),
        (AVERAGE, 2): m(0.65, 0.70),
        (LAST_PERIOD, 2): m(0.68, 0.64),
        (MODEL, 4): m(0.79, 0.29),
        (AVERAGE, 4): m(0.80, 0.40),
        (LAST_PERIOD, 4): m(0.72, 0.56),
        (MODEL, 6): m(0.80, 0.20),
        (AVERAGE, 6): m(0.70, 0.60),
        (LAST_PERIOD, 6): m(0.80, 0.40),
    }
    assert choose(metrics, (2, 4, 6)) == {2: MODEL, 4: AVERAGE, 6: MODEL}


def test_accuracy_is_said_in_words() -> None:
    """«такие прогнозы сбывались в 8 случаях из 10»; with too few cases: not measured yet."""
    assert accuracy_words(Metrics(50, 0.79, 0.2, None, 0.3)) == (
        "такие прогнозы сбывались в 8 случаях из 10"
    )
    assert "ещё не измерена" in accuracy_words(Metrics(5, 1.0, 0.0, None, 0.0))


def test_a_mark_that_need_rules_out_gets_no_probability() -> None:
    """If «что нужно» says «5» cannot be reached, the forecast gives «5» nothing."""
    p = consistent((0.1, 0.2, 0.3, 0.4), best=4, current_mark=3, lessons_left=5)
    assert p[3] == 0.0 and sum(p) == pytest.approx(1) and p[2] == pytest.approx(0.5)
    fixed = consistent((0.1, 0.2, 0.3, 0.4), best=5, current_mark=3, lessons_left=0)
    assert fixed == (0.0, 1.0, 0.0, 0.0)
