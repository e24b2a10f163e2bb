"""``/ktp``: КТП (calendar-thematic plans) [002 §7.4–7.5].

A teacher sees their subjects and classes with each plan's status, opens one, uploads the
plan's file (XLSX or CSV; a dry run lists the problems by row and column or the changes),
writes it with «Записать» and sends it with «Отправить на согласование». The deputy sees
the plans waiting for review (a select shows the returned, drafts, approved or all,
another one class), opens one to read its lines and hours check, and
approves it («Согласовать») or returns it with a note («Вернуть»). The journal offers the
topics of approved plans only.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, field_label, layout
from ejournal.components.uploads import labelled_upload
from ejournal.state.ktp import KtpState

UPLOAD_ID = "ktp_upload"

S = KtpState


def _badge(p: Any) -> rx.Component:
    return rx.badge(p.badge, color_scheme=p.color, variant="soft", white_space="normal")


def _hours(p: Any) -> rx.Component:
    return rx.cond(
        p.topics > 0,
        rx.text(p.hours, color_scheme=rx.cond(p.hours_ok, "green", "red"), white_space="nowrap"),
        rx.text("—", color_scheme="gray"),
    )


def _open_button(p: Any) -> rx.Component:
    return rx.button(
        "Открыть",
        on_click=S.show_plan(p.id),
        variant="soft",
        size="2",
        min_height=TAP,
        aria_label="Открыть КТП: " + p.class_name + ", " + p.subject,
    )


def _scroll(table: rx.Component) -> rx.Component:
    return rx.box(table, overflow_x="auto", width="100%")


def _my_row(p: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(p.class_name),
        rx.table.cell(p.subject),
        rx.table.cell(_badge(p)),
        rx.table.cell(p.topics),
        rx.table.cell(_hours(p)),
        rx.table.cell(_open_button(p)),
    )


def _mine() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Мои КТП", size="4", as_="h2"),
            rx.text(
                "Загрузите план по каждому предмету и классу и отправьте его на согласование "
                "заместителю директора. Темы в журнале предлагаются только из согласованного плана.",
                size="2",
                color_scheme="gray",
            ),
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Класс"),
                            rx.table.column_header_cell("Предмет"),
                            rx.table.column_header_cell("Статус"),
                            rx.table.column_header_cell("Тем"),
                            rx.table.column_header_cell("Часы: план из учебного"),
                            rx.table.column_header_cell("План"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.my_plans, _my_row)),
                    size="1",
                    width="100%",
                )
            ),
            rx.cond(
                S.my_plans.length() == 0,  # type: ignore[attr-defined]
                rx.text("В этом учебном году у вас нет предметов в классах.", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _review_row(p: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_badge(p)),
        rx.table.row_header_cell(p.teacher),
        rx.table.cell(p.class_name),
        rx.table.cell(p.subject),
        rx.table.cell(p.topics),
        rx.table.cell(_hours(p)),
        rx.table.cell(_open_button(p)),
    )


def _filter_select(label: str, options: Any, value: Any, on_change: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.select.root(
            # A combobox takes no name from its content: name it (axe button-name).
            rx.select.trigger(aria_label=label, min_height=TAP, width="100%"),
            rx.select.content(
                rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))
            ),
            value=value,
            on_change=on_change,
        ),
        spacing="1",
        min_width="200px",
        flex="1 1 200px",
    )


def _review_filters() -> rx.Component:
    return rx.flex(
        _filter_select("Показать планы", S.status_options, S.review_status, S.filter_status),
        _filter_select("Показать класс", S.class_options, S.review_class, S.filter_class),
        gap="12px",
        wrap="wrap",
        width="100%",
    )


def _review_table() -> rx.Component:
    return _scroll(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Статус"),
                    rx.table.column_header_cell("Учитель"),
                    rx.table.column_header_cell("Класс"),
                    rx.table.column_header_cell("Предмет"),
                    rx.table.column_header_cell("Тем"),
                    rx.table.column_header_cell("Часы: план из учебного"),
                    rx.table.column_header_cell("План"),
                )
            ),
            rx.table.body(rx.foreach(S.review_plans, _review_row)),
            size="1",
            width="100%",
        )
    )


def _review() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Согласование КТП", size="4", as_="h2"),
            rx.text("Ждут согласования: ", rx.text.strong(S.waiting), ".", size="2"),
            rx.cond(S.review_total > 0, _review_filters()),
            rx.cond(
                S.review_empty != "",
                rx.text(S.review_empty, color_scheme="gray"),
                _review_table(),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _lists() -> rx.Component:
    return rx.vstack(
        rx.cond(S.is_deputy, _review()),
        rx.cond(S.is_teacher, _mine()),
        spacing="4",
        width="100%",
    )


# --------------------------------------------------------------------------- one plan


def _line(x: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(x.number),
        rx.table.cell(x.topic, min_width="220px"),
        rx.table.cell(x.hours),
        rx.table.cell(x.planned, white_space="nowrap"),
        rx.table.cell(x.work_type),
    )


def _lines() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Темы плана", size="4", as_="h2"),
            rx.cond(
                S.open_lines.length() == 0,  # type: ignore[attr-defined]
                rx.text("План ещё не загружен.", color_scheme="gray"),
                _scroll(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("№"),
                                rx.table.column_header_cell("Тема"),
                                rx.table.column_header_cell("Часы"),
                                rx.table.column_header_cell("Дата"),
                                rx.table.column_header_cell("Вид работы"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.open_lines, _line)),
                        size="1",
                        width="100%",
                    )
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _preview() -> rx.Component:
    return rx.cond(
        S.preview_done,
        rx.vstack(
            rx.text("Файл: ", rx.text.strong(S.file_name), size="2"),
            rx.cond(
                S.preview_ok,
                rx.callout(
                    rx.vstack(
                        rx.text("Ошибок нет. Проверка (ничего ещё не записано):"),
                        rx.foreach(S.preview_lines, lambda t: rx.text(t, size="2")),
                        spacing="1",
                    ),
                    icon="circle_check",
                    color_scheme="green",
                    high_contrast=True,
                    width="100%",
                ),
                rx.callout(
                    rx.vstack(
                        rx.text(
                            "В файле ошибки — ничего не записано. Исправьте их и выберите "
                            "файл снова:"
                        ),
                        rx.el.ul(
                            rx.foreach(
                                S.preview_problems, lambda t: rx.el.li(rx.text(t, size="2"))
                            ),
                            padding_left="1.2em",
                        ),
                        spacing="1",
                    ),
                    icon="triangle_alert",
                    color_scheme="red",
                    high_contrast=True,
                    role="alert",
                    width="100%",
                ),
            ),
            rx.cond(
                S.preview_ok,
                rx.button(
                    "Записать",
                    on_click=S.write,
                    size="3",
                    min_height=TAP,
                    disabled=S.preview_changes == 0,
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _upload_card() -> rx.Component:
    plan = S.open_plan
    return rx.card(
        rx.vstack(
            rx.heading("Загрузить план из файла", size="4", as_="h2"),
            rx.text(
                "XLSX или CSV, одна тема в строке. Столбцы: «№», «Тема», «Часы» (обязательны), "
                "«Дата» или «Неделя», «Вид работы» (контрольная, лабораторная, практическая). "
                "Сначала файл проверяется — записывается только по кнопке «Записать».",
                size="2",
                color_scheme="gray",
            ),
            rx.cond(
                (plan.status == "submitted") | (plan.status == "approved"),
                rx.callout(
                    "План снова нужно будет согласовать: новый файл вернёт его в черновик, и "
                    "до согласования журнал не будет предлагать его темы.",
                    icon="info",
                    color_scheme="orange",
                    high_contrast=True,
                    width="100%",
                ),
            ),
            labelled_upload(
                rx.upload(
                    rx.vstack(
                        rx.button(
                            "Выбрать файл XLSX или CSV",
                            type="button",
                            variant="outline",
                            size="3",
                            min_height=TAP,
                        ),
                        rx.text("или перетащите файл сюда", size="2", color_scheme="gray"),
                        align="center",
                        spacing="2",
                    ),
                    id=UPLOAD_ID,
                    accept={
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [
                            ".xlsx"
                        ],
                        "text/csv": [".csv"],
                    },
                    multiple=False,
                    max_files=1,
                    # The button inside is the keyboard's way in; the drop zone itself takes no focus.
                    no_keyboard=True,
                    on_drop=S.upload(rx.upload_files(upload_id=UPLOAD_ID)),
                    border="1px dashed var(--gray-a7)",
                    border_radius="8px",
                    padding="16px",
                    width="100%",
                ),
                "Файл КТП (XLSX или CSV)",
            ),
            _preview(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _teacher_actions() -> rx.Component:
    plan = S.open_plan
    return rx.cond(
        S.open_own,
        rx.vstack(
            rx.cond(
                ((plan.status == "draft") | (plan.status == "returned")) & (plan.topics > 0),
                rx.card(
                    rx.vstack(
                        rx.text(
                            "Когда план готов, отправьте его заместителю директора. Часы должны "
                            "совпадать с учебным планом.",
                            size="2",
                        ),
                        rx.button(
                            "Отправить на согласование",
                            on_click=S.submit,
                            size="3",
                            min_height=TAP,
                        ),
                        spacing="2",
                    ),
                    width="100%",
                ),
            ),
            _upload_card(),
            spacing="4",
            width="100%",
        ),
    )


def _deputy_actions() -> rx.Component:
    return rx.cond(
        S.is_deputy & (S.open_plan.status == "submitted"),
        rx.card(
            rx.vstack(
                rx.heading("Решение", size="4", as_="h2"),
                rx.button(
                    "Согласовать",
                    on_click=S.approve,
                    color_scheme="green",
                    size="3",
                    min_height=TAP,
                ),
                rx.form(
                    rx.vstack(
                        field_label("Что исправить (учитель увидит это замечание)", "ktp_note"),
                        rx.text_area(
                            id="ktp_note",
                            name="note",
                            aria_label="Замечание учителю",
                            max_length=500,
                            rows="3",
                            width="100%",
                        ),
                        rx.button(
                            "Вернуть",
                            type="submit",
                            color_scheme="orange",
                            high_contrast=True,
                            variant="soft",
                            size="3",
                            min_height=TAP,
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=S.send_back,
                    reset_on_submit=False,
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _detail() -> rx.Component:
    plan = S.open_plan
    return rx.vstack(
        rx.button(
            "← К списку",
            on_click=S.close_plan,
            variant="ghost",
            size="2",
            min_height=TAP,
            aria_label="К списку КТП",
        ),
        rx.heading(plan.class_name, " — ", plan.subject, size="5", as_="h2"),
        rx.flex(
            rx.text("Учитель: ", plan.teacher, size="2"),
            _badge(plan),
            gap="8px",
            align="center",
            wrap="wrap",
        ),
        rx.text(
            plan.hours_check,
            size="2",
            color_scheme=rx.cond(plan.hours_ok, "green", "red"),
        ),
        rx.cond(plan.reviewed != "", rx.text(plan.reviewed, size="2", color_scheme="gray")),
        error_callout(S.error),
        rx.cond(
            S.result != "",
            rx.callout(
                S.result,
                icon="circle_check",
                color_scheme="green",
                high_contrast=True,
                width="100%",
            ),
        ),
        _deputy_actions(),
        _teacher_actions(),
        _lines(),
        spacing="3",
        width="100%",
    )


def page() -> rx.Component:
    """``/ktp``: the lists, or one plan once opened."""
    return layout(
        "КТП",
        rx.cond(
            S.loaded,
            rx.cond(S.open_id != "", _detail(), _lists()),
            rx.text("Загрузка…", color_scheme="gray"),
        ),
        subtitle="Календарно-тематическое планирование: загрузка и согласование.",
    )
