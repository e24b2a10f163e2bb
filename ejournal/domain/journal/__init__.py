"""The class journal (ЭЖ): reading a page, writing cells, lessons and period marks.

Owns: read (pages, lists, live changes), write (cells, pastes, lessons, period marks,
excuses, remarks), period_marks («выставить расчётные» for a whole page), absences
(excusing a student's days with one reason), context (shared loading), data (the plain
results). The services the
pages call are re-exported here.
"""

from __future__ import annotations

from ejournal.domain.journal.absences import (
    absences_between,
    class_students,
    excuse_absences,
)
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
    PeriodMarkChoice,
    PeriodMarkItem,
    PeriodMarkProposal,
    PeriodMarkResult,
    PeriodMarkRowError,
    PeriodMarksResult,
    PeriodRef,
    PlanItemRef,
    RemarkResult,
    StudentChoice,
    StudentRow,
)
from ejournal.domain.journal.period_marks import propose_period_marks, set_period_marks
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
    "PeriodMarkChoice",
    "PeriodMarkItem",
    "PeriodMarkProposal",
    "PeriodMarkResult",
    "PeriodMarkRowError",
    "PeriodMarksResult",
    "PeriodRef",
    "PlanItemRef",
    "RemarkResult",
    "StudentChoice",
    "StudentRow",
    "absences_between",
    "changes_since",
    "class_students",
    "create_lesson",
    "excuse_absence",
    "excuse_absences",
    "list_pages",
    "list_teacher_lessons",
    "load_page",
    "paste_block",
    "propose_period_marks",
    "search_plan_items",
    "set_cell",
    "set_lesson_details",
    "set_period_mark",
    "set_period_marks",
    "take_attendance",
    "unexcused_absences",
    "write_remark",
]
