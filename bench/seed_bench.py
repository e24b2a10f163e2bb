"""Benchmark: how long the demo seed takes (targets: `demo` ≤ 60 s, `large` ≤ 10 min).

Seeds `demo` into a fresh SQLite file and, when EJOURNAL_TEST_DATABASE_URL names a
PostgreSQL server, into a fresh PostgreSQL database; `large` too when
EJOURNAL_BENCH_LARGE=1. Prints seconds per phase and row counts; asserts nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from ejournal.domain import migrate
from ejournal.domain.db import make_engine, normalise_url
from ejournal.domain.seed import SeedReport, run_seed

# A fixed date late in the school year: the journal is nearly full (the heaviest case).
BENCH_TODAY = dt.date(2027, 5, 20)
SHOWN_TABLES = ("student", "app_user", "lesson", "mark", "attendance", "period_mark",
                "thematic_plan_item", "login_event")  # fmt: skip


@contextlib.contextmanager
def _sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="ejournal-seed-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextlib.contextmanager
def _postgresql(server_url: str) -> Iterator[Engine]:
    admin_url = normalise_url(server_url)
    name = f"ejbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _measure(engine: Engine, size: str) -> tuple[SeedReport, float]:
    migrate.upgrade(engine)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        report = run_seed(engine, size=size, today=BENCH_TODAY, credentials_path=None)
    return report, time.perf_counter() - start


def _print(backend: str, size: str, report: SeedReport, wall: float) -> None:
    phases = ", ".join(f"{name} {seconds:.1f}" for name, seconds in report.seconds.items())
    print(f"  {size:<5} {backend:<10} {wall:6.1f} с  ({phases})", flush=True)
    counts = ", ".join(f"{t} {report.counts.get(t, 0)}" for t in SHOWN_TABLES)
    print(f"        строки: {counts}", flush=True)


def run() -> None:
    sizes = ["demo", *(["large"] if os.environ.get("EJOURNAL_BENCH_LARGE") == "1" else [])]
    pg = os.environ.get("EJOURNAL_TEST_DATABASE_URL", "")
    print(f"  заполнение на дату {BENCH_TODAY:%d.%m.%Y}, ядер: {os.cpu_count()}", flush=True)
    for size in sizes:
        with _sqlite() as engine:
            _print("SQLite", size, *_measure(engine, size))
        if pg:
            with _postgresql(pg) as engine:
                _print("PostgreSQL", size, *_measure(engine, size))


if __name__ == "__main__":
    run()
