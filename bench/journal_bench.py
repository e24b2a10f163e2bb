"""Benchmark: the teacher's journal on the demo school (targets: page p95 ≤ 150 ms,
one edit p95 ≤ 30 ms, a 30-mark column paste ≤ 300 ms, all server-side).

Uses the database at EJOURNAL_BENCH_DB when set; otherwise seeds the `demo` school once
into a temporary SQLite file. The page is the largest 5-hours-a-week class of the demo
school, in the quarter with the most lessons held. Each call opens a fresh session, as a
request would; writes really commit (they add marks and audit rows to the database, with
the reason «замер производительности»). Prints the figures; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, func
from sqlmodel import Session, col, select

from ejournal.domain import migrate
from ejournal.domain.db import make_engine, writer
from ejournal.domain.journal import JournalPage, load_page, paste_block, set_cell
from ejournal.domain.journal.context import term_periods
from ejournal.domain.models import (
    ClassGroup,
    Lesson,
    Mark,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
)
from ejournal.domain.people.auth import load_actor
from ejournal.domain.permissions import Actor

PAGE_SAMPLES = 100
EDIT_SAMPLES = 100
PASTE_SAMPLES = 20
WARMUP = 10
REASON = "замер производительности"


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
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _report(name: str, timings_ms: list[float], queries: list[int]) -> None:
    print(
        f"  {name:<22} n={len(timings_ms):<4} p50 {statistics.median(timings_ms):6.1f} мс"
        f"  p95 {_percentile(timings_ms, 0.95):6.1f} мс  max {max(timings_ms):6.1f} мс"
        f"  запросов к БД: {min(queries)}–{max(queries)}",
        flush=True,
    )


def _pick_page(session: Session) -> tuple[int, int, int, dt.datetime] | None:
    """(assignment, period, teacher's user id, "now") of the biggest 5-hour marked page."""
    last_marked = session.exec(
        select(func.max(Lesson.date)).join(Mark, col(Mark.lesson_id) == Lesson.id)
    ).one()
    if last_marked is None:
        return None
    class_sizes = Counter(
        session.exec(select(Student.class_id).where(col(Student.class_id).is_not(None))).all()
    )
    rows = session.exec(
        select(TeachingAssignment, ClassGroup, Staff)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .join(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(
            TeachingAssignment.hours_per_week == 5,
            col(TeachingAssignment.subgroup_id).is_(None),
            col(Subject.marked).is_(True),
            ClassGroup.grade > 1,
            col(Staff.user_id).is_not(None),
        )
    ).all()
    if not rows:
        return None
    ta, group, staff = max(rows, key=lambda r: (class_sizes[r[1].id], -(r[0].id or 0)))
    assert ta.id is not None and staff.user_id is not None
    dates = session.exec(
        select(col(Lesson.date)).where(Lesson.assignment_id == ta.id, Lesson.date <= last_marked)
    ).all()
    periods = term_periods(session, ta.year_id, group.grade)
    if not periods:
        return None
    best = max(periods, key=lambda p: sum(1 for d in dates if p.starts_on <= d <= p.ends_on))
    assert best.id is not None
    moment = dt.datetime.combine(last_marked, dt.time(15, 0), tzinfo=ZoneInfo("Europe/Moscow"))
    return ta.id, best.id, staff.user_id, moment


def run() -> None:
    """Print p50/p95 of opening a journal page, saving one cell and pasting a column."""
    engine, url = _engine()
    print(f"Журнал: страница, одна правка, вставка столбца — база {engine.dialect.name}")
    counter = {"n": 0}

    def count(*_args: object) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    with Session(engine) as session:
        picked = _pick_page(session)
    if picked is None:
        print("  нет подходящей страницы с отметками: нечего измерять", flush=True)
        return
    assignment_id, period_id, user_id, now = picked

    def actor_in(s: Session) -> Actor:
        return replace(load_actor(s, user_id), must_change_password=False)

    def open_page() -> JournalPage:
        with Session(engine) as s:
            return load_page(
                s, actor=actor_in(s), assignment_id=assignment_id, period_id=period_id, now=now
            )

    page = open_page()
    held = [c for c in page.lessons if c.editable]
    print(
        f"  страница: {page.class_name}, {page.subject_name}, {page.period.name}: "
        f"{len(page.students)} учащихся × {len(page.lessons)} уроков, "
        f"{sum(len(c.marks) for c in page.cells.values())} отметок",
        flush=True,
    )

    timings: list[float] = []
    queries: list[int] = []
    for i in range(PAGE_SAMPLES + WARMUP):
        with Session(engine) as s:
            actor = actor_in(s)
            counter["n"] = 0
            start = time.perf_counter()
            load_page(s, actor=actor, assignment_id=assignment_id, period_id=period_id, now=now)
            elapsed = (time.perf_counter() - start) * 1000
        if i >= WARMUP:
            timings.append(elapsed)
            queries.append(counter["n"])
    _report("load_page()", timings, queries)

    rng = random.Random(4)
    cells = [
        (s.id, c.id) for s in page.students for c in held if c.id not in s.not_enrolled_lesson_ids
    ]
    versions = {key: page.cell(*key).version for key in cells}
    texts = {key: page.cell(*key).text for key in cells}
    timings, queries = [], []
    for i in range(EDIT_SAMPLES + WARMUP):
        key = rng.choice(cells)
        text = rng.choice([t for t in ("2", "3", "4", "5", "н") if t != texts[key]])
        with Session(writer(engine), expire_on_commit=False) as s:
            actor = actor_in(s)
            counter["n"] = 0
            start = time.perf_counter()
            result = set_cell(
                s,
                actor=actor,
                student_id=key[0],
                lesson_id=key[1],
                text=text,
                expected_version=versions[key],
                reason=REASON,
                now=now,
            )
            s.commit()  # the boundary's commit (db.run_transaction in the app)
            elapsed = (time.perf_counter() - start) * 1000
        versions[key], texts[key] = result.cell.version, result.cell.text
        if i >= WARMUP:
            timings.append(elapsed)
            queries.append(counter["n"])
    _report("set_cell() + commit", timings, queries)

    timings, queries = [], []
    for i in range(PASTE_SAMPLES + 2):
        column = held[i % len(held)]
        students = [s.id for s in page.students if column.id not in s.not_enrolled_lesson_ids]
        rows = [[rng.choice(["3", "4", "5"])] for _ in students]
        expected = {(sid, column.id): versions.get((sid, column.id), 0) for sid in students}
        with Session(writer(engine), expire_on_commit=False) as s:
            actor = actor_in(s)
            counter["n"] = 0
            start = time.perf_counter()
            pasted = paste_block(
                s,
                actor=actor,
                lesson_ids=[column.id],
                student_ids=students,
                rows=rows,
                expected_versions=expected,
                reason=REASON,
                now=now,
            )
            s.commit()  # the boundary's commit (db.run_transaction in the app)
            elapsed = (time.perf_counter() - start) * 1000
        for cell in pasted.cells:
            versions[(cell.student_id, cell.lesson_id)] = cell.version
            texts[(cell.student_id, cell.lesson_id)] = cell.text
        if not pasted.saved:
            print(f"  вставка отклонена: {pasted.errors[0].message}", flush=True)
            continue
        if i >= 2:
            timings.append(elapsed)
            queries.append(counter["n"])
    if timings:
        _report(f"paste_block() {len(page.students)} шт.", timings, queries)
    if not os.environ.get("EJOURNAL_BENCH_DB"):
        print(
            f"  (демо-база: {url}; цели: страница p95 ≤ 150 мс, правка p95 ≤ 30 мс, "
            "вставка столбца ≤ 300 мс)",
            flush=True,
        )
    engine.dispose()


if __name__ == "__main__":
    run()
