"""The administrator's home page: a failed last backup is shown there, not only in a log."""

from __future__ import annotations

from typing import Any

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.records import schedule
from ejournal.state.admin_backups import when
from ejournal.state.base import SessionState, requires, run_service


class BackupAlertState(SessionState):
    """«Последняя резервная копия не удалась: … (дата)», or nothing."""

    text: str = ""

    @requires(Permission.BACKUP_MANAGE)
    async def load(self) -> Any:
        """On the admin's home page load: the last finished backup, when it failed."""
        try:
            alert = await run_service(schedule.last_failure, actor=self._actor())
        except DomainError:
            alert = None  # not the installation's administrator: nothing to show
        self.text = (
            f"Последняя резервная копия не удалась: {alert.error} "
            f"({when(alert.started_at, alert.timezone)})"
            if alert is not None
            else ""
        )
        return None
