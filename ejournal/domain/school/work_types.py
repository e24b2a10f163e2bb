"""The school's work types (К.р., Л.р. …) as choices for a lesson column."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import WorkType
from ejournal.domain.permissions import Actor, Permission


@dataclass(frozen=True)
class WorkTypeRef:
    id: int
    name: str
    abbreviation: str
    weight: Decimal
    is_control: bool
    allows_two_marks: bool


@read_only
def list_work_types(session: Session, *, actor: Actor | None) -> list[WorkTypeRef]:
    """Work types of the actor's school in the school's order; needs JOURNAL_READ somewhere."""
    if actor is None:
        raise PermissionDenied("Войдите в систему.")
    if not actor.can(Permission.JOURNAL_READ):
        raise PermissionDenied()
    rows = session.exec(
        select(WorkType)
        .where(WorkType.school_id == actor.school_id)
        .order_by(col(WorkType.sort_order), col(WorkType.name))
    ).all()
    return [
        WorkTypeRef(
            id=w.id or 0,
            name=w.name,
            abbreviation=w.abbreviation,
            weight=Decimal(w.weight),
            is_control=w.is_control,
            allows_two_marks=w.allows_two_marks,
        )
        for w in rows
    ]
