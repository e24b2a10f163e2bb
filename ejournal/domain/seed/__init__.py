"""The demo school generator: `run_seed(engine, size=…, seed=…)` fills a database.

Deterministic for a seed (one `random.Random(seed)`; only bcrypt salts differ). Rows are
generated as plain dicts and written with bulk inserts (COPY on PostgreSQL) in one
transaction; passwords are hashed in a process pool while the journal is generated.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from sqlalchemy import Engine

from ejournal.config import get_settings
from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import session_scope
from ejournal.domain.people.passwords import hash_password
from ejournal.domain.seed.build import SIZES, Account, SchoolBuilder, SchoolData
from ejournal.domain.seed.schoolyear import build_year, start_year_for
from ejournal.domain.seed.store import empty_all, insert_rows, next_ids, reset_sequences, tables

__all__ = ["MAIN_LOGINS", "SeedReport", "credentials_banner", "run_seed"]

MAIN_LOGINS = (
    "admin",
    "director",
    "deputy",
    "secretary",
    "teacher",
    "classteacher",
    "parent",
    "student",
)
ROLE_TITLES = {
    "admin": "администратор",
    "director": "директор",
    "deputy": "завуч (УВР)",
    "secretary": "секретарь",
    "teacher": "учитель",
    "classteacher": "классный руководитель",
    "class_teacher": "классный руководитель",
    "parent": "родитель",
    "student": "ученик",
}
POOL_THRESHOLD = 300  # fewer passwords are hashed in this process (tests, `small`)


@dataclass(frozen=True)
class SeedReport:
    """What a seed wrote: rows per table and seconds per phase."""

    size: str
    seed: int
    today: dt.date
    schools: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class _Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


class _Hashing:
    """bcrypt hashes of the one-time passwords, computed in a pool over the cores.

    The pool works while the next school is generated; `result()` waits for it.
    """

    def __init__(self, passwords: list[str], rounds: int) -> None:
        workers = os.cpu_count() or 1
        self._done: list[str] | None = None
        self._pool: ProcessPoolExecutor | None = None
        if len(passwords) < POOL_THRESHOLD or workers < 2:
            self._done = [hash_password(p, rounds) for p in passwords]
            return
        # fork: workers start at once and never re-run the caller's main module.
        method = "fork" if "fork" in get_all_start_methods() else "spawn"
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method))
        chunk = max(1, len(passwords) // (workers * 8))
        self._results = self._pool.map(
            hash_password, passwords, [rounds] * len(passwords), chunksize=chunk
        )

    def result(self) -> list[str]:
        if self._done is None:
            assert self._pool is not None
            try:
                self._done = list(self._results)
            finally:
                self._pool.shutdown()
        return self._done


def run_seed(
    engine: Engine,
    *,
    size: str = "demo",
    seed: int = 2026,
    today: dt.date | None = None,
    credentials_path: Path | None,
    replace: bool = False,
) -> SeedReport:
    """Generate the demo school(s) and write them in one transaction; print progress in Russian."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}")
    spec = SIZES[size]
    today = today or dt.date.today()
    year = build_year(start_year_for(today))
    settings = get_settings()
    clock = _Clock()
    counts: dict[str, int] = {}
    print(f"Заполнение демо-школы ({size}, seed {seed}, дата {today:%d.%m.%Y})…", flush=True)
    with session_scope(engine, write=True) as session:
        if replace:
            with clock.phase("очистка"):
                empty_all(session)
        ids = next_ids(session)
        rng = random.Random(seed)
        accounts: list[Account] = []

        def write(data: SchoolData, hashing: _Hashing) -> None:
            with clock.phase("пароли"):
                hashes = dict(
                    zip((a.user_id for a in data.accounts), hashing.result(), strict=True)
                )
            for row in data.rows["app_user"]:
                row["password_hash"] = hashes[row["id"]]  # type: ignore[index]
            with clock.phase("запись в БД"):
                for table in tables():
                    rows = data.rows.get(table.name, [])
                    insert_rows(session, table, rows)
                    counts[table.name] = counts.get(table.name, 0) + len(rows)
                audit.record(
                    session,
                    actor_id=data.admin_user_id,
                    action=AuditAction.SEED,
                    entity=AuditEntity.SCHOOL,
                    entity_id=data.school_id,
                    after={"size": size, "seed": seed, "today": today,
                           "students": len(data.rows["student"]),
                           "marks": len(data.rows["mark"])},
                    reason="демонстрационные данные",
                )  # fmt: skip
            accounts.extend(data.accounts)
            print(f"  школа {data.number}: записана", flush=True)

        # A pipeline: school N is written while the pool hashes the passwords of school N+1,
        # and at most two schools are held in memory.
        pending: tuple[SchoolData, _Hashing] | None = None
        for number in range(1, spec.schools + 1):
            school_rng = rng if number == 1 else random.Random(f"{seed}:{number}")
            with clock.phase("генерация"):
                data = SchoolBuilder(
                    number=number, size=spec, year=year, today=today, ids=ids, rng=school_rng,
                    login_prefix="" if number == 1 else f"s{number}.",
                    # Last year from a generator of its own: this year's draws do not shift.
                    history_rng=random.Random(f"{seed}:{number}:history"),
                ).build()  # fmt: skip
            with clock.phase("пароли"):
                hashing = _Hashing([a.password for a in data.accounts], settings.seed_bcrypt_rounds)
            print(f"  школа {number}: сгенерирована", flush=True)
            if pending is not None:
                write(*pending)
            pending = (data, hashing)
        if pending is not None:
            write(*pending)
        with clock.phase("запись в БД"):
            reset_sequences(session)
            session.commit()
    if credentials_path is not None:
        write_credentials(credentials_path, accounts)
    counts["audit_log"] = counts.get("audit_log", 0) + spec.schools
    report = SeedReport(size, seed, today, spec.schools, counts, dict(clock.seconds))
    print(
        f"Готово за {report.total_seconds:.1f} с: {counts.get('student', 0)} учащихся, "
        f"{counts.get('staff', 0)} сотрудников, {counts.get('lesson', 0)} уроков, "
        f"{counts.get('mark', 0)} отметок.",
        flush=True,
    )
    if credentials_path is not None:
        print(credentials_banner(credentials_path, port=settings.port), flush=True)
    return report


def write_credentials(path: Path, accounts: list[Account]) -> None:
    """Every login with its one-time password: CSV, UTF-8 with BOM (Excel opens it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["role", "login", "password", "full_name", "detail"])
        for a in accounts:
            writer.writerow([a.role, a.login, a.password, a.full_name, a.detail])
    path.chmod(0o600)


def credentials_banner(path: Path, port: int) -> str:
    """The address and the main demo logins (Russian), read from the credentials file."""
    lines = [f"Электронный журнал: http://localhost:{port}/"]
    if not path.exists():
        lines.append(
            f"Демо-логины появятся в файле {path} после заполнения демо-школы (ejournal seed)."
        )
        return "\n".join(lines)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["login"]: row for row in csv.DictReader(handle)}
    lines.append("Демо-логины (одноразовые пароли, при первом входе их нужно сменить):")
    for login in MAIN_LOGINS:
        row = rows.get(login)
        if row is None:
            continue
        title = ROLE_TITLES.get(login, ROLE_TITLES.get(row["role"], row["role"]))
        detail = f" — {row['detail']}" if login in ("classteacher", "parent", "student") else ""
        lines.append(f"  {title:<22} {login:<13} {row['password']}  {row['full_name']}{detail}")
    lines.append(f"Все логины и пароли: {path}")
    return "\n".join(lines)
