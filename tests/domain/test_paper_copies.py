"""Paper copies for families that refused consent [003 §5.2]: in 5 «А» the Григорьевы and
the Беловы refused, the Андреевы consented. Homework for a day, the week's marks and the
period marks come out as PDFs with one page per refusing student, read back with pypdf."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from ejournal.domain.diary.paper_copies import (
    homework_copy_pdf,
    paper_options,
    period_marks_copy_pdf,
    week_marks_copy_pdf,
)
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import Lesson, Parent, Role
from ejournal.domain.people.consent import record_consent
from ejournal.domain.permissions import Actor
from tests.domain.test_consent import add_parent, andreeva
from tests.factories import (
    D,
    TinySchool,
    add_absence,
    add_lesson,
    add_mark,
    add_period_mark,
    add_user,
    make_school,
)

pytestmark = pytest.mark.db

MONDAY = D(2026, 10, 19)
TUESDAY = D(2026, 10, 20)


def pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def decide(session: Session, tiny: TinySchool, parent: Parent, student_index: int, given: bool):
    record_consent(
        session,
        actor=tiny.actors["class_teacher"],
        parent_id=parent.id or 0,
        student_id=tiny.students[student_index].id or 0,
        given=given,
        signed_on=D(2026, 9, 2),
        today=TUESDAY,
    )
    session.commit()


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    """Григорьев and Белова of refusing families, Андреев of a consenting one; a Russian
    lesson on Monday with homework, a control-work 5 and an «н» in maths on Tuesday."""
    tiny = make_school(session)
    decide(session, tiny, add_parent(session, tiny.students[0], "Григорьева", "Галина"), 0, False)
    decide(session, tiny, add_parent(session, tiny.students[3], "Белова", "Борислава"), 3, False)
    decide(session, tiny, andreeva(session, tiny), 1, True)
    teacher = tiny.actors["russian"]
    monday = add_lesson(session, tiny.russian_5a, MONDAY, 2, work_type=tiny.control)
    monday.homework = "Упражнение 125, правило на с. 40"
    session.add(monday)
    session.commit()
    for student, value in [(tiny.students[0], 5), (tiny.students[1], 3), (tiny.students[3], 4)]:
        add_mark(session, monday, student, value, author=teacher, work_type=tiny.control)
    maths = add_lesson(session, tiny.maths_5a, TUESDAY, 3)
    add_absence(session, maths, tiny.students[0], author=tiny.actors["maths"])
    return tiny


def class_teacher(tiny: TinySchool) -> Actor:
    return tiny.actors["class_teacher"]


def test_homework_copy_has_a_page_per_refusing_student(session: Session, tiny: TinySchool):
    """«Домашние задания на 20.10.2026»: Monday's Russian homework, due Tuesday, on a page
    each for Белова and Григорьев; nothing for Андреев, whose family consented."""
    pdf = homework_copy_pdf(
        session, actor=class_teacher(tiny), class_id=tiny.class5.id or 0, day=TUESDAY
    )
    texts = pages(pdf)
    assert len(texts) == 2
    assert "Белова Вера" in texts[0] and "Григорьев Глеб" in texts[1]
    for text in texts:
        assert "Домашние задания на 20.10.2026 (вторник)" in text
        assert "Русский язык" in text
        assert "Упражнение 125" in text
    assert "Андреев" not in "".join(texts)


def test_a_day_without_homework_says_so(session: Session, tiny: TinySchool):
    """Thursday: nothing is due, and the page says it in words."""
    pdf = homework_copy_pdf(
        session, actor=class_teacher(tiny), class_id=tiny.class5.id or 0, day=D(2026, 10, 22)
    )
    assert "домашних заданий не записано" in pages(pdf)[0]


def test_week_copy_lists_marks_and_absences_by_subject(session: Session, tiny: TinySchool):
    """Any day of the week gives its Monday–Saturday: Григорьев's 5 for the control work
    and his «н» in maths; Белова's 4; no page for Андреев."""
    pdf = week_marks_copy_pdf(
        session, actor=class_teacher(tiny), class_id=tiny.class5.id or 0, week_start=D(2026, 10, 21)
    )
    belova, grigoriev = pages(pdf)
    assert "Отметки за неделю 19.10.2026" in grigoriev
    assert "5 (К.р.) 19.10" in grigoriev
    assert "н 20.10" in grigoriev
    assert "Математика" in grigoriev
    assert "4 (К.р.) 19.10" in belova and "н 20.10" not in belova
    assert "Андреев" not in belova + grigoriev


def test_period_copy_once_published(session: Session, tiny: TinySchool):
    """The first quarter's marks print from the day families see them (25.10)."""
    add_period_mark(
        session, tiny.students[0], tiny.russian, tiny.q1, 4, author=tiny.actors["russian"]
    )
    pdf = period_marks_copy_pdf(
        session,
        actor=class_teacher(tiny),
        class_id=tiny.class5.id or 0,
        period_id=tiny.q1.id or 0,
        today=D(2026, 11, 2),
    )
    belova, grigoriev = pages(pdf)
    assert "Итоговые отметки за период «1 четверть»" in grigoriev
    assert "Русский язык" in grigoriev and "4" in grigoriev.split("Русский язык")[1]
    assert "Отметки за период не выставлены" in belova


def test_period_copy_before_publication_is_refused(session: Session, tiny: TinySchool):
    """While the quarter runs its marks are not the family's yet: refused in words."""
    with pytest.raises(ValidationError, match=r"открываются семьям 25\.10\.2026"):
        period_marks_copy_pdf(
            session,
            actor=class_teacher(tiny),
            class_id=tiny.class5.id or 0,
            period_id=tiny.q1.id or 0,
            today=TUESDAY,
        )


def test_a_period_of_other_grades_is_not_found(session: Session, tiny: TinySchool):
    """Half-years are for grades 10–11: not a period of 5 «А»."""
    with pytest.raises(NotFound):
        period_marks_copy_pdf(
            session,
            actor=class_teacher(tiny),
            class_id=tiny.class5.id or 0,
            period_id=tiny.half_years[0].id or 0,
            today=D(2027, 1, 20),
        )


def test_no_copies_for_a_class_where_everyone_consented(session: Session, tiny: TinySchool):
    """1 «А» has no refusing family: nothing to print, said in words."""
    with pytest.raises(ValidationError, match="бумажные копии не нужны"):
        homework_copy_pdf(
            session, actor=tiny.actors["primary"], class_id=tiny.class1.id or 0, day=TUESDAY
        )


def test_the_secretary_prints_copies(session: Session, tiny: TinySchool):
    """The secretary prints the week for the class as its class teacher would."""
    user = add_user(session, "secretary")
    session.commit()
    secretary = Actor(
        user_id=user.id or 0, school_id=tiny.school.id or 0, roles=frozenset({Role.SECRETARY})
    )
    pdf = week_marks_copy_pdf(
        session, actor=secretary, class_id=tiny.class5.id or 0, week_start=MONDAY
    )
    assert len(pages(pdf)) == 2


def test_options_offer_tomorrow_this_week_and_the_published_quarter(
    session: Session, tiny: TinySchool
):
    """On Monday 2 November: Tuesday's homework, this week, the first quarter."""
    options = paper_options(
        session, actor=class_teacher(tiny), class_id=tiny.class5.id or 0, today=D(2026, 11, 2)
    )
    assert options.day == D(2026, 11, 3)
    assert options.week_start == D(2026, 11, 2)
    assert options.period_id == tiny.q1.id
    assert [p.name for p in options.periods][:2] == ["1 четверть", "2 четверть"]


@pytest.mark.parametrize("who", ["primary", "russian", "parent", "student", "admin"])
def test_forged_copies_are_refused(session: Session, tiny: TinySchool, who: str):
    """Another class's class teacher, a subject teacher of the class, a parent, a student
    and the administrator get no copy."""
    if who == "admin":
        user = add_user(session, "admin")
        session.commit()
        actor = Actor(
            user_id=user.id or 0, school_id=tiny.school.id or 0, roles=frozenset({Role.ADMIN})
        )
    else:
        actor = tiny.actors[who]
    class_id = tiny.class5.id or 0
    with pytest.raises(PermissionDenied):
        homework_copy_pdf(session, actor=actor, class_id=class_id, day=TUESDAY)
    with pytest.raises(PermissionDenied):
        week_marks_copy_pdf(session, actor=actor, class_id=class_id, week_start=MONDAY)
    with pytest.raises(PermissionDenied):
        period_marks_copy_pdf(session, actor=actor, class_id=class_id, period_id=tiny.q1.id or 0)


def test_homework_links_are_printed(session: Session, tiny: TinySchool):
    """A homework's link is printed under its text (the family types it in)."""
    lesson = session.exec(
        select(Lesson).where(Lesson.assignment_id == tiny.russian_5a.id, Lesson.date == MONDAY)
    ).one()
    lesson.homework_links = "https://resh.edu.ru/subject/lesson/7628/"
    session.add(lesson)
    session.commit()
    pdf = homework_copy_pdf(
        session, actor=class_teacher(tiny), class_id=tiny.class5.id or 0, day=TUESDAY
    )
    assert "resh.edu.ru" in pages(pdf)[0]
