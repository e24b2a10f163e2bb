"""``/class/confirmations`` (who confirmed the week) and ``/announcements`` (post one, list
the current and future ones, end one early)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.diary_nav import TAP
from ejournal.components.layout import error_callout, layout
from ejournal.state.diary_staff import AnnouncementsState, ConfirmationsState


def _class_select(
    options: Any,
    value: Any = None,
    on_change: Any = None,
    name: str = "",
    default_value: Any = None,
) -> Any:
    extra: dict[str, Any] = {}
    if value is not None:
        extra["value"] = value
    if default_value is not None:
        extra["default_value"] = default_value
    if on_change is not None:
        extra["on_change"] = on_change
    if name:
        extra["name"] = name
    return rx.select.root(
        rx.select.trigger(placeholder="Класс", aria_label="Класс", min_height=TAP),
        rx.select.content(
            rx.foreach(options, lambda c: rx.select.item(c.label, value=c.value)),
        ),
        size="3",
        **extra,
    )


def _confirmation(r: Any) -> rx.Component:
    return rx.flex(
        rx.icon(
            rx.cond(r.confirmed, "circle_check", "circle_dashed"),
            color=rx.cond(r.confirmed, "var(--green-9)", "var(--gray-8)"),
            flex_shrink="0",
        ),
        rx.vstack(
            rx.text(r.name, weight="medium", size="2"),
            rx.text(r.detail, size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
        ),
        gap="10px",
        align="center",
        padding_y="6px",
        border_top="1px solid var(--gray-a4)",
        width="100%",
    )


def confirmations() -> rx.Component:
    s = ConfirmationsState
    return layout(
        "Ознакомление с неделей",
        rx.flex(
            _class_select(s.classes, value=s.class_id, on_change=lambda v: s.show(v, s.week_start)),
            rx.flex(
                rx.icon_button(
                    rx.icon("chevron_left"),
                    on_click=s.show(s.class_id, s.prev_week),
                    variant="soft",
                    size="3",
                    aria_label="Предыдущая неделя",
                ),
                rx.text(s.week_label, weight="bold"),
                rx.icon_button(
                    rx.icon("chevron_right"),
                    on_click=s.show(s.class_id, s.next_week),
                    variant="soft",
                    size="3",
                    aria_label="Следующая неделя",
                ),
                gap="8px",
                align="center",
            ),
            gap="12px",
            wrap="wrap",
            align="center",
        ),
        rx.cond(
            s.loaded & (s.classes.length() == 0),  # type: ignore[attr-defined]
            rx.text("Нет классов, которые вы ведёте.", color_scheme="gray"),
        ),
        rx.cond(
            s.rows.length() > 0,  # type: ignore[attr-defined]
            rx.card(
                rx.text(
                    "Подтвердили: ",
                    s.confirmed_count,
                    " из ",
                    s.rows.length(),  # type: ignore[attr-defined]
                    weight="bold",
                ),
                rx.box(rx.foreach(s.rows, _confirmation), margin_top="8px"),
                width="100%",
                max_width="720px",
            ),
        ),
    )


def _managed(m: Any) -> rx.Component:
    """One announcement on the list: audience, dates, author, text and «Снять»."""
    s = AnnouncementsState
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.badge(m.audience, variant="soft", size="2"),
                rx.badge(
                    m.dates,
                    variant="outline",
                    color_scheme=rx.cond(m.started, "green", "gray"),
                    size="2",
                ),
                gap="6px",
                wrap="wrap",
            ),
            rx.text(m.title, weight="bold", overflow_wrap="anywhere"),
            rx.text(m.body, size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
            rx.flex(
                rx.text(m.author, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(
                            "Снять с показа",
                            variant="outline",
                            color_scheme="red",
                            size="2",
                            min_height=TAP,
                        ),
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Снять объявление?"),
                        rx.alert_dialog.description(
                            "С сегодняшнего дня семьи его больше не увидят.", size="2"
                        ),
                        rx.flex(
                            rx.alert_dialog.cancel(
                                rx.button("Отмена", variant="soft", color_scheme="gray", size="3")
                            ),
                            rx.alert_dialog.action(
                                rx.button(
                                    "Снять",
                                    color_scheme="red",
                                    size="3",
                                    on_click=s.end_early(m.key),
                                )
                            ),
                            gap="8px",
                            justify="end",
                            margin_top="12px",
                        ),
                        max_width="360px",
                    ),
                ),
                align="center",
                gap="8px",
                wrap="wrap",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="managed-announcement",
    )


def announcements() -> rx.Component:
    s = AnnouncementsState
    return layout(
        "Объявления",
        rx.card(
            rx.cond(
                s.loaded,
                _announcement_form(s),
                rx.text("Загрузка…", color_scheme="gray"),
            ),
            width="100%",
            max_width="720px",
        ),
        rx.heading("Текущие и будущие", size="4", as_="h2"),
        rx.cond(
            s.loaded & (s.managed.length() == 0),  # type: ignore[attr-defined]
            rx.text("Объявлений нет.", color_scheme="gray"),
        ),
        rx.vstack(rx.foreach(s.managed, _managed), spacing="2", width="100%", max_width="720px"),
    )


def _announcement_form(s: type[AnnouncementsState]) -> rx.Component:
    """The new announcement's form, drawn afresh (empty, today's dates) when its key changes."""
    field = {"size": "3", "width": "100%"}
    return rx.form(
        rx.vstack(
            rx.heading("Новое объявление", size="4", as_="h2"),
            rx.text("Кому", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(aria_label="Кому", min_height=TAP),
                rx.select.content(
                    rx.foreach(
                        s.audiences,
                        lambda a: rx.select.item(a["label"], value=a["value"]),
                    )
                ),
                name="audience",
                default_value="class",
                size="3",
            ),
            rx.text("Класс (для объявления классу)", size="2", weight="medium"),
            _class_select(s.classes, name="class_id", default_value=s.default_class),
            rx.input(name="title", placeholder="Заголовок", aria_label="Заголовок", **field),
            rx.text_area(
                name="body",
                placeholder="Текст объявления",
                aria_label="Текст объявления",
                rows="5",
                width="100%",
            ),
            rx.flex(
                rx.vstack(
                    rx.text("С", size="2"),
                    rx.input(
                        type="date",
                        name="starts_on",
                        default_value=s.today,
                        aria_label="Дата начала",
                        **field,
                    ),
                    flex="1",
                    min_width="140px",
                ),
                rx.vstack(
                    rx.text("По", size="2"),
                    rx.input(
                        type="date",
                        name="ends_on",
                        default_value=s.default_end,
                        aria_label="Дата окончания",
                        **field,
                    ),
                    flex="1",
                    min_width="140px",
                ),
                rx.vstack(
                    rx.text("Дата события (если есть)", size="2"),
                    rx.input(
                        type="date",
                        name="event_on",
                        aria_label="Дата события",
                        **field,
                    ),
                    flex="1",
                    min_width="140px",
                ),
                gap="12px",
                wrap="wrap",
                width="100%",
            ),
            error_callout(s.form_error),
            rx.button("Опубликовать", type="submit", size="3", min_height=TAP),
            spacing="2",
            width="100%",
        ),
        on_submit=s.post,
        reset_on_submit=False,
        width="100%",
        # A new key after each post draws the form afresh (empty, today's dates).
        key=s.form_key,
    )
