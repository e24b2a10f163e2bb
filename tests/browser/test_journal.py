"""The journal in headless Chromium, as a teacher works with it.

The live server's database gets the `small` demo school (seeded for today) next to the
tiny school; `teacher` teaches mathematics in 5 «А», `deputy` reads every page. Figures
(click-to-saved latency, websocket bytes per edit) are printed, never asserted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select

from ejournal.domain import journal
from ejournal.domain.db import make_engine
from ejournal.domain.models import Attendance, User
from ejournal.domain.people import auth
from ejournal.domain.people.passwords import hash_password
from tests.browser.conftest import (
    ARTIFACTS,
    DESKTOP,
    LiveServer,
    on_path,
    screenshot,
    seed_small_school_once,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "Журнал-пароль-5"
LOGINS = ("teacher", "deputy", "classteacher")


@dataclass(frozen=True)
class JournalSchool:
    db_url: str
    teacher_id: int
    assignment_id: int
    period_id: int
    lesson_id: int  # today's 5 «А» mathematics lesson

    @property
    def path(self) -> str:
        return f"/journal?a={self.assignment_id}&p={self.period_id}"


@pytest.fixture(scope="module")
def school(live_server: LiveServer) -> Iterator[JournalSchool]:
    """The small demo school in the live server's database, with known passwords."""
    seed_small_school_once(live_server.db_url)
    engine = make_engine(live_server.db_url)
    today = dt.date.today()
    with Session(engine, expire_on_commit=False) as s:
        ids = {}
        for login in LOGINS:
            user = s.exec(select(User).where(User.login == login)).one()
            user.password_hash = hash_password(PASSWORD, 4)
            user.must_change_password = False
            s.add(user)
            ids[login] = user.id or 0
        s.commit()
        actor = auth.load_actor(s, ids["teacher"])
        lessons = journal.list_teacher_lessons(s, actor=actor, on=today)
    engine.dispose()
    lesson = next(
        (x for x in lessons if x.class_name == "5 «А»" and x.lesson_id and x.period_id), None
    )
    if lesson is None:
        pytest.skip("the seed has no 5 «А» lesson for `teacher` today (weekend or holiday)")
    assert lesson.lesson_id is not None and lesson.period_id is not None
    yield JournalSchool(
        live_server.db_url, ids["teacher"], lesson.assignment_id, lesson.period_id, lesson.lesson_id
    )


@pytest.fixture()
def second_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Another browser context (another person's computer)."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="ru-RU")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def log_in(page: Any, login: str) -> None:
    page.goto("/login")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.get_by_role("button", name="Выйти").wait_for()


def wait_grid(page: Any) -> None:
    """This page's load has arrived: the grid takes edits (not a stale grid from a reload)."""
    page.wait_for_function("() => window.ejGrid && window.ejGrid.ready()")
    page.locator("#ej-body input.ej-cell").first.wait_for()


def open_grid(page: Any, school: JournalSchool) -> None:
    page.goto(school.path)
    wait_grid(page)


def column_cells(page: Any, lesson_id: int) -> Any:
    return page.locator(f'#ej-body input.ej-cell[data-lid="{lesson_id}"]:not([readonly])')


def wait_saved(page: Any, cell: Any, text: str) -> None:
    """The server's value reached the cell and nothing is pending."""
    handle = cell.element_handle()
    page.wait_for_function(
        "([el, t]) => el.getAttribute('data-v') === t && !el.hasAttribute('data-pending')",
        arg=[handle, text],
        timeout=10_000,
    )


def server_cell(school: JournalSchool, student_id: int, lesson_id: int) -> str:
    engine = make_engine(school.db_url)
    try:
        with Session(engine) as s:
            actor = auth.load_actor(s, school.teacher_id)
            page = journal.load_page(
                s, actor=actor, assignment_id=school.assignment_id, period_id=school.period_id
            )
        return page.cell(student_id, lesson_id).text
    finally:
        engine.dispose()


def student_of(cell: Any) -> int:
    return int(cell.evaluate("el => el.closest('tr').getAttribute('data-sid')"))


def test_a_teacher_opens_todays_lesson_and_types_a_column(page: Any, school: JournalSchool):
    """From «Мои уроки» to today's column: 5, 4, н, 3 typed with Enter are saved and survive a reload."""
    log_in(page, "teacher")
    page.wait_for_url(on_path("/teacher"))
    row = page.locator("#today-lessons tr", has_text="5 «А»").first
    row.get_by_role("link", name="Открыть журнал").click()
    page.wait_for_url("**/journal?**")
    wait_grid(page)
    cells = column_cells(page, school.lesson_id)
    values = ["5", "4", "н", "3"]
    cells.nth(0).click()
    for value in values:
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    for n, value in enumerate(values):
        wait_saved(page, cells.nth(n), value)
    students = [student_of(cells.nth(n)) for n in range(len(values))]
    assert [server_cell(school, s, school.lesson_id) for s in students] == values

    page.locator(f'th[data-lid="{school.lesson_id}"] button').click()
    topic = page.locator("#ej-topic")
    topic.fill("Решение задач на движение")
    page.locator("#ej-homework").fill("§ 14, № 512, 515")
    page.get_by_role("button", name="Сохранить").click()
    page.get_by_text(f"Урок {dt.date.today():%d.%m} сохранён.").wait_for()

    page.reload()
    wait_grid(page)
    cells = column_cells(page, school.lesson_id)
    assert [cells.nth(n).get_attribute("data-v") for n in range(len(values))] == values
    header = page.locator(f'th[data-lid="{school.lesson_id}"] button')
    assert "Решение задач на движение" in (header.get_attribute("title") or "")
    assert "§ 14, № 512, 515" in (header.get_attribute("title") or "")
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "journal.png"), full_page=False)


def test_another_browser_sees_a_change_within_seconds(
    page: Any, second_page: Any, school: JournalSchool
):
    """The deputy's open page shows the teacher's new mark without reloading."""
    log_in(second_page, "deputy")
    open_grid(second_page, school)
    log_in(page, "teacher")
    open_grid(page, school)
    cell = column_cells(page, school.lesson_id).nth(5)
    sid = student_of(cell)
    new = "2" if cell.get_attribute("data-v") != "2" else "5"
    cell.click()
    page.keyboard.type(new)
    wait_saved(page, cell, new)
    watched = second_page.locator(
        f'tr[data-sid="{sid}"] input.ej-cell[data-lid="{school.lesson_id}"]'
    )
    second_page.wait_for_function(
        "([el, t]) => el.value === t", arg=[watched.element_handle(), new], timeout=8_000
    )


def test_a_conflicting_edit_shows_the_current_value(page: Any, school: JournalSchool):
    """When someone else saved the cell first, typing into it shows their value and a message."""
    log_in(page, "teacher")
    open_grid(page, school)
    page.evaluate("window.ejPollPaused = true")  # the other write must not arrive first
    cell = column_cells(page, school.lesson_id).nth(6)
    sid = student_of(cell)
    version = int(cell.get_attribute("data-ver") or "0")
    theirs = "3" if cell.get_attribute("data-v") != "3" else "4"
    engine = make_engine(school.db_url)
    with Session(engine) as s:
        actor = auth.load_actor(s, school.teacher_id)
        journal.set_cell(
            s,
            actor=actor,
            lesson_id=school.lesson_id,
            student_id=sid,
            text=theirs,
            expected_version=version,
        )
        s.commit()  # the boundary's commit (db.run_transaction in the app)
    engine.dispose()
    cell.click()
    page.keyboard.type("5" if theirs != "5" else "4")
    wait_saved(page, cell, theirs)
    assert "c" in (cell.get_attribute("data-f") or "")
    page.locator("#ej-message", has_text="изменил другой пользователь").wait_for()
    assert server_cell(school, sid, school.lesson_id) == theirs


def test_measure_click_to_saved_and_bytes_per_edit(page: Any, school: JournalSchool):
    """Prints the click-to-saved latency and the websocket bytes of one edit (no timed assert)."""
    frames: list[tuple[str, int]] = []

    def on_ws(ws: Any) -> None:
        ws.on("framesent", lambda p: frames.append(("sent", len(str(p).encode()))))
        ws.on("framereceived", lambda p: frames.append(("received", len(str(p).encode()))))

    page.on("websocket", on_ws)
    log_in(page, "teacher")
    open_grid(page, school)
    page.evaluate("window.ejPollPaused = true")
    cells = column_cells(page, school.lesson_id)
    latencies: list[float] = []
    received: list[int] = []
    sent: list[int] = []
    for n in range(8):
        cell = cells.nth(n)
        value = "4" if cell.get_attribute("data-v") != "4" else "5"
        cell.click()
        page.wait_for_function("el => document.activeElement === el", arg=cell.element_handle())
        frames.clear()
        page.evaluate(
            """el => { window.__lat = null; const t0 = performance.now();
              const mo = new MutationObserver(() => { mo.disconnect();
                window.__lat = performance.now() - t0; });
              mo.observe(el, {attributes: true, attributeFilter: ['data-ver']}); }""",
            cell.element_handle(),
        )
        page.keyboard.type(value)
        page.wait_for_function("window.__lat !== null", timeout=10_000)
        wait_saved(page, cell, value)
        page.wait_for_timeout(150)
        latencies.append(float(page.evaluate("window.__lat")))
        received.append(sum(size for kind, size in frames if kind == "received"))
        sent.append(sum(size for kind, size in frames if kind == "sent"))
    rows = page.locator("#ej-body tr").count()
    columns = page.locator("th[data-lid]").count()
    print(
        f"\njournal grid {rows} students × {columns} lessons: click-to-saved "
        f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms; "
        f"websocket per edit: received median {statistics.median(received):.0f} B "
        f"(max {max(received)} B), sent median {statistics.median(sent):.0f} B"
    )
    (ARTIFACTS / "journal-ui-figures.json").write_text(
        json.dumps({"latency_ms": latencies, "received_bytes": received, "sent_bytes": sent}),
        encoding="utf-8",
    )
    assert len(latencies) == 8


def test_pasting_a_spreadsheet_block_fills_the_cells(page: Any, school: JournalSchool):
    """A tab/newline block pasted into a cell fills the cells below it, all saved."""
    log_in(page, "teacher")
    open_grid(page, school)
    cells = column_cells(page, school.lesson_id)
    first = cells.nth(8)
    first.evaluate(
        """el => { el.focus(); const data = new DataTransfer();
          data.setData('text/plain', '5\\r\\n4\\r\\n3\\r\\n');
          el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
            cancelable: true})); }"""
    )
    for n, value in enumerate(["5", "4", "3"]):
        wait_saved(page, cells.nth(8 + n), value)
    students = [student_of(cells.nth(8 + n)) for n in range(3)]
    assert [server_cell(school, s, school.lesson_id) for s in students] == ["5", "4", "3"]


def test_keys_move_between_cells_and_delete_clears(page: Any, school: JournalSchool):
    """Arrows move, Delete clears the cell and the empty cell is saved."""
    log_in(page, "teacher")
    open_grid(page, school)
    cells = column_cells(page, school.lesson_id)
    cell = cells.nth(1)
    cell.click()
    page.keyboard.type("4")
    wait_saved(page, cell, "4")
    page.keyboard.press("ArrowUp")
    assert cells.nth(0).evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Delete")
    wait_saved(page, cell, "")
    assert server_cell(school, student_of(cell), school.lesson_id) == ""
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.getAttribute('data-lid')") != str(school.lesson_id)


def test_a_refused_value_shows_the_message_on_the_cell(page: Any, school: JournalSchool):
    """A two-mark entry where the subject allows one mark is refused and shown on the cell."""
    log_in(page, "teacher")
    open_grid(page, school)
    cell = column_cells(page, school.lesson_id).nth(9)
    before = cell.get_attribute("data-v") or ""
    cell.click()
    page.keyboard.press("Backspace")
    wait_saved(page, cell, "")
    cell.evaluate("el => { el.value = '54'; el.blur(); }")
    page.wait_for_function(
        "el => (el.getAttribute('data-f') || '').includes('!')", arg=cell.element_handle()
    )
    assert page.locator("#ej-message").inner_text() != ""
    assert server_cell(school, student_of(cell), school.lesson_id) == ""
    assert before is not None
    page.locator(f'th[data-lid="{school.lesson_id}"] button').click()
    page.locator("#ej-topic").wait_for()
    page.screenshot(path=str(ARTIFACTS / "journal-lesson-panel.png"))


def test_the_class_teacher_excuses_an_absence_from_the_class_page(page: Any, school: JournalSchool):
    """On /class a listed absence excused with a reason leaves the list and is stored excused."""
    log_in(page, "classteacher")
    page.goto("/class")
    rows = page.locator("#class-absences tbody tr")
    rows.first.wait_for()
    row = rows.first
    attendance_id = int(row.get_attribute("data-attendance") or "0")
    row.get_by_label("Уважительная причина").fill("болезнь, справка")
    row.get_by_role("button", name="Уважительная").click()
    page.get_by_text("отмечен как уважительный").wait_for()
    page.locator(f'#class-absences tr[data-attendance="{attendance_id}"]').wait_for(
        state="detached"
    )
    engine = make_engine(school.db_url)
    with Session(engine) as s:
        att = s.get(Attendance, attendance_id)
    engine.dispose()
    assert att is not None and (att.status, att.reason) == ("excused", "болезнь, справка")


def test_the_deputy_picks_a_class_then_a_page(page: Any, school: JournalSchool):
    """The deputy's /journal shows one class's cards at a time; a class chip switches the
    cards, and a period badge opens the grid."""
    log_in(page, "deputy")
    page.goto("/journal")
    classes = page.get_by_role("group", name="Класс")
    classes.get_by_role("button", name="5 «А»", exact=True).click()
    cards = page.locator(".rt-Card").filter(has_text=" — ")
    page.wait_for_function(
        "() => { const t = [...document.querySelectorAll('.rt-Card')].map(c => c.innerText);"
        " return t.length > 0 && t.every(x => x.startsWith('5 «А»')); }"
    )
    screenshot(page, "journal-picker-deputy")
    maths = cards.filter(has_text="5 «А» — Математика").first
    maths.get_by_role("link").first.click()
    page.wait_for_url("**/journal?a=*")
    wait_grid(page)


@dataclass(frozen=True)
class TeacherPage:
    login: str
    user_id: int
    assignment_id: int
    period_id: int
    lesson_id: int

    @property
    def path(self) -> str:
        return f"/journal?a={self.assignment_id}&p={self.period_id}"


@pytest.fixture(scope="module")
def four_teachers(school: JournalSchool) -> list[TeacherPage]:
    """Four other teachers of the demo school with a lesson today that takes marks."""
    from ejournal.domain.models import Role, RoleGrant

    today = dt.date.today()
    found: list[TeacherPage] = []
    engine = make_engine(school.db_url)
    with Session(engine, expire_on_commit=False) as s:
        users = s.exec(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)  # type: ignore[arg-type]
            .where(RoleGrant.role == Role.TEACHER.value, User.login.not_in(LOGINS))  # type: ignore[attr-defined]
            .order_by(User.id)  # type: ignore[arg-type]
        ).all()
        for user in users:
            actor = dataclasses.replace(
                auth.load_actor(s, user.id or 0), must_change_password=False
            )
            lessons = journal.list_teacher_lessons(s, actor=actor, on=today)
            lesson = next(
                (
                    x
                    for x in lessons
                    if x.lesson_id
                    and x.period_id
                    and not x.cancelled
                    and journal.load_page(
                        s, actor=actor, assignment_id=x.assignment_id, period_id=x.period_id
                    ).marks_allowed
                ),
                None,
            )
            if lesson is None or any(t.assignment_id == lesson.assignment_id for t in found):
                continue
            user.password_hash = hash_password(PASSWORD, 4)
            user.must_change_password = False
            s.add(user)
            assert lesson.lesson_id is not None and lesson.period_id is not None
            found.append(
                TeacherPage(
                    user.login,
                    user.id or 0,
                    lesson.assignment_id,
                    lesson.period_id,
                    lesson.lesson_id,
                )
            )
            if len(found) == 4:
                break
        s.commit()
    engine.dispose()
    if len(found) < 4:
        pytest.skip("the demo seed has fewer than four other teachers with a lesson today")
    return found


def test_four_teachers_typing_at_once_lose_no_mark(
    browser: Any, live_server: LiveServer, four_teachers: list[TeacherPage]
):
    """Four teachers type eight marks each into their own journals at the same moment on
    the default SQLite database: all 32 are saved, none pending, none flagged unsaved."""
    contexts = [
        browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="ru-RU")
        for _ in four_teachers
    ]
    try:
        pages = []
        for context, teacher in zip(contexts, four_teachers, strict=True):
            context.set_default_timeout(20_000)
            pg = context.new_page()
            log_in(pg, teacher.login)
            pg.goto(teacher.path)
            wait_grid(pg)
            pages.append(pg)
        typed: list[list[tuple[Any, int, str]]] = [[] for _ in pages]
        columns = [
            column_cells(pg, t.lesson_id) for pg, t in zip(pages, four_teachers, strict=True)
        ]
        width = min(8, *(c.count() for c in columns))
        assert width >= 4, "too few students in today's lessons"
        for k in range(len(pages)):
            for n in range(width):
                cell = columns[k].nth(n)
                value = "4" if cell.get_attribute("data-v") != "4" else "5"
                typed[k].append((cell, student_of(cell), value))
        # Every browser enters its marks at one wall-clock moment, through the grid's own
        # commit (what Enter does), so the four teachers' saves really overlap on the server.
        at = pages[0].evaluate("Date.now()") + 1500
        for k, pg in enumerate(pages):
            pg.evaluate(
                """([lid, values, at]) => setTimeout(() => {
                    const sel = `#ej-body input.ej-cell[data-lid="${lid}"]:not([readonly])`;
                    const cells = Array.from(document.querySelectorAll(sel));
                    values.forEach((v, n) => { const el = cells[n]; el.focus(); el.value = v;
                                               window.ejGrid.commit(el); });
                }, at - Date.now())""",
                [four_teachers[k].lesson_id, [v for _, _, v in typed[k]], at],
            )
        pages[0].wait_for_timeout(1600)
        for k, pg in enumerate(pages):
            for cell, _, value in typed[k]:
                try:
                    wait_saved(pg, cell, value)
                except Exception as exc:
                    shown = cell.evaluate(
                        "el => [el.value, el.getAttribute('data-v'), el.getAttribute('data-f'),"
                        " el.title, el.hasAttribute('data-pending')]"
                    )
                    message = " ".join(pg.locator("#ej-message").all_inner_texts())
                    raise AssertionError(
                        f"{four_teachers[k].login}: typed {value}, cell {shown}, «{message}»"
                    ) from exc
                assert not {"u", "!"} & set(cell.get_attribute("data-f") or "")
            assert "An error" not in pg.content()
        engine = make_engine(live_server.db_url)
        try:
            with Session(engine) as s:
                for k, teacher in enumerate(four_teachers):
                    actor = auth.load_actor(s, teacher.user_id)
                    grid = journal.load_page(
                        s,
                        actor=actor,
                        assignment_id=teacher.assignment_id,
                        period_id=teacher.period_id,
                    )
                    stored = [grid.cell(sid, teacher.lesson_id).text for _, sid, _ in typed[k]]
                    assert stored == [v for _, _, v in typed[k]], teacher.login
        finally:
            engine.dispose()
    finally:
        for context in contexts:
            context.close()


def test_54_in_a_one_mark_column_shows_the_old_value_and_the_reason(
    page: Any, school: JournalSchool
):
    """Typing 5 then 4 into a maths cell that holds a mark: the cell goes back to the old
    mark with the reason on it — never a saved 5, never a red unsaved value."""
    log_in(page, "teacher")
    open_grid(page, school)
    cell = column_cells(page, school.lesson_id).nth(10)
    sid = student_of(cell)
    cell.click()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    wait_saved(page, cell, "3")
    cell.click()
    page.keyboard.type("54")  # as a teacher types it: two keys in a row
    page.wait_for_function(
        "el => (el.getAttribute('data-f') || '').includes('!') && !el.hasAttribute('data-pending')",
        arg=cell.element_handle(),
    )
    assert cell.input_value() == "3" and cell.get_attribute("data-v") == "3"
    td = cell.locator("xpath=..")
    assert "«54» не сохранено" in (td.get_attribute("data-note") or "")
    assert "прежнее значение: «3»" in (td.get_attribute("data-note") or "")
    assert "u" not in (cell.get_attribute("data-f") or "")
    assert not cell.evaluate("el => el.classList.contains('ej-unsaved')")
    page.locator("#ej-message", has_text="«54» не сохранено").wait_for()
    assert server_cell(school, sid, school.lesson_id) == "3"
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "journal-54-refused.png"))


def test_a_read_only_page_shows_no_typing_hint(page: Any, school: JournalSchool):
    """The deputy's page has no typing hint, no «сохранено / не сохранено» legend and no
    «Выставить расчётные»; the teacher's page has the hint."""
    log_in(page, "deputy")
    open_grid(page, school)
    page.locator("#ej-legend").wait_for()
    assert page.locator("#ej-typing-hint").count() == 0
    assert page.locator("#ej-legend .ej-sw-saved").count() == 0
    assert page.locator("#ej-legend .ej-sw-unsaved").count() == 0
    assert page.locator("#ej-bulk-open").count() == 0
    assert page.get_by_text("Страница открыта только для просмотра.").count() == 1
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "journal-read-only.png"))


def test_the_teacher_takes_the_suggested_period_marks_in_one_step(page: Any, school: JournalSchool):
    """«Выставить расчётные» previews each student's suggestion and saves them all."""
    log_in(page, "teacher")
    open_grid(page, school)
    assert "одна отметка в клетке" in page.locator("#ej-typing-hint").inner_text()
    page.locator("#ej-bulk-open").click()
    rows = page.locator(".ej-bulk-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == page.locator("#ej-body tr").count()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "journal-bulk-preview.png"))
    new = page.locator('.ej-bulk-table tr[data-status="new"]').count()
    page.get_by_role("button", name="Сохранить все").click()
    page.locator("#ej-message", has_text="Выставлено отметок за период").wait_for()
    assert f"Выставлено отметок за период: {new}" in page.locator("#ej-message").inner_text()


def test_the_class_teacher_excuses_a_students_days_with_a_preview(page: Any, school: JournalSchool):
    """On /class: a student and days chosen, the covered absences listed, then all excused."""
    log_in(page, "classteacher")
    page.goto("/class")
    rows = page.locator("#class-absences tbody tr")
    rows.first.wait_for()
    first = rows.first
    name = first.locator("td").first.inner_text().split("\n")[0].strip()
    page.locator("#range-student").select_option(label=name)
    today = dt.date.today()
    page.locator("#range-from").fill((today - dt.timedelta(days=27)).isoformat())
    page.locator("#range-to").fill(today.isoformat())
    page.locator("#range-reason").fill("справка № 12")
    page.get_by_role("button", name="Показать пропуски").click()
    preview = page.locator("#range-preview tbody tr")
    preview.first.wait_for()
    covered = [
        int(preview.nth(n).get_attribute("data-attendance") or "0") for n in range(preview.count())
    ]
    page.locator("#excuse-days").screenshot(path=str(ARTIFACTS / "class-excuse-days.png"))
    page.locator("#range-confirm").click()
    page.get_by_text(f"по уважительной причине — {len(covered)}").wait_for()
    engine = make_engine(school.db_url)
    with Session(engine) as s:
        stored = [s.get(Attendance, a) for a in covered]
    engine.dispose()
    assert [(a.status, a.reason) for a in stored if a] == [("excused", "справка № 12")] * len(
        covered
    )
