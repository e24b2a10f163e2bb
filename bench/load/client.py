"""A browser's conversation with the Reflex back end, without the browser.

What Chromium sends when a parent opens ``/diary`` (captured with
``scripts/load_capture.py``) is one websocket to ``/_event/?token=<tab uuid>&EIO=4&
transport=websocket`` whose socket.io CONNECT packet carries the page's first event::

    40/_event,{"event": {"name": "reflex___state____state.hydrate_and_load",
                         "payload": {"vars": {<cookie var>: <token>}, "hashes": [...]},
                         "router_data": {"pathname": "/diary/", "asPath": "/diary/"}},
               "state_schema": "<hash>"}

The back end answers with ``42/_event,["event", {"delta": …, "events": […]}]`` messages:
the hydrated state, the header filled by the page guard, then the diary week. Later
events (another week, a login form) go as ``42/_event,["event", {name, payload,
router_data}]``. The hashes, the schema and the cookie var names are read from the
front end the server built (``utils/context.jsx``), so the replay matches the build.

The client speaks Engine.IO 4 over a plain websocket (``wsproto``, already installed with
Reflex; python-socketio's ``AsyncClient`` would need aiohttp): one asyncio loop holds every
connection, answering the server's pings. The browser security tests
(``tests/browser/ws_client.py``) drive the same client with a chosen ``Origin``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"
USER_AGENT = "ejournal-load"


@dataclass(frozen=True)
class FrontendContract:
    """What the built front end sends on connect: state hashes, schema, cookie vars."""

    reflex_version: str
    state_schema: str
    initial_hashes: list[str]
    cookie_vars: dict[str, str]  # cookie name → fully qualified var name

    @classmethod
    def read(cls, web_dir: Path) -> FrontendContract:
        text = (web_dir / "utils" / "context.jsx").read_text(encoding="utf-8")

        def value(name: str) -> Any:
            match = re.search(rf"export const {name} = (.*)$", text, re.MULTILINE)
            if match is None:
                msg = f"{name} not found in {web_dir}/utils/context.jsx"
                raise RuntimeError(msg)
            return json.loads(match.group(1))

        storage = value("clientStorage")
        cookie_vars = {spec["name"]: var for var, spec in storage.get("cookies", {}).items()}
        from reflex import constants

        return cls(
            reflex_version=constants.Reflex.VERSION,
            state_schema=value("stateSchema"),
            initial_hashes=list(value("initialStateHashes")),
            cookie_vars=cookie_vars,
        )


class SocketClosed(Exception):
    """The server closed or refused the connection."""


class Refused(SocketClosed):
    """The server refused the websocket handshake (``status``: its HTTP status)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"websocket refused: HTTP {status} {body}")
        self.status = status
        self.body = body


class ReflexSocket:
    """One browser tab's websocket: connect with the page's first event, emit, read updates.

    ``origin`` is the handshake's ``Origin`` header: by default the server's own, as its
    pages send.
    """

    user_agent = USER_AGENT

    def __init__(
        self, base_url: str, contract: FrontendContract, *, origin: str | None = None
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.origin = origin or f"{parts.scheme}://{parts.netloc}"
        self.contract = contract
        self.client_token = str(uuid.uuid4())
        self.updates: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.closed = False
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._open: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._parts: list[str] = []
        self._reject: tuple[int, bytearray] | None = None

    # ------------------------------------------------------------------ connecting

    async def connect(
        self, pathname: str, cookies: dict[str, str], *, timeout: float | None = None
    ) -> None:
        """Open the socket as a browser opening `pathname` (query string included) with
        `cookies` does.

        Raises ``Refused`` when the handshake is rejected (e.g. a foreign Origin), and
        ``TimeoutError`` when it is not answered within `timeout` seconds (if given).
        """
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        headers = [(b"origin", self.origin.encode()), (b"user-agent", self.user_agent.encode())]
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
        # The Engine.IO handshake ("0{…}").
        if timeout is None:
            await self._open
        else:
            await asyncio.wait_for(asyncio.shield(self._open), timeout)
        client_vars = {
            var: cookies[name] for name, var in self.contract.cookie_vars.items() if name in cookies
        }
        payload: dict[str, Any] = {"hashes": self.contract.initial_hashes}
        if client_vars:
            payload["vars"] = client_vars
        auth = {
            "event": {
                "name": f"{ROOT_STATE}.hydrate_and_load",
                "payload": payload,
                "router_data": router_data(pathname),
            },
            "state_schema": self.contract.state_schema,
        }
        self._send_text(f"40{NAMESPACE}," + json.dumps(auth, ensure_ascii=False))

    async def emit(self, name: str, payload: dict[str, Any], pathname: str) -> None:
        """Send an event, as ``socket.emit("event", …)`` in the browser does."""
        event = {"name": name, "payload": payload, "router_data": router_data(pathname)}
        self._send_text(f"42{NAMESPACE}," + json.dumps(["event", event], ensure_ascii=False))

    async def wait_for(
        self, done: Callable[[dict[str, Any]], bool], timeout: float
    ) -> list[dict[str, Any]]:
        """Read updates until `done(update)` holds; every update read, that one last."""
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
                continue  # the deadline has passed: raise with what was read
            if update is None:
                raise SocketClosed
            seen.append(update)
            if done(update):
                return seen

    async def close(self) -> None:
        self.closed = True
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
            self.closed = True
            if not self._open.done():
                if self._reject is not None:
                    status, body = self._reject
                    self._open.set_exception(Refused(status, body.decode("utf-8", "replace")))
                else:
                    self._open.set_exception(SocketClosed())
            self.updates.put_nowait(None)

    def _on_packet(self, text: str) -> None:
        kind, body = text[:1], text[1:]
        if kind == "0" and not self._open.done():
            self._open.set_result(json.loads(body))
        elif kind == "2":  # Engine.IO ping → pong
            self._send_text("3")
        elif kind == "4":
            self._on_socketio(body)

    def _on_socketio(self, body: str) -> None:
        kind, rest = body[:1], body[1:]
        if rest.startswith(NAMESPACE):
            rest = rest[len(NAMESPACE) :].lstrip(",")
        if kind == "2":
            name, *args = json.loads(rest)
            if name == "event" and args:
                self.updates.put_nowait(args[0])
        elif kind == "4":  # CONNECT_ERROR: the server refused the first event
            self.updates.put_nowait(None)


def router_data(path: str) -> dict[str, Any]:
    """The router data a page at `path` (query string included) sends with each event, as
    ``utils/state.js`` builds it: the path, the path with the query, the query parsed."""
    pathname, _, query = path.partition("?")
    data: dict[str, Any] = {"pathname": pathname, "asPath": path}
    if query:
        data["query"] = dict(parse_qsl(query))
    return data


# --------------------------------------------------------------------------- reading updates


def state_delta(update: dict[str, Any], state_name: str) -> dict[str, Any] | None:
    """The part of an update's delta for `state_name` (None when it has none)."""
    delta = update.get("delta") or {}
    return delta.get(state_name)


def event_names(update: dict[str, Any]) -> list[str]:
    return [str(e.get("name", "")) for e in update.get("events") or []]


def refusal(update: dict[str, Any]) -> str:
    """A redirect or a toast that the server sent back instead of the page ('' if none)."""
    for event in update.get("events") or []:
        text = json.dumps(event, ensure_ascii=False)
        if "redirect" in str(event.get("name", "")) or "toast" in text:
            return text[:300]
    return ""
