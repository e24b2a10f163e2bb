"""What the simulated families do: open the diary, open another week, log in; and what the
teachers do meanwhile: open a journal page and type marks into it.

Each step returns its time in milliseconds or raises ``Failed`` with a short reason; the
runner counts reasons as errors. Times are wall-clock on the client, from the first byte
sent to the update that shows the result on screen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.load.client import (
    FrontendContract,
    ReflexSocket,
    SocketClosed,
    refusal,
    state_delta,
)
from bench.load.fixtures import Family, SavedCell, TeacherPage
from ejournal.web import AUTH_SESSION_PATH

DIARY_PATH = "/diary/"
LOGIN_PATH = "/login/"
REMEMBER_COOKIE = "ejournal_remember"
SESSION_COOKIE = "ejournal_session"
STEP_TIMEOUT_S = 30.0


def _state_names() -> dict[str, str]:
    from ejournal.state.auth import LoginState
    from ejournal.state.base import SessionState
    from ejournal.state.diary import DiaryState
    from ejournal.state.journal import JournalState

    return {
        "session": SessionState.get_full_name(),
        "diary": DiaryState.get_full_name(),
        "login": LoginState.get_full_name(),
        "journal": JournalState.get_full_name(),
    }


STATES = _state_names()


class Failed(Exception):
    """A step that did not show what the user asked for."""


@dataclass
class Tally:
    """Times (ms) and errors of one kind of step."""

    name: str
    times_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    async def time(self, step: Any) -> Any:
        try:
            ms, result = await step
        except Failed as e:
            self.errors[str(e)] += 1
            return None
        except TimeoutError:
            self.errors[f"нет ответа за {STEP_TIMEOUT_S:.0f} с"] += 1
            return None
        except (SocketClosed, ConnectionError, OSError) as e:
            self.errors[f"соединение: {type(e).__name__}"] += 1
            return None
        self.times_ms.append(ms)
        return result


@dataclass
class OpenDiary:
    """A parent on ``/diary`` holding the connection."""

    family: Family
    socket: ReflexSocket
    student_id: int
    week_start: str


def _check(updates: list[dict[str, Any]]) -> None:
    for update in updates:
        why = refusal(update)
        if why:
            raise Failed(f"отказ: {why[:120]}")


async def open_diary(base_url: str, contract: FrontendContract, family: Family) -> Any:
    """Open ``/diary`` with the remembered cookie, as the browser does; done when the week
    of the child is in the state."""
    started = time.perf_counter()
    sock = ReflexSocket(base_url, contract)
    try:
        await sock.connect(DIARY_PATH, {REMEMBER_COOKIE: family.token})

        def shown(update: dict[str, Any]) -> bool:
            delta = state_delta(update, STATES["diary"]) or {}
            return bool(delta.get("loaded_rx_state_")) or bool(refusal(update))

        updates = await sock.wait_for(shown, STEP_TIMEOUT_S)
    except BaseException:
        await sock.close()
        raise
    ms = (time.perf_counter() - started) * 1000
    try:
        _check(updates)
        delta = state_delta(updates[-1], STATES["diary"]) or {}
        days = delta.get("days_rx_state_") or []
        if not days:
            raise Failed("неделя пуста")
    except Failed:
        await sock.close()
        raise
    opened = OpenDiary(
        family,
        sock,
        int(delta.get("student_id_rx_state_") or 0),
        str(delta["week_start_rx_state_"]),
    )
    return ms, opened


async def open_week(opened: OpenDiary, weeks_back: int) -> Any:
    """On an open diary, go `weeks_back` weeks back (the «previous week» arrow)."""
    start = dt.date.fromisoformat(opened.week_start) - dt.timedelta(weeks=weeks_back)
    wanted = start.isoformat()
    # Drain updates that arrived meanwhile (unread counters and such).
    while not opened.socket.updates.empty():
        if opened.socket.updates.get_nowait() is None:
            raise SocketClosed
    started = time.perf_counter()
    await opened.socket.emit(
        f"{STATES['diary']}.open_week",
        {"student_id": opened.student_id, "week_start": wanted},
        DIARY_PATH,
    )

    def shown(update: dict[str, Any]) -> bool:
        delta = state_delta(update, STATES["diary"]) or {}
        return delta.get("week_start_rx_state_") == wanted or bool(refusal(update))

    updates = await opened.socket.wait_for(shown, STEP_TIMEOUT_S)
    ms = (time.perf_counter() - started) * 1000
    _check(updates)
    return ms, None


_CODE = re.compile(r'code: \\?"([A-Za-z0-9_\-]+)\\?"')


def _handoff_code(update: dict[str, Any]) -> str | None:
    """The one-time code in a login's answer (the script that redeems it), or None."""
    for event in update.get("events") or []:
        found = _CODE.search(json.dumps(event.get("payload") or {}))
        if found and AUTH_SESSION_PATH in json.dumps(event.get("payload") or {}):
            return found.group(1)
    return None


def redeem_code(base_url: str, code: str) -> tuple[int, str]:
    """POST the code to the app's session endpoint: the status and the Set-Cookie header."""
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base_url + AUTH_SESSION_PATH,
        data=json.dumps({"code": code}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=STEP_TIMEOUT_S) as response:  # noqa: S310
            return int(response.status), str(response.headers.get("Set-Cookie") or "")
    except urllib.error.HTTPError as e:
        return int(e.code), ""


async def log_in(base_url: str, contract: FrontendContract, login: str, password: str) -> Any:
    """Open ``/login``, submit the form with «remember me»; done when the one-time code the
    answer carries has been redeemed for the session cookie (then the browser loads home).

    The time is from the submit to the cookie (what the user waits for after the tap);
    the result is that interval's (start, end) on ``time.perf_counter``.
    """
    sock = ReflexSocket(base_url, contract)
    try:
        await sock.connect(LOGIN_PATH, {})

        def page_ready(update: dict[str, Any]) -> bool:
            delta = state_delta(update, STATES["session"]) or {}
            return bool(delta.get("school_name_rx_state_"))

        await sock.wait_for(page_ready, STEP_TIMEOUT_S)
        started = time.perf_counter()
        await sock.emit(
            f"{STATES['login']}.submit",
            {"form": {"login": login, "password": password, "remember": "on"}},
            LOGIN_PATH,
        )

        def answered(update: dict[str, Any]) -> bool:
            delta = state_delta(update, STATES["login"]) or {}
            return _handoff_code(update) is not None or bool(delta.get("error_rx_state_"))

        updates = await sock.wait_for(answered, STEP_TIMEOUT_S)
        last = updates[-1]
        code = _handoff_code(last)
        if code is None:
            error = (state_delta(last, STATES["login"]) or {}).get("error_rx_state_")
            raise Failed(f"вход не удался: {error}")
        # As the browser does: redeem the one-time code for the HttpOnly session cookie.
        status, cookie = await asyncio.to_thread(redeem_code, base_url, code)
        finished = time.perf_counter()
        if status != 200 or not cookie:
            raise Failed(f"код входа не принят: HTTP {status}")
        return (finished - started) * 1000, (started, finished)
    finally:
        await sock.close()


# --------------------------------------------------------------------------- teachers

#: A journal cell code is ``text~version~flags~title`` (``ejournal/state/journal/wire.py``);
#: the flags of a write: ``s`` saved, ``!`` refused, ``c`` conflict, ``u`` NOT saved.
CODE_SEP = "~"
WRITE_FLAGS = "s!cu"


def _var(name: str) -> str:
    return f"{name}_rx_state_"


def code_parts(code: str) -> tuple[str, int, str, str]:
    text, version, flags, title = [*code.split(CODE_SEP, 3), "", "0", "", ""][:4]
    return text, int(version or 0), flags, title


@dataclass
class OpenJournal:
    """A teacher on their journal page holding the connection: where each cell is shown
    (row var ``c<i>``, position in it) and the row codes as last received."""

    teacher: TeacherPage
    socket: ReflexSocket
    rows: dict[int, int]  # student id → row index
    cols: dict[int, int]  # lesson id → position in a row
    codes: dict[int, list[str]]  # row index → cell codes


async def open_journal(
    base_url: str, contract: FrontendContract, teacher: TeacherPage, token: str
) -> Any:
    """Open the teacher's page ``/journal?a=…&p=…`` with the session cookie; done when the
    grid is in the state."""
    journal = STATES["journal"]
    started = time.perf_counter()
    sock = ReflexSocket(base_url, contract)
    try:
        await sock.connect(teacher.path, {SESSION_COOKIE: token})

        def shown(update: dict[str, Any]) -> bool:
            delta = state_delta(update, journal) or {}
            return (
                bool(delta.get(_var("loaded")))
                or bool(delta.get(_var("load_error")))
                or bool(refusal(update))
            )

        updates = await sock.wait_for(shown, STEP_TIMEOUT_S)
    except BaseException:
        await sock.close()
        raise
    ms = (time.perf_counter() - started) * 1000
    state: dict[str, Any] = {}
    for update in updates:
        state.update(state_delta(update, journal) or {})
    try:
        _check(updates)
        if state.get(_var("load_error")):
            raise Failed(f"журнал не открылся: {state[_var('load_error')]}")
        rows = {int(s["id"]): i for i, s in enumerate(state.get(_var("students")) or [])}
        cols = {int(c["id"]): j for j, c in enumerate(state.get(_var("lessons")) or [])}
        codes = {i: list(state.get(_var(f"c{i}")) or []) for i in rows.values()}
        if any((sid not in rows or lid not in cols) for sid, lid in teacher.cells):
            raise Failed("журнал открылся без нужных клеток")
    except Failed:
        await sock.close()
        raise
    return ms, OpenJournal(teacher, sock, rows, cols, codes)


async def save_mark(opened: OpenJournal, student_id: int, lesson_id: int) -> Any:
    """Type a mark into a cell and press Enter (``save_cell``, as the grid script sends it,
    with the version on screen); done when the cell comes back flagged. The result is the
    saved cell; a refusal, a conflict, a cell left unsaved (``u``) or an error message or
    toast is a ``Failed``."""
    journal = STATES["journal"]
    i, j = opened.rows[student_id], opened.cols[lesson_id]
    text, version, _, _ = code_parts(opened.codes[i][j])
    value = "4" if text == "5" else "5"
    while not opened.socket.updates.empty():
        if opened.socket.updates.get_nowait() is None:
            raise SocketClosed
    started = time.perf_counter()
    payload = {"k": f"{student_id}:{lesson_id}", "t": value, "v": version}
    await opened.socket.emit(
        f"{journal}.save_cell", {"payload": json.dumps(payload)}, opened.teacher.path
    )

    def message(delta: dict[str, Any]) -> str:
        ok = delta.get(_var("message_ok"), False)
        return "" if ok else str(delta.get(_var("message")) or "")

    def answered(update: dict[str, Any]) -> bool:
        delta = state_delta(update, journal) or {}
        row = delta.get(_var(f"c{i}")) or []
        written = len(row) > j and bool(set(code_parts(row[j])[2]) & set(WRITE_FLAGS))
        return written or bool(message(delta)) or bool(refusal(update))

    updates = await opened.socket.wait_for(answered, STEP_TIMEOUT_S)
    ms = (time.perf_counter() - started) * 1000
    _check(updates)
    delta = state_delta(updates[-1], journal) or {}
    row = delta.get(_var(f"c{i}"))
    if not row or len(row) <= j:
        raise Failed(f"сообщение: {message(delta)[:120]}")
    opened.codes[i] = list(row)
    new_text, new_version, flags, title = code_parts(row[j])
    if "u" in flags:
        raise Failed(f"не сохранено (u): {title[:80]}")
    if "c" in flags:
        raise Failed(f"конфликт: {title[:80]}")
    if "!" in flags:
        raise Failed(f"отказ в клетке: {title[:80]}")
    if new_text != value or new_version <= version:
        raise Failed(f"«сохранено» не то: «{new_text}» версия {new_version} (было {version})")
    if message(delta):
        raise Failed(f"сообщение: {message(delta)[:120]}")
    saved = SavedCell(opened.teacher.user_id, student_id, lesson_id, new_text, new_version)
    return ms, saved
