"""What the administrator's pages and ``/account`` send to the browser: the shapes of their rows.

Every row is a TypedDict (Reflex sends it as a JSON object; the components read it by
key), as the journal's rows are (`ejournal.state.journal.wire`). These rows keep the
ids as numbers and the yes/no fields as booleans: the pages compare ids with the ticked
ones (``checked``, a list of ints) and send them back to the handlers as they are.
A moment is shown as text («12.11.2026 14:05»); the raw values stay on the server.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from ejournal.domain import audit
from ejournal.domain.audit.query import AuditRow
from ejournal.domain.people import auth, throttle, users
from ejournal.domain.permissions import ROLE_TITLES


class ChoiceOption(TypedDict):
    """A select's item (a role, a class) or a role chip on the account card."""

    value: str
    label: str


class AdminUserRow(TypedDict):
    """A line of the users page (``rows``) and the opened account card (``selected``)."""

    user_id: int
    login: str
    full_name: str
    kind: str  # "staff", "parent", "student" or "" (an account without a person)
    person_id: int | None
    roles: list[ChoiceOption]
    role_titles: str  # "Учитель, Классный руководитель"
    class_teacher_of: list[int]
    is_active: bool
    is_locked: bool
    must_change_password: bool
    last_login_at: str  # "—" when never
    status: str  # «Активен», «Вход замедлен» or «Заблокирован»


class FailedAccountRow(TypedDict):
    """An account with failed logins since its last success."""

    user_id: int
    login: str
    full_name: str
    failures: int
    delayed_until: str  # "14:05:30", "" when no delay runs
    last_failure_at: str


class FailedAddressRow(TypedDict):
    """An address with many recent failed logins."""

    ip: str
    failures: int
    delayed_until: str
    last_failure_at: str


class AuditLogRow(TypedDict):
    """An audit entry; the raw JSON of its sides stays on the server."""

    id: int
    at: str
    actor_id: int | None
    actor_login: str
    actor_name: str  # "" for the system
    action: str
    action_title: str
    entity: str
    entity_id: int | None
    reason: str
    what: str
    before_text: str
    after_text: str


class SessionRow(TypedDict):
    """One of my open sessions on ``/account``."""

    id: int
    created_at: str
    last_seen_at: str
    expires_at: str
    ip: str
    user_agent: str
    device: str  # «Chrome, Windows»
    remember: bool
    is_current: bool


class NoUser(TypedDict):
    """No account card open: ``{}`` (the page tests for the ``user_id`` key)."""


def moment_text(moment: dt.datetime) -> str:
    """A moment in the server's local time, to the minute."""
    return moment.astimezone().strftime("%d.%m.%Y %H:%M")


def _clock(moment: dt.datetime | None) -> str:
    """A delay's end to the second (delays last seconds), or '' when none runs."""
    return moment.astimezone().strftime("%H:%M:%S") if moment is not None else ""


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone().strftime("%d.%m.%Y %H:%M:%S") if moment is not None else "—"


def user_row(row: users.UserRow) -> AdminUserRow:
    return {
        "user_id": row.user_id,
        "login": row.login,
        "full_name": row.full_name,
        "kind": row.kind,
        "person_id": row.person_id,
        "roles": [{"value": r.value, "label": ROLE_TITLES[r]} for r in row.roles],
        "role_titles": row.role_titles,
        "class_teacher_of": list(row.class_teacher_of),
        "is_active": row.is_active,
        "is_locked": row.is_locked,
        "must_change_password": row.must_change_password,
        "last_login_at": moment_text(row.last_login_at) if row.last_login_at else "—",
        "status": (
            "Заблокирован" if not row.is_active else "Вход замедлен" if row.is_locked else "Активен"
        ),
    }


def failed_account_row(row: throttle.SlowedAccount) -> FailedAccountRow:
    return {
        "user_id": row.user_id,
        "login": row.login,
        "full_name": row.full_name,
        "failures": row.failures,
        "delayed_until": _clock(row.delayed_until),
        "last_failure_at": _when(row.last_failure_at),
    }


def failed_address_row(row: throttle.SlowedAddress) -> FailedAddressRow:
    return {
        "ip": row.ip,
        "failures": row.failures,
        "delayed_until": _clock(row.delayed_until),
        "last_failure_at": _when(row.last_failure_at),
    }


def audit_row(row: AuditRow) -> AuditLogRow:
    return {
        "id": row.id,
        "at": moment_text(row.at),
        "actor_id": row.actor_id,
        "actor_login": row.actor_login,
        "actor_name": row.actor_name,
        "action": row.action,
        "action_title": audit.action_title(row.action),
        "entity": row.entity,
        "entity_id": row.entity_id,
        "reason": row.reason,
        "what": row.what,
        "before_text": row.before_text,
        "after_text": row.after_text,
    }


def session_row(row: auth.SessionInfo, device: str) -> SessionRow:
    return {
        "id": row.id,
        "created_at": moment_text(row.created_at),
        "last_seen_at": moment_text(row.last_seen_at),
        "expires_at": moment_text(row.expires_at),
        "ip": row.ip,
        "user_agent": row.user_agent,
        "device": device,
        "remember": row.remember,
        "is_current": row.is_current,
    }
