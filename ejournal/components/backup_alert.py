"""A callout on the administrator's home page when the last backup failed."""

from __future__ import annotations

import reflex as rx

from ejournal.state.backup_alert import BackupAlertState


def backup_alert() -> rx.Component:
    """«Последняя резервная копия не удалась: … (дата)» with a link to /admin/backups."""
    return rx.cond(
        BackupAlertState.text != "",
        rx.callout(
            rx.vstack(
                rx.text(BackupAlertState.text),
                rx.link("Открыть «Резервные копии»", href="/admin/backups"),
                spacing="1",
            ),
            icon="triangle_alert",
            color_scheme="red",
            high_contrast=True,
            role="alert",
            width="100%",
        ),
    )
