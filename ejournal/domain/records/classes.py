"""The classes whose records (summary sheet, printed journal, period close, year end) the
actor may open: every class of the school's current year for the deputy and the director,
the own class for a class teacher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.models import AcademicYear, ClassGroup
from ejournal.domain.people.naming import class_name
from ejournal.domain.permissions import Actor, Permission, Scope, require_some


@dataclass(frozen=True)
class ClassChoice:
    id: int
    name: str  # «5 «А»»
    year_name: str
    year_closed: bool


@read_only
def record_classes(session: Session, *, actor: Actor) -> list[ClassChoice]:
    """The classes of the current year the actor reads the whole journal of, in order."""
    actor = require_some(actor, Permission.JOURNAL_READ)
    scopes = actor.scopes(Permission.JOURNAL_READ)
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    if year is None:
        return []
    stmt = select(ClassGroup).where(ClassGroup.year_id == year.id)
    if Scope.ALL not in scopes:
        if Scope.OWN_CLASS not in scopes or not actor.class_teacher_of:
            return []
        stmt = stmt.where(col(ClassGroup.id).in_(sorted(actor.class_teacher_of)))
    groups = session.exec(stmt.order_by(col(ClassGroup.grade), col(ClassGroup.letter))).all()
    return [
        ClassChoice(
            id=g.id,
            name=class_name(g.grade, g.letter),
            year_name=year.name,
            year_closed=year.closed_at is not None,
        )
        for g in groups
        if g.id is not None
    ]
