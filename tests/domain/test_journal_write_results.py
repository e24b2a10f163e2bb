"""What a cell write returns is what it stored, and a paste's audit rows chain in one go.

set_cell and paste_block work out the saved cells from the change itself instead of
reading them back; these tests hold that shortcut to the stored truth.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlmodel import Session, col, select

from ejournal.domain import audit, migrate
from ejournal.domain.journal import load_page, paste_block, set_cell
from ejournal.domain.journal.context import load_cells
from ejournal.domain.journal.data import CellState
from ejournal.domain.models import Attendance, AuditLog, Lesson, Student
from tests.conftest import BACKENDS
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

RECENT = D(2026, 10, 19)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _stored(session: Session, student: Student, lesson: Lesson) -> CellState:
    session.expire_all()
    key = (student.id or 0, lesson.id or 0)
    return load_cells(session, lesson_ids=[key[1]], student_ids=[key[0]]).get(key) or CellState(
        *key
    )


def _set(
    session: Session, tiny: TinySchool, lesson: Lesson, student: Student, text: str
) -> CellState:
    current = _stored(session, student, lesson)
    return set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=student.id or 0,
        text=text,
        expected_version=current.version,
        now=NOW,
    ).cell


@pytest.mark.parametrize(
    "texts",
    [
        ["5"],
        ["5", "4"],
        ["5", ""],
        ["н"],
        ["н", "3"],
        ["3", "н"],
        ["н", ""],
        ["54", "4"],
        ["54", "45", "5"],
        ["", "54"],
    ],
    ids=lambda texts: "→".join(t or "пусто" for t in texts),
)
def test_returned_cell_is_the_stored_cell(
    session: Session, tiny: TinySchool, texts: list[str]
) -> None:
    """After each write the returned cell equals the cell read back from the database."""
    lesson = add_lesson(session, tiny.russian_5a, RECENT, 2, work_type=tiny.dictation)
    student = tiny.students[0]
    for text in texts:
        returned = _set(session, tiny, lesson, student, text)
        assert returned == _stored(session, student, lesson), text


def test_a_mark_over_a_lateness_returns_the_kept_lateness(
    session: Session, tiny: TinySchool
) -> None:
    """A mark typed into a cell marked late keeps the lateness row, as stored."""
    lesson = add_lesson(session, tiny.russian_5a, RECENT, 2)
    student = tiny.students[1]
    session.add(
        Attendance(
            student_id=student.id or 0,
            lesson_id=lesson.id or 0,
            status="late",
            reason="автобус",
            author_id=tiny.actors["russian"].user_id or 0,
        )
    )
    session.commit()
    returned = _set(session, tiny, lesson, student, "4")
    assert returned.attendance is not None and returned.attendance.status == "late"
    assert returned == _stored(session, student, lesson)


def test_figures_after_a_write_match_the_page(session: Session, tiny: TinySchool) -> None:
    """Marks count, absences, average and suggested mark returned by set_cell match the page."""
    student = tiny.students[0]
    lessons = [add_lesson(session, tiny.russian_5a, D(2026, 10, d), 2) for d in (14, 16, 19)]
    _set(session, tiny, lessons[0], student, "5")
    _set(session, tiny, lessons[1], student, "н")
    result = set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lessons[2].id or 0,
        student_id=student.id or 0,
        text="3",
        expected_version=0,
        now=NOW,
    )
    page = load_page(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        now=NOW,
    )
    row = next(r for r in page.students if r.id == student.id)
    assert (result.marks_count, result.absences, result.average, result.suggested) == (
        row.marks_count,
        row.absences,
        row.average,
        row.suggested,
    )


def test_pasted_cells_returned_are_the_stored_cells(session: Session, tiny: TinySchool) -> None:
    """A paste over filled, absent and empty cells returns exactly what is stored."""
    a = add_lesson(session, tiny.russian_5a, RECENT, 2)
    b = add_lesson(session, tiny.russian_5a, D(2026, 10, 20), 1)
    students = tiny.students[:3]
    _set(session, tiny, a, students[0], "4")
    _set(session, tiny, b, students[1], "н")
    versions = {
        (s.id or 0, lesson.id or 0): _stored(session, s, lesson).version
        for s in students
        for lesson in (a, b)
    }
    result = paste_block(
        session,
        actor=tiny.actors["russian"],
        lesson_ids=[a.id or 0, b.id or 0],
        student_ids=[s.id or 0 for s in students],
        rows=[["5", ""], ["н", "3"], ["", "2"]],
        expected_versions=versions,
        now=NOW,
    )
    assert result.saved
    stored = [_stored(session, s, lesson) for s in students for lesson in (a, b)]
    assert list(result.cells) == stored


def test_a_paste_writes_its_audit_rows_in_block_order_and_the_chain_holds(
    session: Session, tiny: TinySchool
) -> None:
    """One audit row per changed cell, row by row, each cell's version its own row's id."""
    lesson = add_lesson(session, tiny.russian_5a, RECENT, 2)
    students = tiny.students[:4]
    result = paste_block(
        session,
        actor=tiny.actors["russian"],
        lesson_ids=[lesson.id or 0],
        student_ids=[s.id or 0 for s in students],
        rows=[["5"], ["4"], ["н"], ["3"]],
        now=NOW,
    )
    rows = session.exec(
        select(AuditLog).where(AuditLog.action == "journal.cell.set").order_by(col(AuditLog.id))
    ).all()
    assert [c.version for c in result.cells] == [r.id for r in rows[-4:]]
    assert [c.text for c in result.cells] == ["5", "4", "н", "3"]
    assert audit.verify_chain(session)[1] is None


# --------------------------------------------------------------------------- record_many


def _entries(n: int, start: int = 0) -> list[audit.Entry]:
    return [
        audit.Entry(
            action="journal.cell.set",
            entity="cell",
            entity_id=i,
            before={"text": ""},
            after={"text": str(i % 5 + 1)},
            reason="опечатка" if i % 3 == 0 else "",
        )
        for i in range(start, start + n)
    ]


def test_record_many_chains_like_record(session: Session) -> None:
    """Rows written one by one and in batches form one chain that verifies."""
    audit.record(session, actor_id=None, action="a", entity="e", entity_id=1, at=T0)
    ids = audit.record_many(session, actor_id=None, entries=_entries(5), at=T0)
    audit.record(session, actor_id=None, action="b", entity="e", entity_id=2, at=T0)
    rows = [session.get(AuditLog, i) for i in ids]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert all(r and r.prev_hash == p.row_hash for r, p in zip(rows[1:], rows, strict=False))
    session.expire_all()
    assert audit.verify_chain(session)[1] is None


def test_record_many_keeps_each_entrys_content(session: Session) -> None:
    """Each row holds its own entity, before, after and reason, in the entries' order."""
    ids = audit.record_many(session, actor_id=None, entries=_entries(3, start=7), at=T0)
    rows = [session.get(AuditLog, i) for i in ids]
    assert [(r.entity_id, r.after, r.reason) for r in rows if r] == [
        (7, '{"text":"3"}', ""),
        (8, '{"text":"4"}', ""),
        (9, '{"text":"5"}', "опечатка"),
    ]


def test_record_many_of_nothing_writes_nothing(session: Session) -> None:
    """No entries: no row and no id."""
    before = session.exec(select(col(AuditLog.id))).all()
    assert audit.record_many(session, actor_id=None, entries=[]) == []
    assert session.exec(select(col(AuditLog.id))).all() == before


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_concurrent_batches_keep_the_chain(empty_db) -> None:  # type: ignore[no-untyped-def]
    """Two threads appending batches and single rows at once never fork the chain."""
    migrate.upgrade(empty_db.engine)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                with Session(empty_db.engine) as s:
                    audit.record_many(s, actor_id=None, entries=_entries(3, start=k * 100 + i))
                    audit.record(s, actor_id=None, action="t", entity="e", entity_id=i)
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
        assert audit.verify_chain(s) == (120, None)
