"""Reading the journal: today's lessons, the page picker, a page, its changes, the КТП search.

Every function checks `Permission.JOURNAL_READ` for the page it reads. A page loads in a
fixed number of queries whatever its size (no query per student or per lesson).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ejournal.domain import permissions
from ejournal.domain.audit.chain import AuditEntity
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied
from ejournal.domain.grading import (
    Thresholds,
    may_leave_unattested,
    weighted_average,
)
from ejournal.domain.journal.context import (
    TERM_KINDS,
    AssignmentInfo,
    class_seals,
    current_year,
    enrolled_on,
    enrolment_intervals,
    is_holiday,
    last_audit_id,
    load_assignment,
    load_cells,
    needs_reason,
    no_marks_reason,
    period_of,
    sealed_reason,
    term_periods,
    work_type_label,
    year_closed,
    year_period,
)
from ejournal.domain.journal.data import (
    AbsenceItem,
    JournalPage,
    LessonColumn,
    LessonItem,
    PageChanges,
    PageRef,
    PeriodMarkItem,
    PeriodRef,
    PlanItemRef,
    StudentRow,
)
from ejournal.domain.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    BellSlot,
    ClassGroup,
    KtpStatus,
    Lesson,
    Period,
    PeriodMark,
    School,
    Staff,
    Student,
    Subgroup,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    TimetableSlot,
    WorkType,
)
from ejournal.domain.people.naming import class_name, person_short
from ejournal.domain.permissions import Actor, Permission, Target, require_some, scope_clause
from ejournal.domain.school.clock import school_today

ABSENT_STATUSES = (AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value)

#: Audit entities whose rows can change an open page (see changes_since).


# --------------------------------------------------------------------------- permissions


def require_page_read(
    session: Session, actor: Actor | None, info: AssignmentInfo, period: Period | None = None
) -> Actor:
    """JOURNAL_READ on the assignment; a substitute may read the pages of lessons they took."""
    target = Target(assignment_id=info.assignment.id, class_id=info.group.id)
    if actor is not None and permissions.allowed(session, actor, Permission.JOURNAL_READ, target):
        return actor
    if actor is not None and actor.staff_id is not None:
        stmt = select(Lesson.id).where(
            Lesson.assignment_id == info.assignment.id,
            Lesson.substitute_teacher_id == actor.staff_id,
        )
        if period is not None:
            stmt = stmt.where(Lesson.date >= period.starts_on, Lesson.date <= period.ends_on)
        substituted = session.exec(stmt).first()
        if substituted is not None:
            return permissions.require(
                session, actor, Permission.JOURNAL_READ, Target(lesson_id=substituted)
            )
    return permissions.require(session, actor, Permission.JOURNAL_READ, target)


def _page_period(session: Session, info: AssignmentInfo, period_id: int) -> Period:
    period = session.get(Period, period_id)
    if (
        period is None
        or period.year_id != info.assignment.year_id
        or period.kind not in TERM_KINDS
        or not period.grade_from <= info.grade <= period.grade_to
    ):
        raise NotFound("Такого учебного периода у этого класса нет.")
    return period


def _open_page(
    session: Session, actor: Actor | None, assignment_id: int, period_id: int
) -> tuple[Actor, AssignmentInfo, Period]:
    """The page's reader, assignment and period: the permission is checked first, and
    «not yours» and «not there» get the same refusal (no probing for existing ids)."""
    try:
        info = load_assignment(session, assignment_id)
    except NotFound:
        raise PermissionDenied() from None
    period = session.get(Period, period_id)
    same_year = period is not None and period.year_id == info.assignment.year_id
    actor = require_page_read(session, actor, info, period if same_year else None)
    return actor, info, _page_period(session, info, period_id)


def _period_ref(p: Period) -> PeriodRef:
    assert p.id is not None
    return PeriodRef(p.id, p.kind, p.number, p.name, p.starts_on, p.ends_on)


# --------------------------------------------------------------------------- lists


@read_only
def list_teacher_lessons(session: Session, *, actor: Actor, on: dt.date) -> list[LessonItem]:
    """The actor's lessons on a day: own and substituted, plus timetable slots not yet opened.

    Slots on holidays or outside every period are left out; a slot whose lesson exists is
    shown once, as that lesson.
    """
    actor = require_some(actor, Permission.JOURNAL_READ)
    if actor.staff_id is None:
        return []
    staff_id = actor.staff_id
    lesson_rows = session.execute(
        sa_select(Lesson, TeachingAssignment, ClassGroup, Subject, Subgroup)
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .where(
            col(Lesson.date) == on,
            col(ClassGroup.school_id) == actor.school_id,
            or_(
                col(TeachingAssignment.teacher_id) == staff_id,
                col(Lesson.substitute_teacher_id) == staff_id,
            ),
        )
    )
    slot_rows = session.execute(
        sa_select(TimetableSlot, TeachingAssignment, ClassGroup, Subject, Subgroup)
        .join(TeachingAssignment, col(TeachingAssignment.id) == TimetableSlot.assignment_id)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .where(
            col(TeachingAssignment.teacher_id) == staff_id,
            col(ClassGroup.school_id) == actor.school_id,
            col(TimetableSlot.weekday) == on.isoweekday(),
            col(TimetableSlot.valid_from) <= on,
            or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= on),
        )
    )
    bells = {
        b.number: b.starts_at
        for b in session.exec(select(BellSlot).where(BellSlot.school_id == actor.school_id))
    }
    periods_by_year: dict[int, list[Period]] = defaultdict(list)
    items: list[LessonItem] = []
    seen: set[tuple[int, int]] = set()

    def term_of(year_id: int, grade: int) -> int | None:
        if year_id not in periods_by_year:
            periods_by_year[year_id] = list(
                session.exec(
                    select(Period).where(
                        Period.year_id == year_id, col(Period.kind).in_(TERM_KINDS)
                    )
                )
            )
        p = period_of(
            (p for p in periods_by_year[year_id] if p.grade_from <= grade <= p.grade_to), on
        )
        return None if p is None else p.id

    for lesson, ta, group, subject, subgroup in lesson_rows:
        assert ta.id is not None
        seen.add((ta.id, lesson.number))
        own = ta.teacher_id == staff_id
        items.append(
            LessonItem(
                lesson_id=lesson.id,
                assignment_id=ta.id,
                period_id=term_of(ta.year_id, group.grade),
                date=on,
                number=lesson.number,
                starts_at=bells.get(lesson.number),
                class_name=class_name(group.grade, group.letter),
                subgroup_name=subgroup.name if subgroup else "",
                subject_name=subject.name,
                topic=lesson.topic,
                room=lesson.room,
                cancelled=lesson.cancelled,
                is_substitute=not own,
                substituted_by=lesson.substitute_teacher_id if own else None,
            )
        )
    for slot, ta, group, subject, subgroup in slot_rows:
        assert ta.id is not None
        if (ta.id, slot.number) in seen:
            continue
        period_id = term_of(ta.year_id, group.grade)
        if period_id is None or is_holiday(session, ta.year_id, group.grade, on):
            continue
        seen.add((ta.id, slot.number))
        items.append(
            LessonItem(
                lesson_id=None,
                assignment_id=ta.id,
                period_id=period_id,
                date=on,
                number=slot.number,
                starts_at=bells.get(slot.number),
                class_name=class_name(group.grade, group.letter),
                subgroup_name=subgroup.name if subgroup else "",
                subject_name=subject.name,
                topic="",
                room=slot.room,
                cancelled=False,
                is_substitute=False,
                substituted_by=None,
            )
        )
    items.sort(key=lambda i: (i.number, i.class_name, i.subject_name))
    return items


@read_only
def list_pages(session: Session, *, actor: Actor, year_id: int | None = None) -> list[PageRef]:
    """Pages the actor may open: own assignments (and substituted ones); a class teacher's
    class; every page for the deputy and the director. One page per assignment × period."""
    actor = require_some(actor, Permission.JOURNAL_READ)
    if year_id is None:
        year = current_year(session, actor.school_id)
        if year is None:
            return []
        year_id = year.id
    stmt = (
        sa_select(TeachingAssignment, ClassGroup, Subject, Subgroup, Staff)
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .outerjoin(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .where(
            col(TeachingAssignment.year_id) == year_id,
            col(ClassGroup.school_id) == actor.school_id,
            scope_clause(actor, Permission.JOURNAL_READ, TeachingAssignment),
        )
    )
    periods = list(
        session.exec(
            select(Period)
            .where(Period.year_id == year_id, col(Period.kind).in_(TERM_KINDS))
            .order_by(col(Period.starts_on))
        )
    )
    rows = sorted(
        session.execute(stmt),
        key=lambda r: (
            r[1].grade,
            r[1].letter,
            r[2].sort_order,
            r[2].name,
            r[3].name if r[3] else "",
        ),
    )
    pages: list[PageRef] = []
    for ta, group, subject, subgroup, teacher in rows:
        assert ta.id is not None and group.id is not None
        for p in periods:
            if not p.grade_from <= group.grade <= p.grade_to:
                continue
            assert p.id is not None
            pages.append(
                PageRef(
                    assignment_id=ta.id,
                    period_id=p.id,
                    class_id=group.id,
                    class_name=class_name(group.grade, group.letter),
                    subgroup_name=subgroup.name if subgroup else "",
                    subject_name=subject.name,
                    teacher_name=person_short(teacher),
                    period_name=p.name,
                    starts_on=p.starts_on,
                    ends_on=p.ends_on,
                    own=actor.staff_id is not None and ta.teacher_id == actor.staff_id,
                )
            )
    return pages


@read_only
def search_plan_items(
    session: Session, *, actor: Actor, assignment_id: int, query: str, limit: int = 30
) -> list[PlanItemRef]:
    """КТП lines of an assignment whose topic contains `query` (any case) or whose number is it.

    An empty query lists the lines in order. Lines not yet used by a lesson come first.
    Only an approved plan is offered: none while it is a draft or under review.
    """
    info = load_assignment(session, assignment_id)
    require_page_read(session, actor, info)
    if info.assignment.ktp_status != KtpStatus.APPROVED:
        return []  # only a plan the deputy approved is offered [002 §7.5]
    items = session.exec(
        select(ThematicPlanItem)
        .where(ThematicPlanItem.assignment_id == assignment_id)
        .order_by(col(ThematicPlanItem.number))
    ).all()
    used = set(
        session.exec(
            select(Lesson.plan_item_id).where(
                Lesson.assignment_id == assignment_id, col(Lesson.plan_item_id).is_not(None)
            )
        ).all()
    )
    # Filtered in Python: SQLite's lower() does not fold Cyrillic, and a КТП has ~200 lines.
    needle = query.strip().casefold()
    found = [
        PlanItemRef(
            id=i.id or 0,
            number=i.number,
            topic=i.topic,
            hours=i.hours,
            work_type_id=i.work_type_id,
            planned_on=i.planned_on,
            used=i.id in used,
        )
        for i in items
        if not needle or needle in i.topic.casefold() or needle == str(i.number)
    ]
    found.sort(key=lambda r: (r.used, r.number))
    return found[:limit]


# --------------------------------------------------------------------------- the page


def _full_name(s: Student) -> str:
    return " ".join(n for n in (s.last_name, s.first_name, s.middle_name) if n)


def _sort_key(s: Student) -> tuple[str, str, str]:
    def fold(x: str) -> str:
        return x.casefold().replace("ё", "е")

    return (fold(s.last_name), fold(s.first_name), fold(s.middle_name))


def _pm_item(pm: PeriodMark | None) -> PeriodMarkItem | None:
    if pm is None:
        return None
    return PeriodMarkItem(pm.period_id, pm.value, pm.not_attested, pm.justification, pm.version)


def lesson_column(
    lesson: Lesson,
    wt: WorkType | None,
    *,
    writable: bool,
    school: School,
    today: dt.date,
    sealed_at: dt.datetime | None = None,
    year_closed: bool = False,
) -> LessonColumn:
    """A lesson as a column, with whether the viewer may write into it and why not.

    `sealed_at`: the lesson's term is closed (a change needs a reason, said in
    `lock_reason`); `year_closed`: the year is closed, nothing may be written.
    """
    assert lesson.id is not None
    if year_closed:
        editable, why = False, "Учебный год закрыт: только просмотр."
    elif not writable:
        editable, why = False, "Только просмотр: это не ваш урок."
    elif lesson.cancelled:
        editable, why = False, "Урок отменён."
    elif lesson.date > today:
        editable, why = False, "Урок ещё не прошёл."
    elif sealed_at is not None:
        shown = _school_time(school, sealed_at) or sealed_at
        editable, why = True, sealed_reason(shown)
    else:
        editable, why = True, ""
    return LessonColumn(
        id=lesson.id,
        assignment_id=lesson.assignment_id,
        date=lesson.date,
        label=lesson.date.strftime("%d.%m"),
        number=lesson.number,
        work_type_id=lesson.work_type_id,
        work_type=work_type_label(wt),
        work_type_name=wt.name if wt else "",
        topic=lesson.topic,
        plan_item_id=lesson.plan_item_id,
        homework=lesson.homework,
        homework_links=tuple(x for x in lesson.homework_links.splitlines() if x.strip()),
        cancelled=lesson.cancelled,
        is_control=bool(wt and wt.is_control),
        substitute_teacher_id=lesson.substitute_teacher_id,
        version=lesson.version,
        editable=editable,
        lock_reason=why,
        needs_reason=sealed_at is not None or needs_reason(school, lesson.date, today),
        homework_none=lesson.homework_none,
        attendance_taken_at=_school_time(school, lesson.attendance_taken_at),
        attendance_missing=lesson.attendance_taken_at is None
        and not lesson.cancelled
        and lesson.date <= today,
        homework_due_on=lesson.homework_due_on,
    )


def _school_time(school: School, at: dt.datetime | None) -> dt.datetime | None:
    """A stored instant (UTC; naive means UTC) on the school's clock."""
    if at is None:
        return None
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(school.timezone))


def _build_page(
    session: Session,
    *,
    actor: Actor,
    info: AssignmentInfo,
    period: Period,
    today: dt.date,
    marker: int,
    only_students: Collection[int] | None = None,
) -> JournalPage:
    assignment_id = info.assignment.id
    assert assignment_id is not None and info.group.id is not None
    school = info.school
    terms = term_periods(session, info.assignment.year_id, info.grade)
    is_last = bool(terms) and terms[-1].id == period.id
    year_p = year_period(session, info.assignment.year_id, info.grade) if is_last else None

    intervals = enrolment_intervals(
        session,
        class_id=info.group.id,
        subgroup_id=info.assignment.subgroup_id,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )
    students = sorted(
        session.exec(select(Student).where(col(Student.id).in_(list(intervals)))).all(),
        key=_sort_key,
    )
    lesson_rows = session.execute(
        sa_select(Lesson, WorkType)
        .outerjoin(WorkType, col(WorkType.id) == Lesson.work_type_id)
        .where(
            col(Lesson.assignment_id) == assignment_id,
            col(Lesson.date) >= period.starts_on,
            col(Lesson.date) <= period.ends_on,
        )
        .order_by(col(Lesson.date), col(Lesson.number))
    ).all()

    closed = year_closed(session, info.assignment.year_id)
    page_write = (
        not closed
        and actor.staff_id is not None
        and permissions.allowed(
            session, actor, Permission.MARK_WRITE, Target(assignment_id=assignment_id)
        )
    )
    subst_write = not closed and actor.staff_id is not None and actor.can(Permission.MARK_WRITE)
    seal = next(
        (s for p, s in class_seals(session, info.group.id) if p.id == period.id),
        None,
    )
    columns = tuple(
        lesson_column(
            lesson,
            wt,
            writable=page_write or (subst_write and lesson.substitute_teacher_id == actor.staff_id),
            school=school,
            today=today,
            sealed_at=seal.sealed_at if seal else None,
            year_closed=closed,
        )
        for lesson, wt in lesson_rows
    )
    wanted = set(only_students) if only_students is not None else None
    cells = load_cells(
        session,
        assignment_id=assignment_id,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        student_ids=wanted,
    )

    period_ids = [period.id] + ([p.id for p in terms] + [year_p.id] if year_p else [])
    pm_rows = session.exec(
        select(PeriodMark).where(
            PeriodMark.subject_id == info.subject.id,
            col(PeriodMark.period_id).in_(period_ids),
            col(PeriodMark.student_id).in_(list(wanted if wanted is not None else intervals)),
        )
    ).all()
    pms: dict[tuple[int, int], PeriodMark] = {(p.student_id, p.period_id): p for p in pm_rows}

    thresholds = Thresholds.of(school)
    rows: list[StudentRow] = []
    control_missing: dict[int, list[int]] = defaultdict(list)
    for number, s in enumerate(students, start=1):
        assert s.id is not None
        if wanted is not None and s.id not in wanted:
            continue
        spans = intervals[s.id]
        not_enrolled = frozenset(c.id for c in columns if not enrolled_on(spans, c.date))
        marks: list[tuple[int, Decimal]] = []
        absences = unexcused = held = 0
        for c in columns:
            cell = cells.get((s.id, c.id))
            if cell is not None:
                marks.extend((m.value, m.weight) for m in cell.marks)
                if cell.attendance is not None and cell.attendance.status in ABSENT_STATUSES:
                    absences += 1
                    unexcused += cell.attendance.status == AttendanceStatus.ABSENT.value
            if c.cancelled or c.id in not_enrolled or c.date > today:
                continue
            held += 1
            if c.is_control and (cell is None or (not cell.marks and cell.text != "н")):
                control_missing[c.id].append(s.id)
        avg = weighted_average(marks)
        term_values = [
            (pm.value, Decimal(1))
            for p in terms
            if (pm := pms.get((s.id, p.id or 0))) is not None and pm.value is not None
        ]
        rows.append(
            StudentRow(
                id=s.id,
                number=number,
                full_name=_full_name(s),
                short_name=f"{s.last_name} {s.first_name}",
                enrolled=spans,
                not_enrolled_lesson_ids=not_enrolled,
                marks_count=len(marks),
                absences=absences,
                absences_unexcused=unexcused,
                average=avg,
                suggested=thresholds.mark(avg),
                period_mark=_pm_item(pms.get((s.id, period.id or 0))),
                year_mark=_pm_item(pms.get((s.id, year_p.id or 0))) if year_p else None,
                year_suggested=(thresholds.mark(weighted_average(term_values)) if year_p else None),
                may_be_unattested=may_leave_unattested(
                    lessons_total=held, missed_without_reason=unexcused, marks_count=len(marks)
                ),
            )
        )
    why_no_marks = no_marks_reason(info.grade, info.subject)
    return JournalPage(
        assignment_id=assignment_id,
        period=_period_ref(period),
        year_period=_period_ref(year_p) if year_p else None,
        class_id=info.group.id,
        class_name=class_name(info.group.grade, info.group.letter),
        subgroup_name=info.subgroup.name if info.subgroup else "",
        subject_id=info.subject.id or 0,
        subject_name=info.subject.name,
        teacher_name=person_short(info.teacher),
        grade=info.grade,
        marks_allowed=why_no_marks == "",
        no_marks_reason=why_no_marks,
        two_marks_allowed=info.subject.allows_two_marks,
        can_write=page_write or any(c.editable for c in columns),
        can_write_period_marks=why_no_marks == ""
        and not closed
        and permissions.allowed(
            session, actor, Permission.PERIOD_MARK_WRITE, Target(assignment_id=assignment_id)
        ),
        students=tuple(rows),
        lessons=columns,
        cells=cells,
        control_missing={k: tuple(v) for k, v in control_missing.items()},
        last_audit_id=marker,
        today=today,
    )


@read_only
def load_page(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    period_id: int,
    now: dt.datetime | None = None,
) -> JournalPage:
    """One journal page (class or subgroup × subject × period) as plain data for the grid.

    Students are in alphabetical order with their enrolled dates; cells are keyed by
    (student_id, lesson_id); `last_audit_id` is the point to pass to `changes_since`.
    """
    actor, info, period = _open_page(session, actor, assignment_id, period_id)
    # Read the marker first: a change committed while loading is then reported again later.
    marker = last_audit_id(session)
    today = school_today(info.school, now)
    return _build_page(session, actor=actor, info=info, period=period, today=today, marker=marker)


@read_only
def changes_since(
    session: Session,
    *,
    actor: Actor,
    assignment_id: int,
    period_id: int,
    since_audit_id: int,
    now: dt.datetime | None = None,
) -> PageChanges:
    """What changed on a page after `since_audit_id`: changed cells, columns and student rows.

    Cheap when nothing changed (two small queries after the permission check); `reload` is
    set when a column was added, or when too much changed to send piecemeal.
    """
    actor, info, period = _open_page(session, actor, assignment_id, period_id)
    marker = last_audit_id(session)
    if marker <= since_audit_id:
        return PageChanges(last_audit_id=marker)
    audit_rows = session.execute(
        sa_select(
            col(AuditLog.entity),
            col(AuditLog.entity_id),
            col(AuditLog.action),
            col(AuditLog.before),
            col(AuditLog.after),
        )
        .where(
            col(AuditLog.id) > since_audit_id,
            col(AuditLog.id) <= marker,
            col(AuditLog.entity).in_(
                [AuditEntity.JOURNAL_CELL, AuditEntity.LESSON, AuditEntity.PERIOD_MARK]
            ),
        )
        .order_by(col(AuditLog.id))
        .limit(1001)
    ).all()
    if len(audit_rows) > 1000:
        return PageChanges(last_audit_id=marker, reload=True)
    page_lessons = set(
        session.exec(
            select(Lesson.id).where(
                Lesson.assignment_id == assignment_id,
                Lesson.date >= period.starts_on,
                Lesson.date <= period.ends_on,
            )
        ).all()
    )
    changed_cells: set[tuple[int, int]] = set()
    changed_lessons: set[int] = set()
    students: set[int] = set()
    reload = False
    for entity, entity_id, action, before, after in audit_rows:
        data: dict[str, Any] = json.loads(after or before or "{}")
        if entity == AuditEntity.JOURNAL_CELL and entity_id in page_lessons:
            changed_cells.add((int(data["student_id"]), int(entity_id)))
            students.add(int(data["student_id"]))
        elif entity == AuditEntity.LESSON:
            if entity_id in page_lessons:
                changed_lessons.add(int(entity_id))
                if action.endswith("create"):
                    reload = True
        elif entity == AuditEntity.PERIOD_MARK and data.get("subject_id") == info.subject.id:
            students.add(int(data["student_id"]))
    if reload:
        return PageChanges(last_audit_id=marker, reload=True)
    if not students and not changed_lessons:
        return PageChanges(last_audit_id=marker)
    page = _build_page(
        session,
        actor=actor,
        info=info,
        period=period,
        today=school_today(info.school, now),
        marker=marker,
        only_students=students,
    )
    return PageChanges(
        last_audit_id=marker,
        cells=tuple(page.cell(sid, lid) for sid, lid in sorted(changed_cells)),
        lessons=tuple(c for c in page.lessons if c.id in changed_lessons),
        students=page.students,
    )


# --------------------------------------------------------------------------- absences

#: How far back the class teacher's list of unexcused absences looks by default.
ABSENCE_WEEKS = 3


@read_only
def unexcused_absences(
    session: Session,
    *,
    actor: Actor,
    class_id: int,
    since: dt.date,
    until: dt.date | None = None,
) -> list[AbsenceItem]:
    """Absences without a valid reason in a class's lessons from `since` (to `until`), newest first.

    For the class teacher, who excuses them with `excuse_absence` [004 §4.3]; lessons of
    every subject and subgroup of the class, cancelled lessons left out.
    """
    permissions.require(session, actor, Permission.ATTENDANCE_EXCUSE, Target(class_id=class_id))
    stmt = (
        select(Attendance, Lesson, Subject.name, Student)
        .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .join(Student, col(Student.id) == Attendance.student_id)
        .where(
            TeachingAssignment.class_id == class_id,
            Attendance.status == AttendanceStatus.ABSENT.value,
            Lesson.date >= since,
            col(Lesson.cancelled).is_(False),
        )
    )
    if until is not None:
        stmt = stmt.where(Lesson.date <= until)
    rows = session.exec(stmt).all()
    rows = sorted(rows, key=lambda r: (-r[1].date.toordinal(), r[1].number, _sort_key(r[3])))
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
        for att, lesson, subject_name, student in rows
    ]
