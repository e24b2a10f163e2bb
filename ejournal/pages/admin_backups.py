"""``/admin/backups``: Резервные копии — the schedule, the list of backups, a backup taken
now, downloaded as a zip or checked (administrator only)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.state.admin_backups import BackupRow, BackupsState


def _schedule() -> rx.Component:
    s = BackupsState
    return rx.card(
        rx.vstack(
            rx.heading("Расписание", as_="h2", size="4"),
            rx.text(s.schedule_text),
            rx.text(s.keep_text),
            rx.link("Изменить час и сроки хранения в «Настройках»", href="/settings"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _actions(row: Any) -> rx.Component:
    return rx.cond(
        row.available,
        rx.flex(
            rx.button(
                "Скачать",
                on_click=BackupsState.download(row.id),
                variant="soft",
                min_height=TAP,
                aria_label="Скачать копию от " + row.started,
            ),
            rx.button(
                "Проверить",
                on_click=BackupsState.verify(row.id),
                variant="outline",
                min_height=TAP,
                aria_label="Проверить копию от " + row.started,
            ),
            gap="8px",
            wrap="wrap",
        ),
        rx.text("—", color_scheme="gray"),
    )


def _row(row: BackupRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.started),
        rx.table.cell(row.kind),
        rx.table.cell(row.size),
        rx.table.cell(
            rx.text(row.status, color_scheme=rx.cond(row.failed, "red", "gray"), size="2"),
            rx.cond(row.check != "", rx.text(row.check, size="2")),
        ),
        rx.table.cell(_actions(row)),
    )


def _list() -> rx.Component:
    s = BackupsState
    return rx.cond(
        s.rows.length() > 0,  # type: ignore[attr-defined]
        rx.scroll_area(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Дата и время"),
                        rx.table.column_header_cell("Как"),
                        rx.table.column_header_cell("Размер"),
                        rx.table.column_header_cell("Состояние"),
                        rx.table.column_header_cell("Действия"),
                    )
                ),
                rx.table.body(rx.foreach(s.rows, _row)),
                width="100%",
            ),
            type="auto",
            scrollbars="horizontal",
            width="100%",
        ),
        rx.text("Резервных копий ещё нет.", color_scheme="gray"),
    )


def _content() -> rx.Component:
    s = BackupsState
    return rx.vstack(
        rx.cond(
            s.alert != "",
            rx.callout(s.alert, icon="triangle_alert", color_scheme="red", width="100%"),
        ),
        _schedule(),
        rx.flex(
            rx.button(
                rx.cond(s.creating, "Копия создаётся…", "Сделать копию сейчас"),
                on_click=BackupsState.take_backup,
                loading=s.creating,
                disabled=s.creating,
                size="3",
                min_height=TAP,
            ),
            gap="8px",
            wrap="wrap",
            align="center",
        ),
        rx.cond(s.creating, rx.text("Копия создаётся… Страницу можно не закрывать.")),
        error_callout(s.error),
        rx.cond(
            s.message != "",
            rx.callout(
                s.message,
                icon="circle_check",
                color_scheme="green",
                high_contrast=True,
                width="100%",
            ),
        ),
        _list(),
        spacing="4",
        width="100%",
    )


def page() -> rx.Component:
    return layout(
        "Резервные копии",
        rx.cond(BackupsState.loaded, _content(), rx.spinner()),
        subtitle="Копии всей базы данных: каждую ночь и по запросу.",
    )
