"""The app's HTTP edge, around Reflex's own ASGI app (``rx.App(api_transformer=edge)``).

- ``POST /_auth/session`` redeems a login's one-time code and sets the session token as
  an HttpOnly, SameSite=Strict cookie (Secure over https): page scripts never see the
  token and it never travels in the websocket's state. The websocket reads it from its
  handshake's Cookie header (``SessionState._token``).
- ``POST /_auth/logout`` ends that session and deletes the cookies.
- ``GET /_health`` says only that the app is up (Reflex's own reports its services).
- Every HTTP response carries the security headers below.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ejournal.domain.db import run_transaction
from ejournal.domain.people import auth, throttle

log = logging.getLogger("ejournal.web")

SESSION_COOKIE = "ejournal_session"  # ends with the browser session
REMEMBER_COOKIE = "ejournal_remember"  # «запомнить это устройство»
AUTH_SESSION_PATH = "/_auth/session"
AUTH_LOGOUT_PATH = "/_auth/logout"

# Reflex evaluates the scripts its events carry (rx.call_script) and React sets inline
# styles: 'unsafe-eval' and inline styles are needed; everything else is locked to the
# app's own origin (no foreign scripts, frames, connections, form targets or plugins).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_RAW_HEADERS = [
    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP response (pages, files, API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in _RAW_HEADERS if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _https(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    proto = request.headers.get("x-forwarded-proto", "")
    return proto == "https" and throttle.from_trusted_proxy(peer)


def _cookie_kwargs(request: Request) -> dict[str, Any]:
    return {"path": "/", "httponly": True, "samesite": "strict", "secure": _https(request)}


async def start_session(request: Request) -> Response:
    """Redeem a login's one-time code: the session token goes into an HttpOnly cookie."""
    try:
        code = json.loads(await request.body() or b"{}").get("code", "")
    except (ValueError, AttributeError):
        code = ""
    redeemed = None
    if isinstance(code, str) and code:
        redeemed = await asyncio.to_thread(run_transaction, auth.redeem_handoff, code=code)
    if redeemed is None:
        return JSONResponse(
            {"error": "Код входа устарел или уже использован. Войдите ещё раз."}, status_code=403
        )
    response = JSONResponse({"ok": True})
    name, other = (
        (REMEMBER_COOKIE, SESSION_COOKIE)
        if redeemed.remember
        else (
            SESSION_COOKIE,
            REMEMBER_COOKIE,
        )
    )
    response.set_cookie(
        name, redeemed.token, max_age=redeemed.max_age_seconds, **_cookie_kwargs(request)
    )
    response.delete_cookie(other, **_cookie_kwargs(request))
    return response


async def end_session(request: Request) -> Response:
    """Log out: end the cookie's session on the server and delete the cookies."""
    for name in (REMEMBER_COOKIE, SESSION_COOKIE):
        token = request.cookies.get(name, "")
        if token:
            await asyncio.to_thread(run_transaction, auth.logout, token=token)
    response = Response(status_code=204)
    for name in (REMEMBER_COOKIE, SESSION_COOKIE):
        response.delete_cookie(name, **_cookie_kwargs(request))
    return response


async def health(_request: Request) -> Response:
    """Only whether the app answers: no database or Redis details for strangers."""
    return JSONResponse({"status": "ok"})


def make_edge() -> Starlette:
    """The Starlette app Reflex mounts its own app into (routes here come first)."""
    edge = Starlette(
        routes=[
            Route(AUTH_SESSION_PATH, start_session, methods=["POST"]),
            Route(AUTH_LOGOUT_PATH, end_session, methods=["POST"]),
            Route("/_health", health, methods=["GET"]),
        ]
    )
    edge.add_middleware(SecurityHeaders)
    return edge


def token_from_cookie_header(cookie_header: str) -> str:
    """The session token in a Cookie header: the remembered one first ('' when none)."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return ""
    for name in (REMEMBER_COOKIE, SESSION_COOKIE):
        morsel = jar.get(name)
        if morsel is not None and morsel.value:
            return morsel.value
    return ""
