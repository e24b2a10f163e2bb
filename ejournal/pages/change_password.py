"""``/change-password``: a new password after a one-time one (or any time)."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import error_callout, field_label, layout
from ejournal.state.auth import PasswordState


def password_form() -> rx.Component:
    """Old password, new password twice; the rules stated; the error shown."""

    def field(label: str, name: str, autocomplete: str) -> rx.Component:
        return rx.vstack(
            field_label(label, name),
            rx.input(
                id=name,
                name=name,
                type="password",
                auto_complete=autocomplete,
                required=True,
                # The rules are read out with the new password's fields.
                aria_describedby="password-rules" if name != "old_password" else None,
                size="3",
                width="100%",
            ),
            spacing="1",
            width="100%",
        )

    return rx.form(
        rx.vstack(
            field("Текущий пароль", "old_password", "current-password"),
            field("Новый пароль", "new_password", "new-password"),
            field("Новый пароль ещё раз", "repeat_password", "new-password"),
            rx.text(
                "Не короче 8 символов, можно русскими буквами и фразой из нескольких слов. "
                "Слишком простые пароли (12345678, qwerty…) не подойдут.",
                id="password-rules",
                size="1",
                color_scheme="gray",
            ),
            error_callout(PasswordState.password_error),
            rx.button("Сменить пароль", type="submit", size="3"),
            spacing="3",
            width="100%",
            max_width="420px",
        ),
        on_submit=PasswordState.change_password,
        reset_on_submit=True,
        width="100%",
    )


def page() -> rx.Component:
    return layout(
        "Смена пароля",
        rx.text(
            "Придумайте свой пароль вместо выданного: его будете знать только вы.",
        ),
        rx.card(password_form(), width="100%", max_width="480px"),
    )
