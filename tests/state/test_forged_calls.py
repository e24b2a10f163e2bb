"""Forged calls: any browser can send any event; handlers refuse what the user may not do."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlmodel import func, select

from ejournal.domain.models import AuditLog, ParentLink, Role, RoleGrant, User
from ejournal.state.admin import AdminAuditState, AdminUsersState
from ejournal.state.base import CHANGE_PASSWORD_ROUTE, LOGIN_ROUTE, SessionState
from ejournal.state.journal import JournalPickerState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import redirect_target, toast_text
from tests.state.people import add_staff_account

REFUSED = "Недостаточно прав"


def _snapshot(world: StateWorld) -> tuple[int, int, int, int, tuple[tuple[int, bool, str], ...]]:
    """Everything an admin handler could change: users, grants, links, audit, hashes."""
    with world.session() as s:
        users = tuple(
            (u.id or 0, u.is_active, u.password_hash)
            for u in s.exec(select(User).order_by(User.id)).all()  # type: ignore[arg-type]
        )
        return (
            s.exec(select(func.count()).select_from(User)).one(),
            s.exec(select(func.count()).select_from(RoleGrant)).one(),
            s.exec(select(func.count()).select_from(ParentLink)).one(),
            s.exec(select(func.count()).select_from(AuditLog)).one(),
            users,
        )


NON_ADMINS = [Role.PARENT, Role.STUDENT, Role.TEACHER, Role.CLASS_TEACHER, Role.DEPUTY]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_blocking_a_user_is_refused_for_non_admins(world: StateWorld, role: Role):
    """A non-admin's forged block_user is refused with a message and blocks no one."""
    st = world.state(AdminUsersState, world.token(role))
    before = _snapshot(world)
    teacher = world.school.accounts[Role.TEACHER].user_id
    result = call(AdminUsersState.block_user, st, teacher)
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before


@pytest.mark.parametrize("role", NON_ADMINS)
def test_creating_staff_is_refused_for_non_admins(world: StateWorld, role: Role):
    """A non-admin's forged create_staff creates no account."""
    st = world.state(AdminUsersState, world.token(role))
    before = _snapshot(world)
    form = {"last_name": "Злоумышленников", "first_name": "Иван", "role": "admin"}
    result = call(AdminUsersState.create_staff, st, form)
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before
    assert st.issued_password == ""


@pytest.mark.parametrize("role", [Role.PARENT, Role.STUDENT, Role.TEACHER])
def test_resetting_the_admins_password_is_refused(world: StateWorld, role: Role):
    """A forged reset_password of the administrator changes no password."""
    st = world.state(AdminUsersState, world.token(role))
    before = _snapshot(world)
    admin = world.school.accounts[Role.ADMIN].user_id
    call(AdminUsersState.reset_password, st, admin)
    assert _snapshot(world) == before
    assert st.issued_password == ""


def test_granting_a_role_is_refused_for_a_parent(world: StateWorld):
    """A parent cannot make themself an administrator through grant_role."""
    parent = world.school.accounts[Role.PARENT]
    st = world.state(AdminUsersState, world.token(Role.PARENT))
    st.selected = {"user_id": parent.user_id}
    before = _snapshot(world)
    call(AdminUsersState.grant_role, st, {"role": "admin"})
    assert _snapshot(world) == before


def test_credential_slips_are_refused_for_a_teacher(world: StateWorld):
    """A teacher's forged download_slip issues no password and returns no file."""
    st = world.state(AdminUsersState, world.token(Role.TEACHER))
    before = _snapshot(world)
    result = call(AdminUsersState.download_slip, st, world.school.accounts[Role.DEPUTY].user_id)
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before


def _downloaded_pdf(result: Any) -> bytes:
    args = {str(name): str(value) for name, value in result.args}
    assert "_download" in repr(result)
    return base64.b64decode(args["url"].split("base64,")[1].strip('"'))


def _password_hashes(world: StateWorld, user_ids: list[int]) -> list[str]:
    with world.session() as s:
        return [u.password_hash for uid in user_ids if (u := s.get(User, uid)) is not None]


def test_the_admin_prints_slips_for_the_ticked_staff_at_once(world: StateWorld):
    """Two ticked staff accounts give one PDF, and both get a new one-time password."""
    ticked = [
        world.school.accounts[Role.TEACHER].user_id,
        world.school.accounts[Role.DEPUTY].user_id,
    ]
    untouched = world.school.accounts[Role.DIRECTOR].user_id
    before = _password_hashes(world, [*ticked, untouched])
    st = world.state(AdminUsersState, world.token(Role.ADMIN))
    for user_id in ticked:
        call(AdminUsersState.toggle_checked, st, user_id, True)
    result = call(AdminUsersState.download_checked_slips, st)
    assert _downloaded_pdf(result).startswith(b"%PDF")
    after = _password_hashes(world, [*ticked, untouched])
    assert [a != b for a, b in zip(after, before, strict=True)] == [True, True, False]
    assert st.checked == []


def test_the_admin_prints_slips_for_all_staff_waiting_for_a_password_change(world: StateWorld):
    """ "All waiting" resets exactly the staff who have not yet changed their one-time password."""
    with world.session() as s:
        waiting = [add_staff_account(s, world.school, f"novyj{i}") for i in range(2)]
        for uid in waiting:
            user = s.get(User, uid)
            assert user is not None
            user.must_change_password = True
            s.add(user)
        s.commit()
    settled = world.school.accounts[Role.TEACHER].user_id
    before = _password_hashes(world, [*waiting, settled])
    st = world.state(AdminUsersState, world.token(Role.ADMIN))
    result = call(AdminUsersState.download_waiting_slips, st)
    assert _downloaded_pdf(result).startswith(b"%PDF")
    after = _password_hashes(world, [*waiting, settled])
    assert [a != b for a, b in zip(after, before, strict=True)] == [True, True, False]


@pytest.mark.parametrize("handler", ["download_checked_slips", "download_waiting_slips"])
def test_bulk_slips_are_refused_for_a_teacher(world: StateWorld, handler: str):
    """A teacher's forged bulk slip call is refused, returns no file and changes no password."""
    st = world.state(AdminUsersState, world.token(Role.TEACHER))
    st.checked = [
        world.school.accounts[Role.DEPUTY].user_id,
        world.school.accounts[Role.ADMIN].user_id,
    ]
    before = _snapshot(world)
    result = call(getattr(AdminUsersState, handler), st)
    assert REFUSED in toast_text(result)
    assert "_download" not in repr(result)
    assert _snapshot(world) == before


@pytest.mark.parametrize("role", [Role.PARENT, Role.TEACHER, Role.DEPUTY])
def test_the_audit_log_is_refused_without_audit_read(world: StateWorld, role: Role):
    """Only the administrator and the director read the audit log."""
    st = world.state(AdminAuditState, world.token(role))
    result = call(AdminAuditState.load, st)
    assert REFUSED in toast_text(result)
    assert st.rows == []


@pytest.mark.parametrize("role", [Role.PARENT, Role.STUDENT])
def test_the_journal_picker_is_refused_to_families(world: StateWorld, role: Role):
    """Students never reach the journal, nor parents: loading the picker and choosing a
    class are both refused, and no page of the journal is listed."""
    st = world.state(JournalPickerState, world.token(role))
    assert REFUSED in toast_text(call(JournalPickerState.load, st))
    # Even with pages already in the server's memory, a forged choice shows none of them.
    st._by_class = {"5 «А»": [{"title": "5 «А» — Математика", "teacher": "", "periods": []}]}
    assert REFUSED in toast_text(call(JournalPickerState.choose_class, st, "5 «А»"))
    assert st.groups == [] and st.classes == []


def test_a_call_without_a_session_goes_to_login_and_changes_nothing(world: StateWorld):
    """No token: the handler does not run and the browser is sent to the login page."""
    st = world.state(AdminUsersState, "")
    before = _snapshot(world)
    result = call(AdminUsersState.block_user, st, world.school.accounts[Role.TEACHER].user_id)
    assert redirect_target(result) == LOGIN_ROUTE
    assert _snapshot(world) == before


def test_a_made_up_token_goes_to_login(world: StateWorld):
    """A token the server never issued is no session."""
    st = world.state(AdminUsersState, "x" * 43)
    result = call(AdminUsersState.load, st)
    assert redirect_target(result) == LOGIN_ROUTE
    assert st.rows == []


def test_the_admin_may_block_a_user(world: StateWorld):
    """The positive control: the same call from the administrator blocks the teacher."""
    st = world.state(AdminUsersState, world.token(Role.ADMIN))
    teacher = world.school.accounts[Role.TEACHER].user_id
    call(AdminUsersState.block_user, st, teacher)
    with world.session() as s:
        user = s.get(User, teacher)
        assert user is not None and user.is_active is False


def test_a_blocked_users_next_event_goes_to_login(world: StateWorld):
    """Blocking ends the user's sessions: their next event is refused."""
    teacher_state = world.state(SessionState, world.token(Role.TEACHER))
    admin_state = world.state(AdminUsersState, world.token(Role.ADMIN))
    call(AdminUsersState.block_user, admin_state, world.school.accounts[Role.TEACHER].user_id)
    result = call(SessionState.switch_role, teacher_state, "teacher")
    assert redirect_target(result) == LOGIN_ROUTE


def test_a_one_time_password_allows_only_the_password_change(world: StateWorld):
    """Until the one-time password is replaced, privileged calls lead to the change page."""
    with world.session() as s:
        admin = s.get(User, world.school.accounts[Role.ADMIN].user_id)
        assert admin is not None
        admin.must_change_password = True
        s.add(admin)
        s.commit()
    st = world.state(AdminUsersState, world.token(Role.ADMIN))
    before = _snapshot(world)
    result = call(AdminUsersState.block_user, st, world.school.accounts[Role.TEACHER].user_id)
    assert redirect_target(result) == CHANGE_PASSWORD_ROUTE
    assert _snapshot(world) == before


def test_switching_to_a_role_one_does_not_hold_is_refused(world: StateWorld):
    """A parent cannot switch into the administrator's role."""
    st = world.state(SessionState, world.token(Role.PARENT))
    result = call(SessionState.switch_role, st, "admin")
    assert redirect_target(result) is None
    assert st._active_role == "parent"


@pytest.mark.parametrize("var", ["_user_id", "_active_role", "user_name"])
def test_setvar_cannot_set_the_token_or_the_identity(world: StateWorld, var: str):
    """Reflex's built-in setvar finds no setter for our vars and sets nothing."""
    st = world.state(SessionState, world.token(Role.PARENT))
    call(SessionState.switch_role, st, "parent")  # validates: fills _user_id
    before = getattr(st, var)
    with pytest.raises(AttributeError):
        SessionState.setvar.fn(st, var, "7")
    assert getattr(st, var) == before


@pytest.mark.parametrize(
    ("role", "route", "home"),
    [(Role.PARENT, "/teacher", "/diary"), (Role.STUDENT, "/admin/users", "/diary")],
)
def test_the_page_guard_turns_a_family_away_from_staff_pages(
    world: StateWorld, role: Role, route: str, home: str
):
    """Navigation: a parent or student who types a staff URL is sent to their diary."""
    st = world.state(SessionState, world.token(role))
    result = call(SessionState.guard, st, route)
    assert redirect_target(result) == home
