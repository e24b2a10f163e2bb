"""Issue 12 in the journal's States: «54» in a one-mark column, «выставить расчётные»,
excusing a student's days on /class, and the read-only page.

Runs on the seeded small school like ``test_journal_state.py`` (its fixtures and helpers):
`teacher` teaches mathematics in 5 «А» (one mark a cell), `english` another subject,
`classteacher` leads 5 «А», `deputy` reads every page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import col, select

from ejournal.domain import journal
from ejournal.domain.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    Lesson,
    PeriodMark,
    TeachingAssignment,
)
from ejournal.state.journal import ClassHomeState, JournalState
from tests.state import test_journal_state as base
from tests.state.conftest import call
from tests.state.outcomes import toast_text
from tests.state.test_journal_state import (
    REFUSED,
    School,
    audit_count,
    cell,
    current_page,
    ids,
    open_grid,
    payload,
    stored,
)

# The seeded small school, as test_journal_state.py sets it up for each test.
seeded_template = base.seeded_template
school = base.school

# --------------------------------------------------------------------------- «54»


def _cell_with_a_mark(st: Any) -> tuple[int, int]:
    for j, c in reversed(list(enumerate(st.lessons))):
        if c["editable"] != "1" or c["reason"] or c["two"]:
            continue
        for i in range(st.n_rows):
            text, _, flags, _ = cell(st, i, j)
            if text in ("2", "3", "4") and "x" not in flags:
                return i, j
    raise AssertionError("no writable cell with a mark on the page")


def test_54_in_a_one_mark_column_keeps_the_old_mark_and_says_so_on_the_cell(school: School):
    """«54» over a stored mark is refused whole: the cell shows the old mark (not 5, not
    unsaved), flagged with the reason; nothing is written."""
    st = open_grid(school)
    i, j = _cell_with_a_mark(st)
    sid, lid = ids(st, i, j)
    old, old_version, _, _ = cell(st, i, j)
    before = audit_count(school)
    call(JournalState.save_cell, st, payload(st, i, j, "54"))
    text, version, flags, title = cell(st, i, j)
    assert (text, version) == (old, old_version)
    assert "!" in flags and "u" not in flags
    assert "«54» не сохранено" in title and f"прежнее значение: «{old}»" in title
    assert "Две отметки" in title and "«54» не сохранено" in st.message
    assert stored(school, sid, lid) == old and audit_count(school) == before


def test_the_grid_knows_whether_the_page_takes_two_marks(school: School):
    """Mathematics takes one mark a cell: the page says so (the typing hint follows it)."""
    st = open_grid(school)
    assert st.can_write and not st.two_marks_page


@pytest.mark.parametrize("who", ["deputy", "classteacher"])
def test_a_read_only_page_is_not_writable_for_readers(school: School, who: str):
    """The deputy and the class teacher (of a maths page) read it: no typing, no period marks."""
    st = open_grid(school, who, current_page(school))
    assert st.n_rows > 0
    assert (st.can_write, st.can_period, st.can_lessons) == (False, False, False)


def test_the_typing_hint_and_the_legends_typing_swatches_follow_can_write():
    """The hint and the «сохранено / не принято / не сохранено» swatches are shown only
    under `can_write` (the browser test looks at a deputy's page)."""
    from ejournal.pages.journal import _journal_body, _toolbar

    toolbar = str(_toolbar())
    assert toolbar.index("can_write") < toolbar.index("ej-typing-hint")
    body = str(_journal_body())
    legend_part = body[body.index('id:"ej-legend"') :]
    assert legend_part.index("can_write") < legend_part.index("ej-sw-saved")


# --------------------------------------------------------------------------- «выставить расчётные»


def _period_marks(school: School, st: Any) -> dict[int, tuple[int | None, str]]:
    with school.session() as s:
        rows = s.exec(select(PeriodMark).where(PeriodMark.period_id == st._period_id)).all()
    page_students = {int(x["id"]) for x in st.students}
    return {p.student_id: (p.value, p.justification) for p in rows if p.student_id in page_students}


def _open_bulk(school: School) -> Any:
    st = open_grid(school)
    call(JournalState.open_bulk_marks, st)
    assert st.bulk_open and st.bulk_error == ""
    return st


def test_the_preview_lists_every_student_with_the_grids_suggestion(school: School):
    """One row per student; the suggestion is the grid's «Расч.», chosen where nothing is stored."""
    st = _open_bulk(school)
    assert [r["sid"] for r in st.bulk_rows] == [x["id"] for x in st.students]
    for i, row in enumerate(st.bulk_rows):
        assert row["suggested"] == getattr(st, f"f{i}")["s"]
        if row["status"] == "new":
            assert row["value"] == row["suggested"] != "" and row["need"] == ""
        if row["status"] == "no_marks":
            assert row["value"] == ""


def test_saving_the_preview_stores_each_suggested_mark(school: School):
    """«Сохранить все» stores every new suggestion; the grid's period column shows them."""
    st = _open_bulk(school)
    new = {int(r["sid"]): int(r["value"]) for r in st.bulk_rows if r["status"] == "new"}
    assert new, "the small seed has students without a quarter mark yet"
    before = _period_marks(school, st)
    call(JournalState.save_bulk_marks, st, {})
    assert not st.bulk_open and st.message_ok
    assert f"Выставлено отметок за период: {len(new)}" in st.message
    after = _period_marks(school, st)
    assert {sid: after[sid][0] for sid in new} == new
    assert {k: v for k, v in after.items() if k not in new} == before
    for sid, value in new.items():
        assert getattr(st, f"f{st._row_of[sid]}")["pm"] == str(value)


def test_a_row_changed_in_the_preview_needs_a_justification(school: School):
    """A new row set off its suggestion asks for a justification; without it nothing is saved."""
    st = _open_bulk(school)
    row = next(r for r in st.bulk_rows if r["status"] == "new" and r["suggested"] in "234")
    other = str(int(row["suggested"]) + 1)
    call(JournalState.bulk_choose, st, row["sid"], other)
    changed = next(r for r in st.bulk_rows if r["sid"] == row["sid"])
    assert (changed["value"], changed["need"]) == (other, "1")
    before = _period_marks(school, st)
    call(JournalState.save_bulk_marks, st, {})
    assert st.bulk_open and "Ничего не сохранено" in st.bulk_error
    refused = next(r for r in st.bulk_rows if r["sid"] == row["sid"])
    assert "обоснование" in refused["error"]
    assert _period_marks(school, st) == before
    call(JournalState.save_bulk_marks, st, {f"j{row['sid']}": "проект на конференции"})
    assert not st.bulk_open
    assert _period_marks(school, st)[int(row["sid"])] == (int(other), "проект на конференции")


def test_a_mark_set_elsewhere_after_the_preview_is_reported_not_overwritten(school: School):
    """Another screen stores a mark after the preview: that row shows it, nothing is saved."""
    st = _open_bulk(school)
    row = next(r for r in st.bulk_rows if r["status"] == "new" and r["suggested"] in "2345")
    theirs = 5 if row["suggested"] != "5" else 4
    with school.session() as s:
        journal.set_period_mark(
            s,
            actor=school.actor("teacher"),
            student_id=int(row["sid"]),
            assignment_id=st._assignment_id,
            period_id=st._period_id,
            value=theirs,
            expected_version=0,
            justification="по итогам зачёта",
        )
        s.commit()  # the boundary's commit (db.run_transaction in the app)
    before = _period_marks(school, st)
    call(JournalState.save_bulk_marks, st, {})
    assert st.bulk_open and st.bulk_error
    reported = next(r for r in st.bulk_rows if r["sid"] == row["sid"])
    assert "другой пользователь" in reported["error"] and f"«{theirs}»" in reported["error"]
    assert reported["current"] == str(theirs)
    assert _period_marks(school, st) == before
    assert before[int(row["sid"])] == (theirs, "по итогам зачёта")


def test_the_deputy_cannot_save_a_bulk_preview(school: School):
    """A forged save from the deputy is refused before any service runs; nothing stored."""
    own = _open_bulk(school)
    forged = open_grid(school, "deputy", current_page(school))
    forged.bulk_open, forged.bulk_rows = True, own.bulk_rows
    before = _period_marks(school, own)
    out = call(JournalState.save_bulk_marks, forged, {})
    assert REFUSED in toast_text(out)
    assert _period_marks(school, own) == before


def test_another_teacher_cannot_save_a_forged_bulk_preview(school: School):
    """Another subject's teacher forging the page and the rows is refused by the service."""
    own = _open_bulk(school)
    forged = school.state(JournalState, "english")
    forged._row_of, forged.students = own._row_of, own.students
    forged._assignment_id, forged._period_id = own._assignment_id, own._period_id
    forged.bulk_open, forged.bulk_rows = True, own.bulk_rows
    before = _period_marks(school, own)
    call(JournalState.save_bulk_marks, forged, {})
    assert REFUSED in forged.bulk_error
    call(JournalState.open_bulk_marks, forged)  # can_period is not set for them
    assert _period_marks(school, own) == before


# --------------------------------------------------------------------------- excusing days on /class


def _class_home(school: School, who: str = "classteacher") -> Any:
    st = school.state(ClassHomeState, who)
    call(ClassHomeState.load, st)
    return st


def _a_sick_student(st: Any) -> tuple[dict[str, str], dt.date, dt.date]:
    """The listed student with most absences, and the days from their first to last."""
    by_name: dict[str, list[dict[str, str]]] = {}
    for a in st.absences:
        by_name.setdefault(a["student"], []).append(a)
    name = max(by_name, key=lambda n: len(by_name[n]))
    student = next(x for x in st.range_students if x["name"] == name)
    with_ids = {int(a["id"]) for a in by_name[name]}
    return student, *_dates(with_ids)


def _dates(attendance_ids: set[int]) -> tuple[dt.date, dt.date]:
    from ejournal.domain import db

    with db.get_engine().connect() as c:
        rows = c.execute(
            select(Lesson.date)
            .join(Attendance, col(Attendance.lesson_id) == Lesson.id)
            .where(col(Attendance.id).in_(attendance_ids))
        ).all()
    days = [r[0] for r in rows]
    return min(days), max(days)


def _form(student: dict[str, str], a: dt.date, b: dt.date, reason: str = "справка № 7") -> dict:
    return {
        "student": student["id"],
        "date_from": a.isoformat(),
        "date_to": b.isoformat(),
        "reason": reason,
    }


def _statuses(school: School, attendance_ids: list[int]) -> list[tuple[str, str]]:
    with school.session() as s:
        rows = [s.get(Attendance, a) for a in attendance_ids]
    return [(r.status, r.reason) for r in rows if r is not None]


def test_the_preview_lists_the_students_absences_of_those_days(school: School):
    """The preview lists exactly the chosen student's unexcused absences between the dates."""
    st = _class_home(school)
    student, a, b = _a_sick_student(st)
    call(ClassHomeState.preview_range, st, _form(student, a, b))
    listed = {x["id"] for x in st.absences if x["student"] == student["name"]}
    assert st.range_error == ""
    assert {r["id"] for r in st.range_rows} == listed
    assert f"уроков с пропуском — {len(listed)}" in st.range_summary
    assert [r["date"] for r in st.range_rows] == sorted(
        (r["date"] for r in st.range_rows), key=lambda d: (d[3:], d[:2])
    )


def test_excusing_the_days_excuses_every_previewed_absence_audited(school: School):
    """Confirming excuses each previewed absence with the reason, one audit row each."""
    st = _class_home(school)
    student, a, b = _a_sick_student(st)
    call(ClassHomeState.preview_range, st, _form(student, a, b))
    covered = [int(r["id"]) for r in st.range_rows]
    before = audit_count(school)
    out = call(ClassHomeState.excuse_range, st)
    assert f"по уважительной причине — {len(covered)}" in toast_text(out)
    assert _statuses(school, covered) == [("excused", "справка № 7")] * len(covered)
    with school.session() as s:
        rows = s.exec(select(AuditLog).where(col(AuditLog.id) > before)).all()
    assert [r.action for r in rows] == ["journal.attendance.excuse"] * len(covered)
    assert not {str(x) for x in covered} & {x["id"] for x in st.absences}
    assert st.range_rows == [] and st.range_summary == ""


def test_a_change_after_the_preview_stops_the_excuse(school: School):
    """One absence excused elsewhere after the preview: refused, the list refreshed, the
    others stay unexcused."""
    st = _class_home(school)
    student, a, b = _a_sick_student(st)
    call(ClassHomeState.preview_range, st, _form(student, a, b))
    covered = [int(r["id"]) for r in st.range_rows]
    assert len(covered) >= 2, "the sickest student of the seed has several absences"
    first = st.range_rows[0]
    with school.session() as s:
        journal.excuse_absence(
            s,
            actor=school.actor("classteacher"),
            attendance_id=int(first["id"]),
            reason="заявление родителей",
            expected_version=int(first["version"]),
        )
        s.commit()  # the boundary's commit (db.run_transaction in the app)
    call(ClassHomeState.excuse_range, st)
    assert "изменились" in st.range_error
    assert len(st.range_rows) == len(covered) - 1
    assert _statuses(school, covered[1:]) == [(AttendanceStatus.ABSENT.value, "")] * (
        len(covered) - 1
    )


def test_a_subject_teacher_cannot_excuse_days(school: School):
    """A forged excuse_range from a teacher who leads no class is refused; nothing changes."""
    own = _class_home(school)
    student, a, b = _a_sick_student(own)
    call(ClassHomeState.preview_range, own, _form(student, a, b))
    covered = [int(r["id"]) for r in own.range_rows]
    forged = school.state(ClassHomeState, "english")
    forged._range = own._range
    out = call(ClassHomeState.excuse_range, forged)
    assert REFUSED in toast_text(out)
    assert _statuses(school, covered) == [(AttendanceStatus.ABSENT.value, "")] * len(covered)


def test_a_student_of_another_class_is_refused(school: School):
    """The class teacher cannot preview or excuse days of a student outside the class."""
    st = _class_home(school)
    own = int(st.own_classes[0]["id"])
    with school.session() as s:
        other = s.exec(
            select(Attendance, Lesson)
            .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .where(
                TeachingAssignment.class_id != own,
                Attendance.status == AttendanceStatus.ABSENT.value,
            )
        ).first()
    assert other is not None
    att, lesson = other
    forged = {"id": str(att.student_id), "name": "чужой"}
    call(ClassHomeState.preview_range, st, _form(forged, lesson.date, lesson.date))
    assert "своего класса" in st.range_error and st.range_rows == []
    st._range = {
        "sid": att.student_id,
        "name": "чужой",
        "from": lesson.date.isoformat(),
        "to": lesson.date.isoformat(),
        "reason": "болезнь",
        "expected": [[att.id, att.version]],
    }
    call(ClassHomeState.excuse_range, st)
    assert REFUSED in st.range_error
    assert _statuses(school, [att.id or 0]) == [(AttendanceStatus.ABSENT.value, "")]
