"""The classes whose records (summary sheet, printed journal, period close, year end) the
actor may open: every class of the school's current year for the deputy and the director,
the own class for a class teacher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.models import AcademicYear
from ejournal.domain.people.naming import class_name
from ejournal.domain.permissions import Actor, Permission, Scope, require_some
from ejournal.domain.school.classes import current_year_classes


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
    year = session.exec(
        select(AcademicYear).where(
            AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
        )
    ).first()
    if year is None:
        return []
    # The whole class's journal: a subject teacher reaches only their own pages.
    groups = current_year_classes(
        session, actor, Permission.JOURNAL_READ, only={Scope.ALL, Scope.OWN_CLASS}
    )
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
