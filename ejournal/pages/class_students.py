"""``/class/students``: Учащиеся класса — the class list (each name opens the personal file),
each family's consent to personal-data processing with a form per parent [003 §5.2], the
paper copies for the families that refused, and the class's subgroups."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.components.subgroups import subgroups_section
from ejournal.state.class_students import DECISIONS, ClassStudentsState

S = ClassStudentsState

SELECT_STYLE = {
    "width": "100%",
    "height": "var(--space-6)",
    "padding": "0 8px",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "font_size": "var(--font-size-2)",
}


def _labelled(label: Any, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _class_picker() -> rx.Component:
    """The secretary and the administrator choose a class; a class teacher has one."""
    return rx.cond(
        S.classes.length() > 1,  # type: ignore[attr-defined]
        rx.flex(
            rx.text("Класс", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(aria_label="Класс", min_height=TAP),
                rx.select.content(
                    rx.foreach(S.classes, lambda c: rx.select.item(c["label"], value=c["value"]))
                ),
                value=S.class_id,
                on_change=S.choose_class,
                size="3",
            ),
            gap="8px",
            align="center",
            wrap="wrap",
        ),
    )


def _status_badge(status: Any, title: Any) -> rx.Component:
    def badge(color: str) -> rx.Component:
        return rx.badge(title, color_scheme=color, variant="soft", high_contrast=True)

    return rx.match(status, ("given", badge("green")), ("refused", badge("red")), badge("gray"))


def _row(r: Any) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(r.name, href=r.href), min_width="150px"),
        rx.table.cell(_status_badge(r.status, r.status_title)),
        rx.table.cell(
            rx.button(
                "Согласие",
                on_click=S.open_consent(r.student_id),
                variant="soft",
                min_height=TAP,
                aria_label="Согласие: " + r.name,
            )
        ),
        rx.table.cell(rx.text(r.parents, size="2"), min_width="200px"),
    )


def _class_list() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Список класса", size="4", as_="h2"),
            rx.text(
                "Согласие на обработку персональных данных оформляется по каждому родителю "
                "(законному представителю). «Не оформлено» — решения ещё нет: соберите заявления.",
                size="2",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.cond(
                S.students.length() > 0,  # type: ignore[attr-defined]
                rx.scroll_area(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("ФИО"),
                                rx.table.column_header_cell("Согласие"),
                                rx.table.column_header_cell("Действия"),
                                rx.table.column_header_cell("Родители"),
                            )
                        ),
                        rx.table.body(rx.foreach(S.students, _row)),
                        width="100%",
                    ),
                    type="auto",
                    scrollbars="horizontal",
                    width="100%",
                ),
                rx.text("В классе нет учащихся."),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# --------------------------------------------------------------------------- consent form


def _native_select(name: str, label: Any, options: dict[str, str], value: Any) -> rx.Component:
    return rx.el.select(
        *(rx.el.option(title, value=code) for code, title in options.items()),
        name=name,
        default_value=value,
        style=SELECT_STYLE,
        custom_attrs={"aria-label": label},
    )


def _parent_form(p: Any) -> rx.Component:
    field = {"size": "3", "width": "100%"}
    return rx.card(
        rx.form(
            rx.vstack(
                rx.text(
                    p.name,
                    rx.cond(p.relation != "", " (" + p.relation + ")", ""),
                    weight="bold",
                ),
                rx.text(
                    "Сейчас: ",
                    p.decision_title,
                    rx.cond(p.detail != "", ", " + p.detail, ""),
                    "; ",
                    p.account,
                    ".",
                    size="2",
                    color_scheme="gray",
                    high_contrast=True,
                ),
                rx.el.input(type="hidden", name="parent_id", value=p.parent_id.to(str)),
                rx.grid(
                    _labelled(
                        "Решение",
                        _native_select(
                            "decision",
                            "Решение родителя: " + p.name,
                            DECISIONS,
                            rx.cond(p.decision == "given", "withdrawn", "given"),
                        ),
                    ),
                    _labelled(
                        "Дата",
                        rx.input(
                            type="date",
                            name="date",
                            default_value=S.today,
                            max=S.today,
                            aria_label="Дата: " + p.name,
                            **field,
                        ),
                    ),
                    _labelled(
                        "Форма",
                        _native_select(
                            "form",
                            "Форма: " + p.name,
                            {"paper": "На бумаге", "electronic": "В электронном виде"},
                            "paper",
                        ),
                    ),
                    _labelled(
                        "Документ",
                        rx.input(
                            name="document",
                            placeholder="Заявление № …",
                            max_length=200,
                            aria_label="Документ: " + p.name,
                            **field,
                        ),
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="2",
                    width="100%",
                ),
                rx.button(
                    "Записать решение",
                    type="submit",
                    min_height=TAP,
                    aria_label="Записать решение: " + p.name,
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=S.save_consent,
            reset_on_submit=False,
            key=S.form_key.to(str) + "-" + p.parent_id.to(str),  # type: ignore[attr-defined]
            width="100%",
        ),
        width="100%",
    )


def _confirmation() -> rx.Component:
    return rx.cond(
        S.confirm_text != "",
        rx.callout(
            rx.vstack(
                rx.text(S.confirm_text),
                rx.flex(
                    rx.button(
                        "Да, записать отказ",
                        color_scheme="red",
                        high_contrast=True,
                        on_click=S.confirm_refusal,
                        min_height=TAP,
                    ),
                    rx.button(
                        "Отмена",
                        variant="soft",
                        color_scheme="gray",
                        on_click=S.cancel_refusal,
                        min_height=TAP,
                    ),
                    gap="8px",
                    wrap="wrap",
                ),
                spacing="2",
            ),
            icon="triangle_alert",
            color_scheme="red",
            high_contrast=True,
            role="alert",
            width="100%",
        ),
    )


def _consent_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Согласие на обработку персональных данных: " + S.consent_student),
            rx.dialog.description(
                "Запишите решение каждого родителя (законного представителя) [003 §5.2]. "
                "Если ни у кого из родителей нет действующего согласия, а кто-то отказался, "
                "учётные записи учащегося и родителей в электронном дневнике блокируются и не "
                "выдаются, а семья получает бумажные копии: домашние задания ежедневно, "
                "отметки еженедельно, итоговые отметки каждую четверть.",
                size="2",
            ),
            rx.vstack(
                rx.cond(
                    S.consent_accounts != "",
                    rx.callout(
                        "При отказе будут заблокированы учётные записи: " + S.consent_accounts,
                        icon="info",
                        color_scheme="amber",
                        high_contrast=True,
                        width="100%",
                    ),
                ),
                error_callout(S.consent_error),
                _confirmation(),
                rx.cond(
                    S.consent_parents.length() == 0,  # type: ignore[attr-defined]
                    rx.text(
                        "У учащегося нет связанных родителей: добавьте родителя в личном деле."
                    ),
                ),
                rx.foreach(S.consent_parents, _parent_form),
                rx.flex(
                    rx.dialog.close(
                        rx.button("Закрыть", variant="soft", color_scheme="gray", min_height=TAP)
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="12px",
            ),
            max_width="640px",
        ),
        open=S.consent_open,
        on_open_change=S.consent_dialog_changed,
    )


# --------------------------------------------------------------------------- paper copies


def _download_form(title: str, control: rx.Component, button: str, handler: Any) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(title, weight="medium"),
            control,
            rx.button(button, type="submit", min_height=TAP, width="100%"),
            spacing="2",
            width="100%",
        ),
        on_submit=handler,
        reset_on_submit=False,
        width="100%",
    )


def _period_select() -> rx.Component:
    return rx.cond(
        S.periods.length() > 0,  # type: ignore[attr-defined]
        rx.el.select(
            rx.foreach(S.periods, lambda o: rx.el.option(o["label"], value=o["value"])),
            name="period_id",
            default_value=S.paper_period,
            style=SELECT_STYLE,
            custom_attrs={"aria-label": "Учебный период"},
        ),
        rx.text("Учебные периоды года не заданы.", size="2"),
    )


def _refusing_row(r: Any) -> rx.Component:
    return rx.list_item(rx.link(r.name, href=r.href, underline="always"), " — ", r.parents)


def _paper_copies() -> rx.Component:
    field = {"size": "3", "width": "100%"}
    return rx.card(
        rx.vstack(
            rx.heading("Бумажные копии", size="4", as_="h2"),
            rx.text(
                "Семьи, отказавшиеся от обработки персональных данных, получают сведения из "
                "дневника на бумаге [003 §5.2]: домашние задания — ежедневно, отметки — "
                "еженедельно, итоговые отметки — каждую четверть. Каждому учащемуся — своя "
                "страница.",
                size="2",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.cond(
                S.refusing.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.text("Семьи без согласия:", weight="medium"),
                    rx.unordered_list(rx.foreach(S.refusing, _refusing_row)),
                    rx.cond(
                        S.paper_allowed,
                        rx.grid(
                            _download_form(
                                "Домашние задания на день",
                                rx.input(
                                    type="date",
                                    name="day",
                                    default_value=S.paper_day,
                                    aria_label="День для домашних заданий",
                                    **field,
                                ),
                                "Скачать домашние задания",
                                S.download_homework,
                            ),
                            _download_form(
                                "Отметки за неделю (любой день недели)",
                                rx.input(
                                    type="date",
                                    name="week",
                                    default_value=S.paper_week,
                                    aria_label="День недели для отметок",
                                    **field,
                                ),
                                "Скачать отметки за неделю",
                                S.download_week,
                            ),
                            _download_form(
                                "Итоговые отметки за период",
                                _period_select(),
                                "Скачать итоговые отметки",
                                S.download_period,
                            ),
                            columns=rx.breakpoints(initial="1", md="3"),
                            spacing="4",
                            width="100%",
                            # Drawn afresh with the class's defaults when the class changes.
                            key=S.class_id,
                        ),
                        rx.text(
                            "Бумажные копии печатают классный руководитель и секретарь.",
                            size="2",
                        ),
                    ),
                    error_callout(S.paper_error),
                    spacing="3",
                    width="100%",
                ),
                rx.text(
                    "Семей, отказавшихся от обработки персональных данных, в классе нет: "
                    "бумажные копии не нужны."
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# --------------------------------------------------------------------------- subgroups


def page() -> rx.Component:
    return layout(
        "Учащиеся класса",
        _class_picker(),
        rx.cond(S.class_name != "", rx.heading(S.class_name, size="5", as_="h2")),
        error_callout(S.error),
        _class_list(),
        _paper_copies(),
        subgroups_section(class_picker=False),
        _consent_dialog(),
    )
