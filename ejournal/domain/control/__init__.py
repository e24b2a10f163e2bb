"""The deputy's control room: the regulations as a checklist (`checklist`), the school's
reports (`reports`), their exports (`export`) and the shapes they share (`table`).

No Reflex here: the dashboard's State, the CLI (`ejournal report`) and the bench call these.
"""

from ejournal.domain.control.table import (
    Column,
    Filters,
    Finding,
    Report,
    Window,
    month_window,
    period_window,
)

__all__ = [
    "Column",
    "Filters",
    "Finding",
    "Report",
    "Window",
    "month_window",
    "period_window",
]
