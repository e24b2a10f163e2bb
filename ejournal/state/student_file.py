"""``/student``: Личное дело учащегося (placeholder until its page is built)."""

from __future__ import annotations

from typing import Any

from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires


class StudentFileState(SessionState):
    """Личное дело учащегося."""

    loaded: bool = False

    @requires(Permission.STUDENT_PERSONAL_READ)
    async def load(self) -> Any:
        """On page load."""
        self.loaded = True
        return None
