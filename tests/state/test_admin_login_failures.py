"""The users page lists failed logins and lets only the administrator clear them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ejournal.domain.models import AuditLog, Role, User
from ejournal.domain.people import auth
from ejournal.state.admin import AdminUsersState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text

ATTACKER = "203.0.113.66"


def _fail(world: StateWorld, role: Role, times: int) -> int:
    account = world.school.accounts[role]
    with world.session() as s:
        for _ in range(times):
            auth.authenticate(s, login=account.login, password="не-тот-пароль", ip=ATTACKER)
    return account.user_id


def test_the_admin_sees_failures_and_clears_them(world: StateWorld):
    """After failures the page lists the account; «Сбросить» clears it, with an audit entry."""
    user_id = _fail(world, Role.TEACHER, 6)
    st = world.state(AdminUsersState, world.token(Role.ADMIN))
    call(AdminUsersState.load, st)
    assert [(r["user_id"], r["failures"]) for r in st.failed_accounts] == [(user_id, 5)]
    assert st.failed_accounts[0]["delayed_until"] != ""
    result = call(AdminUsersState.clear_account_failures, st, user_id)
    assert toast_text(result) == "Счётчик неудачных входов сброшен."
    assert st.failed_accounts == []
    with world.session() as s:
        assert s.get(User, user_id).failed_logins == 0  # type: ignore[union-attr]
        assert s.exec(select(AuditLog).where(AuditLog.action == "login_failures_clear")).one()


@pytest.mark.parametrize("handler", ["clear_account_failures", "clear_address_failures"])
def test_clearing_failures_is_refused_for_a_teacher(world: StateWorld, handler: str):
    """A teacher's forged clearing changes nothing."""
    user_id = _fail(world, Role.PARENT, 6)
    st = world.state(AdminUsersState, world.token(Role.TEACHER))
    argument = user_id if handler == "clear_account_failures" else ATTACKER
    result = call(getattr(AdminUsersState, handler), st, argument)
    assert "Недостаточно прав" in (toast_text(result) or "")
    with world.session() as s:
        assert s.get(User, user_id).failed_logins == 5  # type: ignore[union-attr]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.PARENT, Role.STUDENT])
def test_the_failure_lists_are_refused_to_anyone_but_the_admin(world: StateWorld, role: Role):
    """A forged refresh of the failed-login lists shows no account or address."""
    _fail(world, Role.DEPUTY, 6)
    st = world.state(AdminUsersState, world.token(role))
    result = call(AdminUsersState.refresh_failures, st)
    assert "Недостаточно прав" in (toast_text(result) or "")
    assert (st.failed_accounts, st.failed_addresses) == ([], [])
