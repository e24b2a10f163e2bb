"""The teacher's journal (ЭЖ): the services the journal page calls, in one place.

Reading lives in `journal_page`, writing in `journal_write`, shared loading in
`journal_context`, and the plain data they return in `journal_data`.
"""

from __future__ import annotations

from ejournal.domain.journal_data import (
    AbsenceItem,
    AttendanceItem,
    CellError,
    CellResult,
    CellState,
    JournalPage,
    LessonColumn,
    LessonItem,
    MarkItem,
    PageChanges,
    PageRef,
    PasteResult,
    PeriodMarkItem,
    PeriodMarkResult,
    PeriodRef,
    PlanItemRef,
    RemarkResult,
    StudentRow,
)
from ejournal.domain.journal_page import (
    ABSENCE_WEEKS,
    changes_since,
    list_pages,
    list_teacher_lessons,
    load_page,
    search_plan_items,
    unexcused_absences,
)
from ejournal.domain.journal_write import (
    create_lesson,
    excuse_absence,
    paste_block,
    set_cell,
    set_lesson_details,
    set_period_mark,
    write_remark,
)

__all__ = [
    "ABSENCE_WEEKS",
    "AbsenceItem",
    "AttendanceItem",
    "CellError",
    "CellResult",
    "CellState",
    "JournalPage",
    "LessonColumn",
    "LessonItem",
    "MarkItem",
    "PageChanges",
    "PageRef",
    "PasteResult",
    "PeriodMarkItem",
    "PeriodMarkResult",
    "PeriodRef",
    "PlanItemRef",
    "RemarkResult",
    "StudentRow",
    "changes_since",
    "create_lesson",
    "excuse_absence",
    "list_pages",
    "list_teacher_lessons",
    "load_page",
    "paste_block",
    "search_plan_items",
    "set_cell",
    "set_lesson_details",
    "set_period_mark",
    "unexcused_absences",
    "write_remark",
]
