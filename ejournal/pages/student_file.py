"""``/student``: Личное дело учащегося."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Личное дело учащегося", rx.text("Страница в разработке."))
