"""``/settings``: the school's settings for the deputy and the director — control
thresholds with their regulation clauses, deadlines, the rounding of period marks and the
work types' weights and deadlines, saved with one «Сохранить» button."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.state.settings import SettingsState

FORM_MAX_WIDTH = "760px"


def _number_input(name: Any, value: Any, label: Any, decimal: Any, error: Any) -> rx.Component:
    return rx.input(
        name=name,
        default_value=value,
        aria_label=label,
        input_mode=rx.cond(decimal, "decimal", "numeric"),
        auto_complete="off",
        size="3",
        width="96px",
        min_height=TAP,
        color_scheme=rx.cond(error != "", "red", "gray"),
        aria_invalid=rx.cond(error != "", "true", "false"),
    )


def _field(f: Any) -> rx.Component:
    """One threshold: label, input and unit on a line; what it means and its clause below."""
    return rx.vstack(
        rx.text(f.label, as_="label", weight="medium", size="3"),
        rx.flex(
            _number_input(f.key, f.value, f.label, f.decimal, f.error),
            rx.text(f.unit, size="2", color_scheme="gray"),
            gap="8px",
            align="center",
            wrap="wrap",
        ),
        rx.text(
            f.help,
            rx.cond(f.clause != "", rx.text.strong(" ", f.clause)),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(f.error != "", rx.text(f.error, size="2", color_scheme="red", role="alert")),
        spacing="1",
        width="100%",
        padding_y="8px",
        border_top="1px solid var(--gray-a4)",
    )


def _group(title: str, intro: str, fields: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(intro, size="2", color_scheme="gray"),
            rx.foreach(fields, _field),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _cell_input(name: Any, value: Any, label: Any, decimal: bool, error: Any) -> rx.Component:
    return rx.vstack(
        _number_input(name, value, label, decimal, error),
        rx.cond(error != "", rx.text(error, size="1", color_scheme="red", role="alert")),
        spacing="1",
    )


def _work_type_row(w: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(w.name, weight="medium"),
                rx.flex(
                    rx.cond(w.abbreviation != "", rx.badge(w.abbreviation, variant="soft")),
                    rx.cond(w.is_control, rx.badge("контрольная", color_scheme="orange")),
                    gap="4px",
                    wrap="wrap",
                ),
                spacing="1",
            ),
            min_width="140px",
        ),
        rx.table.cell(_cell_input(w.weight_key, w.weight, "Вес", True, w.weight_error)),
        rx.table.cell(
            _cell_input(w.lessons_key, w.lessons, "Срок, уроков", False, w.lessons_error)
        ),
        rx.table.cell(_cell_input(w.days_key, w.days, "Срок, дней", False, w.days_error)),
    )


def _work_types() -> rx.Component:
    s = SettingsState
    return rx.card(
        rx.vstack(
            rx.heading("Виды работ", size="4", as_="h2"),
            rx.text(
                "Вес — во сколько раз отметка за работу весомее ответа на уроке в "
                "средневзвешенном балле (больше 0, не больше 10). Срок — когда отметки за "
                "работу должны быть в журнале: 0 уроков и 0 дней — в день урока; «уроков» — "
                "к такому по счёту следующему уроку; «дней» — через столько дней (сочинение, "
                "изложение — десять) ",
                rx.text.strong("[003 §3.2]"),
                ".",
                size="2",
                color_scheme="gray",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Вид работы"),
                            rx.table.column_header_cell("Вес"),
                            rx.table.column_header_cell("Срок, уроков"),
                            rx.table.column_header_cell("Срок, дней"),
                        )
                    ),
                    rx.table.body(rx.foreach(s.work_types, _work_type_row)),
                    size="1",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.cond(
                s.work_types.length() == 0,  # type: ignore[attr-defined]
                rx.text("В школе нет видов работ.", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _form() -> rx.Component:
    s = SettingsState
    return rx.form(
        rx.vstack(
            _group(
                "Контроль ведения журнала",
                "Пороги, по которым проверка журнала находит замечания.",
                s.control_fields,
            ),
            _group(
                "Сроки",
                "Когда записи должны быть в журнале и когда итоговые отметки видны семьям.",
                s.deadline_fields,
            ),
            _group(
                "Отметки за период",
                "Средневзвешенный балл от порога и выше предлагает отметку за четверть "
                "(полугодие); учитель может выставить другую с обоснованием.",
                s.rounding_fields,
            ),
            _work_types(),
            _group(
                "Резервные копии",
                "Когда делается ночная копия базы данных и сколько копий хранится "
                "(список копий — на странице «Резервные копии» администратора).",
                s.backup_fields,
            ),
            error_callout(s.form_error),
            rx.cond(
                s.result != "",
                rx.callout(
                    s.result,
                    icon="circle_check",
                    color_scheme="green",
                    high_contrast=True,
                    width="100%",
                ),
            ),
            rx.button("Сохранить", type="submit", size="3", min_height=TAP, width="100%"),
            spacing="4",
            width="100%",
        ),
        on_submit=s.save,
        reset_on_submit=False,
        width="100%",
        max_width=FORM_MAX_WIDTH,
        # A new key draws the form afresh with the values just loaded or saved.
        key=s.form_key,
    )


def page() -> rx.Component:
    """``/settings``: the form once loaded."""
    return layout(
        "Настройки школы",
        rx.cond(
            SettingsState.loaded,
            _form(),
            rx.text("Загрузка…", color_scheme="gray"),
        ),
        subtitle="Изменения действуют сразу для всех и записываются в журнал аудита.",
    )
