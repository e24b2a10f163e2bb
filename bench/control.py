"""Benchmark: the deputy's control reports on the demo school (targets from issue 10).

- the monthly fill report and the whole-school checklist ≤ 1 s each, and beside each the
  same core aggregate as one raw SQL query with the ratio (goal ≤ 2×);
- progress and quality for the whole year ≤ 1 s;
- with ``--large`` (or EJOURNAL_BENCH_LARGE=1): the `large` seed (10 schools, ≈ 3 min to seed
  on SQLite), one school's reports ≤ 1 s and a summary over all ten schools ≤ 10 s.

Uses the database at EJOURNAL_BENCH_DB when set (already seeded, with the school year of
BENCH_TODAY); otherwise seeds into a temporary SQLite file with today = BENCH_TODAY, late in
the year, when the journal is nearly full. Each timed call opens a fresh session, as a page
load or a CLI run would. Prints the figures; asserts nothing.

    python -m bench control            # in `make bench`
    python -m bench.control --large    # the large seed as well
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from ejournal.domain import migrate
from ejournal.domain.control.table import Window, month_window, period_window
from ejournal.domain.db import make_engine
from ejournal.domain.models import AcademicYear, Period, PeriodKind, Role, School
from ejournal.domain.permissions import Actor

# The same fixed day as the seed bench: the journal is nearly full (the heaviest case).
BENCH_TODAY = dt.date(2027, 5, 20)
MONTH = "2027-04"  # the last full month before BENCH_TODAY
RUNS = 7  # timed runs per figure (after one warm-up)

# The fill report's core: held lessons and current marks per class × subject in the window.
FILL_SQL = text(
    """
    SELECT ta.class_id, ta.subject_id, COUNT(DISTINCT l.id) AS lessons_held,
           COUNT(m.id) AS marks, COUNT(DISTINCT m.student_id) AS students_marked
    FROM lesson l
    JOIN teaching_assignment ta ON ta.id = l.assignment_id
    JOIN class_group c ON c.id = ta.class_id
    LEFT JOIN mark m ON m.lesson_id = l.id
    WHERE c.school_id = :school AND l.date BETWEEN :first AND :last AND l.cancelled = :no
    GROUP BY ta.class_id, ta.subject_id
    """
)

# The checklist's core: per held lesson whether topic, homework and attendance are recorded
# and how many marks it has, and per student × page the last marked day (the two-week rule).
CHECKLIST_SQL = text(
    """
    WITH held AS (
        SELECT l.id, l.assignment_id, l.date, l.topic, l.homework, l.homework_none,
               l.attendance_taken_at
        FROM lesson l
        JOIN teaching_assignment ta ON ta.id = l.assignment_id
        JOIN class_group c ON c.id = ta.class_id
        WHERE c.school_id = :school AND l.date BETWEEN :first AND :last AND l.cancelled = :no
    ),
    per_lesson AS (
        SELECT m.lesson_id, COUNT(*) AS marks, MAX(m.created_at) AS last_entered
        FROM mark m JOIN held h ON h.id = m.lesson_id GROUP BY m.lesson_id
    ),
    last_marked AS (
        SELECT m.student_id, h.assignment_id, MAX(h.date) AS last_day
        FROM mark m JOIN held h ON h.id = m.lesson_id GROUP BY m.student_id, h.assignment_id
    ),
    gaps AS (
        SELECT assignment_id, COUNT(*) AS students_gap
        FROM last_marked WHERE last_day < :gap_day GROUP BY assignment_id
    ),
    per_page AS (
        SELECT h.assignment_id, COUNT(*) AS lessons,
               SUM(CASE WHEN h.topic = '' THEN 1 ELSE 0 END) AS without_topic,
               SUM(CASE WHEN h.homework = '' AND h.homework_none = :no THEN 1 ELSE 0 END)
                   AS without_homework,
               SUM(CASE WHEN h.attendance_taken_at IS NULL THEN 1 ELSE 0 END)
                   AS without_attendance,
               SUM(COALESCE(p.marks, 0)) AS marks
        FROM held h LEFT JOIN per_lesson p ON p.lesson_id = h.id
        GROUP BY h.assignment_id
    )
    SELECT pp.*, COALESCE(g.students_gap, 0) AS students_gap
    FROM per_page pp LEFT JOIN gaps g ON g.assignment_id = pp.assignment_id
    """
)

# Progress and quality's core: per class × period the students whose period marks are all
# ≥ 3 and all ≥ 4 (a student counts in the class they are enrolled in at the period's end).
PROGRESS_SQL = text(
    """
    SELECT class_id, period_id, COUNT(*) AS students,
           SUM(CASE WHEN lowest >= 3 THEN 1 ELSE 0 END) AS progress_students,
           SUM(CASE WHEN lowest >= 4 THEN 1 ELSE 0 END) AS quality_students
    FROM (
        SELECT e.class_id, pm.period_id, pm.student_id, MIN(pm.value) AS lowest
        FROM period_mark pm
        JOIN period p ON p.id = pm.period_id
        JOIN enrolment e ON e.student_id = pm.student_id AND e.starts_on <= p.ends_on
             AND (e.ends_on IS NULL OR e.ends_on >= p.ends_on)
        JOIN class_group c ON c.id = e.class_id AND c.year_id = p.year_id
        WHERE c.school_id = :school AND p.year_id = :year
        GROUP BY e.class_id, pm.period_id, pm.student_id
    ) per_student
    GROUP BY class_id, period_id
    """
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _time(engine: Engine, call: Callable[[Session], object], runs: int = RUNS) -> list[float]:
    """Milliseconds of `call` in a fresh session, `runs` times after one warm-up."""
    timings: list[float] = []
    for i in range(runs + 1):
        with Session(engine) as session:
            start = time.perf_counter()
            call(session)
            elapsed = (time.perf_counter() - start) * 1000
            session.rollback()
        if i:
            timings.append(elapsed)
    return timings


def _line(name: str, timings: list[float], baseline: list[float] | None = None) -> float:
    median = statistics.median(timings)
    text_ = (
        f"  {name:<34} p50 {median:7.1f} мс  p95 {_percentile(timings, 0.95):7.1f} мс"
        f"  (n={len(timings)})"
    )
    if baseline is not None:
        base = statistics.median(baseline)
        ratio = median / base if base > 0 else float("inf")
        text_ += f"  | один SQL-запрос: p50 {base:6.1f} мс, отношение {ratio:4.1f}×"
    print(text_, flush=True)
    return median


def _seed(size: str) -> tuple[Engine, Path | None]:
    url = os.environ.get("EJOURNAL_BENCH_DB", "")
    if url and size == "demo":
        return make_engine(url), None
    from ejournal.domain.seed import run_seed

    folder = Path(tempfile.mkdtemp(prefix=f"ejournal-control-bench-{size}-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(engine)
    start = time.perf_counter()
    run_seed(engine, size=size, today=BENCH_TODAY, credentials_path=None)
    print(f"  заполнение {size}: {time.perf_counter() - start:.1f} с", flush=True)
    return engine, folder


def school_actor(session: Session, school_id: int) -> Actor:
    """The CLI's actor: the school's first deputy (or user 0) with the deputy role only."""
    from ejournal.cli import school_deputy

    user_id, staff_id, _ = school_deputy(session, school_id)
    return Actor(
        user_id=user_id,
        school_id=school_id,
        roles=frozenset({Role.DEPUTY}),
        staff_id=staff_id,
        active_role=Role.DEPUTY,
    )


def _windows(session: Session, school_id: int) -> tuple[Window, Window, int]:
    """(the month window, the whole-year window, the year id) of the school."""
    year = session.exec(
        select(AcademicYear)
        .where(
            AcademicYear.school_id == school_id,
            col(AcademicYear.starts_on) <= BENCH_TODAY,
            col(AcademicYear.ends_on) >= BENCH_TODAY,
        )
        .order_by(col(AcademicYear.id))
    ).first()
    if year is None or year.id is None:
        raise RuntimeError(f"у школы {school_id} нет учебного года на {BENCH_TODAY}")
    whole = session.exec(
        select(Period).where(Period.year_id == year.id, Period.kind == PeriodKind.YEAR.value)
    ).first()
    if whole is None or whole.id is None:
        raise RuntimeError("нет периода «Год»")
    month = month_window(session, school_id, MONTH, on=BENCH_TODAY)
    return month, period_window(session, school_id, whole.id, on=BENCH_TODAY), year.id


def _bench_school(engine: Engine, school_id: int, *, runs: int = RUNS) -> dict[str, float]:
    """Time fill, checklist and progress for one school (beside the raw SQL); medians in ms."""
    from ejournal.domain.control.reports import build_report

    with Session(engine) as session:
        actor = school_actor(session, school_id)
        month, year_window, year_id = _windows(session, school_id)
    month_params: dict[str, Any] = {
        "school": school_id,
        "first": month.starts_on,
        "last": month.last_day,
        "no": False,
    }

    def report(name: str, window: Window) -> Callable[[Session], object]:
        return lambda s: build_report(s, name, actor=actor, window=window)

    def raw(query: Any, params: dict[str, Any]) -> Callable[[Session], object]:
        return lambda s: s.connection().execute(query, params).all()

    with Session(engine) as session:
        rows = {
            name: len(build_report(session, name, actor=actor, window=w).rows)
            for name, w in (("fill", month), ("checklist", month), ("progress", year_window))
        }
    print(
        f"  {month.label}: строк отчёта fill {rows['fill']}, checklist {rows['checklist']}; "
        f"{year_window.label}: progress {rows['progress']}",
        flush=True,
    )
    gap_day = month.last_day - dt.timedelta(days=14)
    medians = {
        "fill": _line(
            f"наполняемость, {month.label}",
            _time(engine, report("fill", month), runs),
            _time(engine, raw(FILL_SQL, month_params), runs),
        ),
        "checklist": _line(
            f"проверка по положениям, {month.label}",
            _time(engine, report("checklist", month), runs),
            _time(engine, raw(CHECKLIST_SQL, {**month_params, "gap_day": gap_day}), runs),
        ),
        "progress": _line(
            "успеваемость и качество, год",
            _time(engine, report("progress", year_window), runs),
            _time(engine, raw(PROGRESS_SQL, {"school": school_id, "year": year_id}), runs),
        ),
    }
    return medians


def _first_school(engine: Engine) -> int:
    with Session(engine) as session:
        school_id = session.exec(select(School.id).order_by(col(School.id))).first()
    if school_id is None:
        raise RuntimeError("в базе нет школ")
    return school_id


def run(*, large: bool | None = None) -> None:
    """Print the control reports' timings on the demo school (and on `large` if asked)."""
    if large is None:
        large = os.environ.get("EJOURNAL_BENCH_LARGE", "") == "1"
    engine, folder = _seed("demo")
    try:
        print(f"Контроль: отчёты заместителя — база {engine.dialect.name}", flush=True)
        _bench_school(engine, _first_school(engine))
        print("  (цели: каждый отчёт ≤ 1 с, отношение к одному SQL-запросу ≤ 2×)", flush=True)
    finally:
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if large:
        run_large()


def run_large() -> None:
    """The `large` seed: one school's reports, then fill + checklist + progress for all."""
    from ejournal.domain.control.reports import build_report

    engine, folder = _seed("large")
    try:
        print("Контроль на `large` (10 школ): одна школа", flush=True)
        _bench_school(engine, _first_school(engine), runs=3)
        with Session(engine) as session:
            school_ids = [s for s in session.exec(select(School.id).order_by(col(School.id)))]
        start = time.perf_counter()
        for school_id in school_ids:
            assert school_id is not None
            with Session(engine) as session:
                actor = school_actor(session, school_id)
                month, year_window, _ = _windows(session, school_id)
                build_report(session, "fill", actor=actor, window=month)
                build_report(session, "checklist", actor=actor, window=month)
                build_report(session, "progress", actor=actor, window=year_window)
        total = time.perf_counter() - start
        print(
            f"  сводка по всем школам ({len(school_ids)}: наполняемость, проверка, "
            f"успеваемость): {total:.1f} с (цель ≤ 10 с)",
            flush=True,
        )
    finally:
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.control", description=__doc__)
    parser.add_argument("--large", action="store_true", help="ещё и на seed `large` (≈ 3 мин)")
    args = parser.parse_args(argv)
    run(large=args.large)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
