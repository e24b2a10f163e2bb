"""Logging in and out, server-side sessions, own password and sessions, role homes.

Every function here is plain and synchronous: bcrypt is slow on purpose, so the UI runs
`authenticate` and `change_password` in its password pool, each through
`db.run_transaction` like every service. Writes go into the caller's transaction (`db.run_transaction` commits it; a
refused login returns a result, so its record is kept). Only `authenticate`,
`change_password` and `validate_session` commit inside, so that no lock or read snapshot
is held across the slow hashing or turned into a write.

Throttling (see `throttle`): failures slow down the account (a doubling delay of at most
a minute, never a lock) and the client address (after many failures from it). Every
failed attempt costs one bcrypt verify at `settings.bcrypt_rounds`, whatever the account's
state (unknown, one-time password, blocked, waiting), so timing tells nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import update
from sqlmodel import Session, col, select

from ejournal.config import get_settings
from ejournal.domain import audit
from ejournal.domain.audit.chain import AuditAction, AuditEntity
from ejournal.domain.db import deferred
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    LoginEvent,
    LoginEventKind,
    Parent,
    Role,
    RoleGrant,
    Staff,
    Student,
    User,
    UserSession,
    utcnow,
)
from ejournal.domain.people import throttle
from ejournal.domain.people.passwords import (
    hash_password,
    hash_rounds,
    password_problem,
    verify_password,
)
from ejournal.domain.permissions import Actor, Permission, require

BAD_CREDENTIALS = "Неверный логин или пароль."
NO_ROLE = "Учётной записи не назначена ни одна роль. Обратитесь к администратору."

#: last_seen_at is written at most this often (a write on every event would be wasteful).
TOUCH_EVERY = dt.timedelta(minutes=1)

STAFF_ROLES = frozenset(
    {Role.ADMIN, Role.DIRECTOR, Role.DEPUTY, Role.TEACHER, Role.CLASS_TEACHER, Role.SECRETARY}
)
FAMILY_ROLES = frozenset({Role.PARENT, Role.STUDENT})


#: The role a user with several roles starts in (the first one they hold).
ROLE_PRIORITY: tuple[Role, ...] = (
    Role.DIRECTOR,
    Role.DEPUTY,
    Role.ADMIN,
    Role.CLASS_TEACHER,
    Role.TEACHER,
    Role.SECRETARY,
    Role.PARENT,
    Role.STUDENT,
)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str  # Russian; '' on success
    user_id: int | None
    token: str | None  # the raw session token, handed to the browser once
    must_change_password: bool
    retry_after_seconds: int  # 0 when the next attempt may come at once


@dataclass(frozen=True)
class SessionInfo:
    """One of the user's live sessions, for "where am I logged in"."""

    id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    ip: str
    user_agent: str
    remember: bool
    is_current: bool


def default_role(roles: frozenset[Role] | set[Role]) -> Role | None:
    """The role a user starts in: the most senior one they hold."""
    return next((r for r in ROLE_PRIORITY if r in roles), None)


def token_hash(token: str) -> str:
    """What the server stores for a session token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_login(login: str) -> str:
    return login.strip().lower()


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    # A hash nobody's password matches, so an unknown login costs one verify like a known one.
    return hash_password(secrets.token_urlsafe(16), rounds)


def _spend_one_check(password: str, rounds: int) -> None:
    """The work of one password check, for attempts that are refused without one."""
    verify_password(password, _dummy_hash(rounds))


def _password_matches(password: str, password_hash: str, rounds: int) -> bool:
    ok = verify_password(password, password_hash)
    if not ok and hash_rounds(password_hash) < rounds:
        # A cheaper hash (a one-time password) must not answer a wrong guess faster.
        _spend_one_check(password, rounds)
    return ok


def _fail(message: str = BAD_CREDENTIALS, retry_after: int = 0) -> LoginResult:
    return LoginResult(False, message, None, None, False, retry_after)


def _event(
    session: Session,
    kind: LoginEventKind,
    *,
    login: str,
    user_id: int | None,
    ip: str = "",
    user_agent: str = "",
    at: dt.datetime,
) -> LoginEvent:
    event = LoginEvent(
        at=at,
        user_id=user_id,
        login=login[:64],
        kind=kind.value,
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    session.add(event)
    return event


def _roles_of(session: Session, user_id: int) -> frozenset[Role]:
    rows = session.exec(select(RoleGrant.role).where(RoleGrant.user_id == user_id)).all()
    return frozenset(Role(r) for r in rows)


def authenticate(
    session: Session,
    *,
    login: str,
    password: str,
    remember: bool = False,
    ip: str = "",
    user_agent: str = "",
    now: dt.datetime | None = None,
    handoff: bool = False,
) -> LoginResult:
    """Check a login and password; on success open a session and return its raw token.

    With `handoff=True` (the web login) the result's token is a one-time code valid for
    `HANDOFF_SECONDS`: the browser redeems it at the HTTP endpoint that sets the real
    token as an HttpOnly cookie (`redeem_handoff`), so no token travels in page state.

    `ip` is the client's address as `throttle.client_address` gives it ('' = unknown:
    throttled by account only). Reads come first and their transaction is closed; the
    attempt is then recorded (as a failure until it succeeds) and counted against the
    address and the account, and that transaction too is committed before bcrypt runs.
    (On SQLite a read snapshot held across the slow hash could not be turned into a write
    once another connection had committed.)
    """
    settings = get_settings()
    now = now or utcnow()
    login = normalise_login(login)
    user = session.exec(select(User).where(User.login == login)).first()
    state = None
    if user is not None:
        assert user.id is not None
        state = (
            user.id,
            user.password_hash,
            user.is_active,
            user.locked_until,
            user.must_change_password,
        )
    roles = frozenset[Role]() if state is None else _roles_of(session, state[0])
    session.commit()  # end the read snapshot before the writes and the slow part

    # Recorded first, so parallel attempts see each other in the counts below.
    event = _event(
        session,
        LoginEventKind.FAILURE,
        login=login,
        user_id=None if state is None else state[0],
        ip=ip,
        user_agent=user_agent,
        at=now,
    )
    session.flush()
    event_id = event.id
    assert event_id is not None

    def refuse_unchecked(message: str, wait: int) -> LoginResult:
        session.execute(
            update(LoginEvent)
            .where(col(LoginEvent.id) == event_id)
            .values(kind=LoginEventKind.THROTTLED.value)
        )
        session.commit()  # essential: no lock held during the slow hash
        _spend_one_check(password, settings.bcrypt_rounds)
        return _fail(message, wait)

    wait = throttle.address_wait(session, ip=ip[:64], before_event=event_id, now=now)
    if wait:
        return refuse_unchecked(throttle.address_message(wait), wait)
    if state is None:
        session.commit()  # essential: no lock held during the slow hash
        _spend_one_check(password, settings.bcrypt_rounds)
        return _fail()
    user_id, password_hash, is_active, locked_until, must_change = state
    wait, delay = throttle.take_account_attempt(
        session,
        user_id=user_id,
        ip=ip[:64],
        own_event=event_id,
        delayed=locked_until is not None and locked_until > now,
        now=now,
    )
    if wait:
        return refuse_unchecked(throttle.account_message(wait), wait)
    session.commit()  # essential: no lock held during the slow hash

    if not _password_matches(password, password_hash, settings.bcrypt_rounds):
        return _fail(BAD_CREDENTIALS, delay)
    if not is_active:
        return _fail()
    if not roles:
        return _fail(NO_ROLE)

    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if hash_rounds(password_hash) < settings.bcrypt_rounds:
        values["password_hash"] = hash_password(password, settings.bcrypt_rounds)
    session.execute(update(User).where(col(User.id) == user_id).values(**values))
    session.execute(
        update(LoginEvent)
        .where(col(LoginEvent.id) == event_id)
        .values(kind=LoginEventKind.SUCCESS.value)
    )

    token = secrets.token_urlsafe(32)
    if roles & STAFF_ROLES or not remember:
        idle = settings.staff_idle_minutes if roles & STAFF_ROLES else settings.family_idle_minutes
        expires = now + dt.timedelta(hours=settings.staff_absolute_hours)
        remember = False
    else:
        idle = settings.remember_days * 24 * 60
        expires = now + dt.timedelta(days=settings.remember_days)
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            idle_minutes=idle,
            remember=remember,
            ip=ip[:64],
            user_agent=user_agent[:300],
            handoff_until=now + dt.timedelta(seconds=HANDOFF_SECONDS) if handoff else None,
        )
    )
    session.flush()
    session.expire_all()  # the ORM copies were changed behind their back
    return LoginResult(True, "", user_id, token, must_change, 0)


#: How long a login's one-time code may wait for the browser to redeem it.
HANDOFF_SECONDS = 60


@dataclass(frozen=True)
class Redeemed:
    """A session token redeemed from a login's one-time code, for an HttpOnly cookie."""

    token: str
    remember: bool
    max_age_seconds: int | None  # None: a browser-session cookie


def redeem_handoff(
    session: Session, code: str, *, now: dt.datetime | None = None
) -> Redeemed | None:
    """Turn a login's one-time code into the session's real token, once; None when the
    code is unknown, used, ended or older than `HANDOFF_SECONDS`."""
    if not code or len(code) > 200:
        return None
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(
            UserSession.token_hash == token_hash(code),
            col(UserSession.handoff_until).is_not(None),
        )
    ).first()
    if row is None or row.ended_at is not None or row.handoff_until is None:
        return None
    if row.handoff_until < now:
        return None
    token = secrets.token_urlsafe(32)
    done = session.execute(
        update(UserSession)
        .where(
            col(UserSession.id) == row.id,
            col(UserSession.token_hash) == token_hash(code),
            col(UserSession.handoff_until).is_not(None),
        )
        .values(token_hash=token_hash(token), handoff_until=None, last_seen_at=now)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # redeemed by a racing request
        return None
    max_age = int((row.expires_at - now).total_seconds()) if row.remember else None
    return Redeemed(token, row.remember, max_age)


def _live(row: UserSession, now: dt.datetime) -> bool:
    return (
        row.handoff_until is None  # a login's one-time code is not a session yet
        and row.ended_at is None
        and now < row.expires_at
        and now - row.last_seen_at <= dt.timedelta(minutes=row.idle_minutes)
    )


@deferred
def validate_session(
    session: Session,
    token: str,
    *,
    now: dt.datetime | None = None,
    touch: bool = True,
    active_role: Role | None = None,
) -> Actor | None:
    """The actor behind a live session token, or None (unknown, ended, expired, blocked)."""
    if not token:
        return None
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None or not _live(row, now):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    try:
        actor = load_actor(session, row.user_id, active_role=active_role)
    except (NotFound, PermissionDenied):
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        session_id = row.id
        session.commit()  # end the read snapshot: the write below must start the transaction
        session.execute(
            update(UserSession).where(col(UserSession.id) == session_id).values(last_seen_at=now)
        )
        session.expire_all()
    return actor


def load_actor(session: Session, user_id: int, *, active_role: Role | None = None) -> Actor:
    """Who `user_id` is to the school: roles, person records, classes they lead.

    `active_role` must be one of the user's roles; it picks the home page only, since
    permissions come from all the roles the user holds.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Учётная запись не найдена.")
    grants = session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id)).all()
    roles = frozenset(Role(g.role) for g in grants)
    staff = session.exec(select(Staff).where(Staff.user_id == user_id)).first()
    parent = session.exec(select(Parent).where(Parent.user_id == user_id)).first()
    student = session.exec(select(Student).where(Student.user_id == user_id)).first()
    schools = [g.school_id for g in grants] + [
        p.school_id for p in (staff, parent, student) if p is not None
    ]
    if not roles or not schools:
        raise PermissionDenied(NO_ROLE)
    if active_role is not None and Role(active_role) not in roles:
        raise PermissionDenied("У вас нет этой роли.")
    return Actor(
        user_id=user_id,
        school_id=schools[0],
        roles=roles,
        staff_id=None if staff is None else staff.id,
        parent_id=None if parent is None else parent.id,
        student_id=None if student is None else student.id,
        class_teacher_of=frozenset(
            g.class_id for g in grants if g.role == Role.CLASS_TEACHER and g.class_id is not None
        ),
        active_role=Role(active_role) if active_role is not None else default_role(roles),
        must_change_password=user.must_change_password,
    )


def logout(session: Session, token: str, *, now: dt.datetime | None = None) -> None:
    """End the session of `token` on the server (an unknown token is a no-op)."""
    if not token:
        return
    now = now or utcnow()
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.ended_at is not None:
        return
    row.ended_at = now
    session.add(row)
    user = session.get(User, row.user_id)
    _event(
        session,
        LoginEventKind.LOGOUT,
        login="" if user is None else user.login,
        user_id=row.user_id,
        at=now,
    )


def list_sessions(
    session: Session, *, actor: Actor, current_token: str | None, now: dt.datetime | None = None
) -> list[SessionInfo]:
    """The actor's own live sessions, most recently used first."""
    require(session, actor, Permission.OWN_ACCOUNT)
    now = now or utcnow()
    current = token_hash(current_token) if current_token else ""
    rows = session.exec(
        select(UserSession)
        .where(UserSession.user_id == actor.user_id, col(UserSession.ended_at).is_(None))
        .order_by(col(UserSession.last_seen_at).desc())
    ).all()
    return [
        SessionInfo(
            id=r.id or 0,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            expires_at=r.expires_at,
            ip=r.ip,
            user_agent=r.user_agent,
            remember=r.remember,
            is_current=r.token_hash == current,
        )
        for r in rows
        if _live(r, now)
    ]


def end_session(
    session: Session, *, actor: Actor, session_id: int, now: dt.datetime | None = None
) -> None:
    """End one of the actor's own sessions (another user's → PermissionDenied)."""
    require(session, actor, Permission.OWN_ACCOUNT)
    row = session.get(UserSession, session_id)
    if row is None:
        raise NotFound("Сеанс не найден.")
    if row.user_id != actor.user_id:
        raise PermissionDenied()
    if row.ended_at is not None:
        return
    now = now or utcnow()
    row.ended_at = now
    session.add(row)
    user = session.get(User, actor.user_id)
    _event(
        session,
        LoginEventKind.LOGOUT,
        login="" if user is None else user.login,
        user_id=actor.user_id,
        at=now,
    )


def end_all_sessions(
    session: Session, user_id: int, *, now: dt.datetime, except_token: str | None = None
) -> int:
    """End every live session of `user_id` (but the one of `except_token`); no commit."""
    stmt = (
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    if except_token:
        stmt = stmt.where(col(UserSession.token_hash) != token_hash(except_token))
    result = session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


def change_password(
    session: Session,
    *,
    actor: Actor,
    old_password: str,
    new_password: str,
    current_token: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Replace the actor's password; every other session of theirs ends."""
    require(session, actor, Permission.OWN_ACCOUNT)
    settings = get_settings()
    now = now or utcnow()
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Учётная запись не найдена.")
    login, old_hash, must_change = user.login, user.password_hash, user.must_change_password
    session.commit()  # no read snapshot held across the slow hashing (see authenticate)
    if not verify_password(old_password, old_hash):
        raise ValidationError("Текущий пароль указан неверно.")
    problem = password_problem(new_password, login=login)
    if problem:
        raise ValidationError(problem)
    if verify_password(new_password, old_hash):
        raise ValidationError("Новый пароль должен отличаться от прежнего.")
    new_hash = hash_password(new_password, settings.bcrypt_rounds)
    session.execute(
        update(User)
        .where(col(User.id) == actor.user_id)
        .values(
            password_hash=new_hash,
            must_change_password=False,
            password_changed_at=now,
            failed_logins=0,
            locked_until=None,
        )
    )
    ended = end_all_sessions(session, actor.user_id, now=now, except_token=current_token)
    audit.record(
        session,
        actor_id=actor.user_id,
        action=AuditAction.PASSWORD_CHANGE,
        entity=AuditEntity.USER,
        entity_id=actor.user_id,
        before={"must_change_password": must_change},
        after={"must_change_password": False, "other_sessions_ended": ended},
        at=now,
    )
    _event(session, LoginEventKind.PASSWORD_CHANGE, login=login, user_id=actor.user_id, at=now)
    session.expire_all()
