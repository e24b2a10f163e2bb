"""The journal rows a control check reads, loaded in a fixed handful of queries.

One window's assignments (in the actor's analytics scope, narrowed by the filters), their
lessons, marks, attendance, enrolments, КТП sums and control lines, timetable and period
marks come in with about fifteen SQL statements and are indexed in dicts, so the checklist
(`checklist.py`) and the КТП report (`ktp.py`) compute without a query per lesson or per
student.

Kept narrow for speed: instants come as epoch seconds computed by the database (no datetime
object per mark), marks only for the window's lessons onwards (and the КТП's control lessons),
the weighted averages a closed term needs as SQL sums per student, the КТП as sums per
assignment plus its control lines.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    and_,
    case,
    cast,
    extract,
    func,
    or_,
    type_coerce,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ejournal.domain.control.table import Filters, Finding, Window
from ejournal.domain.errors import NotFound
from ejournal.domain.grading import HUNDREDTH
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AttendanceStatus,
    ClassGroup,
    Enrolment,
    Holiday,
    Lesson,
    Mark,
    Period,
    PeriodKind,
    PeriodMark,
    School,
    Staff,
    Student,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    TimetableSlot,
    WorkType,
)
from ejournal.domain.people.naming import class_name, short_name
from ejournal.domain.permissions import Actor, Permission, scope_clause
from ejournal.domain.school.clock import school_today

TERM_KINDS = (PeriodKind.QUARTER.value, PeriodKind.HALF_YEAR.value)
#: Statuses that mean the student was not in the lesson («н»); late counts as present.
ABSENT = frozenset({AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value})
#: The oral work type: «Ответ на уроке» [004 §5.10].
ORAL_CODE = "answer"

Span = tuple[dt.date, dt.date | None]


def aware(at: dt.datetime) -> dt.datetime:
    """A stored instant as aware UTC (SQLite gives naive UTC back)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def epoch(column: Any, dialect: str) -> ColumnElement[float]:
    """A stored instant as seconds since 1970 UTC, computed by the database (None for NULL):
    thousands of marks compare with a deadline without a datetime object each."""
    if dialect == "postgresql":
        return cast(extract("epoch", column), Float)
    # SQLite keeps naive UTC text; its Julian day is whole milliseconds inside, so rounding
    # to them undoes the floating-point error.
    ms = func.round((func.julianday(column) - 2440587.5) * 86_400_000.0)
    return type_coerce(ms / 1000.0, Float)


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    year_id: int
    class_id: int
    grade: int
    letter: str
    subgroup_id: int | None
    subject_id: int
    subject: str
    subject_order: int
    subject_marked: bool
    teacher_id: int

    @property
    def marked(self) -> bool:
        """Marks are given: a marked subject and not grade 1 [004 §3.7–3.8]."""
        return self.subject_marked and self.grade >= 2

    @property
    def class_name(self) -> str:
        return class_name(self.grade, self.letter)

    @property
    def order(self) -> tuple[int, str, int, str]:
        return (self.grade, self.letter, self.subject_order, self.subject)


class LessonRow(NamedTuple):
    id: int
    assignment_id: int
    date: dt.date
    number: int
    cancelled: bool
    work_type_id: int | None
    has_topic: bool
    has_homework: bool
    homework_none: bool
    attendance_taken: bool  # attendance_taken_at is recorded
    topic_set_at: float | None  # epoch seconds (UTC) when the topic was written
    plan_item_id: int | None
    substitute_id: int | None


#: A mark as the database returns it: (student, lesson, value, work type — the mark's own,
#: else the lesson's —, epoch seconds when it was entered). A plain tuple: there are tens of
#: thousands, and plain tuples of numbers cost no object each and escape the garbage
#: collector; unpack them (`for student, lesson, value, work_type, entered in marks`).
MarkRow = tuple[int, int, int, int | None, float]


@dataclass(frozen=True)
class WorkTypeRow:
    id: int
    code: str
    name: str
    is_control: bool
    deadline_lessons: int
    deadline_days: int


@dataclass(frozen=True)
class PeriodRow:
    id: int
    year_id: int
    kind: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int
    grade_to: int

    def covers(self, grade: int) -> bool:
        return self.grade_from <= grade <= self.grade_to


@dataclass(frozen=True)
class PlanRow:
    id: int
    assignment_id: int
    number: int
    topic: str
    hours: int
    planned_on: dt.date | None
    work_type_id: int | None


class PlanSums(NamedTuple):
    """An assignment's КТП in figures: lines, hours in all, hours planned to the last day."""

    lines: int
    hours: int
    hours_to_date: int


class PeriodMarkRow(NamedTuple):
    value: int | None
    not_attested: bool
    justification: str
    entered: float  # epoch seconds (UTC) when it was set (created_at)


class Deadline(NamedTuple):
    """When entries are due: an aware school-local instant, how to say it, epoch seconds."""

    at: dt.datetime
    label: str
    ts: float


def _deadline(at: dt.datetime, label: str) -> Deadline:
    return Deadline(at, label, at.timestamp())


def _d(day: dt.date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


@dataclass
class JournalRows:
    """What the checks of one window read, indexed for them."""

    school: School
    window: Window
    today: dt.date  # the school's day of `now`
    last: dt.date  # the last day whose lessons count: window end, report day or today
    zone: ZoneInfo
    years: dict[int, tuple[dt.date, dt.date]]
    assignments: dict[int, AssignmentRow]
    lessons_of: dict[int, list[LessonRow]]  # assignment → its lessons by (date, number)
    marks_of: dict[int, list[MarkRow]]  # lesson → marks (window onwards, КТП control lessons)
    absent: dict[tuple[int, int], str]  # (student, lesson) → attendance status
    attendance_lessons: set[int]  # lessons with any attendance row
    enrolments: dict[int, dict[int, list[Span]]]  # class → student → stays
    subgroup_members: dict[int, set[int]]
    students: dict[int, str]  # student → «Фамилия Имя»
    staff: dict[int, str]  # staff → «Фамилия И. О.»
    work_types: dict[int, WorkTypeRow]
    periods: list[PeriodRow]
    holidays: list[tuple[int, dt.date, dt.date, int, int]]  # year, from, to, grades
    plan_sums: dict[int, PlanSums]  # assignment → its КТП in figures
    control_items: dict[int, list[PlanRow]]  # assignment → КТП lines of a control work type
    slots: dict[int, list[tuple[int, dt.date, dt.date | None]]]  # weekday, valid from/to
    period_marks: dict[tuple[int, int, int], PeriodMarkRow]  # (student, subject, period)
    # (term, assignment) → student → (Σ value·weight·100, Σ weight·100) of the term's marks
    term_sums: dict[tuple[int, int], dict[int, tuple[int, int]]]
    # (assignment, student) → the day of the last mark before the window (this school year)
    last_mark_before: dict[tuple[int, int], dt.date]
    marks_from: dt.date  # the КТП's control lessons have marks and attendance from this day
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    _members: dict[int, dict[int, list[Span]]] = field(default_factory=dict)
    _enrolled: dict[tuple[int, dt.date], list[int]] = field(default_factory=dict)
    _roll: dict[int, tuple[list[int], dict[int, list[Span]]]] = field(default_factory=dict)
    _held: dict[int, list[LessonRow]] = field(default_factory=dict)
    _terms: dict[tuple[int, int], list[PeriodRow]] = field(default_factory=dict)
    _days: dict[tuple[int, int, dt.date], dict[int, list[dt.date]]] = field(default_factory=dict)
    _given: dict[int, list[LessonRow]] = field(default_factory=dict)
    _position: dict[int, int] = field(default_factory=dict)
    _deadlines: dict[tuple[int, int | None], Deadline | None] = field(default_factory=dict)
    _dues: dict[tuple[str, dt.date, int], Deadline] = field(default_factory=dict)
    _marked: dict[int, set[int]] = field(default_factory=dict)

    # ------------------------------------------------------------------ lessons

    def held(self, lesson: LessonRow) -> bool:
        """A lesson of the window that took place: not cancelled, not after the last day."""
        return not lesson.cancelled and self.window.starts_on <= lesson.date <= self.last

    def held_lessons(self, assignment_id: int) -> list[LessonRow]:
        found = self._held.get(assignment_id)
        if found is None:
            found = self._held[assignment_id] = [
                x for x in self.lessons_of.get(assignment_id, ()) if self.held(x)
            ]
        return found

    def given(self, assignment_id: int) -> list[LessonRow]:
        """The assignment's lessons that were not cancelled (future ones too), in order."""
        found = self._given.get(assignment_id)
        if found is None:
            found = [x for x in self.lessons_of.get(assignment_id, ()) if not x.cancelled]
            self._given[assignment_id] = found
            self._position.update((x.id, i) for i, x in enumerate(found))
        return found

    def mark_deadline(self, lesson: LessonRow, work_type_id: int | None) -> Deadline | None:
        """When a mark of this work type at `lesson` is due [003 §3.2], [004 §4.4.1]: within
        N days; by the end of the day of the N-th following lesson; else the lesson's day by
        the deadline hour. None while that following lesson is not in the journal yet."""
        key = (lesson.id, work_type_id)
        if key in self._deadlines:
            return self._deadlines[key]
        found = self._deadlines[key] = self._mark_deadline(lesson, work_type_id)
        return found

    def _mark_deadline(self, lesson: LessonRow, work_type_id: int | None) -> Deadline | None:
        wt = self.work_types.get(work_type_id) if work_type_id is not None else None
        if wt is not None and wt.deadline_days > 0:
            return self._due("days", lesson.date + dt.timedelta(days=wt.deadline_days), 0)
        if wt is not None and wt.deadline_lessons > 0:
            n = wt.deadline_lessons
            given = self.given(lesson.assignment_id)
            i = self._position.get(lesson.id)
            if i is None or i + n >= len(given):
                return None
            return self._due("lessons", given[i + n].date, n)
        return self._due("hour", lesson.date, 0)

    def _due(self, kind: str, day: dt.date, n: int) -> Deadline:
        """The deadline `kind` on `day` (one object per day, shared by its lessons)."""
        key = (kind, day, n)
        found = self._dues.get(key)
        if found is None:
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)
            if kind == "days":
                found = _deadline(end, f"до конца дня {_d(day)}")
            elif kind == "lessons":
                which = "следующего урока" if n == 1 else f"{n}-го следующего урока"
                found = _deadline(end, f"до конца дня {which}, {_d(day)}")
            else:
                hour = self.school.marks_deadline_hour
                at = dt.datetime.combine(day, dt.time(hour), tzinfo=self.zone)
                found = _deadline(at, f"{_d(day)} до {hour}:00")
            self._dues[key] = found
        return found

    def marks_due(self, lesson: LessonRow) -> bool:
        """Whether the marks of `lesson` (its own work type) are due by now."""
        due = self.mark_deadline(lesson, lesson.work_type_id)
        return due is not None and self.now >= due.at

    def marked(self, lesson_id: int) -> set[int]:
        """The students with a mark at the lesson."""
        found = self._marked.get(lesson_id)
        if found is None:
            found = self._marked[lesson_id] = {m[0] for m in self.marks_of.get(lesson_id, ())}
        return found

    # ------------------------------------------------------------------ students

    def members(self, a: AssignmentRow) -> dict[int, list[Span]]:
        """Student → stays in the assignment's class (and subgroup)."""
        found = self._members.get(a.id)
        if found is None:
            stays = self.enrolments.get(a.class_id, {})
            if a.subgroup_id is not None:
                keep = self.subgroup_members.get(a.subgroup_id, set())
                stays = {s: v for s, v in stays.items() if s in keep}
            found = self._members[a.id] = stays
        return found

    @staticmethod
    def in_stays(stays: list[Span], day: dt.date) -> bool:
        return any(a <= day and (b is None or day <= b) for a, b in stays)

    def enrolled_on(self, a: AssignmentRow, day: dt.date) -> list[int]:
        """The assignment's students on `day`, by name."""
        key = (a.id, day)
        found = self._enrolled.get(key)
        if found is None:
            roll = self._roll.get(a.id)
            if roll is None:
                members = self.members(a)
                order = sorted(members, key=lambda s: (self.students.get(s, ""), s))
                # Most students stay the whole year: only the others are looked at per day.
                starts, ends = self.years.get(a.year_id, (dt.date.min, dt.date.max))
                moved = {
                    s: stays
                    for s, stays in members.items()
                    if not any(b <= starts and (e is None or e >= ends) for b, e in stays)
                }
                roll = self._roll[a.id] = (order, moved)
            order, moved = roll
            if not moved:
                found = order
            else:
                found = [
                    s
                    for s in order
                    if s not in moved
                    or any(b <= day and (e is None or day <= e) for b, e in moved[s])
                ]
            self._enrolled[key] = found
        return found

    def present_without_mark(self, a: AssignmentRow, lesson: LessonRow) -> list[int]:
        """Students enrolled and present (not «н») at `lesson` who have no mark in it."""
        marked = self.marked(lesson.id)
        return [
            s
            for s in self.enrolled_on(a, lesson.date)
            if s not in marked and self.absent.get((s, lesson.id)) not in ABSENT
        ]

    # ------------------------------------------------------------------ calendar

    def terms(self, year_id: int, grade: int) -> list[PeriodRow]:
        """The quarters or half-years of `grade` in the year, in order."""
        found = self._terms.get((year_id, grade))
        if found is None:
            found = self._terms[(year_id, grade)] = [
                p
                for p in self.periods
                if p.year_id == year_id and p.kind in TERM_KINDS and p.covers(grade)
            ]
        return found

    def term_id(self, a: AssignmentRow, day: dt.date | None) -> int | None:
        """The quarter or half-year of the class's grade for `day` (the one before it in a
        holiday, else the first): the journal page a finding links to."""
        terms = self.terms(a.year_id, a.grade)
        if not terms:
            return None
        if day is None:
            day = self.last
        before = [p for p in terms if p.starts_on <= day]
        return (before[-1] if before else terms[0]).id

    def school_days(self, year_id: int, grade: int, after: dt.date) -> dict[int, list[dt.date]]:
        """Weekday → the school days of `grade` after `after` to the year's end: weekdays of
        the school's week, inside a term, outside the grade's holidays."""
        cached = self._days.get((year_id, grade, after))
        if cached is not None:
            return cached
        starts, ends = self.years[year_id]
        terms = self.terms(year_id, grade)
        holidays = [
            (a, b) for y, a, b, g1, g2 in self.holidays if y == year_id and g1 <= grade <= g2
        ]
        out: dict[int, list[dt.date]] = defaultdict(list)
        day = max(after + dt.timedelta(days=1), starts)
        while day <= ends:
            if (
                day.isoweekday() <= self.school.days_per_week
                and (not terms or any(p.starts_on <= day <= p.ends_on for p in terms))
                and not any(a <= day <= b for a, b in holidays)
            ):
                out[day.isoweekday()].append(day)
            day += dt.timedelta(days=1)
        self._days[(year_id, grade, after)] = out
        return out

    def remaining_timetable(self, a: AssignmentRow, after: dt.date) -> int:
        """Timetable lessons of the assignment on school days after `after` to the year's end."""
        days = self.school_days(a.year_id, a.grade, after)
        total = 0
        for weekday, valid_from, valid_to in self.slots.get(a.id, ()):
            dates = days.get(weekday, [])
            lo = bisect.bisect_left(dates, valid_from)
            hi = len(dates) if valid_to is None else bisect.bisect_right(dates, valid_to)
            total += max(0, hi - lo)
        return total

    def day_closed(self, day: dt.date) -> bool:
        """Whether the day's entries are due by now: its deadline hour (17:00) has passed."""
        hour = self.school.marks_deadline_hour
        return self.now >= dt.datetime.combine(day, dt.time(hour), tzinfo=self.zone)

    def local(self, at: dt.datetime | float) -> dt.datetime:
        """A stored instant (a datetime or epoch seconds) in the school's time zone."""
        if isinstance(at, float | int):
            return dt.datetime.fromtimestamp(at, self.zone)
        return aware(at).astimezone(self.zone)

    def day_start(self, day: dt.date) -> float:
        """Epoch seconds of the school-local midnight that starts `day`."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.zone).timestamp()

    def term_average(self, period_id: int, assignment_id: int, student: int) -> Decimal | None:
        """The weighted average of a student's marks of the term in the assignment, rounded
        half-up to 0.01 like `grading.weighted_average` (None without marks)."""
        sums = self.term_sums.get((period_id, assignment_id), {}).get(student)
        if sums is None or sums[1] == 0:
            return None
        return (Decimal(sums[0]) / Decimal(sums[1])).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)

    # ------------------------------------------------------------------ findings

    def finding(
        self,
        rule: str,
        a: AssignmentRow,
        text: str,
        *,
        lesson: LessonRow | None = None,
        student_id: int | None = None,
        day: dt.date | None = None,
        period_id: int | None = None,
        **extra: Any,
    ) -> Finding:
        """A finding about `a` (a lesson's substitute answers for that lesson)."""
        teacher_id = a.teacher_id
        if lesson is not None and lesson.substitute_id is not None:
            teacher_id = lesson.substitute_id
        if day is None and lesson is not None:
            day = lesson.date
        if student_id is not None:
            extra.setdefault("student", self.students.get(student_id, ""))
        return Finding(
            rule=rule,
            text=text,
            teacher_id=teacher_id,
            teacher=self.staff.get(teacher_id, ""),
            class_id=a.class_id,
            class_name=a.class_name,
            subject_id=a.subject_id,
            subject=a.subject,
            student_id=student_id,
            lesson_id=lesson.id if lesson is not None else None,
            assignment_id=a.id,
            period_id=period_id if period_id is not None else self.term_id(a, day),
            day=day,
            extra=extra,
        )


def _all(conn: Connection, stmt: Any) -> list[Any]:
    """All rows of a Core statement (no ORM bookkeeping)."""
    return list(conn.execute(stmt).all())


def _numbers(conn: Connection, stmt: Any) -> list[Any]:
    """All rows of a statement whose columns need no conversion by SQLAlchemy (integers,
    floats, plain text) as the driver's own tuples: no Row object per row for the many."""
    result = conn.execute(stmt)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _assignment_filter(actor: Actor, filters: Filters, year_ids: list[int]) -> Any:
    """The ids of the assignments the actor's analytics reach, narrowed by the filters."""
    conds: list[ColumnElement[bool]] = [
        scope_clause(actor, Permission.ANALYTICS_READ, TeachingAssignment),
        col(TeachingAssignment.year_id).in_(year_ids),
    ]
    if filters.class_id is not None:
        conds.append(col(TeachingAssignment.class_id) == filters.class_id)
    if filters.subject_id is not None:
        conds.append(col(TeachingAssignment.subject_id) == filters.subject_id)
    if filters.teacher_id is not None:
        conds.append(col(TeachingAssignment.teacher_id) == filters.teacher_id)
    stmt = sa_select(col(TeachingAssignment.id)).join(
        ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id
    )
    if filters.grade is not None:
        conds.append(col(ClassGroup.grade) == filters.grade)
    return stmt.where(and_(*conds))


def closed_periods(
    rows_periods: list[PeriodRow], window: Window, report_day: dt.date
) -> list[PeriodRow]:
    """Periods that ended before the report day and overlap the window."""
    return [
        p
        for p in rows_periods
        if p.ends_on < report_day
        and p.starts_on <= window.ends_on
        and p.ends_on >= window.starts_on
    ]


def load_rows(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters,
    now: dt.datetime | None,
    marks_from: dt.date | None = None,
    control_plan_only: bool = False,
    with_period_marks: bool = True,
) -> JournalRows:
    """Load what the checks of `window` read (the caller has checked the permission).

    Marks and attendance come for the lessons from the window's start up to today, and for
    the lessons linked to a control work of the КТП from `marks_from` (default: the start of
    a term that ended in the window, else the window's start); with `control_plan_only`, just
    for the latter. The terms that ended by the report day and overlap the window get their
    marks' weighted sums per assignment and student (for the suggested period mark).
    """
    conn = session.connection()  # Core rows: no ORM bookkeeping for thousands of them
    dialect = conn.dialect.name
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    today = school_today(school, now)
    last = min(window.last_day, today)
    zone = ZoneInfo(school.timezone)

    years = {
        y: (a, b)
        for y, a, b in _all(
            conn,
            sa_select(
                col(AcademicYear.id), col(AcademicYear.starts_on), col(AcademicYear.ends_on)
            ).where(
                col(AcademicYear.school_id) == actor.school_id,
                col(AcademicYear.starts_on) <= window.ends_on,
                col(AcademicYear.ends_on) >= window.starts_on,
            ),
        )
    }
    year_ids = sorted(years)
    periods = [
        PeriodRow(*r)
        for r in _all(
            conn,
            sa_select(
                col(Period.id),
                col(Period.year_id),
                col(Period.kind),
                col(Period.name),
                col(Period.starts_on),
                col(Period.ends_on),
                col(Period.grade_from),
                col(Period.grade_to),
            )
            .where(col(Period.year_id).in_(year_ids))
            .order_by(col(Period.starts_on), col(Period.id)),
        )
    ]
    holidays = [
        (y, a, b, g1, g2)
        for y, a, b, g1, g2 in _all(
            conn,
            sa_select(
                col(Holiday.year_id),
                col(Holiday.starts_on),
                col(Holiday.ends_on),
                col(Holiday.grade_from),
                col(Holiday.grade_to),
            ).where(col(Holiday.year_id).in_(year_ids)),
        )
    ]
    ids = _assignment_filter(actor, filters, year_ids)
    assignments: dict[int, AssignmentRow] = {}
    for r in _all(
        conn,
        sa_select(
            col(TeachingAssignment.id),
            col(TeachingAssignment.year_id),
            col(TeachingAssignment.class_id),
            col(ClassGroup.grade),
            col(ClassGroup.letter),
            col(TeachingAssignment.subgroup_id),
            col(TeachingAssignment.subject_id),
            col(Subject.name),
            col(Subject.sort_order),
            col(Subject.marked),
            col(TeachingAssignment.teacher_id),
        )
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .where(col(TeachingAssignment.id).in_(ids))
        .order_by(col(TeachingAssignment.id)),  # the same order on every database
    ):
        row = AssignmentRow(*r)
        assignments[row.id] = row

    lessons_of: dict[int, list[LessonRow]] = defaultdict(list)
    for lesson in map(
        LessonRow._make,
        _all(
            conn,
            sa_select(
                col(Lesson.id),
                col(Lesson.assignment_id),
                col(Lesson.date),
                col(Lesson.number),
                col(Lesson.cancelled),
                col(Lesson.work_type_id),
                func.length(func.trim(col(Lesson.topic))) > 0,
                func.length(func.trim(col(Lesson.homework))) > 0,
                col(Lesson.homework_none),
                col(Lesson.attendance_taken_at).is_not(None),
                epoch(col(Lesson.topic_set_at), dialect),
                col(Lesson.plan_item_id),
                col(Lesson.substitute_teacher_id),
            )
            .where(col(Lesson.assignment_id).in_(ids))
            .order_by(col(Lesson.assignment_id), col(Lesson.date), col(Lesson.number)),
        ),
    ):
        lessons_of[lesson.assignment_id].append(lesson)

    report_day = min(window.on, today)
    ended_terms = [p for p in closed_periods(periods, window, report_day) if p.kind in TERM_KINDS]
    if marks_from is None:
        marks_from = min([window.starts_on] + [p.starts_on for p in ended_terms])
    control_items_q = (
        sa_select(col(ThematicPlanItem.id))
        .join(WorkType, col(WorkType.id) == ThematicPlanItem.work_type_id)
        .where(
            col(WorkType.is_control).is_(True),
            col(ThematicPlanItem.assignment_id).in_(ids),
        )
    )
    control_lessons = and_(
        col(Lesson.date) >= marks_from, col(Lesson.plan_item_id).in_(control_items_q)
    )
    if control_plan_only:
        when = control_lessons
    elif marks_from < window.starts_on:
        when = or_(col(Lesson.date) >= window.starts_on, control_lessons)
    else:
        when = col(Lesson.date) >= window.starts_on
    in_range = and_(col(Lesson.assignment_id).in_(ids), col(Lesson.date) <= today, when)
    marks_of: dict[int, list[MarkRow]] = defaultdict(list)
    for mark in _numbers(
        conn,
        sa_select(
            col(Mark.student_id),
            col(Mark.lesson_id),
            col(Mark.value),
            func.coalesce(col(Mark.work_type_id), col(Lesson.work_type_id)),
            epoch(col(Mark.created_at), dialect),
        )
        .join(Lesson, col(Lesson.id) == Mark.lesson_id)
        .where(in_range),
    ):
        marks_of[mark[1]].append(mark)
    absent: dict[tuple[int, int], str] = {}
    attendance_lessons: set[int] = set()
    for sid, lid, status in _numbers(
        conn,
        sa_select(col(Attendance.student_id), col(Attendance.lesson_id), col(Attendance.status))
        .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
        .where(in_range),
    ):
        absent[(sid, lid)] = status
        attendance_lessons.add(lid)

    # The weighted sums of each ended term's marks, per assignment and student, in hundredths
    # of a weight (exact on every database): the period-mark rule's suggested mark.
    term_sums: dict[tuple[int, int], dict[int, tuple[int, int]]] = defaultdict(dict)
    if with_period_marks and not control_plan_only:
        weight = cast(func.round(col(Mark.weight) * 100), BigInteger)
        for p in ended_terms:
            covered = [a.id for a in assignments.values() if p.covers(a.grade)]
            if not covered:
                continue
            for aid, sid, total, weights in _all(
                conn,
                sa_select(
                    col(Lesson.assignment_id),
                    col(Mark.student_id),
                    func.sum(col(Mark.value) * weight),
                    func.sum(weight),
                )
                .join(Lesson, col(Lesson.id) == Mark.lesson_id)
                .where(
                    col(Lesson.assignment_id).in_(covered),
                    col(Lesson.date) >= p.starts_on,
                    col(Lesson.date) <= p.ends_on,
                )
                .group_by(col(Lesson.assignment_id), col(Mark.student_id)),
            ):
                term_sums[(p.id, aid)][sid] = (int(total), int(weights))

    # Where a stretch without marks that reaches the window's start really began.
    last_mark_before: dict[tuple[int, int], dt.date] = {}
    if not control_plan_only:
        year_start = min((a for a, _ in years.values()), default=window.starts_on)
        for aid, sid, day in _all(
            conn,
            sa_select(col(Lesson.assignment_id), col(Mark.student_id), func.max(col(Lesson.date)))
            .join(Lesson, col(Lesson.id) == Mark.lesson_id)
            .where(
                col(Lesson.assignment_id).in_(ids),
                col(Lesson.date) < window.starts_on,
                col(Lesson.date) >= year_start,
            )
            .group_by(col(Lesson.assignment_id), col(Mark.student_id)),
        ):
            last_mark_before[(aid, sid)] = (
                day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
            )

    class_ids = sorted({a.class_id for a in assignments.values()})
    enrolments: dict[int, dict[int, list[Span]]] = defaultdict(lambda: defaultdict(list))
    students: dict[int, str] = {}
    for sid, cid, a, b, last_name, first_name in _all(
        conn,
        sa_select(
            col(Enrolment.student_id),
            col(Enrolment.class_id),
            col(Enrolment.starts_on),
            col(Enrolment.ends_on),
            col(Student.last_name),
            col(Student.first_name),
        )
        .join(Student, col(Student.id) == Enrolment.student_id)
        .where(col(Enrolment.class_id).in_(class_ids))
        .order_by(col(Enrolment.student_id), col(Enrolment.starts_on)),
    ):
        enrolments[cid][sid].append((a, b))
        students[sid] = f"{last_name} {first_name}"
    subgroup_ids = sorted({a.subgroup_id for a in assignments.values() if a.subgroup_id})
    subgroup_members: dict[int, set[int]] = defaultdict(set)
    if subgroup_ids:
        for gid, sid in _all(
            conn,
            sa_select(col(SubgroupMember.subgroup_id), col(SubgroupMember.student_id)).where(
                col(SubgroupMember.subgroup_id).in_(subgroup_ids)
            ),
        ):
            subgroup_members[gid].add(sid)

    staff = {
        sid: short_name(last, first, middle)
        for sid, last, first, middle in _all(
            conn,
            sa_select(
                col(Staff.id), col(Staff.last_name), col(Staff.first_name), col(Staff.middle_name)
            ).where(col(Staff.school_id) == actor.school_id),
        )
    }
    work_types = {
        r[0]: WorkTypeRow(*r)
        for r in _all(
            conn,
            sa_select(
                col(WorkType.id),
                col(WorkType.code),
                col(WorkType.name),
                col(WorkType.is_control),
                col(WorkType.deadline_lessons),
                col(WorkType.deadline_days),
            ).where(col(WorkType.school_id) == actor.school_id),
        )
    }
    # The КТП: its sums per assignment in SQL; only the control lines come as rows.
    planned = col(ThematicPlanItem.planned_on)
    plan_sums = {
        aid: PlanSums(int(lines), int(hours or 0), int(to_date or 0))
        for aid, lines, hours, to_date in _all(
            conn,
            sa_select(
                col(ThematicPlanItem.assignment_id),
                func.count(),
                func.sum(col(ThematicPlanItem.hours)),
                func.sum(
                    case(
                        (and_(planned.is_not(None), planned <= last), ThematicPlanItem.hours),
                        else_=0,
                    )
                ),
            )
            .where(col(ThematicPlanItem.assignment_id).in_(ids))
            .group_by(col(ThematicPlanItem.assignment_id)),
        )
    }
    control_items: dict[int, list[PlanRow]] = defaultdict(list)
    for r in _all(
        conn,
        sa_select(
            col(ThematicPlanItem.id),
            col(ThematicPlanItem.assignment_id),
            col(ThematicPlanItem.number),
            col(ThematicPlanItem.topic),
            col(ThematicPlanItem.hours),
            col(ThematicPlanItem.planned_on),
            col(ThematicPlanItem.work_type_id),
        )
        .where(col(ThematicPlanItem.id).in_(control_items_q))
        .order_by(col(ThematicPlanItem.assignment_id), col(ThematicPlanItem.number)),
    ):
        item = PlanRow(*r)
        control_items[item.assignment_id].append(item)
    slots: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for aid, weekday, valid_from, valid_to in _all(
        conn,
        sa_select(
            col(TimetableSlot.assignment_id),
            col(TimetableSlot.weekday),
            col(TimetableSlot.valid_from),
            col(TimetableSlot.valid_to),
        ).where(col(TimetableSlot.assignment_id).in_(ids)),
    ):
        slots[aid].append((weekday, valid_from, valid_to))

    period_marks: dict[tuple[int, int, int], PeriodMarkRow] = {}
    if with_period_marks:
        wanted = [p.id for p in periods]
        subject_ids = sorted({a.subject_id for a in assignments.values()})
        for sid, subj, pid, value, not_attested, justification, entered in _all(
            conn,
            sa_select(
                col(PeriodMark.student_id),
                col(PeriodMark.subject_id),
                col(PeriodMark.period_id),
                col(PeriodMark.value),
                col(PeriodMark.not_attested),
                col(PeriodMark.justification),
                epoch(col(PeriodMark.created_at), dialect),
            ).where(
                col(PeriodMark.period_id).in_(wanted),
                col(PeriodMark.subject_id).in_(subject_ids),
                col(PeriodMark.student_id).in_(
                    sa_select(col(Enrolment.student_id)).where(
                        col(Enrolment.class_id).in_(class_ids)
                    )
                ),
            ),
        ):
            period_marks[(sid, subj, pid)] = PeriodMarkRow(
                value, not_attested, justification or "", entered
            )

    return JournalRows(
        school=school,
        window=window,
        today=today,
        last=last,
        zone=zone,
        years=years,
        assignments=assignments,
        lessons_of=dict(lessons_of),
        marks_of=dict(marks_of),
        absent=absent,
        attendance_lessons=attendance_lessons,
        enrolments={c: dict(v) for c, v in enrolments.items()},
        subgroup_members=dict(subgroup_members),
        students=students,
        staff=staff,
        work_types=work_types,
        periods=periods,
        holidays=holidays,
        plan_sums=plan_sums,
        control_items=dict(control_items),
        slots=dict(slots),
        period_marks=period_marks,
        term_sums=dict(term_sums),
        last_mark_before=last_mark_before,
        marks_from=marks_from,
        now=aware(now) if now is not None else dt.datetime.now(dt.UTC),
    )
