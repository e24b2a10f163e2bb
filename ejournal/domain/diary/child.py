"""The diary (ЭД) for families: whose diary it is, marks by subject, period marks, remarks.

Every service here reads on behalf of a parent or a student (or staff looking at a
diary) and starts with `load_child()`, which calls `permissions.require(DIARY_READ)` for
the child: a parent reaches only linked children, a student only themself. The week view
lives in `diary_week.py`, "what do I need" in `forecast.py`, messages and announcements in
their own modules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ejournal.domain import permissions
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.grading import Thresholds, weighted_average
from ejournal.domain.models import (
    ClassGroup,
    DiaryRemark,
    Holiday,
    Lesson,
    Mark,
    Parent,
    Period,
    PeriodKind,
    PeriodMark,
    RemarkKind,
    Role,
    School,
    Staff,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    WeekAcknowledgement,
    WorkType,
)
from ejournal.domain.numbers import decimal_text
from ejournal.domain.people.naming import full_name, group_name, short_name
from ejournal.domain.permissions import Actor, Permission, Scope, Target, require_some, scope_clause
from ejournal.domain.school.clock import local_date, local_day_bounds, school_today

#: Fewest students with an average before the class spread is shown: with fewer, a
#: bucket count could give away a classmate's result.
SPREAD_MIN_STUDENTS = 5

WEEKDAY_NAMES = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")

PERIOD_IN_THIS = {
    PeriodKind.QUARTER: "в этой четверти",
    PeriodKind.HALF_YEAR: "в этом полугодии",
    PeriodKind.YEAR: "в этом учебном году",
    PeriodKind.EXAM: "до экзамена",
    PeriodKind.FINAL: "до итоговой отметки",
}


# --------------------------------------------------------------------------- names and dates


def week_monday(day: dt.date) -> dt.date:
    """The Monday of the week that holds `day`."""
    return day - dt.timedelta(days=day.weekday())


# --------------------------------------------------------------------------- the child


@dataclass(frozen=True)
class ChildRef:
    """A child whose diary the actor may open."""

    student_id: int
    full_name: str
    first_name: str
    class_id: int | None
    class_name: str
    grade: int | None


@dataclass(frozen=True)
class ChildContext:
    """The child and what every diary query needs to know about them."""

    student: Student
    school: School
    class_group: ClassGroup | None
    subgroup_ids: frozenset[int]

    @property
    def student_id(self) -> int:
        assert self.student.id is not None
        return self.student.id

    @property
    def ref(self) -> ChildRef:
        return child_ref(self.student, self.class_group)


def child_ref(student: Student, group: ClassGroup | None) -> ChildRef:
    return ChildRef(
        student_id=student.id or 0,
        full_name=full_name(student.last_name, student.first_name, student.middle_name),
        first_name=student.first_name,
        class_id=None if group is None else group.id,
        class_name="" if group is None else group_name(group),
        grade=None if group is None else group.grade,
    )


def load_child(
    session: Session,
    actor: Actor | None,
    student_id: int,
    permission: Permission = Permission.DIARY_READ,
) -> ChildContext:
    """Check that `actor` may open this child's diary, then load the child's context.

    Raises PermissionDenied for another family's child (and for a child of another
    school, whatever the actor's scope) before anything is read.
    """
    actor = permissions.require(session, actor, permission, Target(student_id=student_id))
    return child_context(session, actor, student_id)


def child_context(session: Session, actor: Actor, student_id: int) -> ChildContext:
    """The child's context for a caller that has already checked `actor`'s access to the
    child (a scoped query, as messages do): only a child of the actor's school loads."""
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("Ученик не найден.")
    if student.school_id != actor.school_id:
        raise PermissionDenied()
    school = session.get(School, student.school_id)
    if school is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound("Школа не найдена.")
    group = None if student.class_id is None else session.get(ClassGroup, student.class_id)
    subgroups: frozenset[int] = frozenset()
    if group is not None:
        rows = session.exec(
            select(SubgroupMember.subgroup_id)
            .join(Subgroup, col(Subgroup.id) == SubgroupMember.subgroup_id)
            .where(SubgroupMember.student_id == student_id, Subgroup.class_id == group.id)
        ).all()
        subgroups = frozenset(rows)
    return ChildContext(student=student, school=school, class_group=group, subgroup_ids=subgroups)


def child_assignments(
    session: Session, ctx: ChildContext, *, subject_id: int | None = None
) -> list[TeachingAssignment]:
    """The child's teaching assignments: the whole class's and their own subgroups' only."""
    group = ctx.class_group
    if group is None:
        return []
    query = select(TeachingAssignment).where(
        TeachingAssignment.class_id == group.id,
        TeachingAssignment.year_id == group.year_id,
        or_(
            col(TeachingAssignment.subgroup_id).is_(None),
            col(TeachingAssignment.subgroup_id).in_(ctx.subgroup_ids or {-1}),
        ),
    )
    if subject_id is not None:
        query = query.where(TeachingAssignment.subject_id == subject_id)
    return list(session.exec(query).all())


def holidays_for(session: Session, ctx: ChildContext) -> list[Holiday]:
    group = ctx.class_group
    if group is None:
        return []
    return list(
        session.exec(
            select(Holiday).where(
                Holiday.year_id == group.year_id,
                Holiday.grade_from <= group.grade,
                Holiday.grade_to >= group.grade,
            )
        ).all()
    )


def holiday_name(holidays: Iterable[Holiday], day: dt.date) -> str | None:
    for h in holidays:
        if h.starts_on <= day <= h.ends_on:
            return h.name
    return None


def child_period(session: Session, ctx: ChildContext, period_id: int) -> Period:
    """A period of the child's year that applies to the child's grade, or NotFound."""
    period = session.get(Period, period_id)
    group = ctx.class_group
    if (
        period is None
        or group is None
        or period.year_id != group.year_id
        or not period.grade_from <= group.grade <= period.grade_to
    ):
        raise NotFound("Учебный период не найден.")
    return period


@read_only
def children_of(session: Session, *, actor: Actor | None) -> list[ChildRef]:
    """The children whose diary `actor` opens: a parent's linked children, a student's self."""
    actor = require_some(actor, Permission.DIARY_READ)
    # A family's own: staff who also read diaries (their class, the school) are not «parents».
    family = {Scope.OWN_CHILDREN, Scope.SELF}
    rows = session.exec(
        select(Student, ClassGroup)
        .join(ClassGroup, col(ClassGroup.id) == Student.class_id, isouter=True)
        .where(scope_clause(actor, Permission.DIARY_READ, Student, only=family))
        .order_by(col(Student.last_name), col(Student.first_name))
    ).all()
    return [child_ref(s, g) for s, g in rows]


# --------------------------------------------------------------------------- marks by subject


@dataclass(frozen=True)
class MarkEntry:
    """One current mark as the diary shows it."""

    date: dt.date
    value: int
    work_type_abbreviation: str
    work_type_name: str
    weight: Decimal
    comment: str = ""


@dataclass(frozen=True)
class SpreadBucket:
    """How many students of the class have an average in [low, high): counts only."""

    label: str
    mark: int  # the period mark this range points to
    count: int
    is_child: bool


@dataclass(frozen=True)
class TrendPoint:
    """The cumulative average at the end of a week that brought marks."""

    week_start: dt.date
    average: Decimal


@dataclass(frozen=True)
class SubjectSummary:
    subject_id: int
    subject_name: str
    marks: list[MarkEntry]
    average: Decimal | None
    suggested_mark: int | None
    # None when the class has too few students with marks to keep the spread anonymous.
    spread: list[SpreadBucket] | None
    trend: list[TrendPoint]


def spread_buckets(
    averages: Sequence[Decimal], child_average: Decimal | None, school: School
) -> list[SpreadBucket] | None:
    """Anonymous counts of class averages in the ranges the school's thresholds define."""
    if len(averages) < SPREAD_MIN_STUDENTS:
        return None
    t = Thresholds.of(school)
    r3, r4, r5 = t.round_to_3, t.round_to_4, t.round_to_5
    ranges = [
        (f"< {decimal_text(r3)}", 2, None, r3),
        (f"{decimal_text(r3)}–{decimal_text(r4)}", 3, r3, r4),
        (f"{decimal_text(r4)}–{decimal_text(r5)}", 4, r4, r5),
        (f"≥ {decimal_text(r5)}", 5, r5, None),
    ]

    def inside(avg: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
        return (low is None or avg >= low) and (high is None or avg < high)

    return [
        SpreadBucket(
            label=label,
            mark=mark,
            count=sum(1 for a in averages if inside(a, low, high)),
            is_child=child_average is not None and inside(child_average, low, high),
        )
        for label, mark, low, high in ranges
    ]


def trend_points(marks: Sequence[tuple[dt.date, int, Decimal]]) -> list[TrendPoint]:
    """Cumulative weighted average at the end of each week with marks, in date order."""
    points: list[TrendPoint] = []
    so_far: list[tuple[int, Decimal]] = []
    for day, value, weight in sorted(marks, key=lambda m: m[0]):
        so_far.append((value, weight))
        avg = weighted_average(so_far)
        assert avg is not None
        monday = week_monday(day)
        if points and points[-1].week_start == monday:
            points[-1] = TrendPoint(monday, avg)
        else:
            points.append(TrendPoint(monday, avg))
    return points


def _work_types(session: Session, school_id: int) -> dict[int, WorkType]:
    rows = session.exec(select(WorkType).where(WorkType.school_id == school_id)).all()
    return {w.id: w for w in rows if w.id is not None}


@read_only
def subject_marks(
    session: Session, *, actor: Actor | None, student_id: int, period_id: int
) -> list[SubjectSummary]:
    """Per marked subject of the child: marks, weighted average, anonymous class spread, trend."""
    ctx = load_child(session, actor, student_id)
    period = child_period(session, ctx, period_id)
    group = ctx.class_group
    assert group is not None
    own = {a.id for a in child_assignments(session, ctx)}
    # Every assignment of the class (both subgroups): the spread is the whole class's.
    class_assignments = session.exec(
        select(TeachingAssignment, Subject)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .where(TeachingAssignment.class_id == group.id, TeachingAssignment.year_id == group.year_id)
    ).all()
    subject_of = {a.id: s for a, s in class_assignments}
    subjects = sorted(
        {s.id: s for a, s in class_assignments if a.id in own and s.marked}.values(),
        key=lambda s: (s.sort_order, s.name),
    )
    classmates = set(
        session.exec(
            select(Student.id).where(Student.class_id == group.id, col(Student.is_active))
        ).all()
    )
    classmates.add(ctx.student_id)
    work_types = _work_types(session, ctx.school.id or 0)
    in_period = (
        col(Lesson.assignment_id).in_(list(subject_of)),
        Lesson.date >= period.starts_on,
        Lesson.date <= period.ends_on,
        col(Lesson.cancelled).is_(False),
    )
    # The class's marks as bare numbers (no ORM objects): only the averages are needed.
    by_student: dict[tuple[int, int], list[tuple[int, Decimal]]] = defaultdict(list)
    for sid, assignment_id, value, weight in session.exec(
        select(Mark.student_id, Lesson.assignment_id, Mark.value, col(Mark.weight))
        .join(Lesson, col(Lesson.id) == Mark.lesson_id)
        .where(*in_period)
    ).all():
        if sid in classmates:
            subject_id = subject_of[assignment_id].id or 0
            by_student[(subject_id, sid)].append((value, weight))
    child_marks: dict[int, list[MarkEntry]] = defaultdict(list)
    for mark, assignment_id, day, lesson_wt in session.exec(
        select(Mark, Lesson.assignment_id, col(Lesson.date), Lesson.work_type_id)
        .join(Lesson, col(Lesson.id) == Mark.lesson_id)
        .where(Mark.student_id == ctx.student_id, *in_period)
    ).all():
        wt = work_types.get(mark.work_type_id or lesson_wt or 0)
        child_marks[subject_of[assignment_id].id or 0].append(
            MarkEntry(
                date=day,
                value=mark.value,
                work_type_abbreviation="" if wt is None else wt.abbreviation,
                work_type_name="" if wt is None else wt.name,
                weight=mark.weight,
                comment=mark.comment,
            )
        )
    thresholds = Thresholds.of(ctx.school)
    result: list[SubjectSummary] = []
    for subject in subjects:
        assert subject.id is not None
        marks = sorted(child_marks.get(subject.id, []), key=lambda m: m.date)
        average = weighted_average((m.value, m.weight) for m in marks)
        class_averages = [
            avg
            for (subj, _sid), values in by_student.items()
            if subj == subject.id and (avg := weighted_average(values)) is not None
        ]
        result.append(
            SubjectSummary(
                subject_id=subject.id,
                subject_name=subject.name,
                marks=marks,
                average=average,
                suggested_mark=thresholds.mark(average),
                spread=spread_buckets(class_averages, average, ctx.school),
                trend=trend_points([(m.date, m.value, m.weight) for m in marks]),
            )
        )
    return result


# --------------------------------------------------------------------------- period marks


@dataclass(frozen=True)
class PeriodMarkEntry:
    subject_id: int
    subject_name: str
    value: int | None
    not_attested: bool

    @property
    def label(self) -> str:
        return "не аттестован" if self.not_attested else str(self.value)


@dataclass(frozen=True)
class PublishedPeriod:
    period_id: int
    name: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    published_on: dt.date
    marks: list[PeriodMarkEntry]


def published_on(period: Period, school: School) -> dt.date:
    """The first day families see a period's marks [004 §8.2, §10.3]."""
    return period.ends_on + dt.timedelta(days=school.period_mark_publish_days)


def _published_periods(session: Session, ctx: ChildContext, today: dt.date) -> list[Period]:
    group = ctx.class_group
    if group is None:
        return []
    periods = session.exec(
        select(Period)
        .where(
            Period.year_id == group.year_id,
            Period.grade_from <= group.grade,
            Period.grade_to >= group.grade,
        )
        .order_by(col(Period.ends_on), col(Period.starts_on))
    ).all()
    return [p for p in periods if published_on(p, ctx.school) <= today]


def period_marks_for(session: Session, ctx: ChildContext, today: dt.date) -> list[PublishedPeriod]:
    """The published periods with the child's period marks (no permission check: internal)."""
    periods = _published_periods(session, ctx, today)
    if not periods:
        return []
    rows = session.exec(
        select(PeriodMark, Subject)
        .join(Subject, col(Subject.id) == PeriodMark.subject_id)
        .where(
            PeriodMark.student_id == ctx.student_id,
            col(PeriodMark.period_id).in_([p.id for p in periods]),
        )
        .order_by(col(Subject.sort_order), col(Subject.name))
    ).all()
    marks: dict[int, list[PeriodMarkEntry]] = defaultdict(list)
    for pm, subject in rows:
        assert subject.id is not None
        marks[pm.period_id].append(
            PeriodMarkEntry(subject.id, subject.name, pm.value, pm.not_attested)
        )
    return [
        PublishedPeriod(
            period_id=p.id or 0,
            name=p.name,
            kind=p.kind,
            starts_on=p.starts_on,
            ends_on=p.ends_on,
            published_on=published_on(p, ctx.school),
            marks=marks.get(p.id or 0, []),
        )
        for p in periods
    ]


@read_only
def period_marks(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    now: dt.datetime | dt.date | None = None,
) -> list[PublishedPeriod]:
    """The child's period marks, only for periods whose end + publish days ≤ today."""
    ctx = load_child(session, actor, student_id)
    return period_marks_for(session, ctx, school_today(ctx.school, now))


# --------------------------------------------------------------------------- remarks


@dataclass(frozen=True)
class RemarkEntry:
    remark_id: int
    kind: str  # RemarkKind
    text: str
    created_at: dt.datetime
    date: dt.date  # the lesson's date, or the school-local day it was written
    author_name: str
    subject_name: str

    @property
    def is_praise(self) -> bool:
        return self.kind == RemarkKind.PRAISE


def remark_entries(
    session: Session,
    ctx: ChildContext,
    *,
    since: dt.datetime | None = None,
    between: tuple[dt.date, dt.date] | None = None,
) -> list[RemarkEntry]:
    """The child's remarks and praise, newest first (no permission check: internal)."""
    query = (
        select(DiaryRemark, col(Lesson.date), col(Subject.name), Staff)
        .join(Lesson, col(Lesson.id) == DiaryRemark.lesson_id, isouter=True)
        .join(Subject, col(Subject.id) == DiaryRemark.subject_id, isouter=True)
        .join(Staff, col(Staff.user_id) == DiaryRemark.author_id, isouter=True)
        .where(DiaryRemark.student_id == ctx.student_id)
    )
    if since is not None:
        query = query.where(col(DiaryRemark.created_at) >= since)
    if between is not None:
        start, end = local_day_bounds(ctx.school, *between)
        query = query.where(
            or_(
                col(Lesson.date).between(between[0], between[1]),
                (col(DiaryRemark.lesson_id).is_(None))
                & (col(DiaryRemark.created_at) >= start)
                & (col(DiaryRemark.created_at) < end),
            )
        )
    rows = session.exec(query.order_by(col(DiaryRemark.created_at).desc())).all()
    return [
        RemarkEntry(
            remark_id=r.id or 0,
            kind=r.kind,
            text=r.text,
            created_at=r.created_at,
            date=lesson_date or local_date(ctx.school, r.created_at),
            author_name=""
            if staff is None
            else short_name(staff.last_name, staff.first_name, staff.middle_name),
            subject_name=subject_name or "",
        )
        for r, lesson_date, subject_name, staff in rows
    ]


@read_only
def remarks(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    since: dt.datetime | dt.date | None = None,
) -> list[RemarkEntry]:
    """Teachers' remarks and praise in the child's diary [004 §10.5], newest first."""
    ctx = load_child(session, actor, student_id)
    since_at: dt.datetime | None
    if isinstance(since, dt.datetime):
        since_at = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    elif isinstance(since, dt.date):
        since_at = local_day_bounds(ctx.school, since, since)[0]
    else:
        since_at = None
    return remark_entries(session, ctx, since=since_at)


# --------------------------------------------------------------------------- «Ознакомлен»


@dataclass(frozen=True)
class WeekConfirmation:
    student_id: int
    week_start: dt.date
    confirmed_at: dt.datetime


def confirm_week(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    week_start: dt.date,
    today: dt.date | None = None,
) -> WeekConfirmation:
    """A parent confirms having seen the child's week («Ознакомлен»); confirming twice is a no-op."""
    ctx = load_child(session, actor, student_id, Permission.WEEK_CONFIRM)
    assert actor is not None
    if actor.parent_id is None:
        raise PermissionDenied("Подтвердить неделю может только родитель.")
    monday = week_monday(week_start)
    if monday > school_today(ctx.school, today):
        raise ValidationError("Нельзя подтвердить неделю, которая ещё не началась.")
    existing = session.exec(
        select(WeekAcknowledgement).where(
            WeekAcknowledgement.parent_id == actor.parent_id,
            WeekAcknowledgement.student_id == student_id,
            WeekAcknowledgement.week_start == monday,
        )
    ).first()
    if existing is None:
        existing = WeekAcknowledgement(
            parent_id=actor.parent_id, student_id=student_id, week_start=monday
        )
        session.add(existing)
    return WeekConfirmation(student_id, monday, existing.confirmed_at)


@dataclass(frozen=True)
class ConfirmationRow:
    """One student of a class: has a parent confirmed the week, who and when."""

    student_id: int
    student_name: str
    confirmed: bool
    confirmed_by: list[str]
    confirmed_at: dt.datetime | None


@read_only
def week_confirmations(
    session: Session, *, actor: Actor | None, class_id: int, week_start: dt.date
) -> list[ConfirmationRow]:
    """Who of the class has and has not confirmed the week (class teacher, administration)."""
    permissions.require(session, actor, Permission.DIARY_READ, Target(class_id=class_id))
    assert actor is not None
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    monday = week_monday(week_start)
    students = session.exec(
        select(Student)
        .where(Student.class_id == class_id, col(Student.is_active))
        .order_by(col(Student.last_name), col(Student.first_name))
    ).all()
    acks = session.exec(
        select(WeekAcknowledgement, Parent)
        .join(Parent, col(Parent.id) == WeekAcknowledgement.parent_id)
        .where(
            col(WeekAcknowledgement.student_id).in_([s.id for s in students]),
            WeekAcknowledgement.week_start == monday,
        )
        .order_by(col(WeekAcknowledgement.confirmed_at))
    ).all()
    by_student: dict[int, list[tuple[WeekAcknowledgement, Parent]]] = defaultdict(list)
    for ack, parent in acks:
        by_student[ack.student_id].append((ack, parent))
    rows: list[ConfirmationRow] = []
    for s in students:
        done = by_student.get(s.id or 0, [])
        rows.append(
            ConfirmationRow(
                student_id=s.id or 0,
                student_name=full_name(s.last_name, s.first_name),
                confirmed=bool(done),
                confirmed_by=[full_name(p.last_name, p.first_name, p.middle_name) for _, p in done],
                confirmed_at=done[0][0].confirmed_at if done else None,
            )
        )
    return rows


def is_staff(actor: Actor) -> bool:
    return actor.staff_id is not None and bool(
        actor.roles
        & {Role.ADMIN, Role.DIRECTOR, Role.DEPUTY, Role.TEACHER, Role.CLASS_TEACHER, Role.SECRETARY}
    )


__all__ = [
    "ChildContext",
    "ChildRef",
    "ConfirmationRow",
    "MarkEntry",
    "PeriodMarkEntry",
    "PublishedPeriod",
    "RemarkEntry",
    "SpreadBucket",
    "SubjectSummary",
    "TrendPoint",
    "WeekConfirmation",
    "children_of",
    "confirm_week",
    "period_marks",
    "remarks",
    "subject_marks",
    "week_confirmations",
]


__all__ = [
    "PERIOD_IN_THIS",
    "SPREAD_MIN_STUDENTS",
    "WEEKDAY_NAMES",
    "ChildContext",
    "ChildRef",
    "ConfirmationRow",
    "MarkEntry",
    "PeriodMarkEntry",
    "PublishedPeriod",
    "RemarkEntry",
    "SpreadBucket",
    "SubjectSummary",
    "TrendPoint",
    "WeekConfirmation",
    "child_assignments",
    "child_period",
    "child_ref",
    "children_of",
    "confirm_week",
    "holiday_name",
    "holidays_for",
    "is_staff",
    "load_child",
    "period_marks",
    "period_marks_for",
    "published_on",
    "remark_entries",
    "remarks",
    "spread_buckets",
    "subject_marks",
    "trend_points",
    "week_confirmations",
    "week_monday",
]
