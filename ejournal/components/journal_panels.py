"""Dialogs of the journal page: the lesson column, a new lesson, the edit-lock reason,
period marks, remarks to parents and excused absences."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import error_callout
from ejournal.state.journal import JournalState

S = JournalState


def _dialog(open_: Any, title: Any, *children: rx.Component) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            *children,
            max_width="560px",
        ),
        open=open_,
        on_open_change=S.close_dialogs,
    )


def _buttons(submit: str, *, enabled: rx.Var[bool] | bool = True) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button("Отмена", type="button", variant="soft", color_scheme="gray")),
        rx.cond(enabled, rx.button(submit, type="submit")),
        justify="end",
        spacing="3",
        width="100%",
        margin_top="12px",
    )


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _homework(p: Any, editable: Any) -> rx.Component:
    """Homework with «Не задано» beside it: ticking it clears and locks the text."""
    shown = rx.cond(
        p["homework"] != "",
        p["homework"],
        rx.cond(
            p["hw_none"] == "1", "не задано", rx.cond(S.no_homework, "не задаётся", "не записано")
        ),
    )
    return rx.vstack(
        rx.hstack(
            rx.text("Домашнее задание", size="2", weight="medium"),
            rx.cond(
                editable & ~S.no_homework,
                rx.el.label(
                    rx.checkbox(
                        name="homework_none",
                        checked=S.panel_hw_none,
                        on_change=S.toggle_homework_none,
                        id="ej-homework-none",
                    ),
                    rx.text("Не задано", size="2"),
                    class_name="ej-check",
                ),
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.cond(
            editable & ~S.no_homework,
            rx.cond(
                S.panel_hw_none,
                rx.text_area(
                    disabled=True, value="", placeholder="не задано", rows="2", width="100%"
                ),
                rx.text_area(
                    default_value=p["homework"],
                    name="homework",
                    id="ej-homework",
                    placeholder="§ 12, № 345, 347",
                    rows="2",
                    width="100%",
                ),
            ),
            rx.text(shown),
        ),
        spacing="1",
        width="100%",
    )


def _due(p: Any, editable: Any) -> rx.Component:
    """«Задано на»: the day the homework is due; empty means the next lesson of the subject."""
    return rx.cond(
        ~S.no_homework & ~S.panel_hw_none,
        _field(
            "Задано на",
            rx.cond(
                editable,
                rx.vstack(
                    rx.input(
                        type="date",
                        default_value=p["hw_due"],
                        min=p["date"],
                        name="homework_due_on",
                        id="ej-homework-due",
                        width="100%",
                    ),
                    rx.text(
                        "Пусто — к следующему уроку по расписанию. Семья увидит задание в "
                        "дневнике в этот день.",
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.text(rx.cond(p["hw_due"] != "", p["hw_due"], "к следующему уроку")),
            ),
        ),
    )


def _attendance(p: Any) -> rx.Component:
    """Whether attendance was taken; for the lesson's teacher, «все присутствуют»."""
    can_mark = S.can_write & (p["editable"] == "1")
    return rx.cond(
        p["att"] == "1",
        rx.text(
            "✓ Посещаемость отмечена " + p["att_at"].to(str),
            size="2",
            color_scheme="green",
            id="ej-att-taken",
        ),
        rx.cond(
            p["att"] == "0",
            rx.cond(
                can_mark,
                rx.form(
                    rx.vstack(
                        rx.text(
                            "Посещаемость не отмечена. Если кто-то отсутствует, поставьте «н» "
                            "в журнале — посещаемость отметится сама.",
                            size="2",
                            color_scheme="orange",
                        ),
                        rx.cond(
                            p["reason"] == "1",
                            rx.input(
                                name="reason",
                                placeholder="Причина исправления (урок прошёл давно)",
                                width="100%",
                            ),
                        ),
                        rx.button(
                            "Все присутствуют — отметить посещаемость",
                            type="submit",
                            variant="soft",
                            id="ej-all-present",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=S.take_attendance,
                    reset_on_submit=True,
                    margin_bottom="12px",
                ),
                rx.text(
                    "Посещаемость не отмечена.",
                    size="2",
                    color_scheme="orange",
                    id="ej-att-missing",
                ),
            ),
        ),
    )


def lesson_panel() -> rx.Component:
    """Topic (from the КТП or typed), homework, links and work type of one lesson."""
    p: Any = S.panel
    editable = S.can_lessons & (p["editable"] == "1")
    plan_list = rx.cond(
        editable & (S.plan_items.length() > 0),  # type: ignore[attr-defined]
        rx.box(
            rx.text("Темы из КТП:", size="1", color_scheme="gray"),
            rx.foreach(
                S.plan_items,
                lambda item: rx.el.button(
                    rx.text(item["label"], size="2"),
                    rx.cond(item["used"] == "1", rx.badge("уже была", size="1", variant="soft")),
                    type="button",
                    class_name="ej-plan-item",
                    on_click=S.pick_plan_item(item["id"]),
                ),
            ),
            class_name="ej-plan-list",
        ),
    )
    return _dialog(
        S.panel_open,
        "Урок " + p["label"].to(str) + " (" + p["number"].to(str) + "-й)",
        _attendance(p),
        rx.form(
            rx.vstack(
                rx.cond(
                    p["lock"] != "",
                    rx.callout(p["lock"], icon="info", size="1", width="100%"),
                ),
                _field(
                    "Тема урока",
                    rx.cond(
                        editable,
                        rx.input(
                            value=S.panel_topic,
                            on_change=S.edit_topic.debounce(250),
                            placeholder="Начните вводить тему или номер строки КТП",
                            name="topic",
                            id="ej-topic",
                            width="100%",
                        ),
                        rx.text(rx.cond(p["topic"] != "", p["topic"], "—")),
                    ),
                ),
                rx.cond(
                    S.panel_plan_id != "",
                    rx.text("✓ тема из КТП", size="1", color_scheme="green"),
                ),
                plan_list,
                _homework(p, editable),
                _due(p, editable),
                _field(
                    "Ссылки (по одной в строке)",
                    rx.cond(
                        editable,
                        rx.cond(
                            S.panel_hw_none,
                            rx.text_area(disabled=True, value="", rows="2", width="100%"),
                            rx.text_area(
                                default_value=p["links"],
                                name="links",
                                placeholder="https://…",
                                rows="2",
                                width="100%",
                            ),
                        ),
                        rx.text(rx.cond(p["links"] != "", p["links"], "—")),
                    ),
                ),
                _field(
                    "Вид работы",
                    rx.cond(
                        editable,
                        rx.el.select(
                            rx.el.option("— не указан —", value=""),
                            rx.foreach(
                                S.work_type_options,
                                lambda o: rx.el.option(o["label"], value=o["id"]),
                            ),
                            default_value=p["wt_id"],
                            name="work_type",
                            class_name="ej-select",
                        ),
                        rx.text(rx.cond(p["wt_name"] != "", p["wt_name"], "—")),
                    ),
                ),
                rx.cond(
                    editable & (p["reason"] == "1"),
                    _field(
                        "Причина исправления (урок прошёл давно)",
                        rx.input(name="reason", width="100%"),
                    ),
                ),
                error_callout(S.panel_error),
                _buttons("Сохранить", enabled=editable),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_lesson,
            reset_on_submit=False,
        ),
    )


def add_lesson_dialog() -> rx.Component:
    return _dialog(
        S.add_open,
        "Добавить урок",
        rx.form(
            rx.vstack(
                rx.text(
                    "Для урока по расписанию, которого ещё нет в журнале, или дополнительного.",
                    size="2",
                    color_scheme="gray",
                ),
                _field("Дата", rx.input(type="date", name="date", required=True)),
                _field(
                    "Номер урока",
                    rx.input(type="number", name="number", min=0, max=10, default_value="1"),
                ),
                rx.hstack(
                    rx.checkbox(name="extra"),
                    rx.text("дополнительный урок (нет в расписании)", size="2"),
                ),
                error_callout(S.add_error),
                _buttons("Добавить"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.add_lesson,
        ),
    )


def reason_dialog() -> rx.Component:
    return _dialog(
        S.reason_open,
        "Причина исправления",
        rx.form(
            rx.vstack(
                rx.text(S.reason_note, size="2"),
                rx.input(
                    name="reason",
                    id="ej-reason",
                    placeholder="например: ошибка при вводе",
                    width="100%",
                    auto_focus=True,
                ),
                _buttons("Сохранить"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.confirm_reason,
        ),
    )


def period_mark_dialog() -> rx.Component:
    pm: Any = S.pm
    return _dialog(
        S.pm_open,
        pm["title"],
        rx.form(
            rx.vstack(
                rx.text(pm["name"], weight="bold"),
                rx.text(
                    rx.cond(
                        pm["avg"] != "", "Средневзвешенный балл: " + pm["avg"].to(str) + ". ", ""
                    ),
                    rx.cond(
                        pm["suggested"] != "",
                        "Расчётная отметка: " + pm["suggested"].to(str) + ".",
                        "Текущих отметок нет.",
                    ),
                    size="2",
                ),
                _field(
                    "Отметка",
                    rx.el.select(
                        rx.el.option("— не выставлена —", value=""),
                        rx.el.option("5", value="5"),
                        rx.el.option("4", value="4"),
                        rx.el.option("3", value="3"),
                        rx.el.option("2", value="2"),
                        rx.cond(pm["na"] == "1", rx.el.option("не аттестован", value="na")),
                        default_value=rx.cond(
                            pm["current"] == "не атт.",
                            "na",
                            rx.cond(pm["current"] != "", pm["current"], pm["suggested"]),
                        ),
                        name="value",
                        id="ej-pm-value",
                        class_name="ej-select",
                    ),
                ),
                _field(
                    "Обоснование (если отметка отличается от расчётной)",
                    rx.input(name="justification", width="100%", max_length=300),
                ),
                _field(
                    "Причина исправления (если период уже закрыт)",
                    rx.input(
                        name="reason",
                        width="100%",
                        max_length=300,
                        aria_label="Причина исправления",
                    ),
                ),
                error_callout(S.pm_error),
                _buttons("Выставить"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_period_mark,
        ),
    )


def remark_dialog() -> rx.Component:
    return _dialog(
        S.remark_open,
        "Запись в дневник",
        rx.form(
            rx.vstack(
                rx.text(S.remark["name"], weight="bold"),
                rx.el.select(
                    rx.el.option("Похвала", value="praise"),
                    rx.el.option("Замечание", value="remark"),
                    name="kind",
                    class_name="ej-select",
                ),
                rx.text_area(
                    name="text", placeholder="Текст для родителей", rows="3", width="100%"
                ),
                error_callout(S.remark_error),
                _buttons("Отправить"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_remark,
        ),
    )


def excuse_dialog() -> rx.Component:
    return _dialog(
        S.excuse_open,
        "Пропуск по уважительной причине",
        rx.form(
            rx.vstack(
                rx.text(S.excuse["who"], weight="bold"),
                rx.input(
                    name="reason",
                    default_value=S.excuse["reason"],
                    placeholder="справка, заявление родителей, соревнования…",
                    width="100%",
                ),
                error_callout(S.excuse_error),
                _buttons("Сохранить"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save_excuse,
        ),
    )


def _bulk_row(row: Any) -> rx.Component:
    """One student of «выставить расчётные»: suggestion, stored mark, the choice, and a
    justification field that is required once the choice departs from the suggestion."""
    sid = row["sid"].to(str)
    return rx.el.tr(
        rx.el.td(row["num"], class_name="ej-bulk-num"),
        rx.el.td(
            rx.text(row["name"], size="2", weight="medium"),
            rx.cond(row["note"] != "", rx.text(row["note"], size="1", color_scheme="gray")),
            rx.cond(
                row["error"] != "",
                rx.text(row["error"], size="1", color_scheme="red", class_name="ej-bulk-error"),
            ),
        ),
        rx.el.td(row["avg"], class_name="ej-bulk-fig"),
        rx.el.td(rx.cond(row["suggested"] != "", row["suggested"], "—"), class_name="ej-bulk-fig"),
        rx.el.td(rx.cond(row["current"] != "", row["current"], "—"), class_name="ej-bulk-fig"),
        rx.el.td(
            rx.el.select(
                rx.el.option("не ставить", value=""),
                rx.el.option("5", value="5"),
                rx.el.option("4", value="4"),
                rx.el.option("3", value="3"),
                rx.el.option("2", value="2"),
                value=row["value"],
                name="v" + sid,
                on_change=lambda v: S.bulk_choose(row["sid"], v),
                class_name="ej-select",
                aria_label="Отметка: " + row["name"].to(str),
            )
        ),
        rx.el.td(
            rx.el.input(
                name="j" + sid,
                default_value=row["just"],
                placeholder=rx.cond(row["need"] == "1", "обоснование обязательно", ""),
                required=row["need"] == "1",
                max_length=300,
                class_name="ej-bulk-just",
                aria_label="Обоснование: " + row["name"].to(str),
                custom_attrs={"data-need": row["need"]},
            )
        ),
        custom_attrs={"data-sid": row["sid"], "data-status": row["status"]},
    )


def bulk_marks_dialog() -> rx.Component:
    """«Выставить расчётные»: every student's suggested period mark, saved in one step."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Выставить расчётные отметки: ", S.period_name),
            rx.dialog.description(
                "Расчётная отметка — по средневзвешенному баллу и порогам школы, как в "
                "отметке одного учащегося. Отметка, отличная от расчётной, сохраняется "
                "только с обоснованием. Уже выставленная другая отметка остаётся, пока вы "
                "её не измените.",
                size="2",
                color_scheme="gray",
            ),
            rx.form(
                rx.box(
                    rx.el.table(
                        rx.el.thead(
                            rx.el.tr(
                                rx.el.th("№"),
                                rx.el.th("Учащийся"),
                                rx.el.th("Ср. балл"),
                                rx.el.th("Расч."),
                                rx.el.th("Сейчас"),
                                rx.el.th("Выставить"),
                                rx.el.th("Обоснование"),
                            )
                        ),
                        rx.el.tbody(rx.foreach(S.bulk_rows, _bulk_row)),
                        class_name="ej-bulk-table",
                    ),
                    class_name="ej-bulk-wrap",
                ),
                _field(
                    "Причина исправления (если период уже закрыт)",
                    rx.input(
                        name="reason",
                        width="100%",
                        max_length=300,
                        aria_label="Причина исправления",
                    ),
                ),
                error_callout(S.bulk_error),
                _buttons("Сохранить все"),
                on_submit=S.save_bulk_marks,
                reset_on_submit=False,
                id="ej-bulk-form",
            ),
            max_width="900px",
        ),
        open=S.bulk_open,
        on_open_change=S.close_dialogs,
    )


def dialogs() -> rx.Component:
    return rx.fragment(
        lesson_panel(),
        add_lesson_dialog(),
        reason_dialog(),
        period_mark_dialog(),
        remark_dialog(),
        excuse_dialog(),
        bulk_marks_dialog(),
    )
