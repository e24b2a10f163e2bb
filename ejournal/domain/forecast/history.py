"""The school's journal as forecast `Case`s, read in a fixed handful of queries.

One case per student × marked subject × quarter or half-year: the marks of the student's
pages of the subject in the period (with the day each was entered), the pages' lessons and
the student's absences, the КТП's control works, and every period mark of the student (the
history). `load_cases` serves both the training (closed periods, with their period marks as
outcomes) and the forecast (the open period of some classes).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ejournal.domain.control.rows import epoch
from ejournal.domain.forecast.features import Case, MarkPoint, PeriodOutcome, Rounding
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AttendanceStatus,
    ClassGroup,
    Enrolment,
    Lesson,
    Mark,
    Period,
    PeriodKind,
    PeriodMark,
    School,
    Student,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    WorkType,
)

TERM_KINDS = (PeriodKind.QUARTER.value, PeriodKind.HALF_YEAR.value)


def rounding_of(school: School) -> Rounding:
    """The school's thresholds as the features' floats."""
    return Rounding(float(school.round_to_5), float(school.round_to_4), float(school.round_to_3))


@dataclass(frozen=True)
class PeriodInfo:
    id: int
    year_id: int
    name: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int
    grade_to: int


@dataclass(frozen=True)
class PageInfo:
    """A teaching assignment (journal page) of a marked subject in grades 2–11."""

    id: int
    year_id: int
    class_id: int
    grade: int
    letter: str
    subgroup_id: int | None
    subject_id: int
    subject: str


def term_periods(session: Session, school_id: int) -> list[PeriodInfo]:
    """The school's quarters and half-years, in date order."""
    rows = session.execute(
        sa_select(
            col(Period.id), col(Period.year_id), col(Period.name), col(Period.kind),
            col(Period.starts_on), col(Period.ends_on), col(Period.grade_from),
            col(Period.grade_to),
        )
        .join(AcademicYear, col(AcademicYear.id) == Period.year_id)
        .where(col(AcademicYear.school_id) == school_id, col(Period.kind).in_(TERM_KINDS))
        .order_by(col(Period.starts_on), col(Period.id))
    ).all()  # fmt: skip
    return [PeriodInfo(*r) for r in rows]


def fingerprint(session: Session, school_id: int, today: dt.date) -> tuple[object, ...]:
    """What the trained model depends on: the school's period marks (count, last change),
    the newest mark and the day (a period closes by the calendar)."""
    pm = session.execute(
        sa_select(func.count(col(PeriodMark.id)), func.max(col(PeriodMark.updated_at)))
        .join(Student, col(Student.id) == PeriodMark.student_id)
        .where(col(Student.school_id) == school_id)
    ).one()
    newest_mark = session.execute(sa_select(func.max(col(Mark.id)))).scalar()
    return (school_id, today, int(pm[0] or 0), str(pm[1]), newest_mark)


def load_cases(
    session: Session,
    school: School,
    periods: Sequence[PeriodInfo],
    *,
    class_ids: Sequence[int] | None = None,
    student_ids: Sequence[int] | None = None,
    subject_id: int | None = None,
) -> list[Case]:
    """The cases of `periods` (optionally of some classes, students or one subject)."""
    if not periods:
        return []
    assert school.id is not None
    zone = ZoneInfo(school.timezone)
    dialect = session.get_bind().dialect.name
    first = min(p.starts_on for p in periods)
    last = max(p.ends_on for p in periods)
    year_ids = sorted({p.year_id for p in periods})

    page_query = (
        sa_select(
            col(TeachingAssignment.id), col(TeachingAssignment.year_id),
            col(TeachingAssignment.class_id), col(ClassGroup.grade), col(ClassGroup.letter),
            col(TeachingAssignment.subgroup_id), col(TeachingAssignment.subject_id),
            col(Subject.name),
        )
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .where(
            col(ClassGroup.school_id) == school.id,
            col(TeachingAssignment.year_id).in_(year_ids),
            col(Subject.marked).is_(True),
            col(ClassGroup.grade) >= 2,
        )
    )  # fmt: skip
    if class_ids is not None:
        page_query = page_query.where(col(TeachingAssignment.class_id).in_(list(class_ids)))
    if subject_id is not None:
        page_query = page_query.where(col(TeachingAssignment.subject_id) == subject_id)
    pages = [PageInfo(*r) for r in session.execute(page_query).all()]
    if not pages:
        return []
    page_ids = [p.id for p in pages]
    classes = sorted({p.class_id for p in pages})

    stays: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    enrol_query = sa_select(
        col(Enrolment.class_id), col(Enrolment.student_id), col(Enrolment.starts_on),
        col(Enrolment.ends_on),
    ).where(col(Enrolment.class_id).in_(classes))  # fmt: skip
    if student_ids is not None:
        enrol_query = enrol_query.where(col(Enrolment.student_id).in_(list(student_ids)))
    for class_id, student_id, starts_on, ends_on in session.execute(enrol_query).all():
        stays[class_id].append((student_id, starts_on, ends_on))
    members: dict[int, set[int]] = defaultdict(set)
    subgroups = sorted({p.subgroup_id for p in pages if p.subgroup_id is not None})
    if subgroups:
        for subgroup_id, student_id in session.execute(
            sa_select(col(SubgroupMember.subgroup_id), col(SubgroupMember.student_id)).where(
                col(SubgroupMember.subgroup_id).in_(subgroups)
            )
        ).all():
            members[subgroup_id].add(student_id)

    lesson_rows = session.execute(
        sa_select(col(Lesson.id), col(Lesson.assignment_id), col(Lesson.date),
                  col(Lesson.work_type_id))
        .where(
            col(Lesson.assignment_id).in_(page_ids),
            col(Lesson.cancelled).is_(False),
            col(Lesson.date) >= first,
            col(Lesson.date) <= last,
        )
        .order_by(col(Lesson.date))
    ).all()  # fmt: skip
    lesson_of: dict[int, tuple[int, dt.date]] = {}
    days_of: dict[int, list[dt.date]] = defaultdict(list)
    for lesson_id, page_id, day, _wt in lesson_rows:
        lesson_of[lesson_id] = (page_id, day)
        days_of[page_id].append(day)
    controls = {
        wt_id
        for (wt_id,) in session.execute(
            sa_select(col(WorkType.id)).where(
                col(WorkType.school_id) == school.id, col(WorkType.is_control).is_(True)
            )
        ).all()
    }

    lessons_in = sa_select(col(Lesson.id)).where(
        col(Lesson.assignment_id).in_(page_ids),
        col(Lesson.cancelled).is_(False),
        col(Lesson.date) >= first,
        col(Lesson.date) <= last,
    )
    mark_query = (
        sa_select(
            col(Mark.student_id), col(Mark.lesson_id), col(Mark.value), col(Mark.weight),
            func.coalesce(col(Mark.work_type_id), col(Lesson.work_type_id)),
            epoch(col(Mark.created_at), dialect),
        )
        .join(Lesson, col(Lesson.id) == Mark.lesson_id)
        .where(col(Mark.lesson_id).in_(lessons_in))
    )  # fmt: skip
    if student_ids is not None:
        mark_query = mark_query.where(col(Mark.student_id).in_(list(student_ids)))
    marks: dict[tuple[int, int], list[MarkPoint]] = defaultdict(list)
    day_end: dict[dt.date, float] = {}
    for student_id, lesson_id, value, weight, wt_id, entered in session.execute(mark_query).all():
        page_id, day = lesson_of[lesson_id]
        end = day_end.get(day)
        if end is None:
            end = day_end[day] = dt.datetime.combine(
                day + dt.timedelta(days=1), dt.time(0), tzinfo=zone
            ).timestamp()
        late = None
        if entered is not None and float(entered) >= end:
            late = dt.datetime.fromtimestamp(float(entered), zone).date()
        marks[(student_id, page_id)].append(
            MarkPoint(day, int(value), float(weight), wt_id in controls, late)
        )

    absence_query = sa_select(
        col(Attendance.student_id), col(Attendance.lesson_id), col(Attendance.status)
    ).where(
        col(Attendance.lesson_id).in_(lessons_in),
        col(Attendance.status).in_([AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value]),
    )
    if student_ids is not None:
        absence_query = absence_query.where(col(Attendance.student_id).in_(list(student_ids)))
    absences: dict[tuple[int, int], list[tuple[dt.date, bool]]] = defaultdict(list)
    for student_id, lesson_id, status in session.execute(absence_query).all():
        page_id, day = lesson_of[lesson_id]
        absences[(student_id, page_id)].append((day, status == AttendanceStatus.EXCUSED.value))

    planned: dict[int, list[dt.date]] = defaultdict(list)
    if controls:
        for page_id, day in session.execute(
            sa_select(col(ThematicPlanItem.assignment_id), col(ThematicPlanItem.planned_on)).where(
                col(ThematicPlanItem.assignment_id).in_(page_ids),
                col(ThematicPlanItem.work_type_id).in_(sorted(controls)),
                col(ThematicPlanItem.planned_on).is_not(None),
            )
        ).all():
            planned[page_id].append(day)

    all_students = sorted({s for v in stays.values() for s, _, _ in v})
    history: dict[int, list[PeriodOutcome]] = defaultdict(list)
    ends = {p.id: p.ends_on for p in term_periods(session, school.id)}
    if all_students:
        for student_id, subj, period_id, value in session.execute(
            sa_select(
                col(PeriodMark.student_id), col(PeriodMark.subject_id),
                col(PeriodMark.period_id), col(PeriodMark.value),
            ).where(
                col(PeriodMark.student_id).in_(all_students),
                col(PeriodMark.period_id).in_(sorted(ends)),
                col(PeriodMark.value).is_not(None),
            )
        ).all():  # fmt: skip
            history[student_id].append(PeriodOutcome(period_id, subj, ends[period_id], int(value)))
    # One tuple per student, shared by their cases (features summarise it once).
    history_of = {s: tuple(v) for s, v in history.items()}
    outcome_of = {(h.period, h.subject, s): h.value for s, hs in history.items() for h in hs}

    cases: dict[tuple[int, int, int], Case] = {}
    for period in periods:
        for page in pages:
            if (
                page.year_id != period.year_id
                or not period.grade_from <= page.grade <= period.grade_to
            ):
                continue
            wanted = members.get(page.subgroup_id or -1) if page.subgroup_id else None
            for student_id, starts_on, ends_on in stays.get(page.class_id, []):
                if starts_on > period.ends_on or (
                    ends_on is not None and ends_on < period.starts_on
                ):
                    continue
                if wanted is not None and student_id not in wanted:
                    continue
                key = (student_id, page.subject_id, period.id)
                in_period = [
                    m
                    for m in marks.get((student_id, page.id), [])
                    if period.starts_on <= m.day <= period.ends_on
                ]
                days = [
                    d for d in days_of.get(page.id, []) if period.starts_on <= d <= period.ends_on
                ]
                missed = [
                    a
                    for a in absences.get((student_id, page.id), [])
                    if period.starts_on <= a[0] <= period.ends_on
                ]
                found = cases.get(key)
                if found is not None:  # moved class within the period: both pages count
                    in_period += list(found.marks)
                    days += list(found.lesson_days)
                    missed += list(found.absences)
                cases[key] = Case(
                    student=student_id,
                    subject=page.subject_id,
                    period=period.id,
                    group=page.class_id,
                    starts_on=period.starts_on,
                    ends_on=period.ends_on,
                    marks=tuple(sorted(in_period, key=lambda m: m.day)),
                    lesson_days=tuple(sorted(days)),
                    absences=tuple(sorted(missed)),
                    control_planned=tuple(sorted(planned.get(page.id, []))),
                    history=history_of.get(student_id, ()),
                    outcome=outcome_of.get((period.id, page.subject_id, student_id)),
                    extra={"assignment_id": page.id, "subject_name": page.subject,
                           "grade": page.grade, "letter": page.letter},
                )  # fmt: skip
    return list(cases.values())


def class_means_at(
    session: Session, school: School, period: PeriodInfo, class_id: int, cutoff: dt.date
) -> dict[int, float]:
    """subject → the class's mean of the students' weighted averages by the end of `cutoff`:
    `features.class_means` over `load_cases(…, [period], class_ids=[class_id])`, but with the
    marks summed by the database (one aggregate per student × page) instead of read as rows."""
    assert school.id is not None
    grade = _grade(session, class_id)
    if grade < 2 or not period.grade_from <= grade <= period.grade_to:
        return {}
    pages = session.execute(
        sa_select(
            col(TeachingAssignment.id), col(TeachingAssignment.subgroup_id),
            col(TeachingAssignment.subject_id),
        )
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .where(
            col(TeachingAssignment.class_id) == class_id,
            col(TeachingAssignment.year_id) == period.year_id,
            col(Subject.marked).is_(True),
        )
    ).all()  # fmt: skip
    if not pages:
        return {}
    last = min(cutoff, period.ends_on)
    if last < period.starts_on:
        return {}
    stays = [
        student_id
        for student_id, starts_on, ends_on in session.execute(
            sa_select(
                col(Enrolment.student_id), col(Enrolment.starts_on), col(Enrolment.ends_on)
            ).where(col(Enrolment.class_id) == class_id)
        ).all()
        if not (starts_on > period.ends_on or (ends_on is not None and ends_on < period.starts_on))
    ]
    members: dict[int, set[int]] = defaultdict(set)
    subgroups = sorted({sg for _, sg, _ in pages if sg is not None})
    if subgroups:
        for subgroup_id, student_id in session.execute(
            sa_select(col(SubgroupMember.subgroup_id), col(SubgroupMember.student_id)).where(
                col(SubgroupMember.subgroup_id).in_(subgroups)
            )
        ).all():
            members[subgroup_id].add(student_id)
    # A mark is known by the cut-off when its lesson is by then and it was entered before
    # the school's midnight after the cut-off (features.MarkPoint.known_on).
    zone = ZoneInfo(school.timezone)
    end = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time(0), tzinfo=zone).timestamp()
    entered = epoch(col(Mark.created_at), session.get_bind().dialect.name)
    sums: dict[tuple[int, int], tuple[float, float]] = {}
    for student_id, page_id, total, weights in session.execute(
        sa_select(
            col(Mark.student_id), col(Lesson.assignment_id),
            func.sum(col(Mark.value) * col(Mark.weight)), func.sum(col(Mark.weight)),
        )
        .join(Lesson, col(Lesson.id) == Mark.lesson_id)
        .where(
            col(Lesson.assignment_id).in_([p[0] for p in pages]),
            col(Lesson.cancelled).is_(False),
            col(Lesson.date) >= period.starts_on,
            col(Lesson.date) <= last,
            or_(col(Mark.created_at).is_(None), entered < end),
        )
        .group_by(col(Mark.student_id), col(Lesson.assignment_id))
    ).all():  # fmt: skip
        sums[(student_id, page_id)] = (float(total), float(weights))
    # Whole values times weights in halves and quarters (the work types') sum exactly in any
    # order, so these are the cases' sums; other weights may differ in the last bit only.
    per_case: dict[tuple[int, int], list[float]] = {}
    for page_id, subgroup_id, subject_id in pages:
        wanted = members.get(subgroup_id) if subgroup_id is not None else None
        for student_id in stays:
            if wanted is not None and student_id not in wanted:
                continue
            total, weights = sums.get((student_id, page_id), (0.0, 0.0))
            acc = per_case.setdefault((student_id, subject_id), [0.0, 0.0])
            acc[0] += total
            acc[1] += weights
    averages: dict[int, list[float]] = defaultdict(list)
    for (_, subject_id), (total, weights) in per_case.items():
        if weights > 0:
            averages[subject_id].append(total / weights)
    return {k: sum(v) / len(v) for k, v in averages.items()}


def _grade(session: Session, class_id: int) -> int:
    grade = session.execute(
        sa_select(col(ClassGroup.grade)).where(col(ClassGroup.id) == class_id)
    ).scalar()
    return int(grade or 0)


def closed_periods(periods: Sequence[PeriodInfo], today: dt.date) -> list[PeriodInfo]:
    """Periods that ended before `today`."""
    return [p for p in periods if p.ends_on < today]


def current_period(periods: Sequence[PeriodInfo], grade: int, today: dt.date) -> PeriodInfo | None:
    """The grade's period holding `today`, else the latest begun (holidays), else the first."""
    mine = [p for p in periods if p.grade_from <= grade <= p.grade_to]
    holding = [p for p in mine if p.starts_on <= today <= p.ends_on]
    if holding:
        return holding[0]
    begun = [p for p in mine if p.starts_on <= today]
    if begun:
        return begun[-1]
    return mine[0] if mine else None


__all__ = [
    "TERM_KINDS",
    "PageInfo",
    "PeriodInfo",
    "class_means_at",
    "closed_periods",
    "current_period",
    "fingerprint",
    "load_cases",
    "rounding_of",
    "term_periods",
]
