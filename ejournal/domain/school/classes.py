"""The classes of the school's current year that an actor reaches with a permission — the
one query behind every class picker of the set-up and records pages."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ejournal.domain.models import AcademicYear, ClassGroup
from ejournal.domain.permissions import Actor, Permission, Scope, scope_clause


def current_year_classes(
    session: Session, actor: Actor, permission: Permission, *, only: set[Scope] | None = None
) -> list[ClassGroup]:
    """Classes of the current year within `actor`'s scope of `permission` (`only`: just
    those scopes), in grade and letter order."""
    current = select(AcademicYear.id).where(
        AcademicYear.school_id == actor.school_id, col(AcademicYear.is_current).is_(True)
    )
    return list(
        session.exec(
            select(ClassGroup)
            .where(
                scope_clause(actor, permission, ClassGroup, only=only),
                col(ClassGroup.year_id).in_(current),
            )
            .order_by(col(ClassGroup.grade), col(ClassGroup.letter))
        ).all()
    )
