"""Fixtures for calling State handlers in-process, as a connected browser would.

Each test gets its own SQLite file (copied from a migrated, seeded template) and the
app's engine points at it, so handlers run their real services and commits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import reflex as rx
from reflex.istate.data import HeaderData
from sqlalchemy import Engine
from sqlmodel import Session

import ejournal.ejournal  # noqa: F401 - registers every State and page
from ejournal import web
from ejournal.domain import db, migrate
from ejournal.domain.models import Role
from ejournal.domain.people import auth
from tests.state.people import TinySchool, make_tiny_school

T = TypeVar("T", bound=rx.State)


@dataclass
class StateWorld:
    """The tiny school, its engine, and helpers to act as one of its users."""

    school: TinySchool
    engine: Engine

    def token(self, role: Role) -> str:
        """Log `role`'s account in (as the login page would) and return its session token."""
        account = self.school.accounts[role]
        with Session(self.engine, expire_on_commit=False) as session:
            result = auth.authenticate(session, login=account.login, password=account.password)
            session.commit()  # the boundary's commit (db.run_transaction in the app)
        assert result.ok and result.token, result.message
        return result.token

    def state(self, cls: type[T], token: str = "") -> T:
        """A fresh client's instance of `cls` whose browser holds `token`."""
        root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
        give_cookie(root, token)
        return root.get_substate(cls.get_full_name().split("."))  # type: ignore[return-value]

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def give_cookie(root: rx.State, token: str, *, remember: bool = False) -> None:
    """Make `root`'s tab look as if its websocket was opened with the session cookie."""
    name = web.REMEMBER_COOKIE if remember else web.SESSION_COOKIE
    cookie = f"{name}={token}" if token else ""
    headers = HeaderData.from_router_data({"headers": {"cookie": cookie}})
    root.router = dataclasses.replace(root.router, headers=headers)


def _run(coro: Any) -> Any:
    """asyncio.run, also from a thread where a loop already runs (Playwright's sync API)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(handler: Any, state: rx.State, *args: Any, **kwargs: Any) -> Any:
    """Run an event handler's function on `state` like the event processor does."""
    fn: Callable[..., Any] = handler.fn
    result = fn(state, *args, **kwargs)
    if asyncio.iscoroutine(result):
        return _run(result)
    if hasattr(result, "__anext__"):

        async def drain() -> list[Any]:
            return [item async for item in result]

        return _run(drain())
    return result


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TinySchool]:
    path = tmp_path_factory.mktemp("state") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        school = make_tiny_school(session)
        session.commit()
    engine.dispose()
    return path, school


@pytest.fixture()
def world(
    template_db: tuple[Path, TinySchool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StateWorld]:
    """A private copy of the tiny school that the app's handlers read and write."""
    path = tmp_path / "school.db"
    shutil.copy(template_db[0], path)
    engine = db.make_engine(f"sqlite:///{path}")

    def get_engine(url: str | None = None) -> Engine:
        return engine

    monkeypatch.setattr(db, "get_engine", get_engine)
    yield StateWorld(template_db[1], engine)
    engine.dispose()
