"""What a user sees when the page itself breaks: Russian, never the framework's English."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import noop
from reflex_components_core.base.error_boundary import ErrorBoundary


def _fallback() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h2(
                "Страница не смогла отобразиться",
                style={"fontSize": "1.4rem", "fontWeight": "bold", "margin": "0"},
            ),
            rx.el.p(
                "Это ошибка в самом приложении, а не ваша. Сохранённые отметки и записи "
                "не пострадали. Обновите страницу; если ошибка повторится, сообщите "
                "администратору электронного журнала.",
                style={"margin": "1rem 0"},
            ),
            rx.el.a(
                "Обновить страницу",
                href="",
                style={
                    "padding": "0.5rem 1.2rem",
                    "borderRadius": "6px",
                    "background": "#3e63dd",
                    "color": "#fff",
                    "textDecoration": "none",
                },
            ),
            style={"maxWidth": "min(60ch, 90vw)", "padding": "1rem"},
        ),
        style={
            "position": "absolute",
            "inset": "0",
            "display": "flex",
            "alignItems": "center",
            "justifyContent": "center",
            "background": "#fff",
            "color": "#000",
        },
        id="ej-page-error",
    )


def error_boundary(stateful: bool) -> rx.Component:
    """The app's error boundary (replaces Reflex's) with a Russian fallback page."""
    props: dict[str, Any] = {"fallback_render": _fallback()}
    if not stateful:
        props["on_error"] = noop()
    return ErrorBoundary.create(**props)
