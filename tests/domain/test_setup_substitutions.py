"""Substitutions (issue 13) on the tiny school: Смирнова's Russian in 5 «А» sits Mon 2,
Tue 1, Wed 3, Thu 2, Fri 1; Кузнецов (maths, no timetable yet) substitutes. Autumn
holidays run 25 October – 4 November; the second quarter starts on 5 November."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from ejournal.domain.audit.chain import AuditAction
from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.journal.context import load_cells
from ejournal.domain.journal.read import list_teacher_lessons
from ejournal.domain.journal.write import set_cell
from ejournal.domain.models import AuditLog, Lesson, TimetableSlot
from ejournal.domain.setup import substitutions as subs
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

TUESDAY = D(2026, 10, 20)


@pytest.fixture
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def substituted(session: Session) -> list[tuple[Any, ...]]:
    rows = session.exec(select(Lesson).where(Lesson.substitute_teacher_id != None)).all()  # noqa: E711
    return sorted((r.date, r.number, r.substitute_teacher_id) for r in rows)


def one_lesson(session: Session, tiny: TinySchool, **kw: Any) -> subs.Done:
    args: dict[str, Any] = {
        "assignment_id": tiny.russian_5a.id,
        "on": TUESDAY,
        "number": 1,
        "substitute_id": tiny.staff["maths"].id,
    }
    args.update(kw)
    return subs.set_substitute_lesson(session, actor=tiny.actors["deputy"], **args)


def test_a_substitute_for_one_lesson_sees_it_and_writes_that_lesson_only(session, tiny):
    """Кузнецов substitutes Tuesday 1st: the lesson row is created, he sees it on «Мои уроки»
    as a substitution, writes a mark in it, and cannot write another Russian lesson."""
    done = one_lesson(session, tiny)
    assert "Кузнецов И. О." in done.message and "20.10.2026, 1-й урок" in done.message
    session.commit()
    maths = tiny.actors["maths"]
    mine = list_teacher_lessons(session, actor=maths, on=TUESDAY)
    assert [(i.class_name, i.subject_name, i.number, i.is_substitute) for i in mine] == [
        ("5 «А»", "Русский язык", 1, True)
    ]
    lesson_id = mine[0].lesson_id
    assert lesson_id is not None
    student = tiny.students[0]
    result = set_cell(
        session,
        actor=maths,
        lesson_id=lesson_id,
        student_id=student.id or 0,
        text="5",
        expected_version=0,
        now=NOW,
    )
    assert result is not None
    session.commit()
    cells = load_cells(session, lesson_ids=[lesson_id], student_ids=[student.id or 0])
    assert cells[(student.id or 0, lesson_id)].text == "5"
    other = add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)
    with pytest.raises(PermissionDenied):
        set_cell(
            session,
            actor=maths,
            lesson_id=other.id or 0,
            student_id=student.id or 0,
            text="4",
            expected_version=0,
            now=NOW,
        )
    audited = session.exec(
        select(AuditLog).where(AuditLog.action == AuditAction.SUBSTITUTE_SET)
    ).all()
    assert len(audited) == 1


def test_an_opened_lesson_keeps_its_topic_when_substituted(session, tiny):
    """A lesson already in the journal is not created again: its topic stays."""
    lesson = add_lesson(session, tiny.russian_5a, TUESDAY, 1, topic="Глагол")
    one_lesson(session, tiny)
    session.refresh(lesson)
    assert (lesson.topic, lesson.substitute_teacher_id) == ("Глагол", tiny.staff["maths"].id)
    assert len(session.exec(select(Lesson)).all()) == 1


def test_a_range_skips_weekends_and_holidays(session, tiny):
    """Смирнова away 22 October – 6 November: Thu 22, Fri 23, Thu 5 and Fri 6 November
    are substituted; the weekend and the autumn holidays are skipped."""
    done = subs.set_substitute_range(
        session,
        actor=tiny.actors["deputy"],
        teacher_id=tiny.staff["russian"].id,
        date_from=D(2026, 10, 22),
        date_to=D(2026, 11, 6),
        substitute_id=tiny.staff["maths"].id,
    )
    assert done.count == 4
    m = tiny.staff["maths"].id
    assert substituted(session) == [
        (D(2026, 10, 22), 2, m),
        (D(2026, 10, 23), 1, m),
        (D(2026, 11, 5), 2, m),
        (D(2026, 11, 6), 1, m),
    ]
    listed = subs.list_substitutions(
        session, actor=tiny.actors["deputy"], date_from=D(2026, 10, 1), date_to=D(2026, 11, 30)
    )
    assert (listed[0].date, listed[0].teacher, listed[0].substitute) == (
        D(2026, 10, 22),
        "Смирнова А. П.",
        "Кузнецов И. О.",
    )
    assert len(listed) == 4


def test_one_lesson_by_teacher_day_and_number(session, tiny):
    """The page's «one lesson» form: Смирнова, 21 October, lesson 3 → only that lesson."""
    done = subs.set_substitute_range(
        session,
        actor=tiny.actors["deputy"],
        teacher_id=tiny.staff["russian"].id,
        date_from=D(2026, 10, 21),
        date_to=D(2026, 10, 21),
        number="3",
        substitute_id=tiny.staff["maths"].id,
    )
    assert done.count == 1
    assert substituted(session) == [(D(2026, 10, 21), 3, tiny.staff["maths"].id)]
    with pytest.raises(ValidationError, match=r"нет 2-го урока 21\.10\.2026"):
        subs.set_substitute_range(
            session,
            actor=tiny.actors["deputy"],
            teacher_id=tiny.staff["russian"].id,
            date_from=D(2026, 10, 21),
            date_to=D(2026, 10, 21),
            number=2,
            substitute_id=tiny.staff["maths"].id,
        )


def test_a_substitute_with_an_own_lesson_then_is_refused(session, tiny):
    """Лебедева has 1 «А» on Tuesday 1st: she cannot take 5 «А»'s Russian then, nothing
    is written; the whole range is refused too."""
    session.add(
        TimetableSlot(
            assignment_id=tiny.russian_1a.id or 0, weekday=2, number=1, valid_from=D(2026, 9, 1)
        )
    )
    session.commit()
    with pytest.raises(ValidationError) as e:
        one_lesson(session, tiny, substitute_id=tiny.staff["primary"].id)
    assert "свой урок" in e.value.message and "1 «А»" in e.value.message
    session.rollback()
    with pytest.raises(ValidationError):
        subs.set_substitute_range(
            session,
            actor=tiny.actors["deputy"],
            teacher_id=tiny.staff["russian"].id,
            date_from=D(2026, 10, 19),
            date_to=D(2026, 10, 23),
            substitute_id=tiny.staff["primary"].id,
        )
    session.rollback()
    assert substituted(session) == []
    assert session.exec(select(Lesson)).all() == []


def test_a_substitute_already_substituting_then_is_refused(session, tiny):
    """One person cannot substitute two lessons at the same time."""
    session.add(
        TimetableSlot(
            assignment_id=tiny.russian_1a.id or 0, weekday=2, number=1, valid_from=D(2026, 9, 1)
        )
    )
    session.commit()
    one_lesson(session, tiny)
    with pytest.raises(ValidationError, match="уже заменяет"):
        one_lesson(session, tiny, assignment_id=tiny.russian_1a.id)


def test_lessons_not_in_the_timetable_and_self_substitution_are_refused(session, tiny):
    """Tuesday 2nd has no Russian; a teacher cannot substitute herself; a holiday has no
    lessons."""
    with pytest.raises(ValidationError, match="по расписанию нет"):
        one_lesson(session, tiny, number=2)
    with pytest.raises(ValidationError, match="сам себя"):
        one_lesson(session, tiny, substitute_id=tiny.staff["russian"].id)
    with pytest.raises(ValidationError, match="по расписанию нет"):
        one_lesson(session, tiny, on=D(2026, 10, 27))
    assert substituted(session) == []


def test_removing_a_substitution_gives_the_lesson_back(session, tiny):
    """After «Отменить» the substitute no longer sees the lesson; the change is audited."""
    one_lesson(session, tiny)
    lesson = session.exec(select(Lesson)).one()
    subs.remove_substitute(session, actor=tiny.actors["deputy"], lesson_id=lesson.id)
    assert substituted(session) == []
    mine = list_teacher_lessons(session, actor=tiny.actors["maths"], on=TUESDAY)
    assert mine == []
    assert (
        len(
            session.exec(
                select(AuditLog).where(AuditLog.action == AuditAction.SUBSTITUTE_SET)
            ).all()
        )
        == 2
    )
    with pytest.raises(ValidationError):
        subs.remove_substitute(session, actor=tiny.actors["deputy"], lesson_id=lesson.id)


@pytest.mark.parametrize("who", ["russian", "maths", "class_teacher", "parent", "student"])
def test_forged_calls_change_nothing(session, tiny, who):
    """A teacher, a parent or a student cannot assign, cancel or list substitutions."""
    actor = tiny.actors[who]
    one_lesson(session, tiny, substitute_id=tiny.staff["class_teacher"].id)
    session.commit()
    before = substituted(session)
    lesson = session.exec(select(Lesson)).one()
    calls = [
        lambda: subs.set_substitute_lesson(
            session,
            actor=actor,
            assignment_id=tiny.russian_5a.id,
            on=D(2026, 10, 21),
            number=3,
            substitute_id=tiny.staff["maths"].id,
        ),
        lambda: subs.set_substitute_range(
            session,
            actor=actor,
            teacher_id=tiny.staff["russian"].id,
            date_from=D(2026, 10, 19),
            date_to=D(2026, 10, 23),
            substitute_id=tiny.staff["maths"].id,
        ),
        lambda: subs.remove_substitute(session, actor=actor, lesson_id=lesson.id),
        lambda: subs.list_substitutions(
            session, actor=actor, date_from=D(2026, 10, 1), date_to=D(2026, 10, 31)
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
        session.rollback()
    assert substituted(session) == before
