"""The audit trail: hash chain, tamper detection, concurrent writers, the viewer's query."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from ejournal.domain import audit, migrate
from ejournal.domain.audit.query import search_audit
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import AuditLog, Role
from tests.conftest import BACKENDS
from tests.domain.account_factories import actor_of, make_school, make_staff

pytestmark = pytest.mark.db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _write(session: Session, n: int, *, actor_id: int | None = None, start: int = 0) -> list[int]:
    ids = []
    for i in range(start, start + n):
        row = audit.record(
            session,
            actor_id=actor_id,
            action="update" if i % 2 else "create",
            entity="mark" if i % 3 else "lesson",
            entity_id=i,
            before={"value": i},
            after={"value": i + 1, "comment": "исправлено"},
            reason="опечатка" if i % 5 == 0 else "",
            at=T0 + dt.timedelta(minutes=i),
        )
        ids.append(row.id)
    session.flush()
    return ids


def _verify(session: Session):
    session.expire_all()
    return audit.verify_chain(session)


# --------------------------------------------------------------------------- the chain


def test_untouched_chain_verifies(session):
    """Rows written through record() verify from the first to the last."""
    ids = _write(session, 6)
    count, problem = _verify(session)
    assert problem is None and count >= len(ids)


def test_each_row_chains_to_the_previous(session):
    """A row's prev_hash is the previous row's hash."""
    ids = _write(session, 3)
    rows = [session.get(AuditLog, i) for i in ids]
    assert rows[1].prev_hash == rows[0].row_hash and rows[2].prev_hash == rows[1].row_hash


def test_edited_row_is_found(session):
    """Changing a stored value directly in the database breaks the chain at that row."""
    ids = _write(session, 5)
    session.execute(
        text("UPDATE audit_log SET after = :a WHERE id = :id"), {"a": "{}", "id": ids[2]}
    )
    _, problem = _verify(session)
    assert problem is not None and problem.row_id == ids[2]
    assert "изменено" in problem.problem


def test_edited_time_is_found(session):
    """Back-dating a row is an edit too."""
    ids = _write(session, 3)
    session.execute(
        text("UPDATE audit_log SET at = :at WHERE id = :id"),
        {"at": dt.datetime(2020, 1, 1), "id": ids[1]},
    )
    _, problem = _verify(session)
    assert problem is not None and problem.row_id == ids[1]


def test_deleted_row_is_found(session):
    """Deleting a row breaks the chain at the row after it."""
    ids = _write(session, 5)
    session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[2]})
    _, problem = _verify(session)
    assert problem is not None and problem.row_id == ids[3]
    assert "удалена" in problem.problem


def test_swapped_rows_are_found(session):
    """Swapping two rows' places breaks the chain at the first of them."""
    ids = _write(session, 5)
    a, b = ids[1], ids[3]
    for sql, params in (
        ("UPDATE audit_log SET id = :tmp WHERE id = :a", {"tmp": -a, "a": a}),
        ("UPDATE audit_log SET id = :a WHERE id = :b", {"a": a, "b": b}),
        ("UPDATE audit_log SET id = :b WHERE id = :tmp", {"b": b, "tmp": -a}),
    ):
        session.execute(text(sql), params)
    _, problem = _verify(session)
    assert problem is not None and problem.row_id == a


def test_rewritten_hash_is_found(session):
    """Recomputing one row's own hash after an edit still breaks the next row's link."""
    ids = _write(session, 4)
    row = session.get(AuditLog, ids[1])
    row.after = '{"value":99}'
    row.row_hash = audit.row_digest(row, row.prev_hash)
    session.add(row)
    session.flush()
    _, problem = _verify(session)
    assert problem is not None and problem.row_id == ids[2]


def test_failed_change_leaves_no_audit_row(session):
    """An audit row written in a transaction that rolls back disappears with it."""
    before = session.exec(select(func.count()).select_from(AuditLog)).one()
    nested = session.begin_nested()
    _write(session, 2)
    nested.rollback()
    assert session.exec(select(func.count()).select_from(AuditLog)).one() == before


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_concurrent_writers_keep_the_chain(empty_db):
    """Two threads appending at once never fork the chain (no lost link)."""
    migrate.upgrade(empty_db.engine)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(40):
                with Session(empty_db.engine) as s:
                    audit.record(s, actor_id=None, action="t", entity="e", entity_id=k * 100 + i)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(empty_db.engine) as s:
        assert audit.verify_chain(s) == (80, None)


# --------------------------------------------------------------------------- the viewer


@pytest.fixture()
def staff(session):
    school = make_school(session)
    _, admin = make_staff(session, school, [Role.ADMIN], last_name="Админова")
    _, director = make_staff(session, school, [Role.DIRECTOR])
    _, teacher = make_staff(session, school, [Role.TEACHER], last_name="Учителева")
    return {
        "admin": actor_of(session, admin),
        "director": actor_of(session, director),
        "teacher": actor_of(session, teacher),
    }


def test_admin_and_director_read_the_audit(session, staff):
    """Both may open the audit log; a teacher and a deputy may not."""
    _write(session, 2)
    assert search_audit(session, actor=staff["admin"])
    assert search_audit(session, actor=staff["director"])
    with pytest.raises(PermissionDenied):
        search_audit(session, actor=staff["teacher"])


def test_audit_is_newest_first_with_keyset_pages(session, staff):
    """Pages follow each other without overlap or gaps, newest first."""
    ids = _write(session, 7)
    actor = staff["admin"]
    first = search_audit(session, actor=actor, limit=3, entity="mark", action=None)
    mark_ids = [i for i in reversed(ids) if session.get(AuditLog, i).entity == "mark"]
    seen = [r.id for r in first]
    while True:
        page = search_audit(session, actor=actor, limit=3, entity="mark", before_id=seen[-1])
        if not page:
            break
        seen += [r.id for r in page]
    assert seen == mark_ids


def test_audit_filters_by_person_action_and_time(session, staff):
    """Filters combine: author, action and a time window."""
    teacher = staff["teacher"]
    _write(session, 4)
    mine = _write(session, 4, actor_id=teacher.user_id, start=10)
    rows = search_audit(
        session,
        actor=staff["director"],
        person_id=teacher.user_id,
        action="update",
        since=T0 + dt.timedelta(minutes=11),
        until=T0 + dt.timedelta(minutes=13),
    )
    assert [r.id for r in rows] == [mine[1]]
    assert rows[0].actor_name.startswith("Учителева") and rows[0].actor_login


def test_audit_row_carries_before_after_and_reason(session, staff):
    """The viewer gets the stored values and the reason as written."""
    [row_id] = _write(session, 1)
    [row] = search_audit(session, actor=staff["admin"], before_id=row_id + 1, limit=1)
    assert row.reason == "опечатка" and '"value":0' in row.before and "исправлено" in row.after
