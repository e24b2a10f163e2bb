"""Database engines, sessions and the one way a service call becomes a transaction.

SQLite (WAL, foreign keys, busy timeout) or PostgreSQL. `run_transaction` is the service
boundary every front end uses: writers start with the write lock (SQLite `BEGIN IMMEDIATE`),
readers declared with `@read_only` run in a read-only transaction, and a call that lost a
lock race (SQLite busy, PostgreSQL serialization failure or deadlock) is retried whole.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

log = logging.getLogger("ejournal.db")

SQLITE_BUSY_TIMEOUT_MS = 10_000

#: How often a service call that lost a lock race is tried in all (the first try included).
TRANSACTION_ATTEMPTS = 4


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN (so savepoints and BEGIN IMMEDIATE work).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers take the write lock up front: a deferred transaction that read first would
    # fail with SQLITE_BUSY instead of waiting when another writer committed meanwhile.
    options = connection.get_execution_options()
    mode = options.get("sqlite_begin", "DEFERRED")
    # A declared reader is held to it: a write inside it fails loudly (tests catch it).
    query_only = bool(options.get("sqlite_query_only", False))
    if connection.info.get("ej_query_only", False) != query_only:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if query_only else 'OFF'}")
        connection.info["ej_query_only"] = query_only
    connection.exec_driver_sql(f"BEGIN {mode}")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the project's connection settings for `url`."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: the settings' database)."""
    if url is None:
        from ejournal.config import get_settings

        url = get_settings().effective_database_url
    return make_engine(url)


def writer(engine: Engine) -> Engine:
    """The same engine, beginning SQLite transactions with BEGIN IMMEDIATE."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def reader(engine: Engine) -> Engine:
    """The same engine, in read-only transactions (SQLite `query_only`, PostgreSQL READ ONLY)."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_query_only=True)
    return engine.execution_options(postgresql_readonly=True)


@contextmanager
def session_scope(
    engine: Engine | None = None, *, write: bool = False, read_only: bool = False
) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    `write=True` for sessions that will write: on SQLite they take the write lock at BEGIN.
    `read_only=True` for sessions that must not write: a write in them fails.
    """
    bind = engine or get_engine()
    if write:
        bind = writer(bind)
    elif read_only:
        bind = reader(bind)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# --------------------------------------------------------------------------- services

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

_READ_ONLY_ATTR = "__ejournal_read_only__"


def read_only(fn: F) -> F:
    """Declare that a service only reads: `run_transaction` runs it in a read-only
    transaction (no write lock taken, a write inside fails). Undeclared services write."""
    setattr(fn, _READ_ONLY_ATTR, True)
    return fn


_DEFERRED_ATTR = "__ejournal_deferred__"


def deferred(fn: F) -> F:
    """Declare a service that mostly reads and, when it must write, first commits its reads
    so the write begins its own transaction: `run_transaction` takes no write lock up front
    (a per-event session check must not queue behind every writer)."""
    setattr(fn, _DEFERRED_ATTR, True)
    return fn


def is_read_only(fn: Callable[..., Any]) -> bool:
    """Whether `fn` was declared with `@read_only`."""
    return bool(getattr(fn, _READ_ONLY_ATTR, False))


# SQLite: "database is locked" / "database table is locked" / SQLITE_BUSY_SNAPSHOT.
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_TRANSIENT = {"40001", "40P01", "55P03"}


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a lost lock race that a fresh try of the same transaction may win."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_TRANSIENT:
        return True
    text = str(orig).lower()
    return (
        "database is locked" in text
        or "database table is locked" in text
        or ("database is busy" in text)
    )


def _backoff(attempt: int) -> float:
    # 40, 120, 360 ms with jitter, so writers that collided do not collide again in step.
    return 0.04 * (3**attempt) * (0.5 + random.random())


_COMMITTED = "ejournal_committed"


def _note_commit(session: Session) -> None:
    # Part of the call's work is in the database now: trying it again could do it twice.
    session.info[_COMMITTED] = True


def run_transaction(
    fn: Callable[Concatenate[Session, P], R],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """Call the service `fn(session, **kwargs)` in one transaction of the app's database.

    Commit on success, roll back on any error (a refusal or a failure changes nothing).
    A `@read_only` service runs read-only, a `@deferred` one begins without the write lock;
    any other takes the write lock up front (SQLite `BEGIN IMMEDIATE`, which waits on the
    busy timeout instead of failing). A call that
    still loses a lock race is tried again from the start, up to `TRANSACTION_ATTEMPTS`
    times in all, unless it had already committed part of its work.
    """
    ro = is_read_only(fn)
    write = not ro and not getattr(fn, _DEFERRED_ATTR, False)
    for attempt in range(TRANSACTION_ATTEMPTS):
        info: dict[str, Any] = {}
        try:
            with session_scope(write=write, read_only=ro) as session:
                info = session.info
                event.listen(session, "after_commit", _note_commit)
                return fn(session, *args, **kwargs)
        except DBAPIError as exc:
            last = attempt + 1 == TRANSACTION_ATTEMPTS
            if not is_transient(exc) or last or info.get(_COMMITTED, False):
                raise
            log.warning(
                "%s lost a lock race (%s); try %d of %d",
                getattr(fn, "__qualname__", fn),
                exc.orig,
                attempt + 2,
                TRANSACTION_ATTEMPTS,
            )
            time.sleep(_backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover
