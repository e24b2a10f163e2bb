"""Forecasts in headless Chromium: the deputy's risk list and a message to the parents; the
parent's forecast beside «Что нужно» on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import test_diary, test_journal
from tests.browser.conftest import ARTIFACTS, LiveServer, on_path, screenshot
from tests.browser.test_diary import DemoFamily
from tests.browser.test_journal import JournalSchool, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# The small demo school in the live server's database (the journal's and the diary's fixtures:
# known passwords for the staff and the demo family).
school = test_journal.school
family = test_diary.family
phone = test_diary.phone


def test_the_deputy_writes_to_the_parents_of_a_student_at_risk(page: Any, school: JournalSchool):
    log_in(page, "deputy")
    page.goto("/risks")
    page.wait_for_url(on_path("/risks"))
    card = page.get_by_test_id("risk-student").first
    card.wait_for(timeout=60_000)  # the first visit trains the model
    assert "риск" in card.inner_text()
    screenshot(page, "risks")
    card.get_by_role("button", name="Написать родителям").click()
    dialog = page.get_by_role("dialog")
    body = dialog.get_by_role("textbox", name="Текст сообщения")
    assert "Здравствуйте" in body.input_value()
    body.fill(body.input_value() + "\nПриходите в четверг.")
    dialog.get_by_role("button", name="Отправить").click()
    page.get_by_text("Сообщение отправлено").wait_for()
    card.get_by_role("button", name="Отправлено ✓").wait_for()


def test_the_parent_sees_the_forecast_beside_what_is_needed_on_a_phone(
    phone: Any, live_server: LiveServer, family: DemoFamily
):
    page = phone
    test_diary._log_in(page, "parent")
    page.wait_for_url(on_path("/diary"))
    page.goto("/diary/marks")
    page.locator(".marks-row").first.wait_for()
    page.locator(".marks-summary").first.click()
    details = page.locator(".marks-row[open] .subject-card")
    details.wait_for()
    text = details.locator(".forecast-text")
    text.wait_for(timeout=60_000)
    words = text.inner_text()
    assert words.startswith("Прогноз") and ("сбывались" in words or "не измерена" in words)
    details.get_by_role("button", name="Что нужно для «5»").wait_for()
    page.screenshot(path=str(ARTIFACTS / "diary-forecast-phone.png"), full_page=True)
