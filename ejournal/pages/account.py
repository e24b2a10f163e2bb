"""``/account``: my password, my sessions, logout."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import layout
from ejournal.pages.change_password import password_form
from ejournal.state.auth import AccountState
from ejournal.state.base import SessionState


def _session_row(s: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(s["device"], title=s["user_agent"])),
        rx.table.cell(s["ip"]),
        rx.table.cell(s["created_at"]),
        rx.table.cell(s["last_seen_at"]),
        rx.table.cell(
            rx.cond(
                s["is_current"],
                rx.badge("Этот сеанс", color_scheme="green", high_contrast=True),
                rx.button(
                    "Завершить",
                    size="1",
                    variant="outline",
                    color_scheme="red",
                    on_click=AccountState.end_session(s["id"]),
                ),
            )
        ),
    )


def page() -> rx.Component:
    return layout(
        "Мой профиль",
        rx.cond(
            SessionState.nav_items.length() == 0,  # type: ignore[attr-defined]
            # A role without pages of its own (the secretary for now) lands here.
            rx.callout(
                "Для вашей роли страниц в электронном журнале пока нет. Здесь можно "
                "сменить пароль и проверить, где выполнен вход.",
                icon="info",
                width="100%",
            ),
        ),
        rx.card(
            rx.heading("Сменить пароль", size="4", as_="h2"),
            password_form(),
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading("Где выполнен вход", size="4", as_="h2"),
                rx.text(
                    "Если видите незнакомое устройство, завершите его сеанс и смените пароль.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Устройство"),
                                rx.table.column_header_cell("IP"),
                                rx.table.column_header_cell("Вход"),
                                rx.table.column_header_cell("Активность"),
                                rx.table.column_header_cell(""),
                            )
                        ),
                        rx.table.body(rx.foreach(AccountState.sessions, _session_row)),
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.button(
                    "Выйти на этом устройстве", on_click=SessionState.logout, variant="outline"
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )
