"""``/setup/people``: Учащиеся и сотрудники (placeholder until its page is built)."""

from __future__ import annotations

from typing import Any

from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires


class PeopleSetupState(SessionState):
    """Учащиеся и сотрудники."""

    loaded: bool = False

    @requires(Permission.IMPORT_LISTS)
    async def load(self) -> Any:
        """On page load."""
        self.loaded = True
        return None
