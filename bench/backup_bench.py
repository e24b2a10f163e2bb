"""Benchmark: backup and restore of the `demo` school (targets on SQLite: backup ≤ 10 s,
restore ≤ 30 s, the restore's checks of counts and the audit chain included).

Seeds `demo` into a fresh SQLite file (about 20 s, not timed), takes a backup with
`make_backup` and restores it into a new file with `restore_backup`. With
EJOURNAL_BENCH_BACKUP_PG=1 and EJOURNAL_TEST_DATABASE_URL naming a PostgreSQL server the
same runs on PostgreSQL (pg_dump / pg_restore). Prints seconds and sizes; asserts nothing.
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

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ejournal.domain import migrate
from ejournal.domain.db import make_engine, normalise_url
from ejournal.domain.records import backup
from ejournal.domain.seed import run_seed

BENCH_TODAY = dt.date(2027, 5, 20)  # late in the year: the journal is nearly full
TARGETS = {"backup": 10.0, "restore": 30.0}


@contextlib.contextmanager
def _sqlite_urls(tmp: Path) -> Iterator[tuple[str, str]]:
    yield f"sqlite:///{tmp / 'source.db'}", f"sqlite:///{tmp / 'restored.db'}"


@contextlib.contextmanager
def _pg_urls(server_url: str) -> Iterator[tuple[str, str]]:
    admin_url = normalise_url(server_url)
    names = [f"ejbench_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(server_url)
    try:
        source, target = (base.set(database=n).render_as_string(False) for n in names)
        yield source, target
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _verdict(what: str, seconds: float) -> str:
    return "в норме" if seconds <= TARGETS[what] else f"ДОЛЬШЕ ЦЕЛИ {TARGETS[what]:.0f} с"


def _measure(backend: str, source_url: str, target_url: str, out_dir: Path) -> None:
    engine = make_engine(source_url)
    try:
        migrate.upgrade(engine)
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            run_seed(engine, size="demo", today=BENCH_TODAY, credentials_path=None)
        seeded = time.perf_counter() - start
    finally:
        engine.dispose()
    made = backup.make_backup(source_url, out_dir)
    dump = made.manifest["files"][made.manifest["dump_file"]]["bytes"]
    restored = backup.restore_backup(made.path, target_url)
    print(
        f"  {backend:<10} заполнение demo {seeded:5.1f} с; строк {made.manifest['rows']}, "
        f"копия {dump / 1_000_000:.1f} МБ",
        flush=True,
    )
    print(
        f"  {backend:<10} резервная копия {made.seconds:5.1f} с ({_verdict('backup', made.seconds)}), "
        f"восстановление {restored.seconds:5.1f} с ({_verdict('restore', restored.seconds)}), "
        f"проверка: {'совпадает' if restored.ok else '; '.join(restored.mismatches) or 'аудит нарушен'}",
        flush=True,
    )


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="ejournal-backup-bench-") as tmp:
        with _sqlite_urls(Path(tmp)) as (source, target):
            _measure("SQLite", source, target, Path(tmp) / "backups")
    pg = os.environ.get("EJOURNAL_TEST_DATABASE_URL", "")
    if pg and os.environ.get("EJOURNAL_BENCH_BACKUP_PG") == "1":
        with tempfile.TemporaryDirectory(prefix="ejournal-backup-bench-") as tmp:
            with _pg_urls(pg) as (source, target):
                _measure("PostgreSQL", source, target, Path(tmp) / "backups")


if __name__ == "__main__":
    run()
