"""A raw socket.io client for Reflex's ``/_event`` websocket, for security tests.

It speaks the protocol the built front end speaks (read from Reflex 0.10.1 and the
browser's frames; the load harness in ``ejournal/bench/load/client.py`` does the same):

* one websocket to ``/_event/?token=<tab uuid>&EIO=4&transport=websocket`` with the
  Reflex version as subprotocol, the page's ``Origin`` and the browser's cookies;
* Engine.IO 4 open packet ``0{…}``, pings ``2`` answered with ``3``;
* a socket.io CONNECT ``40/_event,{"event": <hydrate_and_load>, "state_schema": …}``:
  the boot event carries the cookie vars (the session token) in ``payload.vars``;
* events ``42/_event,["event", {name, payload, router_data}]`` where ``name`` is the
  handler's full name (``<State.get_full_name()>.<handler>``);
* updates ``42/_event,["event", {"delta": …, "events": […], "final": …}]``.

python-socketio's ``AsyncClient`` needs aiohttp, which is not installed; this client
uses ``wsproto`` (installed with Reflex) on an asyncio stream instead. It shares the
load harness's reading of the built front end (``FrontendContract``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from ejournal.bench.load.client import FrontendContract

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"


class Refused(Exception):
    """The server refused the websocket (``status``: the HTTP status of the handshake)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"websocket refused: HTTP {status} {body}")
        self.status = status
        self.body = body


class Closed(Exception):
    """The server closed the connection."""


class EventSocket:
    """One tab's ``/_event`` socket: connect with the boot event, emit events, read updates."""

    def __init__(self, base_url: str, contract: FrontendContract, *, origin: str | None) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.origin = origin
        self.contract = contract
        self.client_token = str(uuid.uuid4())
        self.updates: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        #: Every socket.io text packet received, as sent (for reading the raw frames).
        self.frames: list[str] = []
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._open: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._parts: list[str] = []
        self._reject: tuple[int, bytearray] | None = None

    async def connect(self, pathname: str, cookies: dict[str, str]) -> None:
        """Open the socket as a browser tab at ``pathname`` with ``cookies`` does.

        Raises ``Refused`` when the handshake is rejected (e.g. a foreign Origin).
        """
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        headers: list[tuple[bytes, bytes]] = [(b"user-agent", b"ejournal-security-test")]
        if self.origin is not None:
            headers.append((b"origin", self.origin.encode()))
        if cookies:
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            headers.append((b"cookie", cookie.encode()))
        self._send(
            Request(
                host=f"{self.host}:{self.port}",
                target=f"{NAMESPACE}/?token={self.client_token}&EIO=4&transport=websocket",
                subprotocols=[self.contract.reflex_version],
                extra_headers=headers,
            )
        )
        self._task = asyncio.create_task(self._read_loop())
        await asyncio.wait_for(asyncio.shield(self._open), 15)
        client_vars = {
            var: cookies[name] for name, var in self.contract.cookie_vars.items() if name in cookies
        }
        payload: dict[str, Any] = {"hashes": self.contract.initial_hashes}
        if client_vars:
            payload["vars"] = client_vars
        boot = {
            "event": {
                "name": f"{ROOT_STATE}.hydrate_and_load",
                "payload": payload,
                "router_data": router_data(pathname),
            },
            "state_schema": self.contract.state_schema,
        }
        self._send_text(f"40{NAMESPACE}," + json.dumps(boot, ensure_ascii=False))

    async def emit(self, name: str, payload: dict[str, Any], pathname: str) -> None:
        """Send an event by the handler's full name, as ``socket.emit("event", …)`` does."""
        event = {"name": name, "payload": payload, "router_data": router_data(pathname)}
        self._send_text(f"42{NAMESPACE}," + json.dumps(["event", event], ensure_ascii=False))
        assert self._writer is not None
        await self._writer.drain()

    async def read_until(
        self, done: Callable[[dict[str, Any]], bool], timeout: float = 15
    ) -> list[dict[str, Any]]:
        """Read updates until ``done(update)`` holds; every update read, that one last."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                msg = f"no matching update within {timeout} s; read: {seen!r:.2000}"
                raise TimeoutError(msg)
            try:
                update = await asyncio.wait_for(self.updates.get(), left)
            except TimeoutError:
                continue
            if update is None:
                raise Closed
            seen.append(update)
            if done(update):
                return seen

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
                raise Closed
            seen.append(update)
        return seen

    async def close(self) -> None:
        if self._writer is not None and not self._writer.is_closing():
            # The server may have gone already: closing is best effort.
            with contextlib.suppress(Exception):
                self._send_text(f"41{NAMESPACE},")
                self._send(CloseConnection(code=1000))
                await self._writer.drain()
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # ------------------------------------------------------------------ the wire

    def _send(self, event: Any) -> None:
        assert self._writer is not None
        self._writer.write(self._ws.send(event))

    def _send_text(self, text: str) -> None:
        self._send(TextMessage(data=text))

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                self._ws.receive_data(data)
                for event in self._ws.events():
                    if isinstance(event, AcceptConnection):
                        continue
                    if isinstance(event, RejectConnection):
                        self._reject = (event.status_code, bytearray())
                        if not event.has_body:
                            return
                    elif isinstance(event, RejectData) and self._reject is not None:
                        self._reject[1].extend(event.data)
                        if event.body_finished:
                            return
                    elif isinstance(event, TextMessage):
                        self._parts.append(event.data)
                        if event.message_finished:
                            text = "".join(self._parts)
                            self._parts = []
                            self._on_packet(text)
                    elif isinstance(event, Ping):
                        self._send(event.response())
                    elif isinstance(event, CloseConnection):
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            if not self._open.done():
                if self._reject is not None:
                    status, body = self._reject
                    self._open.set_exception(Refused(status, body.decode("utf-8", "replace")))
                else:
                    self._open.set_exception(Closed())
            self.updates.put_nowait(None)

    def _on_packet(self, text: str) -> None:
        kind, body = text[:1], text[1:]
        if kind == "0" and not self._open.done():
            self._open.set_result(json.loads(body))
        elif kind == "2":  # Engine.IO ping → pong
            self._send_text("3")
        elif kind == "4":
            self.frames.append(body)
            self._on_socketio(body)

    def _on_socketio(self, body: str) -> None:
        kind, rest = body[:1], body[1:]
        if rest.startswith(NAMESPACE):
            rest = rest[len(NAMESPACE) :].lstrip(",")
        if kind == "2":
            name, *args = json.loads(rest)
            if name == "event" and args:
                self.updates.put_nowait(args[0])
        elif kind == "4":  # CONNECT_ERROR: the server refused the boot event
            self.updates.put_nowait(None)


def router_data(pathname: str) -> dict[str, str]:
    return {"pathname": pathname, "asPath": pathname}


def handler_name(state: Any, handler: str) -> str:
    """The full event name the front end sends for ``state.handler``."""
    return f"{state.get_full_name()}.{handler}"


#: Reflex 0.10 suffixes every var name in a delta (``student_id_rx_state_``).
VAR_SUFFIX = "_rx_state_"


def delta_of(update: dict[str, Any], state: Any) -> dict[str, Any]:
    """The part of an update's delta for ``state``, by plain var name (empty when none)."""
    part = (update.get("delta") or {}).get(state.get_full_name()) or {}
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
