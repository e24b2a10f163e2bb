"""The security plumbing every State builds on: the session cookie, the actor, and the
declaration of what each event handler may do.

How to write a State for a new page (journal, diary, …)::

    from ejournal.domain.permissions import Permission
    from ejournal.state.base import SessionState, public, requires, run_service

    class JournalState(SessionState):
        rows: list[dict] = []          # plain data for the page (sent to the browser)
        _assignment_id: int = 0        # backend-only (never sent, never settable)

        @requires(Permission.JOURNAL_READ)
        async def load(self) -> Any:
            actor = self._actor()      # validated against the DB for THIS event
            self.rows = await run_service(journal.page_rows, actor=actor, assignment_id=…)

Rules (a test enforces the first one):

* Every public event handler (a method not starting with ``_``) carries ``@requires(P)``
  or ``@public``. ``@requires`` validates the session token against the database on every
  call (expired, ended, blocked, password changed → redirect to ``/login``) and checks
  that one of the user's roles grants ``P`` at all; the object-level check (own class,
  own child …) stays in the domain service, which calls ``permissions.require``.
* A refused call returns a redirect or a toast and changes nothing.
* Identity lives only in backend vars (``_user_id``); the browser holds only the
  session token cookie. Page guards (``guard``) are navigation, not security.
* Services raise ``DomainError`` with a Russian message: catch it and show ``e.message``.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import inspect
import json
import logging
from collections.abc import Callable, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Literal,
    ParamSpec,
    Protocol,
    TypeVar,
    TypeVarTuple,
)

import reflex as rx
from reflex_base.event import EventSpec
from sqlmodel import Session

from ejournal import web
from ejournal.domain import site_map
from ejournal.domain.db import run_transaction
from ejournal.domain.errors import DomainError
from ejournal.domain.models import Role
from ejournal.domain.people import auth, profile
from ejournal.domain.permissions import ROLE_TITLES, Actor, Permission

log = logging.getLogger("ejournal.state")

F = TypeVar("F", bound=Callable[..., Any])
P = TypeVarTuple("P")
S = TypeVar("S", bound=rx.State)
P2 = ParamSpec("P2")
R = TypeVar("R")

if TYPE_CHECKING:
    from reflex_base.event import EventCallback


class _HandlerDecorator(Protocol):
    """Turns a handler into what ``rx.event`` gives the type checker (an EventCallback)."""

    def __call__(self, fn: Callable[[S, *P], Any], /) -> EventCallback[*P]: ...


LOGIN_ROUTE = site_map.LOGIN_PATH
CHANGE_PASSWORD_ROUTE = site_map.CHANGE_PASSWORD_PATH


# --------------------------------------------------------------------------- declarations


@dataclasses.dataclass(frozen=True)
class Access:
    """What an event handler needs: a permission, or nothing (``public``)."""

    kind: Literal["public", "requires"]
    permission: Permission | None = None
    # Allowed while the user still has to replace a one-time password.
    before_password_change: bool = False


#: "module.Class.handler" → its declared access; filled by the decorators at import.
HANDLER_ACCESS: dict[str, Access] = {}

_ACCESS_ATTR = "__ejournal_access__"


def declared_access(fn: Callable[..., Any]) -> Access | None:
    """The access a handler function declared with ``@public``/``@requires`` (or None)."""
    return getattr(fn, _ACCESS_ATTR, None)


def _declare(fn: Any, access: Access) -> None:
    setattr(fn, _ACCESS_ATTR, access)
    HANDLER_ACCESS[f"{fn.__module__}.{fn.__qualname__}"] = access


def public(fn: Callable[[S, *P], Any]) -> EventCallback[*P]:
    """Declare that anyone, logged in or not, may call this handler (login, logout, guards).

    A public handler must not reveal or change anything that needs a permission.
    """
    _declare(fn, Access("public"))
    return fn  # type: ignore[return-value]


# The actor of the event being handled, set by @requires for the handler's duration.
_CURRENT_ACTOR: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "ejournal_current_actor", default=None
)


def requires(permission: Permission, *, before_password_change: bool = False) -> _HandlerDecorator:
    """Declare and enforce that the handler needs ``permission``.

    Before the handler runs, the session token is validated against the database and the
    user's roles must grant ``permission`` (on some objects: the service checks the
    object). Otherwise the handler does not run: the client is sent to ``/login`` (no valid
    session) or gets a refusal toast (no permission). Inside, ``self._actor()`` is the
    validated actor. Works for plain, async and generator handlers; the wrapper is async.
    """

    access = Access("requires", permission, before_password_change)

    def decorate(fn: Any) -> Any:
        if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            async def gen_wrapper(self: SessionState, *args: Any, **kwargs: Any) -> Any:
                try:
                    actor, refusal = await self._authorize(access, fn.__qualname__)
                except Exception as exc:
                    yield self._failed(exc, access, fn.__qualname__, None)
                    return
                if actor is None:
                    yield refusal
                    return
                results = fn(self, *args, **kwargs)
                while True:
                    token = _CURRENT_ACTOR.set(actor)
                    try:
                        if inspect.isasyncgen(results):
                            item = await results.__anext__()
                        else:
                            item = next(results)
                    except (StopAsyncIteration, StopIteration):
                        return
                    except Exception as exc:
                        yield self._failed(exc, access, fn.__qualname__, actor)
                        return
                    finally:
                        _CURRENT_ACTOR.reset(token)
                    yield item

            wrapper: Any = gen_wrapper
        else:

            @functools.wraps(fn)
            async def fn_wrapper(self: SessionState, *args: Any, **kwargs: Any) -> Any:
                try:
                    actor, refusal = await self._authorize(access, fn.__qualname__)
                except Exception as exc:
                    return self._failed(exc, access, fn.__qualname__, None)
                if actor is None:
                    return refusal
                token = _CURRENT_ACTOR.set(actor)
                try:
                    result = fn(self, *args, **kwargs)
                    if inspect.isawaitable(result):
                        result = await result
                    return result
                except Exception as exc:
                    return self._failed(exc, access, fn.__qualname__, actor)
                finally:
                    _CURRENT_ACTOR.reset(token)

            wrapper = fn_wrapper
        _declare(wrapper, access)
        return wrapper

    return decorate


# --------------------------------------------------------------------------- services


async def run_service(
    fn: Callable[Concatenate[Session, P2], R], /, *args: P2.args, **kwargs: P2.kwargs
) -> R:
    """Run a domain service in a worker thread, in its own transaction.

    ``await run_service(users.set_active, actor=actor, user_id=5, active=False)`` calls
    ``users.set_active(session, actor=actor, user_id=5, active=False)`` through
    ``db.run_transaction`` (commit on success, rollback on error; writers take the write
    lock up front, ``@read_only`` services run read-only; a lost lock race is retried) off
    the event loop, so bcrypt or a slow query does not stall other users.
    DomainError propagates.
    """
    return await asyncio.to_thread(run_transaction, fn, *args, **kwargs)


# --------------------------------------------------------------------------- pages


@dataclasses.dataclass(frozen=True)
class PageRule:
    """Who may open a page (navigation only) and what loads it once allowed."""

    permission: Permission | None
    loaders: tuple[Any, ...] = ()
    allow_before_password_change: bool = False


#: page key (its route) → rule; filled by ``guarded_page``.
PAGE_RULES: dict[str, PageRule] = {}


def guarded_page(
    app: rx.App,
    *,
    route: str,
    component: Callable[[], rx.Component],
    on_load: Sequence[Any] = (),
) -> None:
    """Add the site map's page at `route` for logged-in users whose roles grant its
    permission (`ejournal.domain.site_map`: title, permission, menu).

    The page's ``on_load`` runs ``SessionState.guard(route)``; when the user may open the
    page it fills the header and then queues ``on_load`` (handlers that must themselves
    be ``@requires``-protected: the guard is navigation, not security). Otherwise it
    redirects to ``/login`` or to the user's home with a message.
    """
    spec = site_map.page(route)
    PAGE_RULES[route] = PageRule(spec.permission, tuple(on_load), spec.allow_before_password_change)
    app.add_page(
        component,
        route=route,
        title=f"{spec.title} — Электронный журнал",
        on_load=SessionState.guard(route),
    )


# --------------------------------------------------------------------------- the state


#: What was not done when a handler needing the permission fails (named for the user).
FAILURE_TEXT: dict[Permission, str] = {
    Permission.MARK_WRITE: "Отметка или пропуск не сохранены",
    Permission.LESSON_WRITE: "Тема, домашнее задание или урок не сохранены",
    Permission.PERIOD_MARK_WRITE: "Отметка за период не сохранена",
    Permission.ATTENDANCE_EXCUSE: "Причина пропуска не сохранена",
    Permission.REMARK_WRITE: "Замечание не сохранено",
    Permission.WEEK_CONFIRM: "Ознакомление с неделей не сохранено",
    Permission.MESSAGE_SEND: "Сообщение не отправлено",
    Permission.ANNOUNCEMENT_WRITE: "Объявление не сохранено",
    Permission.USER_MANAGE: "Изменение учётной записи не сохранено",
    Permission.CREDENTIALS_ISSUE: "Реквизиты доступа не выданы",
    Permission.STUDENT_MANAGE: "Изменение не сохранено",
    Permission.OWN_ACCOUNT: "Изменение профиля не сохранено",
}


def failure_message(permission: Permission | None) -> str:
    """The Russian message for a failed action: what was not done, and what to do."""
    what = FAILURE_TEXT.get(permission) if permission else None
    what = what or "Действие не выполнено"
    return (
        f"{what}: сбой на сервере. Введённые данные остались на экране — "
        "попробуйте ещё раз через несколько секунд."
    )


def backend_exception_handler(exception: Exception) -> EventSpec:
    """Anything a handler let escape (a public handler, the framework): Russian, logged."""
    log.error("unhandled error in an event", exc_info=exception)
    return rx.toast.error(
        "Действие не выполнено: сбой на сервере. Попробуйте ещё раз через несколько секунд.",
        duration=15000,
        id="backend_error",
    )


def frontend_exception_handler(exception: Exception) -> None:
    """An error in the browser's page code: logged on the server with what it reported."""
    log.error("error in the browser: %s", exception)


def role_title(role: str) -> str:
    """The Russian name of a role ("teacher" → "Учитель")."""
    try:
        return ROLE_TITLES[Role(role)]
    except ValueError:
        return role


class SessionState(rx.State):
    """The logged-in user: the session cookie, backend-only identity, header data.

    Every page State subclasses this (so its handlers see the cookie). Frontend vars here
    are only what the header shows about the current user.
    """

    # The session token is an HttpOnly cookie set by ejournal.web (never a state var, never
    # readable by page scripts); each event reads it from the websocket handshake's headers.

    # Backend-only identity (never sent to the browser, never settable by it).
    _user_id: int | None = None
    _active_role: str = ""

    # Header data (display only, filled by the guard).
    user_name: str = ""
    active_role: str = ""
    role_options: list[dict[str, str]] = []
    nav_items: list[dict[str, str]] = []
    school_name: str = ""

    # ------------------------------------------------------------------ helpers

    def _token(self) -> str:
        """The session token from the Cookie header of this tab's websocket handshake."""
        return web.token_from_cookie_header(self.router.headers.cookie)

    def _actor(self) -> Actor:
        """The actor validated by ``@requires`` for the event being handled."""
        actor = _CURRENT_ACTOR.get()
        if actor is None:
            msg = "_actor() outside a @requires handler"
            raise RuntimeError(msg)
        return actor

    async def _session_actor(self) -> tuple[Actor | None, bool]:
        """Validate the cookie token against the database: (actor, must_change_password)."""
        token = self._token()
        if not token:
            return None, False

        actor = await run_service(auth.validate_session, token)
        if actor is None:
            # Ended, expired or blocked: nothing of that user may stay in this tab.
            await self._forget_tab()
            return None, False
        if self._user_id != actor.user_id:
            # Another user's token arrived in this tab: drop everything we knew.
            if self._user_id is not None:
                await self._forget_tab()
            self._user_id = actor.user_id
            self._active_role = ""
        if self._active_role not in {r.value for r in actor.roles}:
            default = auth.default_role(actor.roles)
            self._active_role = default.value if default is not None else ""
        if self._active_role:
            actor = dataclasses.replace(actor, active_role=Role(self._active_role))
        return actor, actor.must_change_password

    async def _require_actor(self) -> Actor | None:
        """The actor of a valid session, or None (the caller then refuses)."""
        actor, _ = await self._session_actor()
        return actor

    async def _forget_tab(self) -> None:
        """Reset every State of this tab on the server to its defaults: the identity, the
        header and every page's data (a family's week, a one-time password shown to the
        admin …), so a later visitor of the tab, or a replayed tab token, finds nothing.
        """
        session_state = await self.get_state(SessionState)
        pending = list(SessionState.get_substates())
        while pending:  # load every page State (with Redis they live apart) ...
            cls = pending.pop()
            await session_state.get_state(cls)
            pending.extend(cls.get_substates())
        session_state.reset()  # type: ignore[no-untyped-call]  # ... and all of them, recursively

    async def _authorize(self, access: Access, name: str) -> tuple[Actor | None, Any]:
        actor, must_change = await self._session_actor()
        if actor is None:
            return None, rx.redirect(LOGIN_ROUTE)
        if must_change and not access.before_password_change:
            return None, rx.redirect(CHANGE_PASSWORD_ROUTE)
        assert access.permission is not None
        if not actor.can(access.permission):
            log.warning("refused %s for user %s", name, actor.user_id)
            return None, rx.toast.error("Недостаточно прав для этого действия.")
        return actor, None

    def _failed(self, exc: Exception, access: Access, name: str, actor: Actor | None) -> Any:
        """What the user sees when a handler fails: a Russian message, never the framework's.

        A DomainError the handler did not catch shows its own (Russian) message; anything
        else is logged with its context and named by what was not done. ``_on_failure``
        lets a page restore its own screen (the journal keeps typed values as unsaved).
        """
        if isinstance(exc, DomainError):
            message = exc.message
        else:
            log.error(
                "handler %s failed: user %s, role %s",
                name,
                actor.user_id if actor else self._user_id,
                self._active_role,
                exc_info=exc,
            )
            message = failure_message(access.permission)
        return [rx.toast.error(message, duration=15000), *self._on_failure()]

    def _on_failure(self) -> list[Any]:
        """Events that put the page right after a failed handler (pages override)."""
        return []

    def _home(self) -> str:
        return site_map.home_path(self._active_role) if self._active_role else LOGIN_ROUTE

    def _home_for(self, actor: Actor, route: str) -> str:
        """Where to send a user turned away from ``route``: home, unless home is that page."""
        home = self._home()
        rule = PAGE_RULES.get(home)
        if home == route or (rule and rule.permission and not actor.can(rule.permission)):
            return "/account"
        return home

    async def _fill_header(self, actor: Actor) -> None:
        self.user_name, self.school_name = await run_service(
            profile.header, user_id=actor.user_id, school_id=actor.school_id
        )
        self.active_role = self._active_role
        self.role_options = [
            {"value": r.value, "label": role_title(r.value)} for r in _ordered_roles(actor)
        ]
        self.nav_items = [
            {"label": label, "href": href}
            for label, href in (site_map.menu(self._active_role) if self._active_role else ())
        ]

    def _hand_over_session(self, code: str, target: str) -> Any:
        """After a login: the browser redeems the one-time `code` at the HTTP endpoint that
        sets the HttpOnly session cookie, then loads `target` (a new websocket carries it)."""
        return rx.call_script(
            f"fetch({json.dumps(web.AUTH_SESSION_PATH)}, {{method: 'POST', "
            "credentials: 'same-origin', headers: {'Content-Type': 'application/json'}, "
            f"body: JSON.stringify({{code: {json.dumps(code)}}})}})"
            f".then(function (r) {{ window.location.assign(r.ok ? {json.dumps(target)} : "
            f"{json.dumps(LOGIN_ROUTE + '?expired=1')}); }})"
            f".catch(function () {{ window.location.assign({json.dumps(LOGIN_ROUTE + '?expired=1')}); }})"
        )

    # ------------------------------------------------------------------ handlers

    @public
    async def guard(self, route: str) -> Any:
        """On page load: let the user in, or send them to login / their home."""
        rule = PAGE_RULES.get(route)
        actor, must_change = await self._session_actor()
        if actor is None:
            return rx.redirect(LOGIN_ROUTE)
        if rule is None:
            return rx.redirect(self._home())
        if must_change and not rule.allow_before_password_change:
            return rx.redirect(CHANGE_PASSWORD_ROUTE)
        if rule.permission is not None and not actor.can(rule.permission):
            return [
                rx.toast.error("Эта страница вам недоступна."),
                rx.redirect(self._home_for(actor, route)),
            ]
        await self._fill_header(actor)
        return list(rule.loaders)

    @requires(Permission.OWN_ACCOUNT)
    async def switch_role(self, role: str) -> Any:
        """Switch the active role (a user who holds several) and go to its home."""
        actor = self._actor()
        if role not in {r.value for r in actor.roles}:
            return rx.toast.error("У вас нет такой роли.")
        self._active_role = role
        await self._fill_header(actor)
        return rx.redirect(site_map.home_path(role))

    @public
    async def logout(self) -> Any:
        """End this session on the server and forget it in the browser."""
        token = self._token()
        if token:
            await run_service(auth.logout, token=token)
        await self._forget_tab()
        # The cookie is HttpOnly: the endpoint deletes it; then a fresh page (and socket).
        return rx.call_script(
            f"fetch({json.dumps(web.AUTH_LOGOUT_PATH)}, {{method: 'POST', "
            "credentials: 'same-origin'})"
            f".finally(function () {{ window.location.assign({json.dumps(LOGIN_ROUTE)}); }})"
        )


def _ordered_roles(actor: Actor) -> list[Role]:
    return [r for r in auth.ROLE_PRIORITY if r in actor.roles]
