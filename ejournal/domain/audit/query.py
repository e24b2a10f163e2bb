"""Reading the audit trail: filters and keyset pages, newest first (admin, director)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from ejournal.domain.audit import text as audit_text
from ejournal.domain.db import read_only
from ejournal.domain.models import AuditLog
from ejournal.domain.permissions import Actor, Permission, require

MAX_LIMIT = 500


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_login: str
    actor_name: str  # '' for the system (seed, migrations)
    action: str
    entity: str
    entity_id: int | None
    before: str  # JSON, '' when there was nothing before
    after: str  # JSON, '' when the record was removed
    reason: str
    what: str = ""  # the object in words: «Егорова Анна, 5 «А», Математика, урок 12.11.2026 (2-й)»
    before_text: str = ""  # the changed fields before, in Russian
    after_text: str = ""  # … and after


@read_only
def search_audit(
    session: Session,
    *,
    actor: Actor,
    person_id: int | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditRow]:
    """Audit rows matching every given filter, newest first.

    `person_id` is the user who made the change; `since` is inclusive, `until` exclusive.
    Pass the last row's id as `before_id` for the next page (keyset: the same cost on
    page 1 and page 1000).
    """
    require(session, actor, Permission.AUDIT_READ)
    limit = max(1, min(limit, MAX_LIMIT))
    stmt = select(AuditLog)
    if before_id is not None:
        stmt = stmt.where(col(AuditLog.id) < before_id)
    if person_id is not None:
        stmt = stmt.where(AuditLog.actor_id == person_id)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if since is not None:
        stmt = stmt.where(col(AuditLog.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditLog.at) < until)
    rows = session.exec(stmt.order_by(col(AuditLog.id).desc()).limit(limit)).all()
    names = audit_text.user_names(session, {r.actor_id for r in rows if r.actor_id is not None})
    texts = audit_text.describe(session, [(r.entity, r.entity_id, r.before, r.after) for r in rows])
    return [
        AuditRow(
            id=r.id or 0,
            at=r.at,
            actor_id=r.actor_id,
            actor_login=names.get(r.actor_id, ("", ""))[0] if r.actor_id else "",
            actor_name=names.get(r.actor_id, ("", ""))[1] if r.actor_id else "",
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            before=r.before,
            after=r.after,
            reason=r.reason,
            what=text.subject,
            before_text=text.before,
            after_text=text.after,
        )
        for r, text in zip(rows, texts, strict=True)
    ]
