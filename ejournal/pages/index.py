"""The start page ``/`` and ``/login``: the school's name and the login form."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import error_callout, field_label, public_frame
from ejournal.state.auth import LoginState


def login_form() -> rx.Component:
    """Login and password; Enter submits; the error or lock message above the button."""
    return rx.form(
        rx.vstack(
            field_label("Логин", "login"),
            rx.input(
                id="login",
                name="login",
                auto_complete="username",
                auto_capitalize="none",
                auto_focus=True,
                required=True,
                size="3",
                width="100%",
            ),
            field_label("Пароль", "password"),
            rx.input(
                id="password",
                name="password",
                type="password",
                auto_complete="current-password",
                required=True,
                size="3",
                width="100%",
            ),
            # A native checkbox: Enter on it submits the form (Radix's swallows Enter).
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    id="remember",
                    name="remember",
                    aria_describedby="remember-hint",
                    style={"width": "18px", "height": "18px", "margin": "0"},
                ),
                "Запомнить это устройство",
                html_for="remember",
                style={
                    "display": "flex",
                    "gap": "8px",
                    "align-items": "center",
                    "font-size": "var(--font-size-2)",
                    "min-height": "32px",
                    "cursor": "pointer",
                },
            ),
            rx.text(
                "Для родителей и учащихся на личном устройстве: не придётся входить каждый день.",
                id="remember-hint",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                LoginState.locked,
                error_callout(LoginState.error, icon="lock"),
                error_callout(LoginState.error),
            ),
            rx.button(
                "Войти",
                type="submit",
                size="3",
                width="100%",
                loading=LoginState.busy,
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=LoginState.submit,
        reset_on_submit=False,
        width="100%",
    )


def page() -> rx.Component:
    """The start page: who we are, and the way in."""
    return public_frame(
        rx.card(
            rx.vstack(
                rx.text("Электронный журнал и дневник", size="2", color_scheme="gray"),
                rx.heading(LoginState.school_name, size="6", as_="h1"),
                rx.divider(),
                rx.heading("Вход", size="4", as_="h2"),
                login_form(),
                rx.text(
                    "Логин и пароль выдаёт школа: учителям — администратор, "
                    "родителям и учащимся — классный руководитель.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="3",
                width="100%",
            ),
            size="3",
            width="100%",
        )
    )
