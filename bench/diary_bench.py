"""Benchmark: how fast the diary's week opens on the demo school (target: p95 ≤ 100 ms).

Uses the database at EJOURNAL_BENCH_DB when set; otherwise seeds the `demo` school once
into a temporary SQLite file. Each call opens a fresh session, as a page load would, and
times `diary_week.week()` for a parent's child; `subject_marks()` is timed alongside.
Prints the figures; asserts nothing.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, event, func
from sqlmodel import Session, col, select

from ejournal.domain import migrate
from ejournal.domain.db import make_engine
from ejournal.domain.diary.child import child_period, load_child, subject_marks, week_monday
from ejournal.domain.diary.week import week
from ejournal.domain.errors import NotFound
from ejournal.domain.models import Lesson, Mark, Parent, ParentLink, Period
from ejournal.domain.people.auth import load_actor
from ejournal.domain.permissions import Actor

SAMPLES = 300
WARMUP = 20


def _engine() -> tuple[Engine, str]:
    url = os.environ.get("EJOURNAL_BENCH_DB", "")
    if url:
        return make_engine(url), url
    from ejournal.domain.seed import run_seed

    path = Path(tempfile.mkdtemp(prefix="ejournal-bench-")) / "demo.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    run_seed(engine, size="demo", credentials_path=None)
    return engine, url


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _report(name: str, timings_ms: list[float], queries: list[int]) -> None:
    print(
        f"  {name:<15} n={len(timings_ms)}  p50 {statistics.median(timings_ms):6.1f} мс"
        f"  p95 {_percentile(timings_ms, 0.95):6.1f} мс"
        f"  max {max(timings_ms):6.1f} мс"
        f"  запросов к БД: {min(queries)}–{max(queries)}",
        flush=True,
    )


def run() -> None:
    """Print p50/p95 of opening a parent's week (and marks by subject) on the demo school."""
    engine, url = _engine()
    print(f"Дневник: неделя ученика — база {engine.dialect.name}", flush=True)
    counter = {"n": 0}

    def count(*_args: object) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    with Session(engine) as session:
        pairs = list(
            session.exec(
                select(Parent.user_id, ParentLink.student_id)
                .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
                .where(col(Parent.user_id).is_not(None))
            ).all()
        )
        last_marked = session.exec(
            select(func.max(Lesson.date)).join(Mark, col(Mark.lesson_id) == Lesson.id)
        ).one()
    if not pairs or last_marked is None:
        print("  нет родителей или отметок в базе: нечего измерять", flush=True)
        return
    monday = week_monday(last_marked)
    rng = random.Random(5)
    sample = [rng.choice(pairs) for _ in range(SAMPLES + WARMUP)]

    def timed(call: Callable[[Session, Actor, int], object]) -> tuple[list[float], list[int]]:
        timings: list[float] = []
        queries: list[int] = []
        for i, (user_id, student_id) in enumerate(sample):
            assert user_id is not None
            with Session(engine) as s:
                # Parents in the bench have set their own passwords long ago.
                actor = replace(load_actor(s, user_id), must_change_password=False)
                counter["n"] = 0
                start = time.perf_counter()
                call(s, actor, student_id)
                elapsed = (time.perf_counter() - start) * 1000
            if i >= WARMUP:
                timings.append(elapsed)
                queries.append(counter["n"])
        return timings, queries

    def open_week(s: Session, actor: Actor, student_id: int) -> object:
        return week(s, actor=actor, student_id=student_id, week_start=monday)

    with Session(engine) as session:
        period_ids = {
            p.id
            for p in session.exec(
                select(Period).where(Period.starts_on <= last_marked, Period.ends_on >= last_marked)
            ).all()
        }

    def open_marks(s: Session, actor: Actor, student_id: int) -> object:
        ctx = load_child(s, actor, student_id)
        for period_id in sorted(pid for pid in period_ids if pid is not None):
            try:
                child_period(s, ctx, period_id)
            except NotFound:  # another grade's period (half-years): try the next
                continue
            return subject_marks(s, actor=actor, student_id=student_id, period_id=period_id)
        return None

    print(f"  неделя с {monday:%d.%m.%Y}, {len(pairs)} пар «родитель — ребёнок»", flush=True)
    _report("week()", *timed(open_week))
    _report("subject_marks()", *timed(open_marks))
    print("  (цель для недели: p95 ≤ 100 мс)", flush=True)
    engine.dispose()
    if not os.environ.get("EJOURNAL_BENCH_DB"):
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)


if __name__ == "__main__":
    run()
