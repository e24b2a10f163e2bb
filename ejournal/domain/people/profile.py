"""Small reads about the logged-in user and the school, for the page header.

They need no permission: a user may always see their own name, and the school's name is
on the start page for everyone.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.models import AcademicYear, ClassGroup, Parent, School, Staff, Student, User
from ejournal.domain.people.naming import person_short
from ejournal.domain.permissions import Actor, Permission, scope_clause

DEFAULT_SCHOOL_NAME = "Электронный журнал"


@read_only
def display_name(session: Session, user_id: int) -> str:
    """The user's name as the header shows it ("Иванова А. П."), or the login."""
    people: list[Staff | Parent | Student | None] = [
        session.exec(select(Staff).where(Staff.user_id == user_id)).first(),
        session.exec(select(Parent).where(Parent.user_id == user_id)).first(),
        session.exec(select(Student).where(Student.user_id == user_id)).first(),
    ]
    for person in people:
        if person is not None:
            return person_short(person)
    user = session.get(User, user_id)
    return user.login if user is not None else ""


@read_only
def school_name(session: Session, school_id: int | None = None) -> str:
    """The school's full name (the first school when none is given, as on the login page)."""
    query = select(School).order_by(col(School.id))
    if school_id is not None:
        query = query.where(School.id == school_id)
    school = session.exec(query).first()
    return school.name if school is not None else DEFAULT_SCHOOL_NAME


@read_only
def class_choices(
    session: Session, *, actor: Actor, permission: Permission
) -> list[tuple[int, str]]:
    """The current year's classes the actor works with for `permission` (all of them, or
    those they teach or lead) as (id, "5 «А»"), for pickers."""
    rows = session.exec(
        select(ClassGroup)
        .join(AcademicYear, col(AcademicYear.id) == ClassGroup.year_id)
        .where(
            col(AcademicYear.is_current).is_(True),
            scope_clause(actor, permission, ClassGroup),
        )
        .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
    ).all()
    return [(g.id, f"{g.grade} «{g.letter}»") for g in rows if g.id is not None]


@read_only
def user_id_by_login(session: Session, login: str) -> int | None:
    """The account with exactly this login (case-insensitive), for filters by person."""
    user = session.exec(select(User).where(func.lower(User.login) == login.strip().lower())).first()
    return None if user is None else user.id


@read_only
def header(session: Session, *, user_id: int, school_id: int) -> tuple[str, str]:
    """What the page header shows: the user's short name and the school's name."""
    return display_name(session, user_id), school_name(session, school_id)
