"""``/admin/backups``: Резервные копии."""

from __future__ import annotations

import reflex as rx

from ejournal.components.layout import layout


def page() -> rx.Component:
    return layout("Резервные копии", rx.text("Страница в разработке."))
