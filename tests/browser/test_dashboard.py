"""The deputy's control page in headless Chromium, on the `small` demo school: tiles and a
plotly chart, a finding that opens the journal on its cell, the report as XLSX."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.browser import test_journal
from tests.browser.conftest import on_path, screenshot
from tests.browser.test_journal import JournalSchool, log_in, wait_grid

# The small demo school in the live server's database (the journal tests' fixture).
school = test_journal.school

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_dashboard(page: Any) -> None:
    log_in(page, "deputy")
    page.goto("/dashboard")
    page.wait_for_url(on_path("/dashboard"))
    page.get_by_test_id("tile").nth(4).wait_for()
    page.get_by_test_id("finding").first.wait_for()


def test_the_deputy_sees_tiles_a_chart_and_opens_a_finding_on_its_cell(
    page: Any, school: JournalSchool
):
    open_dashboard(page)
    tiles = page.get_by_test_id("tile")
    assert tiles.count() == 5
    assert re.fullmatch(r"\d+ %", tiles.first.get_by_test_id("tile-value").inner_text())
    # plotly drew the heat map (an SVG with the class rows), not an empty box.
    heat = page.get_by_test_id("chart-heat")
    heat.locator(".main-svg").first.wait_for()
    assert heat.locator(".ytick").count() >= 2
    screenshot(page, "dashboard")
    # «После «2»…» lists findings that name a student and a lesson.
    page.get_by_test_id("finding-group").filter(has_text="После «2»").click()
    page.wait_for_function(
        "() => { const f = document.querySelector('[data-testid=finding]');"
        " return f && f.innerText.includes('не исправлялась'); }"
    )
    link = page.get_by_test_id("finding").first.get_by_role("link", name="Открыть в журнале")
    href = link.get_attribute("href") or ""
    lesson = re.search(r"[?&]l=(\d+)", href)
    student = re.search(r"[?&]s=(\d+)", href)
    assert lesson and student, href
    link.click()
    page.wait_for_url("**/journal?a=*")
    wait_grid(page)
    target = page.locator("td.ej-target")
    target.wait_for()
    assert target.locator("input").get_attribute("data-lid") == lesson[1]
    row = page.locator("tr.ej-target-row")
    assert row.get_attribute("data-sid") == student[1]
    assert row.locator("td.ej-target").count() == 1


def test_the_deputy_downloads_the_fill_report_as_xlsx(page: Any, school: JournalSchool):
    open_dashboard(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="XLSX").click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    assert "Класс" in headers and "Предмет" in headers
    assert sheet.max_row > 3
    assert "Как считается" in book.sheetnames
