"""Reading the audit trail: filters and keyset pages, newest first (admin, director)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session, col, select

from ejournal.domain.audit import text as audit_text
from ejournal.domain.db import read_only
from ejournal.domain.errors import ValidationError
from ejournal.domain.models import AuditLog, Parent, School, Staff, Student, User
from ejournal.domain.permissions import Actor, Permission, require
from ejournal.domain.school.clock import local_day_bounds

#: The time zone used when the actor's school is unknown (as the diary does).
DEFAULT_TIMEZONE = "Europe/Moscow"
#: A name matching more accounts than this is too vague to filter by.
MAX_PEOPLE = 50

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
    local_at: dt.datetime | None = None  # `at` in the school's time zone (what pages show)


def _zone(session: Session, actor: Actor) -> ZoneInfo:
    school = session.get(School, actor.school_id)
    try:
        return ZoneInfo(school.timezone if school is not None else DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def find_people(session: Session, text: str) -> list[int]:
    """Accounts whose login is `text` or whose ФИО holds every word of it (any case, any
    order: «иванова мария», «Мария Ивановна»), for the audit's «Кто» filter."""
    words = [w.casefold() for w in text.split() if w]
    if not words:
        return []
    found: set[int] = set()
    login = session.exec(select(User.id).where(func.lower(User.login) == text.strip().lower()))
    found.update(i for i in login.all() if i is not None)
    # Names are compared in Python: SQLite's lower() leaves Cyrillic letters alone.
    for model in (Staff, Parent, Student):
        rows = session.exec(
            select(
                model.user_id,
                model.last_name,
                model.first_name,
                model.middle_name,
            ).where(col(model.user_id).is_not(None))
        ).all()
        for user_id, *parts in rows:
            name = " ".join(p for p in parts if p).casefold()
            if all(w in name for w in words):
                if user_id is not None:
                    found.add(user_id)
    return sorted(found)


@read_only
def search_audit(
    session: Session,
    *,
    actor: Actor,
    person_id: int | None = None,
    person: str | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    since_day: dt.date | None = None,
    until_day: dt.date | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditRow]:
    """Audit rows matching every given filter, newest first.

    `person_id` is the user who made the change; `person` finds them by login or by name
    (ValidationError when nobody or too many match); `since` is inclusive, `until`
    exclusive; `since_day`/`until_day` are whole days of the school's time zone, inclusive.
    Each row's `local_at` is its moment in the school's time zone.
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
    if person is not None and person.strip():
        people = find_people(session, person)
        if not people:
            raise ValidationError("Нет пользователя с таким логином или ФИО.")
        if len(people) > MAX_PEOPLE:
            raise ValidationError("Под это подходит слишком много людей: уточните ФИО.")
        stmt = stmt.where(col(AuditLog.actor_id).in_(people))
    zone = _zone(session, actor)
    zoned = _SchoolZone(str(zone.key))
    if since_day is not None:
        stmt = stmt.where(col(AuditLog.at) >= local_day_bounds(zoned, since_day, since_day)[0])
    if until_day is not None:
        stmt = stmt.where(col(AuditLog.at) < local_day_bounds(zoned, until_day, until_day)[1])
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
            local_at=_aware(r.at).astimezone(zone),
        )
        for r, text in zip(rows, texts, strict=True)
    ]


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


class _SchoolZone:
    """The school's zone in the shape `local_day_bounds` reads."""

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
