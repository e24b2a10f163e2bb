"""The journal's State handlers, called as a connected browser would, on the seeded small school.

The `small` demo school is seeded once for today's date (the services read the clock);
each test works on its own copy. `teacher` teaches mathematics in 5 «А»; `english` is
another teacher; `classteacher` leads 5 «А»; `deputy` reads every page.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from reflex.istate.data import ReflexURL
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

import ejournal.ejournal  # noqa: F401 - registers every State
from ejournal.domain import db, journal, migrate
from ejournal.domain.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    ClassGroup,
    DiaryRemark,
    Lesson,
    Mark,
    PeriodMark,
    TeachingAssignment,
    TimetableSlot,
    User,
)
from ejournal.domain.models import School as SchoolRow
from ejournal.domain.people import auth
from ejournal.domain.people.passwords import hash_password
from ejournal.domain.permissions import Actor
from ejournal.state.journal import (
    MAX_ROWS,
    ClassHomeState,
    JournalPickerState,
    JournalState,
    TeacherHomeState,
    code_parts,
)
from tests.state.conftest import call, give_cookie
from tests.state.outcomes import redirect_target, toast_text

PASSWORD = "Журнал-пароль-5"
LOGINS = {
    "teacher": "teacher",
    "english": "baranova.ig",
    "classteacher": "classteacher",
    "deputy": "deputy",
}
REFUSED = "Недостаточно прав"


@dataclasses.dataclass
class School:
    engine: Engine
    users: dict[str, int]

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def token(self, who: str) -> str:
        with self.session() as s:
            result = auth.authenticate(s, login=LOGINS[who], password=PASSWORD)
            s.commit()  # the boundary's commit (db.run_transaction in the app)
        assert result.ok and result.token, result.message
        return result.token

    def actor(self, who: str) -> Actor:
        with self.session() as s:
            return auth.load_actor(s, self.users[who])

    def state(self, cls: type[Any], who: str, url: str = "") -> Any:
        import reflex as rx

        root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
        if url:
            root.router = dataclasses.replace(root.router, url=ReflexURL(f"http://test{url}"))
        give_cookie(root, self.token(who))
        return root.get_substate(cls.get_full_name().split("."))


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    from ejournal.domain.seed import run_seed

    path = tmp_path_factory.mktemp("journal-state") / "small.db"
    engine = db.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with contextlib.redirect_stdout(io.StringIO()):
        run_seed(engine, size="small", seed=7, today=dt.date.today(), credentials_path=None)
    users: dict[str, int] = {}
    with Session(engine) as s:
        for who, login in LOGINS.items():
            user = s.exec(select(User).where(User.login == login)).one()
            user.password_hash = hash_password(PASSWORD, 4)
            user.must_change_password = False
            s.add(user)
            users[who] = user.id or 0
        s.commit()
    engine.dispose()
    return path, users


@pytest.fixture()
def school(
    seeded_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[School]:
    path = tmp_path / "school.db"
    shutil.copy(seeded_template[0], path)
    engine = db.make_engine(f"sqlite:///{path}")
    monkeypatch.setattr(db, "get_engine", lambda url=None: engine)
    yield School(engine, seeded_template[1])
    engine.dispose()


# --------------------------------------------------------------------------- helpers


def current_page(school: School, who: str = "teacher", subject: str = "Математика") -> Any:
    """The page of `who`'s subject in 5 «А» for the period that contains today."""
    today = dt.date.today()
    with school.session() as s:
        pages = journal.list_pages(s, actor=school.actor(who))
    return next(
        p
        for p in pages
        if p.subject_name == subject
        and p.class_name == "5 «А»"
        and p.starts_on <= today <= p.ends_on
    )


def open_grid(school: School, who: str = "teacher", page: Any = None) -> Any:
    page = page or current_page(school)
    st = school.state(JournalState, who, f"/journal?a={page.assignment_id}&p={page.period_id}")
    call(JournalState.load, st)
    return st


def cell(st: Any, row: int, column: int) -> tuple[str, int, str, str]:
    return code_parts(getattr(st, f"c{row}")[column])


def find_cell(st: Any, *, empty: bool = True, recent: bool = True) -> tuple[int, int]:
    """(row, column) of a writable cell: empty or not, in a lesson within the edit lock."""
    for j, c in reversed(list(enumerate(st.lessons))):
        if c["editable"] != "1" or (recent and c["reason"]) or (not recent and not c["reason"]):
            continue
        for i in range(st.n_rows):
            text, _, flags, _ = cell(st, i, j)
            if "x" not in flags and (text == "") == empty and text != "н":
                return i, j
    raise AssertionError("no such cell on the page")


def ids(st: Any, row: int, column: int) -> tuple[int, int]:
    return int(st.students[row]["id"]), int(st.lessons[column]["id"])


def payload(st: Any, row: int, column: int, text: str, **extra: Any) -> str:
    sid, lid = ids(st, row, column)
    return json.dumps({"k": f"{sid}:{lid}", "t": text, "v": cell(st, row, column)[1], **extra})


def stored(school: School, sid: int, lid: int) -> str:
    """What the database holds for a cell, as the grid would show it."""
    with school.session() as s:
        marks = s.exec(
            select(Mark)
            .where(Mark.student_id == sid, Mark.lesson_id == lid)
            .order_by(col(Mark.slot))
        ).all()
        att = s.exec(
            select(Attendance).where(Attendance.student_id == sid, Attendance.lesson_id == lid)
        ).first()
    if att is not None and att.status in (
        AttendanceStatus.ABSENT.value,
        AttendanceStatus.EXCUSED.value,
    ):
        return "н"
    return "".join(str(m.value) for m in marks)


def audit_count(school: School) -> int:
    with school.session() as s:
        return s.exec(select(func.count()).select_from(AuditLog)).one()


# --------------------------------------------------------------------------- loading


def test_loading_a_page_fills_one_row_var_per_student(school: School):
    """The page from the URL shows every student with one code per lesson column."""
    st = open_grid(school)
    assert st.load_error == ""
    assert st.title.startswith("Математика, 5 «А»")
    assert st.n_rows == len(st.students) > 0
    assert all(len(getattr(st, f"c{i}")) == len(st.lessons) for i in range(st.n_rows))
    assert getattr(st, f"c{st.n_rows}") == []


def test_students_are_numbered_in_alphabetical_order(school: School):
    """Rows are numbered 1…n in the order of the students' full names."""
    st = open_grid(school)
    names = [s["name"] for s in st.students]
    assert [s["num"] for s in st.students] == [str(n) for n in range(1, len(names) + 1)]
    assert names == sorted(names, key=lambda n: n.casefold().replace("ё", "е"))


def test_another_teachers_page_does_not_load(school: School):
    """A teacher who puts another teacher's page into the URL gets a refusal and no rows."""
    page = current_page(school)
    st = open_grid(school, "english", page)
    assert st.load_error != ""
    assert st.n_rows == 0 and not st.loaded


def test_the_deputy_reads_any_page_without_writing(school: School):
    """The deputy opens the page read-only: rows shown, no column editable."""
    st = open_grid(school, "deputy", current_page(school))
    assert st.n_rows > 0
    assert not st.can_write
    assert all(c["editable"] == "" for c in st.lessons)


# --------------------------------------------------------------------------- cells


def test_typing_a_mark_saves_it_and_marks_the_cell_saved(school: School):
    """A typed 5 is stored, the cell shows it with the saved flag and a new version."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    call(JournalState.save_cell, st, payload(st, i, j, "5"))
    text, version, flags, _ = cell(st, i, j)
    assert (text, "s" in flags, version > 0) == ("5", True, True)
    assert stored(school, sid, lid) == "5"


def test_one_edit_changes_only_that_students_row_vars(school: School):
    """After one edit only the student's row and figures vars are dirty (a small delta)."""
    st = open_grid(school)
    i, j = find_cell(st)
    st.dirty_vars.clear()
    call(JournalState.save_cell, st, payload(st, i, j, "4"))
    assert st.dirty_vars <= {f"c{i}", f"f{i}", "message", "message_ok"}
    assert f"c{i}" in st.dirty_vars


def test_the_grid_row_is_compiled_once():
    """The table holds one row template that picks its row vars by index, not 45 copies."""
    from ejournal.components.journal_grid import grid

    compiled = str(grid())
    assert f"c{MAX_ROWS - 1}_rx_state_" not in compiled
    assert '["c" + ' in compiled and '["f" + ' in compiled


@pytest.mark.parametrize("prefix", ["c", "f"])
def test_a_row_var_picked_by_index_is_the_slot_var(prefix: str):
    """``row_var(prefix, i)`` evaluates to the same state field as ``JournalState.<prefix><i>``."""
    from ejournal.components.journal_grid import row_var

    last = MAX_ROWS - 1
    expr = str(row_var(prefix, last, dict[str, str] if prefix == "f" else list[str]))
    found = re.fullmatch(r'(.+)\["(\w+)" \+ (\d+) \+ "(\w+)"\]', expr)
    assert found is not None, expr
    owner, head, index, tail = found.groups()
    assert f"{owner}.{head}{index}{tail}" == getattr(JournalState, f"{prefix}{last}")._js_expr


def test_a_refused_value_is_shown_on_the_cell_and_not_saved(school: School):
    """A 7 is refused with a Russian message on the cell; the database keeps the cell empty."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    call(JournalState.save_cell, st, payload(st, i, j, "7"))
    text, _, flags, title = cell(st, i, j)
    assert text == "" and "!" in flags and title
    assert st.message and stored(school, sid, lid) == ""


def test_a_conflicting_edit_shows_the_current_value(school: School):
    """When someone saved the cell first, the second write shows their value and keeps it."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    with school.session() as s:
        journal.set_cell(
            s,
            actor=school.actor("teacher"),
            lesson_id=lid,
            student_id=sid,
            text="3",
            expected_version=0,
        )
        s.commit()  # the boundary's commit (db.run_transaction in the app)
    call(JournalState.save_cell, st, payload(st, i, j, "5"))
    text, _, flags, _ = cell(st, i, j)
    assert (text, "c" in flags) == ("3", True)
    assert "изменил другой пользователь" in st.message
    assert stored(school, sid, lid) == "3"


def test_an_old_lesson_asks_for_a_reason_before_saving(school: School):
    """A cell older than the edit lock opens the reason dialog and saves nothing yet."""
    st = open_grid(school)
    i, j = find_cell(st, recent=False)
    sid, lid = ids(st, i, j)
    before = audit_count(school)
    call(JournalState.save_cell, st, payload(st, i, j, "4"))
    assert st.reason_open
    assert stored(school, sid, lid) == "" and audit_count(school) == before


def test_the_reason_given_saves_the_held_change_and_is_audited(school: School):
    """Confirming the reason saves the held cell with the reason in its audit row."""
    st = open_grid(school)
    i, j = find_cell(st, recent=False)
    sid, lid = ids(st, i, j)
    call(JournalState.save_cell, st, payload(st, i, j, "4"))
    call(JournalState.confirm_reason, st, {"reason": "ошибка при переносе"})
    assert stored(school, sid, lid) == "4"
    with school.session() as s:
        last = s.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert last is not None and last.reason == "ошибка при переносе"


def test_closing_the_reason_dialog_drops_the_held_change(school: School):
    """Cancelling the reason saves nothing."""
    st = open_grid(school)
    i, j = find_cell(st, recent=False)
    sid, lid = ids(st, i, j)
    call(JournalState.save_cell, st, payload(st, i, j, "4"))
    call(JournalState.close_dialogs, st, False)
    call(JournalState.confirm_reason, st, {"reason": "поздно"})
    assert not st.reason_open and stored(school, sid, lid) == ""


def test_pasting_a_block_saves_every_cell(school: School):
    """A pasted 2×1 block fills both cells of the column."""
    st = open_grid(school)
    i, j = find_cell(st)
    rows = [
        r for r in range(st.n_rows) if "x" not in cell(st, r, j)[2] and cell(st, r, j)[0] == ""
    ][:2]
    sids = [ids(st, r, j)[0] for r in rows]
    lid = ids(st, i, j)[1]
    data = {"sids": sids, "lids": [lid], "rows": [["5"], ["н"]]}
    call(JournalState.paste_cells, st, json.dumps(data))
    assert [stored(school, s, lid) for s in sids] == ["5", "н"]
    assert [cell(st, r, j)[0] for r in rows] == ["5", "н"]


def test_a_block_with_one_bad_cell_saves_nothing(school: School):
    """One refused value in a pasted block leaves every cell of it unsaved."""
    st = open_grid(school)
    i, j = find_cell(st)
    rows = [
        r for r in range(st.n_rows) if "x" not in cell(st, r, j)[2] and cell(st, r, j)[0] == ""
    ][:2]
    sids = [ids(st, r, j)[0] for r in rows]
    lid = ids(st, i, j)[1]
    call(
        JournalState.paste_cells,
        st,
        json.dumps({"sids": sids, "lids": [lid], "rows": [["5"], ["9"]]}),
    )
    assert [stored(school, s, lid) for s in sids] == ["", ""]
    assert "не сохранена" in st.message


def test_a_paste_outside_the_page_is_refused(school: School):
    """Ids that are not on the loaded page are refused before any service is called."""
    st = open_grid(school)
    before = audit_count(school)
    call(JournalState.paste_cells, st, json.dumps({"sids": [999999], "lids": [1], "rows": [["5"]]}))
    assert audit_count(school) == before and st.message


def test_live_updates_bring_another_users_change(school: School):
    """A change saved elsewhere appears after one poll, touching only that student's vars."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    with school.session() as s:
        journal.set_cell(
            s,
            actor=school.actor("teacher"),
            lesson_id=lid,
            student_id=sid,
            text="2",
            expected_version=0,
        )
        s.commit()  # the boundary's commit (db.run_transaction in the app)
    st.dirty_vars.clear()
    call(JournalState.poll, st)
    assert cell(st, i, j)[0] == "2"
    assert {v for v in st.dirty_vars if v.startswith(("c", "f"))} <= {f"c{i}", f"f{i}"}


def test_a_poll_without_changes_sends_nothing(school: School):
    """Polling an unchanged page changes no var."""
    st = open_grid(school)
    st.dirty_vars.clear()
    call(JournalState.poll, st)
    assert st.dirty_vars == set()


# --------------------------------------------------------------------------- forged calls


def test_a_forged_cell_for_another_teachers_page_changes_nothing(school: School):
    """Another teacher whose state points at this page is refused by the service."""
    st_own = open_grid(school)
    i, j = find_cell(st_own)
    sid, lid = ids(st_own, i, j)
    forged = school.state(JournalState, "english")
    for name in ("_row_of", "_col_of", "students", "lessons", "_assignment_id", "_period_id"):
        setattr(forged, name, getattr(st_own, name))
    setattr(forged, f"c{i}", getattr(st_own, f"c{i}"))
    setattr(forged, f"f{i}", getattr(st_own, f"f{i}"))
    before = audit_count(school)
    call(JournalState.save_cell, forged, payload(st_own, i, j, "5"))
    assert stored(school, sid, lid) == "" and audit_count(school) == before
    assert "!" in cell(forged, i, j)[2]


def test_a_forged_cell_with_no_page_loaded_is_refused(school: School):
    """A cell key that the client never loaded is refused without a write."""
    st = school.state(JournalState, "english")
    before = audit_count(school)
    call(JournalState.save_cell, st, json.dumps({"k": "1:1", "t": "5", "v": 0}))
    assert audit_count(school) == before


def test_the_deputy_cannot_write_a_cell(school: School):
    """The deputy's forged save_cell is refused by the handler's permission."""
    st_own = open_grid(school)
    i, j = find_cell(st_own)
    sid, lid = ids(st_own, i, j)
    st = open_grid(school, "deputy", current_page(school))
    result = call(JournalState.save_cell, st, payload(st, i, j, "5"))
    assert REFUSED in toast_text(result)
    assert stored(school, sid, lid) == ""


def test_garbage_payloads_are_ignored(school: School):
    """Malformed JSON, wrong types and oversized text change nothing."""
    st = open_grid(school)
    i, j = find_cell(st)
    before = audit_count(school)
    for bad in ("{", "[]", json.dumps({"k": 5}), payload(st, i, j, "5" * 50)):
        call(JournalState.save_cell, st, bad)
        call(JournalState.paste_cells, st, bad)
    assert audit_count(school) == before


# --------------------------------------------------------------------------- lesson column


def test_the_lesson_panel_saves_topic_and_homework(school: School):
    """Topic and homework typed in the panel are stored on the lesson."""
    st = open_grid(school)
    _, j = find_cell(st)
    lid = ids(st, 0, j)[1]
    call(JournalState.open_lesson, st, str(lid))
    assert st.panel_open
    call(JournalState.edit_topic, st, "Проценты. Решение задач")
    call(JournalState.save_lesson, st, {"homework": "§ 12, № 345", "links": "", "work_type": ""})
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None
    assert (lesson.topic, lesson.homework) == ("Проценты. Решение задач", "§ 12, № 345")
    assert not st.panel_open and st.lessons[j]["topic"] == "Проценты. Решение задач"


def test_a_topic_can_be_picked_from_the_plan(school: School):
    """Searching the КТП and picking a line sets the topic and links the plan item."""
    st = open_grid(school)
    _, j = find_cell(st)
    lid = ids(st, 0, j)[1]
    call(JournalState.open_lesson, st, str(lid))
    call(JournalState.edit_topic, st, "")
    assert st.plan_items
    item = st.plan_items[0]
    call(JournalState.pick_plan_item, st, item["id"])
    call(JournalState.save_lesson, st, {"homework": "", "links": "", "work_type": ""})
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None and str(lesson.plan_item_id) == item["id"]
    assert lesson.topic == item["topic"]


def test_another_teacher_cannot_change_the_lesson(school: School):
    """A forged save_lesson from another teacher leaves the lesson as it was."""
    st_own = open_grid(school)
    _, j = find_cell(st_own)
    lid = ids(st_own, 0, j)[1]
    forged = school.state(JournalState, "english")
    forged._col_of = st_own._col_of
    forged.panel = dict(st_own.lessons[j])
    forged.panel_topic = "Чужая тема"
    before = audit_count(school)
    call(JournalState.save_lesson, forged, {"homework": "x", "links": "", "work_type": ""})
    assert audit_count(school) == before and forged.panel_error
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None and lesson.topic != "Чужая тема"


def test_adding_a_lesson_adds_a_column(school: School):
    """An extra lesson on a school day of the period becomes a new column."""
    st = open_grid(school)
    before = len(st.lessons)
    today = dt.date.today()
    day = today - dt.timedelta(days=today.weekday())  # this Monday
    call(JournalState.add_lesson, st, {"date": day.isoformat(), "number": "8", "extra": "on"})
    assert st.add_error == ""
    assert len(st.lessons) == before + 1


# --------------------------------------------------------------------------- period marks, remarks, excuses


def test_a_period_mark_that_departs_from_the_suggestion_needs_a_justification(school: School):
    """Without a justification the departing mark is refused; with one it is stored."""
    st = open_grid(school)
    i = next(i for i in range(st.n_rows) if getattr(st, f"f{i}").get("s") in ("3", "4"))
    sid = int(st.students[i]["id"])
    call(JournalState.open_period_mark, st, str(sid), "period")
    assert st.pm_open
    call(JournalState.save_period_mark, st, {"value": "5", "justification": ""})
    assert st.pm_error and st.pm_open
    call(JournalState.save_period_mark, st, {"value": "5", "justification": "олимпиада"})
    assert not st.pm_open and getattr(st, f"f{i}")["pm"] == "5"
    with school.session() as s:
        pm = s.exec(select(PeriodMark).where(PeriodMark.student_id == sid)).all()
    assert any(p.value == 5 and p.justification == "олимпиада" for p in pm)


def test_saving_a_period_mark_does_not_reload_the_page(
    school: School, monkeypatch: pytest.MonkeyPatch
):
    """The dialog saves with the version the page already holds: no page is read again."""
    st = open_grid(school)
    i = next(i for i in range(st.n_rows) if getattr(st, f"f{i}").get("s") in ("3", "4"))
    sid = int(st.students[i]["id"])
    suggested = getattr(st, f"f{i}")["s"]
    call(JournalState.open_period_mark, st, str(sid), "period")

    def no_reload(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("load_page called while saving a period mark")

    monkeypatch.setattr(journal, "load_page", no_reload)
    call(JournalState.save_period_mark, st, {"value": suggested, "justification": ""})
    assert st.pm_error == "" and getattr(st, f"f{i}")["pm"] == suggested
    call(JournalState.open_period_mark, st, str(sid), "period")
    call(JournalState.save_period_mark, st, {"value": "5", "justification": "олимпиада"})
    assert st.pm_error == "" and getattr(st, f"f{i}")["pm"] == "5"


def test_a_period_mark_changed_by_someone_else_is_a_conflict_showing_theirs(school: School):
    """A stale page's save is refused with the stored mark shown; the next save goes through."""
    st = open_grid(school)
    i = next(i for i in range(st.n_rows) if getattr(st, f"f{i}").get("s") in ("3", "4"))
    sid = int(st.students[i]["id"])
    suggested = int(getattr(st, f"f{i}")["s"])
    with school.session() as s:
        journal.set_period_mark(
            s,
            actor=school.actor("teacher"),
            student_id=sid,
            assignment_id=st._assignment_id,
            period_id=st._period_id,
            value=suggested,
            expected_version=int(getattr(st, f"f{i}")["pv"]),
        )
        s.commit()  # the boundary's commit (db.run_transaction in the app)
    call(JournalState.open_period_mark, st, str(sid), "period")
    call(JournalState.save_period_mark, st, {"value": "5", "justification": "олимпиада"})
    assert "другой пользователь" in st.pm_error
    assert getattr(st, f"f{i}")["pm"] == str(suggested) == st.pm["current"]
    call(JournalState.save_period_mark, st, {"value": "5", "justification": "олимпиада"})
    assert st.pm_error == "" and getattr(st, f"f{i}")["pm"] == "5"


def test_another_teacher_cannot_set_a_period_mark(school: School):
    """A forged save_period_mark from another teacher stores nothing."""
    st_own = open_grid(school)
    sid = int(st_own.students[0]["id"])
    forged = school.state(JournalState, "english")
    forged._row_of = st_own._row_of
    forged.students = st_own.students
    forged._assignment_id, forged._period_id = st_own._assignment_id, st_own._period_id
    forged.pm = {"sid": str(sid), "which": "period"}
    call(JournalState.save_period_mark, forged, {"value": "5", "justification": "x"})
    assert forged.pm_error
    with school.session() as s:
        assert not s.exec(
            select(PeriodMark).where(
                PeriodMark.student_id == sid, PeriodMark.value == 5, PeriodMark.justification == "x"
            )
        ).first()


def test_a_praise_goes_to_the_students_diary(school: School):
    """A praise written from the grid is stored for the student."""
    st = open_grid(school)
    sid = st.students[0]["id"]
    call(JournalState.open_remark, st, sid)
    call(JournalState.save_remark, st, {"kind": "praise", "text": "Отлично решил задачу у доски"})
    assert not st.remark_open
    with school.session() as s:
        remark = s.exec(select(DiaryRemark).where(DiaryRemark.student_id == int(sid))).all()
    assert any(r.text == "Отлично решил задачу у доски" and r.kind == "praise" for r in remark)


def _absence(st: Any) -> tuple[int, int] | None:
    for i in range(st.n_rows):
        for j in range(len(st.lessons)):
            text, _, flags, _ = cell(st, i, j)
            if text == "н" and "e" not in flags:
                return i, j
    return None


def test_the_class_teacher_excuses_an_absence_with_a_reason(school: School):
    """The class teacher's reason turns н into an excused absence the teacher sees."""
    st = open_grid(school, "classteacher", current_page(school))
    assert st.can_excuse
    found = _absence(st)
    assert found is not None
    i, j = found
    sid, lid = ids(st, i, j)
    call(JournalState.open_excuse, st, f"{sid}:{lid}")
    assert st.excuse_open
    call(JournalState.save_excuse, st, {"reason": "справка из поликлиники"})
    assert not st.excuse_open and "e" in cell(st, i, j)[2]
    teacher = open_grid(school)
    ti = teacher._row_of[sid]
    tj = teacher._col_of[lid]
    _, _, flags, title = cell(teacher, ti, tj)
    assert "e" in flags and "справка" in title


def test_a_teacher_cannot_excuse_an_absence(school: School):
    """The subject teacher's forged save_excuse is refused and the absence stays unexcused."""
    st = open_grid(school)
    found = _absence(st)
    assert found is not None
    sid, lid = ids(st, *found)
    st.excuse = {"key": f"{sid}:{lid}", "version": "0"}
    result = call(JournalState.save_excuse, st, {"reason": "сам придумал"})
    assert REFUSED in toast_text(result)
    with school.session() as s:
        att = s.exec(
            select(Attendance).where(Attendance.student_id == sid, Attendance.lesson_id == lid)
        ).one()
    assert att.status == AttendanceStatus.ABSENT.value


# --------------------------------------------------------------------------- homes


def test_the_teacher_home_lists_todays_lessons_and_own_pages(school: School):
    """Today's lessons link to their pages; the picker lists only the teacher's own pages."""
    st = school.state(TeacherHomeState, "teacher")
    call(TeacherHomeState.load, st)
    with school.session() as s:
        expected = journal.list_teacher_lessons(
            s, actor=school.actor("teacher"), on=dt.date.today()
        )
    assert len(st.lessons) == len(expected)
    assert all(g["teacher"] == st.groups[0]["teacher"] for g in st.groups)
    assert any("Математика" in g["title"] for g in st.groups)


def test_the_homes_and_the_grid_use_the_schools_date_not_the_servers(school: School):
    """«Today» is the date in the school's time zone, even where the server's date differs."""
    server_today = dt.date.today()
    zone = next(z for z in ("Etc/GMT-14", "Etc/GMT+12") if _date_in(z) != server_today)
    with school.session() as s:
        row = s.exec(select(SchoolRow)).one()
        row.timezone = zone
        s.add(row)
        s.commit()
    school_today = _date_in(zone)
    home = school.state(TeacherHomeState, "teacher")
    call(TeacherHomeState.load, home)
    assert school_today.strftime("%d.%m.%Y") in home.day_label
    with school.session() as s:
        expected = journal.list_teacher_lessons(s, actor=school.actor("teacher"), on=school_today)
    assert len(home.lessons) == len(expected)
    cls = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, cls)
    since = school_today - dt.timedelta(weeks=journal.ABSENCE_WEEKS)
    assert cls.absences_since == since.strftime("%d.%m.%Y")
    p = current_page(school)
    grid = school.state(JournalState, "teacher", f"/journal?a={p.assignment_id}&p={p.period_id}")
    call(JournalState.load, grid)
    assert grid._today == school_today.isoformat()


def _date_in(zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def test_opening_a_timetable_slot_creates_the_lesson(school: School):
    """A slot without a lesson today becomes a lesson, and the teacher is sent to its page."""
    page = current_page(school)
    today = dt.date.today()
    with school.session() as s:
        s.add(
            TimetableSlot(
                assignment_id=page.assignment_id,
                weekday=min(today.isoweekday(), 6),
                number=8,
                valid_from=page.starts_on,
            )
        )
        s.commit()
    st = school.state(TeacherHomeState, "teacher")
    call(TeacherHomeState.load, st)
    slot = next(x for x in st.lessons if x["lesson_id"] == "" and x["number"] == "8")
    result = call(TeacherHomeState.open_slot, st, slot["assignment_id"], slot["number"])
    target = redirect_target(result)
    assert target is not None and target.startswith(f"/journal?a={slot['assignment_id']}")


def test_the_class_home_lists_only_the_own_class(school: School):
    """The class teacher sees the subjects of 5 «А» and no other class."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    assert st.groups and all(g["title"].startswith("5 «А»") for g in st.groups)


def _classes_shown(st: JournalPickerState) -> set[str]:
    return {g["title"].split(" — ")[0].split(",")[0] for g in st.groups}


def test_the_deputy_picker_shows_one_class_at_a_time(school: School):
    """The deputy reads every class's pages: the picker offers each class and shows the
    chosen one's cards only, instead of hundreds of cards at once."""
    st = school.state(JournalPickerState, "deputy")
    call(JournalPickerState.load, st)
    assert len(st.classes) >= 3
    assert not st.show_all_allowed  # the seeded school has far more pages than fit at once
    assert _classes_shown(st) == {st.classes[0]}
    call(JournalPickerState.choose_class, st, st.classes[2])
    assert _classes_shown(st) == {st.classes[2]}
    assert all(p["href"].startswith("/journal?a=") for g in st.groups for p in g["periods"])
    # A class that is not there, or "every class" where there are too many, changes nothing.
    out = call(JournalPickerState.choose_class, st, "99 «Я»")
    assert "Такого класса нет" in toast_text(out)
    out = call(JournalPickerState.choose_class, st, "")
    assert "Такого класса нет" in toast_text(out)
    assert _classes_shown(st) == {st.classes[2]}


def test_a_teacher_picker_shows_every_own_page(school: School):
    """A teacher's few pages are all shown at once, with a class filter when they span
    several classes."""
    st = school.state(JournalPickerState, "teacher")
    call(JournalPickerState.load, st)
    assert st.show_all_allowed and st.chosen_class == ""
    assert _classes_shown(st) == set(st.classes)


def test_the_topic_in_the_form_wins_over_a_late_search(school: School):
    """The field's text at submit is saved even if its debounced change had not arrived."""
    st = open_grid(school)
    _, j = find_cell(st)
    lid = ids(st, 0, j)[1]
    call(JournalState.open_lesson, st, str(lid))
    form = {"topic": "Деление с остатком", "homework": "", "links": "", "work_type": ""}
    call(JournalState.save_lesson, st, form)
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None and lesson.topic == "Деление с остатком"
    assert lesson.plan_item_id is None


def test_the_class_teacher_prints_credential_slips_for_their_class(school: School):
    """The class home offers the own class's slips, and the handler returns a real PDF."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    assert [c["name"] for c in st.own_classes] == ["5 «А»"]
    out = call(ClassHomeState.download_class_slips, st, st.own_classes[0]["id"])
    args = {str(name): str(value) for name, value in out.args}
    assert "_download" in repr(out) and "rekvizity-klass" in args["filename"]
    pdf = base64.b64decode(args["url"].split("base64,")[1].strip('"'))
    assert pdf.startswith(b"%PDF")


def test_slips_for_another_class_are_refused(school: School):
    """A forged call with another class's id gets a refusal and no file."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    own = int(st.own_classes[0]["id"])
    with school.session() as s:
        other = s.exec(select(ClassGroup.id).where(ClassGroup.id != own)).first()
        audit_rows = s.exec(select(func.count()).select_from(AuditLog)).one()
    out = call(ClassHomeState.download_class_slips, st, other)
    assert "rekvizity" not in str(out) and toast_text(out)
    with school.session() as s:
        assert s.exec(select(func.count()).select_from(AuditLog)).one() == audit_rows


# --------------------------------------------------------------------------- the class teacher's absences


def test_the_class_home_lists_recent_unexcused_absences(school: School):
    """/class shows the own class's recent absences without a valid reason, newest first."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    assert st.absences, "the small seed has absences in 5 «А» in the last weeks"
    with school.session() as s:
        stored = {a.id: a for a in s.exec(select(Attendance)).all()}
    listed = [stored[int(a["id"])] for a in st.absences]
    assert all(a.status == AttendanceStatus.ABSENT.value for a in listed)
    assert st.absences_since == (
        dt.date.today() - dt.timedelta(weeks=journal.ABSENCE_WEEKS)
    ).strftime("%d.%m.%Y")


def test_excusing_from_the_list_reaches_the_subject_teachers_grid(school: School):
    """An absence excused on /class leaves the list and shows excused on the teacher's page."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    maths = [a for a in st.absences if a["subject"] == "Математика"]
    if not maths:
        pytest.skip("no unexcused mathematics absence in 5 «А» in the last weeks")
    item = maths[0]
    out = call(ClassHomeState.excuse, st, {"id": item["id"], "reason": "болезнь, справка"})
    assert "уважительный" in toast_text(out)
    assert item["id"] not in {a["id"] for a in st.absences}
    with school.session() as s:
        att = s.get(Attendance, int(item["id"]))
    assert att is not None and (att.status, att.reason) == ("excused", "болезнь, справка")
    grid = open_grid(school)
    i, j = grid._row_of[att.student_id], grid._col_of[att.lesson_id]
    text, _, flags, title = cell(grid, i, j)
    assert (text, "e" in flags) == ("н", True) and "болезнь, справка" in title


def test_an_excuse_without_a_reason_keeps_the_absence(school: School):
    """An empty reason is refused with a message; the absence stays listed and unexcused."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    item = st.absences[0]
    out = call(ClassHomeState.excuse, st, {"id": item["id"], "reason": "  "})
    assert "причину" in toast_text(out)
    assert item in st.absences
    with school.session() as s:
        att = s.get(Attendance, int(item["id"]))
    assert att is not None and att.status == AttendanceStatus.ABSENT.value


def test_a_forged_excuse_of_another_class_changes_nothing(school: School):
    """An attendance id that is not on the class teacher's list is refused and stays unexcused."""
    st = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, st)
    own = int(st.own_classes[0]["id"])
    with school.session() as s:
        other = s.exec(
            select(Attendance)
            .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .where(
                TeachingAssignment.class_id != own,
                Attendance.status == AttendanceStatus.ABSENT.value,
            )
        ).first()
    assert other is not None
    out = call(ClassHomeState.excuse, st, {"id": str(other.id), "reason": "болезнь"})
    assert toast_text(out)
    with school.session() as s:
        att = s.get(Attendance, other.id)
    assert att is not None and att.status == AttendanceStatus.ABSENT.value


def test_a_teacher_who_leads_no_class_cannot_excuse(school: School):
    """A subject teacher's forged excuse call is refused before any service runs."""
    own = school.state(ClassHomeState, "classteacher")
    call(ClassHomeState.load, own)
    forged = school.state(ClassHomeState, "english")
    forged.absences = own.absences
    item = own.absences[0]
    call(ClassHomeState.excuse, forged, {"id": item["id"], "reason": "болезнь"})
    with school.session() as s:
        att = s.get(Attendance, int(item["id"]))
    assert att is not None and att.status == AttendanceStatus.ABSENT.value


def test_the_load_tells_the_grid_which_page_arrived(school: School):
    """Each load renders a new key and ends with a script naming it: the grid waits for both."""
    page = current_page(school)
    st = school.state(
        JournalState, "teacher", f"/journal?a={page.assignment_id}&p={page.period_id}"
    )
    out = call(JournalState.load, st)
    assert st.load_key.startswith(f"{page.assignment_id}:{page.period_id}:")
    assert f'window.ejLoaded = "{st.load_key}"' in str(out)
    first = st.load_key
    call(JournalState.load, st)
    assert st.load_key != first


# --------------------------------------------------------------------------- server failures


def _locked(*args: Any, **kwargs: Any) -> Any:
    from sqlalchemy.exc import OperationalError

    raise OperationalError("INSERT INTO mark", {}, Exception("database is locked"))


def test_a_write_that_keeps_failing_is_shown_unsaved_with_the_typed_value(
    school: School, monkeypatch: pytest.MonkeyPatch
):
    """The database stays locked through every retry: the cell keeps the typed 5, is
    flagged «не сохранено», the message is Russian, and the browser is answered (no
    cell left pending)."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    tries: list[int] = []
    outage = [True]
    real = journal.set_cell

    def locked(*args: Any, **kwargs: Any) -> Any:
        if not outage[0]:
            return real(*args, **kwargs)
        tries.append(1)
        return _locked()

    monkeypatch.setattr(journal, "set_cell", locked)
    monkeypatch.setattr(db, "_backoff", lambda attempt: 0)
    answer = call(JournalState.save_cell, st, payload(st, i, j, "5"))
    assert len(tries) == db.TRANSACTION_ATTEMPTS
    text, version, flags, title = cell(st, i, j)
    assert (text, version, "u" in flags) == ("5", 0, True)
    assert "Не сохранено" in title
    assert "НЕ сохранена" in st.message and "5" in st.message
    assert "ack" in str(answer)
    assert stored(school, sid, lid) == ""

    outage[0] = False  # the server recovers; the teacher presses Enter on the cell
    call(JournalState.save_cell, st, payload(st, i, j, "5"))
    text, _, flags, _ = cell(st, i, j)
    assert (text, "s" in flags, "u" in flags) == ("5", True, False)
    assert stored(school, sid, lid) == "5"


def test_a_poll_does_not_wipe_an_unsaved_value(school: School, monkeypatch: pytest.MonkeyPatch):
    """Live updates leave an unsaved typed value on screen while nobody else wrote the cell."""
    st = open_grid(school)
    i, j = find_cell(st)
    real = journal.set_cell
    monkeypatch.setattr(journal, "set_cell", _locked)
    monkeypatch.setattr(db, "_backoff", lambda attempt: 0)
    call(JournalState.save_cell, st, payload(st, i, j, "4"))
    monkeypatch.setattr(journal, "set_cell", real)
    other = open_grid(school)  # someone else writes elsewhere on the page: the poll has news
    k, m = find_cell(other)
    if (k, m) == (i, j):
        k = (i + 1) % other.n_rows
    call(JournalState.save_cell, other, payload(other, k, m, "3"))
    call(JournalState.poll, st)
    text, _, flags, _ = cell(st, i, j)
    assert (text, "u" in flags) == ("4", True)


def test_a_paste_that_keeps_failing_keeps_every_value(
    school: School, monkeypatch: pytest.MonkeyPatch
):
    """A pasted block the server cannot store stays on screen, every cell flagged unsaved."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    sid2, _ = ids(st, i + 1, j)
    monkeypatch.setattr(journal, "paste_block", _locked)
    monkeypatch.setattr(db, "_backoff", lambda attempt: 0)
    message = json.dumps(
        {"sids": [str(sid), str(sid2)], "lids": [str(lid)], "rows": [["5"], ["4"]]}
    )
    call(JournalState.paste_cells, st, message)
    assert [cell(st, r, j)[0] for r in (i, i + 1)] == ["5", "4"]
    assert all("u" in cell(st, r, j)[2] for r in (i, i + 1))
    assert "Вставка НЕ сохранена" in st.message
    assert stored(school, sid, lid) == ""


def test_an_unexpected_error_in_a_handler_is_told_in_russian(
    school: School, monkeypatch: pytest.MonkeyPatch
):
    """A bug or outage inside any handler answers with a Russian toast naming what was not
    done, and the grid is told to keep its pending values (never Reflex's English text)."""
    st = open_grid(school)
    i, j = find_cell(st)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(JournalState, "_write_cell", broken)
    answer = call(JournalState.save_cell, st, payload(st, i, j, "5"))
    text = toast_text(answer)
    assert "Отметка или пропуск не сохранены" in text and "сбой на сервере" in text
    assert "An error" not in text
    assert "failPending" in str(answer)


def test_an_overlong_value_is_refused_as_a_bad_value_not_as_a_missing_cell(school: School):
    """«555555555» in a real cell is refused like any bad value, on that cell; the page
    does not pretend the cell is missing."""
    st = open_grid(school)
    i, j = find_cell(st)
    sid, lid = ids(st, i, j)
    call(JournalState.save_cell, st, payload(st, i, j, "555555555555555555"))
    _, _, flags, title = cell(st, i, j)
    assert "!" in flags and "отметки 1–5" in title
    assert "не найдена" not in st.message
    assert stored(school, sid, lid) == ""
