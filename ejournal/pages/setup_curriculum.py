"""``/setup/curriculum``: Учебный план и нагрузка — the deputy's subjects, weekly hours per
grade and the teaching load of the current year, with the plan's warnings on top."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.state.setup_curriculum import CurriculumState

S = CurriculumState


def _section(title: str, intro: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(intro, size="2", color_scheme="gray"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _scroll(table: rx.Component) -> rx.Component:
    return rx.box(table, overflow_x="auto", width="100%")


def _select(
    options: Any, placeholder: str, *, value: Any = None, on_change: Any = None, **props: Any
) -> rx.Component:
    if value is not None:
        props["value"] = value
    if on_change is not None:
        props["on_change"] = on_change
    return rx.select.root(
        # A combobox takes no name from its content: name it (axe button-name).
        rx.select.trigger(placeholder=placeholder, aria_label=placeholder, min_width="160px"),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o.label, value=o.value))),
        **props,
    )


# --------------------------------------------------------------------------- warnings


def _warnings() -> rx.Component:
    return rx.cond(
        S.warnings.length() > 0,  # type: ignore[attr-defined]
        rx.callout(
            rx.vstack(
                rx.text("Замечания по плану и нагрузке (", S.warnings.length(), ")", weight="bold"),  # type: ignore[attr-defined]
                rx.el.ul(
                    rx.foreach(S.warnings, lambda w: rx.el.li(w)),
                    style={"padding-left": "1.2em", "margin": 0},
                ),
                spacing="1",
            ),
            icon="triangle_alert",
            color_scheme="orange",
            high_contrast=True,
            width="100%",
        ),
        rx.callout(
            "Замечаний нет: часы совпадают с учебным планом, у каждого предмета есть учитель.",
            icon="circle_check",
            color_scheme="green",
            high_contrast=True,
            width="100%",
        ),
    )


# --------------------------------------------------------------------------- subjects


def _subject_row(s: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.form(
                rx.flex(
                    rx.el.input(type="hidden", name="subject_id", value=s.id.to(str)),
                    rx.input(
                        name="name",
                        default_value=s.name,
                        aria_label="Название предмета «" + s.name + "»",
                        min_width="200px",
                    ),
                    rx.button("Сохранить", type="submit", variant="soft", size="2"),
                    gap="8px",
                    align="center",
                ),
                on_submit=S.rename_subject,
                reset_on_submit=False,
                # Redrawn when the stored name changes (its input shows a default value).
                key=s.id.to(str) + "/" + s.name,
            )
        ),
        rx.table.cell(
            rx.el.label(
                rx.flex(
                    rx.checkbox(
                        checked=~s.marked,
                        on_change=lambda v: S.toggle_unmarked(s.id, v),
                        aria_label="«" + s.name + "» без отметок",
                    ),
                    rx.text("без отметок", size="2"),
                    gap="6px",
                    align="center",
                ),
            ),
        ),
        rx.table.cell(
            rx.button(
                "Удалить",
                on_click=S.remove_subject(s.id),
                color_scheme="red",
                variant="soft",
                size="2",
                aria_label="Удалить предмет «" + s.name + "»",
            ),
        ),
    )


def _subjects() -> rx.Component:
    return _section(
        "Предметы",
        "Предметы школы. «Без отметок» — в журнале только посещаемость, темы и задания "
        "[004 §3.8]. Удалить можно только предмет, которого нет в плане, нагрузке и отметках.",
        rx.form(
            rx.flex(
                rx.input(
                    id="new-subject-name",
                    name="name",
                    placeholder="Название, например «Математика»",
                    aria_label="Название нового предмета",
                    min_width="240px",
                ),
                rx.input(
                    id="new-subject-short",
                    name="short_name",
                    placeholder="Кратко (необязательно)",
                    aria_label="Краткое название нового предмета",
                    width="180px",
                ),
                rx.el.label(
                    rx.flex(
                        rx.checkbox(name="unmarked", aria_label="Новый предмет без отметок"),
                        rx.text("без отметок", size="2"),
                        gap="6px",
                        align="center",
                    ),
                ),
                rx.button("Добавить предмет", type="submit", min_height=TAP),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            on_submit=S.add_subject_form,
            reset_on_submit=False,
            width="100%",
        ),
        error_callout(S.subject_error),
        rx.cond(
            S.subjects.length() > 0,  # type: ignore[attr-defined]
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Название"),
                            rx.table.column_header_cell("Отметки"),
                            rx.table.column_header_cell("Действие"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.subjects, _subject_row)),
                    size="1",
                    width="100%",
                )
            ),
            rx.text("Предметов пока нет: добавьте первый.", color_scheme="gray"),
        ),
    )


# --------------------------------------------------------------------------- hours grid


def _hours_cell(c: Any) -> rx.Component:
    return rx.table.cell(
        rx.vstack(
            rx.input(
                name=c.key,
                default_value=c.value,
                aria_label=c.label,
                input_mode="decimal",
                auto_complete="off",
                width="64px",
                color_scheme=rx.cond(c.error != "", "red", "gray"),
                aria_invalid=rx.cond(c.error != "", "true", "false"),
            ),
            rx.el.label(
                rx.flex(
                    rx.checkbox(
                        checked=c.split,
                        disabled=~c.has_hours,
                        on_change=lambda v: S.toggle_split(c.subject_id, c.grade, v),
                        size="1",
                        aria_label=c.split_label,
                    ),
                    rx.text("подгруппы", size="1"),
                    gap="4px",
                    align="center",
                ),
            ),
            rx.cond(c.error != "", rx.text(c.error, size="1", color_scheme="red", role="alert")),
            spacing="1",
        )
    )


def _grid_row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.subject, min_width="140px"),
        rx.foreach(r.cells, _hours_cell),
    )


def _grid() -> rx.Component:
    return _section(
        "Часы по параллелям",
        "Часов в неделю по учебному плану: от 0,5 до 40 с шагом 0,5; пустая клетка или 0 — "
        "предмета в параллели нет. «Подгруппы» — класс делится на подгруппы по предмету, "
        "часы проверяются у каждой подгруппы.",
        rx.cond(
            (S.grades.length() > 0) & (S.grid.length() > 0),  # type: ignore[attr-defined]
            rx.form(
                rx.vstack(
                    _scroll(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.table.column_header_cell("Предмет"),
                                    rx.foreach(
                                        S.grades,
                                        lambda g: rx.table.column_header_cell(g.to(str) + " кл."),
                                    ),
                                )
                            ),
                            rx.table.body(rx.foreach(S.grid, _grid_row)),
                            size="1",
                        )
                    ),
                    error_callout(S.grid_error),
                    rx.button("Сохранить часы", type="submit", min_height=TAP),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_grid,
                reset_on_submit=False,
                key=S.grid_key,
                width="100%",
            ),
            rx.text(
                "Сетка появится, когда в текущем году будут классы и в списке — предметы.",
                color_scheme="gray",
            ),
        ),
    )


# --------------------------------------------------------------------------- load


def _assignment_row(a: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(a.what, min_width="140px"),
        rx.table.cell(
            rx.form(
                rx.flex(
                    rx.el.input(type="hidden", name="assignment_id", value=a.id.to(str)),
                    rx.select.root(
                        rx.select.trigger(aria_label="Учитель: " + a.label, min_width="170px"),
                        rx.select.content(
                            rx.foreach(
                                S.teacher_options,
                                lambda o: rx.select.item(o.label, value=o.value),
                            )
                        ),
                        name="teacher_id",
                        default_value=a.teacher_id,
                    ),
                    rx.input(
                        name="hours",
                        default_value=a.hours,
                        aria_label="Часов в неделю: " + a.label,
                        input_mode="decimal",
                        auto_complete="off",
                        width="64px",
                    ),
                    rx.button("Сохранить", type="submit", variant="soft", size="2"),
                    gap="8px",
                    align="center",
                ),
                on_submit=S.save_assignment,
                reset_on_submit=False,
                # Redrawn when the stored row changes (its inputs show default values).
                key=a.id.to(str) + "/" + a.teacher_id + "/" + a.hours,
            )
        ),
        rx.table.cell(
            rx.cond(
                a.differs,
                rx.badge(a.plan, color_scheme="orange", title="Часы отличаются от плана"),
                rx.text(a.plan),
            )
        ),
        rx.table.cell(a.lessons),
        rx.table.cell(
            rx.button(
                "Удалить",
                on_click=S.remove_assignment(a.id),
                color_scheme="red",
                variant="soft",
                size="2",
                aria_label="Удалить нагрузку: " + a.label,
            )
        ),
    )


def _class_block(b: Any) -> rx.Component:
    return rx.vstack(
        rx.heading(b.label, size="3", as_="h3"),
        rx.cond(
            b.rows.length() > 0,
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Предмет"),
                            rx.table.column_header_cell("Учитель и часов в неделю"),
                            rx.table.column_header_cell("По плану"),
                            rx.table.column_header_cell("Уроков в журнале"),
                            rx.table.column_header_cell("Действие"),
                        )
                    ),
                    rx.table.body(rx.foreach(b.rows, _assignment_row)),
                    size="1",
                    width="100%",
                )
            ),
            rx.text("Нагрузки пока нет.", size="2", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )


def _add_assignment() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Добавить нагрузку", size="3", as_="h3"),
            rx.flex(
                _select(S.class_options, "Класс", value=S.add_class, on_change=S.choose_class),
                _select(
                    S.subject_options, "Предмет", value=S.add_subject, on_change=S.choose_subject
                ),
                _select(
                    S.subgroup_options,
                    "Подгруппа",
                    value=S.add_subgroup,
                    on_change=S.choose_subgroup,
                ),
                _select(
                    S.teacher_options, "Учитель", value=S.add_teacher, on_change=S.choose_teacher
                ),
                rx.input(
                    id="add-hours",
                    name="hours",
                    placeholder=rx.cond(
                        S.add_hours_hint != "", "по плану: " + S.add_hours_hint, "часов"
                    ),
                    aria_label="Часов в неделю для новой нагрузки",
                    input_mode="decimal",
                    auto_complete="off",
                    width="110px",
                ),
                rx.button("Добавить нагрузку", type="submit", min_height=TAP),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Пустые часы — как в учебном плане для параллели класса.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(S.add_error),
            spacing="2",
            width="100%",
        ),
        on_submit=S.add_assignment,
        reset_on_submit=False,
        width="100%",
    )


def _load_row(t: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(t.name),
        rx.table.cell(t.hours),
        rx.table.cell(t.assignments),
        rx.table.cell(
            rx.cond(
                t.over,
                rx.badge("больше предела " + S.limit_text + " ч", color_scheme="red"),
                rx.badge("в пределах", color_scheme="green", variant="soft"),
            )
        ),
    )


def _loads() -> rx.Component:
    return rx.vstack(
        rx.heading("Нагрузка по учителям", size="3", as_="h3"),
        rx.cond(
            S.loads.length() > 0,  # type: ignore[attr-defined]
            _scroll(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Учитель"),
                            rx.table.column_header_cell("Часов в неделю"),
                            rx.table.column_header_cell("Назначений"),
                            rx.table.column_header_cell("Предел"),
                        )
                    ),
                    rx.table.body(rx.foreach(S.loads, _load_row)),
                    size="1",
                    width="100%",
                )
            ),
            rx.text("Нагрузка ещё не назначена.", size="2", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )


def _load_filter() -> rx.Component:
    """Which class's load the table shows (the first by default, or every class)."""
    return rx.flex(
        rx.text("Показать класс", size="2", weight="medium"),
        rx.select.root(
            # Named apart from the add form's «Класс» (unique combobox names).
            rx.select.trigger(aria_label="Показать класс", min_width="160px", min_height=TAP),
            rx.select.content(
                rx.foreach(S.show_class_options, lambda o: rx.select.item(o.label, value=o.value))
            ),
            value=S.show_class,
            on_change=S.filter_load,
        ),
        gap="8px",
        align="center",
        wrap="wrap",
    )


def _load_section() -> rx.Component:
    return _section(
        "Нагрузка учителей",
        "Кто ведёт предмет в классе (или в подгруппе класса) и сколько часов в неделю. "
        "Удалить можно только нагрузку без уроков в журнале — иначе смените учителя.",
        _add_assignment(),
        error_callout(S.load_error),
        rx.cond(S.show_class_options.length() > 1, _load_filter()),  # type: ignore[attr-defined]
        rx.foreach(S.blocks, _class_block),
        _loads(),
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.year_name != "",
            rx.text(
                "Учебный год ",
                S.year_name,
                ". Предел недельной нагрузки учителя — ",
                S.limit_text,
                " ч (меняется в настройках школы).",
                color_scheme="gray",
            ),
            rx.callout(
                "Не задан текущий учебный год: создайте его в разделе «Учебный год и классы».",
                icon="info",
                color_scheme="orange",
                high_contrast=True,
                width="100%",
            ),
        ),
        _warnings(),
        _subjects(),
        _grid(),
        _load_section(),
        spacing="4",
        width="100%",
    )


def page() -> rx.Component:
    """``/setup/curriculum``: the sections once loaded."""
    return layout(
        "Учебный план и нагрузка",
        rx.cond(S.loaded, _content(), rx.text("Загрузка…", color_scheme="gray")),
        subtitle="Предметы, часы в неделю по параллелям и нагрузка учителей текущего года.",
    )
