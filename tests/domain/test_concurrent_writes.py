"""A school saves at the same moment: many journal writes through the service boundary at once.

Each test builds the tiny school in its own database (SQLite file or PostgreSQL), then
releases several writer threads from a barrier so their transactions really overlap, the
way teachers' saves do when the app serves them. Writers go through
`db.run_transaction`, the one boundary every front end uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from ejournal.domain import audit, db, migrate
from ejournal.domain.errors import ConflictError
from ejournal.domain.journal import set_cell
from ejournal.domain.journal.context import load_cells
from ejournal.domain.journal.write import MSG_CONFLICT
from ejournal.domain.models import AuditLog
from tests import conftest
from tests.concurrency import together as _together
from tests.conftest import BACKENDS
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

DAY = D(2026, 10, 19)
WRITERS = 8


@pytest.fixture(params=BACKENDS)
def school_db(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[conftest.TestDatabase, TinySchool, dict[str, list[int]]]]:
    """The tiny school committed to a fresh database that the app's services use."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        lessons = {
            "russian": [add_lesson(session, tiny.russian_5a, DAY, n).id or 0 for n in (1, 2, 3, 4)],
            "maths": [add_lesson(session, tiny.maths_5a, DAY, n).id or 0 for n in (5, 6, 7, 8)],
        }
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield database, tiny, lessons
    conftest.dispose_database(database)


def _stored_text(database: conftest.TestDatabase, student_id: int, lesson_id: int) -> str:
    with Session(database.engine) as session:
        cells = load_cells(session, lesson_ids=[lesson_id], student_ids=[student_id])
        cell = cells.get((student_id, lesson_id))
        return cell.text if cell else ""


def test_eight_writers_on_different_cells_all_save(school_db):
    """Eight teachers' saves that land together are all stored, none lost, chain intact."""
    database, tiny, lessons = school_db
    students = [s.id or 0 for s in tiny.students[:4]]  # the newcomer is not enrolled yet

    def writer(k: int) -> Callable[[], list[str]]:
        subject = "russian" if k % 2 == 0 else "maths"
        lesson_id = lessons[subject][k // 2]

        def job() -> list[str]:
            saved = []
            for i, sid in enumerate(students):
                mark = str(2 + (k + i) % 4)
                db.run_transaction(
                    set_cell,
                    actor=tiny.actors[subject],
                    lesson_id=lesson_id,
                    student_id=sid,
                    text=mark,
                    expected_version=0,
                    now=NOW,
                )
                saved.append(mark)
            return saved

        return job

    for _ in range(3):  # three rounds: a race that is lost only sometimes still shows
        results = _together([writer(k) for k in range(WRITERS)])
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == [], errors
        for k in range(WRITERS):
            subject = "russian" if k % 2 == 0 else "maths"
            lesson_id = lessons[subject][k // 2]
            for i, sid in enumerate(students):
                assert _stored_text(database, sid, lesson_id) == str(2 + (k + i) % 4)
        # Clear for the next round (also concurrently).
        clears = []
        for k in range(WRITERS):
            subject = "russian" if k % 2 == 0 else "maths"
            for sid in students:
                clears.append((subject, lessons[subject][k // 2], sid))

        def clear(subject: str, lesson_id: int, sid: int) -> Callable[[], None]:
            def job() -> None:
                with Session(database.engine) as session:
                    version = load_cells(session, lesson_ids=[lesson_id], student_ids=[sid])[
                        (sid, lesson_id)
                    ].version
                db.run_transaction(
                    set_cell,
                    actor=tiny.actors[subject],
                    lesson_id=lesson_id,
                    student_id=sid,
                    text="",
                    expected_version=version,
                    now=NOW,
                )

            return job

        results = _together([clear(*c) for c in clears[:WRITERS]])
        assert [r for r in results if isinstance(r, BaseException)] == []
        for c in clears[WRITERS:]:
            clear(*c)()

    with Session(database.engine) as session:
        count, broken = audit.verify_chain(session)
        assert broken is None
        assert count == len(session.exec(select(AuditLog.id)).all())


def test_two_writers_on_one_cell_one_wins_the_other_hears_of_it(school_db):
    """Two teachers typing into one empty cell at once: one mark is stored, the other
    teacher gets the conflict message naming the stored mark (never a lock error)."""
    database, tiny, lessons = school_db
    actor = tiny.actors["russian"]
    for round_no, student in enumerate(tiny.students[:4]):
        sid = student.id or 0
        lesson_id = lessons["russian"][round_no]

        def typing(mark: str, sid: int = sid, lesson_id: int = lesson_id) -> Callable[[], str]:
            def job() -> str:
                db.run_transaction(
                    set_cell,
                    actor=actor,
                    lesson_id=lesson_id,
                    student_id=sid,
                    text=mark,
                    expected_version=0,
                    now=NOW,
                )
                return mark

            return job

        results = _together([typing("4"), typing("5")])
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ConflictError), repr(lost[0])
        assert lost[0].message == MSG_CONFLICT.format(text=won[0])
        assert _stored_text(database, sid, lesson_id) == won[0]


def test_a_read_only_service_cannot_write(school_db):
    """A service declared read-only that tries to write fails and leaves no trace."""
    database, tiny, lessons = school_db

    @db.read_only
    def sneaky(session: Session) -> None:
        set_cell(
            session,
            actor=tiny.actors["russian"],
            lesson_id=lessons["russian"][0],
            student_id=tiny.students[0].id or 0,
            text="5",
            expected_version=0,
            now=NOW,
        )

    with pytest.raises(Exception) as caught:
        db.run_transaction(sneaky)
    assert not isinstance(caught.value, ConflictError)
    assert _stored_text(database, tiny.students[0].id or 0, lessons["russian"][0]) == ""


def test_a_lost_lock_race_is_tried_again(school_db, monkeypatch):
    """A write that loses a lock race is retried whole and then stored once."""
    database, tiny, lessons = school_db
    calls = []

    def flaky(session: Session, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return set_cell(session, **kwargs)

    monkeypatch.setattr(db, "_backoff", lambda attempt: 0)
    result = db.run_transaction(
        flaky,
        actor=tiny.actors["russian"],
        lesson_id=lessons["russian"][0],
        student_id=tiny.students[0].id or 0,
        text="5",
        expected_version=0,
        now=NOW,
    )
    assert len(calls) == 2
    assert result.cell.text == "5"
    with Session(database.engine) as session:
        assert audit.verify_chain(session)[1] is None
        assert len(session.exec(select(AuditLog.id)).all()) == 1


def test_a_call_that_committed_part_of_its_work_is_not_tried_again(school_db, monkeypatch):
    """Retrying after a commit could write twice: the error goes to the caller instead."""
    database, tiny, lessons = school_db
    calls = []

    def commits_then_fails(session: Session, **kwargs: Any) -> Any:
        calls.append(1)
        set_cell(session, **kwargs)
        session.commit()  # part of the work is in the database now, as authenticate does
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(db, "_backoff", lambda attempt: 0)
    with pytest.raises(OperationalError):
        db.run_transaction(
            commits_then_fails,
            actor=tiny.actors["russian"],
            lesson_id=lessons["russian"][0],
            student_id=tiny.students[0].id or 0,
            text="5",
            expected_version=0,
            now=NOW,
        )
    assert len(calls) == 1
    with Session(database.engine) as session:
        assert len(session.exec(select(AuditLog.id)).all()) == 1
