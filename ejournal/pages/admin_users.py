"""``/admin/users``: the administrator's accounts page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.backup_alert import backup_alert
from ejournal.components.layout import error_callout, layout
from ejournal.state.admin import STAFF_ROLE_CHOICES, AdminUsersState
from ejournal.state.admin_rows import ChoiceOption


def _select(name: str, options: list[ChoiceOption] | rx.Var[Any], placeholder: str) -> rx.Component:
    return rx.select.root(
        # A combobox takes no name from its content: name it (axe button-name).
        rx.select.trigger(placeholder=placeholder, aria_label=placeholder, width="100%"),
        rx.select.content(
            rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))
        ),
        name=name,
    )


def _search() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="query",
                placeholder="Фамилия, имя или логин",
                aria_label="Поиск пользователей",
                width="100%",
                max_width="420px",
            ),
            rx.button("Найти", type="submit"),
            width="100%",
        ),
        on_submit=AdminUsersState.search,
        reset_on_submit=False,
        width="100%",
    )


def _issued() -> rx.Component:
    return rx.cond(
        AdminUsersState.issued_password != "",
        rx.callout(
            rx.vstack(
                rx.text(AdminUsersState.issued_name, weight="bold"),
                rx.text("Логин: ", rx.code(AdminUsersState.issued_login, size="3")),
                rx.text("Одноразовый пароль: ", rx.code(AdminUsersState.issued_password, size="3")),
                rx.text(
                    "Запишите или распечатайте его сейчас: больше он показан не будет. "
                    "При первом входе пользователь придумает свой пароль.",
                    size="2",
                ),
                spacing="1",
            ),
            icon="key_round",
            color_scheme="green",
            high_contrast=True,
            width="100%",
        ),
    )


def _user_row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                r["kind"] == "staff",
                rx.checkbox(
                    checked=AdminUsersState.checked.contains(r["user_id"]),  # type: ignore[attr-defined]
                    on_change=lambda on: AdminUsersState.toggle_checked(r["user_id"], on),
                    aria_label="Отметить для печати реквизитов",
                ),
            )
        ),
        rx.table.cell(
            rx.link(
                r["full_name"],
                href="#",
                weight="medium",
                on_click=AdminUsersState.select_user(r["user_id"]).prevent_default,
            )
        ),
        rx.table.cell(rx.code(r["login"])),
        rx.table.cell(r["role_titles"]),
        rx.table.cell(
            rx.badge(
                r["status"],
                color_scheme=rx.cond(
                    r["is_active"], rx.cond(r["is_locked"], "amber", "green"), "red"
                ),
                high_contrast=True,
            )
        ),
        rx.table.cell(
            rx.button(
                "Открыть",
                size="1",
                variant="soft",
                on_click=AdminUsersState.select_user(r["user_id"]),
            )
        ),
    )


def _role_chip(role: Any) -> rx.Component:
    return rx.badge(
        role["label"],
        rx.icon_button(
            rx.icon("x", size=12),
            size="1",
            variant="ghost",
            aria_label="Снять роль",
            on_click=AdminUsersState.revoke_role(role["value"]),
        ),
        variant="soft",
        size="2",
    )


def _selected_card() -> rx.Component:
    # The opened account's row, or {} when none: read as a Var, not as the row's TypedDict.
    sel: Any = AdminUsersState.selected
    return rx.cond(
        sel.contains("user_id"),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(sel["full_name"], size="4", as_="h2"),
                    rx.spacer(),
                    rx.button("Закрыть", variant="ghost", on_click=AdminUsersState.close_user),
                    width="100%",
                ),
                rx.text("Логин: ", rx.code(sel["login"]), " · вход: ", sel["last_login_at"]),
                rx.hstack(
                    rx.cond(
                        sel["is_active"],
                        rx.button(
                            "Заблокировать",
                            color_scheme="red",
                            variant="outline",
                            on_click=AdminUsersState.block_user(sel["user_id"]),
                        ),
                        rx.button(
                            "Разблокировать",
                            variant="outline",
                            on_click=AdminUsersState.unblock_user(sel["user_id"]),
                        ),
                    ),
                    rx.button(
                        "Сбросить пароль",
                        variant="outline",
                        on_click=AdminUsersState.reset_password(sel["user_id"]),
                    ),
                    rx.cond(
                        sel["kind"] == "staff",
                        rx.button(
                            "Реквизиты для печати (PDF)",
                            variant="outline",
                            on_click=AdminUsersState.download_slip(sel["user_id"]),
                        ),
                    ),
                    wrap="wrap",
                    spacing="2",
                ),
                rx.cond(
                    sel["kind"] == "staff",
                    rx.text(
                        "Реквизиты для печати содержат новый одноразовый пароль: прежний "
                        "пароль сотрудника перестанет действовать.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                rx.divider(),
                rx.text("Роли", weight="bold"),
                rx.text(sel["role_titles"]),
                rx.cond(
                    sel["kind"] == "staff",
                    rx.vstack(
                        rx.hstack(
                            rx.foreach(sel["roles"], _role_chip),
                            wrap="wrap",
                        ),
                        rx.form(
                            rx.hstack(
                                _select("role", STAFF_ROLE_CHOICES, "Роль"),
                                _select(
                                    "class_id", AdminUsersState.classes, "Класс (для кл. рук.)"
                                ),
                                rx.button("Назначить роль", type="submit", variant="soft"),
                                wrap="wrap",
                                spacing="2",
                            ),
                            on_submit=AdminUsersState.grant_role,
                        ),
                        spacing="2",
                    ),
                ),
                rx.cond(
                    sel["kind"] == "parent",
                    rx.form(
                        rx.vstack(
                            rx.text("Связать с ребёнком", weight="bold"),
                            rx.hstack(
                                rx.input(
                                    name="child_login",
                                    placeholder="Логин учащегося",
                                    aria_label="Логин учащегося",
                                ),
                                rx.input(
                                    name="relation",
                                    placeholder="Кем приходится (мать, отец…)",
                                    aria_label="Кем приходится",
                                ),
                                rx.button("Связать", type="submit", variant="soft"),
                                wrap="wrap",
                                spacing="2",
                            ),
                        ),
                        on_submit=AdminUsersState.link_child,
                    ),
                ),
                error_callout(AdminUsersState.form_error),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _create_form() -> rx.Component:
    def field(name: str, label: str, required: bool = True) -> rx.Component:
        return rx.input(
            name=name, placeholder=label, aria_label=label, required=required, width="100%"
        )

    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Новый сотрудник", size="4", as_="h2"),
                rx.grid(
                    field("last_name", "Фамилия"),
                    field("first_name", "Имя"),
                    field("middle_name", "Отчество", required=False),
                    field("position", "Должность", required=False),
                    _select("role", STAFF_ROLE_CHOICES, "Роль"),
                    _select("class_id", AdminUsersState.classes, "Класс (для кл. рук.)"),
                    columns=rx.breakpoints(initial="1", sm="2", md="3"),
                    spacing="2",
                    width="100%",
                ),
                rx.button("Создать учётную запись", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AdminUsersState.create_staff,
            reset_on_submit=True,
        ),
        width="100%",
    )


def _bulk_slips() -> rx.Component:
    ticked = AdminUsersState.checked.length()  # type: ignore[attr-defined]
    return rx.vstack(
        rx.hstack(
            rx.button(
                "Реквизиты отмеченных (PDF): ",
                ticked,
                variant="outline",
                style=_WRAPPING,
                disabled=ticked == 0,
                on_click=AdminUsersState.download_checked_slips,
            ),
            rx.button(
                "Реквизиты всех, кто не сменил одноразовый пароль (PDF)",
                variant="outline",
                style=_WRAPPING,
                on_click=AdminUsersState.download_waiting_slips,
            ),
            rx.cond(
                ticked > 0,
                rx.button("Снять отметки", variant="ghost", on_click=AdminUsersState.clear_checked),
            ),
            wrap="wrap",
            spacing="2",
        ),
        rx.text(
            "Каждый напечатанный листок содержит новый одноразовый пароль: прежние пароли "
            "этих сотрудников перестанут действовать.",
            size="1",
            color_scheme="gray",
        ),
        spacing="1",
        width="100%",
    )


#: A long button label wraps inside the screen on a phone instead of running past its edge.
_WRAPPING = {"white_space": "normal", "height": "auto", "min_height": "32px", "max_width": "100%"}


def _failure_cells(r: Any, clear: Any) -> list[rx.Component]:
    """Failures, pause, last failure and «Сбросить»: the cells both failure tables share."""
    return [
        rx.table.cell(r["failures"]),
        rx.table.cell(
            rx.cond(
                r["delayed_until"] != "",
                rx.badge("до ", r["delayed_until"], color_scheme="amber", high_contrast=True),
                rx.text("нет", color_scheme="gray"),
            )
        ),
        rx.table.cell(r["last_failure_at"]),
        rx.table.cell(rx.button("Сбросить", size="1", variant="soft", on_click=clear)),
    ]


def _failed_account_row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["full_name"]),
        rx.table.cell(rx.code(r["login"])),
        *_failure_cells(r, AdminUsersState.clear_account_failures(r["user_id"])),
    )


def _failed_address_row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(r["ip"])),
        *_failure_cells(r, AdminUsersState.clear_address_failures(r["ip"])),
    )


def _table(headers: list[str], rows: Any, row: Any) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(*(rx.table.column_header_cell(h) for h in headers)),
            ),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            variant="surface",
            size="1",
        ),
        overflow_x="auto",
        width="100%",
    )


def _failed_logins() -> rx.Component:
    """Accounts with failed logins and crowded addresses; shown only when there are any."""
    accounts = AdminUsersState.failed_accounts
    addresses = AdminUsersState.failed_addresses
    return rx.cond(
        (accounts.length() > 0) | (addresses.length() > 0),  # type: ignore[attr-defined]
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Неудачные попытки входа", size="4", as_="h2"),
                    rx.spacer(),
                    rx.button(
                        "Обновить",
                        variant="ghost",
                        size="1",
                        on_click=AdminUsersState.refresh_failures,
                    ),
                    width="100%",
                ),
                rx.text(
                    "После нескольких неверных паролей вход в учётную запись замедляется "
                    "(не дольше минуты), но не блокируется: верный пароль после паузы "
                    "пропускается. Сброс снимает паузу сразу.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    accounts.length() > 0,  # type: ignore[attr-defined]
                    _table(
                        ["ФИО", "Логин", "Неудач подряд", "Пауза", "Последняя неудача", ""],
                        accounts,
                        _failed_account_row,
                    ),
                ),
                rx.cond(
                    addresses.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(
                        rx.text(
                            "Адреса, с которых за последние ",
                            AdminUsersState.address_window_minutes,
                            " мин. было много неудачных попыток (например, общий адрес "
                            "школы): попытки с них замедляются.",
                            size="2",
                        ),
                        _table(
                            ["Адрес", "Неудач", "Пауза", "Последняя неудача", ""],
                            addresses,
                            _failed_address_row,
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def page() -> rx.Component:
    return layout(
        "Пользователи",
        backup_alert(),
        _search(),
        _issued(),
        _selected_card(),
        _failed_logins(),
        _bulk_slips(),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(""),
                        rx.table.column_header_cell("ФИО"),
                        rx.table.column_header_cell("Логин"),
                        rx.table.column_header_cell("Роли"),
                        rx.table.column_header_cell("Состояние"),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(AdminUsersState.rows, _user_row)),
                width="100%",
                variant="surface",
            ),
            overflow_x="auto",
            width="100%",
        ),
        _create_form(),
    )
