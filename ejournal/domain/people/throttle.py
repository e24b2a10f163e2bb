"""Slowing down password guessing: by account and by client address, never a lock.

Two brakes, both counted from what authentication records:

* **Account** (`User.failed_logins`, `User.locked_until` = "no attempt before"): after
  `settings.lock_after_failures` failures in a row every next attempt waits a doubling
  delay (5, 10, 20… s, at most `settings.login_max_delay_seconds`). There is no lock: once
  the delay has passed the right password logs in, so a stranger cannot keep the owner
  out for long. While an account waits, an address that has not failed on it lately is
  still let through (the owner at home while someone guesses from elsewhere), unless
  failures on it already came from `SPREAD_ADDRESSES` addresses (a spread attack).
* **Address** (failure events of that address within `settings.address_window_minutes`):
  after `settings.address_free_failures` failures, whatever the accounts, every next
  attempt from that address waits a doubling delay (1, 2, 4… s, at most
  `settings.address_max_delay_seconds`).

The address is the socket's peer; `X-Forwarded-For` counts only when that peer is one of
`settings.trusted_proxies` (see `client_address`). An attempt with no address (a CLI, a
test) is throttled by account only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, or_, select

from ejournal.config import Settings, get_settings
from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.audit.text import user_names
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound, ValidationError
from ejournal.domain.models import (
    LoginEvent,
    LoginEventKind,
    Parent,
    RoleGrant,
    Staff,
    Student,
    User,
    utcnow,
)
from ejournal.domain.permissions import Actor, Permission, require

#: The account's first delay; each next one doubles.
DELAY_BASE_SECONDS = 5
#: The address's first delay; each next one doubles.
ADDRESS_DELAY_BASE_SECONDS = 1
#: Failures on one account from this many addresses make its delay bind every address.
SPREAD_ADDRESSES = 3

_FAILURE = LoginEventKind.FAILURE.value


def account_message(seconds: int) -> str:
    return f"Слишком много неудачных попыток входа. Повторите через {seconds} с."


def address_message(seconds: int) -> str:
    return f"Слишком много неудачных попыток входа с этого адреса. Подождите {seconds} с."


def _doubling(over: int, base: int, most: int) -> int:
    # min() before the power would overflow nothing, but a huge exponent is wasted work.
    return min(base * 2 ** min(over, 30), most)


def account_delay(failures: int, settings: Settings | None = None) -> int:
    """Seconds an account waits after its `failures`-th failure in a row (0: none)."""
    settings = settings or get_settings()
    over = failures - settings.lock_after_failures
    if over < 0:
        return 0
    return _doubling(over, DELAY_BASE_SECONDS, settings.login_max_delay_seconds)


def address_delay(failures: int, settings: Settings | None = None) -> int:
    """Seconds an address waits after `failures` failures within the window (0: none)."""
    settings = settings or get_settings()
    over = failures - settings.address_free_failures
    if over < 0:
        return 0
    return _doubling(over, ADDRESS_DELAY_BASE_SECONDS, settings.address_max_delay_seconds)


def seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


# --------------------------------------------------------------------------- the address


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Iterable[str]
) -> bool:
    return any(address in ipaddress.ip_network(p, strict=False) for p in proxies)


def client_address(
    peer: str, forwarded_for: str = "", trusted_proxies: Iterable[str] | None = None
) -> str:
    """The client's address: the socket's `peer`, or, when the peer is a trusted proxy,
    the nearest untrusted address of its `X-Forwarded-For` (read from the right, since
    everything left of the proxies' own entries may be forged by the client)."""
    proxies = tuple(get_settings().trusted_proxies if trusted_proxies is None else trusted_proxies)
    peer = peer.strip()
    current = _parse(peer)
    if current is None or not proxies or not _trusted(current, proxies):
        return peer[:64]
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        address = _parse(hop)
        if address is None:
            break  # garbage in the chain: trust nothing beyond it
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)[:64]


def from_trusted_proxy(peer: str, trusted_proxies: Iterable[str] | None = None) -> bool:
    """Whether the socket's `peer` is one of the configured trusted reverse proxies."""
    proxies = tuple(get_settings().trusted_proxies if trusted_proxies is None else trusted_proxies)
    address = _parse(peer)
    return address is not None and bool(proxies) and _trusted(address, proxies)


# --------------------------------------------------------------------------- the checks


def address_wait(session: Session, *, ip: str, before_event: int, now: dt.datetime) -> int:
    """Seconds the address must still wait, judged by the failures recorded before event
    `before_event` (the caller's own, already written, so a burst sees itself)."""
    if not ip:
        return 0
    settings = get_settings()
    since = now - dt.timedelta(minutes=settings.address_window_minutes)
    cleared = session.exec(
        select(func.max(LoginEvent.at)).where(
            LoginEvent.ip == ip, LoginEvent.kind == LoginEventKind.CLEARED.value
        )
    ).one()
    query = select(func.count(col(LoginEvent.id)), func.max(LoginEvent.at)).where(
        LoginEvent.ip == ip,
        LoginEvent.kind == _FAILURE,
        col(LoginEvent.at) >= since,
        col(LoginEvent.id) < before_event,
    )
    if cleared is not None:
        query = query.where(col(LoginEvent.at) > cleared)
    count, last = session.exec(query).one()
    delay = address_delay(count, settings)
    if not delay or last is None:
        return 0
    until = last + dt.timedelta(seconds=delay)
    return seconds_until(until, now) if until > now else 0


def _owner_may_pass(
    session: Session, *, user_id: int, ip: str, own_event: int, now: dt.datetime
) -> bool:
    """May `ip` try this slowed account anyway? Only an address that has not failed on
    it within the window, and only while its failures came from few addresses."""
    if not ip:
        return False
    since = now - dt.timedelta(minutes=get_settings().address_window_minutes)
    failed_from = set(
        session.exec(
            select(LoginEvent.ip)
            .where(
                LoginEvent.user_id == user_id,
                LoginEvent.kind == _FAILURE,
                col(LoginEvent.at) >= since,
                col(LoginEvent.id) != own_event,
            )
            .distinct()
        ).all()
    )
    return ip not in failed_from and len(failed_from) < SPREAD_ADDRESSES


def take_account_attempt(
    session: Session,
    *,
    user_id: int,
    ip: str,
    own_event: int,
    delayed: bool,
    now: dt.datetime,
) -> tuple[int, int]:
    """Count this attempt as a failure in advance (a success clears it) and set the delay
    it would earn; returns (seconds to wait now, 0 when the attempt may go on; the delay
    this attempt sets if it fails). No commit.

    Counting before bcrypt, with an UPDATE that only passes when no delay runs, means a
    burst of parallel guesses gets one check per delay, not one each."""
    settings = get_settings()
    stmt = (
        update(User)
        .where(col(User.id) == user_id)
        .values(failed_logins=col(User.failed_logins) + 1)
    )
    waiting = or_(col(User.locked_until).is_(None), col(User.locked_until) <= now)
    # `delayed` (as last read) only spares the query; the UPDATE's condition decides.
    if not (
        delayed and _owner_may_pass(session, user_id=user_id, ip=ip, own_event=own_event, now=now)
    ):
        stmt = stmt.where(waiting)
    if not getattr(session.execute(stmt), "rowcount", 0):
        until = session.exec(select(User.locked_until).where(User.id == user_id)).one()
        return (seconds_until(until, now) if until is not None else 1), 0
    failures = session.exec(select(User.failed_logins).where(User.id == user_id)).one()
    delay = account_delay(failures, settings)
    if delay:
        session.execute(
            update(User)
            .where(col(User.id) == user_id)
            .values(locked_until=now + dt.timedelta(seconds=delay))
        )
    return 0, delay


# --------------------------------------------------------------------------- the administrator


@dataclass(frozen=True)
class SlowedAccount:
    """An account of the school with failed logins since its last success."""

    user_id: int
    login: str
    full_name: str
    failures: int
    delayed_until: dt.datetime | None  # None: the next attempt may come at once
    last_failure_at: dt.datetime | None


@dataclass(frozen=True)
class SlowedAddress:
    """A client address whose failures within the window reached the free allowance."""

    ip: str
    failures: int
    delayed_until: dt.datetime | None
    last_failure_at: dt.datetime


def _school_user_ids(session: Session, school_id: int, user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    found = set(
        session.exec(
            select(RoleGrant.user_id).where(
                RoleGrant.school_id == school_id, col(RoleGrant.user_id).in_(user_ids)
            )
        ).all()
    )
    for model in (Staff, Parent, Student):
        found |= {
            u
            for u in session.exec(
                select(model.user_id).where(
                    model.school_id == school_id, col(model.user_id).in_(user_ids)
                )
            ).all()
            if u is not None
        }
    return found


@read_only
def slowed_accounts(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[SlowedAccount]:
    """The school's accounts with failed logins since their last success, most first."""
    require(session, actor, Permission.USER_MANAGE)
    now = now or utcnow()
    rows = session.exec(
        select(User.id, User.failed_logins, User.locked_until).where(col(User.failed_logins) > 0)
    ).all()
    state = {uid: (n, until) for uid, n, until in rows if uid is not None}
    ours = _school_user_ids(session, actor.school_id, set(state))
    names = user_names(session, ours)
    last = dict(
        session.exec(
            select(LoginEvent.user_id, func.max(LoginEvent.at))
            .where(col(LoginEvent.user_id).in_(ours), LoginEvent.kind == _FAILURE)
            .group_by(col(LoginEvent.user_id))
        ).all()
    )
    result = []
    for uid in ours:
        failures, until = state[uid]
        login, name = names.get(uid, ("", ""))
        result.append(
            SlowedAccount(
                user_id=uid,
                login=login,
                full_name=name,
                failures=failures,
                delayed_until=until if until is not None and until > now else None,
                last_failure_at=last.get(uid),
            )
        )
    return sorted(result, key=lambda a: (-a.failures, a.full_name))


@read_only
def slowed_addresses(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[SlowedAddress]:
    """Addresses whose failures within the window used up the free allowance."""
    require(session, actor, Permission.USER_MANAGE)
    settings = get_settings()
    now = now or utcnow()
    since = now - dt.timedelta(minutes=settings.address_window_minutes)
    cleared = dict(
        session.exec(
            select(LoginEvent.ip, func.max(LoginEvent.at))
            .where(LoginEvent.kind == LoginEventKind.CLEARED.value, col(LoginEvent.at) >= since)
            .group_by(col(LoginEvent.ip))
        ).all()
    )
    rows = session.exec(
        select(LoginEvent.ip, LoginEvent.at).where(
            LoginEvent.kind == _FAILURE, col(LoginEvent.at) >= since, LoginEvent.ip != ""
        )
    ).all()
    counts: dict[str, tuple[int, dt.datetime]] = {}
    for ip, at in rows:
        if ip in cleared and at <= cleared[ip]:
            continue
        n, latest = counts.get(ip, (0, at))
        counts[ip] = (n + 1, max(latest, at))
    result = []
    for ip, (n, latest) in counts.items():
        if n < settings.address_free_failures:
            continue
        until = latest + dt.timedelta(seconds=address_delay(n, settings))
        result.append(SlowedAddress(ip, n, until if until > now else None, latest))
    return sorted(result, key=lambda a: (-a.failures, a.ip))


def clear_account(
    session: Session, *, actor: Actor, user_id: int, now: dt.datetime | None = None
) -> None:
    """Forget an account's failed logins and its delay (audited)."""
    require(session, actor, Permission.USER_MANAGE)
    now = now or utcnow()
    if user_id not in _school_user_ids(session, actor.school_id, {user_id}):
        raise NotFound("Учётная запись не найдена.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Учётная запись не найдена.")
    before = {
        "failed_logins": user.failed_logins,
        "delayed": user.locked_until is not None and user.locked_until > now,
    }
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    session.add(
        LoginEvent(at=now, user_id=user_id, login=user.login, kind=LoginEventKind.CLEARED.value)
    )
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.LOGIN_FAILURES_CLEAR,
        entity=AuditEntity.USER,
        entity_id=user_id,
        before=before,
        after={"failed_logins": 0, "delayed": False},
        at=now,
    )


def clear_address(
    session: Session, *, actor: Actor, ip: str, now: dt.datetime | None = None
) -> None:
    """Forget an address's failures within the window (audited): e.g. a school's shared
    address after a class mistyped its passwords."""
    require(session, actor, Permission.USER_MANAGE)
    ip = ip.strip()[:64]
    if not ip:
        raise ValidationError("Укажите адрес.")
    now = now or utcnow()
    session.add(LoginEvent(at=now, login="", kind=LoginEventKind.CLEARED.value, ip=ip))
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.LOGIN_FAILURES_CLEAR,
        entity=AuditEntity.LOGIN_ADDRESS,
        entity_id=None,
        before={"ip": ip},
        after={"ip": ip, "failed_logins": 0},
        at=now,
    )
