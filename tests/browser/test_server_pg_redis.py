"""The production server on PostgreSQL and Redis, as a school would run it.

A fresh PostgreSQL database gets the migrations and the `small` demo school; the
production server starts with REFLEX_DB_URL and REFLEX_REDIS_URL (so Reflex runs several
granian workers and keeps client state in Redis); a demo teacher logs in through the
one-time-password change in Chromium and lands on their home page; /_health says only
that the app is up. Runs when EJOURNAL_TEST_DATABASE_URL and EJOURNAL_TEST_REDIS_URL are
set (.ci/run sets both); skipped otherwise, except under CI=true, where it fails.

The front end bakes in the server's port, so this server builds its own front end in
``var/web-pg-redis`` (its own lock, held while the server runs); the build itself waits
for ``var/web-build.lock`` so it never runs beside another build of the checkout. The
server runs in its own process group; stopping it stops every worker.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy.engine import make_url

from bench.load.server import http_get
from ejournal.config import PROJECT_ROOT
from ejournal.domain import migrate
from ejournal.domain.db import make_engine
from ejournal.domain.seed import run_seed
from ejournal.domain.site_map import CHANGE_PASSWORD_PATH, home_path
from tests.browser.conftest import (
    ARTIFACTS,
    DESKTOP,
    START_TIMEOUT_S,
    _chromium_or_skip,
    _start_server,
    _stop,
    _wait_until_up,
    on_path,
    screenshot,
)
from tests.conftest import _create_pg_database, _drop_pg_database

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PG_URL = os.environ.get("EJOURNAL_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("EJOURNAL_TEST_REDIS_URL", "")
WEB_DIR = PROJECT_ROOT / "var" / "web-pg-redis"
WEB_LOCK = PROJECT_ROOT / "var" / "web-pg-redis.lock"
BUILD_LOCK = PROJECT_ROOT / "var" / "web-build.lock"
NEW_PASSWORD = "Новый-пароль-на-год"
DEMO_LOGIN = "teacher"  # the demo school's main subject teacher (see demo-credentials.csv)


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    full_name: str
    role: str


@dataclass
class PgRedisServer:
    url: str
    db_url: str
    proc: subprocess.Popen[bytes]
    account: DemoAccount
    log: Path


def _services_or_skip() -> None:
    missing = [
        name
        for name, value in (
            ("EJOURNAL_TEST_DATABASE_URL", PG_URL),
            ("EJOURNAL_TEST_REDIS_URL", REDIS_URL),
        )
        if not value
    ]
    if not missing:
        return
    reason = f"the PostgreSQL + Redis server test needs {' and '.join(missing)}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must provide both services)")
    pytest.skip(reason)


def _demo_account(credentials: Path, login: str) -> DemoAccount:
    with credentials.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["login"] == login:
                return DemoAccount(row["login"], row["password"], row["full_name"], row["role"])
    raise AssertionError(f"no login {login} in {credentials}")


def _lock(path: Path, what: str) -> IO[str]:
    """An exclusive flock on `path`, waited for at most START_TIMEOUT_S (then the test fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                pytest.fail(f"{what} stayed locked ({path}) for {START_TIMEOUT_S} s")
            time.sleep(1)


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group `pgid`, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # After "pid (comm)": state, ppid, pgrp, …; comm may hold spaces and parentheses.
        fields = text[text.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _stop_group(proc: subprocess.Popen[bytes]) -> list[int]:
    """Stop the server and every process of its group; return any that had to be killed."""
    _stop(proc)
    deadline = time.monotonic() + 20
    while _group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    stragglers = _group_members(proc.pid)
    if stragglers:
        os.killpg(proc.pid, signal.SIGKILL)
    return stragglers


@pytest.fixture(scope="module")
def pg_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgRedisServer]:
    """The production server on a fresh PostgreSQL database with the small demo school."""
    _services_or_skip()
    _chromium_or_skip()
    ARTIFACTS.mkdir(exist_ok=True)
    tmp = tmp_path_factory.mktemp("pg-redis")
    test_db = _create_pg_database()
    # As a school would write it in REFLEX_DB_URL (the app picks its driver itself).
    db_url = make_url(test_db).set(drivername="postgresql").render_as_string(hide_password=False)
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        run_seed(engine, size="small", credentials_path=tmp / "demo-credentials.csv")
    finally:
        engine.dispose()
    account = _demo_account(tmp / "demo-credentials.csv", DEMO_LOGIN)
    log = ARTIFACTS / "pg-redis-server.log"
    web_lock = _lock(WEB_LOCK, "the front-end folder var/web-pg-redis")
    try:
        build_lock = _lock(BUILD_LOCK, "the front-end build")
        # Its own process group: stopping it stops every worker.
        url, proc = _start_server(db_url, WEB_DIR, tmp, log, redis_url=REDIS_URL)
        try:
            started = time.monotonic()
            try:
                _wait_until_up(url, proc, log)
            finally:
                build_lock.close()  # built (or failed): others may build now
            print(f"\nPostgreSQL + Redis server up on {url} in {time.monotonic() - started:.0f} s")
            yield PgRedisServer(url, db_url, proc, account, log)
        finally:
            _stop_group(proc)
    finally:
        web_lock.close()
        _drop_pg_database(test_db)


@pytest.fixture(scope="module")
def chromium(chromium_browser: object, pg_redis_server: PgRedisServer) -> object:
    """The shared Chromium of tests/browser/conftest.py (one Playwright per process)."""
    return chromium_browser


@pytest.fixture()
def page(chromium: object, pg_redis_server: PgRedisServer) -> Iterator[object]:
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport=DESKTOP, base_url=pg_redis_server.url, locale="ru-RU"
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _redis_keys(token: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return [k.decode() for k in client.scan_iter(match=f"{token}_*")]
    finally:
        client.close()


def test_a_demo_teacher_logs_in_and_sees_their_home(page, pg_redis_server: PgRedisServer):
    """Login with the one-time password, the password change, then the teacher's home page."""
    account = pg_redis_server.account
    page.goto("/login")
    page.locator('input[name="login"]').fill(account.login)
    page.locator('input[name="password"]').fill(account.password)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(on_path(CHANGE_PASSWORD_PATH))
    page.locator('input[name="old_password"]').fill(account.password)
    page.locator('input[name="new_password"]').fill(NEW_PASSWORD)
    page.locator('input[name="repeat_password"]').fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сменить пароль").click()
    page.wait_for_url(on_path(home_path(account.role)))
    page.get_by_role("button", name="Выйти").wait_for()
    page.get_by_text(account.full_name.split()[0]).first.wait_for()
    screenshot(page, "pg-redis-teacher-home")

    page.reload()  # a new websocket, possibly to another worker: state comes from Redis
    page.wait_for_url(f"**{home_path(account.role)}**")
    page.get_by_role("button", name="Выйти").wait_for()
    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    assert token and _redis_keys(token), "the client's state is not in Redis"


def test_health_says_only_that_the_app_is_up(pg_redis_server: PgRedisServer):
    """/_health answers «up» and nothing about the database or Redis behind it."""
    status, body = http_get(f"{pg_redis_server.url}/_health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_the_server_runs_several_workers(pg_redis_server: PgRedisServer):
    """With Redis the production server serves from more than one worker process."""
    # The reflex process itself, plus at least two granian workers.
    assert len(_group_members(pg_redis_server.proc.pid)) >= 3


def test_stopping_the_server_ends_every_process(pg_redis_server: PgRedisServer):
    """Stopping the server's process group leaves no worker behind (none needed a SIGKILL)."""
    assert _stop_group(pg_redis_server.proc) == []
    assert _group_members(pg_redis_server.proc.pid) == []
