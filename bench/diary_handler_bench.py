"""Benchmark: the week as the server answers it — the ``DiaryState.open_week`` handler.

`diary_bench` times the domain service alone; this times what a parent's click costs on
the server: the session token checked against the database, the service in a worker
thread, the rows shaped for the page. Uses EJOURNAL_BENCH_DB when set (a copy is not
made: sampled parents get a known cheap password there), otherwise seeds the `demo`
school into a temporary SQLite file. Prints p50/p95; asserts nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, update
from sqlmodel import Session, col, func, select

from ejournal import web
from ejournal.domain import db, migrate
from ejournal.domain.db import make_engine
from ejournal.domain.diary.child import week_monday
from ejournal.domain.models import Lesson, Mark, Parent, ParentLink, User
from ejournal.domain.people import auth
from ejournal.domain.people.passwords import hash_password

SAMPLES = 300
WARMUP = 20
FAMILIES = 40
PASSWORD = "bench-пароль-1"


def _engine() -> tuple[Engine, Path | None]:
    url = os.environ.get("EJOURNAL_BENCH_DB", "")
    if url:
        return make_engine(url), None
    from ejournal.domain.seed import run_seed

    folder = Path(tempfile.mkdtemp(prefix="ejournal-bench-"))
    engine = make_engine(f"sqlite:///{folder / 'demo.db'}")
    migrate.upgrade(engine)
    run_seed(engine, size="demo", credentials_path=None)
    return engine, folder


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _tokens(engine: Engine) -> tuple[list[tuple[str, int]], Any]:
    """Log a sample of parents in (cheap known passwords): (token, child id) pairs."""
    with Session(engine) as s:
        pairs = s.exec(
            select(Parent.user_id, ParentLink.student_id)
            .join(ParentLink, col(ParentLink.parent_id) == Parent.id)
            .where(col(Parent.user_id).is_not(None))
            .order_by(col(Parent.id))
        ).all()
        last_marked = s.exec(
            select(func.max(Lesson.date)).join(Mark, col(Mark.lesson_id) == Lesson.id)
        ).one()
    rng = random.Random(7)
    chosen = rng.sample(list(pairs), min(FAMILIES, len(pairs)))
    cheap = hash_password(PASSWORD, 4)
    result: list[tuple[str, int]] = []
    with Session(engine) as s:
        for user_id, _ in chosen:
            s.exec(
                update(User)
                .where(col(User.id) == user_id)
                .values(password_hash=cheap, must_change_password=False)
            )
        s.commit()
        logins = dict(
            s.exec(
                select(User.id, User.login).where(col(User.id).in_([u for u, _ in chosen]))
            ).all()
        )
        for user_id, student_id in chosen:
            login = auth.authenticate(s, login=logins[user_id], password=PASSWORD)
            assert login.ok and login.token, login.message
            result.append((login.token, student_id))
        s.commit()
    return result, last_marked


def run() -> None:
    """Print p50/p95 of the week handler (session check + service + page rows)."""
    import reflex as rx
    from reflex.istate.data import HeaderData

    import ejournal.ejournal  # noqa: F401 - registers the States
    from ejournal.state.diary import DiaryState

    engine, folder = _engine()
    # The handlers open sessions through get_engine(): point it at the bench database.
    patched = (db,)
    originals = [getattr(m, "get_engine") for m in patched]  # noqa: B009

    def get_engine(url: str | None = None) -> Engine:
        return engine

    for module in patched:
        setattr(module, "get_engine", get_engine)  # noqa: B010
    try:
        tokens, last_marked = _tokens(engine)
        if not tokens or last_marked is None:
            print("  нет родителей или отметок: нечего измерять", flush=True)
            return
        monday = week_monday(last_marked).isoformat()
        root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
        # One client whose session token changes per call: each call validates its token.
        st = cast(DiaryState, root.get_substate(DiaryState.get_full_name().split(".")))
        rng = random.Random(11)
        sample = [rng.choice(tokens) for _ in range(SAMPLES + WARMUP)]
        timings: list[float] = []

        async def measure() -> None:
            for i, (token, student_id) in enumerate(sample):
                # The tab's websocket handshake carried this session cookie.
                root.router = dataclasses.replace(
                    root.router,
                    headers=HeaderData.from_router_data(
                        {"headers": {"cookie": f"{web.SESSION_COOKIE}={token}"}}
                    ),
                )
                start = time.perf_counter()
                await DiaryState.open_week.fn(st, student_id, monday)
                elapsed = (time.perf_counter() - start) * 1000
                assert st.days, "the week opened"
                if i >= WARMUP:
                    timings.append(elapsed)

        asyncio.run(measure())
        print(
            f"  open_week (обработчик) n={len(timings)}"
            f"  p50 {statistics.median(timings):6.1f} мс"
            f"  p95 {_percentile(timings, 0.95):6.1f} мс"
            f"  max {max(timings):6.1f} мс  — база {engine.dialect.name},"
            f" неделя с {monday}",
            flush=True,
        )
        print("  (цель для недели: p95 ≤ 100 мс на сервере)", flush=True)
    finally:
        for module, fn in zip(patched, originals, strict=True):
            setattr(module, "get_engine", fn)  # noqa: B010
        engine.dispose()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    run()
