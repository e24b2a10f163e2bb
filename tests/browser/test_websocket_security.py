"""Forged events over the real websocket: a parent's browser session, taken from Chromium,
drives a raw socket.io connection to the production server's ``/_event`` endpoint and
calls handlers the page never offers, with other people's ids. Also: the websocket
accepts only the configured origins.

The `small` demo school is seeded next to the tiny one (as the diary and journal tests
do); the demo parent `parent` gets a known password. Raw update frames of each test are
written to test-artifacts/ws-*.json for reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from ejournal.domain.db import make_engine
from ejournal.domain.models import (
    AuditLog,
    Lesson,
    Mark,
    Parent,
    ParentLink,
    Student,
    TeachingAssignment,
    User,
)
from ejournal.domain.people.passwords import hash_password
from ejournal.state.admin import AdminUsersState
from ejournal.state.diary import DiaryState
from ejournal.state.journal import JournalState
from tests.browser import conftest
from tests.browser.conftest import ARTIFACTS, LiveServer, on_path
from tests.browser.ws_client import (
    EventSocket,
    FrontendContract,
    Refused,
    client_events,
    delta_of,
    handler_name,
    is_redirect,
    toast_text,
)
from tests.state.people import PASSWORD, add_staff_account

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

T = TypeVar("T")
NO_RIGHTS = "Недостаточно прав"
EVIL_ORIGIN = "http://evil.example"


@dataclass(frozen=True)
class Scene:
    """Who attacks what: the demo parent, their child, another family's child, a lesson."""

    db_url: str
    url: str
    contract: FrontendContract
    own_child_id: int
    other_child_id: int
    other_child_names: tuple[str, str]  # (last, first): must never come back to the parent
    lesson_id: int  # a lesson of the own child's class, already held
    teacher_user_id: int  # the demo school's teacher (the parent's school)
    victim_user_id: int  # a spare teacher of the tiny school, for the admin's control


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    from ejournal.domain.seed import run_seed

    engine = make_engine(live_server.db_url)
    with Session(engine) as s:
        seeded = s.exec(select(User).where(User.login == "parent")).first() is not None
    if not seeded:
        with contextlib.redirect_stdout(io.StringIO()):
            run_seed(engine, size="small", seed=7, today=dt.date.today(), credentials_path=None)
    with Session(engine, expire_on_commit=False) as s:
        parent_user = s.exec(select(User).where(User.login == "parent")).one()
        s.exec(
            update(User)
            .where(col(User.id) == parent_user.id)
            .values(password_hash=hash_password(PASSWORD, 4), must_change_password=False)
        )
        parent = s.exec(select(Parent).where(Parent.user_id == parent_user.id)).one()
        own_ids = set(
            s.exec(select(ParentLink.student_id).where(ParentLink.parent_id == parent.id)).all()
        )
        own = s.get(Student, min(own_ids))
        assert own is not None and own.id is not None
        other = s.exec(
            select(Student)
            .where(Student.class_id == own.class_id, col(Student.id).not_in(own_ids))
            .order_by(col(Student.id))
        ).first()
        assert other is not None and other.id is not None, "another family in the same class"
        lesson = s.exec(
            select(Lesson)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .where(TeachingAssignment.class_id == own.class_id, Lesson.date <= dt.date.today())
            .order_by(col(Lesson.date).desc())
        ).first()
        assert lesson is not None and lesson.id is not None
        teacher = s.exec(select(User).where(User.login == "teacher")).one()
        victim = add_staff_account(s, live_server.school, "spare.ws.victim")
        s.commit()
        scene = Scene(
            db_url=live_server.db_url,
            url=live_server.url,
            contract=FrontendContract.read(conftest.WEB_DIR),
            own_child_id=own.id,
            other_child_id=other.id,
            other_child_names=(other.last_name, other.first_name),
            lesson_id=lesson.id,
            teacher_user_id=teacher.id or 0,
            victim_user_id=victim,
        )
    engine.dispose()
    return scene


def _session_cookies(
    browser: Any, live_server: LiveServer, login: str, home: str
) -> dict[str, str]:
    """Log `login` in through Chromium and return the browser's cookies for the site."""
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.locator('input[name="login"]').fill(login)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_url(on_path(home))
        page.get_by_role("button", name="Выйти").wait_for()
        cookies = {c["name"]: c["value"] for c in context.cookies()}
    finally:
        context.close()
    assert cookies.get("ejournal_session"), cookies
    return cookies


def _in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a thread of its own (Playwright's loop owns the test's thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


@dataclass(frozen=True)
class Counts:
    audit_rows: int
    marks_in_lesson: int
    active: tuple[bool, bool]  # (teacher, victim)


def _counts(scene: Scene) -> Counts:
    engine = make_engine(scene.db_url)
    try:
        with Session(engine) as s:
            audit_rows = s.exec(select(func.count()).select_from(AuditLog)).one()
            marks = s.exec(
                select(func.count()).select_from(Mark).where(Mark.lesson_id == scene.lesson_id)
            ).one()
            teacher, victim = s.get(User, scene.teacher_user_id), s.get(User, scene.victim_user_id)
            assert teacher is not None and victim is not None
            return Counts(audit_rows, marks, (teacher.is_active, victim.is_active))
    finally:
        engine.dispose()


def _save_frames(name: str, updates: list[dict[str, Any]]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    text = json.dumps(updates, ensure_ascii=False, indent=1, default=str)
    (ARTIFACTS / f"ws-{name}.json").write_text(text, encoding="utf-8")


def _refusals(updates: list[dict[str, Any]]) -> list[str]:
    """The toasts (their decoded scripts) and redirects among the updates' client events."""
    found = []
    for u in updates:
        for e in client_events(u):
            if text := toast_text(e):
                found.append(text)
            elif is_redirect(e):
                found.append(json.dumps(e, ensure_ascii=False))
    return found


def _readable(updates: list[dict[str, Any]]) -> str:
    """All the updates as text, with the escaped text inside scripts decoded."""
    return "\n".join(
        [json.dumps(updates, ensure_ascii=False)]
        + [toast_text(e) for u in updates for e in client_events(u)]
    )


@dataclass(frozen=True)
class Exchange:
    boot: list[dict[str, Any]]  # the page's own updates after connecting
    answer: list[dict[str, Any]]  # the updates after the forged event


async def _forge(
    scene: Scene, cookies: dict[str, str], pathname: str, name: str, payload: dict[str, Any]
) -> Exchange:
    """Open `pathname`'s socket with `cookies`, let the page load, then send one event.

    The answer is every update read until one carried a toast or a redirect, and then
    until the socket was quiet for a second.
    """
    sock = EventSocket(scene.url, scene.contract, origin=scene.url)
    try:
        await sock.connect(pathname, cookies)
        boot = await sock.read_quiet()
        await sock.emit(name, payload, pathname)
        answer = await sock.read_until(lambda u: bool(_refusals([u])))
        answer.extend(await sock.read_quiet(quiet=1.0))
        return Exchange(boot, answer)
    finally:
        await sock.close()


def _assert_no_rights(answer: list[dict[str, Any]]) -> None:
    """Refused for want of rights: a session that was valid, not a trip to /login."""
    refusals = _refusals(answer)
    assert any(NO_RIGHTS in r for r in refusals), refusals or answer
    assert not any('"/login"' in r for r in refusals), refusals


@pytest.fixture(scope="module")
def parent_cookies(browser: Any, live_server: LiveServer, scene: Scene) -> dict[str, str]:
    return _session_cookies(browser, live_server, "parent", "/diary")


def test_the_parents_socket_cannot_block_a_teacher(
    scene: Scene, parent_cookies: dict[str, str]
) -> None:
    """AdminUsersState.block_user over the parent's websocket is refused and blocks no one."""
    before = _counts(scene)
    name = handler_name(AdminUsersState, "block_user")
    ex = _in_thread(
        lambda: _forge(scene, parent_cookies, "/diary", name, {"user_id": scene.teacher_user_id})
    )
    _save_frames("forged-block-user", ex.answer)
    _assert_no_rights(ex.answer)
    assert "заблокирована" not in _readable(ex.answer)
    assert all(not delta_of(u, AdminUsersState) for u in ex.answer)
    assert _counts(scene) == before


def test_the_parents_socket_cannot_write_a_mark(
    scene: Scene, parent_cookies: dict[str, str]
) -> None:
    """JournalState.save_cell into a real lesson over the parent's websocket adds no mark."""
    before = _counts(scene)
    name = handler_name(JournalState, "save_cell")
    cell = json.dumps({"k": f"{scene.own_child_id}:{scene.lesson_id}", "t": "5", "v": 0})
    ex = _in_thread(lambda: _forge(scene, parent_cookies, "/diary", name, {"payload": cell}))
    _save_frames("forged-save-cell", ex.answer)
    _assert_no_rights(ex.answer)
    assert all(not delta_of(u, JournalState) for u in ex.answer)
    assert _counts(scene) == before


@pytest.mark.parametrize(
    ("handler", "payload"),
    [
        ("open_week", {"week_start": ""}),
        ("choose_child", {}),
    ],
)
def test_the_parents_socket_cannot_open_another_familys_child(
    scene: Scene, parent_cookies: dict[str, str], handler: str, payload: dict[str, Any]
) -> None:
    """The diary's handlers with another family's child id answer with a refusal, no data."""
    before = _counts(scene)
    name = handler_name(DiaryState, handler)
    payload = {"student_id": scene.other_child_id, **payload}
    ex = _in_thread(lambda: _forge(scene, parent_cookies, "/diary", name, payload))
    _save_frames(f"forged-{handler}", ex.boot + ex.answer)
    # The socket carried the parent's session: their own child's week came on connect.
    assert any(delta_of(u, DiaryState).get("student_id") == scene.own_child_id for u in ex.boot)
    _assert_no_rights(ex.answer)
    text = _readable(ex.answer)
    assert not any(part in text for part in scene.other_child_names)
    assert all(
        delta_of(u, DiaryState).get("student_id", scene.own_child_id) == scene.own_child_id
        for u in ex.answer
    )
    assert _counts(scene) == before


def test_the_admins_socket_blocks_a_spare_user(
    browser: Any, live_server: LiveServer, scene: Scene
) -> None:
    """Control: the same socket path with the admin's cookie reaches the handler and blocks."""
    cookies = _session_cookies(browser, live_server, "spare.admin", "/admin/users")
    before = _counts(scene)
    assert before.active == (True, True)
    name = handler_name(AdminUsersState, "block_user")
    ex = _in_thread(
        lambda: _forge(scene, cookies, "/admin/users", name, {"user_id": scene.victim_user_id})
    )
    _save_frames("admin-block-user", ex.answer)
    assert any("Учётная запись заблокирована" in r for r in _refusals(ex.answer)), ex.answer
    after = _counts(scene)
    assert after.active == (True, False)
    assert after.audit_rows > before.audit_rows


async def _open_with_origin(scene: Scene, origin: str | None) -> str:
    """Connect to /login with `origin`: 'open' once the page's first update arrives,
    else the HTTP status and body of the refused handshake."""
    sock = EventSocket(scene.url, scene.contract, origin=origin)
    try:
        await sock.connect("/login", {})
        await sock.read_until(lambda u: True)
        return "open"
    except Refused as refused:
        return f"refused {refused.status} {refused.body}"
    finally:
        await sock.close()


@pytest.mark.parametrize(
    "origin",
    [EVIL_ORIGIN, "http://localhost:1", "http://localhost:{port}.evil.example", "null"],
    ids=["foreign-site", "same-host-other-port", "lookalike", "null"],
)
def test_the_websocket_refuses_an_origin_not_in_the_settings(scene: Scene, origin: str) -> None:
    """A socket.io handshake from an origin not in cors_allowed_origins is refused."""
    origin = origin.format(port=urlsplit(scene.url).port)
    outcome = _in_thread(lambda: _open_with_origin(scene, origin))
    print(f"\nOrigin {origin}: {outcome}")
    assert outcome.startswith("refused 4"), outcome


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_websocket_accepts_the_configured_origins(scene: Scene, host: str) -> None:
    """The same handshake from an origin in the settings opens and hydrates the page."""
    origin = f"http://{host}:{urlsplit(scene.url).port}"
    assert _in_thread(lambda: _open_with_origin(scene, origin)) == "open"
