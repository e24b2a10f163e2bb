"""``/setup/people``: Учащиеся и сотрудники."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Учащиеся и сотрудники", rx.text("Страница в разработке."))
