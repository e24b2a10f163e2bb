"""What the simulated families do: open the diary, open another week, log in.

Each step returns its time in milliseconds or raises ``Failed`` with a short reason; the
runner counts reasons as errors. Times are wall-clock on the client, from the first byte
sent to the update that shows the result on screen.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ejournal.bench.load.client import (
    FrontendContract,
    ReflexSocket,
    SocketClosed,
    event_names,
    refusal,
    state_delta,
)
from ejournal.bench.load.fixtures import Family

DIARY_PATH = "/diary/"
LOGIN_PATH = "/login/"
REMEMBER_COOKIE = "ejournal_remember"
STEP_TIMEOUT_S = 30.0


def _state_names() -> dict[str, str]:
    from ejournal.state.auth import LoginState
    from ejournal.state.base import SessionState
    from ejournal.state.diary import DiaryState

    return {
        "session": SessionState.get_full_name(),
        "diary": DiaryState.get_full_name(),
        "login": LoginState.get_full_name(),
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


async def log_in(base_url: str, contract: FrontendContract, login: str, password: str) -> Any:
    """Open ``/login``, submit the form with «remember me»; done at the redirect home.

    The time is from the submit to the redirect (what the user waits for after the tap);
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
            return "_redirect" in event_names(update) or bool(delta.get("error_rx_state_"))

        updates = await sock.wait_for(answered, STEP_TIMEOUT_S)
        finished = time.perf_counter()
        last = updates[-1]
        if "_redirect" not in event_names(last):
            error = (state_delta(last, STATES["login"]) or {}).get("error_rx_state_")
            raise Failed(f"вход не удался: {error}")
        return (finished - started) * 1000, (started, finished)
    finally:
        await sock.close()
