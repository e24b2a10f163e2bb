"""Exchange in a standard format: every core entity as CSV plus a `manifest.json`.

The files open in Excel (UTF-8 with a byte-order mark, comma-separated, RFC 4180 quoting)
and in any CSV reader with no special software [004 §9.3.1], [003 §6.5]. Each file starts
with the columns the exchange format promises, in that order; extra columns come after
them, so a reader that knows format 1.0 keeps working when columns are added.

Values: dates ISO 8601 (`2026-09-01`), times ISO 8601 in UTC, booleans `true`/`false`,
missing values empty. Password hashes and session tokens are never exported. Big tables
are streamed from the database, never loaded whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from ejournal.domain.errors import DomainError
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    ClassGroup,
    Enrolment,
    Lesson,
    Mark,
    Parent,
    ParentLink,
    Period,
    PeriodMark,
    RoleGrant,
    School,
    Staff,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    TimetableSlot,
    User,
    WorkType,
    utcnow,
)

FORMAT_NAME = "ejournal-exchange"
FORMAT_VERSION = "1.0"
MANIFEST_NAME = "manifest.json"
ENCODING = "utf-8-sig"  # UTF-8 with a BOM: Excel then reads Cyrillic correctly
STREAM_BATCH = 5000


class ExportError(DomainError):
    """The export could not be written (a directory that cannot be created, a full disk)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One CSV column: its name, its value type and a Russian description."""

    name: str
    type: str  # integer, string, date, datetime, boolean, decimal, id_list
    description: str


@dataclass(frozen=True)
class ExportedFile:
    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    rows: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    manifest_path: Path
    files: tuple[ExportedFile, ...]
    exported_at: dt.datetime

    def rows(self, name: str) -> int:
        """Rows written to file `name` (e.g. "marks.csv")."""
        return next(f.rows for f in self.files if f.name == name)


RowSource = Callable[[Session, "_Scope"], Iterable[Sequence[Any]]]


@dataclass(frozen=True)
class TableSpec:
    """A file of the format: its columns and where its rows come from."""

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    source: RowSource


@dataclass(frozen=True)
class _Scope:
    """Which schools are exported (None: every school in the database)."""

    school_id: int | None

    def where(self, stmt: Select[Any], school_column: Any) -> Select[Any]:
        return stmt if self.school_id is None else stmt.where(school_column == self.school_id)


def _select(*columns: Any) -> Select[Any]:
    # Model attributes are typed as their Python values; the statement itself is what counts.
    return select(*columns)


def _c(name: str, type_: str, description: str) -> ColumnSpec:
    return ColumnSpec(name, type_, description)


def period_key(kind: str, number: int) -> str:
    """A readable, stable key for a period: "quarter-1", "half_year-2", "year-1"."""
    return f"{kind}-{number}"


def _stream(session: Session, stmt: Select[Any]) -> Iterator[Sequence[Any]]:
    # yield_per fetches in batches (a server-side cursor on PostgreSQL): memory stays flat.
    result = session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    for row in result:
        yield tuple(row)


def _work_type_label() -> Any:
    """The work type's abbreviation (К.р.), or its code when it has none."""
    return func.coalesce(func.nullif(WorkType.abbreviation, ""), WorkType.code)


# --------------------------------------------------------------------------- row sources


def _students(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = _select(
        Student.id,
        Student.last_name,
        Student.first_name,
        Student.middle_name,
        Student.birth_date,
        Student.class_id,
        Student.gender,
        Student.is_active,
    ).order_by(col(Student.id))
    return _stream(session, scope.where(stmt, Student.school_id))


def _classes(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            ClassGroup.id,
            ClassGroup.grade,
            ClassGroup.letter,
            ClassGroup.class_teacher_id,
            ClassGroup.year_id,
            AcademicYear.name,
            ClassGroup.room,
        )
        .join(AcademicYear, col(AcademicYear.id) == ClassGroup.year_id)
        .order_by(col(ClassGroup.id))
    )
    return _stream(session, scope.where(stmt, ClassGroup.school_id))


def _staff(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = _select(
        Staff.id,
        Staff.last_name,
        Staff.first_name,
        Staff.middle_name,
        Staff.position,
        Staff.user_id,
        Staff.is_active,
    ).order_by(col(Staff.id))
    return _stream(session, scope.where(stmt, Staff.school_id))


def _subjects(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = _select(
        Subject.id, Subject.name, Subject.marked, Subject.short_name, Subject.allows_two_marks
    ).order_by(col(Subject.sort_order), col(Subject.id))
    return _stream(session, scope.where(stmt, Subject.school_id))


def _lessons(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            Lesson.id,
            Lesson.date,
            Lesson.number,
            TeachingAssignment.class_id,
            TeachingAssignment.subgroup_id,
            TeachingAssignment.subject_id,
            TeachingAssignment.teacher_id,
            Lesson.topic,
            Lesson.homework,
            _work_type_label(),
            Lesson.cancelled,
            Lesson.substitute_teacher_id,
            Lesson.assignment_id,
            Lesson.room,
            Lesson.homework_links,
            Lesson.homework_none,
            Lesson.attendance_taken_at,
        )
        .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
        .outerjoin(WorkType, col(WorkType.id) == Lesson.work_type_id)
        .order_by(col(Lesson.id))
    )
    if scope.school_id is not None:
        stmt = stmt.join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
    return _stream(session, scope.where(stmt, ClassGroup.school_id))


def _marks(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            Mark.id,
            Mark.student_id,
            Mark.lesson_id,
            Mark.slot,
            Mark.value,
            _work_type_label(),
            Mark.weight,
            Mark.author_id,
            Mark.created_at,
            Mark.updated_at,
            Mark.comment,
        )
        .outerjoin(WorkType, col(WorkType.id) == Mark.work_type_id)
        .order_by(col(Mark.id))
    )
    if scope.school_id is not None:
        stmt = stmt.join(Student, col(Student.id) == Mark.student_id)
    return _stream(session, scope.where(stmt, Student.school_id))


def _attendance(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = _select(
        Attendance.id,
        Attendance.student_id,
        Attendance.lesson_id,
        Attendance.status,
        Attendance.reason,
        Attendance.author_id,
        Attendance.created_at,
    ).order_by(col(Attendance.id))
    if scope.school_id is not None:
        stmt = stmt.join(Student, col(Student.id) == Attendance.student_id)
    return _stream(session, scope.where(stmt, Student.school_id))


def _period_marks(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            PeriodMark.student_id,
            PeriodMark.subject_id,
            Period.kind,
            Period.number,
            PeriodMark.value,
            PeriodMark.not_attested,
            PeriodMark.id,
            PeriodMark.period_id,
            AcademicYear.name,
            PeriodMark.author_id,
            PeriodMark.updated_at,
        )
        .join(Period, col(Period.id) == PeriodMark.period_id)
        .join(AcademicYear, col(AcademicYear.id) == Period.year_id)
        .order_by(col(PeriodMark.id))
    )
    for row in _stream(session, scope.where(stmt, AcademicYear.school_id)):
        student_id, subject_id, kind, number, *rest = row
        yield (student_id, subject_id, period_key(kind, number), *rest)


def _parents(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    # Parents and their links are a few per student: small enough to group in memory.
    links_stmt = (
        _select(ParentLink.parent_id, ParentLink.student_id)
        .join(Parent, col(Parent.id) == ParentLink.parent_id)
        .order_by(col(ParentLink.parent_id), col(ParentLink.student_id))
    )
    children: dict[int, list[str]] = defaultdict(list)
    for parent_id, student_id in session.execute(scope.where(links_stmt, Parent.school_id)):
        children[parent_id].append(str(student_id))
    stmt = _select(
        Parent.id,
        Parent.last_name,
        Parent.first_name,
        Parent.middle_name,
        Parent.user_id,
    ).order_by(col(Parent.id))
    for parent_id, last, first, middle, user_id in _stream(
        session, scope.where(stmt, Parent.school_id)
    ):
        yield (parent_id, last, first, middle, ";".join(children.get(parent_id, [])), user_id)


def _timetable(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            TeachingAssignment.class_id,
            TeachingAssignment.subgroup_id,
            TimetableSlot.weekday,
            TimetableSlot.number,
            TeachingAssignment.subject_id,
            TeachingAssignment.teacher_id,
            TimetableSlot.room,
            TimetableSlot.id,
            TimetableSlot.assignment_id,
            TimetableSlot.valid_from,
            TimetableSlot.valid_to,
        )
        .join(TeachingAssignment, col(TeachingAssignment.id) == TimetableSlot.assignment_id)
        .order_by(col(TimetableSlot.id))
    )
    if scope.school_id is not None:
        stmt = stmt.join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
    return _stream(session, scope.where(stmt, ClassGroup.school_id))


def _academic_years(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = _select(
        AcademicYear.id,
        AcademicYear.name,
        AcademicYear.starts_on,
        AcademicYear.ends_on,
        AcademicYear.is_current,
    ).order_by(col(AcademicYear.id))
    return _stream(session, scope.where(stmt, AcademicYear.school_id))


def _periods(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            Period.id,
            Period.year_id,
            Period.kind,
            Period.number,
            Period.name,
            Period.starts_on,
            Period.ends_on,
            Period.grade_from,
            Period.grade_to,
        )
        .join(AcademicYear, col(AcademicYear.id) == Period.year_id)
        .order_by(col(Period.id))
    )
    for row in _stream(session, scope.where(stmt, AcademicYear.school_id)):
        period_id, year_id, kind, number, *rest = row
        yield (period_id, year_id, period_key(kind, number), kind, number, *rest)


def _work_types(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = _select(
        WorkType.id,
        WorkType.code,
        WorkType.abbreviation,
        WorkType.name,
        WorkType.weight,
        WorkType.is_control,
        WorkType.allows_two_marks,
    ).order_by(col(WorkType.sort_order), col(WorkType.id))
    return _stream(session, scope.where(stmt, WorkType.school_id))


def _subgroups(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(Subgroup.id, Subgroup.class_id, Subgroup.subject_id, Subgroup.name)
        .join(ClassGroup, col(ClassGroup.id) == Subgroup.class_id)
        .order_by(col(Subgroup.id))
    )
    return _stream(session, scope.where(stmt, ClassGroup.school_id))


def _subgroup_members(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(SubgroupMember.subgroup_id, SubgroupMember.student_id)
        .join(Subgroup, col(Subgroup.id) == SubgroupMember.subgroup_id)
        .join(ClassGroup, col(ClassGroup.id) == Subgroup.class_id)
        .order_by(col(SubgroupMember.subgroup_id), col(SubgroupMember.student_id))
    )
    return _stream(session, scope.where(stmt, ClassGroup.school_id))


def _teaching_assignments(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            TeachingAssignment.id,
            TeachingAssignment.year_id,
            TeachingAssignment.class_id,
            TeachingAssignment.subgroup_id,
            TeachingAssignment.subject_id,
            TeachingAssignment.teacher_id,
            TeachingAssignment.hours_per_week,
        )
        .join(ClassGroup, col(ClassGroup.id) == TeachingAssignment.class_id)
        .order_by(col(TeachingAssignment.id))
    )
    return _stream(session, scope.where(stmt, ClassGroup.school_id))


def _enrolments(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    stmt = (
        _select(
            Enrolment.id,
            Enrolment.student_id,
            Enrolment.class_id,
            Enrolment.kind,
            Enrolment.starts_on,
            Enrolment.order_number,
            Enrolment.ends_on,
            Enrolment.leave_kind,
            Enrolment.leave_order_number,
        )
        .join(Student, col(Student.id) == Enrolment.student_id)
        .order_by(col(Enrolment.id))
    )
    return _stream(session, scope.where(stmt, Student.school_id))


def _users(session: Session, scope: _Scope) -> Iterable[Sequence[Any]]:
    # Only who the account is and what it may do: never the hash, never a session token.
    grants_stmt = _select(RoleGrant.user_id, RoleGrant.role).order_by(
        col(RoleGrant.user_id), col(RoleGrant.role)
    )
    roles: dict[int, list[str]] = defaultdict(list)
    for user_id, role in session.execute(scope.where(grants_stmt, RoleGrant.school_id)):
        if role not in roles[user_id]:
            roles[user_id].append(role)
    staff_of = {u: s for s, u in session.execute(scope.where(_owner(Staff), Staff.school_id))}
    parent_of = {u: p for p, u in session.execute(scope.where(_owner(Parent), Parent.school_id))}
    student_of = {u: s for s, u in session.execute(scope.where(_owner(Student), Student.school_id))}
    stmt = _select(User.id, User.login, User.is_active, User.created_at).order_by(col(User.id))
    for user_id, login, is_active, created_at in _stream(session, stmt):
        in_school = user_id in roles or user_id in staff_of or user_id in parent_of
        if scope.school_id is not None and not (in_school or user_id in student_of):
            continue
        yield (
            user_id,
            login,
            ";".join(roles.get(user_id, [])),
            staff_of.get(user_id),
            parent_of.get(user_id),
            student_of.get(user_id),
            is_active,
            created_at,
        )


def _owner(model: type[Staff] | type[Parent] | type[Student]) -> Select[Any]:
    return _select(model.id, model.user_id).where(col(model.user_id).is_not(None))


# --------------------------------------------------------------------------- the format

_ID = "integer"
_STR = "string"

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "students.csv",
        "Учащиеся",
        (
            _c("id", _ID, "Идентификатор учащегося"),
            _c("last_name", _STR, "Фамилия"),
            _c("first_name", _STR, "Имя"),
            _c("middle_name", _STR, "Отчество (пусто, если нет)"),
            _c("birth_date", "date", "Дата рождения"),
            _c("class_id", _ID, "Текущий класс (classes.csv); пусто, если выбыл"),
            _c("gender", _STR, "Пол: m — мужской, f — женский"),
            _c("is_active", "boolean", "Обучается в школе"),
        ),
        _students,
    ),
    TableSpec(
        "classes.csv",
        "Классы",
        (
            _c("id", _ID, "Идентификатор класса"),
            _c("grade", _ID, "Параллель (1–11)"),
            _c("letter", _STR, "Литера класса"),
            _c("class_teacher_id", _ID, "Классный руководитель (staff.csv)"),
            _c("year_id", _ID, "Учебный год (academic_years.csv)"),
            _c("year", _STR, "Учебный год, например 2026/2027"),
            _c("room", _STR, "Кабинет класса"),
        ),
        _classes,
    ),
    TableSpec(
        "staff.csv",
        "Сотрудники",
        (
            _c("id", _ID, "Идентификатор сотрудника"),
            _c("last_name", _STR, "Фамилия"),
            _c("first_name", _STR, "Имя"),
            _c("middle_name", _STR, "Отчество"),
            _c("position", _STR, "Должность"),
            _c("user_id", _ID, "Учётная запись (users.csv)"),
            _c("is_active", "boolean", "Работает в школе"),
        ),
        _staff,
    ),
    TableSpec(
        "subjects.csv",
        "Учебные предметы",
        (
            _c("id", _ID, "Идентификатор предмета"),
            _c("name", _STR, "Название предмета"),
            _c("marked", "boolean", "Оценивается отметками (false — безотметочный)"),
            _c("short_name", _STR, "Краткое название"),
            _c("allows_two_marks", "boolean", "Допускаются две отметки в клетке"),
        ),
        _subjects,
    ),
    TableSpec(
        "lessons.csv",
        "Уроки (столбцы журнала)",
        (
            _c("id", _ID, "Идентификатор урока"),
            _c("date", "date", "Дата урока"),
            _c("number", _ID, "Номер урока в расписании дня"),
            _c("class_id", _ID, "Класс (classes.csv)"),
            _c("subgroup_id", _ID, "Подгруппа (subgroups.csv); пусто — весь класс"),
            _c("subject_id", _ID, "Предмет (subjects.csv)"),
            _c("teacher_id", _ID, "Учитель по нагрузке (staff.csv)"),
            _c("topic", _STR, "Тема урока"),
            _c("homework", _STR, "Домашнее задание"),
            _c("work_type", _STR, "Вид работы на уроке: сокращение (К.р., Л.р. …) или код"),
            _c("cancelled", "boolean", "Урок отменён"),
            _c("substitute_teacher_id", _ID, "Заменяющий учитель (staff.csv); пусто — без замены"),
            _c("assignment_id", _ID, "Учебная нагрузка (teaching_assignments.csv)"),
            _c("room", _STR, "Кабинет"),
            _c("homework_links", _STR, "Ссылки к домашнему заданию, по одной в строке"),
            _c("homework_none", "boolean", "Домашнее задание не задано (так указал учитель)"),
            _c(
                "attendance_taken_at",
                "datetime",
                "Когда отмечена посещаемость (UTC); пусто — не отмечена",
            ),
        ),
        _lessons,
    ),
    TableSpec(
        "marks.csv",
        "Текущие отметки",
        (
            _c("id", _ID, "Идентификатор отметки"),
            _c("student_id", _ID, "Учащийся (students.csv)"),
            _c("lesson_id", _ID, "Урок (lessons.csv)"),
            _c("slot", _ID, "Номер отметки в клетке (1 или 2)"),
            _c("value", _ID, "Отметка от 1 до 5"),
            _c("work_type", _STR, "Вид работы: сокращение (К.р., Л.р. …) или код"),
            _c("weight", "decimal", "Вес отметки в средневзвешенном балле"),
            _c("author_id", _ID, "Кто поставил (users.csv)"),
            _c("created_at", "datetime", "Когда поставлена (UTC)"),
            _c("updated_at", "datetime", "Когда изменена в последний раз (UTC)"),
            _c("comment", _STR, "Комментарий учителя"),
        ),
        _marks,
    ),
    TableSpec(
        "attendance.csv",
        "Посещаемость: пропуски и опоздания (присутствие — отсутствие строки)",
        (
            _c("id", _ID, "Идентификатор записи"),
            _c("student_id", _ID, "Учащийся (students.csv)"),
            _c("lesson_id", _ID, "Урок (lessons.csv)"),
            _c(
                "status",
                _STR,
                "absent — отсутствовал (н), excused — по уважительной причине, late — опоздал",
            ),
            _c("reason", _STR, "Причина отсутствия"),
            _c("author_id", _ID, "Кто отметил (users.csv)"),
            _c("created_at", "datetime", "Когда отмечено (UTC)"),
        ),
        _attendance,
    ),
    TableSpec(
        "period_marks.csv",
        "Отметки за период (четверть, полугодие, год, экзамен, итоговая)",
        (
            _c("student_id", _ID, "Учащийся (students.csv)"),
            _c("subject_id", _ID, "Предмет (subjects.csv)"),
            _c("period", _STR, "Период: вид-номер, например quarter-1, half_year-2, year-1"),
            _c("value", _ID, "Отметка от 2 до 5; пусто, если не аттестован"),
            _c("not_attested", "boolean", "Не аттестован"),
            _c("id", _ID, "Идентификатор отметки за период"),
            _c("period_id", _ID, "Период (periods.csv)"),
            _c("year", _STR, "Учебный год, например 2026/2027"),
            _c("author_id", _ID, "Кто выставил (users.csv)"),
            _c("updated_at", "datetime", "Когда выставлена или изменена (UTC)"),
        ),
        _period_marks,
    ),
    TableSpec(
        "parents.csv",
        "Родители (законные представители)",
        (
            _c("id", _ID, "Идентификатор родителя"),
            _c("last_name", _STR, "Фамилия"),
            _c("first_name", _STR, "Имя"),
            _c("middle_name", _STR, "Отчество"),
            _c("student_ids", "id_list", "Дети (students.csv), идентификаторы через «;»"),
            _c("user_id", _ID, "Учётная запись (users.csv)"),
        ),
        _parents,
    ),
    TableSpec(
        "timetable.csv",
        "Расписание уроков на неделю",
        (
            _c("class_id", _ID, "Класс (classes.csv)"),
            _c("subgroup_id", _ID, "Подгруппа (subgroups.csv); пусто — весь класс"),
            _c("weekday", _ID, "День недели: 1 — понедельник … 6 — суббота"),
            _c("number", _ID, "Номер урока"),
            _c("subject_id", _ID, "Предмет (subjects.csv)"),
            _c("teacher_id", _ID, "Учитель (staff.csv)"),
            _c("room", _STR, "Кабинет"),
            _c("id", _ID, "Идентификатор строки расписания"),
            _c("assignment_id", _ID, "Учебная нагрузка (teaching_assignments.csv)"),
            _c("valid_from", "date", "Действует с"),
            _c("valid_to", "date", "Действует по (пусто — до конца года)"),
        ),
        _timetable,
    ),
    TableSpec(
        "academic_years.csv",
        "Учебные годы",
        (
            _c("id", _ID, "Идентификатор учебного года"),
            _c("name", _STR, "Название, например 2026/2027"),
            _c("starts_on", "date", "Начало"),
            _c("ends_on", "date", "Окончание"),
            _c("is_current", "boolean", "Текущий учебный год"),
        ),
        _academic_years,
    ),
    TableSpec(
        "periods.csv",
        "Учебные периоды",
        (
            _c("id", _ID, "Идентификатор периода"),
            _c("year_id", _ID, "Учебный год (academic_years.csv)"),
            _c("key", _STR, "Ключ периода, как в period_marks.csv"),
            _c("kind", _STR, "Вид: quarter, half_year, year, exam, final"),
            _c("number", _ID, "Номер периода в году"),
            _c("name", _STR, "Название, например «1 четверть»"),
            _c("starts_on", "date", "Начало"),
            _c("ends_on", "date", "Окончание"),
            _c("grade_from", _ID, "Для параллелей с"),
            _c("grade_to", _ID, "Для параллелей по"),
        ),
        _periods,
    ),
    TableSpec(
        "work_types.csv",
        "Виды работ",
        (
            _c("id", _ID, "Идентификатор вида работы"),
            _c("code", _STR, "Код"),
            _c("abbreviation", _STR, "Сокращение (К.р., Л.р. …)"),
            _c("name", _STR, "Название"),
            _c("weight", "decimal", "Вес в средневзвешенном балле"),
            _c("is_control", "boolean", "Контрольная: отметка каждому присутствующему"),
            _c("allows_two_marks", "boolean", "Допускаются две отметки в клетке"),
        ),
        _work_types,
    ),
    TableSpec(
        "subgroups.csv",
        "Подгруппы классов",
        (
            _c("id", _ID, "Идентификатор подгруппы"),
            _c("class_id", _ID, "Класс (classes.csv)"),
            _c("subject_id", _ID, "Предмет (subjects.csv)"),
            _c("name", _STR, "Название подгруппы"),
        ),
        _subgroups,
    ),
    TableSpec(
        "subgroup_members.csv",
        "Состав подгрупп",
        (
            _c("subgroup_id", _ID, "Подгруппа (subgroups.csv)"),
            _c("student_id", _ID, "Учащийся (students.csv)"),
        ),
        _subgroup_members,
    ),
    TableSpec(
        "teaching_assignments.csv",
        "Учебная нагрузка: учитель × класс или подгруппа × предмет × год",
        (
            _c("id", _ID, "Идентификатор нагрузки"),
            _c("year_id", _ID, "Учебный год (academic_years.csv)"),
            _c("class_id", _ID, "Класс (classes.csv)"),
            _c("subgroup_id", _ID, "Подгруппа (subgroups.csv); пусто — весь класс"),
            _c("subject_id", _ID, "Предмет (subjects.csv)"),
            _c("teacher_id", _ID, "Учитель (staff.csv)"),
            _c("hours_per_week", "decimal", "Часов в неделю"),
        ),
        _teaching_assignments,
    ),
    TableSpec(
        "enrolments.csv",
        "Движение учащихся: зачисление, перевод, выбытие",
        (
            _c("id", _ID, "Идентификатор записи"),
            _c("student_id", _ID, "Учащийся (students.csv)"),
            _c("class_id", _ID, "Класс (classes.csv)"),
            _c(
                "kind",
                _STR,
                "Основание: start — с начала года, arrived — прибыл, moved_in — переведён",
            ),
            _c("starts_on", "date", "Дата зачисления в класс"),
            _c("order_number", _STR, "Номер приказа о зачислении"),
            _c("ends_on", "date", "Последний день в классе (пусто — учится)"),
            _c("leave_kind", _STR, "left — выбыл, moved_out — переведён, graduated — окончил"),
            _c("leave_order_number", _STR, "Номер приказа о выбытии"),
        ),
        _enrolments,
    ),
    TableSpec(
        "users.csv",
        "Учётные записи (без паролей и сеансов)",
        (
            _c("id", _ID, "Идентификатор учётной записи"),
            _c("login", _STR, "Логин"),
            _c("roles", "id_list", "Роли через «;»: admin, director, deputy, teacher, …"),
            _c("staff_id", _ID, "Сотрудник (staff.csv)"),
            _c("parent_id", _ID, "Родитель (parents.csv)"),
            _c("student_id", _ID, "Учащийся (students.csv)"),
            _c("is_active", "boolean", "Вход разрешён"),
            _c("created_at", "datetime", "Когда создана (UTC)"),
        ),
        _users,
    ),
)

#: The columns format 1.0 promises, in order, at the start of each file ("required" in
#: the manifest); every other column is an addition a reader may ignore.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "students.csv": ("id", "last_name", "first_name", "middle_name", "birth_date", "class_id"),
    "classes.csv": ("id", "grade", "letter", "class_teacher_id"),
    "staff.csv": ("id", "last_name", "first_name", "middle_name"),
    "subjects.csv": ("id", "name", "marked"),
    "lessons.csv": (
        "id",
        "date",
        "number",
        "class_id",
        "subgroup_id",
        "subject_id",
        "teacher_id",
        "topic",
        "homework",
        "work_type",
        "cancelled",
    ),
    "marks.csv": (
        "id",
        "student_id",
        "lesson_id",
        "slot",
        "value",
        "work_type",
        "weight",
        "author_id",
        "created_at",
    ),
    "attendance.csv": ("id", "student_id", "lesson_id", "status", "reason"),
    "period_marks.csv": ("student_id", "subject_id", "period", "value"),
    "parents.csv": ("id", "last_name", "first_name", "middle_name", "student_ids"),
    "timetable.csv": (
        "class_id",
        "subgroup_id",
        "weekday",
        "number",
        "subject_id",
        "teacher_id",
        "room",
    ),
}

for _spec in TABLES:  # the promise of format 1.0 holds by construction
    _names = tuple(c.name for c in _spec.columns)
    assert _names[: len(REQUIRED_COLUMNS.get(_spec.name, ()))] == REQUIRED_COLUMNS.get(
        _spec.name, ()
    ), _spec.name


# --------------------------------------------------------------------------- writing


_OS_REASONS = {
    errno.EACCES: "нет прав на запись",
    errno.EPERM: "нет прав на запись",
    errno.EROFS: "файловая система только для чтения",
    errno.ENOSPC: "нет места на диске",
    errno.ENOTDIR: "часть пути — файл, а не каталог",
    errno.ENOENT: "каталог не найден",
    errno.EEXIST: "уже есть файл с таким именем",
}


def os_error_reason(exc: OSError) -> str:
    """A short Russian reason for a file-system error (the system's text otherwise)."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or exc.__class__.__name__)


def format_value(value: Any) -> str:
    """One cell as text: ISO dates, UTC ISO times, true/false, '' for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        else:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write_csv(path: Path, spec: TableSpec, rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in spec.columns])
        for row in rows:
            writer.writerow([format_value(v) for v in row])
            count += 1
    return count


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _schools(session: Session, school_id: int | None) -> list[dict[str, Any]]:
    stmt = _select(School.id, School.name, School.short_name).order_by(col(School.id))
    if school_id is not None:
        stmt = stmt.where(col(School.id) == school_id)
    return [
        {"id": sid, "name": name, "short_name": short} for sid, name, short in session.execute(stmt)
    ]


def manifest_dict(
    files: Sequence[ExportedFile], schools: list[dict[str, Any]], exported_at: dt.datetime
) -> dict[str, Any]:
    """The manifest: the format, the school, and every file with its columns and rows."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "exported_at": format_value(exported_at),
        "school": schools[0] if len(schools) == 1 else None,
        "schools": schools,
        "encoding": ENCODING,
        "delimiter": ",",
        "conventions": {
            "date": "ГГГГ-ММ-ДД (ISO 8601)",
            "datetime": "ISO 8601, время UTC",
            "boolean": "true — да, false — нет",
            "empty": "пустая ячейка — значения нет",
            "id_list": "идентификаторы через «;»",
        },
        "files": [
            {
                "name": f.name,
                "description": f.description,
                "rows": f.rows,
                "bytes": f.bytes,
                "sha256": f.sha256,
                "columns": [
                    {
                        "name": c.name,
                        "type": c.type,
                        "description": c.description,
                        "required": i < len(REQUIRED_COLUMNS.get(f.name, ())),
                    }
                    for i, c in enumerate(f.columns)
                ],
            }
            for f in files
        ],
    }


def export_school(
    session: Session,
    *,
    out_dir: Path,
    school_id: int | None = None,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Write every core entity of `school_id` (None: all schools) as CSV into `out_dir`.

    The manifest is written last: a directory without `manifest.json` is an unfinished
    export. For a consistent picture run it in one transaction (REPEATABLE READ on
    PostgreSQL); the caller owns the session.
    """
    exported_at = now or utcnow()
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"«{out_dir}» — это файл, а не каталог.")
    if school_id is not None and session.get(School, school_id) is None:
        raise ExportError(f"Школа с идентификатором {school_id} не найдена.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        scope = _Scope(school_id)
        files: list[ExportedFile] = []
        for spec in TABLES:
            path = out_dir / spec.name
            rows = _write_csv(path, spec, spec.source(session, scope))
            files.append(
                ExportedFile(
                    spec.name,
                    spec.description,
                    spec.columns,
                    rows,
                    path.stat().st_size,
                    _digest(path),
                )
            )
        manifest = manifest_dict(files, _schools(session, school_id), exported_at)
        manifest_path = out_dir / MANIFEST_NAME
        manifest_path.write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    except OSError as exc:
        where = exc.filename or out_dir
        raise ExportError(
            f"Не удалось записать выгрузку в «{where}»: {os_error_reason(exc)}."
        ) from exc
    return ExportResult(out_dir, manifest_path, tuple(files), exported_at)
