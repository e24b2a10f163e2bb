"""``/setup/timetable``: Расписание и замены — the deputy's week grid of a class, teacher or
room (add a lesson in an empty cell, take one off from a date), the hours warnings, the
printable PDF, and the substitutions."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import error_callout, layout
from ejournal.state.setup_timetable import (
    ALL_LESSONS,
    CellItem,
    GridCell,
    GridRow,
    SubItem,
    TimetableState,
)

S = TimetableState

KIND_OPTIONS = [("class", "Класс"), ("teacher", "Учитель"), ("room", "Кабинет")]
NUMBER_OPTIONS = [(ALL_LESSONS, "Все уроки")] + [(str(n), f"{n}-й урок") for n in range(0, 11)]


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"),
        width="100%",
    )


def _select(options: Any, label: str, value: Any, on_change: Any, **props: Any) -> rx.Component:
    """A select named by `label` (a combobox takes no name from its content)."""
    if isinstance(options, list):
        items = [rx.select.item(text, value=v) for v, text in options]
    else:
        items = [rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))]
    return rx.select.root(
        rx.select.trigger(placeholder=label, aria_label=label, min_width="160px"),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        **props,
    )


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color_scheme="gray"), control, spacing="1")


# --------------------------------------------------------------------------- choosing


def _chooser() -> rx.Component:
    return rx.flex(
        _labelled("Показать", _select(KIND_OPTIONS, "Вид расписания", S.kind, S.choose_kind)),
        _labelled(
            "Что именно",
            _select(S.object_options, "Класс, учитель или кабинет", S.object_id, S.choose_object),
        ),
        _labelled(
            "На дату",
            rx.input(
                type="date",
                value=S.on,
                on_change=S.choose_date,
                aria_label="Расписание на дату",
            ),
        ),
        rx.cond(
            S.kind != "room",
            rx.button("Скачать PDF", on_click=S.download_pdf, variant="soft"),
        ),
        spacing="3",
        wrap="wrap",
        align="end",
    )


# --------------------------------------------------------------------------- the grid


def _item(item: CellItem) -> rx.Component:
    return rx.vstack(
        rx.text(item.subject, weight="bold", size="2"),
        rx.text(item.other, size="1"),
        rx.cond(item.room != "", rx.text(item.room, size="1", color_scheme="gray")),
        rx.button(
            "Убрать с даты",
            size="1",
            variant="ghost",
            color_scheme="red",
            aria_label=item.remove_label,
            on_click=S.remove_lesson(item.slot_id),
        ),
        spacing="1",
        align="start",
    )


def _cell(cell: GridCell) -> rx.Component:
    return rx.table.cell(
        rx.vstack(
            rx.foreach(cell.lessons, _item),
            rx.button(
                rx.cond(cell.lessons.length() > 0, "+", "Добавить"),  # type: ignore[attr-defined]
                size="1",
                variant="soft",
                aria_label=cell.label,
                on_click=S.open_cell(cell.weekday, cell.number),
            ),
            spacing="2",
            align="start",
        ),
        min_width="150px",
        vertical_align="top",
    )


def _row(row: GridRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.number, weight="bold"),
                rx.text(row.time, size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.foreach(row.cells, _cell),
    )


def _grid() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Урок"),
                    rx.foreach(S.day_names, lambda d: rx.table.column_header_cell(d)),
                )
            ),
            rx.table.body(rx.foreach(S.rows, _row)),
            variant="surface",
            size="1",
        ),
        overflow_x="auto",
        width="100%",
    )


def _add_form() -> rx.Component:
    return rx.cond(
        S.form_open,
        rx.card(
            rx.vstack(
                rx.heading("Новый урок: ", S.form_title, size="3", as_="h3"),
                rx.flex(
                    _labelled(
                        "Класс и предмет",
                        _select(
                            S.assignment_options,
                            "Класс и предмет",
                            S.form_assignment,
                            S.change_form_assignment,
                        ),
                    ),
                    _labelled(
                        "Кабинет",
                        rx.input(
                            value=S.form_room,
                            on_change=S.change_form_room,
                            aria_label="Кабинет",
                            max_length=32,
                            width="110px",
                        ),
                    ),
                    _labelled(
                        "Действует с",
                        rx.input(
                            type="date",
                            value=S.form_from,
                            on_change=S.change_form_from,
                            aria_label="Действует с",
                        ),
                    ),
                    spacing="3",
                    wrap="wrap",
                    align="end",
                ),
                rx.cond(S.form_error != "", error_callout(S.form_error)),
                rx.hstack(
                    rx.button("Добавить", on_click=S.add_lesson),
                    rx.button("Отмена", variant="soft", color_scheme="gray", on_click=S.close_form),
                    spacing="2",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _warnings() -> rx.Component:
    return rx.cond(
        S.warnings.length() > 0,  # type: ignore[attr-defined]
        rx.callout(
            rx.vstack(
                rx.text("Часы по нагрузке и учебному плану", weight="bold"),
                rx.el.ul(
                    rx.foreach(S.warnings, lambda w: rx.el.li(w)),
                    style={"padding-left": "1.2em", "margin": 0},
                ),
                spacing="1",
            ),
            icon="triangle_alert",
            color_scheme="amber",
            high_contrast=True,
            width="100%",
        ),
    )


# --------------------------------------------------------------------------- substitutions


def _sub_row(item: SubItem) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.when),
        rx.table.cell(item.what),
        rx.table.cell(item.teacher),
        rx.table.cell(item.substitute),
        rx.table.cell(
            rx.button(
                "Отменить",
                size="1",
                variant="soft",
                color_scheme="red",
                aria_label=item.cancel_label,
                on_click=S.cancel_substitute(item.lesson_id),
            )
        ),
    )


def _substitutions() -> rx.Component:
    return _section(
        "Замены",
        rx.text(
            "Для одного урока выберите день и номер урока; для нескольких дней — «Все уроки».",
            size="2",
            color_scheme="gray",
        ),
        rx.flex(
            _labelled(
                "Кого заменяют",
                _select(S.teacher_options, "Кого заменяют", S.sub_teacher, S.change_sub_teacher),
            ),
            _labelled(
                "Кто заменяет",
                _select(
                    S.teacher_options, "Кто заменяет", S.sub_substitute, S.change_sub_substitute
                ),
            ),
            _labelled(
                "С",
                rx.input(
                    type="date",
                    value=S.sub_from,
                    on_change=S.change_sub_from,
                    aria_label="Замена с",
                ),
            ),
            _labelled(
                "По",
                rx.input(
                    type="date", value=S.sub_to, on_change=S.change_sub_to, aria_label="Замена по"
                ),
            ),
            _labelled("Урок", _select(NUMBER_OPTIONS, "Урок", S.sub_number, S.change_sub_number)),
            rx.button("Назначить замену", on_click=S.assign_substitute),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        rx.cond(S.sub_error != "", error_callout(S.sub_error)),
        rx.cond(
            S.subs.length() > 0,  # type: ignore[attr-defined]
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Когда"),
                            rx.table.column_header_cell("Урок"),
                            rx.table.column_header_cell("Учитель"),
                            rx.table.column_header_cell("Заменяет"),
                            rx.table.column_header_cell("Действие"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.subs, _sub_row)),
                    size="1",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text("Замен рядом с этой датой нет.", size="2", color_scheme="gray"),
        ),
    )


def page() -> rx.Component:
    return layout(
        "Расписание и замены",
        rx.cond(S.load_error != "", error_callout(S.load_error)),
        _section(
            "Расписание",
            _chooser(),
            rx.cond(S.title != "", rx.heading(S.title, size="3", as_="h3")),
            _warnings(),
            _add_form(),
            _grid(),
        ),
        _substitutions(),
    )
