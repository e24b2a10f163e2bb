"""``/setup/school``: Учебный год и классы (placeholder until its page is built)."""

from __future__ import annotations

from typing import Any

from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires


class SchoolSetupState(SessionState):
    """Учебный год и классы."""

    loaded: bool = False

    @requires(Permission.SETTINGS_MANAGE)
    async def load(self) -> Any:
        """On page load."""
        self.loaded = True
        return None
