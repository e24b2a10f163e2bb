"""``/setup/school``: Учебный год и классы."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Учебный год и классы", rx.text("Страница в разработке."))
