"""Excusing a student's absences over several days with one reason (справка) [004 §4.3].

`absences_between` is the preview (date, lesson, subject of every absence without a
valid reason in the range); `excuse_absences` excuses exactly the previewed absences in
one transaction, each through `excuse_absence` (same permission, one audit row each).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlmodel import Session, col, select

from ejournal.domain import permissions
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, ValidationError
from ejournal.domain.journal.context import require_open_year
from ejournal.domain.journal.data import AbsenceItem, CellState, StudentChoice
from ejournal.domain.journal.read import _full_name, _sort_key
from ejournal.domain.journal.write import excuse_absence
from ejournal.domain.models import (
    Attendance,
    AttendanceStatus,
    ClassGroup,
    Lesson,
    Student,
    Subject,
    TeachingAssignment,
)
from ejournal.domain.permissions import Actor, Permission, Target
from ejournal.domain.text_rules import TextField, clean_text

#: The longest range one excuse covers: a long illness is excused in parts, each checked.
MAX_RANGE_DAYS = 92
MSG_CHANGED = (
    "Пропуски за эти дни изменились, пока вы смотрели список: проверьте его снова. "
    "Ничего не сохранено."
)


@read_only
def class_students(session: Session, *, actor: Actor, class_id: int) -> list[StudentChoice]:
    """The students now in a class, in alphabetical order, for its class teacher."""
    permissions.require(session, actor, Permission.ATTENDANCE_EXCUSE, Target(class_id=class_id))
    rows = session.exec(select(Student).where(Student.class_id == class_id)).all()
    return [
        StudentChoice(id=s.id or 0, name=_full_name(s), class_id=class_id)
        for s in sorted(rows, key=_sort_key)
    ]


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise ValidationError("Дата «по» раньше даты «с».")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ValidationError(f"Не больше {MAX_RANGE_DAYS} дней за один раз.")


def _absences(
    session: Session, student: Student, date_from: dt.date, date_to: dt.date
) -> list[AbsenceItem]:
    """The student's absences without a valid reason in their class's lessons, oldest first."""
    rows = session.exec(
        select(Attendance, Lesson, Subject.name)
        .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .where(
            Attendance.student_id == student.id,
            TeachingAssignment.class_id == student.class_id,
            Attendance.status == AttendanceStatus.ABSENT.value,
            Lesson.date >= date_from,
            Lesson.date <= date_to,
            col(Lesson.cancelled).is_(False),
        )
    ).all()
    rows = sorted(rows, key=lambda r: (r[1].date, r[1].number, r[2]))
    return [
        AbsenceItem(
            attendance_id=att.id or 0,
            student_id=student.id or 0,
            student_name=_full_name(student),
            lesson_id=lesson.id or 0,
            date=lesson.date,
            number=lesson.number,
            subject_name=subject_name,
            version=att.version,
        )
        for att, lesson, subject_name in rows
    ]


def _student(session: Session, actor: Actor, student_id: int) -> Student:
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("Учащийся не найден.")
    permissions.require(session, actor, Permission.ATTENDANCE_EXCUSE, Target(student_id=student_id))
    return student


@read_only
def absences_between(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    date_from: dt.date,
    date_to: dt.date,
) -> list[AbsenceItem]:
    """A student's absences without a valid reason from `date_from` to `date_to`, oldest
    first (cancelled lessons left out): what one excuse for those days would cover."""
    student = _student(session, actor, student_id)
    _check_range(date_from, date_to)
    return _absences(session, student, date_from, date_to)


def excuse_absences(
    session: Session,
    *,
    actor: Actor,
    student_id: int,
    date_from: dt.date,
    date_to: dt.date,
    reason: str,
    expected: Mapping[int, int],
) -> list[CellState]:
    """Excuse every absence of the range with one reason, all or nothing.

    `expected` maps each previewed absence (attendance id) to the version the preview
    showed. If the absences of the range are no longer exactly those (one was added,
    excused or changed meanwhile) ConflictError carries the current list and nothing is
    saved. Each absence goes through `excuse_absence`: the class teacher's permission on
    it, one audit row with the reason.
    """
    reason = clean_text(reason, field=TextField.ABSENCE_REASON)
    if not reason:
        raise ValidationError("Укажите уважительную причину пропуска.")
    student = _student(session, actor, student_id)
    if student.class_id is not None:
        group = session.get(ClassGroup, student.class_id)
        if group is not None:
            require_open_year(session, group.year_id)
    _check_range(date_from, date_to)
    current = _absences(session, student, date_from, date_to)
    if not current and not expected:
        raise ValidationError("За эти дни пропусков без уважительной причины нет.")
    if {a.attendance_id: a.version for a in current} != dict(expected):
        raise ConflictError(MSG_CHANGED, current=current)
    cells: list[CellState] = []
    for a in current:
        try:
            cells.append(
                excuse_absence(
                    session,
                    actor=actor,
                    reason=reason,
                    expected_version=a.version,
                    attendance_id=a.attendance_id,
                )
            )
        except ConflictError:
            # Changed between the list above and its lesson's lock: the caller rolls back.
            raise ConflictError(
                MSG_CHANGED, current=_absences(session, student, date_from, date_to)
            ) from None
    return cells
