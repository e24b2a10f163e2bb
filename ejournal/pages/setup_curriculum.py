"""``/setup/curriculum``: Учебный план и нагрузка."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Учебный план и нагрузка", rx.text("Страница в разработке."))
