"""A login typed before the page finished loading: the page's own load event may arrive
after the answer, and must not wipe «Неверный логин или пароль» off the screen."""

from __future__ import annotations

from ejournal.domain.models import Role
from ejournal.state.auth import LoginState
from tests.state.conftest import StateWorld, call


def test_the_wrong_password_message_survives_a_late_page_load(world: StateWorld):
    st = world.state(LoginState)
    login = world.school.accounts[Role.TEACHER].login
    call(LoginState.submit, st, {"login": login, "password": "не-тот-пароль"})
    assert st.error == "Неверный логин или пароль."
    call(LoginState.open_start, st)  # the page's on_load, processed after the submit
    assert st.error == "Неверный логин или пароль."


def test_a_fresh_visit_starts_without_an_old_message(world: StateWorld, monkeypatch):
    st = world.state(LoginState)
    st.error = "Неверный логин или пароль."
    st._submitted_at = 0.0  # long ago
    call(LoginState.open_start, st)
    assert st.error == ""
