"""The administrator's pages and the account page in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, LiveServer, screenshot
from tests.state.people import PASSWORD


def logged_in(page, login: str, home: str) -> None:
    """Log a spare account (its own password already set) in and wait for its home."""
    page.goto("/login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(f"**{home}**")


pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_admin_resets_a_password_and_sees_it_once(page, live_server: LiveServer):
    """Search, open an account, reset: the one-time password is shown on the page."""
    logged_in(page, "spare.admin", "/admin/users")
    page.get_by_placeholder("Фамилия, имя или логин").fill("spare.reset")
    page.get_by_role("button", name="Найти").click()
    page.get_by_role("link", name="spare.reset Т").click()
    page.get_by_role("button", name="Сбросить пароль").click()
    page.get_by_text(re.compile(r"^Одноразовый пароль: \S+")).wait_for()
    screenshot(page, "admin-users-card")


def test_the_admin_creates_a_teacher_account(page, live_server: LiveServer):
    """A new staff account appears with its login and one-time password."""
    logged_in(page, "spare.admin", "/admin/users")
    page.get_by_role("textbox", name="Фамилия", exact=True).fill("Новикова")
    page.get_by_role("textbox", name="Имя", exact=True).fill("Нина")
    page.get_by_role("button", name="Создать учётную запись").click()
    page.get_by_text(re.compile(r"^Одноразовый пароль: \S+")).wait_for()
    page.get_by_role("link", name="Новикова Нина").wait_for()


def test_the_audit_log_lists_the_changes(page, live_server: LiveServer):
    """The admin blocks and unblocks an account; the director finds it in the audit log."""
    logged_in(page, "spare.admin", "/admin/users")
    page.get_by_placeholder("Фамилия, имя или логин").fill("spare.reset")
    page.get_by_role("button", name="Найти").click()
    page.get_by_role("link", name="spare.reset Т").click()
    page.get_by_role("button", name="Заблокировать").click()
    page.get_by_role("button", name="Разблокировать").click()
    page.get_by_role("button", name="Заблокировать").wait_for()
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login**")
    logged_in(page, "spare.director", "/dashboard")
    page.goto("/admin/audit")
    page.get_by_role("heading", name="Журнал аудита").wait_for()
    # Unfiltered, the newest entries include the blocking.
    page.get_by_role("cell", name="Блокировка", exact=True).first.wait_for()
    page.get_by_role("combobox", name="Действие").select_option(label="Разблокировка")
    # Before the filter applies, the table lists every action, blocking included: wait for
    # the filtered list (it keeps the unblocking and drops the blocking) instead of reading
    # the table at once.
    page.get_by_role("button", name="Показать").click()
    expect(page.get_by_role("cell", name="Блокировка", exact=True)).to_have_count(0, timeout=20_000)
    expect(page.get_by_role("cell", name="Разблокировка", exact=True).first).to_be_visible(
        timeout=20_000
    )
    # The change reads in Russian: the account, and what it was and became.
    row = page.get_by_role("row").filter(has_text="Разблокировка").first
    expect(row).to_contain_text("spare.reset")
    expect(row).to_contain_text("Активна: нет")
    expect(row).to_contain_text("Активна: да")
    screenshot(page, "admin-audit")
    # On a phone the entries are cards: nothing scrolls sideways and the change reads whole.
    page.set_viewport_size(PHONE)
    card = page.locator(".audit-card").filter(has_text="Разблокировка").first
    expect(card).to_contain_text("Стало: Активна: да")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_account_page_lists_my_sessions(page, live_server: LiveServer):
    """My profile shows the current session, marked as this one."""
    logged_in(page, "spare.teacher", "/teacher")
    page.get_by_role("link", name="Мой профиль").click()
    page.get_by_text("Этот сеанс").wait_for()
    screenshot(page, "account")
