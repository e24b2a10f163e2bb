"""``/admin/audit``: who changed what and when."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import error_callout, field_label, layout
from ejournal.domain.audit.chain import ACTION_TITLES, ENTITY_TITLES, AuditAction
from ejournal.state.admin import AdminAuditState

#: Actions offered in the filter (one entry per Russian title).
# One entry per title: old codes of the same action are not offered twice.
FILTER_ACTIONS = {
    code.value: title
    for code, title in ACTION_TITLES.items()
    if code not in (AuditAction.PARENT_LINK_OLD, AuditAction.USER_CREATE_CLI)
}
SELECT_STYLE = {
    "width": "100%",
    "height": "var(--space-6)",
    "padding": "0 8px",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "font_size": "var(--font-size-2)",
}


def _filters() -> rx.Component:
    def field(name: str, label: str, type_: str = "text") -> rx.Component:
        return rx.vstack(
            field_label(label, f"audit-{name}", size="1"),
            rx.input(id=f"audit-{name}", name=name, type=type_, aria_label=label, width="100%"),
            spacing="1",
            width="100%",
        )

    def choice(name: str, label: str, titles: dict[str, str], anything: str) -> rx.Component:
        return rx.vstack(
            field_label(label, f"audit-{name}", size="1"),
            # A native select: its value (the recorded code) goes with the form's data.
            rx.el.select(
                rx.el.option(anything, value=""),
                *(rx.el.option(title, value=code) for code, title in titles.items()),
                id=f"audit-{name}",
                name=name,
                style=SELECT_STYLE,
                custom_attrs={"aria-label": label},
            ),
            spacing="1",
            width="100%",
        )

    return rx.form(
        rx.vstack(
            rx.grid(
                field("person", "Кто (ФИО или логин)"),
                choice("entity", "Объект", {k.value: v for k, v in ENTITY_TITLES.items()}, "любой"),
                choice("action", "Действие", FILTER_ACTIONS, "любое"),
                field("since", "С даты", "date"),
                field("until", "По дату", "date"),
                columns=rx.breakpoints(initial="1", sm="2", md="5"),
                spacing="2",
                width="100%",
            ),
            rx.button("Показать", type="submit"),
            error_callout(AdminAuditState.filter_error),
            spacing="2",
            width="100%",
        ),
        on_submit=AdminAuditState.apply_filters,
        reset_on_submit=False,
        width="100%",
    )


def _entity_title(entity: Any) -> rx.Component:
    return rx.match(entity, *((k.value, v) for k, v in ENTITY_TITLES.items()), entity)


def _row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["at"], white_space="nowrap"),
        rx.table.cell(rx.cond(r["actor_name"] != "", r["actor_name"], "система")),
        rx.table.cell(r["action_title"]),
        rx.table.cell(
            rx.text(_entity_title(r["entity"]), size="2"),
            rx.text(r["what"], size="1", color_scheme="gray"),
            min_width="180px",
        ),
        rx.table.cell(rx.text(r["before_text"], size="1"), min_width="140px"),
        rx.table.cell(rx.text(r["after_text"], size="1"), min_width="140px"),
        rx.table.cell(r["reason"]),
    )


def _card(r: Any) -> rx.Component:
    """One entry on a phone: the same facts as a table row, stacked."""
    return rx.card(
        rx.vstack(
            rx.text(
                r["at"],
                " · ",
                rx.cond(r["actor_name"] != "", r["actor_name"], "система"),
                size="1",
                color_scheme="gray",
            ),
            rx.text(r["action_title"], ": ", _entity_title(r["entity"]), weight="bold", size="2"),
            rx.text(r["what"], size="1", color_scheme="gray"),
            rx.cond(r["before_text"] != "", rx.text("Было: ", r["before_text"], size="1")),
            rx.cond(r["after_text"] != "", rx.text("Стало: ", r["after_text"], size="1")),
            rx.cond(r["reason"] != "", rx.text("Причина: ", r["reason"], size="1")),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="audit-card",
    )


#: The table on a desktop, cards on a phone (a seven-column table does not fit 360 px).
ON_WIDE = ["none", "none", "block"]
ON_PHONE = ["flex", "flex", "none"]


def page() -> rx.Component:
    return layout(
        "Журнал аудита",
        _filters(),
        rx.vstack(
            rx.foreach(AdminAuditState.rows, _card),
            spacing="2",
            width="100%",
            display=ON_PHONE,
        ),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *(
                            rx.table.column_header_cell(h)
                            for h in (
                                "Когда",
                                "Кто",
                                "Действие",
                                "Объект",
                                "Было",
                                "Стало",
                                "Причина",
                            )
                        )
                    )
                ),
                rx.table.body(rx.foreach(AdminAuditState.rows, _row)),
                width="100%",
                variant="surface",
                size="1",
            ),
            overflow_x="auto",
            width="100%",
            display=ON_WIDE,
        ),
        rx.cond(
            AdminAuditState.rows.length() == 0,  # type: ignore[attr-defined]
            rx.text("Записей нет.", color_scheme="gray"),
        ),
        rx.cond(
            AdminAuditState.has_more,
            rx.button("Ещё", variant="outline", on_click=AdminAuditState.more),
        ),
    )
