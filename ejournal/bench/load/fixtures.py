"""The load test's data: the demo school, its parents with remembered sessions, login accounts.

Parents keep a "remember this device" session, as a browser does after a login with the box
ticked: a ``user_session`` row with ``remember`` set, written exactly as
``auth.authenticate(remember=True)`` writes it, and the raw token that the browser keeps in
its ``ejournal_remember`` cookie. Creating them directly skips 1,000 bcrypt hashes that the
load test does not measure; logins are measured on their own (``login_accounts``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from ejournal.config import get_settings
from ejournal.domain import auth, migrate, users
from ejournal.domain.db import session_scope
from ejournal.domain.models import Parent, ParentLink, Student, User, UserSession, utcnow
from ejournal.domain.passwords import hash_password

LOAD_USER_AGENT = "ejournal-load"
#: Extra guardians added when the demo school has fewer parents than wanted.
EXTRA_RELATION = "бабушка"


@dataclass(frozen=True)
class Family:
    """A parent who opens the diary: their account, the cookie token, their first child."""

    user_id: int
    token: str
    student_id: int


def seed_demo(engine: Engine, size: str = "demo") -> None:
    """Migrate and seed the demo school (`size`) when the database holds no school yet."""
    from ejournal.domain.seed import run_seed

    migrate.upgrade(engine)
    with Session(engine) as session:
        if session.exec(select(func.count()).select_from(Parent)).one():
            return
    run_seed(engine, size=size, credentials_path=None)


def ensure_parents(engine: Engine, count: int) -> int:
    """Give the school at least `count` parent accounts (grandmothers of the least-watched
    children, created by the admin through ``users.create_parent``); returns how many exist."""
    with session_scope(engine) as session:
        have = session.exec(
            select(func.count()).select_from(Parent).where(col(Parent.user_id).is_not(None))
        ).one()
        missing = count - have
        if missing <= 0:
            return int(have)
        admin_id = session.exec(select(User.id).where(User.login == "admin")).one()
        assert admin_id is not None
        # The admin has replaced the one-time password (the lock refuses everything else).
        session.execute(
            update(User).where(col(User.id) == admin_id).values(must_change_password=False)
        )
        admin = auth.load_actor(session, admin_id)
        links = func.count(col(ParentLink.id))
        rows = session.exec(
            select(Student.id, Student.last_name)
            .join(ParentLink, col(ParentLink.student_id) == col(Student.id), isouter=True)
            .group_by(col(Student.id), col(Student.last_name))
            .order_by(links, col(Student.id))
            .limit(missing)
        ).all()
    for student_id, last_name in itertools.islice(itertools.cycle(rows), missing):
        with session_scope(engine) as session:
            admin = auth.load_actor(session, admin.user_id)
            users.create_parent(
                session,
                actor=admin,
                last_name=last_name,
                first_name="Галина",
                middle_name="Петровна",
                student_ids=[student_id] if student_id is not None else [],
                relation=EXTRA_RELATION,
            )
    return int(have) + missing


def open_remembered_sessions(engine: Engine, count: int) -> list[Family]:
    """A fresh remembered session for each of the first `count` parents (with a child).

    The parents are marked as having replaced their one-time password, as a parent who
    ticked "remember me" long ago has.
    """
    settings = get_settings()
    now = utcnow()
    with session_scope(engine) as session:
        first_child = func.min(col(ParentLink.student_id))
        rows = session.exec(
            select(Parent.user_id, first_child)
            .join(ParentLink, col(ParentLink.parent_id) == col(Parent.id))
            .where(col(Parent.user_id).is_not(None))
            .group_by(col(Parent.user_id))
            .order_by(col(Parent.user_id))
            .limit(count)
        ).all()
        families: list[Family] = []
        for user_id, student_id in rows:
            assert user_id is not None
            token = secrets.token_urlsafe(32)
            session.add(
                UserSession(
                    user_id=user_id,
                    token_hash=auth.token_hash(token),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + dt.timedelta(days=settings.remember_days),
                    idle_minutes=settings.remember_days * 24 * 60,
                    remember=True,
                    ip="127.0.0.1",
                    user_agent=LOAD_USER_AGENT,
                )
            )
            families.append(Family(user_id, token, int(student_id)))
        session.execute(
            update(User)
            .where(col(User.id).in_([f.user_id for f in families]))
            .values(must_change_password=False, password_changed_at=now)
        )
    return families


def login_accounts(engine: Engine, count: int, password: str, rounds: int) -> list[str]:
    """`count` parent logins whose password is `password`, hashed at `rounds` (the cost a
    real account has), with no failures on record; returns the logins."""
    hashed = hash_password(password, rounds)
    with session_scope(engine) as session:
        rows = session.exec(
            select(User.id, User.login)
            .join(Parent, col(Parent.user_id) == col(User.id))
            .order_by(col(User.id).desc())
            .limit(count)
        ).all()
        session.execute(
            update(User)
            .where(col(User.id).in_([r[0] for r in rows]))
            .values(
                password_hash=hashed,
                must_change_password=False,
                failed_logins=0,
                locked_until=None,
            )
        )
    return [r[1] for r in rows]


def end_load_sessions(engine: Engine) -> int:
    """End every session the load test opened (its user agent); returns how many."""
    with session_scope(engine) as session:
        result = session.execute(
            update(UserSession)
            .where(
                col(UserSession.user_agent) == LOAD_USER_AGENT,
                col(UserSession.ended_at).is_(None),
            )
            .values(ended_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
