"""Benchmark: the journal page in Chromium against the production server (demo school).

What a teacher feels, measured in the browser (targets from the issue: interactive ≤ 1.5 s,
≤ 2 KB on the websocket per edit):

- opening the page: navigation start → the first editable cell is focusable, and → the
  first edit typed into it is saved (the server's new version reached the cell);
- click-to-saved of one cell edit: the keydown → the cell shows the saved version
  (``data-ver`` changes and nothing is pending), timed inside the page;
- websocket bytes received and sent per edit (live polling paused while measuring);
- a whole-column paste (every student of the page): the paste event → every pasted cell
  saved.

The database is the demo school seeded into a temporary SQLite file (or
EJOURNAL_BENCH_DB); the page is the one ``journal_bench`` measures on the server (the
largest class's 5-hours-a-week subject, the quarter with the most lessons held). The
school's edit lock is switched off in that database so last quarter's cells take edits
without a reason dialog. The server is ``reflex run --env prod`` on a free port (built into
``var/web-load``, see ``bench.load.server``); Chromium is Debian's, headless.
Writes a screenshot of the page (1280×800) to ``var/bench/journal.png``. Prints the figures;
asserts nothing.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bench.journal_bench import _engine, _percentile, _pick_page
from ejournal.config import PROJECT_ROOT
from ejournal.domain.models import School, User
from ejournal.domain.people.passwords import hash_password

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "Замер-журнала-5"
OPENS = 12
EDITS = 20
PASTES = 5
OUT = PROJECT_ROOT / "var" / "bench"

# In-page helpers. A cell is saved when the server's version reached it and it is not
# pending; times are performance.now() of the page (0 = navigation start).
# Polled every frame after navigation: once the last editable cell is there and the grid
# takes edits (this page's load arrived, not the last visit's grid from the stored state), type a new mark into it as a keystroke would (value + commit) and watch for the
# saved version. Returns the time the cell became usable.
JS_TYPE_WHEN_READY = """() => {
  const all = document.querySelectorAll('#ej-body input.ej-cell:not([readonly])');
  const el = all[all.length - 1];
  if (!el || !window.ejGrid || !window.ejGrid.ready()) return false;
  const t = performance.now();
  const from = el.getAttribute('data-ver');
  window.__ejSaved = null;
  window.__ejCell = el; window.__ejFrom = from; window.__ejRuns = (window.__ejRuns || 0) + 1;
  const mo = new MutationObserver(() => {
    if (el.getAttribute('data-ver') !== from && !el.hasAttribute('data-pending')) {
      mo.disconnect(); window.__ejSaved = performance.now(); }
  });
  mo.observe(el, {attributes: true, attributeFilter: ['data-ver', 'data-pending']});
  el.focus();
  el.value = el.getAttribute('data-v') === '4' ? '5' : '4';
  window.ejGrid.commit(el);
  return t;
}"""
# t0: the keydown that commits (the digit, or Enter where the column takes two marks).
JS_ARM_EDIT = """([el, key]) => {
  window.__ejT0 = null; window.__ejT1 = null;
  const arm = e => { if (!key || e.key === key) {
    window.__ejT0 = performance.now(); el.removeEventListener('keydown', arm, true); } };
  el.addEventListener('keydown', arm, true);
  const from = el.getAttribute('data-ver');
  const mo = new MutationObserver(() => {
    if (el.getAttribute('data-ver') !== from && !el.hasAttribute('data-pending')) {
      mo.disconnect(); window.__ejT1 = performance.now(); }
  });
  mo.observe(el, {attributes: true, attributeFilter: ['data-ver', 'data-pending']});
}"""
JS_PASTE = """([first, rows]) => new Promise(resolve => {
  const tr0 = first.closest('tr');
  const col = Array.prototype.indexOf.call(tr0.querySelectorAll('input.ej-cell'), first);
  const cells = [];
  for (let tr = tr0; tr && cells.length < rows.length; tr = tr.nextElementSibling) {
    const c = tr.querySelectorAll('input.ej-cell')[col];
    if (c) cells.push([c, c.getAttribute('data-ver')]);
  }
  const done = () => cells.every(([c, v], i) =>
    !c.hasAttribute('data-pending') && c.getAttribute('data-v') === rows[i]);
  const body = document.getElementById('ej-body');
  const mo = new MutationObserver(() => { if (done()) { mo.disconnect(); resolve(performance.now() - t0); } });
  mo.observe(body, {subtree: true, attributes: true, attributeFilter: ['data-v', 'data-ver', 'data-pending']});
  first.focus();
  const data = new DataTransfer();
  data.setData('text/plain', rows.join('\\r\\n') + '\\r\\n');
  setTimeout(() => { mo.disconnect(); resolve(NaN); }, 30000);  // refused or lost: no figure
  const t0 = performance.now();
  first.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
})"""


def _prepare(engine: Any) -> tuple[str, str] | None:
    """(login, page path, rows) of the measured page; its teacher gets a known password."""
    with Session(engine) as session:
        picked = _pick_page(session)
        if picked is None:
            return None
        assignment_id, period_id, user_id, _ = picked
        user = session.get(User, user_id)
        assert user is not None
        user.password_hash = hash_password(PASSWORD, 4)
        user.must_change_password = False
        session.add(user)
        for school in session.exec(select(School)).all():
            school.edit_lock_days = 0  # last quarter's cells without a reason dialog
            session.add(school)
        session.commit()
        return user.login, f"/journal?a={assignment_id}&p={period_id}"


def _stats(values: list[float]) -> str:
    if not values:
        return "—"
    return (
        f"p50 {statistics.median(values):7.0f}  p95 {_percentile(values, 0.95):7.0f}"
        f"  max {max(values):7.0f}"
    )


def _measure(base_url: str, login: str, path: str) -> dict[str, Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import ViewportSize, sync_playwright

    figures: dict[str, Any] = {"focusable": [], "interactive": [], "edit": [], "paste": []}
    figures.update(received=[], sent=[], lost=[])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        viewport = ViewportSize(width=VIEWPORT["width"], height=VIEWPORT["height"])
        context = browser.new_context(viewport=viewport, base_url=base_url, locale="ru-RU")
        context.set_default_timeout(30_000)
        page = context.new_page()
        frames: list[tuple[str, int]] = []

        def on_ws(ws: Any) -> None:
            ws.on("framesent", lambda p: frames.append(("sent", len(_bytes(p)))))
            ws.on("framereceived", lambda p: frames.append(("received", len(_bytes(p)))))

        page.on("websocket", on_ws)
        page.goto("/login")
        page.locator('input[name="login"]').fill(login)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.get_by_role("button", name="Выйти").wait_for()

        editable = "#ej-body input.ej-cell:not([readonly])"
        # The screenshot first, before the benchmark writes anything: the page as it opens.
        page.goto(path)
        page.wait_for_function("() => window.ejGrid && window.ejGrid.ready()")
        page.evaluate("window.ejPollPaused = true; window.scrollTo(0, 0)")
        page.mouse.move(0, 0)
        OUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / "journal.png"))
        for _ in range(OPENS):
            page.goto(path, wait_until="commit")
            ready = page.wait_for_function(JS_TYPE_WHEN_READY, polling="raf").json_value()
            try:
                saved = page.wait_for_function("window.__ejSaved").json_value()
            except PlaywrightTimeout:
                figures["lost"].append(_why_not_saved(page, "открытие"))
                continue
            figures["focusable"].append(float(ready))
            figures["interactive"].append(float(saved))
        figures["rows"] = page.locator("#ej-body tr").count()
        figures["columns"] = page.locator("th[data-lid]").count()

        page.evaluate("window.ejPollPaused = true")
        heads = page.locator('th[data-lid][data-ed="1"]')
        last_lid = heads.last.get_attribute("data-lid")
        column = page.locator(f'{editable}[data-lid="{last_lid}"]')
        for n in range(EDITS):
            cell = column.nth(n % column.count())
            cell.click()
            page.wait_for_function("el => document.activeElement === el", arg=cell.element_handle())
            two = cell.get_attribute("data-two") == "1"
            page.evaluate(JS_ARM_EDIT, [cell.element_handle(), "Enter" if two else ""])
            frames.clear()
            _type(page, cell)
            try:
                page.wait_for_function("window.__ejT1 !== null")
            except PlaywrightTimeout:
                figures["lost"].append(_why_not_saved(page, "правка"))
                continue
            figures["edit"].append(float(page.evaluate("window.__ejT1 - window.__ejT0")))
            page.wait_for_timeout(200)  # the trailing frames of this event, nothing else runs
            figures["received"].append(sum(s for kind, s in frames if kind == "received"))
            figures["sent"].append(sum(s for kind, s in frames if kind == "sent"))

        # Columns where every student can have a mark (a paste is all or nothing).
        full = [
            lid
            for lid in heads.evaluate_all("els => els.map(e => e.getAttribute('data-lid'))")
            if page.locator(f'{editable}[data-lid="{lid}"]').count() == figures["rows"]
        ]
        for n, lid in enumerate(full[-PASTES - 1 : -1]):
            cells = page.locator(f'{editable}[data-lid="{lid}"]')
            rows = ["5" if (n + k) % 3 else "4" for k in range(cells.count())]
            first = cells.first.element_handle()
            elapsed = float(page.evaluate(JS_PASTE, [first, rows]))
            if elapsed == elapsed:  # not NaN
                figures["paste"].append(elapsed)
            figures["paste_cells"] = len(rows)

        context.close()
        browser.close()
    return figures


def _why_not_saved(page: Any, phase: str) -> str:
    """What the page says about an edit that was not saved within the timeout."""
    return (
        phase
        + ": "
        + str(
            page.evaluate(
                """() => { const el = document.activeElement;
              const m = document.getElementById('ej-message');
              const c = window.__ejCell;
              return 'клетка ' + (el && el.getAttribute ? el.getAttribute('data-f') + '/'
                + el.hasAttribute('data-pending') : '?')
                + (c ? ', версия ' + window.__ejFrom + ' → ' + c.getAttribute('data-ver')
                  + ', та же клетка: ' + (c === el) + ', в документе: ' + c.isConnected
                  + ', запусков: ' + window.__ejRuns : '')
                + ', сообщение: '
                + (m ? m.innerText : ''); }"""
            )
        )
    )


def _type(page: Any, cell: Any) -> None:
    """Type a new mark into the focused cell; Enter commits where a second mark could follow."""
    page.keyboard.type("4" if cell.get_attribute("data-v") != "4" else "5")
    if cell.get_attribute("data-two") == "1":
        page.keyboard.press("Enter")


def _bytes(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else str(payload).encode()


def run() -> None:
    """Print the journal page's figures in Chromium: opening, one edit, bytes, a column paste."""
    from bench.load.server import production_server

    if not CHROMIUM.exists():
        print(f"  Chromium не установлен ({CHROMIUM}): замер пропущен", flush=True)
        return
    engine, url = _engine()
    prepared = _prepare(engine)
    engine.dispose()
    if prepared is None:
        print("  нет подходящей страницы журнала: нечего измерять", flush=True)
        return
    login, path = prepared
    started = time.monotonic()
    with production_server(url) as server:
        print(f"  сервер production поднят за {time.monotonic() - started:.0f} с", flush=True)
        f = _measure(server.url, login, path)
    print(
        f"Журнал в Chromium: {f['rows']} учащихся × {f['columns']} уроков, "
        f"сервер production (SQLite, 1 процесс), окно {VIEWPORT['width']}×{VIEWPORT['height']}",
        flush=True,
    )
    print(f"  {'замер':<44} {'мс':>36}")
    print(f"  {'открытие → клетки доступны (n=' + str(OPENS) + ')':<44} {_stats(f['focusable'])}")
    print(
        f"  {'открытие → первая правка сохранена (цель p95 ≤ 1500)':<44} {_stats(f['interactive'])}"
    )
    print(
        f"  {'клавиша → «сохранено», одна клетка (n=' + str(EDITS) + ')':<44} {_stats(f['edit'])}"
    )
    print(
        f"  {'вставка столбца ' + str(f.get('paste_cells', 0)) + ' отметок (n=' + str(PASTES) + ')':<44} "
        f"{_stats(f['paste'])}"
    )
    received, sent = f["received"], f["sent"]
    print(
        f"  websocket на одну правку (цель ≤ 2048 Б): получено медиана "
        f"{statistics.median(received):.0f} Б (макс. {max(received)}), отправлено медиана "
        f"{statistics.median(sent):.0f} Б (макс. {max(sent)})",
        flush=True,
    )
    for why in f["lost"]:
        print(f"  правка не сохранилась за 30 с: {why}", flush=True)
    print(f"  снимок страницы: {OUT / 'journal.png'}", flush=True)


if __name__ == "__main__":
    run()
