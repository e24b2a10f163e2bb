"""Small readable factories: a tiny school to test journal rules against.

`make_school(session)` builds one academic year (2026/2027) with quarters, half-years and
the year, an autumn holiday, class 5 «А» and class 1 «А», Russian (two marks allowed),
maths and music (no marks) in 5 «А», Russian in 1 «А», teachers, a class teacher, the
deputy, a parent and a student account, and five students of 5 «А» — one of whom arrives
mid-quarter. `add_lesson`, `add_student` and friends add more where a test needs it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    ClassGroup,
    Enrolment,
    Holiday,
    Lesson,
    Mark,
    Parent,
    ParentLink,
    Period,
    PeriodMark,
    Role,
    School,
    Staff,
    Student,
    Subgroup,
    SubgroupMember,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
    TimetableSlot,
    User,
    WorkType,
)
from ejournal.domain.permissions import Actor

D = dt.date
MSK = ZoneInfo("Europe/Moscow")

#: "Now" for journal tests: Tuesday 20 October 2026, midday in Moscow (first quarter).
NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=MSK)
TODAY = NOW.date()

T = TypeVar("T")
YEAR_START = D(2026, 9, 1)


def _add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def _done(session: Session, row: T) -> T:
    """Factories commit, like real data: a refused service call rolls back to here, not before."""
    session.commit()
    return row


@dataclass
class TinySchool:
    school: School
    year: AcademicYear
    quarters: list[Period]
    half_years: list[Period]
    year_period: Period
    answer: WorkType  # «Ответ на уроке», weight 1
    control: WorkType  # К.р., weight 2, every present student needs a mark
    dictation: WorkType  # Дикт., weight 1.5, two marks allowed
    class5: ClassGroup
    class1: ClassGroup
    russian: Subject
    maths: Subject
    music: Subject  # taught without marks
    russian_5a: TeachingAssignment
    maths_5a: TeachingAssignment
    music_5a: TeachingAssignment
    russian_1a: TeachingAssignment
    students: list[Student]  # of 5 «А», in creation order
    newcomer: Student  # arrived in 5 «А» on 1 October 2026
    first_grader: Student
    actors: dict[str, Actor] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)

    @property
    def q1(self) -> Period:
        return self.quarters[0]


def add_user(session: Session, login: str) -> User:
    return _add(session, User(login=login, password_hash="-", must_change_password=False))


def add_staff(
    session: Session, school: School, login: str, last: str, first: str, middle: str = ""
) -> tuple[Staff, User]:
    user = add_user(session, login)
    staff = _add(
        session,
        Staff(
            school_id=school.id or 0,
            user_id=user.id,
            last_name=last,
            first_name=first,
            middle_name=middle,
        ),
    )
    return staff, user


def staff_actor(
    school: School, user: User, staff: Staff, *roles: Role, class_ids: tuple[int, ...] = ()
) -> Actor:
    return Actor(
        user_id=user.id or 0,
        school_id=school.id or 0,
        roles=frozenset(roles),
        staff_id=staff.id,
        class_teacher_of=frozenset(class_ids),
    )


def add_student(
    session: Session,
    group: ClassGroup,
    last: str,
    first: str,
    *,
    middle: str = "",
    starts_on: dt.date = YEAR_START,
    ends_on: dt.date | None = None,
) -> Student:
    student = _add(
        session,
        Student(
            school_id=group.school_id,
            last_name=last,
            first_name=first,
            middle_name=middle,
            gender="m",
            birth_date=D(2015, 3, 1),
            class_id=group.id,
        ),
    )
    _add(
        session,
        Enrolment(
            student_id=student.id or 0,
            class_id=group.id or 0,
            kind="start" if starts_on == YEAR_START else "arrived",
            starts_on=starts_on,
            ends_on=ends_on,
        ),
    )
    return _done(session, student)


def add_lesson(
    session: Session,
    assignment: TeachingAssignment,
    on: dt.date,
    number: int = 1,
    *,
    work_type: WorkType | None = None,
    cancelled: bool = False,
    topic: str = "",
) -> Lesson:
    return _done(
        session,
        _add(
            session,
            Lesson(
                assignment_id=assignment.id or 0,
                date=on,
                number=number,
                work_type_id=work_type.id if work_type else None,
                cancelled=cancelled,
                topic=topic,
            ),
        ),
    )


def add_subgroup(
    session: Session, group: ClassGroup, subject: Subject, name: str, members: list[Student]
) -> Subgroup:
    subgroup = _add(session, Subgroup(class_id=group.id or 0, subject_id=subject.id, name=name))
    for s in members:
        _add(session, SubgroupMember(subgroup_id=subgroup.id or 0, student_id=s.id or 0))
    return _done(session, subgroup)


def add_plan_items(
    session: Session, assignment: TeachingAssignment, topics: list[str]
) -> list[ThematicPlanItem]:
    items = [
        _add(
            session,
            ThematicPlanItem(assignment_id=assignment.id or 0, number=n, topic=topic),
        )
        for n, topic in enumerate(topics, start=1)
    ]
    return _done(session, items)


def _assignment(
    session: Session,
    year: AcademicYear,
    teacher: Staff,
    group: ClassGroup,
    subject: Subject,
    hours: str,
) -> TeachingAssignment:
    return _add(
        session,
        TeachingAssignment(
            year_id=year.id or 0,
            teacher_id=teacher.id or 0,
            class_id=group.id or 0,
            subject_id=subject.id or 0,
            hours_per_week=Decimal(hours),
        ),
    )


def make_school(session: Session) -> TinySchool:
    """The tiny school described in the module docstring."""
    school = _add(session, School(name="Школа № 1", short_name="Школа № 1", edit_lock_days=7))
    sid = school.id or 0
    year = _add(
        session,
        AcademicYear(
            school_id=sid,
            name="2026/2027",
            starts_on=D(2026, 9, 1),
            ends_on=D(2027, 5, 31),
            is_current=True,
        ),
    )
    yid = year.id or 0
    quarter_dates = [
        (D(2026, 9, 1), D(2026, 10, 24)),
        (D(2026, 11, 5), D(2026, 12, 28)),
        (D(2027, 1, 12), D(2027, 3, 20)),
        (D(2027, 3, 30), D(2027, 5, 31)),
    ]
    quarters = [
        _add(
            session,
            Period(
                year_id=yid,
                kind="quarter",
                number=n,
                name=f"{n} четверть",
                starts_on=a,
                ends_on=b,
                grade_from=1,
                grade_to=9,
            ),
        )
        for n, (a, b) in enumerate(quarter_dates, start=1)
    ]
    half_years = [
        _add(
            session,
            Period(
                year_id=yid,
                kind="half_year",
                number=n,
                name=f"{n} полугодие",
                starts_on=a,
                ends_on=b,
                grade_from=10,
                grade_to=11,
            ),
        )
        for n, (a, b) in enumerate(
            [(D(2026, 9, 1), D(2026, 12, 28)), (D(2027, 1, 12), D(2027, 5, 31))], start=1
        )
    ]
    year_period = _add(
        session,
        Period(
            year_id=yid,
            kind="year",
            number=1,
            name="Год",
            starts_on=D(2026, 9, 1),
            ends_on=D(2027, 5, 31),
        ),
    )
    _add(
        session,
        Holiday(
            year_id=yid, name="Осенние каникулы", starts_on=D(2026, 10, 25), ends_on=D(2026, 11, 4)
        ),
    )
    answer = _add(
        session,
        WorkType(
            school_id=sid,
            code="answer",
            name="Ответ на уроке",
            abbreviation="",
            weight=Decimal("1.00"),
        ),
    )
    control = _add(
        session,
        WorkType(
            school_id=sid,
            code="control",
            name="Контрольная работа",
            abbreviation="К.р.",
            weight=Decimal("2.00"),
            is_control=True,
        ),
    )
    dictation = _add(
        session,
        WorkType(
            school_id=sid,
            code="dictation",
            name="Диктант с грамматическим заданием",
            abbreviation="Дикт.",
            weight=Decimal("1.50"),
            allows_two_marks=True,
        ),
    )
    russian = _add(session, Subject(school_id=sid, name="Русский язык", allows_two_marks=True))
    maths = _add(session, Subject(school_id=sid, name="Математика"))
    music = _add(session, Subject(school_id=sid, name="Музыка", marked=False))

    russian_t, russian_u = add_staff(session, school, "smirnova", "Смирнова", "Анна", "Петровна")
    maths_t, maths_u = add_staff(session, school, "kuznetsov", "Кузнецов", "Игорь", "Олегович")
    class_t, class_u = add_staff(session, school, "volkova", "Волкова", "Ольга", "Ивановна")
    primary_t, primary_u = add_staff(session, school, "lebedeva", "Лебедева", "Мария")
    deputy_s, deputy_u = add_staff(session, school, "orlov", "Орлов", "Пётр")

    class5 = _add(
        session,
        ClassGroup(school_id=sid, year_id=yid, grade=5, letter="А", class_teacher_id=class_t.id),
    )
    class1 = _add(
        session,
        ClassGroup(school_id=sid, year_id=yid, grade=1, letter="А", class_teacher_id=primary_t.id),
    )
    russian_5a = _assignment(session, year, russian_t, class5, russian, "5")
    maths_5a = _assignment(session, year, maths_t, class5, maths, "5")
    music_5a = _assignment(session, year, class_t, class5, music, "1")
    russian_1a = _assignment(session, year, primary_t, class1, russian, "5")
    for weekday, number in [(1, 2), (2, 1), (3, 3), (4, 2), (5, 1)]:
        _add(
            session,
            TimetableSlot(
                assignment_id=russian_5a.id or 0,
                weekday=weekday,
                number=number,
                room="21",
                valid_from=D(2026, 9, 1),
            ),
        )

    students = [
        add_student(session, class5, "Григорьев", "Глеб"),
        add_student(session, class5, "Андреев", "Артём", middle="Сергеевич"),
        add_student(session, class5, "Ёлкина", "Дарья"),
        add_student(session, class5, "Белова", "Вера"),
    ]
    newcomer = add_student(session, class5, "Жуков", "Захар", starts_on=D(2026, 10, 1))
    first_grader = add_student(session, class1, "Иванова", "Ирина")

    parent_u = add_user(session, "parent")
    parent = _add(
        session, Parent(school_id=sid, user_id=parent_u.id, last_name="Андреева", first_name="Анна")
    )
    _add(session, ParentLink(parent_id=parent.id or 0, student_id=students[1].id or 0))
    student_u = add_user(session, "student")
    students[1].user_id = student_u.id
    session.add(students[1])
    session.flush()

    tiny = TinySchool(
        school=school,
        year=year,
        quarters=quarters,
        half_years=half_years,
        year_period=year_period,
        answer=answer,
        control=control,
        dictation=dictation,
        class5=class5,
        class1=class1,
        russian=russian,
        maths=maths,
        music=music,
        russian_5a=russian_5a,
        maths_5a=maths_5a,
        music_5a=music_5a,
        russian_1a=russian_1a,
        students=students,
        newcomer=newcomer,
        first_grader=first_grader,
    )
    tiny.staff = {
        "russian": russian_t,
        "maths": maths_t,
        "class_teacher": class_t,
        "primary": primary_t,
        "deputy": deputy_s,
    }
    tiny.actors = {
        "russian": staff_actor(school, russian_u, russian_t, Role.TEACHER),
        "maths": staff_actor(school, maths_u, maths_t, Role.TEACHER),
        "class_teacher": staff_actor(
            school, class_u, class_t, Role.TEACHER, Role.CLASS_TEACHER, class_ids=(class5.id or 0,)
        ),
        "primary": staff_actor(
            school,
            primary_u,
            primary_t,
            Role.TEACHER,
            Role.CLASS_TEACHER,
            class_ids=(class1.id or 0,),
        ),
        "deputy": staff_actor(school, deputy_u, deputy_s, Role.DEPUTY),
        "parent": Actor(
            user_id=parent_u.id or 0,
            school_id=sid,
            roles=frozenset({Role.PARENT}),
            parent_id=parent.id,
        ),
        "student": Actor(
            user_id=student_u.id or 0,
            school_id=sid,
            roles=frozenset({Role.STUDENT}),
            student_id=students[1].id,
        ),
    }
    return _done(session, tiny)


# --------------------------------------------------------------------------- control helpers


def add_mark(
    session: Session,
    lesson: Lesson,
    student: Student,
    value: int,
    *,
    author: Actor,
    work_type: WorkType | None = None,
    created_at: dt.datetime | None = None,
    slot: int = 1,
) -> Mark:
    """A current mark (entered at `created_at`, default now) in `lesson`."""
    at = created_at or dt.datetime.now(dt.UTC)
    weight = Decimal(work_type.weight) if work_type is not None else Decimal("1.00")
    return _done(
        session,
        _add(
            session,
            Mark(
                student_id=student.id or 0,
                lesson_id=lesson.id or 0,
                slot=slot,
                value=value,
                work_type_id=work_type.id if work_type is not None else None,
                weight=weight,
                author_id=author.user_id,
                created_at=at,
                updated_at=at,
            ),
        ),
    )


def add_absence(
    session: Session, lesson: Lesson, student: Student, *, author: Actor, status: str = "absent"
) -> Attendance:
    """An «н» (absent / excused) or a lateness of `student` at `lesson`."""
    return _done(
        session,
        _add(
            session,
            Attendance(
                student_id=student.id or 0,
                lesson_id=lesson.id or 0,
                status=status,
                author_id=author.user_id,
            ),
        ),
    )


def add_period_mark(
    session: Session,
    student: Student,
    subject: Subject,
    period: Period,
    value: int | None,
    *,
    author: Actor,
    created_at: dt.datetime | None = None,
    justification: str = "",
) -> PeriodMark:
    """A period mark (None: not attested) entered at `created_at`."""
    at = created_at or dt.datetime.now(dt.UTC)
    return _done(
        session,
        _add(
            session,
            PeriodMark(
                student_id=student.id or 0,
                subject_id=subject.id or 0,
                period_id=period.id or 0,
                value=value,
                not_attested=value is None,
                justification=justification,
                author_id=author.user_id,
                created_at=at,
                updated_at=at,
            ),
        ),
    )
