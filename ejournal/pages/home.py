"""``/dashboard``: the deputy's and director's home. The control figures are not built
yet, so the page says so plainly and links to what already works."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout
from ejournal.domain.models import Role
from ejournal.state.base import SessionState


def _link_card(title: str, href: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(title, href=href, weight="bold", size="3"),
            rx.text(text, size="2", color_scheme="gray"),
            spacing="1",
        ),
        width="100%",
    )


def dashboard() -> rx.Component:
    """``/dashboard``: what the control page holds now and where the working pages are."""
    return layout(
        "Контроль ведения журнала",
        rx.callout(
            "Сводные показатели (наполняемость журнала, своевременность записей, "
            "успеваемость по классам) пока не готовы. Сейчас можно открыть журнал любого "
            "класса и предмета, посмотреть объявления и переписку.",
            icon="info",
            width="100%",
        ),
        rx.grid(
            _link_card(
                "Журнал",
                "/journal",
                "Отметки, посещаемость, темы и домашние задания по классу и предмету.",
            ),
            rx.cond(
                SessionState.active_role == Role.DIRECTOR.value,
                _link_card(
                    "Журнал аудита",
                    "/admin/audit",
                    "Кто, когда и что изменил: отметки, пропуски, учётные записи.",
                ),
            ),
            _link_card(
                "Объявления",
                "/announcements",
                "Объявления для классов и школы: текущие, будущие, снятие с показа.",
            ),
            _link_card("Сообщения", "/messages", "Переписка с родителями и учащимися."),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
    )
