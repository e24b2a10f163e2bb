"""Benchmark: forecasts that show their own accuracy (issue 11's targets).

- training on the demo history (every closed quarter and half-year, with the backtest's
  leave-one-period-out fits) ≤ 30 s, then served from the in-process cache;
- the backtest table: method × weeks in × exact, MAE, recall of «2», Brier;
- forecasts for the whole demo school (every class's forecast, the whole risk list) ≤ 2 s;
- one student's subjects (the diary) p95 ≤ 50 ms: the students are spread over the school, so
  most calls miss the per-class cache (class means, lessons left) and build it.

Uses EJOURNAL_BENCH_DB when set (seeded, with the school year of BENCH_TODAY); otherwise seeds
the demo school into a temporary SQLite file with today = BENCH_TODAY. Prints; asserts nothing.

    python -m bench forecast        # in `make bench`
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import time
from collections.abc import Sequence

from sqlmodel import Session, col, select

from bench.control import _first_school, _percentile, _seed, school_actor
from ejournal.domain.forecast import model as model_cache
from ejournal.domain.forecast.backtest import METHOD_TITLES
from ejournal.domain.forecast.history import current_period, term_periods
from ejournal.domain.forecast.service import (
    class_forecast,
    risk_list,
    student_forecast,
    trained_model,
)
from ejournal.domain.models import AcademicYear, ClassGroup, School, Student

#: Early in the third quarter: two quarters and a half-year closed, the third under way.
BENCH_TODAY = dt.date(2027, 2, 10)
STUDENT_RUNS = 40


def _pct(v: float | None) -> str:
    return "   —  " if v is None else f"{v * 100:5.1f} %"


def _num(v: float | None) -> str:
    return "  —  " if v is None else f"{v:5.3f}"


def run() -> None:
    """Print the backtest table and the timings on the demo school."""
    from bench import control

    saved = control.BENCH_TODAY
    control.BENCH_TODAY = BENCH_TODAY  # the seed's today for a fresh database
    try:
        engine, folder = _seed("demo")
    finally:
        control.BENCH_TODAY = saved
    try:
        school_id = _first_school(engine)
        print(f"Прогноз итоговых отметок — база {engine.dialect.name}, день {BENCH_TODAY}")
        model_cache.forget()
        with Session(engine) as session:
            school = session.get(School, school_id)
            assert school is not None
            start = time.perf_counter()
            tr = trained_model(session, school, BENCH_TODAY)
            first = time.perf_counter() - start
            start = time.perf_counter()
            trained_model(session, school, BENCH_TODAY)
            cached = (time.perf_counter() - start) * 1000
        print(
            f"  обучение с проверкой на истории: {first:.1f} с (цель ≤ 30 с); случаев "
            f"{tr.cases}, закрытых периодов {tr.backtest.periods}; из кэша: {cached:.1f} мс"
        )
        print("  проверка на закрытых периодах (каждый период — модель без него):")
        print("    недель  метод                         n     точно    MAE   «2» найдено  Brier")
        for row in tr.backtest.table():
            mark = "→" if row["chosen"] else " "
            print(
                f"  {mark} {row['weeks']:>5}   {METHOD_TITLES[str(row['method'])]:<28}"
                f" {row['n']:>5}  {_pct(row['exact'])}  {_num(row['mae'])}"  # type: ignore[arg-type]
                f"   {_pct(row['recall_2'])}   {_num(row['brier'])}"  # type: ignore[arg-type]
            )
        print("    («→» — метод, который показывает продукт в этом интервале)")

        with Session(engine) as session:
            actor = school_actor(session, school_id)
            periods = term_periods(session, school_id)
            year = session.exec(
                select(AcademicYear).where(
                    AcademicYear.school_id == school_id,
                    col(AcademicYear.starts_on) <= BENCH_TODAY,
                    col(AcademicYear.ends_on) >= BENCH_TODAY,
                )
            ).first()
            assert year is not None
            chosen = {
                p.id
                for grade in (5, 10)
                if (p := current_period([x for x in periods if x.year_id == year.id], grade,
                                        BENCH_TODAY)) is not None
            }  # fmt: skip
        start = time.perf_counter()
        classes = 0
        with Session(engine) as session:
            for pid in sorted(chosen):
                classes += len(
                    class_forecast(
                        session, actor=actor, class_id=None, period_id=pid, now=BENCH_TODAY
                    )
                )
        whole = time.perf_counter() - start
        start = time.perf_counter()
        with Session(engine) as session:
            risks = len(risk_list(session, actor=actor, now=BENCH_TODAY))
        risk_seconds = time.perf_counter() - start
        print(
            f"  вся школа: прогноз успеваемости и качества по {classes} классам {whole:.2f} с "
            f"(цель ≤ 2 с); список риска по школе ({risks} строк) {risk_seconds:.2f} с"
        )

        with Session(engine) as session:
            students = session.exec(
                select(Student.id)
                .join(ClassGroup, col(ClassGroup.id) == Student.class_id)
                .where(ClassGroup.year_id == year.id, ClassGroup.grade >= 2)
                .order_by(col(Student.id))
            ).all()
        picks = [students[i * len(students) // STUDENT_RUNS] for i in range(STUDENT_RUNS)]
        timings: list[float] = []
        for sid in picks:
            with Session(engine) as session:
                start = time.perf_counter()
                student_forecast(session, actor=actor, student_id=sid or 0, now=BENCH_TODAY)
                timings.append((time.perf_counter() - start) * 1000)
        print(
            f"  один ученик, все предметы: p50 {statistics.median(timings):.1f} мс, "
            f"p95 {_percentile(timings, 0.95):.1f} мс (цель p95 ≤ 50 мс, n={len(timings)})"
        )
    finally:
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
