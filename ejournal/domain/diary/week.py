"""The diary's week: day by day, lessons with time, topic, homework, marks and absences.

One call reads the week in a fixed, small number of queries (no query per lesson or per
day), so it stays fast on a phone's slow connection and at a school's morning peak.
Days with no lesson records yet show the timetable's planned lessons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.diary.announcements import AnnouncementView, announcements_between
from ejournal.domain.diary.child import (
    WEEKDAY_NAMES,
    ChildRef,
    RemarkEntry,
    child_assignments,
    holiday_name,
    holidays_for,
    load_child,
    remark_entries,
    week_monday,
)
from ejournal.domain.diary.homework import DueHomework, homework_around, safe_links
from ejournal.domain.models import (
    Attendance,
    AttendanceStatus,
    BellSlot,
    Lesson,
    Mark,
    Staff,
    Subject,
    TimetableSlot,
    WeekAcknowledgement,
    WorkType,
)
from ejournal.domain.people.naming import short_name
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today

ATTENDANCE_LABELS = {
    AttendanceStatus.ABSENT: "н",
    AttendanceStatus.EXCUSED: "н (уважительная причина)",
    AttendanceStatus.LATE: "опоздание",
}


@dataclass(frozen=True)
class MarkView:
    value: int
    work_type_abbreviation: str
    work_type_name: str
    weight: Decimal
    comment: str = ""


@dataclass(frozen=True)
class AttendanceView:
    status: str  # AttendanceStatus
    label: str
    reason: str = ""


@dataclass(frozen=True)
class DiaryLesson:
    """A lesson of the child's day; `lesson_id` is None for a timetable slot not yet held."""

    lesson_id: int | None
    number: int
    starts_at: dt.time | None
    ends_at: dt.time | None
    subject_id: int
    subject_name: str
    room: str
    teacher_name: str
    topic: str
    homework: str
    homework_links: list[str]
    work_type_abbreviation: str
    marks: list[MarkView]
    attendance: AttendanceView | None
    cancelled: bool
    substitute: bool
    planned: bool
    assignment_id: int = 0
    homework_none: bool = False  # the teacher said «не задано» at this lesson
    # When the homework set at this lesson is due (None: none set, or no next lesson known).
    homework_due_on: dt.date | None = None
    # Homework due at this lesson (set at an earlier one): what the family reads on the day.
    due: list[DueHomework] = field(default_factory=list)


@dataclass(frozen=True)
class DiaryDay:
    date: dt.date
    weekday_name: str
    is_today: bool
    holiday: str | None
    lessons: list[DiaryLesson]
    remarks: list[RemarkEntry]
    # Homework due this day with no lesson of its subject that day (a day the teacher chose).
    due_elsewhere: list[DueHomework] = field(default_factory=list)


@dataclass(frozen=True)
class DiaryWeek:
    child: ChildRef
    week_start: dt.date
    week_end: dt.date
    prev_week_start: dt.date
    next_week_start: dt.date
    days: list[DiaryDay]
    announcements: list[AnnouncementView]
    confirmed: bool  # a parent confirmed the week («Ознакомлен»): this parent, if a parent asks
    confirmed_at: dt.datetime | None
    can_confirm: bool


@read_only
def week(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    week_start: dt.date,
    today: dt.date | None = None,
) -> DiaryWeek:
    """The child's week (Monday to the school's last working day) as the diary shows it."""
    ctx = load_child(session, actor, student_id)
    assert actor is not None
    school = ctx.school
    monday = week_monday(week_start)
    days = [monday + dt.timedelta(days=i) for i in range(school.days_per_week)]
    last = days[-1]
    today = school_today(school, today)

    assignments = {a.id: a for a in child_assignments(session, ctx) if a.id is not None}
    ids = list(assignments)
    subjects = {
        s.id: s
        for s in session.exec(
            select(Subject).where(
                col(Subject.id).in_({a.subject_id for a in assignments.values()} or {-1})
            )
        ).all()
    }
    lessons = (
        session.exec(
            select(Lesson)
            .where(col(Lesson.assignment_id).in_(ids), Lesson.date >= monday, Lesson.date <= last)
            .order_by(col(Lesson.date), col(Lesson.number))
        ).all()
        if ids
        else []
    )
    slots = (
        session.exec(
            select(TimetableSlot).where(
                col(TimetableSlot.assignment_id).in_(ids),
                TimetableSlot.weekday <= school.days_per_week,
                TimetableSlot.valid_from <= last,
                or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= monday),
            )
        ).all()
        if ids
        else []
    )
    staff_ids = {a.teacher_id for a in assignments.values()} | {
        lesson.substitute_teacher_id for lesson in lessons if lesson.substitute_teacher_id
    }
    staff = {
        s.id: s for s in session.exec(select(Staff).where(col(Staff.id).in_(staff_ids or {-1})))
    }
    bells = {
        b.number: b
        for b in session.exec(select(BellSlot).where(BellSlot.school_id == school.id)).all()
    }
    work_types = {
        w.id: w for w in session.exec(select(WorkType).where(WorkType.school_id == school.id)).all()
    }
    lesson_ids = [lesson.id for lesson in lessons]
    marks: dict[int, list[Mark]] = defaultdict(list)
    absences: dict[int, Attendance] = {}
    if lesson_ids:
        for m in session.exec(
            select(Mark)
            .where(Mark.student_id == student_id, col(Mark.lesson_id).in_(lesson_ids))
            .order_by(col(Mark.slot))
        ).all():
            marks[m.lesson_id].append(m)
        for absence in session.exec(
            select(Attendance).where(
                Attendance.student_id == student_id, col(Attendance.lesson_id).in_(lesson_ids)
            )
        ).all():
            absences[absence.lesson_id] = absence
    holidays = holidays_for(session, ctx)
    subject_names = {
        a_id: (a.subject_id, "" if (s := subjects.get(a.subject_id)) is None else s.name)
        for a_id, a in assignments.items()
    }
    homework = homework_around(
        session, ctx, monday, last, subject_names=subject_names, holidays=holidays
    )
    due_of_set = {h.set_lesson_id: h.due_on for h in homework}
    due_by: dict[tuple[dt.date, int], list[DueHomework]] = defaultdict(list)
    for h in sorted(homework, key=lambda h: (h.set_on, h.set_lesson_id)):
        if h.due_on is not None and monday <= h.due_on <= last:
            due_by[(h.due_on, h.assignment_id)].append(h)
    day_remarks: dict[dt.date, list[RemarkEntry]] = defaultdict(list)
    for r in remark_entries(session, ctx, between=(monday, last)):
        day_remarks[r.date].append(r)

    def teacher(staff_id: int | None) -> str:
        s = staff.get(staff_id)
        return "" if s is None else short_name(s.last_name, s.first_name, s.middle_name)

    by_day: dict[dt.date, list[DiaryLesson]] = defaultdict(list)
    held: set[tuple[dt.date, int, int]] = set()
    for lesson in lessons:
        assert lesson.id is not None
        a = assignments[lesson.assignment_id]
        subject = subjects.get(a.subject_id)
        bell = bells.get(lesson.number)
        held.add((lesson.date, lesson.number, lesson.assignment_id))
        lesson_wt = work_types.get(lesson.work_type_id)
        mark_views = []
        for m in marks.get(lesson.id, []):
            wt = work_types.get(m.work_type_id) or lesson_wt
            mark_views.append(
                MarkView(
                    value=m.value,
                    work_type_abbreviation="" if wt is None else wt.abbreviation,
                    work_type_name="" if wt is None else wt.name,
                    weight=m.weight,
                    comment=m.comment,
                )
            )
        att = absences.get(lesson.id)
        by_day[lesson.date].append(
            DiaryLesson(
                lesson_id=lesson.id,
                number=lesson.number,
                starts_at=None if bell is None else bell.starts_at,
                ends_at=None if bell is None else bell.ends_at,
                subject_id=a.subject_id,
                subject_name="" if subject is None else subject.name,
                room=lesson.room,
                teacher_name=teacher(lesson.substitute_teacher_id or a.teacher_id),
                topic=lesson.topic,
                homework=lesson.homework,
                homework_links=safe_links(lesson.homework_links),
                work_type_abbreviation="" if lesson_wt is None else lesson_wt.abbreviation,
                marks=mark_views,
                attendance=None
                if att is None
                else AttendanceView(
                    status=att.status,
                    label=ATTENDANCE_LABELS.get(AttendanceStatus(att.status), att.status),
                    reason=att.reason,
                ),
                cancelled=lesson.cancelled,
                substitute=lesson.substitute_teacher_id is not None,
                planned=False,
                assignment_id=lesson.assignment_id,
                homework_none=lesson.homework_none,
                homework_due_on=due_of_set.get(lesson.id),
            )
        )
    for slot in slots:
        day = monday + dt.timedelta(days=slot.weekday - 1)
        valid = slot.valid_from <= day and (slot.valid_to is None or day <= slot.valid_to)
        if not valid or (day, slot.number, slot.assignment_id) in held:
            continue
        if holiday_name(holidays, day) is not None:
            continue
        a = assignments[slot.assignment_id]
        subject = subjects.get(a.subject_id)
        bell = bells.get(slot.number)
        by_day[day].append(
            DiaryLesson(
                lesson_id=None,
                number=slot.number,
                starts_at=None if bell is None else bell.starts_at,
                ends_at=None if bell is None else bell.ends_at,
                subject_id=a.subject_id,
                subject_name="" if subject is None else subject.name,
                room=slot.room,
                teacher_name=teacher(a.teacher_id),
                topic="",
                homework="",
                homework_links=[],
                work_type_abbreviation="",
                marks=[],
                attendance=None,
                cancelled=False,
                substitute=False,
                planned=True,
                assignment_id=slot.assignment_id,
            )
        )

    def with_due(day: dt.date, lessons: list[DiaryLesson]) -> list[DiaryLesson]:
        """Homework due this day goes under the day's first lesson of its subject."""
        out = []
        for lesson in sorted(lessons, key=lambda x: (x.number, x.subject_name)):
            due = [] if lesson.cancelled else due_by.pop((day, lesson.assignment_id), [])
            out.append(dataclasses.replace(lesson, due=due) if due else lesson)
        return out

    placed = {day: with_due(day, by_day.get(day, [])) for day in days}
    elsewhere: dict[dt.date, list[DueHomework]] = defaultdict(list)
    for (day, _assignment), items in due_by.items():
        elsewhere[day].extend(items)

    diary_days = [
        DiaryDay(
            date=day,
            weekday_name=WEEKDAY_NAMES[day.weekday()],
            is_today=day == today,
            holiday=holiday_name(holidays, day),
            lessons=placed[day],
            remarks=day_remarks.get(day, []),
            due_elsewhere=sorted(elsewhere.get(day, []), key=lambda h: h.subject_name),
        )
        for day in days
    ]

    ack_query = select(WeekAcknowledgement).where(
        WeekAcknowledgement.student_id == student_id, WeekAcknowledgement.week_start == monday
    )
    if actor.parent_id is not None:
        ack_query = ack_query.where(WeekAcknowledgement.parent_id == actor.parent_id)
    ack = session.exec(ack_query.order_by(col(WeekAcknowledgement.confirmed_at))).first()

    return DiaryWeek(
        child=ctx.ref,
        week_start=monday,
        week_end=last,
        prev_week_start=monday - dt.timedelta(days=7),
        next_week_start=monday + dt.timedelta(days=7),
        days=diary_days,
        announcements=announcements_between(session, ctx, actor, monday, last),
        confirmed=ack is not None,
        confirmed_at=None if ack is None else ack.confirmed_at,
        can_confirm=actor.parent_id is not None and monday <= today,
    )
