"""Every event handler of every State declares its access; the browser cannot set identity."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import reflex as rx

import ejournal.ejournal  # noqa: F401 - registers every State
from ejournal.state.base import SessionState, declared_access

#: Reflex's own handler on every State; it only reaches vars with a `set_<name>` setter.
BUILT_IN = {"setvar"}


def _app_states() -> list[type[rx.State]]:
    seen: list[type[rx.State]] = []
    todo: list[type[rx.State]] = [rx.State]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            # A mixin (rx.State, mixin=True) is no State of its own: its handlers are
            # checked on the State that takes it.
            if sub.__module__.startswith("ejournal.") and not sub._mixin:
                seen.append(sub)
    return seen


def _undeclared(states: list[Any]) -> list[str]:
    return [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in states
        for name, handler in cls.event_handlers.items()
        if name not in BUILT_IN and declared_access(handler.fn) is None
    ]


def test_the_app_has_states_with_handlers_to_check():
    """The walk finds the app's States (so the next test cannot pass vacuously)."""
    states = _app_states()
    assert SessionState in states
    assert sum(len(s.event_handlers) for s in states) > 10


def test_every_event_handler_declares_public_or_a_permission():
    """A handler without @public or @requires fails the build, naming the handler."""
    assert _undeclared(_app_states()) == []


def test_an_undeclared_handler_is_reported():
    """The check names a handler that carries no declaration."""

    def steal(self: Any) -> None:
        pass

    fake = type("Sneaky", (), {"event_handlers": {"steal": SimpleNamespace(fn=steal)}})
    fake.__module__ = "ejournal.state.fake"
    assert _undeclared([fake]) == ["ejournal.state.fake.Sneaky.steal"]


def test_no_app_state_defines_a_setter_that_setvar_could_reach():
    """setvar("x", v) calls set_x; no handler is named set_*, so setvar reaches nothing."""
    setters = [
        f"{cls.__name__}.{name}"
        for cls in _app_states()
        for name in cls.event_handlers
        if name.startswith("set_")
    ]
    assert setters == []


def test_every_page_of_the_site_map_is_served():
    """A route added to the site map without a component (or the reverse) is caught."""
    from ejournal.domain import site_map
    from ejournal.ejournal import PAGES

    assert set(PAGES) == {p.route for p in site_map.PAGES}
