"""The journal grid: a plain HTML table of native inputs, one row per student.

Each row reads its own vars (``JournalState.c<i>``, ``JournalState.f<i>``) so one edit
re-sends one row. The rows are ONE ``rx.foreach`` over ``students`` whose body picks the
row's vars by index at render time (``row_var``): the row is compiled once, not once per
slot. Styling is in ``assets/journal.css`` (keyed on data attributes), keyboard, paste
and live polling in ``assets/journal_grid.js``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var, VarData

from ejournal.state.journal import MAX_ROWS, JournalState
from ejournal.state.journal.wire import ATTENDANCE_NOT_TAKEN

S = JournalState


def row_var(prefix: str, index: Any, var_type: Any) -> Any:
    """``JournalState.<prefix><index>`` for an index known only in the browser (a foreach index).

    The expression is built from Reflex's own name of ``<prefix>0`` and carries the var
    data of all ``MAX_ROWS`` slots, so the component subscribes to every row var.
    """
    first: Var[Any] = getattr(S, f"{prefix}0")
    owner, _, field = str(first._js_expr).rpartition(".")
    suffix = field.removeprefix(f"{prefix}0")
    data = VarData.merge(*(getattr(S, f"{prefix}{k}")._get_all_var_data() for k in range(MAX_ROWS)))
    return Var(
        _js_expr=f'{owner}["{prefix}" + {index} + "{suffix}"]',
        _var_type=var_type,
        _var_data=data,
    ).guess_type()


def _cell(code: Any, col: Any, student_id: Any) -> rx.Component:
    # A row var can lag its columns for one render while a page reloads: never split undefined.
    parts = (code | "").to(str).split("~")
    text = parts[0].to(str)
    flags = parts[2].to(str)
    read_only = (col["editable"] == "") | flags.contains("x")
    return rx.el.td(
        rx.el.input(
            class_name="ej-cell",
            default_value=text,
            read_only=read_only,
            title=parts[3].to(str),
            auto_complete="off",
            spell_check=False,
            max_length=2,
            custom_attrs={
                "data-v": text,
                "data-ver": parts[1].to(str),
                "data-f": flags,
                "data-lid": col["id"],
                "data-two": col["two"],
                "aria-label": col["label"],
            },
        ),
        class_name="ej-td",
        on_double_click=S.open_excuse(f"{student_id}:{col['id']}"),
        custom_attrs={
            "data-f": flags,
            "data-ed": col["editable"],
            "data-ctl": col["control"],
            # A refusal's message, shown on the cell itself (see journal.css).
            "data-note": rx.cond(flags.contains("!"), parts[3].to(str), ""),
        },
    )


def _name(student: Any) -> rx.Component:
    return rx.cond(
        S.can_remark,
        rx.el.button(
            student["name"],
            class_name="ej-name-btn",
            title="Замечание или похвала в дневник",
            on_click=S.open_remark(student["id"]),
        ),
        rx.el.span(student["name"]),
    )


def _row(student: Any, i: Any) -> rx.Component:
    codes = row_var("c", i, list[str])
    figs = row_var("f", i, dict[str, str])
    return rx.el.tr(
        rx.el.td(student["num"], class_name="ej-num"),
        rx.el.td(_name(student), class_name="ej-name", title=student["name"]),
        rx.foreach(S.lessons, lambda col, j: _cell(codes[j], col, student["id"])),
        rx.el.td(figs["n"], class_name="ej-fig ej-first-fig"),
        rx.el.td(figs["a"], class_name="ej-fig"),
        rx.el.td(figs["avg"], class_name="ej-fig"),
        rx.el.td(figs["s"], class_name="ej-fig ej-sug"),
        rx.el.td(
            figs["pm"],
            class_name="ej-fig ej-pm",
            title=figs["pm_title"],
            custom_attrs={
                "data-off": figs["pm_off"],
                "data-can": rx.cond(S.can_period, "1", ""),
            },
            on_click=S.open_period_mark(student["id"], "period"),
        ),
        rx.cond(
            S.has_year,
            rx.el.td(
                figs["ym"],
                class_name="ej-fig ej-pm",
                title=rx.cond(figs["ys"] != "", "Расчётная: " + figs["ys"].to(str), ""),
                custom_attrs={"data-can": rx.cond(S.can_period, "1", "")},
                on_click=S.open_period_mark(student["id"], "year"),
            ),
        ),
        custom_attrs={"data-sid": student["id"]},
    )


def _lesson_header(col: Any) -> rx.Component:
    return rx.el.th(
        rx.el.button(
            rx.el.span(col["label"], class_name="ej-date"),
            rx.el.span(col["wt"], class_name="ej-wt"),
            rx.cond(
                col["att"] == "0",
                rx.el.span(class_name="ej-att-dot", title=ATTENDANCE_NOT_TAKEN),
            ),
            class_name="ej-lh-btn",
            title=col["title"],
            on_click=S.open_lesson(col["id"]),
        ),
        class_name="ej-lh",
        custom_attrs={
            "data-lid": col["id"],
            "data-ctl": col["control"],
            "data-cancelled": col["cancelled"],
            "data-ed": col["editable"],
            "data-att": col["att"],
        },
    )


def grid() -> rx.Component:
    """The page's table with frozen numbers and names on the left."""
    return rx.el.div(
        rx.el.table(
            rx.el.thead(
                rx.el.tr(
                    rx.el.th("№", class_name="ej-num"),
                    rx.el.th("Учащийся", class_name="ej-name"),
                    rx.foreach(S.lessons, _lesson_header),
                    rx.el.th("Отм.", class_name="ej-fig ej-first-fig", title="Число отметок"),
                    rx.el.th("Проп.", class_name="ej-fig", title="Пропуски уроков"),
                    rx.el.th("Ср. балл", class_name="ej-fig", title="Средневзвешенный балл"),
                    rx.el.th("Расч.", class_name="ej-fig", title="Расчётная отметка за период"),
                    rx.el.th(S.period_short, class_name="ej-fig", title=S.period_name),
                    rx.cond(S.has_year, rx.el.th(S.year_label, class_name="ej-fig")),
                )
            ),
            rx.el.tbody(rx.foreach(S.students, _row), id="ej-body"),
            class_name="ej-grid",
        ),
        class_name="ej-wrap",
        id="ej-wrap",
        custom_attrs={"data-load": S.load_key},
    )


def _missing(text: str, col: Any) -> rx.Component:
    """«not recorded»: stands out for a lesson already held (attendance due or taken)."""
    return rx.el.span(
        text, class_name=rx.cond(col["att"] != "", "ej-note-missing", "ej-note-empty")
    )


def _note_row(col: Any) -> rx.Component:
    homework = rx.cond(
        col["homework"] != "",
        rx.el.span(col["homework"], class_name="ej-note-text"),
        rx.cond(
            col["hw_none"] == "1",
            rx.el.span("не задано", class_name="ej-note-empty"),
            rx.cond(
                S.no_homework,
                rx.el.span("не задаётся", class_name="ej-note-empty"),
                _missing("не записано", col),
            ),
        ),
    )
    return rx.el.tr(
        rx.el.td(
            rx.el.button(
                col["label"],
                type="button",
                class_name="ej-note-open",
                title="Открыть урок",
                on_click=S.open_lesson(col["id"]),
            )
        ),
        rx.el.td(col["number"]),
        rx.el.td(
            rx.cond(
                col["cancelled"] == "1",
                rx.el.span("урок отменён", class_name="ej-note-empty"),
                rx.cond(
                    col["topic"] != "",
                    rx.el.span(col["topic"], class_name="ej-note-text"),
                    _missing("тема не записана", col),
                ),
            )
        ),
        rx.el.td(homework),
        rx.el.td(col["wt_name"]),
        custom_attrs={"data-lid": col["id"]},
    )


def lesson_notes() -> rx.Component:
    """«Темы и домашние задания»: every lesson of the page as a list, read without opening
    each lesson (the deputy's check [004 §5.18–5.23]). Built from the columns the grid
    already has, so it costs nothing on the wire; open at once for those who only read."""
    return rx.el.details(
        rx.el.summary("Темы и домашние задания", class_name="ej-notes-title"),
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th("Дата"),
                        rx.el.th("№"),
                        rx.el.th("Тема урока"),
                        rx.el.th("Домашнее задание"),
                        rx.el.th("Вид работы"),
                    )
                ),
                rx.el.tbody(rx.foreach(S.lessons, _note_row)),
                class_name="ej-notes-table",
            ),
            class_name="ej-notes-wrap",
        ),
        open=~S.can_lessons,
        class_name="ej-notes",
        id="ej-notes",
    )


def bus() -> rx.Component:
    """Hidden inputs the grid script fills with JSON, and the live-update tick."""
    return rx.el.div(
        rx.el.input(id="ej-bus-cell", on_change=S.save_cell, tab_index=-1, aria_hidden="true"),
        rx.el.input(id="ej-bus-paste", on_change=S.paste_cells, tab_index=-1, aria_hidden="true"),
        rx.el.button(id="ej-poll", on_click=S.poll, tab_index=-1, aria_hidden="true"),
        style={"display": "none"},
    )


def legend(*, writing: Any = True) -> rx.Component:
    """What the cell colours mean; the ones about typing only for those who type."""

    def item(cls: str, text: str) -> rx.Component:
        return rx.hstack(rx.el.span(class_name=f"ej-swatch {cls}"), rx.text(text, size="1"))

    return rx.hstack(
        rx.cond(writing, item("ej-sw-saved", "сохранено")),
        item("ej-sw-excused", "н — по уважительной причине"),
        item("ej-sw-missing", "контрольная: нет отметки"),
        item("ej-sw-off", "клетка недоступна"),
        rx.cond(
            writing,
            rx.fragment(
                item("ej-sw-error", "не принято — в клетке прежнее значение"),
                item("ej-sw-conflict", "изменил другой пользователь"),
                item("ej-sw-unsaved", "не сохранено — Enter, чтобы повторить"),
            ),
        ),
        rx.hstack(
            rx.el.span(class_name="ej-att-dot ej-att-legend"),
            rx.text("посещаемость не отмечена", size="1"),
        ),
        spacing="4",
        wrap="wrap",
        color="var(--gray-11)",
        id="ej-legend",
    )
