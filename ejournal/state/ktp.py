"""``/ktp``: КТП (placeholder until its page is built)."""

from __future__ import annotations

from typing import Any

from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires


class KtpState(SessionState):
    """КТП."""

    loaded: bool = False

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """On page load."""
        self.loaded = True
        return None
