"""Shared loading and rules of the journal services (reads only; no permission checks here).

Everything here loads in a fixed, small number of queries so pages and pastes stay fast.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.journal.data import AttendanceItem, CellState, MarkItem
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AuditLog,
    ClassGroup,
    Enrolment,
    Holiday,
    Lesson,
    Mark,
    Period,
    PeriodKind,
    PeriodSeal,
    School,
    Staff,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    WorkType,
)

TERM_KINDS = (PeriodKind.QUARTER.value, PeriodKind.HALF_YEAR.value)
DEFAULT_WORK_TYPE_CODE = "answer"
DEFAULT_WORK_TYPE_NAME = "Ответ на уроке"


def needs_reason(school: School, lesson_date: dt.date, today: dt.date) -> bool:
    """Cells of a lesson older than the school's edit-lock days need a reason to change."""
    return school.edit_lock_days > 0 and (today - lesson_date).days > school.edit_lock_days


def sealed_reason(sealed_at: dt.datetime) -> str:
    """What the grid says on a lesson of a closed period (the date as the school reads it)."""
    return f"Период закрыт {sealed_at:%d.%m.%Y}: укажите причину изменения."


def closed_year_message(name: str) -> str:
    return f"Учебный год {name} закрыт: изменения невозможны."


def require_open_year(session: Session, year_id: int) -> None:
    """Refuse any write into a closed academic year (the one guard every write path calls).

    The year row is share-locked until commit (PostgreSQL), so `close_year`, which locks
    it for update, waits for writes under way and a write after it sees the year closed.
    """
    year = session.exec(
        select(AcademicYear).where(AcademicYear.id == year_id).with_for_update(read=True)
    ).first()
    if year is not None and year.closed_at is not None:
        raise ValidationError(closed_year_message(year.name))


def year_closed(session: Session, year_id: int) -> bool:
    """Whether the year is closed (read-only: no lock)."""
    closed = session.exec(select(AcademicYear.closed_at).where(AcademicYear.id == year_id)).first()
    return closed is not None


def seal_on(
    session: Session, class_id: int, on: dt.date, *, lock: bool = False
) -> PeriodSeal | None:
    """The seal of the class's term that holds `on`, or None while it is open.

    `lock=True` (writers) share-locks the class row first, so a write and `seal_period`
    (which locks the class row for update) never overlap: either the write lands before
    the seal and is in its digest, or it sees the seal and needs a reason.
    """
    if lock:
        session.exec(
            select(ClassGroup.id).where(ClassGroup.id == class_id).with_for_update(read=True)
        ).first()
    return session.exec(
        select(PeriodSeal)
        .join(Period, col(Period.id) == PeriodSeal.period_id)
        .where(
            PeriodSeal.class_id == class_id,
            col(Period.kind).in_(TERM_KINDS),
            Period.starts_on <= on,
            Period.ends_on >= on,
        )
    ).first()


def seal_of_period(
    session: Session, class_id: int, period_id: int, *, lock: bool = False
) -> PeriodSeal | None:
    """The seal of one period of a class (see `seal_on` for `lock`)."""
    if lock:
        session.exec(
            select(ClassGroup.id).where(ClassGroup.id == class_id).with_for_update(read=True)
        ).first()
    return session.exec(
        select(PeriodSeal).where(PeriodSeal.class_id == class_id, PeriodSeal.period_id == period_id)
    ).first()


def class_seals(
    session: Session, class_id: int, *, lock: bool = False
) -> list[tuple[Period, PeriodSeal]]:
    """The sealed periods of a class with their seals (one query; `lock` as in `seal_on`)."""
    if lock:
        session.exec(
            select(ClassGroup.id).where(ClassGroup.id == class_id).with_for_update(read=True)
        ).first()
    rows = session.exec(
        select(Period, PeriodSeal)
        .join(PeriodSeal, col(PeriodSeal.period_id) == Period.id)
        .where(PeriodSeal.class_id == class_id)
    ).all()
    return [(p, seal) for p, seal in rows]


def no_marks_reason(grade: int, subject: Subject) -> str:
    """Why only attendance may be written on a page, or "" when marks are allowed."""
    if grade == 1:
        return "В 1 классе отметки не ставятся: только посещаемость, темы и сообщения."
    if not subject.marked:
        return "Предмет изучается без отметок: только посещаемость, темы и задания."
    return ""


def last_audit_id(session: Session) -> int:
    return session.exec(select(func.max(AuditLog.id))).one() or 0


# --------------------------------------------------------------------------- periods


def term_periods(session: Session, year_id: int, grade: int) -> list[Period]:
    """The quarters or half-years that apply to `grade`, in order."""
    return list(
        session.exec(
            select(Period)
            .where(
                Period.year_id == year_id,
                col(Period.kind).in_(TERM_KINDS),
                Period.grade_from <= grade,
                Period.grade_to >= grade,
            )
            .order_by(col(Period.starts_on))
        ).all()
    )


def year_period(session: Session, year_id: int, grade: int) -> Period | None:
    return session.exec(
        select(Period).where(
            Period.year_id == year_id,
            Period.kind == PeriodKind.YEAR.value,
            Period.grade_from <= grade,
            Period.grade_to >= grade,
        )
    ).first()


def period_of(periods: Iterable[Period], on: dt.date) -> Period | None:
    return next((p for p in periods if p.starts_on <= on <= p.ends_on), None)


def is_holiday(session: Session, year_id: int, grade: int, on: dt.date) -> bool:
    return (
        session.exec(
            select(Holiday.id).where(
                Holiday.year_id == year_id,
                Holiday.starts_on <= on,
                Holiday.ends_on >= on,
                Holiday.grade_from <= grade,
                Holiday.grade_to >= grade,
            )
        ).first()
        is not None
    )


def current_year(session: Session, school_id: int) -> AcademicYear | None:
    return session.exec(
        select(AcademicYear)
        .where(AcademicYear.school_id == school_id)
        .order_by(col(AcademicYear.is_current).desc(), col(AcademicYear.starts_on).desc())
    ).first()


# --------------------------------------------------------------------------- assignment


@dataclass(frozen=True)
class AssignmentInfo:
    assignment: TeachingAssignment
    group: ClassGroup
    subject: Subject
    subgroup: Subgroup | None
    teacher: Staff | None
    school: School

    @property
    def grade(self) -> int:
        return self.group.grade

    @property
    def marks_allowed(self) -> bool:
        return no_marks_reason(self.group.grade, self.subject) == ""


def load_assignment(session: Session, assignment_id: int) -> AssignmentInfo:
    """The assignment with its class, subject, subgroup, teacher and school (one query)."""
    row = session.execute(
        sa_select(TeachingAssignment, ClassGroup, Subject, Subgroup, Staff, School)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .join(School, col(School.id) == ClassGroup.school_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(col(TeachingAssignment.id) == assignment_id)
    ).first()
    if row is None:
        raise NotFound("Нагрузка (класс и предмет) не найдена.")
    return AssignmentInfo(*row)


@dataclass(frozen=True)
class LessonInfo:
    lesson: Lesson
    info: AssignmentInfo
    work_type: WorkType | None


def load_lessons(
    session: Session, lesson_ids: Collection[int], *, for_update: bool = False
) -> dict[int, LessonInfo]:
    """Lessons with their assignment context; `for_update` locks the lesson rows (PostgreSQL).

    Locking the lesson serialises writers of one column, so a version read after the lock
    is the committed one and two writers cannot both pass the same version check.
    """
    if not lesson_ids:
        return {}
    stmt = (
        sa_select(
            Lesson, TeachingAssignment, ClassGroup, Subject, Subgroup, Staff, School, WorkType
        )
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .join(School, col(School.id) == ClassGroup.school_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .outerjoin(WorkType, col(WorkType.id) == Lesson.work_type_id)
        .where(col(Lesson.id).in_(list(lesson_ids)))
    )
    if for_update:
        stmt = stmt.with_for_update(of=Lesson)
    out: dict[int, LessonInfo] = {}
    for lesson, ta, group, subject, subgroup, teacher, school, wt in session.execute(stmt).all():
        assert lesson.id is not None
        out[lesson.id] = LessonInfo(
            lesson, AssignmentInfo(ta, group, subject, subgroup, teacher, school), wt
        )
    return out


def default_work_type(session: Session, school_id: int) -> WorkType | None:
    """The work type of a lesson that has none: «Ответ на уроке»."""
    return session.exec(
        select(WorkType)
        .where(
            WorkType.school_id == school_id,
            or_(
                col(WorkType.code) == DEFAULT_WORK_TYPE_CODE,
                col(WorkType.name) == DEFAULT_WORK_TYPE_NAME,
            ),
        )
        .order_by(col(WorkType.sort_order))
    ).first()


# --------------------------------------------------------------------------- enrolment


Intervals = tuple[tuple[dt.date, dt.date], ...]


def enrolment_intervals(
    session: Session,
    *,
    class_id: int,
    subgroup_id: int | None,
    starts_on: dt.date,
    ends_on: dt.date,
    student_ids: Collection[int] | None = None,
) -> dict[int, Intervals]:
    """Student → the stretches of [starts_on, ends_on] they were in the class (and subgroup)."""
    stmt = sa_select(
        col(Enrolment.student_id), col(Enrolment.starts_on), col(Enrolment.ends_on)
    ).where(
        col(Enrolment.class_id) == class_id,
        col(Enrolment.starts_on) <= ends_on,
        or_(col(Enrolment.ends_on).is_(None), col(Enrolment.ends_on) >= starts_on),
    )
    if subgroup_id is not None:
        members = select(SubgroupMember.student_id).where(SubgroupMember.subgroup_id == subgroup_id)
        stmt = stmt.where(col(Enrolment.student_id).in_(members))
    if student_ids is not None:
        stmt = stmt.where(col(Enrolment.student_id).in_(list(student_ids)))
    spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for student_id, start, end in session.execute(stmt).all():
        spans[student_id].append((max(start, starts_on), min(end or ends_on, ends_on)))
    return {sid: tuple(sorted(s)) for sid, s in spans.items()}


def enrolled_on(intervals: Intervals | None, on: dt.date) -> bool:
    return bool(intervals) and any(a <= on <= b for a, b in intervals or ())


# --------------------------------------------------------------------------- cells


def work_type_label(wt: WorkType | None) -> str:
    return "" if wt is None else (wt.abbreviation or wt.name)


def load_cells(
    session: Session,
    *,
    lesson_ids: Collection[int] | None = None,
    assignment_id: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    student_ids: Collection[int] | None = None,
) -> dict[tuple[int, int], CellState]:
    """Cells with marks or attendance, keyed by (student_id, lesson_id): two queries.

    Select either explicit `lesson_ids` or an assignment's lessons between two dates.
    """

    mark_stmt = sa_select(
        col(Mark.student_id),
        col(Mark.lesson_id),
        col(Mark.value),
        col(Mark.slot),
        col(Mark.work_type_id),
        col(WorkType.abbreviation),
        col(WorkType.name),
        col(Mark.weight),
        col(Mark.version),
    ).outerjoin(WorkType, col(WorkType.id) == Mark.work_type_id)
    att_stmt = sa_select(
        col(Attendance.student_id),
        col(Attendance.lesson_id),
        col(Attendance.id),
        col(Attendance.status),
        col(Attendance.reason),
        col(Attendance.version),
    )
    if lesson_ids is not None:
        ids = list(lesson_ids)
        mark_stmt = mark_stmt.where(col(Mark.lesson_id).in_(ids))
        att_stmt = att_stmt.where(col(Attendance.lesson_id).in_(ids))
    else:
        assert assignment_id is not None and starts_on is not None and ends_on is not None
        lessons = select(Lesson.id).where(
            Lesson.assignment_id == assignment_id,
            Lesson.date >= starts_on,
            Lesson.date <= ends_on,
        )
        mark_stmt = mark_stmt.where(col(Mark.lesson_id).in_(lessons))
        att_stmt = att_stmt.where(col(Attendance.lesson_id).in_(lessons))
    if student_ids is not None:
        sids = list(student_ids)
        mark_stmt = mark_stmt.where(col(Mark.student_id).in_(sids))
        att_stmt = att_stmt.where(col(Attendance.student_id).in_(sids))

    marks: dict[tuple[int, int], list[MarkItem]] = defaultdict(list)
    for sid, lid, value, slot, wt_id, abbr, name, weight, version in session.execute(mark_stmt):
        marks[(sid, lid)].append(
            MarkItem(value, slot, wt_id, abbr or name or "", Decimal(weight), version)
        )
    attendance: dict[tuple[int, int], AttendanceItem] = {}
    for sid, lid, att_id, status, reason, version in session.execute(att_stmt):
        attendance[(sid, lid)] = AttendanceItem(att_id, status, reason, version)

    cells: dict[tuple[int, int], CellState] = {}
    for key in marks.keys() | attendance.keys():
        items = tuple(sorted(marks.get(key, ()), key=lambda m: m.slot))
        att = attendance.get(key)
        version = max([m.version for m in items] + ([att.version] if att else []))
        cells[key] = CellState(key[0], key[1], items, att, version)
    return cells
