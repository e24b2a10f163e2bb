"""Test fixtures: migrated databases on SQLite and (when configured) PostgreSQL.

Set EJOURNAL_TEST_DATABASE_URL to a PostgreSQL server URL (for example
postgresql://postgres@127.0.0.1:5432/postgres) and every `db`-marked test runs on both.
Each database gets a fresh throwaway database; each test runs inside a transaction that
is rolled back, so services may commit freely (their commits become savepoints).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

os.environ.setdefault("EJOURNAL_BCRYPT_ROUNDS", "4")
os.environ.setdefault("EJOURNAL_SEED_BCRYPT_ROUNDS", "4")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")

from ejournal.domain import migrate
from ejournal.domain.db import make_engine, normalise_url

PG_URL = os.environ.get("EJOURNAL_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


@dataclass
class TestDatabase:
    backend: str
    url: str
    engine: Engine
    credentials: Path | None = None  # the demo-credentials CSV of a seeded database


def _create_pg_database() -> str:
    admin_url = normalise_url(PG_URL)
    name = f"ejtest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_database(backend: str, tmp: Path) -> TestDatabase:
    """A fresh, empty database of `backend`."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'test-{uuid.uuid4().hex[:8]}.db'}"
    else:
        url = _create_pg_database()
    return TestDatabase(backend, url, make_engine(url))


def dispose_database(db: TestDatabase) -> None:
    db.engine.dispose()
    if db.backend == "postgresql":
        _drop_pg_database(db.url)


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A database migrated to head, shared by the session (tests roll back)."""
    db = new_database(request.param, tmp_path_factory.mktemp("db"))
    migrate.upgrade(db.engine)
    yield db
    dispose_database(db)


@pytest.fixture()
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    """A brand-new database with no tables (backend from the `backend` param)."""
    backend = getattr(request, "param", "sqlite")
    db = new_database(backend, tmp_path)
    yield db
    dispose_database(db)


def _rollback_session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture()
def session(migrated_db: TestDatabase) -> Iterator[Session]:
    """A session on the migrated database whose work is rolled back after the test."""
    yield from _rollback_session(migrated_db.engine)


SEEDED_TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A new database holding the `small` demo school (seed 7, today 23.11.2026)."""
    from ejournal.domain.seed import run_seed

    tmp = tmp_path_factory.mktemp("seeded")
    db = new_database(request.param, tmp)
    db.credentials = tmp / "demo-credentials.csv"
    migrate.upgrade(db.engine)
    with contextlib.redirect_stdout(io.StringIO()):
        run_seed(
            db.engine, size="small", seed=7, today=SEEDED_TODAY, credentials_path=db.credentials
        )
    yield db
    dispose_database(db)


@pytest.fixture()
def seeded_session(seeded_db: TestDatabase) -> Iterator[Session]:
    """A session on the seeded small school whose work is rolled back after the test."""
    yield from _rollback_session(seeded_db.engine)
