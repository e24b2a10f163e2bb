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
        custom_attrs={"data-f": flags, "data-ed": col["editable"], "data-ctl": col["control"]},
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


def bus() -> rx.Component:
    """Hidden inputs the grid script fills with JSON, and the live-update tick."""
    return rx.el.div(
        rx.el.input(id="ej-bus-cell", on_change=S.save_cell, tab_index=-1, aria_hidden="true"),
        rx.el.input(id="ej-bus-paste", on_change=S.paste_cells, tab_index=-1, aria_hidden="true"),
        rx.el.button(id="ej-poll", on_click=S.poll, tab_index=-1, aria_hidden="true"),
        style={"display": "none"},
    )


def legend() -> rx.Component:
    def item(cls: str, text: str) -> rx.Component:
        return rx.hstack(rx.el.span(class_name=f"ej-swatch {cls}"), rx.text(text, size="1"))

    return rx.hstack(
        item("ej-sw-saved", "сохранено"),
        item("ej-sw-excused", "н — по уважительной причине"),
        item("ej-sw-missing", "контрольная: нет отметки"),
        item("ej-sw-off", "клетка недоступна"),
        item("ej-sw-error", "ошибка / конфликт"),
        item("ej-sw-unsaved", "не сохранено — Enter, чтобы повторить"),
        spacing="4",
        wrap="wrap",
        color="var(--gray-11)",
    )
