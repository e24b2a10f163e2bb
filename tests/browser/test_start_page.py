"""The start page in a real browser (issue 2 §5)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LiveServer, screenshot
from tests.state.people import SCHOOL_NAME

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_start_page_shows_the_school_name_and_the_login_form(page, live_server: LiveServer):
    """Opening / shows the school's name and a login form with its two fields."""
    page.goto("/")
    page.get_by_role("heading", name=SCHOOL_NAME).wait_for()
    assert page.locator('input[name="login"][autocomplete="username"]').is_visible()
    assert page.locator('input[name="password"][autocomplete="current-password"]').is_visible()
    assert page.get_by_role("button", name="Войти").is_visible()
    screenshot(page, "start")
