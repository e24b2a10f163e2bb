"""``/setup/timetable``: Расписание и замены (placeholder until its page is built)."""

from __future__ import annotations

from typing import Any

from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires


class TimetableState(SessionState):
    """Расписание и замены."""

    loaded: bool = False

    @requires(Permission.TIMETABLE_MANAGE)
    async def load(self) -> Any:
        """On page load."""
        self.loaded = True
        return None
