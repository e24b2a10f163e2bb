"""Small factories for account, permission and audit tests (no seed generator needed)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from decimal import Decimal

from sqlmodel import Session

from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Lesson,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    School,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    User,
)
from ejournal.domain.people.auth import load_actor
from ejournal.domain.people.passwords import hash_password
from ejournal.domain.permissions import Actor

PASSWORD = "верный-пароль-42"
_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_school(session: Session, name: str = "МБОУ «Средняя школа № 1»") -> School:
    school = School(name=name, short_name=name[:20])
    session.add(school)
    session.flush()
    return school


def make_year(session: Session, school: School) -> AcademicYear:
    year = AcademicYear(
        school_id=school.id,
        name=f"2026/{_n()}",
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 5, 31),
        is_current=True,
    )
    session.add(year)
    session.flush()
    return year


def make_class(session: Session, school: School, grade: int = 5, letter: str = "") -> ClassGroup:
    year = make_year(session, school)
    group = ClassGroup(school_id=school.id, year_id=year.id, grade=grade, letter=letter or "А")
    session.add(group)
    session.flush()
    return group


def make_user(
    session: Session,
    school: School,
    roles: Iterable[Role] = (),
    *,
    login: str | None = None,
    password: str = PASSWORD,
    class_id: int | None = None,
    must_change_password: bool = False,
    rounds: int = 4,
) -> User:
    user = User(
        login=login or f"user{_n()}",
        password_hash=hash_password(password, rounds),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    for role in roles:
        session.add(
            RoleGrant(
                user_id=user.id,
                school_id=school.id,
                role=role,
                class_id=class_id if role == Role.CLASS_TEACHER else None,
            )
        )
    session.flush()
    return user


def make_staff(
    session: Session,
    school: School,
    roles: Iterable[Role] = (Role.TEACHER,),
    *,
    class_id: int | None = None,
    last_name: str = "Петрова",
    first_name: str = "Мария",
    middle_name: str = "Ивановна",
    **user_kwargs: object,
) -> tuple[Staff, User]:
    user = make_user(session, school, roles, class_id=class_id, **user_kwargs)  # type: ignore[arg-type]
    staff = Staff(
        school_id=school.id,
        user_id=user.id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
    )
    session.add(staff)
    session.flush()
    if class_id is not None:
        group = session.get(ClassGroup, class_id)
        assert group is not None
        group.class_teacher_id = staff.id
        session.add(group)
        session.flush()
    return staff, user


def make_student(
    session: Session,
    school: School,
    group: ClassGroup | None,
    *,
    account: bool = True,
    last_name: str = "Сидоров",
    first_name: str = "Пётр",
    middle_name: str = "Олегович",
) -> Student:
    user = make_user(session, school, [Role.STUDENT]) if account else None
    student = Student(
        school_id=school.id,
        user_id=None if user is None else user.id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        gender="m",
        birth_date=dt.date(2015, 3, 1),
        class_id=None if group is None else group.id,
    )
    session.add(student)
    session.flush()
    return student


def make_parent(
    session: Session,
    school: School,
    children: Iterable[Student] = (),
    *,
    account: bool = True,
    last_name: str = "Сидорова",
    first_name: str = "Елена",
    middle_name: str = "Викторовна",
) -> Parent:
    user = make_user(session, school, [Role.PARENT]) if account else None
    parent = Parent(
        school_id=school.id,
        user_id=None if user is None else user.id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
    )
    session.add(parent)
    session.flush()
    for child in children:
        session.add(ParentLink(parent_id=parent.id, student_id=child.id, relation="мать"))
    session.flush()
    return parent


def make_assignment(
    session: Session, teacher: Staff, group: ClassGroup, subject_name: str = ""
) -> TeachingAssignment:
    subject = Subject(school_id=group.school_id, name=subject_name or f"Предмет {_n()}")
    session.add(subject)
    session.flush()
    assignment = TeachingAssignment(
        year_id=group.year_id,
        teacher_id=teacher.id,
        class_id=group.id,
        subject_id=subject.id,
        hours_per_week=Decimal("2.0"),
    )
    session.add(assignment)
    session.flush()
    return assignment


def make_lesson(
    session: Session, assignment: TeachingAssignment, *, substitute: Staff | None = None
) -> Lesson:
    lesson = Lesson(
        assignment_id=assignment.id,
        date=dt.date(2026, 9, 1) + dt.timedelta(days=_n() % 200),
        number=_n() % 8 + 1,
        substitute_teacher_id=None if substitute is None else substitute.id,
    )
    session.add(lesson)
    session.flush()
    return lesson


def actor_of(session: Session, user: User, **kwargs: object) -> Actor:
    assert user.id is not None
    return load_actor(session, user.id, **kwargs)  # type: ignore[arg-type]
