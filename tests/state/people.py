"""A tiny school with one account per role, for State and browser tests.

Used until (and besides) the `small` demo seed: it is fast and its logins are known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    School,
    Staff,
    Student,
    User,
)
from ejournal.domain.people.passwords import hash_password

SCHOOL_NAME = "МБОУ «Средняя общеобразовательная школа № 7»"
PASSWORD = "Первый-пароль-7"


@dataclass(frozen=True)
class Account:
    role: Role
    login: str
    password: str
    user_id: int
    home: str


@dataclass(frozen=True)
class TinySchool:
    school_id: int
    class_id: int
    other_class_id: int
    student_id: int
    accounts: dict[Role, Account]


def _user(session: Session, login: str, *, must_change: bool, rounds: int) -> User:
    user = User(
        login=login,
        password_hash=hash_password(PASSWORD, rounds),
        must_change_password=must_change,
    )
    session.add(user)
    session.flush()
    return user


def make_tiny_school(session: Session, *, must_change: bool = False, rounds: int = 4) -> TinySchool:
    """One school, two classes, and one account per role (all with ``PASSWORD``)."""
    school = School(name=SCHOOL_NAME, short_name="СОШ № 7")
    session.add(school)
    session.flush()
    assert school.id is not None
    year = AcademicYear(
        school_id=school.id,
        name="2026/2027",
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 5, 31),
        is_current=True,
    )
    session.add(year)
    session.flush()
    assert year.id is not None
    five_a = ClassGroup(school_id=school.id, year_id=year.id, grade=5, letter="А")
    five_b = ClassGroup(school_id=school.id, year_id=year.id, grade=5, letter="Б")
    session.add_all([five_a, five_b])
    session.flush()
    assert five_a.id is not None and five_b.id is not None

    homes = {
        Role.ADMIN: "/admin/users",
        Role.DIRECTOR: "/dashboard",
        Role.DEPUTY: "/dashboard",
        Role.TEACHER: "/teacher",
        Role.CLASS_TEACHER: "/class",
        Role.PARENT: "/diary",
        Role.STUDENT: "/diary",
    }
    staff_names = {
        Role.ADMIN: ("Админова", "Анна", "Петровна"),
        Role.DIRECTOR: ("Директоров", "Дмитрий", "Иванович"),
        Role.DEPUTY: ("Завучева", "Зоя", "Николаевна"),
        Role.TEACHER: ("Учителева", "Ульяна", "Сергеевна"),
        Role.CLASS_TEACHER: ("Классова", "Клавдия", "Андреевна"),
    }
    accounts: dict[Role, Account] = {}
    for role, (last, first, middle) in staff_names.items():
        user = _user(session, f"test.{role.value}", must_change=must_change, rounds=rounds)
        assert user.id is not None
        staff = Staff(
            school_id=school.id,
            user_id=user.id,
            last_name=last,
            first_name=first,
            middle_name=middle,
        )
        session.add(staff)
        session.flush()
        session.add(
            RoleGrant(
                user_id=user.id,
                school_id=school.id,
                role=role.value,
                class_id=five_a.id if role is Role.CLASS_TEACHER else None,
            )
        )
        if role is Role.CLASS_TEACHER:
            five_a.class_teacher_id = staff.id
            session.add(five_a)
        accounts[role] = Account(role, user.login, PASSWORD, user.id, homes[role])

    student_user = _user(session, "test.student", must_change=must_change, rounds=rounds)
    assert student_user.id is not None
    student = Student(
        school_id=school.id,
        user_id=student_user.id,
        last_name="Учеников",
        first_name="Пётр",
        middle_name="Олегович",
        gender="m",
        birth_date=dt.date(2015, 3, 4),
        class_id=five_a.id,
    )
    session.add(student)
    session.add(RoleGrant(user_id=student_user.id, school_id=school.id, role=Role.STUDENT.value))
    accounts[Role.STUDENT] = Account(
        Role.STUDENT, student_user.login, PASSWORD, student_user.id, homes[Role.STUDENT]
    )

    parent_user = _user(session, "test.parent", must_change=must_change, rounds=rounds)
    assert parent_user.id is not None
    parent = Parent(
        school_id=school.id,
        user_id=parent_user.id,
        last_name="Ученикова",
        first_name="Ольга",
        middle_name="Викторовна",
    )
    session.add(parent)
    session.flush()
    assert parent.id is not None and student.id is not None
    session.add(ParentLink(parent_id=parent.id, student_id=student.id, relation="мать"))
    session.add(RoleGrant(user_id=parent_user.id, school_id=school.id, role=Role.PARENT.value))
    accounts[Role.PARENT] = Account(
        Role.PARENT, parent_user.login, PASSWORD, parent_user.id, homes[Role.PARENT]
    )
    session.flush()
    return TinySchool(school.id, five_a.id, five_b.id, student.id, accounts)


def add_staff_account(
    session: Session, school: TinySchool, login: str, role: Role = Role.TEACHER, rounds: int = 4
) -> int:
    """One more staff account (password ``PASSWORD``), e.g. to lock it in a test."""
    user = _user(session, login, must_change=False, rounds=rounds)
    assert user.id is not None
    session.add(Staff(school_id=school.school_id, user_id=user.id, last_name=login, first_name="Т"))
    session.add(RoleGrant(user_id=user.id, school_id=school.school_id, role=role.value))
    session.flush()
    return user.id
