"""``/setup/timetable``: Расписание и замены."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Расписание и замены", rx.text("Страница в разработке."))
