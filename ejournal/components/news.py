"""«Новое» in the diary: what appeared since the last visit, and the e-mail choices."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import error_callout
from ejournal.state.base import SessionState
from ejournal.state.news import NewsState

TAP = "44px"


def _item(row: Any) -> rx.Component:
    return rx.link(
        rx.flex(
            rx.badge("новое", color_scheme="orange", variant="solid", high_contrast=True, size="1"),
            rx.vstack(
                rx.text(
                    rx.text(row.kind, weight="bold", as_="span"),
                    rx.cond(row.child != "", rx.text(" · ", row.child, as_="span")),
                    size="2",
                ),
                rx.text(row.text, size="2", overflow_wrap="anywhere"),
                rx.text(row.when, size="1", color_scheme="gray"),
                spacing="0",
                min_width="0",
            ),
            gap="8px",
            align="start",
            min_height=TAP,
            padding_y="4px",
        ),
        href=row.href,
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        class_name="news-item",
    )


def _choices() -> rx.Component:
    s = NewsState
    return rx.form(
        rx.vstack(
            rx.text("Уведомления по почте", weight="bold", size="2"),
            rx.cond(
                s.email != "",
                rx.text("Адрес: ", s.email, size="1", color_scheme="gray"),
                rx.text(
                    "В школе не записан ваш адрес: попросите классного руководителя.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            rx.cond(
                ~s.mail_on,
                rx.text("Почта в школе пока не настроена: письма не отправляются.", size="1"),
            ),
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    name="email_new",
                    id="notice-email-new",
                    default_checked=s.email_new,
                    style={"width": "20px", "height": "20px"},
                ),
                "Письмо, когда появляется новое",
                html_for="notice-email-new",
                style={"display": "flex", "gap": "8px", "align-items": "center"},
            ),
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    name="email_digest",
                    id="notice-email-digest",
                    default_checked=s.email_digest,
                    style={"width": "20px", "height": "20px"},
                ),
                "Сводка за неделю",
                html_for="notice-email-digest",
                style={"display": "flex", "gap": "8px", "align-items": "center"},
            ),
            error_callout(s.choices_error),
            rx.button("Сохранить", type="submit", size="2", variant="soft", min_height=TAP),
            spacing="2",
        ),
        on_submit=s.save_choices,
        reset_on_submit=False,
        # Redrawn when the stored choices arrive (the boxes are uncontrolled).
        key=s.email_new.to_string() + s.email_digest.to_string(),  # type: ignore[attr-defined]
    )


def news_panel() -> rx.Component:
    """The «Новое» card for a family: new items (each marked «новое») and the choices."""
    s = NewsState
    return rx.box(
        _panel(),
        on_mount=s.load,
        width="100%",
    )


def _panel() -> rx.Component:
    s = NewsState
    family = (SessionState.active_role == "parent") | (SessionState.active_role == "student")
    return rx.cond(
        s.loaded & family,
        rx.card(
            rx.vstack(
                rx.flex(
                    rx.heading("Новое", size="4", as_="h2"),
                    rx.cond(
                        s.count > 0,
                        rx.badge(
                            s.count,
                            color_scheme="orange",
                            variant="solid",
                            high_contrast=True,
                            radius="full",
                        ),
                    ),
                    rx.spacer(),
                    rx.cond(
                        s.count > 0,
                        rx.button(
                            "Всё просмотрено",
                            on_click=s.all_seen,
                            variant="outline",
                            size="2",
                            min_height=TAP,
                        ),
                    ),
                    align="center",
                    gap="8px",
                    width="100%",
                ),
                rx.cond(
                    s.count == 0,
                    rx.text("С прошлого визита ничего нового.", size="2", color_scheme="gray"),
                    rx.vstack(rx.foreach(s.items, _item), spacing="1", width="100%"),
                ),
                rx.accordion.root(
                    rx.accordion.item(
                        header="Уведомления по почте",
                        content=_choices(),
                        value="mail",
                    ),
                    collapsible=True,
                    type="single",
                    variant="ghost",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
            class_name="news-panel",
        ),
    )
