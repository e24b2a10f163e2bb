"""The «Подгруппы» section of ``/class/students``: split the class for a subject, move
students between groups, rename, add and remove groups (``SubgroupsState``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout
from ejournal.state.subgroups import SubgroupsState

S = SubgroupsState
GROUP_COUNTS = {"2": "2 группы", "3": "3 группы", "4": "4 группы", "5": "5 групп"}


def _class_picker() -> rx.Component:
    return rx.cond(
        S.classes.length() > 1,  # type: ignore[attr-defined]
        rx.flex(
            rx.text("Класс", as_="label", weight="medium"),
            rx.select.root(
                rx.select.trigger(aria_label="Класс для подгрупп", min_height=TAP),
                rx.select.content(
                    rx.foreach(S.classes, lambda c: rx.select.item(c["label"], value=c["value"]))
                ),
                value=S.class_id,
                on_change=S.choose_class,
            ),
            gap="8px",
            align="center",
            wrap="wrap",
        ),
    )


def _move_button(member: Any, target: Any) -> rx.Component:
    return rx.button(
        "в «",
        target.name,
        "»",
        size="1",
        variant="soft",
        min_height="32px",
        aria_label=member.name + ": в «" + target.name + "»",
        on_click=S.move(member.student_id, member.from_id, target.subgroup_id),
    )


def _member(member: Any) -> rx.Component:
    return rx.flex(
        rx.link(member.name, href=member.href),
        rx.flex(
            rx.foreach(member.targets, lambda t: _move_button(member, t)),
            gap="4px",
            wrap="wrap",
        ),
        justify="between",
        align="center",
        gap="8px",
        wrap="wrap",
        width="100%",
        padding_y="4px",
        border_top="1px solid var(--gray-a4)",
    )


def _rename_form(group: Any) -> rx.Component:
    return rx.form(
        rx.flex(
            rx.el.input(type="hidden", name="subgroup_id", value=group.subgroup_id),
            rx.el.input(type="hidden", name="old_name", value=group.name),
            rx.input(
                name="name",
                default_value=group.name,
                aria_label="Новое название: " + group.name,
                max_length=50,
                size="2",
                min_height="36px",
                flex="1",
                min_width="140px",
            ),
            rx.button(
                "Переименовать",
                type="submit",
                size="2",
                variant="outline",
                aria_label="Переименовать «" + group.name + "»",
            ),
            gap="6px",
            wrap="wrap",
            width="100%",
        ),
        on_submit=S.rename,
        reset_on_submit=False,
        width="100%",
        # Drawn afresh after every change, so the input shows the stored name.
        key=S.form_key.to_string() + "-" + group.subgroup_id.to_string(),  # type: ignore[attr-defined]
    )


def _group(group: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(group.name, " (", group.count, ")", size="3", as_="h4"),
            rx.text("Учитель: ", group.teachers, size="2", color_scheme="gray"),
            _rename_form(group),
            rx.foreach(group.members, _member),
            rx.cond(
                group.count == 0,
                rx.text("В группе никого нет.", size="2", color_scheme="gray"),
            ),
            rx.cond(
                group.removable,
                rx.button(
                    "Удалить группу",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    aria_label="Удалить группу «" + group.name + "»",
                    on_click=S.remove_group(group.subgroup_id),
                ),
                rx.text(
                    "Группу с учителем не удалить.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _split(split: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(split.subject_name, size="4", as_="h3"),
            rx.foreach(
                split.warnings,
                lambda w: rx.callout(w, icon="info", color_scheme="amber", size="1", width="100%"),
            ),
            rx.grid(
                rx.foreach(split.groups, _group),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                split.unplaced.length() > 0,
                rx.vstack(
                    rx.heading("Не распределены", size="3", as_="h4"),
                    rx.foreach(split.unplaced, _member),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.button(
                "Добавить группу",
                size="2",
                variant="outline",
                aria_label="Добавить группу: " + split.subject_name,
                on_click=S.add_group(split.subject_id),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _new_split() -> rx.Component:
    return rx.cond(
        S.subjects.length() > 0,  # type: ignore[attr-defined]
        rx.flex(
            rx.select.root(
                rx.select.trigger(aria_label="Предмет для деления", min_height=TAP),
                rx.select.content(
                    rx.foreach(S.subjects, lambda s: rx.select.item(s["label"], value=s["value"]))
                ),
                value=S.new_subject,
                on_change=S.pick_new_subject,
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Число групп", min_height=TAP),
                rx.select.content(
                    *[rx.select.item(label, value=n) for n, label in GROUP_COUNTS.items()]
                ),
                value=S.new_groups,
                on_change=S.pick_new_groups,
            ),
            rx.button("Разделить класс", size="3", min_height=TAP, on_click=S.split),
            gap="8px",
            align="center",
            wrap="wrap",
        ),
    )


def subgroups_section(*, class_picker: bool = True) -> rx.Component:
    """«Подгруппы» of the chosen class: one card per subject the class is split for.

    `class_picker=False` leaves out the section's own class select (shown only to users
    with several classes) when the page's picker drives it through
    ``SubgroupsState.choose_class``."""
    return rx.card(
        rx.vstack(
            rx.heading("Подгруппы", size="5", as_="h2"),
            rx.text(
                "Класс делится на группы по предмету (иностранный язык, информатика, труд); "
                "у каждой группы свой учитель и своя страница журнала. Ученик, переведённый в "
                "другую группу, с этого момента виден в журнале её учителя.",
                size="2",
                color_scheme="gray",
            ),
            *([_class_picker()] if class_picker else []),
            rx.cond(S.class_name != "", rx.text("Класс: ", rx.text.strong(S.class_name))),
            error_callout(S.error),
            rx.cond(
                S.notice != "",
                rx.callout(S.notice, icon="circle_check", color_scheme="green", width="100%"),
            ),
            rx.foreach(S.splits, _split),
            rx.cond(
                S.loaded & (S.splits.length() == 0),  # type: ignore[attr-defined]
                rx.text("Класс не разделён на группы ни по одному предмету.", color_scheme="gray"),
            ),
            rx.heading("Разделить класс на группы", size="3", as_="h3"),
            _new_split(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
