"""``/setup/school``: Учебный год и классы — the year, its quarters and half-years,
holidays, the school week, the bell schedule and the classes, one card per section."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.state.setup_school import SchoolSetupState as S

SELECT_STYLE = {
    "width": "100%",
    "min_height": TAP,
    "padding": "0 8px",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "font_size": "var(--font-size-3)",
}
FIELD = {"size": "3", "width": "100%", "min_height": TAP}


def _labelled(label: Any, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _section(title: str, intro: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            *([rx.text(intro, size="2", color_scheme="gray", high_contrast=True)] if intro else []),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _scroll(table: rx.Component) -> rx.Component:
    return rx.box(table, overflow_x="auto", width="100%")


def _staff_select(name: str, label: Any, value: Any) -> rx.Component:
    return rx.el.select(
        rx.foreach(S.staff_options, lambda o: rx.el.option(o["label"], value=o["value"])),
        name=name,
        default_value=value,
        style=SELECT_STYLE,
        custom_attrs={"aria-label": label},
    )


# --------------------------------------------------------------------------- the year


def _year_row(y: Any) -> rx.Component:
    return rx.flex(
        rx.text(y.name, weight="bold"),
        rx.text(y.dates, color_scheme="gray", high_contrast=True),
        rx.cond(y.is_current, rx.badge("текущий", color_scheme="green")),
        rx.cond(y.shown, rx.badge("показан", variant="outline")),
        rx.spacer(),
        rx.cond(
            ~y.shown,
            rx.button(
                "Показать",
                variant="soft",
                on_click=S.show_year(y.id),
                min_height=TAP,
                aria_label="Показать " + y.name,
            ),
        ),
        rx.cond(
            ~y.is_current,
            rx.button(
                "Сделать текущим",
                variant="outline",
                on_click=S.make_current(y.id),
                min_height=TAP,
                aria_label="Сделать текущим " + y.name,
            ),
        ),
        gap="8px",
        align="center",
        wrap="wrap",
        width="100%",
        padding_y="6px",
        border_top="1px solid var(--gray-a4)",
    )


def _shown_year_form() -> rx.Component:
    return rx.form(
        rx.heading("Даты учебного года ", S.year_title, size="3", as_="h3"),
        rx.grid(
            _labelled(
                "Первый день",
                rx.input(
                    type="date",
                    name="starts_on",
                    default_value=S.shown_year_start,
                    aria_label="Первый день года " + S.year_title,
                    **FIELD,
                ),
            ),
            _labelled(
                "Последний день",
                rx.input(
                    type="date",
                    name="ends_on",
                    default_value=S.shown_year_end,
                    aria_label="Последний день года " + S.year_title,
                    **FIELD,
                ),
            ),
            rx.button(
                "Изменить даты года", type="submit", variant="outline", size="3", min_height=TAP
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            gap="12px",
            align="end",
            width="100%",
        ),
        on_submit=S.change_year_dates,
        reset_on_submit=False,
        key=S.year_key,
        width="100%",
    )


def _year_section() -> rx.Component:
    return _section(
        "Учебный год",
        "Название года складывается из дат («2026/2027»). Первый созданный год становится "
        "текущим: по нему работают журнал, списки и расписание.",
        rx.cond(
            S.years.length() == 0,  # type: ignore[attr-defined]
            rx.callout(
                "В школе ещё нет учебного года: создайте его, чтобы задать четверти, "
                "каникулы и классы.",
                icon="info",
                width="100%",
            ),
            rx.vstack(rx.foreach(S.years, _year_row), spacing="0", width="100%"),
        ),
        rx.cond(S.year_id != 0, _shown_year_form()),
        rx.form(
            rx.heading("Новый учебный год", size="3", as_="h3"),
            rx.grid(
                _labelled(
                    "Первый день",
                    rx.input(
                        type="date",
                        name="starts_on",
                        default_value=S.new_year_start,
                        aria_label="Первый день учебного года",
                        **FIELD,
                    ),
                ),
                _labelled(
                    "Последний день",
                    rx.input(
                        type="date",
                        name="ends_on",
                        default_value=S.new_year_end,
                        aria_label="Последний день учебного года",
                        **FIELD,
                    ),
                ),
                rx.button("Создать учебный год", type="submit", size="3", min_height=TAP),
                columns=rx.breakpoints(initial="1", sm="3"),
                gap="12px",
                align="end",
                width="100%",
            ),
            on_submit=S.create_year,
            reset_on_submit=False,
            key=S.year_key,
            width="100%",
        ),
        error_callout(S.year_error),
    )


# --------------------------------------------------------------------------- periods


def _period_row(p: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(p.name, weight="medium"),
                rx.text(p.grades, " классы", size="1", color_scheme="gray", high_contrast=True),
                spacing="0",
            ),
            min_width="120px",
        ),
        rx.table.cell(
            rx.input(
                type="date",
                name="start-" + p.id.to(str),
                default_value=p.starts_on,
                aria_label="Начало: " + p.name,
                size="2",
                min_height=TAP,
            )
        ),
        rx.table.cell(
            rx.input(
                type="date",
                name="end-" + p.id.to(str),
                default_value=p.ends_on,
                aria_label="Окончание: " + p.name,
                size="2",
                min_height=TAP,
            )
        ),
    )


def _periods_section() -> rx.Component:
    return _section(
        "Четверти и полугодия",
        "1–9 классы учатся по четвертям, 10–11 — по полугодиям; «Год» — для годовых отметок. "
        "Периоды одного вида не пересекаются и лежат внутри учебного года.",
        rx.cond(
            S.periods.length() == 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.text(
                    "Периоды ещё не заданы. Кнопка добавит четыре четверти, два полугодия и "
                    "год с обычными для российских школ датами; потом их можно поправить.",
                    size="2",
                ),
                rx.button(
                    "Заполнить стандартно",
                    on_click=S.fill_periods,
                    size="3",
                    min_height=TAP,
                ),
                spacing="2",
                width="100%",
            ),
            rx.form(
                rx.vstack(
                    _scroll(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.table.column_header_cell("Период"),
                                    rx.table.column_header_cell("Начало"),
                                    rx.table.column_header_cell("Окончание"),
                                )
                            ),
                            rx.table.body(rx.foreach(S.periods, _period_row)),
                            size="1",
                            width="100%",
                        )
                    ),
                    rx.button("Сохранить даты", type="submit", size="3", min_height=TAP),
                    spacing="2",
                    width="100%",
                ),
                on_submit=S.save_periods,
                reset_on_submit=False,
                key=S.periods_key,
                width="100%",
            ),
        ),
        error_callout(S.periods_error),
    )


# --------------------------------------------------------------------------- holidays


def _holiday_row(h: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(h.name),
        rx.table.cell(h.dates, white_space="nowrap"),
        rx.table.cell(h.grades),
        rx.table.cell(
            rx.button(
                "Удалить",
                color_scheme="red",
                variant="soft",
                on_click=S.remove_holiday(h.id),
                min_height=TAP,
                aria_label="Удалить каникулы " + h.name + " " + h.dates,
            )
        ),
    )


def _holiday_section() -> rx.Component:
    return _section(
        "Каникулы",
        "Каникулы и праздничные дни — для всех классов или только для части (например, "
        "дополнительные каникулы для 1 классов в феврале).",
        rx.cond(
            S.holidays.length() == 0,  # type: ignore[attr-defined]
            rx.text("Каникул пока нет.", color_scheme="gray", high_contrast=True),
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Название"),
                            rx.table.column_header_cell("Даты"),
                            rx.table.column_header_cell("Классы"),
                            rx.table.column_header_cell("Действие"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.holidays, _holiday_row)),
                    size="1",
                    width="100%",
                )
            ),
        ),
        rx.form(
            rx.vstack(
                rx.heading("Добавить каникулы", size="3", as_="h3"),
                _labelled(
                    "Название",
                    rx.input(
                        name="name",
                        default_value=S.holiday_name,
                        placeholder="Осенние каникулы",
                        aria_label="Название каникул",
                        max_length=100,
                        **FIELD,
                    ),
                ),
                rx.grid(
                    _labelled(
                        "Первый день",
                        rx.input(
                            type="date",
                            name="starts_on",
                            default_value=S.holiday_start,
                            aria_label="Первый день каникул",
                            **FIELD,
                        ),
                    ),
                    _labelled(
                        "Последний день",
                        rx.input(
                            type="date",
                            name="ends_on",
                            default_value=S.holiday_end,
                            aria_label="Последний день каникул",
                            **FIELD,
                        ),
                    ),
                    _labelled(
                        "Классы с",
                        rx.input(
                            name="grade_from",
                            default_value=S.holiday_from,
                            input_mode="numeric",
                            aria_label="Каникулы для классов с",
                            **FIELD,
                        ),
                    ),
                    _labelled(
                        "по",
                        rx.input(
                            name="grade_to",
                            default_value=S.holiday_to,
                            input_mode="numeric",
                            aria_label="Каникулы для классов по",
                            **FIELD,
                        ),
                    ),
                    columns=rx.breakpoints(initial="2", sm="4"),
                    gap="12px",
                    width="100%",
                ),
                rx.button("Добавить каникулы", type="submit", size="3", min_height=TAP),
                spacing="2",
                width="100%",
            ),
            on_submit=S.add_holiday,
            reset_on_submit=False,
            key=S.holiday_key,
            width="100%",
        ),
        error_callout(S.holiday_error),
    )


# --------------------------------------------------------------------------- the week


def _week_section() -> rx.Component:
    return _section(
        "Учебная неделя",
        "Сколько дней в неделю идут уроки; сохраняется сразу.",
        rx.radio_group.root(
            rx.flex(
                rx.el.label(
                    rx.radio_group.item(value="5", aria_label="5 дней (пн–пт)"),
                    rx.text("5 дней (пн–пт)"),
                    style={
                        "display": "flex",
                        "gap": "8px",
                        "align_items": "center",
                        "min_height": TAP,
                    },
                ),
                rx.el.label(
                    rx.radio_group.item(value="6", aria_label="6 дней (пн–сб)"),
                    rx.text("6 дней (пн–сб)"),
                    style={
                        "display": "flex",
                        "gap": "8px",
                        "align_items": "center",
                        "min_height": TAP,
                    },
                ),
                gap="24px",
                wrap="wrap",
            ),
            value=S.days_per_week,
            on_change=S.choose_week,
            size="3",
            aria_label="Учебная неделя",
        ),
        error_callout(S.week_error),
    )


# --------------------------------------------------------------------------- bells


def _bell_row(b: Any) -> rx.Component:
    number = b.number.to(str)
    return rx.table.row(
        rx.table.row_header_cell(number, " урок", white_space="nowrap"),
        rx.table.cell(
            rx.input(
                name="start-" + number,
                default_value=b.starts_at,
                placeholder="08:30",
                aria_label="Начало урока " + number,
                input_mode="numeric",
                max_length=5,
                size="2",
                width="88px",
                min_height=TAP,
            )
        ),
        rx.table.cell(
            rx.input(
                name="end-" + number,
                default_value=b.ends_at,
                placeholder="09:15",
                aria_label="Конец урока " + number,
                input_mode="numeric",
                max_length=5,
                size="2",
                width="88px",
                min_height=TAP,
            )
        ),
    )


def _bells_section() -> rx.Component:
    return _section(
        "Расписание звонков",
        "Время начала и конца каждого урока, например 08:30 и 09:15. Урок начинается не "
        "раньше конца предыдущего. Пустые строки в конце не сохраняются: чтобы убрать "
        "последний урок, очистите его строку.",
        rx.form(
            rx.vstack(
                _scroll(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Урок"),
                                rx.table.column_header_cell("Начало"),
                                rx.table.column_header_cell("Конец"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.bells, _bell_row)),
                        size="1",
                    )
                ),
                rx.flex(
                    rx.button(
                        "Добавить урок",
                        type="button",
                        variant="soft",
                        on_click=S.add_bell_row,
                        size="3",
                        min_height=TAP,
                    ),
                    rx.button("Сохранить звонки", type="submit", size="3", min_height=TAP),
                    gap="12px",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=S.save_bells,
            reset_on_submit=False,
            key=S.bells_key,
            width="100%",
        ),
        error_callout(S.bells_error),
    )


# --------------------------------------------------------------------------- classes


def _class_row(c: Any) -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.flex(
                    rx.text(c.name, weight="bold", size="4"),
                    rx.text(
                        "учащихся: ",
                        c.students.to(str),
                        size="2",
                        color_scheme="gray",
                        high_contrast=True,
                    ),
                    gap="12px",
                    align="baseline",
                    wrap="wrap",
                ),
                rx.el.input(type="hidden", name="class_id", value=c.id.to(str)),
                rx.grid(
                    _labelled(
                        "Классный руководитель",
                        _staff_select(
                            "class_teacher_id", "Классный руководитель " + c.name, c.teacher_id
                        ),
                    ),
                    _labelled(
                        "Кабинет",
                        rx.input(
                            name="room",
                            default_value=c.room,
                            aria_label="Кабинет " + c.name,
                            max_length=32,
                            **FIELD,
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    gap="12px",
                    width="100%",
                ),
                rx.flex(
                    rx.button(
                        "Сохранить",
                        type="submit",
                        size="3",
                        min_height=TAP,
                        aria_label="Сохранить класс " + c.name,
                    ),
                    rx.cond(
                        c.in_use == "",
                        rx.button(
                            "Удалить",
                            type="button",
                            color_scheme="red",
                            variant="soft",
                            size="3",
                            min_height=TAP,
                            on_click=S.remove_class(c.id),
                            aria_label="Удалить класс " + c.name,
                        ),
                        rx.text(
                            "Удалить нельзя: ",
                            c.in_use,
                            size="2",
                            color_scheme="gray",
                            high_contrast=True,
                        ),
                    ),
                    gap="12px",
                    align="center",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=S.save_class,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


def _classes_section() -> rx.Component:
    return _section(
        "Классы",
        "Классы учебного года. Сотрудник с учётной записью, назначенный классным "
        "руководителем, получает эту роль для своего класса.",
        rx.cond(
            S.classes.length() == 0,  # type: ignore[attr-defined]
            rx.text("Классов пока нет.", color_scheme="gray", high_contrast=True),
            rx.vstack(
                rx.foreach(S.classes, _class_row), spacing="2", width="100%", key=S.classes_key
            ),
        ),
        rx.form(
            rx.vstack(
                rx.heading("Добавить класс", size="3", as_="h3"),
                rx.grid(
                    _labelled(
                        "Класс",
                        rx.input(
                            name="name",
                            default_value=S.class_name,
                            placeholder="5А",
                            aria_label="Новый класс",
                            max_length=12,
                            **FIELD,
                        ),
                    ),
                    _labelled(
                        "Классный руководитель",
                        _staff_select(
                            "class_teacher_id",
                            "Классный руководитель нового класса",
                            S.class_teacher,
                        ),
                    ),
                    _labelled(
                        "Кабинет",
                        rx.input(
                            name="room",
                            default_value=S.class_room,
                            aria_label="Кабинет нового класса",
                            max_length=32,
                            **FIELD,
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    gap="12px",
                    width="100%",
                ),
                rx.button("Добавить класс", type="submit", size="3", min_height=TAP),
                spacing="2",
                width="100%",
            ),
            on_submit=S.add_class,
            reset_on_submit=False,
            key=S.classes_key,
            width="100%",
        ),
        error_callout(S.class_error),
    )


def _year_parts() -> rx.Component:
    return rx.cond(
        S.year_id != 0,
        rx.vstack(
            rx.heading("Учебный год ", S.year_title, size="5", as_="h2"),
            _periods_section(),
            _holiday_section(),
            _classes_section(),
            spacing="4",
            width="100%",
        ),
    )


def page() -> rx.Component:
    """``/setup/school``: every section once loaded."""
    return layout(
        "Учебный год и классы",
        rx.cond(
            S.loaded,
            rx.vstack(
                _year_section(),
                _year_parts(),
                _week_section(),
                _bells_section(),
                spacing="4",
                width="100%",
            ),
            rx.text("Загрузка…", color_scheme="gray"),
        ),
        subtitle="Изменения действуют сразу для всей школы и записываются в журнал аудита.",
    )
