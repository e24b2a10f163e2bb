"""``/lesson``: marking one lesson from a phone — big buttons, one student per line."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.components.layout import layout
from ejournal.state.journal.phone import LessonMarkingState

S = LessonMarkingState
BUTTON = "44px"


def _button(p: Any, value: str, label: str, color: str) -> rx.Component:
    return rx.button(
        label,
        on_click=S.put(p["id"], value),
        variant=rx.cond(p["text"].contains(value), "solid", "soft"),
        color_scheme=color,
        min_width=BUTTON,
        min_height=BUTTON,
        size="3",
        aria_label=f"{label} — " + p["name"],
        disabled=~S.can_write,
    )


def _pupil(p: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(p["name"], weight="medium", size="3"),
                rx.spacer(),
                rx.text(p["text"], weight="bold", size="5", data_testid="pupil-value"),
                width="100%",
                align="center",
            ),
            rx.flex(
                rx.cond(
                    S.marks_allowed,
                    rx.fragment(
                        _button(p, "5", "5", "green"),
                        _button(p, "4", "4", "grass"),
                        _button(p, "3", "3", "amber"),
                        _button(p, "2", "2", "red"),
                    ),
                ),
                _button(p, "н", "н", "gray"),
                gap="2",
                wrap="wrap",
            ),
            rx.cond(p["note"] != "", rx.text(p["note"], size="1", color_scheme="red")),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="pupil",
    )


def page() -> rx.Component:
    """``/lesson``."""
    return layout(
        "Урок",
        rx.cond(
            S.load_error != "",
            rx.callout(S.load_error, icon="triangle-alert", color_scheme="red", width="100%"),
            rx.vstack(
                rx.heading(S.title, size="4"),
                rx.text(S.subtitle, color_scheme="gray"),
                rx.text(
                    "Нажмите отметку или «н»; повторное нажатие снимает её. Всё сохраняется "
                    "сразу. ",
                    rx.link("Открыть страницу журнала", href=S.journal_link),
                    size="2",
                ),
                rx.cond(
                    ~S.can_write,
                    rx.callout(
                        "В этот урок писать нельзя: только просмотр.", icon="lock", width="100%"
                    ),
                ),
                rx.foreach(S.pupils, _pupil),
                spacing="2",
                width="100%",
                max_width="560px",
            ),
        ),
    )
