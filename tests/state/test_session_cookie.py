"""The session token lives only in an HttpOnly cookie set by the app's HTTP edge.

A login hands the browser a one-time code (never the token); the browser posts it to
``/_auth/session``, which sets the token as an HttpOnly, SameSite=Strict cookie; every
event reads the token from the websocket handshake's Cookie header. Page state never
holds it, so page scripts cannot read it and it never travels in the state deltas.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import httpx
import reflex as rx
from sqlmodel import select

from ejournal import web
from ejournal.domain.models import Role, UserSession
from ejournal.domain.people import auth
from ejournal.state.auth import LoginState
from ejournal.state.base import SessionState
from tests.state.conftest import StateWorld, call, give_cookie
from tests.state.conftest import _run as call_async


def _submit(world: StateWorld, role: Role, *, remember: bool = False) -> tuple[rx.State, str]:
    """Log in through the login form: the tab's root and the one-time code it was given."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    login = root.get_substate(LoginState.get_full_name().split("."))
    account = world.school.accounts[role]
    form = {"login": account.login, "password": account.password}
    if remember:
        form["remember"] = "on"
    answers = call(LoginState.submit, login, form)
    script = " ".join(str(a) for a in answers if a is not None)
    found = re.search(r'code: \\?"([A-Za-z0-9_\-]+)\\?"', script)
    assert found, script
    assert web.AUTH_SESSION_PATH in script
    return root, found.group(1)


class _Edge:
    """Requests to the app's HTTP edge in-process (httpx over ASGI, as a browser sends)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def __enter__(self) -> _Edge:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=web.make_edge())
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", cookies=self.cookies
            ) as client:
                return await client.request(method, path, **kwargs)

        return call_async(go())

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._send("POST", path, **kwargs)

    def get(self, path: str) -> httpx.Response:
        return self._send("GET", path)


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))


def _edge() -> _Edge:
    return _Edge()


def test_a_login_hands_over_a_one_time_code_not_a_session(world: StateWorld):
    """What the login sends the browser is no session token, and the tab's state holds none."""
    root, code = _submit(world, Role.TEACHER)
    with world.session() as s:
        assert auth.validate_session(s, code) is None
        tokens = [r.token_hash for r in s.exec(select(UserSession)).all()]
    dump = json.dumps(root.dict(), default=str)
    assert code not in dump and not any(t in dump for t in tokens)


def test_the_code_becomes_an_httponly_cookie_once(world: StateWorld):
    """Redeeming the code sets an HttpOnly, SameSite=Strict cookie whose token opens the
    session; the same code a second time is refused."""
    _, code = _submit(world, Role.TEACHER)
    with _edge() as client:
        first = client.post(web.AUTH_SESSION_PATH, json={"code": code})
        again = client.post(web.AUTH_SESSION_PATH, json={"code": code})
    assert first.status_code == 200
    cookie = _set_cookie(first, web.SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age" not in cookie
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    with world.session() as s:
        assert auth.validate_session(s, token) is not None
    assert again.status_code == 403 and "Войдите ещё раз" in again.json()["error"]


def test_remember_this_device_gets_a_lasting_cookie(world: StateWorld):
    """«Запомнить устройство» (families) sets the long cookie with a Max-Age."""
    _, code = _submit(world, Role.PARENT, remember=True)
    with _edge() as client:
        answer = client.post(web.AUTH_SESSION_PATH, json={"code": code})
    cookies = answer.headers.get_list("set-cookie")
    kept = next(c for c in cookies if c.startswith(f"{web.REMEMBER_COOKIE}="))
    assert "HttpOnly" in kept and "Max-Age=" in kept


def test_an_expired_code_is_refused(world: StateWorld):
    """A code not redeemed within a minute opens nothing."""
    _, code = _submit(world, Role.TEACHER)
    later = auth.utcnow() + dt.timedelta(seconds=auth.HANDOFF_SECONDS + 1)
    with world.session() as s:
        assert auth.redeem_handoff(s, code, now=later) is None


def test_the_socket_reads_the_token_from_its_handshake_cookie(world: StateWorld):
    """An event on a tab whose websocket carried the cookie acts as that user."""
    _, code = _submit(world, Role.PARENT)
    with _edge() as client:
        set_cookie = _set_cookie(
            client.post(web.AUTH_SESSION_PATH, json={"code": code}), web.SESSION_COOKIE
        )
    token = set_cookie.split(";", 1)[0].split("=", 1)[1]
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    give_cookie(root, token)
    st: Any = root.get_substate(SessionState.get_full_name().split("."))
    call(SessionState.switch_role, st, "parent")
    assert st._user_id == world.school.accounts[Role.PARENT].user_id


def test_logout_endpoint_ends_the_session_and_deletes_the_cookie(world: StateWorld):
    """The endpoint the logout script calls ends the session and expires the cookies."""
    token = world.token(Role.TEACHER)
    with _edge() as client:
        client.cookies[web.SESSION_COOKIE] = token
        answer = client.post(web.AUTH_LOGOUT_PATH)
    assert answer.status_code == 204
    assert any(
        c.startswith(f"{web.SESSION_COOKIE}=") and "Max-Age=0" in c
        for c in answer.headers.get_list("set-cookie")
    )
    with world.session() as s:
        assert auth.validate_session(s, token) is None


def test_every_response_has_the_security_headers_and_health_says_only_up(world: StateWorld):
    """CSP, no framing, no sniffing, same-origin referrer; /_health tells nothing more."""
    with _edge() as client:
        health = client.get("/_health")
    assert health.json() == {"status": "ok"}
    for name, value in web.SECURITY_HEADERS.items():
        assert health.headers[name] == value
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]
