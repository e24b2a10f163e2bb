"""The real app in headless Chromium: a production server on a free port, a seeded database.

One server per test session (per xdist worker that runs browser tests; mark modules with
``pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]`` so they share
one). The front end bakes the server's port into its build, so the server builds its own
front end in ``var/web-test`` (not the shared ``.web``) under an exclusive lock on
``var/web-test.lock`` held for the whole session: two sessions never build or serve that
folder at once. Logs and screenshots go to ``test-artifacts/``.

Without Chromium the browser tests are skipped with the reason, except under CI=true,
where they fail.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlmodel import Session

from bench.load.server import (
    ServerNotUp,
    free_port,
    server_env,
    start_reflex,
    stop,
    wait_until_up,
)
from ejournal.config import PROJECT_ROOT
from ejournal.domain import migrate
from ejournal.domain.db import make_engine
from ejournal.domain.models import Role
from tests.state.people import TinySchool, add_staff_account, make_tiny_school

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
WEB_DIR = PROJECT_ROOT / "var" / "web-test"
WEB_LOCK = PROJECT_ROOT / "var" / "web-test.lock"
START_TIMEOUT_S = 600
#: Extra teacher accounts (password PASSWORD) for tests that spoil an account.
SPARE_LOGINS = ("spare.wrong", "spare.throttle", "spare.locked", "spare.reset")
#: Accounts with their own password set (PASSWORD), for tests of pages, not of first login.
SPARE_STAFF = {
    "spare.admin": Role.ADMIN,
    "spare.director": Role.DIRECTOR,
    "spare.teacher": Role.TEACHER,
}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@dataclass(frozen=True)
class LiveServer:
    url: str
    db_url: str
    school: TinySchool
    log: Path


def _chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _seed(db_url: str) -> TinySchool:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        school = make_tiny_school(session, must_change=True, rounds=4)
        for login in SPARE_LOGINS:
            add_staff_account(session, school, login)
        for login, role in SPARE_STAFF.items():
            add_staff_account(session, school, login, role)
        session.commit()
    engine.dispose()
    return school


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait for the server (START_TIMEOUT_S); the test fails if it exits or is late."""
    try:
        wait_until_up(url, proc, log, START_TIMEOUT_S)
    except ServerNotUp as e:
        pytest.fail(str(e))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop(proc, timeout=20)


def _start_server(
    db_url: str, web_dir: Path, work_dir: Path, log: Path, *, redis_url: str = ""
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start ``reflex run --env prod`` on a free port (cheap bcrypt, front end built into
    `web_dir`, state under `work_dir`): its URL and its process, not yet answering."""
    port = free_port()
    url = f"http://localhost:{port}"
    env = server_env(
        port=port,
        url=url,
        db_url=db_url,
        web_dir=web_dir,
        work_dir=work_dir,
        redis_url=redis_url,
        # Every test browser logs in from 127.0.0.1: its failures must not slow the others.
        extra_env={
            "EJOURNAL_BCRYPT_ROUNDS": "4",
            "EJOURNAL_ADDRESS_FREE_FAILURES": "10000",
            "EJOURNAL_BACKUP_SCHEDULE": "0",  # no nightly backup in a test server's list
        },
    )
    return url, start_reflex(env, log)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A production server of the app on a free port with a tiny seeded school."""
    _chromium_or_skip()
    ARTIFACTS.mkdir(exist_ok=True)
    WEB_LOCK.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_factory.mktemp("live")
    db_url = f"sqlite:///{tmp / 'browser.db'}"
    school = _seed(db_url)
    log = ARTIFACTS / "browser-server.log"
    with WEB_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the server is stopped
        url, proc = _start_server(db_url, WEB_DIR, tmp, log)
        try:
            started = time.monotonic()
            _wait_until_up(url, proc, log)
            print(f"\nbrowser server up on {url} in {time.monotonic() - started:.0f} s")
            yield LiveServer(url, db_url, school, log)
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """Headless Chromium (Debian's), driven by Playwright: one per test process.

    Playwright's sync API allows one instance per thread, so every module shares this one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser(chromium_browser: object, live_server: LiveServer) -> object:
    """The shared Chromium, once the live server is up."""
    return chromium_browser


@pytest.fixture()
def page(browser: object, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser context (no cookies) at desktop size."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=DESKTOP, base_url=live_server.url, locale="ru-RU"
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    violations = watch_csp(pg)
    yield pg
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


def on_path(path: str) -> Callable[[str], bool]:
    """For ``page.wait_for_url``: the page is at `path` (a full page load adds a slash)."""
    want = path.rstrip("/") or "/"

    def matches(url: str) -> bool:
        return (urlparse(url).path.rstrip("/") or "/") == want

    return matches


def watch_csp(page: object) -> list[str]:
    """Collect the page's Content-Security-Policy violations (the app must cause none)."""
    found: list[str] = []

    def on_console(message: object) -> None:
        text = str(getattr(message, "text", ""))
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            found.append(text)

    page.on("console", on_console)  # type: ignore[attr-defined]
    page.add_init_script(  # type: ignore[attr-defined]
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return found


def screenshot(page: object, name: str) -> None:
    """Save the page at desktop and phone size as test-artifacts/<name>-{desktop,phone}.png."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)  # type: ignore[attr-defined]
        page.wait_for_timeout(300)  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size(DESKTOP)  # type: ignore[attr-defined]


def seed_small_school_once(db_url: str) -> None:
    """Put the `small` demo school (seeded for today) into the live server's database once,
    whichever test module asks first (the diary, journal and control tests share it)."""
    import contextlib
    import io

    from sqlmodel import select

    from ejournal.domain.models import User
    from ejournal.domain.seed import run_seed

    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        with Session(engine) as s:
            seeded = s.exec(select(User).where(User.login == "teacher")).first() is not None
        if not seeded:
            with contextlib.redirect_stdout(io.StringIO()):
                run_seed(engine, size="small", credentials_path=None)
    finally:
        engine.dispose()
