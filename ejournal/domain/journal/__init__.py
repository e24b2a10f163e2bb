"""The class journal (ЭЖ): reading a page, writing cells, lessons and period marks.

Owns: read (pages, lists, live changes), write (cells, pastes, lessons, period marks,
excuses, remarks), context (shared loading), data (the plain results). The services the
pages call are re-exported here.
"""

from __future__ import annotations

from ejournal.domain.journal.data import (
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
from ejournal.domain.journal.read import (
    ABSENCE_WEEKS,
    changes_since,
    list_pages,
    list_teacher_lessons,
    load_page,
    search_plan_items,
    unexcused_absences,
)
from ejournal.domain.journal.write import (
    create_lesson,
    excuse_absence,
    paste_block,
    set_cell,
    set_lesson_details,
    set_period_mark,
    take_attendance,
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
    "take_attendance",
    "unexcused_absences",
    "write_remark",
]
