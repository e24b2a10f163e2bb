"""The school's reports [000 §7], [002 §8]: fill rate, participation, progress and quality,
attendance and the objectivity of period marks, the dashboard's headline tiles and the one
dispatcher `build_report` that the dashboard, the exports and `ejournal report` call.

Every report is a `Report`: rows carry the ids of what they describe (`class_id`,
`subject_id`, `teacher_id`, `assignment_id`, `student_id`, `period_id`) and the raw counts
beside every share, so anyone can recompute a share from the JSON. How each figure is
counted is written once, as its column's Russian `definition` («как считается»).

Speed: each report reads a handful of set-based queries (GROUP BY in SQL or pandas over the
rows of the window), never a query per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import ColumnElement, String, and_, func, or_, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from ejournal.domain.db import read_only
from ejournal.domain.errors import DomainError, NotFound
from ejournal.domain.grading import Thresholds, weighted_average
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AttendanceStatus,
    ClassGroup,
    Enrolment,
    Lesson,
    LoginEvent,
    LoginEventKind,
    Mark,
    Parent,
    ParentLink,
    Period,
    PeriodKind,
    PeriodMark,
    School,
    Staff,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    UserSession,
    WorkType,
)
from ejournal.domain.people.naming import class_name, full_name, short_name
from ejournal.domain.permissions import Actor, Permission, require_some, scope_clause
from ejournal.domain.school.clock import local_day_bounds, school_today

from .table import MONTHS, Column, Filters, Report, Window

__all__ = [
    "REPORT_NAMES",
    "Tile",
    "attendance_report",
    "build_report",
    "fill_chart_data",
    "fill_report",
    "fill_teachers_report",
    "headline",
    "objectivity_report",
    "participation_report",
    "progress_report",
]

#: Report name → its Russian title (the dashboard's list, the CLI's NAME, the exports).
REPORT_NAMES: dict[str, str] = {
    "fill": "Наполняемость журнала",
    "fill_teachers": "Наполняемость журнала по учителям",
    "checklist": "Проверка ведения журнала",
    "progress": "Успеваемость и качество",
    "attendance": "Посещаемость",
    "participation": "Участие в работе с журналом и дневником",
    "objectivity": "Объективность итоговых отметок",
    "ktp": "Выполнение КТП",
}

_TA = TeachingAssignment
_MARKING_KINDS = (PeriodKind.QUARTER.value, PeriodKind.HALF_YEAR.value)
_ABSENT = (AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value)
#: How far past the window the next lessons are read (deadlines «within N lessons»).
_NEXT_LESSONS_DAYS = 45


# --------------------------------------------------------------------------- shared context


@dataclass(frozen=True)
class _Ctx:
    """What every report reads first: the school, the window's days and the actor's
    assignments (scoped and filtered) as SQL conditions."""

    actor: Actor
    school: School
    window: Window
    filters: Filters
    first: dt.date
    last: dt.date  # the last day whose lessons count
    year_ids: tuple[int, ...]

    def conditions(self) -> list[ColumnElement[bool]]:
        """Conditions on TeachingAssignment: within the actor's scope, the window's year
        and the filters."""
        f = self.filters
        conds: list[ColumnElement[bool]] = [
            scope_clause(self.actor, Permission.ANALYTICS_READ, over=_TA),
            col(_TA.year_id).in_(self.year_ids),
        ]
        if f.grade is not None:
            conds.append(
                col(_TA.class_id).in_(
                    _select(ClassGroup.id).where(
                        ClassGroup.school_id == self.school.id, ClassGroup.grade == f.grade
                    )
                )
            )
        if f.class_id is not None:
            conds.append(col(_TA.class_id) == f.class_id)
        if f.subject_id is not None:
            conds.append(col(_TA.subject_id) == f.subject_id)
        if f.teacher_id is not None:
            conds.append(col(_TA.teacher_id) == f.teacher_id)
        return conds

    def assignment_ids(self) -> Any:
        """The scoped, filtered assignments as a subquery for `IN (…)`."""
        return _select(_TA.id).where(*self.conditions())


def _context(
    session: Session,
    actor: Actor,
    window: Window,
    filters: Filters,
    now: dt.datetime | dt.date | None,
) -> _Ctx:
    require_some(actor, Permission.ANALYTICS_READ)
    school = session.get(School, actor.school_id)
    if school is None:
        raise NotFound("Школа не найдена.")
    last = min(window.ends_on, window.on)
    if now is not None:
        last = min(last, school_today(school, now))
    years = session.execute(
        _select(AcademicYear.id).where(
            AcademicYear.school_id == actor.school_id,
            col(AcademicYear.starts_on) <= window.ends_on,
            col(AcademicYear.ends_on) >= window.starts_on,
        )
    ).scalars()
    return _Ctx(actor, school, window, filters, window.starts_on, last, tuple(years))


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    # Column-wise: transposing in C is far faster than building a tuple per row.
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))


def _select(*columns: Any) -> Any:
    """A Core `select` of model attributes (SQLModel types them as plain values)."""
    return sa_select(*columns)


def _read(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    """Rows of a Core select as a frame, read past the ORM (thousands of rows, no entities)."""
    return _frame(session.connection().execute(stmt).all(), columns)


def _raw(column: Any) -> Any:
    """A datetime column read as the driver gives it (pandas parses the whole column at
    once, far faster than a per-row type conversion)."""
    return type_coerce(column, String)


def _assignments(session: Session, ctx: _Ctx) -> pd.DataFrame:
    """The scoped assignments with their class, subject, subgroup and teacher, in journal order."""
    rows = session.execute(
        _select(
            _TA.id,
            _TA.class_id,
            _TA.subgroup_id,
            _TA.subject_id,
            _TA.teacher_id,
            ClassGroup.grade,
            ClassGroup.letter,
            Subject.name,
            Subject.marked,
            Subject.sort_order,
            Subgroup.name,
            Staff.last_name,
            Staff.first_name,
            Staff.middle_name,
        )
        .join(ClassGroup, col(ClassGroup.id) == _TA.class_id)
        .join(Subject, col(Subject.id) == _TA.subject_id)
        .join(Staff, col(Staff.id) == _TA.teacher_id)
        .outerjoin(Subgroup, col(Subgroup.id) == _TA.subgroup_id)
        .where(*ctx.conditions())
    ).all()
    a = _frame(
        rows,
        [
            "assignment_id", "class_id", "subgroup_id", "subject_id", "teacher_id", "grade",
            "letter", "subject_name", "marked", "sort_order", "subgroup_name", "t_last",
            "t_first", "t_middle",
        ],
    )  # fmt: skip
    a["class_name"] = [class_name(g, x) for g, x in zip(a["grade"], a["letter"], strict=True)]
    a["subject"] = [
        f"{s} ({g})" if isinstance(g, str) and g else s
        for s, g in zip(a["subject_name"], a["subgroup_name"], strict=True)
    ]
    a["teacher"] = [
        short_name(la, fi, mi)
        for la, fi, mi in zip(a["t_last"], a["t_first"], a["t_middle"], strict=True)
    ]
    # Marks are written except in grade 1 and in subjects taught without marks [004 §3.8].
    a["marks_allowed"] = (a["grade"] != 1) & a["marked"].astype(bool)
    return a.sort_values(["grade", "letter", "sort_order", "subject"], kind="stable").reset_index(
        drop=True
    )


def _enrolments(session: Session, class_ids: list[int], first: dt.date, last: dt.date) -> Any:
    return _frame(
        session.execute(
            _select(
                Enrolment.student_id, Enrolment.class_id, Enrolment.starts_on, Enrolment.ends_on
            ).where(
                col(Enrolment.class_id).in_(class_ids),
                col(Enrolment.starts_on) <= last,
                or_(col(Enrolment.ends_on).is_(None), col(Enrolment.ends_on) >= first),
            )
        ).all(),
        ["student_id", "class_id", "starts_on", "ends_on"],
    )


def _roster(session: Session, a: pd.DataFrame, on: dt.date) -> pd.DataFrame:
    """(assignment_id, student_id): the students of each assignment's class (and subgroup)
    enrolled on `on`."""
    if a.empty:
        return pd.DataFrame({"assignment_id": [], "student_id": []}, dtype="int64")
    enrolled = _enrolments(session, sorted(set(a["class_id"].tolist())), on, on)
    pairs = a[["assignment_id", "class_id", "subgroup_id"]].merge(enrolled, on="class_id")
    subgroup_ids = sorted({int(x) for x in a["subgroup_id"].dropna()})
    if subgroup_ids:
        members = _frame(
            session.execute(
                _select(SubgroupMember.subgroup_id, SubgroupMember.student_id).where(
                    col(SubgroupMember.subgroup_id).in_(subgroup_ids)
                )
            ).all(),
            ["subgroup_id", "student_id"],
        )
        members["member"] = True
        pairs = pairs.merge(members, on=["subgroup_id", "student_id"], how="left")
        pairs = pairs[pairs["subgroup_id"].isna() | pairs["member"].eq(True)]
    return pairs[["assignment_id", "student_id"]].drop_duplicates().astype("int64")


def _local_instants(school: School, days: pd.Series, hour: int) -> pd.Series:
    """UTC instants of `hour`:00 on the school-local `days` (NaT stays NaT)."""
    naive = pd.to_datetime(days) + pd.Timedelta(hours=hour)
    return naive.dt.tz_localize(
        school.timezone, ambiguous="NaT", nonexistent="shift_forward"
    ).dt.tz_convert("UTC")


def _utc(values: pd.Series) -> pd.Series:
    """Stored instants (naive UTC text on SQLite, aware on PostgreSQL) as aware UTC."""
    if values.empty:
        return pd.Series([], dtype="datetime64[ns, UTC]", index=values.index)
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _share(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or whole is None or pd.isna(part) or pd.isna(whole) or whole == 0:
        return None
    return float(part) / float(whole)


def _shares(df: pd.DataFrame, part: str, whole: str) -> pd.Series:
    return df[part] / df[whole].where(df[whole] > 0)


def _records(df: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Rows as plain Python values: NaN/NA → None, numpy numbers → int/float."""
    out: list[dict[str, Any]] = []
    present = [k for k in keys if k in df.columns]
    for rec in df[present].to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or (not isinstance(v, str | list | tuple) and pd.isna(v) is True):
                row[str(k)] = None
            elif hasattr(v, "item"):
                row[str(k)] = v.item()
            elif isinstance(v, pd.Timestamp):
                row[str(k)] = v.to_pydatetime()
            else:
                row[str(k)] = v
        out.append(row)
    return out


def _int_or_none(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


# --------------------------------------------------------------------------- rules


def mark_deadlines(
    school: School,
    marks: pd.DataFrame,
    lessons: pd.DataFrame,
    work_types: pd.DataFrame,
) -> pd.Series:
    """The UTC instant by which each mark was due [003 §3.2], [002 §3.3], [004 §4.4.1]:
    `marks_deadline_hour` of the lesson's day for class work; the end of the day of the N-th
    next lesson of the same page for works due «within N lessons», of the lesson's day + N days
    for essays (as the checklist's rule).
    NaT when the N-th next lesson is not yet in the journal (the mark cannot be late yet).

    `marks`: lesson_id, work_type_id; `lessons`: lesson_id, assignment_id, date, number,
    cancelled; `work_types`: work_type_id, deadline_lessons, deadline_days.
    """
    if marks.empty:
        return pd.Series([], dtype="datetime64[ns, UTC]", index=marks.index)
    order = lessons[~lessons["cancelled"].astype(bool)].sort_values(
        ["assignment_id", "date", "number"]
    )
    work_types = work_types.astype({"work_type_id": "float64"})
    m = (
        marks[["lesson_id", "work_type_id"]]
        .astype({"work_type_id": "float64"})
        .merge(lessons[["lesson_id", "date"]], on="lesson_id", how="left")
    )
    m = m.merge(work_types, on="work_type_id", how="left")
    n_lessons = m["deadline_lessons"].fillna(0).astype(int)
    n_days = m["deadline_days"].fillna(0).astype(int)
    due = pd.to_datetime(m["date"])
    due = due.where(n_days == 0, due + pd.to_timedelta(n_days, unit="D"))
    for n in sorted(set(n_lessons[n_lessons > 0].tolist())):
        nth = order.groupby("assignment_id")["date"].shift(-n)
        nth_by_lesson = pd.Series(pd.to_datetime(nth).to_numpy(), index=order["lesson_id"])
        picked = m["lesson_id"].map(nth_by_lesson)
        due = due.where(~((n_lessons == n) & (n_days == 0)), picked)
    # The same rule as the checklist (`rows.JournalRows.mark_deadline`): class work by the
    # deadline hour of its day; works due in N days or by the N-th next lesson by the end of
    # that day.
    by_day_end = (n_days > 0) | (n_lessons > 0)
    result = _local_instants(school, due, school.marks_deadline_hour).where(
        ~by_day_end, _local_instants(school, due, 24)
    )
    result.index = marks.index
    return result


# --------------------------------------------------------------------------- fill


_FILL_COUNTS = [
    "lessons_held",
    "students",
    "graded_students",
    "possible_marks",
    "marks",
    "students_without_marks",
    "students_with_one_mark",
    "marks_on_time",
    "topics_recorded",
    "topics_on_time",
    "homework_recorded",
    "attendance_recorded",
]

_C_LESSONS = Column(
    "lessons_held",
    "Проведено уроков",
    "int",
    "Уроки страницы журнала с датой в пределах окна (до дня отчёта), кроме отменённых.",
)
_C_STUDENTS = Column(
    "students",
    "Учащихся",
    "int",
    "Учащиеся класса (подгруппы), числящиеся в нём в последний день окна или в день отчёта, "
    "если он раньше; у учителя — сумма по его страницам.",
)
_C_POSSIBLE = Column(
    "possible_marks",
    "Клеток",
    "int",
    "Учащихся × проведённых уроков на страницах, где ставятся отметки (не 1 класс и не "
    "безотметочный предмет).",
)
_C_MARKS = Column(
    "marks",
    "Отметок",
    "int",
    "Текущие отметки этих учащихся за проведённые уроки окна (две отметки в клетке — две).",
)
_C_FILL = Column(
    "fill_rate",
    "Наполняемость",
    "share",
    "Наполняемость [000 §4.5.2, §7.1], [002 §8.2] = отметок / клеток (учащихся × проведённых "
    "уроков): сколько отметок приходится на ученика за урок.",
)
_C_NO_MARKS = Column(
    "students_without_marks",
    "Без отметок",
    "int",
    "Учащиеся, у которых нет ни одной отметки за окно (на страницах с отметками).",
)
_C_NO_MARKS_SHARE = Column(
    "without_marks_share",
    "Доля без отметок",
    "share",
    "Без отметок / учащихся на страницах с отметками (graded_students).",
)
_C_ONE_MARK = Column(
    "students_with_one_mark",
    "С одной отметкой",
    "int",
    "Учащиеся ровно с одной отметкой за окно.",
)
_C_ONE_MARK_SHARE = Column(
    "one_mark_share",
    "Доля с одной отметкой",
    "share",
    "С одной отметкой / учащихся на страницах с отметками (graded_students).",
)
_C_ON_TIME = Column(
    "marks_on_time",
    "Отметок вовремя",
    "int",
    "Отметки, внесённые (по времени записи) не позже срока своего вида работы: классная работа — "
    "до часа сдачи (17:00) в день урока, работы «в течение N уроков» — до этого часа в день "
    "N-го следующего урока, сочинения — в течение N дней [003 §3.2], [004 §4.4.1].",
)
_C_ON_TIME_SHARE = Column("on_time_share", "Доля вовремя", "share", "Отметок вовремя / отметок.")
_C_TOPICS = Column(
    "topics_recorded", "Темы записаны", "int", "Проведённые уроки с записанной темой."
)
_C_TOPICS_SHARE = Column(
    "topics_share", "Доля с темой", "share", "Темы записаны / проведено уроков [004 §5.18]."
)
_C_TOPICS_ON_TIME = Column(
    "topics_on_time",
    "Темы вовремя",
    "int",
    "Уроки, тема которых записана до часа сдачи (17:00) в день урока (по времени записи).",
)
_C_HOMEWORK = Column(
    "homework_recorded",
    "Д/з записано",
    "int",
    "Проведённые уроки с записанным домашним заданием или отметкой «не задано».",
)
_C_HOMEWORK_SHARE = Column(
    "homework_share", "Доля с д/з", "share", "Д/з записано / проведено уроков [004 §5.23]."
)
_C_ATTENDANCE = Column(
    "attendance_recorded",
    "Посещаемость отмечена",
    "int",
    "Проведённые уроки, где посещаемость отмечена: записано время её отметки или есть хотя бы "
    "одна запись «н»/опоздание.",
)
_C_ATTENDANCE_SHARE = Column(
    "attendance_share",
    "Доля с посещаемостью",
    "share",
    "Посещаемость отмечена / проведено уроков.",
)


def _fill_columns(first: list[Column]) -> tuple[Column, ...]:
    return (
        *first,
        _C_LESSONS,
        _C_STUDENTS,
        _C_POSSIBLE,
        _C_MARKS,
        _C_FILL,
        _C_NO_MARKS,
        _C_NO_MARKS_SHARE,
        _C_ONE_MARK,
        _C_ONE_MARK_SHARE,
        _C_ON_TIME,
        _C_ON_TIME_SHARE,
        _C_TOPICS,
        _C_TOPICS_SHARE,
        _C_TOPICS_ON_TIME,
        _C_HOMEWORK,
        _C_HOMEWORK_SHARE,
        _C_ATTENDANCE,
        _C_ATTENDANCE_SHARE,
    )


def _add_fill_shares(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["fill_rate"] = _shares(df, "marks", "possible_marks")
    df["without_marks_share"] = _shares(df, "students_without_marks", "graded_students")
    df["one_mark_share"] = _shares(df, "students_with_one_mark", "graded_students")
    df["on_time_share"] = _shares(df, "marks_on_time", "marks")
    df["topics_share"] = _shares(df, "topics_recorded", "lessons_held")
    df["topics_on_time_share"] = _shares(df, "topics_on_time", "lessons_held")
    df["homework_share"] = _shares(df, "homework_recorded", "lessons_held")
    df["attendance_share"] = _shares(df, "attendance_recorded", "lessons_held")
    return df


def _fill_frame(session: Session, ctx: _Ctx) -> pd.DataFrame:
    """One row per scoped assignment with the fill counts of the window."""
    a = _assignments(session, ctx)
    if a.empty:
        return a.assign(**{k: pd.Series(dtype="float64") for k in _FILL_COUNTS})
    scoped = ctx.assignment_ids()
    lessons = _read(
        session,
        _select(
                Lesson.id,
                Lesson.assignment_id,
                Lesson.date,
                Lesson.number,
                Lesson.cancelled,
                Lesson.topic != "",
                or_(col(Lesson.homework) != "", col(Lesson.homework_none).is_(True)),
                col(Lesson.attendance_taken_at).is_not(None),
                _raw(Lesson.topic_set_at),
            ).where(
                col(Lesson.assignment_id).in_(scoped),
                col(Lesson.date) >= ctx.first,
                col(Lesson.date) <= ctx.last + dt.timedelta(days=_NEXT_LESSONS_DAYS),
            ),
        [
            "lesson_id", "assignment_id", "date", "number", "cancelled", "has_topic",
            "has_homework", "attendance_taken", "topic_set_at",
        ],
    )  # fmt: skip
    lessons["cancelled"] = lessons["cancelled"].astype(bool)
    in_window = (lessons["date"] <= ctx.last) & ~lessons["cancelled"]
    held = lessons[in_window].copy()
    with_absences = set(
        session.execute(
            _select(Attendance.lesson_id)
            .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
            .where(
                col(Lesson.assignment_id).in_(scoped),
                col(Lesson.date) >= ctx.first,
                col(Lesson.date) <= ctx.last,
            )
            .distinct()
        ).scalars()
    )
    held["has_attendance"] = held["attendance_taken"].astype(bool) | held["lesson_id"].isin(
        with_absences
    )
    held["has_topic"] = held["has_topic"].astype(bool)
    held["has_homework"] = held["has_homework"].astype(bool)
    topic_due = _local_instants(ctx.school, held["date"], ctx.school.marks_deadline_hour)
    held["topic_on_time"] = held["has_topic"] & (_utc(held["topic_set_at"]) <= topic_due)

    marks = _read(
        session,
        _select(
            Mark.lesson_id,
            Mark.student_id,
            _raw(Mark.created_at),
            func.coalesce(Mark.work_type_id, Lesson.work_type_id),
            Lesson.assignment_id,
        )
        .join(Lesson, col(Lesson.id) == Mark.lesson_id)
        .where(
            col(Lesson.assignment_id).in_(scoped),
            col(Lesson.date) >= ctx.first,
            col(Lesson.date) <= ctx.last,
            col(Lesson.cancelled).is_(False),
        ),
        ["lesson_id", "student_id", "created_at", "work_type_id", "assignment_id"],
    )
    roster = _roster(session, a, ctx.last)
    graded = a.loc[a["marks_allowed"], ["assignment_id"]]
    marks = marks.merge(roster, on=["assignment_id", "student_id"]).merge(
        graded, on="assignment_id"
    )
    work_types = _frame(
        session.execute(
            _select(WorkType.id, WorkType.deadline_lessons, WorkType.deadline_days).where(
                WorkType.school_id == ctx.school.id
            )
        ).all(),
        ["work_type_id", "deadline_lessons", "deadline_days"],
    )
    due = mark_deadlines(ctx.school, marks, lessons, work_types)
    marks["on_time"] = due.isna() | (_utc(marks["created_at"]) <= due)

    per_lesson = held.groupby("assignment_id").agg(
        lessons_held=("lesson_id", "size"),
        topics_recorded=("has_topic", "sum"),
        topics_on_time=("topic_on_time", "sum"),
        homework_recorded=("has_homework", "sum"),
        attendance_recorded=("has_attendance", "sum"),
    )
    students = roster.groupby("assignment_id").size().rename("students")
    per_student = marks.groupby(["assignment_id", "student_id"]).size().rename("n").reset_index()
    per_student = roster.merge(per_student, on=["assignment_id", "student_id"], how="left")
    per_student["none"] = per_student["n"].isna()
    per_student["one"] = per_student["n"].eq(1)
    student_counts = per_student.groupby("assignment_id").agg(
        students_without_marks=("none", "sum"), students_with_one_mark=("one", "sum")
    )
    mark_counts = marks.groupby("assignment_id").agg(
        marks=("student_id", "size"), marks_on_time=("on_time", "sum")
    )
    df = (
        a.set_index("assignment_id")
        .join(per_lesson)
        .join(students)
        .join(student_counts)
        .join(mark_counts)
        .reset_index()
    )
    zero = ["lessons_held", "topics_recorded", "topics_on_time", "homework_recorded"]
    zero += ["attendance_recorded", "students", "students_without_marks"]
    zero += ["students_with_one_mark", "marks", "marks_on_time"]
    df[zero] = df[zero].fillna(0).astype("int64")
    allowed = df["marks_allowed"]
    df["graded_students"] = df["students"].where(allowed, 0)
    df["possible_marks"] = (df["students"] * df["lessons_held"]).where(allowed, 0)
    for k in ["marks", "marks_on_time", "students_without_marks", "students_with_one_mark"]:
        df[k] = df[k].astype("Float64").where(allowed, pd.NA)
    return df


_FILL_ROW_KEYS = [
    "class_id", "subject_id", "teacher_id", "assignment_id", "class_name", "subject", "teacher",
    *_FILL_COUNTS, "fill_rate", "without_marks_share", "one_mark_share", "on_time_share",
    "topics_share", "topics_on_time_share", "homework_share", "attendance_share",
]  # fmt: skip


@read_only
def fill_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008 — frozen, shared safely
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """Наполняемость [000 §7.1], [002 §8.2]: one row per class × subject page (a subgroup's
    page is its own row) with the raw counts and their shares; the by-teacher view is
    `fill_teachers_report`."""
    ctx = _context(session, actor, window, filters, now)
    df = _add_fill_shares(_fill_frame(session, ctx))
    columns = _fill_columns(
        [
            Column("class_name", "Класс"),
            Column("subject", "Предмет"),
            Column("teacher", "Учитель"),
        ]
    )
    total = _fill_totals(df)
    return Report(
        name="fill",
        title=REPORT_NAMES["fill"],
        window=window,
        school_name=ctx.school.name,
        columns=columns,
        rows=_records(df, _FILL_ROW_KEYS),
        notes=(
            f"Всего по отчёту: наполняемость {_pct(total['fill_rate'])} "
            f"({total['marks']} отметок на {total['possible_marks']} клеток), "
            f"отметок вовремя {_pct(total['on_time_share'])}.",
        ),
    )


def _fill_totals(df: pd.DataFrame) -> dict[str, Any]:
    sums = {k: (int(df[k].sum()) if k in df else 0) for k in _FILL_COUNTS}
    frame = _add_fill_shares(pd.DataFrame([sums]))
    out = _records(frame, list(frame.columns))[0]
    return out


def _teacher_fill(df: pd.DataFrame) -> pd.DataFrame:
    """Per teacher: the sums of their pages' counts; takes part = ≥ 1 mark in the window
    among teachers with lessons held on pages with marks."""
    if df.empty:
        return pd.DataFrame(columns=["teacher_id", "teacher", *_FILL_COUNTS])
    df = df.copy()
    df["graded_lessons"] = df["lessons_held"].where(df["marks_allowed"], 0)
    t = (
        df.groupby(["teacher_id", "teacher"])
        .agg(
            **{k: (k, "sum") for k in _FILL_COUNTS},
            graded_lessons=("graded_lessons", "sum"),
            pages=("assignment_id", "size"),
        )
        .reset_index()
    )
    t["takes_part"] = pd.Series(
        [
            None if g == 0 else bool(m > 0)
            for g, m in zip(t["graded_lessons"], t["marks"], strict=True)
        ],
        dtype=object,
    )
    return _add_fill_shares(t).sort_values("teacher", kind="stable")


@read_only
def fill_teachers_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """Наполняемость by teacher [000 §4.5.2]: each teacher's pages summed, whether they took
    part (entered marks), and the school's share of teachers taking part in the notes."""
    ctx = _context(session, actor, window, filters, now)
    t = _teacher_fill(_fill_frame(session, ctx))
    with_lessons = int(t["takes_part"].notna().sum()) if not t.empty else 0
    taking = int((t["takes_part"] == True).sum()) if not t.empty else 0  # noqa: E712
    columns = _fill_columns(
        [
            Column("teacher", "Учитель"),
            Column(
                "takes_part",
                "Участвует",
                "text",
                "Учитель участвует в работе с журналом [000 §4.5.2], если за окно поставил хотя "
                "бы одну отметку; учитывается, если у него были уроки на страницах с отметками.",
            ),
        ]
    )
    rows = _records(t, ["teacher_id", "teacher", "takes_part", *_FILL_ROW_KEYS[7:]])
    for r in rows:
        tp = r.get("takes_part")
        r["takes_part"] = "" if tp is None else ("да" if tp else "нет")
    return Report(
        name="fill_teachers",
        title=REPORT_NAMES["fill_teachers"],
        window=window,
        school_name=ctx.school.name,
        columns=columns,
        rows=rows,
        notes=(
            f"Участие учителей: {taking} из {with_lessons} ({_pct(_share(taking, with_lessons))}) "
            "— учителя, поставившие хотя бы одну отметку, среди учителей, проводивших уроки "
            "с отметками.",
        ),
    )


@read_only
def fill_chart_data(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> pd.DataFrame:
    """The fill figures for the dashboard's plotly charts, long format, one row per
    `level`: "cell" (class × subject, subgroups summed: a heat map pivots `class_name` ×
    `subject` on `fill_rate`, rows ordered by `class_order`) and "teacher" (bars of
    `fill_rate`, `on_time_share`, `topics_share` by `teacher`). Raw counts beside the shares."""
    ctx = _context(session, actor, window, filters, now)
    df = _fill_frame(session, ctx)
    keys = ["marks", "possible_marks", "marks_on_time", "lessons_held", "topics_recorded"]
    out_cols = [
        "level", "class_id", "class_name", "class_order", "subject_id", "subject",
        "teacher_id", "teacher", *keys, "fill_rate", "on_time_share", "topics_share",
    ]  # fmt: skip
    if df.empty:
        return pd.DataFrame(columns=out_cols)
    df = df[df["lessons_held"] > 0].copy()
    df["class_order"] = df["grade"] * 100 + df["letter"].map(
        {x: i for i, x in enumerate(sorted(set(df["letter"])))}
    )
    cells = (
        df.groupby(["class_id", "class_name", "class_order", "subject_id", "subject_name"])
        .agg(**{k: (k, "sum") for k in keys})
        .reset_index()
        .rename(columns={"subject_name": "subject"})
    )
    cells["level"] = "cell"
    teachers = df.groupby(["teacher_id", "teacher"]).agg(**{k: (k, "sum") for k in keys})
    teachers = teachers.reset_index()
    teachers["level"] = "teacher"
    out = pd.concat([cells, teachers], ignore_index=True)
    for k in keys:
        out[k] = out[k].astype("float64")
    out["fill_rate"] = _shares(out, "marks", "possible_marks")
    out["on_time_share"] = _shares(out, "marks_on_time", "marks")
    out["topics_share"] = _shares(out, "topics_recorded", "lessons_held")
    return out.reindex(columns=out_cols)


# --------------------------------------------------------------------------- participation


@read_only
def participation_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """Участие [000 §3.7, §4.5.2], [002 §8.1]: per class, the students and parents who opened
    the diary in the window; per teacher (rows with `level` "teacher"), the last activity."""
    ctx = _context(session, actor, window, filters, now)
    a = _assignments(session, ctx)
    start, end = local_day_bounds(ctx.school, ctx.first, ctx.last)
    class_ids = sorted(set(a["class_id"].tolist()))
    classes = a.drop_duplicates("class_id")[["class_id", "class_name", "grade", "letter"]]
    enrolled = _enrolments(session, class_ids, ctx.last, ctx.last)
    students = _frame(
        session.execute(
            _select(Student.id, Student.user_id).where(
                col(Student.id).in_(sorted(set(enrolled["student_id"].tolist())))
            )
        ).all(),
        ["student_id", "user_id"],
    )
    students = enrolled[["student_id", "class_id"]].merge(students, on="student_id")
    parents = _frame(
        session.execute(
            _select(ParentLink.student_id, Parent.id, Parent.user_id)
            .join(Parent, col(Parent.id) == ParentLink.parent_id)
            .where(col(ParentLink.student_id).in_(sorted(set(students["student_id"].tolist()))))
        ).all(),
        ["student_id", "parent_id", "user_id"],
    ).merge(students[["student_id", "class_id"]], on="student_id")
    teacher_users = _frame(
        session.execute(
            _select(
                Staff.id, Staff.user_id, Staff.last_name, Staff.first_name, Staff.middle_name
            ).where(col(Staff.id).in_(sorted(set(a["teacher_id"].tolist()))))
        ).all(),
        ["teacher_id", "user_id", "last", "first", "middle"],
    )
    user_ids = sorted(
        {
            int(u)
            for u in pd.concat(
                [students["user_id"], parents["user_id"], teacher_users["user_id"]]
            ).dropna()
        }
    )
    logins = _frame(
        session.execute(
            _select(LoginEvent.user_id, LoginEvent.at).where(
                col(LoginEvent.user_id).in_(user_ids),
                LoginEvent.kind == LoginEventKind.SUCCESS.value,
                col(LoginEvent.at) < end,
            )
        ).all(),
        ["user_id", "at"],
    )
    sessions = _frame(
        session.execute(
            _select(UserSession.user_id, UserSession.created_at, UserSession.last_seen_at).where(
                col(UserSession.user_id).in_(user_ids),
                col(UserSession.created_at) < end,
                col(UserSession.handoff_until).is_(None),
            )
        ).all(),
        ["user_id", "created_at", "last_seen_at"],
    )
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    login_at = _utc(logins["at"])
    seen = _utc(sessions["last_seen_at"]).clip(upper=hi)
    s_start = _utc(sessions["created_at"])
    active_users = set(logins.loc[(login_at >= lo) & (login_at < hi), "user_id"].tolist()) | set(
        sessions.loc[(seen >= lo) & (s_start < hi), "user_id"].tolist()
    )

    def per_class(people: pd.DataFrame, id_col: str, prefix: str) -> pd.DataFrame:
        people = people.drop_duplicates(["class_id", id_col]).copy()
        people["with_account"] = people["user_id"].notna()
        people["active"] = people["user_id"].isin(active_users)
        return people.groupby("class_id").agg(
            **{
                prefix: (id_col, "size"),
                f"{prefix}_with_account": ("with_account", "sum"),
                f"{prefix}_active": ("active", "sum"),
            }
        )

    c = (
        classes.set_index("class_id")
        .join(per_class(students, "student_id", "students"))
        .join(per_class(parents, "parent_id", "parents"))
        .reset_index()
    )
    counts = ["students", "students_with_account", "students_active"]
    counts += ["parents", "parents_with_account", "parents_active"]
    c[counts] = c[counts].fillna(0).astype("int64")
    c["students_share"] = _shares(c, "students_active", "students")
    c["parents_share"] = _shares(c, "parents_active", "parents")
    c["level"] = "class"

    last_login = login_at.groupby(logins["user_id"]).max() if not logins.empty else pd.Series()
    last_seen = seen.groupby(sessions["user_id"]).max() if not sessions.empty else pd.Series()
    logins_in = logins[(login_at >= lo) & (login_at < hi)].groupby("user_id").size()
    t = teacher_users.copy()
    t["teacher"] = [
        short_name(x, y, z) for x, y, z in zip(t["last"], t["first"], t["middle"], strict=True)
    ]
    t["last_seen"] = [
        max([v for v in (last_login.get(u), last_seen.get(u)) if v is not None and pd.notna(v)])
        if pd.notna(u) and (u in last_login.index or u in last_seen.index)
        else None
        for u in t["user_id"]
    ]
    t["logins"] = [int(logins_in.get(u, 0)) if pd.notna(u) else 0 for u in t["user_id"]]
    t["active"] = ["да" if pd.notna(u) and u in active_users else "нет" for u in t["user_id"]]
    t["level"] = "teacher"
    t = t.sort_values("teacher", kind="stable")

    rows = _records(
        c,
        ["level", "class_id", "class_name", *counts, "students_share", "parents_share"],
    ) + _records(t, ["level", "teacher_id", "teacher", "last_seen", "logins", "active"])
    for r in rows:
        if isinstance(r.get("last_seen"), dt.datetime):
            r["last_seen"] = r["last_seen"].astimezone(dt.UTC)
    opened = "Открывшим дневник считается вход в систему (успешный) или работа в открытом сеансе"
    columns = (
        Column("class_name", "Класс"),
        Column("students", "Учащихся", "int", "Учащиеся, числящиеся в классе в последний день."),
        Column(
            "students_with_account", "С учётной записью", "int", "Учащиеся, у которых есть вход."
        ),
        Column("students_active", "Открывали дневник", "int", f"{opened} за окно."),
        Column(
            "students_share",
            "Доля учащихся",
            "share",
            "Открывали дневник / учащихся класса [000 §4.5.2], [002 §8.1].",
        ),
        Column(
            "parents",
            "Родителей",
            "int",
            "Родители (законные представители), связанные с учащимися класса.",
        ),
        Column(
            "parents_with_account", "С учётной записью", "int", "Родители, у которых есть вход."
        ),
        Column("parents_active", "Открывали дневник", "int", f"{opened} за окно."),
        Column(
            "parents_share",
            "Доля родителей",
            "share",
            "Открывали дневник / родителей класса (родитель двоих детей учтён в каждом классе).",
        ),
        Column("teacher", "Учитель"),
        Column(
            "last_seen",
            "Последняя активность",
            "datetime",
            "Последний вход или последнее действие в сеансе до конца окна.",
        ),
        Column("logins", "Входов за окно", "int", "Успешные входы учителя за окно."),
        Column("active", "Работал в окне", "text", f"{opened} за окно."),
    )
    return Report(
        name="participation",
        title=REPORT_NAMES["participation"],
        window=window,
        school_name=ctx.school.name,
        columns=columns,
        rows=rows,
        notes=("Сначала строки по классам (level = class), затем по учителям (level = teacher).",),
    )


# --------------------------------------------------------------------------- progress


def _periods(session: Session, ctx: _Ctx) -> list[Period]:
    return list(
        session.execute(
            _select(Period)
            .where(col(Period.year_id).in_(ctx.year_ids))
            .order_by(col(Period.starts_on), col(Period.ends_on))
        ).scalars()
    )


def _progress_periods(ctx: _Ctx, periods: list[Period]) -> list[Period]:
    """Marking periods (quarters, half-years, the year) begun by the last day and ended by the
    window's end — or the window's own period: the trend up to the window."""
    kinds = (*_MARKING_KINDS, PeriodKind.YEAR.value)
    return [
        p
        for p in periods
        if p.kind in kinds
        and p.starts_on <= ctx.last
        and (p.ends_on <= ctx.window.ends_on or p.id == ctx.window.period_id)
    ]


def _pairs(session: Session, ctx: _Ctx, periods: list[Period]) -> pd.DataFrame:
    """(period, class, student, assignment) for every student enrolled in the class on the
    period's last day (or the last day of the window if earlier) and every marked page of
    theirs, with the period mark of the subject (value NaN, `has_mark` False when missing)."""
    a = _assignments(session, ctx)
    a = a[a["marks_allowed"]]
    columns = [
        "period_id", "class_id", "student_id", "assignment_id", "subject_id", "teacher_id",
        "value", "has_mark",
    ]  # fmt: skip
    if a.empty or not periods:
        return pd.DataFrame(columns=columns)
    parts = []
    for p in periods:
        on = min(p.ends_on, ctx.last)
        pa = a[(a["grade"] >= p.grade_from) & (a["grade"] <= p.grade_to)]
        if pa.empty:
            continue
        r = _roster(session, pa, on).merge(
            pa[["assignment_id", "class_id", "subject_id", "teacher_id"]], on="assignment_id"
        )
        r["period_id"] = p.id
        parts.append(r)
    if not parts:
        return pd.DataFrame(columns=columns)
    pairs = pd.concat(parts, ignore_index=True)
    pm = _frame(
        session.execute(
            _select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.period_id,
                      PeriodMark.value)
            .where(
                col(PeriodMark.period_id).in_([p.id for p in periods]),
                col(PeriodMark.student_id).in_(sorted(set(pairs["student_id"].tolist()))),
            )
        ).all(),
        ["student_id", "subject_id", "period_id", "value"],
    )  # fmt: skip
    pm["has_mark"] = True
    pairs = pairs.merge(pm, on=["student_id", "subject_id", "period_id"], how="left")
    pairs["has_mark"] = pairs["has_mark"].eq(True)
    pairs["value"] = pairs["value"].astype("float64")
    return pairs[columns]


def _progress_counts(pairs: pd.DataFrame, keys: list[str], unit: list[str]) -> pd.DataFrame:
    """Count units (students, or student × subject pairs) per `keys`: with all marks, every
    mark ≥ 3, every mark ≥ 4 (a missing or «не аттестован» mark fails both)."""
    p = pairs.assign(ok3=pairs["value"].ge(3), ok4=pairs["value"].ge(4))
    units = p.groupby(keys + unit).agg(
        all_marks=("has_mark", "all"), ok3=("ok3", "all"), ok4=("ok4", "all")
    )
    units = units.reset_index()
    out = units.groupby(keys).agg(
        students=("all_marks", "size"),
        students_with_all_marks=("all_marks", "sum"),
        progress_students=("ok3", "sum"),
        quality_students=("ok4", "sum"),
    )
    out = out.reset_index()
    out["progress"] = _shares(out, "progress_students", "students")
    out["quality"] = _shares(out, "quality_students", "students")
    return out


def _progress_frame(session: Session, ctx: _Ctx) -> tuple[pd.DataFrame, list[Period]]:
    """Progress counts per class × period, the data the report and the headline share."""
    periods = _progress_periods(ctx, _periods(session, ctx))
    pairs = _pairs(session, ctx, periods)
    if pairs.empty:
        return pd.DataFrame(), periods
    return _progress_counts(pairs, ["period_id", "class_id"], ["student_id"]), periods


@read_only
def progress_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """Успеваемость и качество [000 §7.2]: per class × period over the year's periods up to
    the window (the trend), then per subject page × period and per teacher × period, then the
    school per period (`level`: class, subject, teacher, school)."""
    ctx = _context(session, actor, window, filters, now)
    periods = _progress_periods(ctx, _periods(session, ctx))
    pairs = _pairs(session, ctx, periods)
    a = _assignments(session, ctx).set_index("assignment_id")
    by_id = {p.id: p for p in periods}
    frames: list[pd.DataFrame] = []
    if not pairs.empty:
        classes = _progress_counts(pairs, ["period_id", "class_id"], ["student_id"])
        classes["level"] = "class"
        subjects = _progress_counts(
            pairs, ["period_id", "assignment_id"], ["student_id", "subject_id"]
        )
        subjects["level"] = "subject"
        teachers = _progress_counts(
            pairs, ["period_id", "teacher_id"], ["student_id", "subject_id"]
        )
        teachers["level"] = "teacher"
        school = _progress_counts(pairs, ["period_id"], ["student_id"])
        school["level"] = "school"
        frames = [classes, subjects, teachers, school]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    rows: list[dict[str, Any]] = []
    names = a.drop_duplicates("class_id").set_index("class_id")["class_name"].to_dict()
    teacher_names = a.drop_duplicates("teacher_id").set_index("teacher_id")["teacher"].to_dict()
    for r in _records(
        df,
        [
            "level", "period_id", "class_id", "assignment_id", "teacher_id", "students",
            "students_with_all_marks", "progress_students", "quality_students", "progress",
            "quality",
        ],
    ):  # fmt: skip
        p = by_id[r["period_id"]]
        r["period"] = p.name
        r["period_ends_on"] = p.ends_on
        aid = r.pop("assignment_id", None)
        if r["level"] == "class":
            r["class_name"] = names.get(r["class_id"], "")
        elif r["level"] == "subject" and aid is not None:
            r.update(
                assignment_id=aid,
                class_id=int(a.at[aid, "class_id"]),
                class_name=a.at[aid, "class_name"],
                subject_id=int(a.at[aid, "subject_id"]),
                subject=a.at[aid, "subject"],
                teacher_id=int(a.at[aid, "teacher_id"]),
                teacher=a.at[aid, "teacher"],
            )
        elif r["level"] == "teacher":
            r["teacher"] = teacher_names.get(r["teacher_id"], "")
        else:
            r["class_name"] = "Итого"
        rows.append(r)
    level_order = {"class": 0, "subject": 1, "teacher": 2, "school": 3}
    grade_order = a.drop_duplicates("class_id").set_index("class_id")["grade"].to_dict()
    rows.sort(
        key=lambda r: (
            level_order[r["level"]],
            grade_order.get(r.get("class_id"), 0),
            r.get("class_name", ""),
            r.get("subject", ""),
            r.get("teacher", ""),
            r["period_ends_on"],
            r["period_id"],
        )
    )
    unit = "учащиеся (у учителя и предмета — пары «учащийся × предмет»)"
    columns = (
        Column("period", "Период"),
        Column("class_name", "Класс"),
        Column("subject", "Предмет"),
        Column("teacher", "Учитель"),
        Column(
            "students",
            "Учащихся",
            "int",
            "Учащиеся, числящиеся в классе (подгруппе) в последний день периода или в день "
            f"отчёта, если он раньше; единица счёта — {unit}.",
        ),
        Column(
            "students_with_all_marks",
            "Аттестованы по всем предметам",
            "int",
            "У учащегося есть итоговая отметка за период по каждому предмету с отметками, который "
            "он изучает («не аттестован» — тоже отметка, но не положительная).",
        ),
        Column(
            "progress_students",
            "Без «2»",
            "int",
            "Все итоговые отметки за период выставлены и не ниже «3».",
        ),
        Column(
            "quality_students",
            "На «4» и «5»",
            "int",
            "Все итоговые отметки за период выставлены и не ниже «4».",
        ),
        Column(
            "progress",
            "Успеваемость",
            "share",
            "Успеваемость [000 §7.2] = учащихся без «2» / учащихся.",
        ),
        Column(
            "quality",
            "Качество",
            "share",
            "Качество [000 §7.2] = учащихся на «4» и «5» / учащихся.",
        ),
    )
    return Report(
        name="progress",
        title=REPORT_NAMES["progress"],
        window=window,
        school_name=ctx.school.name,
        columns=columns,
        rows=rows,
        notes=(
            "Строки: по классам и периодам (тренд за год до окна), по предметам, по учителям, "
            "итог по школе (поле level: class, subject, teacher, school).",
        ),
    )


# --------------------------------------------------------------------------- attendance


def _attendance_frames(session: Session, ctx: _Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per student × class, per class): lessons the student could attend, absences,
    unexcused, late — lessons held in the window on the actor's scoped pages."""
    scoped = ctx.assignment_ids()
    subgroup_ok = or_(
        col(_TA.subgroup_id).is_(None),
        col(_TA.subgroup_id).in_(
            _select(SubgroupMember.subgroup_id).where(
                SubgroupMember.student_id == Enrolment.student_id
            )
        ),
    )
    held = and_(
        col(Lesson.assignment_id).in_(scoped),
        col(Lesson.date) >= ctx.first,
        col(Lesson.date) <= ctx.last,
        col(Lesson.cancelled).is_(False),
    )
    joined = (
        _select(Enrolment.student_id, _TA.class_id, func.count(col(Lesson.id)))
        .select_from(Lesson)
        .join(_TA, col(_TA.id) == Lesson.assignment_id)
        .join(
            Enrolment,
            and_(
                col(Enrolment.class_id) == _TA.class_id,
                col(Enrolment.starts_on) <= Lesson.date,
                or_(col(Enrolment.ends_on).is_(None), col(Enrolment.ends_on) >= Lesson.date),
            ),
        )
        .where(held, subgroup_ok)
        .group_by(Enrolment.student_id, _TA.class_id)
    )
    possible = _frame(session.execute(joined).all(), ["student_id", "class_id", "lessons"])
    absences = _frame(
        session.execute(
            _select(Attendance.student_id, _TA.class_id, Attendance.status, func.count())
            .select_from(Attendance)
            .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
            .join(_TA, col(_TA.id) == Lesson.assignment_id)
            .where(held)
            .group_by(Attendance.student_id, _TA.class_id, Attendance.status)
        ).all(),
        ["student_id", "class_id", "status", "n"],
    )
    wide = absences.pivot_table(
        index=["student_id", "class_id"], columns="status", values="n", aggfunc="sum"
    )
    wide = wide.reindex(columns=[s.value for s in AttendanceStatus], fill_value=0).fillna(0)
    s = possible.set_index(["student_id", "class_id"]).join(wide, how="left").fillna(0)
    s["absences"] = s[AttendanceStatus.ABSENT.value] + s[AttendanceStatus.EXCUSED.value]
    s["unexcused"] = s[AttendanceStatus.ABSENT.value]
    s["late"] = s[AttendanceStatus.LATE.value]
    s = s[["lessons", "absences", "unexcused", "late"]].astype("int64").reset_index()
    limit = ctx.school.control_absence_percent
    # Over the limit without rounding: 100·missed > limit·lessons.
    s["over_limit"] = 100 * s["absences"] > limit * s["lessons"]
    s["missed_share"] = _shares(s, "absences", "lessons")
    c = s.groupby("class_id").agg(
        lessons_possible=("lessons", "sum"),
        absences=("absences", "sum"),
        unexcused=("unexcused", "sum"),
        late=("late", "sum"),
        students_over_limit=("over_limit", "sum"),
    )
    c = c.reset_index()
    c["attended_share"] = 1 - _shares(c, "absences", "lessons_possible")
    return s, c


@read_only
def attendance_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """Посещаемость [002 §8.3]: per class the lessons × students that could be attended,
    absences, unexcused, late, the share attended and how many students missed over
    `control_absence_percent` % of lessons; then those students (`level` "student")."""
    ctx = _context(session, actor, window, filters, now)
    a = _assignments(session, ctx)
    classes = a.drop_duplicates("class_id")[["class_id", "class_name", "grade", "letter"]]
    per_student, per_class = _attendance_frames(session, ctx)
    roster = _enrolments(session, sorted(set(a["class_id"].tolist())), ctx.last, ctx.last)
    students = roster.groupby("class_id").size().rename("students")
    c = classes.merge(per_class, on="class_id", how="left").join(students, on="class_id")
    counts = ["students", "lessons_possible", "absences", "unexcused", "late"]
    counts += ["students_over_limit"]
    c[counts] = c[counts].fillna(0).astype("int64")
    c["level"] = "class"
    over = per_student[per_student["over_limit"]].merge(
        classes[["class_id", "class_name", "grade", "letter"]], on="class_id"
    )
    names = _frame(
        session.execute(
            _select(Student.id, Student.last_name, Student.first_name, Student.middle_name).where(
                col(Student.id).in_(sorted(set(over["student_id"].tolist())))
            )
        ).all(),
        ["student_id", "last", "first", "middle"],
    )
    over = over.merge(names, on="student_id")
    over["student"] = [
        full_name(x, y, z)
        for x, y, z in zip(over["last"], over["first"], over["middle"], strict=True)
    ]
    over = over.sort_values(["grade", "letter", "student"], kind="stable")
    over["level"] = "student"
    limit = ctx.school.control_absence_percent
    rows = _records(
        c,
        ["level", "class_id", "class_name", *counts, "attended_share"],
    ) + _records(
        over.rename(columns={"lessons": "lessons_possible"}),
        [
            "level", "class_id", "class_name", "student_id", "student", "lessons_possible",
            "absences", "unexcused", "late", "missed_share",
        ],
    )  # fmt: skip
    columns = (
        Column("class_name", "Класс"),
        Column("student", "Учащийся"),
        Column("students", "Учащихся", "int", "Учащиеся, числящиеся в классе в последний день."),
        Column(
            "lessons_possible",
            "Уроко-мест",
            "int",
            "Сумма по проведённым урокам окна числа учащихся, числившихся в классе (подгруппе) "
            "в день урока.",
        ),
        Column("absences", "Пропущено", "int", "Отметки «н» (с уважительной причиной и без)."),
        Column("unexcused", "Без уважительной причины", "int", "«н» без уважительной причины."),
        Column("late", "Опозданий", "int", "Отметки об опоздании (урок считается посещённым)."),
        Column(
            "attended_share",
            "Посещаемость",
            "share",
            "Посещаемость = 1 − пропущено / уроко-мест.",
        ),
        Column(
            "missed_share",
            "Доля пропусков",
            "share",
            "Пропущено учащимся / уроков, которые он мог посетить.",
        ),
        Column(
            "students_over_limit",
            f"Пропустили более {limit} %",
            "int",
            f"Учащиеся, пропустившие более {limit} % уроков окна (настройка школы); они перечислены "
            "ниже по одному.",
        ),
    )
    return Report(
        name="attendance",
        title=REPORT_NAMES["attendance"],
        window=window,
        school_name=ctx.school.name,
        columns=columns,
        rows=rows,
        notes=(
            "Сначала строки по классам (level = class), затем учащиеся, пропустившие более "
            f"{limit} % уроков (level = student).",
        ),
    )


# --------------------------------------------------------------------------- objectivity


def _objectivity_periods(ctx: _Ctx, periods: list[Period]) -> list[Period]:
    """The window's period; for a month, the latest quarter and half-year ended by its end."""
    if ctx.window.period_id is not None:
        return [p for p in periods if p.id == ctx.window.period_id]
    out: list[Period] = []
    for kind in _MARKING_KINDS:
        ended = [p for p in periods if p.kind == kind and p.ends_on <= ctx.window.ends_on]
        if ended:
            out.append(max(ended, key=lambda p: p.ends_on))
    return out


def _value_counts(marks: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per `keys`: how many current marks, how many of each of 5, 4, 3, 2 (a «1» counts with
    the 2s), their sum, and the number and sum of control-work marks."""
    m = marks.assign(
        n=1,
        c5=marks["value"].eq(5),
        c4=marks["value"].eq(4),
        c3=marks["value"].eq(3),
        c2=marks["value"].le(2),
        ctrl_n=marks["is_control"],
        ctrl_sum=marks["value"].where(marks["is_control"], 0),
    )
    sums = ["n", "c5", "c4", "c3", "c2", "value", "ctrl_n", "ctrl_sum"]
    return m.groupby(keys)[sums].sum().astype("int64")


def _distribution(counts: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Shares of 5/4/3/2 and the averages from `_value_counts` sums."""
    n = counts["n"].where(counts["n"] > 0)
    out = pd.DataFrame(index=counts.index)
    out[f"{prefix}marks"] = counts["n"]
    for v in (5, 4, 3, 2):
        out[f"{prefix}share_{v}"] = counts[f"c{v}"] / n
    out[f"{prefix}average"] = (counts["value"] / n).round(2)
    out[f"{prefix}control_average"] = (
        counts["ctrl_sum"] / counts["ctrl_n"].where(counts["ctrl_n"] > 0)
    ).round(2)
    return out


@read_only
def objectivity_report(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """Объективность [000 §6.3], [004 §6.2]: per teacher × subject × class for a period, the
    period marks against the mark the current marks suggest, the teacher's distribution of
    current marks against colleagues teaching the subject in the same grade, and their
    average against their control works' average."""
    ctx = _context(session, actor, window, filters, now)
    thresholds = Thresholds.of(ctx.school)
    all_periods = _periods(session, ctx)
    chosen = _objectivity_periods(ctx, all_periods)
    a = _assignments(session, ctx)
    a = a[a["marks_allowed"]]
    # Colleagues may teach outside the actor's scope: only their aggregate shares are shown.
    school_a = _frame(
        session.execute(
            _select(_TA.id, _TA.subject_id, _TA.teacher_id, ClassGroup.grade)
            .join(ClassGroup, col(ClassGroup.id) == _TA.class_id)
            .where(col(_TA.year_id).in_(ctx.year_ids), ClassGroup.school_id == ctx.school.id)
        ).all(),
        ["assignment_id", "subject_id", "teacher_id", "grade"],
    )
    out_rows: list[dict[str, Any]] = []
    for p in chosen:
        pa = a[(a["grade"] >= p.grade_from) & (a["grade"] <= p.grade_to)]
        if pa.empty:
            continue
        marks = _frame(
            session.execute(
                _select(
                    Lesson.assignment_id,
                    Mark.student_id,
                    Mark.value,
                    Mark.weight,
                    func.coalesce(WorkType.is_control, False),
                )
                .select_from(Mark)
                .join(Lesson, col(Lesson.id) == Mark.lesson_id)
                .outerjoin(
                    WorkType,
                    col(WorkType.id) == func.coalesce(Mark.work_type_id, Lesson.work_type_id),
                )
                .where(
                    col(Lesson.assignment_id).in_(school_a["assignment_id"].tolist()),
                    col(Lesson.date) >= p.starts_on,
                    col(Lesson.date) <= p.ends_on,
                )
            ).all(),
            ["assignment_id", "student_id", "value", "weight", "is_control"],
        )
        marks["is_control"] = marks["is_control"].astype(bool)
        marks = marks.merge(school_a, on="assignment_id")
        roster = _roster(session, pa, min(p.ends_on, ctx.last)).merge(
            pa[["assignment_id", "subject_id"]], on="assignment_id"
        )
        pms = _frame(
            session.execute(
                _select(
                    PeriodMark.student_id,
                    PeriodMark.subject_id,
                    PeriodMark.value,
                    PeriodMark.justification,
                ).where(
                    PeriodMark.period_id == p.id,
                    col(PeriodMark.value).is_not(None),
                    col(PeriodMark.student_id).in_(sorted(set(roster["student_id"].tolist()))),
                )
            ).all(),
            ["student_id", "subject_id", "period_mark", "justification"],
        )
        set_marks = roster.merge(pms, on=["student_id", "subject_id"])
        suggested = _suggested(ctx, session, p, all_periods, marks, set_marks, thresholds)
        set_marks["suggested"] = pd.Series(suggested, index=set_marks.index, dtype="float64")
        set_marks["diff"] = set_marks["period_mark"] - set_marks["suggested"]
        set_marks["departed"] = set_marks["diff"].fillna(0) != 0
        set_marks["justified"] = set_marks["departed"] & (set_marks["justification"] != "")
        set_marks["equal"] = set_marks["diff"].eq(0)
        set_marks["raised"] = set_marks["diff"].gt(0)
        set_marks["lowered"] = set_marks["diff"].lt(0)
        set_marks["no_suggestion"] = set_marks["suggested"].isna()
        agg = set_marks.groupby("assignment_id").agg(
            period_marks=("period_mark", "size"),
            equal=("equal", "sum"),
            raised=("raised", "sum"),
            lowered=("lowered", "sum"),
            without_suggestion=("no_suggestion", "sum"),
            departures_justified=("justified", "sum"),
        )
        own = _distribution(
            _value_counts(
                marks[marks["assignment_id"].isin(pa["assignment_id"])], ["assignment_id"]
            )
        ).rename(columns={"marks": "current_marks"})
        # Colleagues: the other teachers of the same subject in the same grade (all of the
        # grade's marks less the teacher's own there).
        keys = ["subject_id", "grade"]
        everyone = _value_counts(marks, keys)
        teacher = _value_counts(marks, [*keys, "teacher_id"])
        pk = pa[["assignment_id", *keys, "teacher_id"]]
        e = pk.join(everyone, on=keys)[everyone.columns].fillna(0)
        t = pk.join(teacher, on=[*keys, "teacher_id"])[teacher.columns].fillna(0)
        peers = _distribution((e - t).set_axis(pk["assignment_id"]), "peers_")
        df = pa.set_index("assignment_id").join(agg).join(own).join(peers).reset_index()
        counts = ["period_marks", "equal", "raised", "lowered", "without_suggestion"]
        counts += ["departures_justified", "current_marks", "peers_marks"]
        df[counts] = df[counts].fillna(0).astype("int64")
        df["period_id"] = p.id
        df["period"] = p.name
        out_rows += _records(
            df,
            [
                "period_id", "period", "class_id", "subject_id", "teacher_id", "assignment_id",
                "class_name", "subject", "teacher", *counts, "share_5", "share_4", "share_3",
                "share_2", "peers_share_5", "peers_share_4", "peers_share_3",
                "peers_share_2", "average", "control_average", "peers_average",
            ],
        )  # fmt: skip
    dist_def = "Доля отметок «{v}» среди текущих отметок за период{who}" + (
        " («1» учтены вместе с «2»)."
    )
    columns = (
        Column("period", "Период"),
        Column("class_name", "Класс"),
        Column("subject", "Предмет"),
        Column("teacher", "Учитель"),
        Column(
            "period_marks", "Итоговых отметок", "int", "Выставленные итоговые отметки за период."
        ),
        Column(
            "equal",
            "Равны расчётной",
            "int",
            "Итоговая отметка равна расчётной: средневзвешенный балл текущих отметок за период "
            "(за год — среднее отметок за четверти/полугодия), округлённый по порогам школы.",
        ),
        Column("raised", "Выше расчётной", "int", "Итоговая отметка выше расчётной."),
        Column("lowered", "Ниже расчётной", "int", "Итоговая отметка ниже расчётной."),
        Column(
            "without_suggestion",
            "Без текущих отметок",
            "int",
            "Итоговая отметка выставлена, но текущих отметок нет — сравнить не с чем.",
        ),
        Column(
            "departures_justified",
            "Отклонения с обоснованием",
            "int",
            "Выше или ниже расчётной, с записанным обоснованием [004 §5.13].",
        ),
        Column("current_marks", "Текущих отметок", "int", "Текущие отметки учителя за период."),
        *(
            Column(f"share_{v}", f"Доля «{v}»", "share", dist_def.format(v=v, who=""))
            for v in (5, 4, 3, 2)
        ),
        Column(
            "peers_marks",
            "Отметок коллег",
            "int",
            "Текущие отметки других учителей того же предмета в той же параллели за период.",
        ),
        *(
            Column(
                f"peers_share_{v}",
                f"Доля «{v}» у коллег",
                "share",
                dist_def.format(v=v, who=" у коллег по предмету в параллели"),
            )
            for v in (5, 4, 3, 2)
        ),
        Column(
            "average", "Средний балл", "decimal", "Среднее текущих отметок учителя (без весов)."
        ),
        Column(
            "control_average",
            "Средний за контрольные",
            "decimal",
            "Среднее отметок за контрольные работы (вид работы «контрольная») [000 §6.3], "
            "[004 §6.2].",
        ),
        Column("peers_average", "Средний у коллег", "decimal", "Среднее текущих отметок коллег."),
    )
    notes = (
        ("Периоды: " + ", ".join(p.name for p in chosen) + ".")
        if chosen
        else "За окно не закончился ни один учебный период: сравнивать пока нечего."
    )
    return Report(
        name="objectivity",
        title=REPORT_NAMES["objectivity"],
        window=window,
        school_name=ctx.school.name,
        columns=columns,
        rows=out_rows,
        notes=(notes,),
    )


def _suggested(
    ctx: _Ctx,
    session: Session,
    p: Period,
    all_periods: list[Period],
    marks: pd.DataFrame,
    set_marks: pd.DataFrame,
    thresholds: Thresholds,
) -> list[float | None]:
    """The mark the journal suggests for each set period mark: from the weighted average of
    the page's current marks in the period, or (for the year) the average of term marks."""
    if set_marks.empty:
        return []
    if p.kind == PeriodKind.YEAR.value:
        terms = [t.id for t in all_periods if t.kind in _MARKING_KINDS]
        tm = session.execute(
            _select(PeriodMark.student_id, PeriodMark.subject_id, PeriodMark.period_id,
                      PeriodMark.value)
            .join(Period, col(Period.id) == PeriodMark.period_id)
            .where(
                col(PeriodMark.period_id).in_(terms),
                col(PeriodMark.value).is_not(None),
                col(PeriodMark.student_id).in_(sorted(set(set_marks["student_id"].tolist()))),
                col(Period.grade_from) <= p.grade_to,
            )
        ).all()  # fmt: skip
        values: dict[tuple[int, int], list[tuple[int, Decimal]]] = {}
        for sid, subj, _pid, v in tm:
            values.setdefault((sid, subj), []).append((int(v), Decimal(1)))
        return [
            _mark_or_none(thresholds, weighted_average(values.get((int(s), int(j)), [])))
            for s, j in zip(set_marks["student_id"], set_marks["subject_id"], strict=True)
        ]
    groups: dict[tuple[int, int], list[tuple[int, Decimal]]] = {}
    for aid, sid, v, w in zip(
        marks["assignment_id"], marks["student_id"], marks["value"], marks["weight"], strict=True
    ):
        groups.setdefault((int(aid), int(sid)), []).append((int(v), Decimal(w)))
    return [
        _mark_or_none(thresholds, weighted_average(groups.get((int(aid), int(s)), [])))
        for aid, s in zip(set_marks["assignment_id"], set_marks["student_id"], strict=True)
    ]


def _mark_or_none(thresholds: Thresholds, avg: Decimal | None) -> float | None:
    m = thresholds.mark(avg)
    return None if m is None else float(m)


# --------------------------------------------------------------------------- headline


@dataclass(frozen=True)
class Tile:
    """A headline figure of the dashboard with the same figure for the previous window."""

    key: str
    title: str
    value: float | None  # a share 0..1 or a number
    kind: Literal["share", "number"]
    previous: float | None
    definition: str
    counts: str  # the raw counts behind the value: «812 из 1 540»


def previous_window(session: Session, school_id: int, window: Window) -> Window | None:
    """The month before a month window; the previous period of the same kind (and grades)
    before a period window; None when there is none."""
    if window.month is not None:
        first = window.starts_on.replace(day=1) - dt.timedelta(days=1)
        start = first.replace(day=1)
        label = f"{MONTHS[start.month - 1]} {start.year}"
        return Window(
            start, first, label, min(window.on, first), month=f"{start.year:04d}-{start.month:02d}"
        )
    if window.period_id is None:
        return None
    current = session.get(Period, window.period_id)
    if current is None:
        return None
    candidates = session.execute(
        _select(Period, AcademicYear.name)
        .join(AcademicYear, col(AcademicYear.id) == Period.year_id)
        .where(
            AcademicYear.school_id == school_id,
            Period.kind == current.kind,
            Period.grade_from == current.grade_from,
            Period.grade_to == current.grade_to,
            col(Period.ends_on) < current.starts_on,
        )
        .order_by(col(Period.ends_on).desc())
    ).first()
    if candidates is None:
        return None
    p, year_name = candidates
    return Window(
        p.starts_on, p.ends_on, f"{p.name} {year_name}", min(window.on, p.ends_on), period_id=p.id
    )


def _count_text(part: float | int | None, whole: float | int | None) -> str:
    if part is None or whole is None:
        return "нет данных"
    return f"{int(part)} из {int(whole)}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{round(100 * v)} %"


def _headline_figures(
    session: Session, ctx: _Ctx
) -> dict[str, tuple[float | None, int | None, int | None]]:
    """key → (value, numerator, denominator) of every tile for one window."""
    fill = _fill_totals(_fill_frame(session, ctx))
    progress, periods = _progress_frame(session, ctx)
    p_num = p_q = p_den = 0
    if not progress.empty:
        # Each class's latest period ended by the last day (the last finished period).
        ends = {p.id: p.ends_on for p in periods}
        progress = progress.assign(ends=progress["period_id"].map(ends))
        done = progress[progress["ends"] <= ctx.last]
        if not done.empty:
            latest = done.sort_values("ends").groupby("class_id").tail(1)
            p_num = int(latest["progress_students"].sum())
            p_q = int(latest["quality_students"].sum())
            p_den = int(latest["students"].sum())
    _, att = _attendance_frames(session, ctx)
    possible = int(att["lessons_possible"].sum()) if not att.empty else 0
    attended = possible - (int(att["absences"].sum()) if not att.empty else 0)
    return {
        "fill": (fill["fill_rate"], fill["marks"], fill["possible_marks"]),
        "on_time": (fill["on_time_share"], fill["marks_on_time"], fill["marks"]),
        "progress": (_share(p_num, p_den), p_num, p_den),
        "quality": (_share(p_q, p_den), p_q, p_den),
        "attendance": (_share(attended, possible), attended, possible),
    }


_TILES: tuple[tuple[str, str, str], ...] = (
    ("fill", "Наполняемость", _C_FILL.definition),
    ("on_time", "Отметки вовремя", "Доля отметок, внесённых в срок. " + _C_ON_TIME.definition),
    (
        "progress",
        "Успеваемость",
        "Доля учащихся, у которых все итоговые отметки за последний завершённый период не ниже "
        "«3» [000 §7.2].",
    ),
    (
        "quality",
        "Качество",
        "Доля учащихся, у которых все итоговые отметки за последний завершённый период — «4» и "
        "«5» [000 §7.2].",
    ),
    (
        "attendance",
        "Посещаемость",
        "Доля посещённых уроко-мест: 1 − пропуски («н») / (учащихся × проведённых уроков).",
    ),
)


@read_only
def headline(
    session: Session,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> list[Tile]:
    """The dashboard's tiles: fill rate, marks on time, успеваемость, качество, attendance,
    each with the same figure for the previous month or period."""
    ctx = _context(session, actor, window, filters, now)
    current = _headline_figures(session, ctx)
    before = previous_window(session, actor.school_id, window)
    previous = (
        _headline_figures(session, _context(session, actor, before, filters, now))
        if before is not None
        else {}
    )
    return [
        Tile(
            key=key,
            title=title,
            value=current[key][0],
            kind="share",
            previous=previous[key][0] if key in previous else None,
            definition=definition,
            counts=_count_text(current[key][1], current[key][2]),
        )
        for key, title, definition in _TILES
    ]


# --------------------------------------------------------------------------- dispatcher

ReportFn = Callable[..., Report]


def _resolve(name: str) -> ReportFn:
    if name == "checklist":
        from ejournal.domain.control.checklist import checklist_report

        return checklist_report
    if name == "ktp":
        from ejournal.domain.control.ktp import ktp_report

        return ktp_report
    own: dict[str, ReportFn] = {
        "fill": fill_report,
        "fill_teachers": fill_teachers_report,
        "participation": participation_report,
        "progress": progress_report,
        "attendance": attendance_report,
        "objectivity": objectivity_report,
    }
    return own[name]


@read_only
def build_report(
    session: Session,
    name: str,
    *,
    actor: Actor,
    window: Window,
    filters: Filters = Filters(),  # noqa: B008
    now: dt.datetime | dt.date | None = None,
) -> Report:
    """The report called `name` (one of `REPORT_NAMES`) for the window; an unknown name is
    refused with the list of names."""
    if name not in REPORT_NAMES:
        known = ", ".join(f"{k} ({v})" for k, v in REPORT_NAMES.items())
        raise DomainError(f"Нет отчёта «{name}». Есть: {known}.")
    require_some(actor, Permission.ANALYTICS_READ)
    return _resolve(name)(session, actor=actor, window=window, filters=filters, now=now)
