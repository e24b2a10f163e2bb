"""Reading the journal: today's lessons, the page picker, a page and its live changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.journal import (
    JournalPage,
    changes_since,
    excuse_absence,
    list_pages,
    list_teacher_lessons,
    load_page,
    set_cell,
)
from ejournal.domain.models import Lesson, Period, PeriodMark, TeachingAssignment
from tests.factories import NOW, D, TinySchool, add_lesson, add_subgroup, make_school

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def _page(
    session: Session,
    tiny: TinySchool,
    who: str = "russian",
    assignment: TeachingAssignment | None = None,
    period: Period | None = None,
) -> JournalPage:
    return load_page(
        session,
        actor=tiny.actors[who],
        assignment_id=(assignment or tiny.russian_5a).id,
        period_id=(period or tiny.q1).id,
        now=NOW,
    )


def _cell(
    session: Session, tiny: TinySchool, lesson: Lesson, student_index: int, text: str
) -> None:
    set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[student_index].id or 0,
        text=text,
        expected_version=None,
        now=NOW,
    )


# --------------------------------------------------------------------------- today's lessons


def test_teacher_sees_todays_lessons_and_unopened_slots(session: Session, tiny: TinySchool) -> None:
    """Tuesday's list holds the opened lesson; Monday's slot with no lesson is offered to open."""
    opened = add_lesson(session, tiny.russian_5a, D(2026, 10, 20), 1)
    tuesday = list_teacher_lessons(session, actor=tiny.actors["russian"], on=D(2026, 10, 20))
    monday = list_teacher_lessons(session, actor=tiny.actors["russian"], on=D(2026, 10, 19))
    assert [(i.lesson_id, i.number) for i in tuesday] == [(opened.id, 1)]
    assert [(i.lesson_id, i.number, i.period_id) for i in monday] == [(None, 2, tiny.q1.id)]


def test_substituted_lesson_appears_for_the_substitute(session: Session, tiny: TinySchool) -> None:
    """A lesson the maths teacher takes for the Russian teacher shows in the maths teacher's day."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 20), 1)
    lesson.substitute_teacher_id = tiny.staff["maths"].id
    session.add(lesson)
    session.commit()
    items = list_teacher_lessons(session, actor=tiny.actors["maths"], on=D(2026, 10, 20))
    assert [(i.lesson_id, i.is_substitute) for i in items] == [(lesson.id, True)]


def test_no_slots_offered_on_holidays(session: Session, tiny: TinySchool) -> None:
    """During the autumn holiday the timetable offers nothing."""
    assert list_teacher_lessons(session, actor=tiny.actors["russian"], on=D(2026, 10, 27)) == []


def test_parent_cannot_list_lessons(session: Session, tiny: TinySchool) -> None:
    """Families never reach the journal."""
    with pytest.raises(PermissionDenied):
        list_teacher_lessons(session, actor=tiny.actors["parent"], on=D(2026, 10, 20))


def test_another_teachers_page_is_refused_alike_whatever_the_ids(
    session: Session, tiny: TinySchool
) -> None:
    """A teacher probing a colleague's page gets one answer for a real period, a wrong
    period and a made-up page: the permission is checked before anything is looked up."""
    from ejournal.domain.journal import load_page

    maths = tiny.actors["maths"]
    answers = set()
    for assignment_id, period_id in (
        (tiny.russian_5a.id or 0, tiny.q1.id or 0),
        (tiny.russian_5a.id or 0, 987654),
        (987654, tiny.q1.id or 0),
    ):
        with pytest.raises(PermissionDenied) as refused:
            load_page(session, actor=maths, assignment_id=assignment_id, period_id=period_id)
        answers.add(refused.value.message)
    assert len(answers) == 1


# --------------------------------------------------------------------------- page picker


def test_teacher_lists_own_pages_per_quarter(session: Session, tiny: TinySchool) -> None:
    """A teacher of one grade-5 assignment gets four pages, one per quarter."""
    pages = list_pages(session, actor=tiny.actors["russian"])
    assert [(p.assignment_id, p.period_id) for p in pages] == [
        (tiny.russian_5a.id, q.id) for q in tiny.quarters
    ]


def test_class_teacher_lists_every_subject_of_the_class(session: Session, tiny: TinySchool) -> None:
    """The class teacher of 5 «А» sees Russian, maths and music of 5 «А», not 1 «А»."""
    pages = list_pages(session, actor=tiny.actors["class_teacher"])
    assert {p.assignment_id for p in pages} == {
        tiny.russian_5a.id,
        tiny.maths_5a.id,
        tiny.music_5a.id,
    }


def test_deputy_lists_all_pages(session: Session, tiny: TinySchool) -> None:
    """The deputy sees every assignment of the school."""
    pages = list_pages(session, actor=tiny.actors["deputy"])
    assert len({p.assignment_id for p in pages}) == 4


def test_half_years_apply_to_senior_grades(session: Session, tiny: TinySchool) -> None:
    """A grade-10 page runs by half-years, not quarters."""
    tiny.class1.grade = 10
    session.add(tiny.class1)
    session.commit()
    pages = list_pages(session, actor=tiny.actors["primary"])
    assert [p.period_id for p in pages] == [h.id for h in tiny.half_years]


# --------------------------------------------------------------------------- the page


def test_students_are_alphabetical_and_numbered(session: Session, tiny: TinySchool) -> None:
    """Rows are sorted by surname (ё as е) and numbered from 1."""
    page = _page(session, tiny)
    assert [(s.number, s.short_name) for s in page.students] == [
        (1, "Андреев Артём"),
        (2, "Белова Вера"),
        (3, "Григорьев Глеб"),
        (4, "Ёлкина Дарья"),
        (5, "Жуков Захар"),
    ]
    assert page.students[0].full_name == "Андреев Артём Сергеевич"


def test_newcomer_is_shown_only_for_their_dates(session: Session, tiny: TinySchool) -> None:
    """A student who arrived on 1 October cannot be written into September's lessons."""
    september = add_lesson(session, tiny.russian_5a, D(2026, 9, 14), 2)
    october = add_lesson(session, tiny.russian_5a, D(2026, 10, 5), 2)
    page = _page(session, tiny)
    newcomer = next(s for s in page.students if s.id == tiny.newcomer.id)
    assert newcomer.enrolled == ((D(2026, 10, 1), tiny.q1.ends_on),)
    assert page.cell_editability(newcomer.id, september.id or 0)[0] is False
    assert page.cell_editability(newcomer.id, october.id or 0) == (True, "")


def test_columns_carry_date_number_and_work_type(session: Session, tiny: TinySchool) -> None:
    """Two lessons on one day are two columns labelled dd.mm with the work type abbreviation."""
    add_lesson(session, tiny.russian_5a, D(2026, 10, 6), 3, work_type=tiny.control)
    add_lesson(session, tiny.russian_5a, D(2026, 10, 6), 2)
    page = _page(session, tiny)
    assert [(c.label, c.number, c.work_type, c.is_control) for c in page.lessons] == [
        ("06.10", 2, "", False),
        ("06.10", 3, "К.р.", True),
    ]


def test_cancelled_and_future_lessons_are_not_editable(session: Session, tiny: TinySchool) -> None:
    """A cancelled lesson and a lesson after today are read-only columns, each saying why."""
    add_lesson(session, tiny.russian_5a, D(2026, 10, 5), 2, cancelled=True)
    add_lesson(session, tiny.russian_5a, D(2026, 10, 22), 2)
    page = _page(session, tiny)
    assert [(c.editable, c.lock_reason) for c in page.lessons] == [
        (False, "Урок отменён."),
        (False, "Урок ещё не прошёл."),
    ]


def test_figures_follow_the_marks(session: Session, tiny: TinySchool) -> None:
    """Marks count, absences, weighted average and suggested mark come from the cells."""
    oral = add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 1)
    test = add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 3, work_type=tiny.control)
    missed = add_lesson(session, tiny.russian_5a, D(2026, 10, 16), 1)
    _cell(session, tiny, oral, 1, "3")  # Андреев: 3 (weight 1)
    _cell(session, tiny, test, 1, "5")  # and 5 on the control work (weight 2)
    _cell(session, tiny, missed, 1, "н")
    row = next(s for s in _page(session, tiny).students if s.id == tiny.students[1].id)
    assert (row.marks_count, row.absences, row.average, row.suggested) == (
        2,
        1,
        Decimal("4.33"),
        4,
    )


def test_grade_one_page_is_attendance_only(session: Session, tiny: TinySchool) -> None:
    """A grade-1 page says marks are not given; attendance may still be written."""
    page = _page(session, tiny, "primary", assignment=tiny.russian_1a)
    assert page.marks_allowed is False
    assert "1 классе" in page.no_marks_reason


def test_unmarked_subject_page_is_attendance_only(session: Session, tiny: TinySchool) -> None:
    """Music is taught without marks: the page allows attendance only."""
    page = _page(session, tiny, "class_teacher", assignment=tiny.music_5a)
    assert page.marks_allowed is False
    assert "без отметок" in page.no_marks_reason


def test_control_lesson_lists_present_students_without_a_mark(
    session: Session, tiny: TinySchool
) -> None:
    """On a control lesson, students present without a mark are flagged; absent ones are not."""
    test = add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 3, work_type=tiny.control)
    for index, text in [(0, "4"), (1, "н"), (2, "5")]:
        _cell(session, tiny, test, index, text)
    page = _page(session, tiny)
    assert set(page.control_missing[test.id or 0]) == {
        tiny.students[3].id,
        tiny.newcomer.id,
    }


def test_year_column_only_on_the_last_quarter(session: Session, tiny: TinySchool) -> None:
    """The fourth quarter's page carries the year column; the first quarter's does not."""
    first = _page(session, tiny)
    last = _page(session, tiny, period=tiny.quarters[3])
    assert first.year_period is None
    assert last.year_period is not None and last.year_period.id == tiny.year_period.id


def test_period_mark_is_on_the_row(session: Session, tiny: TinySchool) -> None:
    """A quarter mark already set shows in the student's row."""
    session.add(
        PeriodMark(
            student_id=tiny.students[0].id or 0,
            subject_id=tiny.russian.id or 0,
            period_id=tiny.q1.id or 0,
            value=4,
            author_id=tiny.actors["russian"].user_id,
        )
    )
    session.commit()
    row = next(s for s in _page(session, tiny).students if s.id == tiny.students[0].id)
    assert row.period_mark is not None and row.period_mark.value == 4


def test_subgroup_page_holds_only_its_members(session: Session, tiny: TinySchool) -> None:
    """A page of a subgroup lists the members of that subgroup only."""
    group = add_subgroup(session, tiny.class5, tiny.maths, "1 группа", tiny.students[:2])
    tiny.maths_5a.subgroup_id = group.id
    session.add(tiny.maths_5a)
    session.commit()
    page = _page(session, tiny, "maths", assignment=tiny.maths_5a)
    assert {s.id for s in page.students} == {tiny.students[0].id, tiny.students[1].id}


# --------------------------------------------------------------------------- who may read


@pytest.mark.parametrize("who", ["parent", "student", "maths", "primary"])
def test_outsiders_cannot_load_the_page(session: Session, tiny: TinySchool, who: str) -> None:
    """Families, and teachers of other assignments, are refused the Russian 5 «А» page."""
    with pytest.raises(PermissionDenied):
        _page(session, tiny, who)


@pytest.mark.parametrize("who", ["class_teacher", "deputy"])
def test_class_teacher_and_deputy_read_but_cannot_write(
    session: Session, tiny: TinySchool, who: str
) -> None:
    """The class teacher and the deputy open the page read-only."""
    add_lesson(session, tiny.russian_5a, D(2026, 10, 12), 2)
    page = _page(session, tiny, who)
    assert page.can_write is False
    assert all(not c.editable for c in page.lessons)


def test_substitute_reads_the_page_and_writes_only_their_lesson(
    session: Session, tiny: TinySchool
) -> None:
    """A substitute opens the page, with only the substituted column writable."""
    own = add_lesson(session, tiny.russian_5a, D(2026, 10, 12), 2)
    taken = add_lesson(session, tiny.russian_5a, D(2026, 10, 13), 1)
    taken.substitute_teacher_id = tiny.staff["maths"].id
    session.add(taken)
    session.commit()
    page = _page(session, tiny, "maths")
    editable = {c.id: c.editable for c in page.lessons}
    assert editable == {own.id: False, taken.id: True}


# --------------------------------------------------------------------------- live changes


def test_changes_since_reports_a_changed_cell(session: Session, tiny: TinySchool) -> None:
    """After another user writes a mark, changes_since returns that cell and its student row."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 3)
    page = _page(session, tiny, "deputy")
    _cell(session, tiny, lesson, 0, "5")
    changes = changes_since(
        session,
        actor=tiny.actors["deputy"],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        since_audit_id=page.last_audit_id,
        now=NOW,
    )
    assert [(c.student_id, c.text) for c in changes.cells] == [(tiny.students[0].id, "5")]
    assert [s.id for s in changes.students] == [tiny.students[0].id]
    assert changes.last_audit_id > page.last_audit_id


def test_changes_since_is_empty_when_nothing_changed(session: Session, tiny: TinySchool) -> None:
    """With no new writes, nothing is sent back."""
    page = _page(session, tiny)
    changes = changes_since(
        session,
        actor=tiny.actors["russian"],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        since_audit_id=page.last_audit_id,
        now=NOW,
    )
    assert (changes.cells, changes.lessons, changes.reload) == ((), (), False)


def test_subject_teacher_sees_an_excused_absence(session: Session, tiny: TinySchool) -> None:
    """Once the class teacher excuses an absence, the page shows it excused with the reason."""
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 3)
    _cell(session, tiny, lesson, 0, "н")
    cell = _page(session, tiny).cell(tiny.students[0].id or 0, lesson.id or 0)
    excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        student_id=tiny.students[0].id,
        lesson_id=lesson.id,
        reason="справка от врача",
        expected_version=cell.version,
    )
    cell = _page(session, tiny).cell(tiny.students[0].id or 0, lesson.id or 0)
    assert (cell.text, cell.excused, cell.attendance and cell.attendance.reason) == (
        "н",
        True,
        "справка от врача",
    )


def test_page_loads_in_a_handful_of_queries(session: Session, tiny: TinySchool) -> None:
    """Loading a page costs the same number of queries for 2 lessons as for 20 (no N+1)."""
    from sqlalchemy import event

    def count_queries(lessons: int) -> int:
        for k in range(lessons):
            add_lesson(session, tiny.russian_5a, D(2026, 9, 1) + dt.timedelta(days=k), 5)
        statements: list[str] = []

        def listener(*args: object) -> None:
            statements.append(str(args[2]))

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            _page(session, tiny)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        for lesson in session.exec(select(Lesson)).all():
            session.delete(lesson)
        session.flush()
        return len(statements)

    assert count_queries(2) == count_queries(20)
