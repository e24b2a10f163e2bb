"""Logging in with a real browser: each role's way home, wrong passwords, the slowdown,
a parent at a staff URL, and a forged admin event with the parent's browser session."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest
import reflex as rx
from playwright.sync_api import expect
from sqlmodel import Session, func, select

from ejournal.domain import site_map
from ejournal.domain.db import make_engine
from ejournal.domain.models import AuditLog, Role, User
from ejournal.state.admin import AdminUsersState
from tests.browser.conftest import LiveServer, on_path, screenshot
from tests.state.conftest import give_cookie
from tests.state.people import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NEW_PASSWORD = "Новый-пароль-на-год"


def _path(page) -> str:
    return urlparse(page.url).path.rstrip("/") or "/"


def _log_in(page, login: str, password: str) -> None:
    page.goto("/login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(password)
    page.locator('input[name="password"]').press("Enter")


def _first_login(page, live_server: LiveServer, role: Role) -> None:
    """Log in with the one-time password and replace it, as a new user does."""
    account = live_server.school.accounts[role]
    _log_in(page, account.login, PASSWORD)
    page.wait_for_url(on_path(site_map.CHANGE_PASSWORD_PATH))
    page.locator('input[name="old_password"]').fill(PASSWORD)
    page.locator('input[name="new_password"]').fill(NEW_PASSWORD)
    page.locator('input[name="repeat_password"]').fill(NEW_PASSWORD)
    if role is Role.TEACHER:
        screenshot(page, "change-password")
    page.get_by_role("button", name="Сменить пароль").click()
    page.wait_for_url(on_path(account.home))


@pytest.mark.parametrize(
    "role",
    [Role.TEACHER, Role.CLASS_TEACHER, Role.DEPUTY, Role.DIRECTOR, Role.ADMIN, Role.STUDENT],
)
def test_each_role_logs_in_and_lands_on_its_home(page, live_server: LiveServer, role: Role):
    """First login goes through the password change, then to the role's home page."""
    _first_login(page, live_server, role)
    page.get_by_role("button", name="Выйти").wait_for()
    screenshot(page, f"home-{role.value}")


def test_a_wrong_password_shows_the_message(page, live_server: LiveServer):
    """A wrong password keeps the user on the login page with the common message."""
    _log_in(page, "spare.wrong", "не-тот-пароль")
    page.get_by_role("alert").get_by_text("Неверный логин или пароль.").wait_for()
    assert _path(page) == "/login"
    screenshot(page, "login-wrong-password")


def test_five_wrong_passwords_make_the_next_attempt_wait(page, live_server: LiveServer):
    """After five failures the next attempt is refused with a delay message."""
    for _ in range(5):
        _log_in(page, "spare.throttle", "не-тот-пароль")
        page.get_by_role("alert").wait_for()
    _log_in(page, "spare.throttle", PASSWORD)
    page.get_by_role("alert").get_by_text("Слишком много неудачных попыток").wait_for()
    assert _path(page) == "/login"


def test_a_slowed_account_lets_the_right_password_in_after_the_pause(page, live_server: LiveServer):
    """Failures slow the account down but never lock it: once the pause (5 s after the
    fifth failure) has passed, the right password logs in."""
    for _ in range(5):
        _log_in(page, "spare.locked", "не-тот-пароль")
        page.get_by_role("alert").wait_for()
    screenshot(page, "login-slowed")
    page.wait_for_timeout(5_500)
    _log_in(page, "spare.locked", PASSWORD)
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") not in ("", "/login"))


def logged_in(page, live_server: LiveServer, role: Role) -> None:
    """`role`'s browser at its home, whether or not the password was changed yet."""
    account = live_server.school.accounts[role]
    _log_in(page, account.login, NEW_PASSWORD)
    try:
        page.wait_for_url(f"**{account.home}**", timeout=5_000)
    except Exception:  # the first login of the session: replace the one-time password
        _first_login(page, live_server, role)


def _parent_logged_in(page, live_server: LiveServer) -> None:
    logged_in(page, live_server, Role.PARENT)


def test_a_parent_who_types_a_teacher_url_is_turned_away(page, live_server: LiveServer):
    """A parent at /teacher or /admin/users is sent back to the diary."""
    _parent_logged_in(page, live_server)
    for url in ("/teacher", "/admin/users", "/admin/audit"):
        page.goto(url)
        page.wait_for_url(on_path("/diary"))
    expect(page.get_by_role("heading", name="Дневник")).to_be_visible(timeout=20_000)


def test_a_forged_admin_event_with_a_parents_browser_session_is_refused(
    page, live_server: LiveServer
):
    """The parent's real session cookie, used on the admin's block handler, blocks no one."""
    _parent_logged_in(page, live_server)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = cookies.get("ejournal_session", "")
    assert token, cookies

    engine = make_engine(live_server.db_url)
    import ejournal.domain.db as db

    saved = db.get_engine
    db.get_engine = lambda url=None: engine  # type: ignore[assignment]
    try:
        with Session(engine) as s:
            audit_rows = s.exec(select(func.count()).select_from(AuditLog)).one()
        root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
        give_cookie(root, token)
        st = root.get_substate(AdminUsersState.get_full_name().split("."))
        victim = live_server.school.accounts[Role.DEPUTY].user_id
        # Playwright's loop owns this thread: run the handler on a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(AdminUsersState.block_user.fn(st, victim))).result()
        with Session(engine) as s:
            user = s.get(User, victim)
            assert user is not None and user.is_active
            assert s.exec(select(func.count()).select_from(AuditLog)).one() == audit_rows
    finally:
        db.get_engine = saved  # type: ignore[assignment]
        engine.dispose()
    # The parent's own session is still good: the refusal did not log them out.
    page.goto("/diary")
    page.get_by_role("heading", name="Дневник").wait_for()


def test_the_session_cookie_is_out_of_page_scripts_reach(page, live_server: LiveServer):
    """After login the session cookie is HttpOnly and SameSite=Strict: the page's scripts
    cannot read it; pages carry the security headers; logout deletes the cookie and a
    replay of the old tab shows nothing of the user."""
    response = page.goto("/login")
    headers = response.headers if response else {}
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("referrer-policy") == "same-origin"
    page.locator('input[name="login"]').fill("spare.teacher")  # own password set
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.get_by_role("button", name="Выйти").wait_for()
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies.get("ejournal_session") or cookies.get("ejournal_remember")
    assert session is not None and session["httpOnly"] and session["sameSite"] == "Strict"
    assert session["value"] not in page.evaluate("document.cookie")
    assert session["value"] not in page.content()
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login**")
    page.locator('input[name="login"]').wait_for()
    names = {c["name"] for c in page.context.cookies()}
    assert not names & {"ejournal_session", "ejournal_remember"}
