"""Logging out (or a session ended elsewhere) leaves nothing of the user in the tab's state.

The server keeps a tab's States under its tab token; whoever connects with that token
next (the next person at a shared school computer, or someone replaying the token) gets
them on hydrate. After logout every State of the tab is back to its defaults.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from sqlmodel import select

from ejournal.domain.models import Role, UserSession
from ejournal.domain.people import auth
from ejournal.state.admin import AdminUsersState
from ejournal.state.base import LOGIN_ROUTE, SessionState
from ejournal.state.diary import DiaryState
from tests.state.conftest import StateWorld, call, give_cookie
from tests.state.outcomes import redirect_target


def _tab(world: StateWorld, token: str) -> rx.State:
    """One browser tab: a root State whose session cookie holds `token`."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    give_cookie(root, token)
    return root


def _in(root: rx.State, cls: type[Any]) -> Any:
    return root.get_substate(cls.get_full_name().split("."))


def _hydrate_text(root: rx.State) -> str:
    """Everything a client connecting with this tab's token would be sent."""
    return json.dumps(root.dict(), ensure_ascii=False, default=str)


def test_logout_forgets_the_one_time_password_the_admin_was_shown(world: StateWorld):
    """After the admin logs out, the tab holds neither the issued login nor its password."""
    root = _tab(world, world.token(Role.ADMIN))
    admin = _in(root, AdminUsersState)
    teacher = world.school.accounts[Role.TEACHER]
    call(AdminUsersState.reset_password, admin, teacher.user_id)
    assert admin.issued_password and admin.issued_login == teacher.login
    assert admin.issued_password in _hydrate_text(root)

    answer = call(SessionState.logout, _in(root, SessionState))

    assert "/_auth/logout" in str(answer) and LOGIN_ROUTE in str(answer)
    assert (admin.issued_login, admin.issued_password, admin.rows) == ("", "", [])
    text = _hydrate_text(root)
    assert admin.issued_password == "" and teacher.login not in text
    assert _in(root, SessionState)._user_id is None


def test_logout_forgets_the_childs_week_a_parent_was_looking_at(world: StateWorld):
    """A parent's diary week (child's name, lessons) is gone from the tab after logout."""
    root = _tab(world, world.token(Role.PARENT))
    diary = _in(root, DiaryState)
    call(DiaryState.load, diary)
    child = diary.child_name
    assert child and diary.days
    call(SessionState.logout, _in(root, SessionState))
    assert (diary.child_name, diary.days, diary.children) == ("", [], [])
    assert child not in _hydrate_text(root)


def test_a_session_ended_elsewhere_empties_the_tab_at_its_next_event(world: StateWorld):
    """«Выйти на всех устройствах» from another computer: this tab's next event goes to
    login and the diary it held is cleared."""
    token = world.token(Role.PARENT)
    root = _tab(world, token)
    diary = _in(root, DiaryState)
    call(DiaryState.load, diary)
    assert diary.child_name
    with world.session() as s:
        auth.logout(s, token=token)
        s.commit()
        assert s.exec(select(UserSession)).first() is not None
    answer = call(DiaryState.load, diary)
    assert redirect_target(answer) == LOGIN_ROUTE
    assert (diary.child_name, diary.days) == ("", [])
