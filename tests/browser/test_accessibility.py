"""Accessibility in a real browser: the login form's labels and keyboard, Russian names for
screen readers, and axe-core over each role's main pages (no serious or critical findings).

axe-core comes from the npm registry into .tools/axe (scripts/bootstrap.sh test).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from ejournal.domain import site_map
from ejournal.domain.db import make_engine
from ejournal.domain.models import User
from ejournal.domain.people.passwords import hash_password
from tests.browser.conftest import ARTIFACTS, LiveServer, on_path, seed_small_school_once
from tests.state.people import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AXE = (
    Path(__file__).resolve().parents[2]
    / ".tools"
    / "axe"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
#: Each demo login and the main pages of its role.
ROLE_PAGES = {
    "admin": ["/admin/users", "/admin/audit", "/admin/backups", "/setup/school", "/setup/people"],
    "director": ["/dashboard", "/records"],
    "deputy": ["/dashboard", "/announcements", "/setup/curriculum", "/setup/timetable", "/ktp",
               "/records", "/settings"],
    "secretary": ["/setup/people", "/class/students"],
    "teacher": ["/teacher", "/ktp"],
    "classteacher": ["/class", "/class/confirmations", "/messages", "/class/students",
                     "/records"],
    "parent": ["/diary", "/diary/marks", "/messages"],
    "student": ["/diary", "/diary/marks"],
}  # fmt: skip
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def demo_logins(live_server: LiveServer) -> Iterator[None]:
    """The demo school's main accounts with the test password, no first-login change."""
    seed_small_school_once(live_server.db_url)
    engine = make_engine(live_server.db_url)
    with Session(engine) as s:
        for login in ROLE_PAGES:
            if s.exec(select(User.id).where(User.login == login)).first() is None:
                continue
            s.exec(
                update(User)
                .where(col(User.login) == login)
                .values(password_hash=hash_password(PASSWORD, 4), must_change_password=False)
            )
        s.commit()
    engine.dispose()
    yield


def _log_in(page: Any, login: str) -> None:
    page.goto("/login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_function("() => !location.pathname.startsWith('/login')")


def _axe(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip("axe-core не установлен: scripts/bootstrap.sh test")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result
        if v["impact"] in SERIOUS
    ]


def test_login_fields_are_labelled(page: Any) -> None:
    """Playwright's accessibility tree names the login form's fields in Russian."""
    page.goto("/login")
    page.get_by_role("button", name="Войти").wait_for()
    snapshot = page.locator("form").aria_snapshot()
    assert 'textbox "Логин"' in snapshot, snapshot
    assert 'textbox "Пароль"' in snapshot, snapshot
    assert 'checkbox "Запомнить это устройство"' in snapshot, snapshot
    assert page.get_by_label("Логин").count() == 1
    assert page.get_by_label("Пароль").count() == 1


def test_enter_after_ticking_remember_from_the_keyboard_logs_in(
    page: Any, live_server: LiveServer, demo_logins: None
) -> None:
    """Tab to «Запомнить», Space ticks it, Enter submits the form."""
    page.goto("/login")
    page.locator('input[name="login"]').fill("teacher")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Tab")
    page.keyboard.press("Space")
    assert page.get_by_label("Запомнить это устройство").is_checked()
    page.keyboard.press("Enter")
    page.wait_for_url(on_path("/teacher"))


def test_password_page_fields_are_labelled(page: Any, demo_logins: None) -> None:
    """The three password fields are named by their labels."""
    _log_in(page, "student")
    page.goto(site_map.CHANGE_PASSWORD_PATH)
    page.get_by_role("button", name="Сменить пароль").wait_for()
    for label in ("Текущий пароль", "Новый пароль", "Новый пароль ещё раз"):
        assert page.get_by_label(label, exact=True).count() == 1, label


def test_no_english_names_for_screen_readers(page: Any, demo_logins: None) -> None:
    """The toast region is «Уведомления…», not sonner's «Notifications alt+T»."""
    _log_in(page, "parent")
    page.wait_for_timeout(500)
    names = page.evaluate(
        "() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))"
    )
    assert not [n for n in names if "Notifications" in n], names
    assert any(n.startswith("Уведомления") for n in names), names


def test_axe_finds_nothing_serious_on_each_roles_main_pages(
    browser: Any, live_server: LiveServer, demo_logins: None
) -> None:
    """axe-core over every role's main pages: no serious or critical violations."""
    found: dict[str, list[dict[str, Any]]] = {}
    for login, paths in ROLE_PAGES.items():
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="ru-RU"
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            _log_in(page, login)
            for path in paths:
                page.goto(path)
                try:
                    page.wait_for_url(on_path(path))
                    page.wait_for_selector("h1")
                except Exception:  # said in the result, with a screenshot
                    page.screenshot(path=str(ARTIFACTS / f"axe-{login}-failed.png"))
                    found[f"{login} {path}"] = [{"id": "page-not-shown", "url": page.url}]
                    continue
                page.wait_for_timeout(800)
                if problems := _axe(page):
                    found[f"{login} {path}"] = problems
        finally:
            context.close()
    page = browser.new_context(base_url=live_server.url, locale="ru-RU").new_page()
    page.goto("/login")
    page.get_by_role("button", name="Войти").wait_for()
    if problems := _axe(page):
        found["/login"] = problems
    page.context.close()
    (ARTIFACTS / "axe-violations.json").write_text(
        json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
