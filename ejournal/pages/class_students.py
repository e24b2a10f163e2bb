"""``/class/students``: Учащиеся класса."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Учащиеся класса", rx.text("Страница в разработке."))
