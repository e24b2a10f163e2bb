"""The school's data model: plain SQLModel tables (no Reflex).

Conventions: times are timezone-aware UTC (`utcnow()`); dates are school-local dates; enumerations
are short English strings guarded by CHECK constraints, so both SQLite and PostgreSQL
refuse a value the code does not know. Every editable journal record carries a
`version` for optimistic concurrency.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """Aware UTC now: the one clock every table uses."""
    return dt.datetime.now(dt.UTC)


def _check_in(column: str, values: type[StrEnum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class Role(StrEnum):
    ADMIN = "admin"
    DIRECTOR = "director"
    DEPUTY = "deputy"
    TEACHER = "teacher"
    CLASS_TEACHER = "class_teacher"
    SECRETARY = "secretary"
    PARENT = "parent"
    STUDENT = "student"


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    EXAM = "exam"
    FINAL = "final"


class Gender(StrEnum):
    MALE = "m"
    FEMALE = "f"


class EnrolmentKind(StrEnum):
    START = "start"  # on the roll at the start of the year
    ARRIVED = "arrived"  # came from another school
    MOVED_IN = "moved_in"  # moved from another class of this school


class LeaveKind(StrEnum):
    LEFT = "left"  # left the school
    MOVED_OUT = "moved_out"  # moved to another class of this school
    GRADUATED = "graduated"


class AttendanceStatus(StrEnum):
    ABSENT = "absent"  # н, no valid reason (yet)
    EXCUSED = "excused"  # н, with a valid reason
    LATE = "late"


class RemarkKind(StrEnum):
    REMARK = "remark"
    PRAISE = "praise"


class Audience(StrEnum):
    SCHOOL = "school"  # everyone
    PARENTS = "parents"
    STUDENTS = "students"
    STAFF = "staff"
    CLASS = "class"  # parents and students of one class


class KtpStatus(StrEnum):
    DRAFT = "draft"  # imported or being edited by the teacher
    SUBMITTED = "submitted"  # sent to the deputy for review
    APPROVED = "approved"  # the pick-list of topics uses it
    RETURNED = "returned"  # sent back with the deputy's note


class ConsentForm(StrEnum):
    PAPER = "paper"
    ELECTRONIC = "electronic"


class LoginEventKind(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    LOGOUT = "logout"
    LOCK = "lock"  # no longer written (accounts are slowed, not locked); kept for history
    PASSWORD_CHANGE = "password_change"
    THROTTLED = "throttled"  # refused unchecked: the account or the address must wait
    CLEARED = "cleared"  # the administrator cleared an address's or account's failures


class YearDecision(StrEnum):
    PROMOTED = "promoted"
    PROMOTED_CONDITIONALLY = "promoted_conditionally"
    RETAINED = "retained"
    ADMITTED_TO_EXAM = "admitted_to_exam"
    GRADUATED = "graduated"
    LEFT = "left"


# --------------------------------------------------------------------------- school


class School(SQLModel, table=True):
    """A school and its settings."""

    __tablename__ = "school"
    __table_args__ = (
        CheckConstraint("days_per_week IN (5, 6)", name="ck_school_days_per_week"),
        CheckConstraint("edit_lock_days >= 0", name="ck_school_edit_lock_days"),
        CheckConstraint(
            "round_to_3 <= round_to_4 AND round_to_4 <= round_to_5", name="ck_school_rounding"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(300), nullable=False))
    short_name: str = Field(sa_column=Column(String(100), nullable=False))
    address: str = Field(default="", sa_column=Column(String(300), nullable=False))
    timezone: str = Field(default="Europe/Moscow", sa_column=Column(String(64), nullable=False))
    days_per_week: int = Field(default=5)
    # Cells of a lesson older than this many days need a reason to change (0 = never lock).
    edit_lock_days: int = Field(default=7)
    # Period marks become visible to families this many days after the period ends.
    period_mark_publish_days: int = Field(default=1)
    # A weighted average at or above the threshold rounds up to that mark.
    round_to_5: Decimal = Field(
        default=Decimal("4.50"), sa_column=Column(Numeric(4, 2), nullable=False)
    )
    round_to_4: Decimal = Field(
        default=Decimal("3.50"), sa_column=Column(Numeric(4, 2), nullable=False)
    )
    round_to_3: Decimal = Field(
        default=Decimal("2.50"), sa_column=Column(Numeric(4, 2), nullable=False)
    )
    # Marks of class work, topics and homework are due by this hour of the lesson's day
    # [003 §3.2], [004 §5.18].
    marks_deadline_hour: int = Field(default=17)
    # Control thresholds the deputy's checklist uses (settings page; [000 §4.3.1], [004 §5.6,
    # §5.10]): the longest gap without a current mark, how many lessons a «2» may wait for
    # the next mark, the share of the class questioned orally per lesson, and the share of
    # missed lessons that makes a student «много пропусков» in the attendance report.
    control_mark_gap_days: int = Field(default=14)
    control_retest_lessons: int = Field(default=2)
    control_oral_percent: int = Field(default=20)
    control_absence_percent: int = Field(default=30)
    # A teacher's weekly load (hours) past which the assignments page warns the deputy.
    max_weekly_load: Decimal = Field(
        default=Decimal("36.0"), sa_column=Column(Numeric(4, 1), nullable=False)
    )
    # Nightly backups: the hour (school time) and how many daily and monthly copies to keep.
    backup_hour: int = Field(default=2)
    backup_keep_daily: int = Field(default=7)
    backup_keep_monthly: int = Field(default=12)


class WorkType(SQLModel, table=True):
    """A kind of work with its abbreviation (К.р., Л.р. …) and weight in the average."""

    __tablename__ = "work_type"
    __table_args__ = (
        UniqueConstraint("school_id", "code", name="uq_work_type_code"),
        CheckConstraint("weight > 0", name="ck_work_type_weight"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    code: str = Field(sa_column=Column(String(32), nullable=False))
    name: str = Field(sa_column=Column(String(100), nullable=False))
    abbreviation: str = Field(default="", sa_column=Column(String(16), nullable=False))
    weight: Decimal = Field(
        default=Decimal("1.00"), sa_column=Column(Numeric(4, 2), nullable=False)
    )
    is_control: bool = Field(default=False)  # every present student needs a mark [004 §5.7]
    allows_two_marks: bool = Field(default=False)  # dictation, essay … [004 §5.5]
    # Deadline for entering marks, in lessons after this one (0 = same day) [003 §3.2].
    deadline_lessons: int = Field(default=0)
    deadline_days: int = Field(default=0)  # essays: ten days
    sort_order: int = Field(default=0)


class BellSlot(SQLModel, table=True):
    """The bell schedule: lesson number → start and end time."""

    __tablename__ = "bell_slot"
    __table_args__ = (UniqueConstraint("school_id", "number", name="uq_bell_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    number: int
    starts_at: dt.time
    ends_at: dt.time


class AcademicYear(SQLModel, table=True):
    __tablename__ = "academic_year"
    __table_args__ = (
        UniqueConstraint("school_id", "name", name="uq_academic_year"),
        CheckConstraint("starts_on < ends_on", name="ck_academic_year_dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(sa_column=Column(String(16), nullable=False))  # "2026/2027"
    starts_on: dt.date
    ends_on: dt.date
    is_current: bool = Field(default=False)
    # A closed year is read-only in the app (still searchable) once its archive is made.
    closed_at: dt.datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="app_user.id")


class Period(SQLModel, table=True):
    """A marking period: quarters for grades 1–9, half-years for 10–11, the year for all."""

    __tablename__ = "period"
    __table_args__ = (
        UniqueConstraint("year_id", "kind", "number", name="uq_period"),
        CheckConstraint("starts_on <= ends_on", name="ck_period_dates"),
        CheckConstraint("grade_from <= grade_to", name="ck_period_grades"),
        _check_in("kind", PeriodKind, "ck_period_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year_id: int = Field(foreign_key="academic_year.id", index=True)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    number: int
    name: str = Field(sa_column=Column(String(50), nullable=False))  # "1 четверть"
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int = Field(default=1)
    grade_to: int = Field(default=11)


class Holiday(SQLModel, table=True):
    """Holidays and days off; `grade_to` narrows extra holidays (grade 1 in February)."""

    __tablename__ = "holiday"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="ck_holiday_dates"),)

    id: int | None = Field(default=None, primary_key=True)
    year_id: int = Field(foreign_key="academic_year.id", index=True)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    starts_on: dt.date
    ends_on: dt.date
    grade_from: int = Field(default=1)
    grade_to: int = Field(default=11)


# --------------------------------------------------------------------------- people


class User(SQLModel, table=True):
    """An account: credentials only; names live on Staff, Student and Parent."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(String(100), nullable=False))
    is_active: bool = Field(default=True)
    must_change_password: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: dt.datetime | None = None
    password_changed_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class RoleGrant(SQLModel, table=True):
    """A role held by a user; class teachers name their class."""

    __tablename__ = "role_grant"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "class_id", name="uq_role_grant"),
        _check_in("role", Role, "ck_role_grant_role"),
        CheckConstraint(
            "(role = 'class_teacher') = (class_id IS NOT NULL)", name="ck_role_grant_class"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    role: str = Field(sa_column=Column(String(16), nullable=False))
    class_id: int | None = Field(default=None, foreign_key="class_group.id", index=True)


class Staff(SQLModel, table=True):
    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    last_name: str = Field(sa_column=Column(String(100), nullable=False))
    first_name: str = Field(sa_column=Column(String(100), nullable=False))
    middle_name: str = Field(default="", sa_column=Column(String(100), nullable=False))
    gender: str = Field(default="f", sa_column=Column(String(1), nullable=False))
    position: str = Field(default="", sa_column=Column(String(100), nullable=False))
    email: str = Field(default="", sa_column=Column(String(200), nullable=False))
    phone: str = Field(default="", sa_column=Column(String(32), nullable=False))
    room: str = Field(default="", sa_column=Column(String(32), nullable=False))
    is_active: bool = Field(default=True)


class Student(SQLModel, table=True):
    """A student with the personal data the journal keeps [004 §9.1.3]."""

    __tablename__ = "student"
    __table_args__ = (_check_in("gender", Gender, "ck_student_gender"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    last_name: str = Field(sa_column=Column(String(100), nullable=False))
    first_name: str = Field(sa_column=Column(String(100), nullable=False))
    middle_name: str = Field(default="", sa_column=Column(String(100), nullable=False))
    gender: str = Field(sa_column=Column(String(1), nullable=False))
    birth_date: dt.date
    birth_certificate: str = Field(default="", sa_column=Column(String(64), nullable=False))
    snils: str = Field(default="", sa_column=Column(String(16), nullable=False))
    address: str = Field(default="", sa_column=Column(String(300), nullable=False))
    phone: str = Field(default="", sa_column=Column(String(32), nullable=False))
    email: str = Field(default="", sa_column=Column(String(200), nullable=False))
    health_group: str = Field(default="", sa_column=Column(String(16), nullable=False))
    # «Общие сведения» of the personal file [004 §5.28–5.32]: the personal-file number.
    personal_file_number: str = Field(default="", sa_column=Column(String(32), nullable=False))
    # The current class (denormalised from Enrolment for fast lists; None when left).
    class_id: int | None = Field(default=None, foreign_key="class_group.id", index=True)
    is_active: bool = Field(default=True)


class Parent(SQLModel, table=True):
    """A parent or legal guardian (законный представитель)."""

    __tablename__ = "parent"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    last_name: str = Field(sa_column=Column(String(100), nullable=False))
    first_name: str = Field(sa_column=Column(String(100), nullable=False))
    middle_name: str = Field(default="", sa_column=Column(String(100), nullable=False))
    gender: str = Field(default="f", sa_column=Column(String(1), nullable=False))
    phone: str = Field(default="", sa_column=Column(String(32), nullable=False))
    email: str = Field(default="", sa_column=Column(String(200), nullable=False))


class ParentLink(SQLModel, table=True):
    __tablename__ = "parent_link"
    __table_args__ = (UniqueConstraint("parent_id", "student_id", name="uq_parent_link"),)

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int = Field(foreign_key="parent.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    relation: str = Field(default="", sa_column=Column(String(32), nullable=False))  # мать, отец


class Consent(SQLModel, table=True):
    """Consent to personal-data processing (152-ФЗ) given or refused by a parent."""

    __tablename__ = "consent"
    __table_args__ = (_check_in("form", ConsentForm, "ck_consent_form"),)

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int = Field(foreign_key="parent.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    given: bool
    signed_on: dt.date
    withdrawn_on: dt.date | None = None
    document: str = Field(default="", sa_column=Column(String(200), nullable=False))
    # How it was given: on paper («paper») or electronically («electronic») [003 §5.2].
    form: str = Field(default="paper", sa_column=Column(String(16), nullable=False))


# --------------------------------------------------------------------------- classes


class ClassGroup(SQLModel, table=True):
    """A class (5 «А») of one academic year."""

    __tablename__ = "class_group"
    __table_args__ = (
        UniqueConstraint("year_id", "grade", "letter", name="uq_class_group"),
        CheckConstraint("grade BETWEEN 1 AND 11", name="ck_class_group_grade"),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    year_id: int = Field(foreign_key="academic_year.id", index=True)
    grade: int
    letter: str = Field(sa_column=Column(String(4), nullable=False))
    class_teacher_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    room: str = Field(default="", sa_column=Column(String(32), nullable=False))


class Subgroup(SQLModel, table=True):
    """A class split for a subject (English group 1, group 2)."""

    __tablename__ = "subgroup"

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="class_group.id", index=True)
    subject_id: int | None = Field(default=None, foreign_key="subject.id")
    name: str = Field(sa_column=Column(String(50), nullable=False))


class SubgroupMember(SQLModel, table=True):
    __tablename__ = "subgroup_member"
    __table_args__ = (UniqueConstraint("subgroup_id", "student_id", name="uq_subgroup_member"),)

    id: int | None = Field(default=None, primary_key=True)
    subgroup_id: int = Field(foreign_key="subgroup.id", index=True)
    student_id: int = Field(foreign_key="student.id", index=True)


class Enrolment(SQLModel, table=True):
    """A stay of a student in a class, with the orders that began and ended it."""

    __tablename__ = "enrolment"
    __table_args__ = (
        _check_in("kind", EnrolmentKind, "ck_enrolment_kind"),
        CheckConstraint(
            "leave_kind IS NULL OR leave_kind IN ('left', 'moved_out', 'graduated')",
            name="ck_enrolment_leave_kind",
        ),
        CheckConstraint("ends_on IS NULL OR starts_on <= ends_on", name="ck_enrolment_dates"),
        Index("ix_enrolment_class_dates", "class_id", "starts_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    class_id: int = Field(foreign_key="class_group.id")
    kind: str = Field(default="start", sa_column=Column(String(16), nullable=False))
    starts_on: dt.date
    order_number: str = Field(default="", sa_column=Column(String(32), nullable=False))
    ends_on: dt.date | None = None  # last day in the class
    leave_kind: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    leave_order_number: str = Field(default="", sa_column=Column(String(32), nullable=False))


# --------------------------------------------------------------------------- teaching


class Subject(SQLModel, table=True):
    __tablename__ = "subject"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_subject_name"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    name: str = Field(sa_column=Column(String(100), nullable=False))
    short_name: str = Field(default="", sa_column=Column(String(32), nullable=False))
    marked: bool = Field(default=True)  # False: taught without marks [004 §3.8]
    allows_two_marks: bool = Field(default=False)  # Russian, literature … [004 §5.5]
    sort_order: int = Field(default=0)


class CurriculumHours(SQLModel, table=True):
    """Weekly hours of a subject in a grade (учебный план)."""

    __tablename__ = "curriculum_hours"
    __table_args__ = (
        UniqueConstraint("year_id", "grade", "subject_id", name="uq_curriculum_hours"),
        CheckConstraint("hours_per_week > 0", name="ck_curriculum_hours_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year_id: int = Field(foreign_key="academic_year.id", index=True)
    grade: int
    subject_id: int = Field(foreign_key="subject.id")
    hours_per_week: Decimal = Field(sa_column=Column(Numeric(4, 1), nullable=False))
    split_into_subgroups: bool = Field(default=False)


class TeachingAssignment(SQLModel, table=True):
    """Teacher × class (or subgroup) × subject × year: one journal page per period."""

    __tablename__ = "teaching_assignment"
    __table_args__ = (
        _check_in("ktp_status", KtpStatus, "ck_teaching_assignment_ktp_status"),
        UniqueConstraint(
            "year_id", "class_id", "subgroup_id", "subject_id", name="uq_teaching_assignment"
        ),
        Index("ix_teaching_assignment_teacher", "teacher_id", "year_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year_id: int = Field(foreign_key="academic_year.id", index=True)
    teacher_id: int = Field(foreign_key="staff.id")
    class_id: int = Field(foreign_key="class_group.id", index=True)
    subgroup_id: int | None = Field(default=None, foreign_key="subgroup.id")
    subject_id: int = Field(foreign_key="subject.id", index=True)
    hours_per_week: Decimal = Field(sa_column=Column(Numeric(4, 1), nullable=False))
    # The КТП's review [002 §7.4–7.5] (KtpStatus): draft → submitted → approved (or returned with a note).
    # The journal's topic pick-list offers only an approved plan.
    ktp_status: str = Field(default="draft", sa_column=Column(String(16), nullable=False))
    ktp_reviewed_by: int | None = Field(default=None, foreign_key="app_user.id")
    ktp_reviewed_at: dt.datetime | None = None
    ktp_review_note: str = Field(default="", sa_column=Column(String(500), nullable=False))


class ThematicPlanItem(SQLModel, table=True):
    """One line of the КТП (calendar-thematic plan)."""

    __tablename__ = "thematic_plan_item"
    __table_args__ = (
        UniqueConstraint("assignment_id", "number", name="uq_thematic_plan_item"),
        CheckConstraint("hours > 0", name="ck_thematic_plan_hours"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="teaching_assignment.id", index=True)
    number: int
    topic: str = Field(sa_column=Column(String(500), nullable=False))
    hours: int = Field(default=1)
    work_type_id: int | None = Field(default=None, foreign_key="work_type.id")
    planned_on: dt.date | None = None


class TimetableSlot(SQLModel, table=True):
    """A weekly lesson of an assignment: weekday (1 = Monday), lesson number, room."""

    __tablename__ = "timetable_slot"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 6", name="ck_timetable_weekday"),
        CheckConstraint("number BETWEEN 0 AND 10", name="ck_timetable_number"),
        Index("ix_timetable_slot_when", "weekday", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="teaching_assignment.id", index=True)
    weekday: int
    number: int
    room: str = Field(default="", sa_column=Column(String(32), nullable=False))
    valid_from: dt.date
    valid_to: dt.date | None = None


class Lesson(SQLModel, table=True):
    """A lesson held (or planned) on a date: one column of a journal page."""

    __tablename__ = "lesson"
    __table_args__ = (
        UniqueConstraint("assignment_id", "date", "number", name="uq_lesson"),
        Index("ix_lesson_assignment_date", "assignment_id", "date"),
        Index("ix_lesson_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="teaching_assignment.id")
    date: dt.date
    number: int
    room: str = Field(default="", sa_column=Column(String(32), nullable=False))
    plan_item_id: int | None = Field(default=None, foreign_key="thematic_plan_item.id")
    topic: str = Field(default="", sa_column=Column(String(500), nullable=False))
    homework: str = Field(default="", sa_column=Column(Text, nullable=False))
    homework_links: str = Field(
        default="", sa_column=Column(Text, nullable=False)
    )  # one URL a line
    work_type_id: int | None = Field(default=None, foreign_key="work_type.id")
    substitute_teacher_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    cancelled: bool = Field(default=False)
    # The teacher said there is no homework («не задано»), as opposed to not writing it down.
    homework_none: bool = Field(default=False)
    # The day the homework is due; None: the next lesson of this subject for the same class
    # or subgroup (derived when read). Diaries show homework on that day.
    homework_due_on: dt.date | None = None
    # When attendance was taken: the first absence entered or «все присутствуют» [004 §5.3];
    # None means nobody recorded it yet.
    attendance_taken_at: dt.datetime | None = None
    topic_set_at: dt.datetime | None = None
    homework_set_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


# --------------------------------------------------------------------------- records


class Mark(SQLModel, table=True):
    """A current mark: 1–5, at most two per student and lesson (slots 1 and 2)."""

    __tablename__ = "mark"
    __table_args__ = (
        UniqueConstraint("student_id", "lesson_id", "slot", name="uq_mark_cell_slot"),
        CheckConstraint("value BETWEEN 1 AND 5", name="ck_mark_value"),
        CheckConstraint("slot IN (1, 2)", name="ck_mark_slot"),
        CheckConstraint("weight > 0", name="ck_mark_weight"),
        Index("ix_mark_lesson", "lesson_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    lesson_id: int = Field(foreign_key="lesson.id")
    slot: int = Field(default=1)
    value: int
    work_type_id: int | None = Field(default=None, foreign_key="work_type.id")
    weight: Decimal = Field(
        default=Decimal("1.00"), sa_column=Column(Numeric(4, 2), nullable=False)
    )
    comment: str = Field(default="", sa_column=Column(String(300), nullable=False))
    author_id: int = Field(foreign_key="app_user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class Attendance(SQLModel, table=True):
    """An absence or lateness at a lesson; presence is the absence of a row."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("student_id", "lesson_id", name="uq_attendance_cell"),
        _check_in("status", AttendanceStatus, "ck_attendance_status"),
        Index("ix_attendance_lesson", "lesson_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    lesson_id: int = Field(foreign_key="lesson.id")
    status: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str = Field(default="", sa_column=Column(String(300), nullable=False))
    author_id: int = Field(foreign_key="app_user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class PeriodMark(SQLModel, table=True):
    """A period mark (quarter, half-year, year …): 2–5, or not attested [004 §5.14]."""

    __tablename__ = "period_mark"
    __table_args__ = (
        UniqueConstraint("student_id", "subject_id", "period_id", name="uq_period_mark"),
        CheckConstraint("value IS NULL OR value BETWEEN 2 AND 5", name="ck_period_mark_value"),
        CheckConstraint(
            "(value IS NULL) = not_attested", name="ck_period_mark_value_or_not_attested"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    subject_id: int = Field(foreign_key="subject.id")
    period_id: int = Field(foreign_key="period.id", index=True)
    value: int | None = None
    not_attested: bool = Field(default=False)
    justification: str = Field(default="", sa_column=Column(String(300), nullable=False))
    author_id: int = Field(foreign_key="app_user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)


class YearOutcome(SQLModel, table=True):
    """The summary sheet's decision for a student at the end of a year [004 §5.33–5.36]."""

    __tablename__ = "year_outcome"
    __table_args__ = (
        UniqueConstraint("student_id", "year_id", name="uq_year_outcome"),
        _check_in("decision", YearDecision, "ck_year_outcome_decision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id")
    year_id: int = Field(foreign_key="academic_year.id", index=True)
    decision: str = Field(sa_column=Column(String(32), nullable=False))
    order_number: str = Field(default="", sa_column=Column(String(32), nullable=False))
    decided_on: dt.date
    author_id: int = Field(foreign_key="app_user.id")
    # Academic debt of a conditional promotion: the subjects, in words.
    debt_subjects: str = Field(default="", sa_column=Column(String(300), nullable=False))
    # Approved by the director after the teachers' council [004 §5.33–5.36].
    approved_by: int | None = Field(default=None, foreign_key="app_user.id")
    approved_at: dt.datetime | None = None
    council_protocol: str = Field(default="", sa_column=Column(String(32), nullable=False))
    council_on: dt.date | None = None
    version: int = Field(default=1)


class PeriodSeal(SQLModel, table=True):
    """A term closed for a class by the deputy: its marks and attendance sealed with a hash
    written into the audit chain; later changes need a reason and show as amendments."""

    __tablename__ = "period_seal"
    __table_args__ = (UniqueConstraint("class_id", "period_id", name="uq_period_seal"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="class_group.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    sealed_at: dt.datetime = Field(default_factory=utcnow)
    sealed_by: int = Field(foreign_key="app_user.id")
    digest: str = Field(sa_column=Column(String(64), nullable=False))  # SHA-256, hex
    counts: str = Field(default="", sa_column=Column(String(200), nullable=False))  # JSON


class BackupRun(SQLModel, table=True):
    """One backup taken by the schedule or on demand, and how it ended."""

    __tablename__ = "backup_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="scheduled", sa_column=Column(String(16), nullable=False))
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    ok: bool | None = None  # None while running
    path: str = Field(default="", sa_column=Column(String(500), nullable=False))
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error: str = Field(default="", sa_column=Column(String(1000), nullable=False))
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")


class DiaryRemark(SQLModel, table=True):
    """A teacher's remark or praise written into a student's diary [004 §10.5]."""

    __tablename__ = "diary_remark"
    __table_args__ = (_check_in("kind", RemarkKind, "ck_diary_remark_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="student.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    lesson_id: int | None = Field(default=None, foreign_key="lesson.id")
    subject_id: int | None = Field(default=None, foreign_key="subject.id")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    text: str = Field(sa_column=Column(String(1000), nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class MessageThread(SQLModel, table=True):
    __tablename__ = "message_thread"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    subject: str = Field(sa_column=Column(String(200), nullable=False))
    student_id: int | None = Field(default=None, foreign_key="student.id", index=True)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_message_at: dt.datetime = Field(default_factory=utcnow)


class ThreadParticipant(SQLModel, table=True):
    __tablename__ = "thread_participant"
    __table_args__ = (UniqueConstraint("thread_id", "user_id", name="uq_thread_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="message_thread.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    last_read_at: dt.datetime | None = None


class Message(SQLModel, table=True):
    __tablename__ = "message"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="message_thread.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class Announcement(SQLModel, table=True):
    __tablename__ = "announcement"
    __table_args__ = (
        _check_in("audience", Audience, "ck_announcement_audience"),
        CheckConstraint(
            "(audience = 'class') = (class_id IS NOT NULL)", name="ck_announcement_class"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    audience: str = Field(sa_column=Column(String(16), nullable=False))
    class_id: int | None = Field(default=None, foreign_key="class_group.id")
    title: str = Field(sa_column=Column(String(200), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    starts_on: dt.date
    ends_on: dt.date
    # The day of the event announced (a meeting), if any: the announcement shows until then.
    event_on: dt.date | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)


class WeekAcknowledgement(SQLModel, table=True):
    """«Ознакомлен»: a parent confirms having seen a child's week."""

    __tablename__ = "week_acknowledgement"
    __table_args__ = (
        UniqueConstraint("parent_id", "student_id", "week_start", name="uq_week_acknowledgement"),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int = Field(foreign_key="parent.id")
    student_id: int = Field(foreign_key="student.id", index=True)
    week_start: dt.date
    confirmed_at: dt.datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- security


class AuditLog(SQLModel, table=True):
    """Append-only, hash-chained record of every change [004 §9.1.4]."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(sa_column=Column(String(64), nullable=False))
    entity: str = Field(sa_column=Column(String(64), nullable=False))
    entity_id: int | None = None
    before: str = Field(default="", sa_column=Column(Text, nullable=False))  # JSON
    after: str = Field(default="", sa_column=Column(Text, nullable=False))  # JSON
    reason: str = Field(default="", sa_column=Column(String(500), nullable=False))
    prev_hash: str = Field(default="", sa_column=Column(String(64), nullable=False))
    row_hash: str = Field(default="", sa_column=Column(String(64), nullable=False))


class LoginEvent(SQLModel, table=True):
    __tablename__ = "login_event"
    __table_args__ = (
        _check_in("kind", LoginEventKind, "ck_login_event_kind"),
        Index("ix_login_event_user_at", "user_id", "at"),
        Index("ix_login_event_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    login: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    ip: str = Field(default="", sa_column=Column(String(64), nullable=False))
    user_agent: str = Field(default="", sa_column=Column(String(300), nullable=False))


class UserSession(SQLModel, table=True):
    """A login session; only the SHA-256 of its random token is stored."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    idle_minutes: int = Field(default=30)
    remember: bool = Field(default=False)
    ended_at: dt.datetime | None = None
    user_agent: str = Field(default="", sa_column=Column(String(300), nullable=False))
    ip: str = Field(default="", sa_column=Column(String(64), nullable=False))
    # Set while the row is a login's one-time handoff code, not yet a session (see
    # auth.redeem_handoff): the browser gets its token only as an HttpOnly cookie.
    handoff_until: dt.datetime | None = None


class UserNotice(SQLModel, table=True):
    """What is «новое» for a user and how they want to hear of it (issue 12).

    `seen_before` is the end of the previous visit: what was created after it is new in
    this visit. `last_active_at` is the last time the user opened the diary; a gap of
    more than an hour starts a new visit. E-mails (new items, the weekly digest) go only
    to those who turned them on, and only when a mail server is configured.
    """

    __tablename__ = "user_notice"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    seen_before: dt.datetime | None = None
    last_active_at: dt.datetime | None = None
    email_new: bool = Field(default=False)
    email_digest: bool = Field(default=False)
    notified_until: dt.datetime | None = None
    digest_sent_at: dt.datetime | None = None
