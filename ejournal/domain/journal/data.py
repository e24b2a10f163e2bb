"""Plain, frozen data the journal services return: ready for a UI, no ORM objects.

A cell's `version` is the id of the audit row of its last change (0 when the cell was
never written or was cleared). Audit ids only grow, so a cell that is cleared and filled
again never returns to a version a client saw earlier: a client holding an old version
always gets a conflict instead of overwriting someone else's mark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class MarkItem:
    value: int
    slot: int
    work_type_id: int | None
    work_type: str  # abbreviation or name, "" when none
    weight: Decimal
    version: int


@dataclass(frozen=True)
class AttendanceItem:
    id: int
    status: str  # AttendanceStatus value
    reason: str
    version: int


@dataclass(frozen=True)
class CellState:
    """One cell: a student at a lesson."""

    student_id: int
    lesson_id: int
    marks: tuple[MarkItem, ...] = ()
    attendance: AttendanceItem | None = None
    version: int = 0

    @property
    def text(self) -> str:
        """What the grid shows: "5", "54", "н" or ""."""
        if self.attendance is not None and self.attendance.status in ("absent", "excused"):
            return "н"
        return "".join(str(m.value) for m in sorted(self.marks, key=lambda m: m.slot))

    @property
    def excused(self) -> bool:
        return self.attendance is not None and self.attendance.status == "excused"


@dataclass(frozen=True)
class LessonColumn:
    """One lesson column of a page."""

    id: int
    assignment_id: int
    date: dt.date
    label: str  # "dd.mm"
    number: int
    work_type_id: int | None
    work_type: str  # abbreviation, "" when none
    work_type_name: str
    topic: str
    plan_item_id: int | None
    homework: str
    homework_links: tuple[str, ...]
    cancelled: bool
    is_control: bool
    substitute_teacher_id: int | None
    version: int
    # Whether the viewer may write into this column, and if not, why (Russian).
    editable: bool = False
    lock_reason: str = ""
    # Older than the school's edit-lock days: a change needs a reason.
    needs_reason: bool = False
    # The teacher said there is no homework («не задано»), as opposed to writing none down.
    homework_none: bool = False
    # When attendance was taken (the first absence or «все присутствуют»), in the school's
    # time zone; None: nobody recorded attendance for this lesson yet.
    attendance_taken_at: dt.datetime | None = None
    # A lesson held (not cancelled, not in the future) whose attendance nobody recorded.
    attendance_missing: bool = False
    # The day the teacher chose for the homework; None: the next lesson of the subject.
    homework_due_on: dt.date | None = None


@dataclass(frozen=True)
class AbsenceItem:
    """An absence without a valid reason (yet), as the class teacher's list shows it."""

    attendance_id: int
    student_id: int
    student_name: str  # "Иванов Иван Петрович"
    lesson_id: int
    date: dt.date
    number: int  # the lesson's number in the day
    subject_name: str
    version: int  # the cell's version, for excuse_absence(expected_version=...)


@dataclass(frozen=True)
class PeriodMarkItem:
    period_id: int
    value: int | None
    not_attested: bool
    justification: str
    version: int


@dataclass(frozen=True)
class StudentRow:
    """A student's row: who, when enrolled, and the figures after the last date."""

    id: int
    number: int
    full_name: str
    short_name: str  # "Иванов Иван"
    enrolled: tuple[tuple[dt.date, dt.date], ...]  # clipped to the period
    not_enrolled_lesson_ids: frozenset[int]
    marks_count: int
    absences: int
    absences_unexcused: int
    average: Decimal | None
    suggested: int | None
    period_mark: PeriodMarkItem | None
    year_mark: PeriodMarkItem | None = None
    year_suggested: int | None = None
    may_be_unattested: bool = False


@dataclass(frozen=True)
class PeriodRef:
    id: int
    kind: str
    number: int
    name: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class JournalPage:
    """One page: an assignment (class or subgroup × subject) × a period."""

    assignment_id: int
    period: PeriodRef
    year_period: PeriodRef | None  # set when this is the last period of the year
    class_id: int
    class_name: str  # "5 «А»"
    subgroup_name: str
    subject_id: int
    subject_name: str
    teacher_name: str
    grade: int
    marks_allowed: bool
    no_marks_reason: str  # why only attendance can be written, "" when marks are allowed
    two_marks_allowed: bool  # by the subject; a lesson's work type must allow it too
    can_write: bool  # marks and attendance in (some of) the columns
    can_write_period_marks: bool
    students: tuple[StudentRow, ...]
    lessons: tuple[LessonColumn, ...]
    cells: dict[tuple[int, int], CellState]  # (student_id, lesson_id) → cell
    control_missing: dict[int, tuple[int, ...]]  # lesson_id → present students with no mark
    last_audit_id: int  # pass to changes_since() to refresh
    today: dt.date

    def cell(self, student_id: int, lesson_id: int) -> CellState:
        return self.cells.get((student_id, lesson_id)) or CellState(student_id, lesson_id)

    def cell_editability(self, student_id: int, lesson_id: int) -> tuple[bool, str]:
        """(editable, why not) for one cell, as set_cell would judge it."""
        column = next((c for c in self.lessons if c.id == lesson_id), None)
        if column is None:
            return False, "Урок не найден на этой странице."
        if not column.editable:
            return False, column.lock_reason
        student = next((s for s in self.students if s.id == student_id), None)
        if student is None or lesson_id in student.not_enrolled_lesson_ids:
            return False, "Учащийся не числится в классе в этот день."
        return True, ""


@dataclass(frozen=True)
class CellResult:
    """The saved cell and the student's refreshed figures (a small change for the grid)."""

    cell: CellState
    changed: bool
    marks_count: int
    absences: int
    average: Decimal | None
    suggested: int | None


@dataclass(frozen=True)
class CellError:
    student_id: int
    lesson_id: int
    message: str
    current: CellState | None = None  # set for conflicts


@dataclass(frozen=True)
class PasteResult:
    """All cells saved, or none (then `errors` names every bad cell)."""

    saved: bool
    cells: tuple[CellState, ...] = ()
    errors: tuple[CellError, ...] = ()


@dataclass(frozen=True)
class LessonItem:
    """A lesson of the day in a teacher's list; `lesson_id` is None for a slot not yet opened."""

    lesson_id: int | None
    assignment_id: int
    period_id: int | None
    date: dt.date
    number: int
    starts_at: dt.time | None
    class_name: str
    subgroup_name: str
    subject_name: str
    topic: str
    room: str
    cancelled: bool
    is_substitute: bool  # the viewer substitutes for the assignment's teacher
    substituted_by: int | None  # staff id of a substitute for the viewer's own lesson


@dataclass(frozen=True)
class PageRef:
    assignment_id: int
    period_id: int
    class_id: int
    class_name: str
    subgroup_name: str
    subject_name: str
    teacher_name: str
    period_name: str
    starts_on: dt.date
    ends_on: dt.date
    own: bool  # the viewer teaches it


@dataclass(frozen=True)
class PlanItemRef:
    id: int
    number: int
    topic: str
    hours: int
    work_type_id: int | None
    planned_on: dt.date | None
    used: bool  # already the topic of a lesson


@dataclass(frozen=True)
class PeriodMarkResult:
    student_id: int
    subject_id: int
    period_id: int
    value: int | None
    not_attested: bool
    justification: str
    suggested: int | None
    version: int


@dataclass(frozen=True)
class RemarkResult:
    id: int
    student_id: int
    kind: str
    text: str
    lesson_id: int | None
    subject_id: int | None
    created_at: dt.datetime


@dataclass(frozen=True)
class PageChanges:
    """What changed on a page after an audit id: only the changed parts."""

    last_audit_id: int
    cells: tuple[CellState, ...] = ()
    lessons: tuple[LessonColumn, ...] = ()
    students: tuple[StudentRow, ...] = ()  # refreshed figures of students whose cells changed
    reload: bool = False  # columns were added: load the page again


@dataclass(frozen=True)
class PeriodMarkProposal:
    """One student's row of «выставить расчётные»: the suggestion beside what is stored.

    `status`: "new" (no mark yet, a suggestion), "same" (the stored mark is the suggested
    one), "differs" (a different mark is stored), "no_marks" (no current marks: nothing
    to suggest).
    """

    student_id: int
    number: int
    full_name: str
    marks_count: int
    average: Decimal | None
    suggested: int | None
    current: PeriodMarkItem | None
    status: str


@dataclass(frozen=True)
class PeriodMarkChoice:
    """A period mark the teacher chose for one student in «выставить расчётные»."""

    student_id: int
    value: int | None
    expected_version: int
    justification: str = ""
    not_attested: bool = False


@dataclass(frozen=True)
class PeriodMarkRowError:
    student_id: int
    message: str
    current: PeriodMarkResult | None = None  # set for conflicts: what is stored now


@dataclass(frozen=True)
class PeriodMarksResult:
    """All chosen marks saved, or none (then `errors` names every refused row)."""

    saved: bool
    marks: tuple[PeriodMarkResult, ...] = ()
    changed: int = 0
    errors: tuple[PeriodMarkRowError, ...] = ()


@dataclass(frozen=True)
class StudentChoice:
    """A student of the class teacher's class, to pick in a form."""

    id: int
    name: str  # "Иванов Иван Петрович"
    class_id: int
