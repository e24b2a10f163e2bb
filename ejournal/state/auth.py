"""Logging in, the start page, changing the password, and the user's own account."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from ejournal.domain.db import run_transaction
from ejournal.domain.errors import DomainError
from ejournal.domain.people import auth, profile, throttle
from ejournal.domain.permissions import Permission
from ejournal.state.admin_rows import SessionRow, session_row
from ejournal.state.base import (
    CHANGE_PASSWORD_ROUTE,
    SessionState,
    public,
    requires,
    run_service,
)

T = TypeVar("T")

#: bcrypt (about 250 ms of one core per login at cost 12) runs in its own pool, one thread
#: per core: in the default pool that every page's database reads share, a burst of logins
#: held all its threads and other parents' weeks waited seconds behind the hashes
#: (measured by `make load`). One thread per core is enough to keep every core hashing.
# bcrypt threads yield to the event loop a little (nice 3): a burst of logins must not
# slow other families' pages; alone they still use every core.
_BCRYPT_NICE = 3


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _BCRYPT_NICE)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        pass


_PASSWORD_POOL = ThreadPoolExecutor(
    max_workers=os.cpu_count() or 1,
    thread_name_prefix="ejournal-bcrypt",
    initializer=_lower_priority,
)


async def run_password_work(fn: Callable[[], T]) -> T:
    """Run `fn` (which checks or hashes a password) in the password pool."""
    return await asyncio.get_running_loop().run_in_executor(_PASSWORD_POOL, fn)


def _client_ip(state: rx.State) -> str:
    """The client's address: the socket's peer (Reflex's `client_ip` while its
    `trusted_proxy_hops` stays 0), or what a trusted proxy says in X-Forwarded-For."""
    router = state.router
    forwarded = router.headers.raw_headers.get("x-forwarded-for", "")
    return throttle.client_address(router.session.client_ip or "", forwarded)


#: A login page load this soon after a submit keeps the submit's message.
RECENT_SUBMIT_S = 10.0


class LoginState(SessionState):
    """The login form on ``/`` and ``/login``."""

    error: str = ""
    locked: bool = False
    busy: bool = False
    _submitted_at: float = 0.0  # time.monotonic() of the last submit in this tab

    @public
    async def open_start(self) -> Any:
        """On load of ``/`` and ``/login``: show the school's name, or go home if logged in.

        A submit typed before the page finished loading may be answered before this runs:
        its message stays (clearing it would hide «Неверный логин или пароль»)."""
        if time.monotonic() - self._submitted_at > RECENT_SUBMIT_S:
            self.error = ""
            self.locked = False
            self.busy = False

        self.school_name = await run_service(profile.school_name)
        actor, must_change = await self._session_actor()
        if actor is not None:
            return rx.redirect(CHANGE_PASSWORD_ROUTE if must_change else self._home())
        if "expired" in self.router.url.query_parameters:
            self.error = "Вход не завершён: прошло слишком много времени. Войдите ещё раз."
        return None

    @public
    async def submit(self, form: dict[str, Any]) -> Any:
        """Check the login and password; on success start a session and go home."""
        login = str(form.get("login", "")).strip()[:64]
        password = str(form.get("password", ""))[:512]
        remember = form.get("remember") in (True, "on", "true", "1")
        self._submitted_at = time.monotonic()
        if not login or not password:
            self.error = "Введите логин и пароль."
            self.locked = False
            return
        self.busy = True
        yield
        ip = _client_ip(self)
        user_agent = (self.router.headers.user_agent or "")[:300]

        def attempt(session: Session) -> Any:
            # bcrypt runs in the password pool; authenticate commits before it hashes.
            result = auth.authenticate(
                session,
                login=login,
                password=password,
                remember=remember,
                ip=ip,
                user_agent=user_agent,
                handoff=True,
            )
            if not result.ok or result.user_id is None:
                return result, None
            return result, auth.load_actor(session, result.user_id)

        result, actor = await run_password_work(lambda: run_transaction(attempt))
        self.busy = False
        if not result.ok or actor is None or not result.token:
            self.error = result.message or "Не удалось войти. Попробуйте ещё раз."
            # A wait of a minute or more is shown with a lock icon; shorter ones plainly.
            self.locked = result.retry_after_seconds >= 60
            return
        self.error = ""
        self.locked = False
        if self._user_id not in (None, actor.user_id):
            await self._forget_tab()  # someone else was logged in in this tab
        default = auth.default_role(actor.roles)
        self._user_id = actor.user_id
        self._active_role = default.value if default is not None else ""
        target = CHANGE_PASSWORD_ROUTE if result.must_change_password else self._home()
        yield self._hand_over_session(result.token, target)


class PasswordState(SessionState):
    """Changing one's own password (forced after a one-time password, or on ``/account``)."""

    password_error: str = ""
    password_done: str = ""

    @requires(Permission.OWN_ACCOUNT, before_password_change=True)
    async def change_password(self, form: dict[str, Any]) -> Any:
        """Replace the password; other sessions end; the user goes on to their home."""
        old = str(form.get("old_password", ""))
        new = str(form.get("new_password", ""))
        repeat = str(form.get("repeat_password", ""))
        self.password_done = ""
        if new != repeat:
            self.password_error = "Новый пароль и повтор не совпадают."
            return None
        actor, token = self._actor(), self._token()

        def change(session: Session) -> None:
            # Two bcrypt runs (check the old password, hash the new one): the password pool.
            auth.change_password(
                session,
                actor=actor,
                old_password=old,
                new_password=new,
                current_token=token,
            )

        try:
            await run_password_work(lambda: run_transaction(change))
        except DomainError as e:
            self.password_error = e.message
            return None
        self.password_error = ""
        self.password_done = "Пароль изменён."
        return [rx.toast.success("Пароль изменён."), rx.redirect(self._home())]


#: (substring of the User-Agent, name shown) — first match wins, so Edge before Chrome.
_BROWSERS = (
    ("YaBrowser", "Яндекс Браузер"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """A short device name for "where am I logged in" (e.g. «Chrome, Windows»)."""
    browser = next((name for key, name in _BROWSERS if key in user_agent), "")
    system = next((name for key, name in _SYSTEMS if key in user_agent), "")
    return ", ".join(p for p in (browser, system) if p) or "неизвестное устройство"


class AccountState(SessionState):
    """``/account``: my sessions (end the others) and logout."""

    sessions: list[SessionRow] = []

    @requires(Permission.OWN_ACCOUNT)
    async def load_sessions(self) -> Any:
        """List my open sessions, the current one marked."""
        rows = await run_service(
            auth.list_sessions, actor=self._actor(), current_token=self._token()
        )
        self.sessions = [session_row(r, device_label(r.user_agent)) for r in rows]

    @requires(Permission.OWN_ACCOUNT)
    async def end_session(self, session_id: int) -> Any:
        """End one of my other sessions (the service refuses someone else's)."""
        try:
            await run_service(auth.end_session, actor=self._actor(), session_id=int(session_id))
        except DomainError as e:
            return rx.toast.error(e.message)
        rows = await run_service(
            auth.list_sessions, actor=self._actor(), current_token=self._token()
        )
        self.sessions = [session_row(r, device_label(r.user_agent)) for r in rows]
        return rx.toast.success("Сеанс завершён.")
