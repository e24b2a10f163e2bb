"""``/student?id=N``: Личное дело учащегося, «общие сведения» [004 §5.28–5.32] — read-only
for staff who only read it, a form with «Сохранить» for those who manage the student."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.state.student_file import StudentFileState

S = StudentFileState
FORM_MAX_WIDTH = "760px"


def _summary() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(S.full_name, size="5", as_="h2"),
            rx.text("Класс: ", rx.text.strong(S.class_name)),
            rx.text("Дата рождения: ", rx.text.strong(S.birth_date)),
            rx.cond(
                ~S.documents,
                rx.text(
                    "Документы (свидетельство о рождении, СНИЛС) видят классный руководитель "
                    "и администрация.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
        ),
        width="100%",
    )


def _shown(value: Any) -> rx.Component:
    return rx.cond(value != "", rx.text(value), rx.text("не указано", color_scheme="gray"))


# --------------------------------------------------------------------------- read-only


def _read_field(f: Any) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(f.label),
        rx.data_list.value(_shown(f.value)),
    )


def _read_parent(p: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(
                rx.text.strong(p.name),
                rx.cond(p.relation != "", rx.text.span(" (", p.relation, ")")),
            ),
            rx.data_list.root(
                rx.data_list.item(
                    rx.data_list.label("Телефон"), rx.data_list.value(_shown(p.phone))
                ),
                rx.data_list.item(
                    rx.data_list.label("Электронная почта"), rx.data_list.value(_shown(p.email))
                ),
                orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
            ),
            spacing="2",
        ),
        width="100%",
    )


def _read_only() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.heading("Общие сведения", size="4", as_="h2"),
                rx.data_list.root(
                    rx.foreach(S.fields, _read_field),
                    orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
                ),
                spacing="3",
            ),
            width="100%",
        ),
        rx.heading("Родители (законные представители)", size="4", as_="h2"),
        rx.foreach(S.parents, _read_parent),
        rx.cond(S.parents.length() == 0, rx.text("Сведений о родителях нет.", color_scheme="gray")),  # type: ignore[attr-defined]
        spacing="3",
        width="100%",
    )


# --------------------------------------------------------------------------- the form


def _error(error: Any) -> rx.Component:
    return rx.cond(error != "", rx.text(error, size="2", color_scheme="red", role="alert"))


def _input(name: Any, value: Any, label: Any, error: Any, kind: Any = "text") -> rx.Component:
    return rx.input(
        name=name,
        default_value=value,
        aria_label=label,
        type=kind,
        auto_complete="off",
        size="3",
        width="100%",
        min_height=TAP,
        color_scheme=rx.cond(error != "", "red", "gray"),
        aria_invalid=rx.cond(error != "", "true", "false"),
    )


def _health(f: Any) -> rx.Component:
    """The health group as a native select (its value travels with the form)."""
    return rx.el.select(
        rx.el.option("не указана", value=""),
        rx.foreach(S.health_options, lambda o: rx.el.option(o, value=o)),
        name=f.key,
        default_value=f.value,
        aria_label=f.label,
        style={
            "min-height": TAP,
            "width": "100%",
            "padding": "0 8px",
            "border": "1px solid var(--gray-a7)",
            "border-radius": "var(--radius-2)",
            "background": "var(--color-surface)",
            "color": "var(--gray-12)",
            "font-size": "var(--font-size-3)",
        },
    )


def _form_field(f: Any) -> rx.Component:
    return rx.vstack(
        rx.text(f.label, weight="medium", size="3"),
        rx.cond(
            f.kind == "health",
            _health(f),
            _input(f.key, f.value, f.label, f.error, f.kind),
        ),
        _error(f.error),
        spacing="1",
        width="100%",
    )


def _form_parent(p: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(rx.text.strong(p.name)),
            rx.text("Степень родства", weight="medium", size="2"),
            _input(p.relation_key, p.relation, "Степень родства: " + p.name, p.relation_error),
            _error(p.relation_error),
            rx.text("Телефон", weight="medium", size="2"),
            _input(p.phone_key, p.phone, "Телефон: " + p.name, p.phone_error, "tel"),
            _error(p.phone_error),
            rx.text("Электронная почта", weight="medium", size="2"),
            _input(p.email_key, p.email, "Электронная почта: " + p.name, p.email_error, "email"),
            _error(p.email_error),
            spacing="1",
            width="100%",
        ),
        width="100%",
    )


def _edit_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.card(
                rx.vstack(
                    rx.heading("Общие сведения", size="4", as_="h2"),
                    rx.foreach(S.fields, _form_field),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
            rx.heading("Родители (законные представители)", size="4", as_="h2"),
            rx.foreach(S.parents, _form_parent),
            rx.cond(
                S.parents.length() == 0,  # type: ignore[attr-defined]
                rx.text("Сведений о родителях нет: их добавляет секретарь.", color_scheme="gray"),
            ),
            error_callout(S.form_error),
            rx.cond(
                S.result != "",
                rx.callout(S.result, icon="circle_check", color_scheme="green", width="100%"),
            ),
            rx.button("Сохранить", type="submit", size="3", min_height=TAP, width="100%"),
            spacing="4",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
        # A new key draws the form afresh with the values just loaded or saved.
        key=S.form_key,
    )


def page() -> rx.Component:
    """``/student?id=N``."""
    return layout(
        "Личное дело учащегося",
        rx.link("← ", S.back_label, href=S.back_href),
        rx.cond(
            S.loaded,
            rx.cond(
                S.load_error != "",
                error_callout(S.load_error),
                rx.vstack(
                    _summary(),
                    rx.cond(S.can_edit, _edit_form(), _read_only()),
                    spacing="4",
                    width="100%",
                    max_width=FORM_MAX_WIDTH,
                ),
            ),
            rx.text("Загрузка…", color_scheme="gray"),
        ),
        subtitle="Общие сведения — видны только учителям ученика и администрации; каждое "
        "изменение записывается в журнал аудита.",
    )
