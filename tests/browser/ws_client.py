"""A raw socket.io client for Reflex's ``/_event`` websocket, for security tests.

It speaks the protocol the built front end speaks (read from Reflex 0.10.1 and the
browser's frames):

* one websocket to ``/_event/?token=<tab uuid>&EIO=4&transport=websocket`` with the
  Reflex version as subprotocol, the page's ``Origin`` and the browser's cookies;
* Engine.IO 4 open packet ``0{…}``, pings ``2`` answered with ``3``;
* a socket.io CONNECT ``40/_event,{"event": <hydrate_and_load>, "state_schema": …}``:
  the boot event carries the cookie vars (the session token) in ``payload.vars``;
* events ``42/_event,["event", {name, payload, router_data}]`` where ``name`` is the
  handler's full name (``<State.get_full_name()>.<handler>``);
* updates ``42/_event,["event", {"delta": …, "events": […], "final": …}]``.

The connection itself is the load harness's client (``ReflexSocket`` in
``bench/load/client.py``), which also reads the built front end
(``FrontendContract``); this module adds what the tests need on top: the ``Origin`` of
their choice, reading until the socket is quiet, and reading toasts and redirects.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Any

from bench.load.client import (
    FrontendContract,
    ReflexSocket,
    Refused,
    SocketClosed,
    state_delta,
)

__all__ = [
    "EventSocket",
    "FrontendContract",
    "Refused",
    "client_events",
    "delta_of",
    "handler_name",
    "is_redirect",
    "toast_text",
]


class EventSocket(ReflexSocket):
    """One tab's ``/_event`` socket with the handshake's ``Origin`` chosen by the test
    (None: the server's own).

    ``connect`` raises ``Refused`` (with the HTTP status and body) when the handshake
    is rejected, ``TimeoutError`` when it is not answered within 15 s.
    """

    user_agent = "ejournal-security-test"

    def __init__(self, base_url: str, contract: FrontendContract, *, origin: str | None) -> None:
        super().__init__(base_url, contract, origin=origin)

    async def connect(
        self, pathname: str, cookies: dict[str, str], *, timeout: float | None = 15
    ) -> None:
        await super().connect(pathname, cookies, timeout=timeout)

    async def emit(self, name: str, payload: dict[str, Any], pathname: str) -> None:
        await super().emit(name, payload, pathname)
        assert self._writer is not None
        await self._writer.drain()

    async def read_until(
        self, done: Callable[[dict[str, Any]], bool], timeout: float = 15
    ) -> list[dict[str, Any]]:
        """Read updates until ``done(update)`` holds; every update read, that one last."""
        return await self.wait_for(done, timeout)

    async def read_quiet(self, quiet: float = 1.5, timeout: float = 20) -> list[dict[str, Any]]:
        """Read updates until none arrives for ``quiet`` seconds."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                update = await asyncio.wait_for(self.updates.get(), quiet)
            except TimeoutError:
                return seen
            if update is None:
                raise SocketClosed
            seen.append(update)
        return seen


def handler_name(state: Any, handler: str) -> str:
    """The full event name the front end sends for ``state.handler``."""
    return f"{state.get_full_name()}.{handler}"


#: Reflex 0.10 suffixes every var name in a delta (``student_id_rx_state_``).
VAR_SUFFIX = "_rx_state_"


def delta_of(update: dict[str, Any], state: Any) -> dict[str, Any]:
    """The part of an update's delta for ``state``, by plain var name (empty when none)."""
    part = state_delta(update, state.get_full_name()) or {}
    return {k.removesuffix(VAR_SUFFIX): v for k, v in part.items()}


def client_events(update: dict[str, Any]) -> list[dict[str, Any]]:
    """The events the server asks the browser to run (redirects, toasts, scripts)."""
    return list(update.get("events") or [])


def is_redirect(event: dict[str, Any], path: str | None = None) -> bool:
    if not str(event.get("name", "")).endswith("_redirect"):
        return False
    return path is None or str((event.get("payload") or {}).get("path", "")) == path


def toast_text(event: dict[str, Any]) -> str:
    """The message of a toast event ('' for any other event).

    ``rx.toast.error("…")`` reaches the browser as ``_call_function`` with a script
    ``refs['__toast']?.["error"]("\\u041d…")``: the text is a JS string literal with
    ``\\uXXXX`` escapes, decoded here.
    """
    script = str((event.get("payload") or {}).get("function", ""))
    if "__toast" not in script:
        return ""
    return _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), script)


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
