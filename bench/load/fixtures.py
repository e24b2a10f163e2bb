"""The load test's data: the demo school, its parents with remembered sessions, login accounts,
and teachers with a journal page to type marks into.

Parents keep a "remember this device" session, as a browser does after a login with the box
ticked: a ``user_session`` row with ``remember`` set, written exactly as
``auth.authenticate(remember=True)`` writes it, and the raw token that the browser keeps in
its ``ejournal_remember`` cookie. Creating them directly skips 1,000 bcrypt hashes that the
load test does not measure; logins are measured on their own (``login_accounts``).

Teachers are staff: a staff login never gets a remembered session, so each gets the session
``auth.authenticate`` writes for staff (the browser-session cookie ``ejournal_session``, the
staff idle timeout), opened just before they start typing (``open_staff_sessions``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from ejournal.config import get_settings
from ejournal.domain import journal, migrate
from ejournal.domain.db import session_scope
from ejournal.domain.models import (
    Parent,
    ParentLink,
    Role,
    RoleGrant,
    Student,
    User,
    UserSession,
    utcnow,
)
from ejournal.domain.people import auth, users
from ejournal.domain.people.passwords import hash_password
from ejournal.domain.permissions import Actor

LOAD_USER_AGENT = "ejournal-load"
#: Extra guardians added when the demo school has fewer parents than wanted.
EXTRA_RELATION = "бабушка"


@dataclass(frozen=True)
class Family:
    """A parent who opens the diary: their account, the cookie token, their first child."""

    user_id: int
    token: str
    student_id: int


@dataclass(frozen=True)
class TeacherPage:
    """A teacher with a journal page open on a lesson that takes marks, and the cells they
    will type into (distinct, writable without a reason, today's lesson first)."""

    user_id: int
    login: str
    assignment_id: int
    period_id: int
    lesson_id: int
    lesson_date: dt.date
    cells: tuple[tuple[int, int], ...]  # (student_id, lesson_id)

    @property
    def path(self) -> str:
        return f"/journal/?a={self.assignment_id}&p={self.period_id}"


@dataclass(frozen=True)
class SavedCell:
    """A mark the server reported saved: the cell, its text and its new version."""

    user_id: int
    student_id: int
    lesson_id: int
    text: str
    version: int


@dataclass(frozen=True)
class StoredCheck:
    """What the database holds for marks the server reported saved."""

    checked: int
    lost: list[str]  # one line per mark not stored as reported


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
            select(func.count())
            .select_from(Parent)
            .join(User, col(User.id) == col(Parent.user_id))
            .where(col(User.is_active).is_(True))
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
        # Children of families that refused consent get no new diary account [003 §5.2].
        rows = session.exec(
            select(Student.id, Student.last_name)
            .join(User, col(User.id) == col(Student.user_id))
            .join(ParentLink, col(ParentLink.student_id) == col(Student.id), isouter=True)
            .where(col(User.is_active).is_(True))
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
            .join(User, col(User.id) == col(Parent.user_id))
            .where(col(User.is_active).is_(True))
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
            .where(col(User.is_active).is_(True))
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


#: How many days back to look for a lesson that takes marks when today has none (a weekend).
LESSON_LOOKBACK_DAYS = 7


def teacher_pages(engine: Engine, count: int, cells_each: int) -> list[TeacherPage]:
    """Up to `count` teachers, each with their own page (distinct assignments) on a lesson of
    today (or the latest school day of the past week) that takes marks, and up to
    `cells_each` cells to type into. The teachers are marked as having replaced their
    one-time password."""
    today = dt.date.today()
    found: list[TeacherPage] = []
    with session_scope(engine) as session:
        user_rows = session.exec(
            select(User.id, User.login)
            .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
            .where(col(RoleGrant.role) == Role.TEACHER.value, col(User.is_active))
            .distinct()
            .order_by(col(User.id))
        ).all()
        for user_id, login in user_rows:
            if len(found) == count:
                break
            assert user_id is not None
            # The one-time password counts as replaced (set below, as for the parents).
            actor = dataclasses.replace(
                auth.load_actor(session, user_id), must_change_password=False
            )
            page = _page_with_marks(session, actor, today, {t.assignment_id for t in found})
            if page is None:
                continue
            grid, lesson = page
            cells = _writable_cells(grid, lesson, cells_each)
            if not cells:
                continue
            found.append(
                TeacherPage(
                    user_id,
                    login,
                    grid.assignment_id,
                    grid.period.id,
                    lesson.id,
                    lesson.date,
                    tuple(cells),
                )
            )
        session.execute(
            update(User)
            .where(col(User.id).in_([t.user_id for t in found]))
            .values(must_change_password=False)
        )
    return found


def _page_with_marks(
    session: Session, actor: Actor, today: dt.date, taken: set[int]
) -> tuple[journal.JournalPage, journal.LessonColumn] | None:
    """The actor's first page (not in `taken`) with a lesson on the latest day of the last
    week that takes marks without a reason, and that lesson."""
    for back in range(LESSON_LOOKBACK_DAYS):
        day = today - dt.timedelta(days=back)
        for item in journal.list_teacher_lessons(session, actor=actor, on=day):
            if (
                not item.lesson_id
                or not item.period_id
                or item.cancelled
                or item.assignment_id in taken
            ):
                continue
            grid = journal.load_page(
                session, actor=actor, assignment_id=item.assignment_id, period_id=item.period_id
            )
            lesson = next((c for c in grid.lessons if c.id == item.lesson_id), None)
            if grid.marks_allowed and grid.can_write and lesson is not None and _open(lesson):
                return grid, lesson
    return None


def _open(column: journal.LessonColumn) -> bool:
    """A column a teacher types into without a dialog: editable, no reason, not cancelled."""
    return column.editable and not column.needs_reason and not column.cancelled


def _writable_cells(
    grid: journal.JournalPage, lesson: journal.LessonColumn, limit: int
) -> list[tuple[int, int]]:
    """Up to `limit` cells of the page a mark can be typed into: the lesson's column first,
    then the page's other open columns up to that lesson's day, latest first. Cells with an
    absence are left out (a mark there is a different edit)."""
    others = sorted(
        (c for c in grid.lessons if c.id != lesson.id and _open(c) and c.date <= lesson.date),
        key=lambda c: (c.date, c.number),
        reverse=True,
    )
    cells: list[tuple[int, int]] = []
    for column in (lesson, *others):
        for student in grid.students:
            if len(cells) == limit:
                return cells
            cell = grid.cell(student.id, column.id)
            if cell.attendance is not None or not grid.cell_editability(student.id, column.id)[0]:
                continue
            cells.append((student.id, column.id))
    return cells


def open_staff_sessions(engine: Engine, teachers: list[TeacherPage]) -> list[str]:
    """A fresh staff session for each teacher, as ``auth.authenticate`` writes it for staff
    (never remembered); returns the raw tokens (the ``ejournal_session`` cookie)."""
    settings = get_settings()
    now = utcnow()
    tokens = []
    with session_scope(engine, write=True) as session:
        for teacher in teachers:
            token = secrets.token_urlsafe(32)
            session.add(
                UserSession(
                    user_id=teacher.user_id,
                    token_hash=auth.token_hash(token),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + dt.timedelta(hours=settings.staff_absolute_hours),
                    idle_minutes=settings.staff_idle_minutes,
                    remember=False,
                    ip="127.0.0.1",
                    user_agent=LOAD_USER_AGENT,
                )
            )
            tokens.append(token)
    return tokens


def check_stored(
    engine: Engine, teachers: list[TeacherPage], saved: list[SavedCell]
) -> StoredCheck:
    """Compare each mark the server reported saved with what the page now loads."""
    by_user = {t.user_id: t for t in teachers}
    lost: list[str] = []
    with session_scope(engine) as session:
        pages: dict[int, journal.JournalPage] = {}
        for mark in saved:
            teacher = by_user[mark.user_id]
            grid = pages.get(teacher.user_id)
            if grid is None:
                actor = dataclasses.replace(
                    auth.load_actor(session, teacher.user_id), must_change_password=False
                )
                grid = journal.load_page(
                    session,
                    actor=actor,
                    assignment_id=teacher.assignment_id,
                    period_id=teacher.period_id,
                )
                pages[teacher.user_id] = grid
            cell = grid.cell(mark.student_id, mark.lesson_id)
            if (cell.text, cell.version) != (mark.text, mark.version):
                lost.append(
                    f"{teacher.login}: ученик {mark.student_id}, урок {mark.lesson_id}: "
                    f"сохранено «{mark.text}» (версия {mark.version}), в базе «{cell.text}» "
                    f"(версия {cell.version})"
                )
    return StoredCheck(len(saved), lost)
