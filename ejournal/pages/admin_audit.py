"""``/admin/audit``: who changed what and when."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import error_callout, layout
from ejournal.state.admin import ACTION_TITLES, AdminAuditState

#: Actions offered in the filter (one entry per Russian title).
FILTER_ACTIONS = {code: title for code, title in ACTION_TITLES.items() if code != "parent_link"}
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
            rx.text(label, as_="label", html_for=f"audit-{name}", size="1"),
            rx.input(id=f"audit-{name}", name=name, type=type_, aria_label=label, width="100%"),
            spacing="1",
            width="100%",
        )

    def choice(name: str, label: str, titles: dict[str, str], anything: str) -> rx.Component:
        return rx.vstack(
            rx.text(label, as_="label", html_for=f"audit-{name}", size="1"),
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
                field("person", "Кто (логин)"),
                choice("entity", "Объект", ENTITY_TITLES, "любой"),
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


#: Russian names of the audited objects (others are shown as recorded).
ENTITY_TITLES = {
    "user": "пользователь",
    "school": "школа",
    "class_group": "класс",
    "parent_link": "связь родителя",
    "announcement": "объявление",
    "diary_remark": "замечание",
    "journal_cell": "клетка журнала",
    "lesson": "урок",
    "period_mark": "итоговая отметка",
}


def _entity_title(entity: Any) -> rx.Component:
    return rx.match(entity, *ENTITY_TITLES.items(), entity)


def _row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["at"], white_space="nowrap"),
        rx.table.cell(rx.cond(r["actor_name"] != "", r["actor_name"], "система")),
        rx.table.cell(rx.text(r["action_title"], title=r["action"])),
        rx.table.cell(
            rx.text(_entity_title(r["entity"]), size="2"),
            rx.text(r["what"], size="1", color_scheme="gray"),
            min_width="180px",
        ),
        rx.table.cell(rx.text(r["before_text"], size="1"), min_width="140px"),
        rx.table.cell(rx.text(r["after_text"], size="1"), min_width="140px"),
        rx.table.cell(r["reason"]),
    )


def page() -> rx.Component:
    return layout(
        "Журнал аудита",
        _filters(),
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
