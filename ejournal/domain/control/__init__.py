"""The deputy's control room: the regulations as a checklist (`checklist`), the school's
reports (`reports`), their exports (`export`) and the shapes they share (`table`).

No Reflex here: the dashboard's State, the CLI (`ejournal report`) and the bench call these.
"""

from ejournal.domain.control.checklist import RULES, Rule, checklist_report, run_checklist
from ejournal.domain.control.ktp import ktp_report
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
    "RULES",
    "Column",
    "Filters",
    "Finding",
    "Report",
    "Rule",
    "Window",
    "checklist_report",
    "ktp_report",
    "month_window",
    "period_window",
    "run_checklist",
]
