"""The journal's side of the deputy's control, through the page's State handlers: attendance
taken («все присутствуют», the first «н»), «не задано», the list of topics and homework
and the URL's highlighted cell. Forged calls are refused and change nothing.

Runs on the seeded small school of ``test_journal_state`` (its fixtures and helpers).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from ejournal.domain.models import Attendance, Lesson
from ejournal.state.journal import JournalState
from tests.state import test_journal_state as journal_tests
from tests.state.conftest import call
from tests.state.outcomes import toast_text
from tests.state.test_journal_state import (
    REFUSED,
    School,
    audit_count,
    cell,
    current_page,
    find_cell,
    ids,
    open_grid,
    payload,
    stored,
)

# The seeded school and its private copy per test, shared with the journal's State tests.
seeded_template = journal_tests.seeded_template
school = journal_tests.school


def _forget_attendance(school: School, st: Any) -> tuple[int, int]:
    """(column, lesson id) of a recent held lesson of the page, made to have no absence and
    no attendance taken, as a lesson whose teacher never took it."""
    _, j = find_cell(st)
    lid = int(st.lessons[j]["id"])
    with school.session() as s:
        for att in s.exec(select(Attendance).where(Attendance.lesson_id == lid)).all():
            s.delete(att)
        lesson = s.get(Lesson, lid)
        assert lesson is not None
        lesson.attendance_taken_at = None
        s.add(lesson)
        s.commit()
    return j, lid


def _taken(school: School, lid: int) -> bool:
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None
    return lesson.attendance_taken_at is not None


def _fresh_grid(school: School, who: str = "teacher") -> tuple[Any, int, int]:
    st = open_grid(school)
    j, lid = _forget_attendance(school, st)
    return open_grid(school, who, current_page(school)), j, lid


# --------------------------------------------------------------------------- attendance


def test_a_lesson_without_attendance_is_marked_in_its_header(school: School):
    """The column of a held lesson nobody took attendance for says so; others do not."""
    st, j, _ = _fresh_grid(school)
    assert st.lessons[j]["att"] == "0"
    assert "Посещаемость не отмечена" in st.lessons[j]["title"]
    held = [c for c in st.lessons if c["date"] <= st._today and not c["cancelled"]]
    assert any(c["att"] == "1" for c in held)


def test_all_present_records_attendance_from_the_lesson_panel(school: School):
    """«Все присутствуют» stamps the lesson; the header marker and the panel's button go."""
    st, j, lid = _fresh_grid(school)
    call(JournalState.open_lesson, st, str(lid))
    assert st.panel["att"] == "0"
    before = audit_count(school)
    call(JournalState.take_attendance, st, {})
    assert _taken(school, lid) and audit_count(school) == before + 1
    assert st.lessons[j]["att"] == "1" and st.panel["att"] == "1"
    assert st.lessons[j]["att_at"] != "" and st.panel_error == ""


def test_the_first_absence_typed_clears_the_marker(school: School):
    """A «н» typed into such a column records attendance and the header marker goes at once."""
    st, j, lid = _fresh_grid(school)
    i = next(i for i in range(st.n_rows) if "x" not in cell(st, i, j)[2])
    call(JournalState.save_cell, st, payload(st, i, j, "н"))
    assert stored(school, *ids(st, i, j)) == "н"
    assert _taken(school, lid) and st.lessons[j]["att"] == "1"


def test_another_teachers_forged_all_present_changes_nothing(school: School):
    """Another teacher whose state points at this lesson is refused by the service."""
    st_own, j, lid = _fresh_grid(school)
    forged = open_grid(school, "english", current_page(school, "english", "Английский язык"))
    forged._col_of = st_own._col_of
    forged.lessons = st_own.lessons
    forged.panel = dict(st_own.lessons[j])
    before = audit_count(school)
    call(JournalState.take_attendance, forged, {})
    assert forged.panel_error and audit_count(school) == before
    assert not _taken(school, lid)


def test_the_deputy_cannot_record_attendance(school: School):
    """The deputy reads the page; a forged «все присутствуют» is refused by the handler."""
    st, _, lid = _fresh_grid(school, "deputy")
    call(JournalState.open_lesson, st, str(lid))
    before = audit_count(school)
    result = call(JournalState.take_attendance, st, {})
    assert REFUSED in toast_text(result)
    assert audit_count(school) == before and not _taken(school, lid)


# --------------------------------------------------------------------------- «не задано»


def test_homework_none_is_saved_from_the_panel(school: School):
    """Ticking «Не задано» saves it, clears the homework and shows in the column."""
    st = open_grid(school)
    _, j = find_cell(st)
    lid = ids(st, 0, j)[1]
    call(JournalState.open_lesson, st, str(lid))
    call(JournalState.toggle_homework_none, st, True)
    assert st.panel_hw_none
    call(
        JournalState.save_lesson,
        st,
        {"homework_none": "on", "homework": "", "links": "", "work_type": st.panel["wt_id"]},
    )
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None and (lesson.homework_none, lesson.homework) == (True, "")
    assert (st.lessons[j]["hw_none"], st.lessons[j]["homework"]) == ("1", "")
    assert not st.panel_open


def test_another_teachers_forged_homework_none_changes_nothing(school: School):
    """A forged save_lesson with «не задано» from another teacher leaves the lesson as it was."""
    st_own = open_grid(school)
    _, j = find_cell(st_own)
    lid = ids(st_own, 0, j)[1]
    with school.session() as s:
        lesson = s.get(Lesson, lid)
        assert lesson is not None
        was = (lesson.homework, lesson.homework_none)
    forged = school.state(JournalState, "english")
    forged._col_of = st_own._col_of
    forged.panel = dict(st_own.lessons[j])
    forged.panel_hw_none = True
    before = audit_count(school)
    call(JournalState.save_lesson, forged, {"homework_none": "on", "work_type": ""})
    assert audit_count(school) == before and forged.panel_error
    with school.session() as s:
        lesson = s.get(Lesson, lid)
    assert lesson is not None and (lesson.homework, lesson.homework_none) == was


# --------------------------------------------------------------------------- the deputy's view


def test_the_deputy_sees_every_lessons_topic_and_homework(school: School):
    """The page's columns carry each lesson's topic, homework or «не задано» as stored: the
    list under the grid is read from them, without opening a lesson."""
    st = open_grid(school, "deputy", current_page(school))
    assert not st.can_lessons  # the list opens at once for a reader
    with school.session() as s:
        lessons = s.exec(
            select(Lesson).where(col(Lesson.id).in_([int(c["id"]) for c in st.lessons]))
        ).all()
    stored_rows = {str(x.id): (x.topic, x.homework, x.homework_none) for x in lessons}
    shown = {c["id"]: (c["topic"], c["homework"], c["hw_none"] == "1") for c in st.lessons}
    assert shown == stored_rows and len(shown) == len(st.lessons) > 0


def test_a_link_with_lesson_and_student_highlights_that_cell(school: School):
    """``&l=…&s=…`` from a checklist finding asks the grid to outline that very cell."""
    page = current_page(school)
    st = open_grid(school)
    sid, lid = ids(st, 2, len(st.lessons) - 1)
    url = f"/journal?a={page.assignment_id}&p={page.period_id}&l={lid}&s={sid}"
    st = school.state(JournalState, "deputy", url)
    out = call(JournalState.load, st)
    assert f"showLesson({lid}, {sid})" in str(out)


def test_a_student_not_on_the_page_is_not_highlighted(school: School):
    """A student id that is not on the page (a stale or forged link) highlights nothing."""
    page = current_page(school)
    url = f"/journal?a={page.assignment_id}&p={page.period_id}&s=999999"
    st = school.state(JournalState, "deputy", url)
    out = call(JournalState.load, st)
    assert "showLesson(0, 0)" in str(out)


def test_garbage_in_the_lesson_panel_handlers_is_ignored(school: School):
    """«Все присутствуют» with no lesson open, or a lesson not on the page, does nothing."""
    st = open_grid(school)
    before = audit_count(school)
    call(JournalState.take_attendance, st, {})
    st.panel = {"id": "999999"}
    call(JournalState.take_attendance, st, {"reason": json.dumps({"x": 1})})
    assert audit_count(school) == before
