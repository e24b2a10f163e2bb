"""``/lesson``: a teacher marks one lesson from a phone with big buttons — the same rules,
versions and audit as the grid; nobody else writes through it."""

from __future__ import annotations

from typing import Any

from ejournal.domain import journal
from ejournal.state.journal.phone import LessonMarkingState
from tests.state import test_journal_state as journal_fixtures
from tests.state.conftest import call
from tests.state.outcomes import toast_text
from tests.state.test_journal_state import REFUSED, School, audit_count, current_page, stored

seeded_template = journal_fixtures.seeded_template
school = journal_fixtures.school


def open_lesson(school: School, who: str = "teacher") -> tuple[Any, int]:
    """The teacher's latest writable lesson (within the edit lock) of today's page that has
    a student without a mark."""
    page = current_page(school)
    with school.session() as s:
        full = journal.load_page(
            s,
            actor=school.actor("teacher"),
            assignment_id=page.assignment_id,
            period_id=page.period_id,
        )
    column = next(
        c
        for c in reversed(full.lessons)
        if c.editable
        and not c.needs_reason
        and any(
            full.cell(x.id, c.id).text == ""
            for x in full.students
            if c.id not in x.not_enrolled_lesson_ids
        )
    )
    url = f"/lesson?a={page.assignment_id}&p={page.period_id}&l={column.id}"
    st = school.state(LessonMarkingState, who, url)
    call(LessonMarkingState.load, st)
    return st, column.id


def test_a_tap_writes_the_mark_and_a_second_tap_clears_it(school: School):
    st, lid = open_lesson(school)
    assert st.load_error == "" and st.can_write and st.pupils
    row = next(p for p in st.pupils if p["text"] == "")
    before = audit_count(school)
    call(LessonMarkingState.put, st, row["id"], "4")
    assert stored(school, row["id"], lid) == "4"
    assert next(p for p in st.pupils if p["id"] == row["id"])["text"] == "4"
    call(LessonMarkingState.put, st, row["id"], "4")
    assert stored(school, row["id"], lid) == ""
    call(LessonMarkingState.put, st, row["id"], "н")
    assert stored(school, row["id"], lid) == "н"
    assert audit_count(school) == before + 3


def test_a_cell_changed_meanwhile_is_not_overwritten(school: School):
    """Two phones on one lesson: the second tap sees the first one's mark, not a silent 3."""
    first, lid = open_lesson(school)
    second, _ = open_lesson(school)
    row = next(p for p in first.pupils if p["text"] == "")
    call(LessonMarkingState.put, first, row["id"], "5")
    result = call(LessonMarkingState.put, second, row["id"], "3")
    assert stored(school, row["id"], lid) == "5"
    shown = next(p for p in second.pupils if p["id"] == row["id"])
    assert shown["text"] == "5" and shown["note"]
    assert toast_text(result)


def test_the_deputy_reads_but_cannot_write(school: School):
    st, lid = open_lesson(school, "deputy")
    assert st.pupils and not st.can_write
    row = st.pupils[0]
    before = audit_count(school)
    result = call(LessonMarkingState.put, st, row["id"], "2")
    assert REFUSED in toast_text(result)
    assert audit_count(school) == before and stored(school, row["id"], lid) == row["text"]


def test_junk_values_and_strangers_change_nothing(school: School):
    st, lid = open_lesson(school)
    before = audit_count(school)
    row = st.pupils[0]
    assert toast_text(call(LessonMarkingState.put, st, row["id"], "7"))
    assert toast_text(call(LessonMarkingState.put, st, 987654, "5"))
    assert audit_count(school) == before and stored(school, row["id"], lid) == row["text"]
