"""Journal pages: ``/teacher`` (today's lessons and own pages), ``/class`` (the class
teacher's class), ``/journal`` (a page's grid, or the picker when no page is named)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.journal_grid import bus, grid, legend, lesson_notes
from ejournal.components.journal_panels import dialogs
from ejournal.components.layout import error_callout, header, layout
from ejournal.state.journal import (
    ALL_CLASSES,
    ClassHomeState,
    JournalPickerState,
    JournalState,
    TeacherHomeState,
)

ASSETS = (
    rx.el.link(rel="stylesheet", href="/journal.css"),
    rx.script(src="/journal_grid.js"),
)


def _page_groups(groups: Any, empty: str) -> rx.Component:
    """Class × subject cards with a link per period (the current period stands out)."""
    return rx.cond(
        groups.length() > 0,
        rx.grid(
            rx.foreach(
                groups,
                lambda g: rx.card(
                    rx.vstack(
                        rx.text(g["title"], weight="bold"),
                        rx.text(g["teacher"], size="1", color_scheme="gray"),
                        rx.hstack(
                            rx.foreach(
                                g["periods"].to(list[dict[str, str]]),
                                lambda p: rx.link(
                                    rx.badge(
                                        p["label"],
                                        variant=rx.cond(p["current"] == "1", "solid", "soft"),
                                        size="2",
                                    ),
                                    href=p["href"],
                                ),
                            ),
                            wrap="wrap",
                            spacing="2",
                        ),
                        spacing="2",
                    )
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2", md="3"),
            spacing="3",
            width="100%",
        ),
        rx.text(empty, color_scheme="gray"),
    )


#: Today's lessons on a phone: no time and topic columns, so the journal button fits.
ON_WIDE_CELL = ["none", "none", "table-cell"]
ON_PHONE_CELL = ["block", "block", "none"]
ON_WIDE_INLINE = ["none", "none", "inline"]
ON_PHONE_INLINE = ["inline", "inline", "none"]


def _short_on_phone(label: str, short: str) -> rx.Component:
    """A button label that shortens on a phone (the hidden one is not in its name)."""
    return rx.fragment(
        rx.el.span(label, style={"display": ON_WIDE_INLINE, "white_space": "nowrap"}),
        rx.el.span(short, style={"display": ON_PHONE_INLINE}),
    )


def _today_row(item: Any) -> rx.Component:
    phone_href = (
        "/lesson?a=" + item["assignment_id"] + "&p=" + item["period_id"] + "&l=" + item["lesson_id"]
    )
    open_button = rx.cond(
        item["lesson_id"] != "",
        rx.fragment(
            # On a wide screen the grid; on a phone the lesson with big buttons.
            rx.link(
                rx.button("Открыть журнал", size="2", white_space="nowrap"),
                href=item["href"],
                display=ON_WIDE_INLINE,
            ),
            rx.link(
                rx.button("Отметить", size="2"),
                href=phone_href,
                display=ON_PHONE_INLINE,
                class_name="lesson-phone-link",
            ),
        ),
        rx.button(
            _short_on_phone("Начать урок", "Начать"),
            size="2",
            variant="soft",
            white_space="nowrap",
            on_click=TeacherHomeState.open_slot(item["assignment_id"], item["number"]),
        ),
    )
    return rx.table.row(
        rx.table.cell(
            rx.text(item["number"], weight="bold"),
            # On a phone the time column is hidden: the time goes under the number.
            rx.text(item["time"], size="1", color_scheme="gray", display=ON_PHONE_CELL),
        ),
        rx.table.cell(item["time"], display=ON_WIDE_CELL),
        rx.table.cell(rx.text(item["place"], weight="medium")),
        rx.table.cell(item["subject"]),
        rx.table.cell(
            rx.text(rx.cond(item["topic"] != "", item["topic"], "тема не записана"), size="2"),
            rx.cond(
                item["note"] != "",
                rx.badge(item["note"], color_scheme="orange", high_contrast=True),
            ),
            display=ON_WIDE_CELL,
        ),
        rx.table.cell(open_button),
        align="center",
    )


def teacher() -> rx.Component:
    """``/teacher``: today's lessons, then the picker of own pages."""
    s = TeacherHomeState
    return layout(
        "Мои уроки",
        rx.text(s.day_label, color_scheme="gray"),
        error_callout(s.home_error),
        rx.cond(
            s.lessons.length() > 0,  # type: ignore[attr-defined]
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Урок"),
                        rx.table.column_header_cell("Время", display=ON_WIDE_CELL),
                        rx.table.column_header_cell("Класс"),
                        rx.table.column_header_cell("Предмет"),
                        rx.table.column_header_cell("Тема", display=ON_WIDE_CELL),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(s.lessons, _today_row)),
                variant="surface",
                size=rx.breakpoints(initial="1", md="2"),  # narrower cells on a phone
                width="100%",
                id="today-lessons",
            ),
            rx.card(rx.text("Сегодня уроков нет.", color_scheme="gray"), width="100%"),
        ),
        rx.heading("Страницы журнала", size="4", as_="h2", margin_top="16px"),
        _page_groups(s.groups, "Нет закреплённых классов и предметов."),
        _my_findings(),
    )


def _my_finding(f: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(
                f["rule_title"],
                " · ",
                f["class_name"],
                " · ",
                f["subject"],
                size="1",
                color_scheme="gray",
            ),
            rx.cond(f["student"] != "", rx.text(f["student"], size="2", weight="bold")),
            rx.text(f["text"], size="2"),
            rx.cond(
                f["link"] != "",
                rx.link("Исправить в журнале", href=f["link"], size="2", weight="medium"),
            ),
            spacing="1",
        ),
        width="100%",
        class_name="my-finding",
    )


def _my_findings() -> rx.Component:
    """«Мои замечания»: what the deputy's checklist finds in the teacher's lessons [000 §6.4]."""
    s = TeacherHomeState
    return rx.vstack(
        rx.heading("Мои замечания", size="4", as_="h2", margin_top="16px"),
        rx.text(
            "Что проверка ведения журнала находит в ваших уроках ",
            s.my_findings_label,
            ": то же видит заместитель директора.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            s.my_findings_total > 0,
            rx.vstack(
                rx.flex(
                    rx.foreach(
                        s.my_rule_counts,
                        lambda c: rx.badge(
                            c["label"],
                            ": ",
                            c["value"],
                            color_scheme="orange",
                            variant="soft",
                            high_contrast=True,
                        ),
                    ),
                    gap="2",
                    wrap="wrap",
                ),
                rx.foreach(s.my_findings, _my_finding),
                rx.cond(
                    s.my_findings_total > s.my_findings.length(),  # type: ignore[attr-defined]
                    rx.text(
                        "Показаны первые ",
                        s.my_findings.length(),  # type: ignore[attr-defined]
                        " из ",
                        s.my_findings_total,
                        ". Все — на странице ",
                        rx.link("«Контроль»", href="/dashboard"),
                        ".",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            rx.card(
                rx.text("Замечаний нет.", color_scheme="green", high_contrast=True), width="100%"
            ),
        ),
        spacing="2",
        width="100%",
        id="my-findings",
    )


def _absence_row(a: Any) -> rx.Component:
    s = ClassHomeState
    return rx.table.row(
        rx.table.cell(
            rx.text(a["student"], weight="medium"),
            rx.cond(a["class"] != "", rx.text(a["class"], size="1", color_scheme="gray")),
        ),
        rx.table.cell(a["date"] + ", " + a["weekday"]),
        rx.table.cell(a["number"] + "-й"),
        rx.table.cell(a["subject"]),
        rx.table.cell(
            rx.form(
                rx.hstack(
                    rx.el.input(type="hidden", name="id", value=a["id"]),
                    rx.input(
                        name="reason",
                        placeholder="Причина (болезнь, справка…)",
                        required=True,
                        max_length=300,
                        size="2",
                        aria_label="Уважительная причина",
                        width="16em",
                    ),
                    rx.button("Уважительная", size="2", variant="soft", type="submit"),
                    spacing="2",
                    align="center",
                ),
                on_submit=s.excuse,
                reset_on_submit=True,
            ),
        ),
        align="center",
        custom_attrs={"data-attendance": a["id"]},
    )


def _absences() -> rx.Component:
    """Recent absences without a valid reason, each excused right in its row."""
    s = ClassHomeState
    return rx.vstack(
        rx.heading("Пропуски без уважительной причины", size="4", as_="h2", margin_top="16px"),
        rx.text("С " + s.absences_since + ", новые сверху.", size="2", color_scheme="gray"),
        rx.cond(
            s.absences.length() > 0,  # type: ignore[attr-defined]
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Учащийся"),
                        rx.table.column_header_cell("Дата"),
                        rx.table.column_header_cell("Урок"),
                        rx.table.column_header_cell("Предмет"),
                        rx.table.column_header_cell("Уважительная причина"),
                    )
                ),
                rx.table.body(rx.foreach(s.absences, _absence_row)),
                variant="surface",
                width="100%",
                id="class-absences",
            ),
            rx.card(
                rx.text("Пропусков без уважительной причины нет.", color_scheme="gray"),
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


#: A labelled field of the /class forms (the journal's stylesheet is not on that page).
FIELD = {"display": "flex", "flex_direction": "column", "gap": "4px"}
SELECT = {
    "height": "32px",
    "padding": "0 8px",
    "border": "1px solid var(--gray-7)",
    "border_radius": "4px",
    "background": "var(--color-surface)",
    "font": "inherit",
    "font_size": "14px",
    "min_width": "16em",
}


def _range_row(a: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a["date"] + ", " + a["weekday"]),
        rx.table.cell(a["number"] + "-й"),
        rx.table.cell(a["subject"]),
        custom_attrs={"data-attendance": a["id"]},
    )


def _excuse_days() -> rx.Component:
    """A student's absences over several days excused at once with one reason (справка):
    choose, see what it covers, then confirm."""
    s = ClassHomeState
    return rx.vstack(
        rx.heading("Уважительная причина за несколько дней", size="4", as_="h2", margin_top="16px"),
        rx.text(
            "Например, по справке о болезни: выберите учащегося и дни — все пропуски уроков "
            "за эти дни будут отмечены по одной причине. Сначала посмотрите, что войдёт.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.flex(
                rx.el.label(
                    rx.text("Учащийся", size="2", weight="medium"),
                    rx.el.select(
                        rx.el.option("— выберите —", value=""),
                        rx.foreach(
                            s.range_students, lambda c: rx.el.option(c["name"], value=c["id"])
                        ),
                        name="student",
                        required=True,
                        style=SELECT,
                        id="range-student",
                    ),
                    style=FIELD,
                ),
                rx.el.label(
                    rx.text("С", size="2", weight="medium"),
                    rx.input(type="date", name="date_from", required=True, id="range-from"),
                    style=FIELD,
                ),
                rx.el.label(
                    rx.text("По", size="2", weight="medium"),
                    rx.input(type="date", name="date_to", required=True, id="range-to"),
                    style=FIELD,
                ),
                rx.el.label(
                    rx.text("Причина", size="2", weight="medium"),
                    rx.input(
                        name="reason",
                        placeholder="справка № …, заявление родителей…",
                        required=True,
                        max_length=300,
                        width="18em",
                        id="range-reason",
                    ),
                    style=FIELD,
                ),
                rx.button("Показать пропуски", type="submit", variant="soft"),
                gap="12px",
                wrap="wrap",
                align="end",
            ),
            on_submit=s.preview_range,
            reset_on_submit=False,
        ),
        error_callout(s.range_error),
        rx.cond(
            s.range_summary != "",
            rx.card(
                rx.vstack(
                    rx.text(s.range_summary, size="2", weight="medium", id="range-summary"),
                    rx.cond(
                        s.range_rows.length() > 0,  # type: ignore[attr-defined]
                        rx.vstack(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        rx.table.column_header_cell("Дата"),
                                        rx.table.column_header_cell("Урок"),
                                        rx.table.column_header_cell("Предмет"),
                                    )
                                ),
                                rx.table.body(rx.foreach(s.range_rows, _range_row)),
                                variant="surface",
                                size="1",
                                id="range-preview",
                            ),
                            rx.hstack(
                                rx.button(
                                    "Отметить все по уважительной причине",
                                    on_click=s.excuse_range,
                                    id="range-confirm",
                                ),
                                rx.button(
                                    "Отмена",
                                    variant="soft",
                                    color_scheme="gray",
                                    on_click=s.cancel_range,
                                ),
                                spacing="3",
                            ),
                            spacing="2",
                        ),
                    ),
                    spacing="2",
                ),
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
        id="excuse-days",
    )


def class_teacher() -> rx.Component:
    """``/class``: every subject of the class teacher's class (pages open read-only)."""
    s = ClassHomeState
    return layout(
        "Мой класс",
        error_callout(s.home_error),
        rx.callout(
            "Откройте предмет, чтобы увидеть отметки и пропуски. Пропуск по уважительной "
            "причине отмечается ниже — за несколько дней сразу или по одному уроку — или "
            "двойным щелчком по клетке «н» в журнале.",
            icon="info",
            width="100%",
        ),
        _page_groups(s.groups, "Классное руководство не назначено."),
        _excuse_days(),
        _absences(),
        rx.heading("Реквизиты доступа", size="4", as_="h2", margin_top="16px"),
        rx.text(
            "Бланки с логинами и одноразовыми паролями для учащихся класса и их родителей. "
            "Пароли выдаются заново только тем, кто ещё не сменил одноразовый пароль.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.foreach(
                s.own_classes,
                lambda c: rx.button(
                    rx.icon("printer", size=16),
                    "Бланки для " + c["name"] + " (PDF)",
                    variant="soft",
                    type="button",
                    on_click=s.download_class_slips(c["id"]),
                ),
            ),
            wrap="wrap",
            spacing="2",
        ),
    )


#: JournalState.load's message when the URL names no page (the picker is shown).
PICK_PROMPT = "Выберите страницу журнала."


def _class_chip(label: Any, value: Any) -> rx.Component:
    s = JournalPickerState
    return rx.button(
        label,
        size="2",
        variant=rx.cond(s.chosen_class == value, "solid", "soft"),
        aria_pressed=rx.cond(s.chosen_class == value, "true", "false"),
        on_click=s.choose_class(value),
    )


def picker() -> rx.Component:
    s = JournalPickerState
    return rx.vstack(
        error_callout(s.picker_error),
        rx.cond(
            s.classes.length() > 1,  # type: ignore[attr-defined]
            rx.flex(
                rx.cond(s.show_all_allowed, _class_chip("Все классы", ALL_CLASSES)),
                rx.foreach(s.classes, lambda c: _class_chip(c, c)),
                wrap="wrap",
                gap="6px",
                role="group",
                aria_label="Класс",
                width="100%",
            ),
        ),
        _page_groups(s.groups, "Нет доступных страниц журнала."),
        width="100%",
    )


def _toolbar() -> rx.Component:
    s = JournalState
    return rx.hstack(
        rx.cond(
            s.can_lessons,
            rx.button(
                "Добавить урок", size="2", variant="soft", on_click=s.open_add_lesson, type="button"
            ),
        ),
        rx.cond(
            s.can_period,
            rx.button(
                "Выставить расчётные",
                size="2",
                variant="soft",
                on_click=s.open_bulk_marks,
                type="button",
                id="ej-bulk-open",
            ),
        ),
        # Only for those who type into the grid: a read-only page gets no typing hint.
        rx.cond(
            s.can_write,
            rx.text(
                rx.cond(
                    s.two_marks_page,
                    "Введите 5, 4 или н; две отметки (54) — только в письменных работах. ",
                    "Введите 5, 4 или н — одна отметка в клетке. ",
                ),
                "Enter — вниз, Tab — вправо, стрелки — по клеткам, Delete — очистить, "
                "Ctrl+V — вставить блок из таблицы.",
                size="1",
                color_scheme="gray",
                id="ej-typing-hint",
            ),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
        width="100%",
    )


def _journal_body() -> rx.Component:
    s = JournalState
    return rx.vstack(
        rx.text(s.subtitle, color_scheme="gray", size="2"),
        rx.cond(s.notice != "", rx.callout(s.notice, icon="info", size="1", width="100%")),
        _toolbar(),
        rx.box(
            rx.cond(
                s.message != "",
                rx.callout(
                    s.message,
                    icon=rx.cond(s.message_ok, "check", "triangle_alert"),
                    color_scheme=rx.cond(s.message_ok, "green", "red"),
                    size="1",
                    role="status",
                    id="ej-message",
                ),
            ),
            min_height="36px",
            width="100%",
        ),
        grid(),
        legend(writing=s.can_write),
        lesson_notes(),
        bus(),
        dialogs(),
        spacing="2",
        width="100%",
    )


def journal() -> rx.Component:
    """``/journal?a=<assignment>&p=<period>``: the grid; without them, the page picker.

    Not the common ``layout``: the grid wants the whole width of the screen.
    """
    s = JournalState
    return rx.box(
        *ASSETS,
        header(),
        rx.box(
            rx.vstack(
                rx.heading(rx.cond(s.loaded, s.title, "Журнал"), size="6", as_="h1"),
                rx.cond(
                    s.loaded,
                    _journal_body(),
                    rx.cond(
                        s.load_error != "",
                        rx.vstack(
                            rx.cond(
                                s.load_error == PICK_PROMPT,
                                # No page chosen yet: a prompt, not an error.
                                rx.text("Выберите класс, предмет и четверть.", color_scheme="gray"),
                                error_callout(s.load_error),
                            ),
                            picker(),
                            width="100%",
                        ),
                        rx.spinner(),
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            as_="main",
            padding_x="16px",
            padding_y="16px",
            width="100%",
        ),
        min_height="100vh",
        background_color="var(--gray-2)",
    )
