"""Homework on the day it is due: the week lists it under the lesson it is for, «на завтра»
says what to do for the next school day, and the teacher may pick another day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from ejournal.domain.audit.chain import AuditEntity
from ejournal.domain.diary.homework import homework_due
from ejournal.domain.diary.week import DiaryDay, week
from ejournal.domain.errors import ValidationError
from ejournal.domain.journal.write import set_lesson_details
from ejournal.domain.models import AuditLog, Lesson
from tests.domain.diary_factories import A_MONDAY, World, build_world

pytestmark = pytest.mark.db

TUESDAY = A_MONDAY + dt.timedelta(days=1)
WEDNESDAY = A_MONDAY + dt.timedelta(days=2)
THURSDAY = A_MONDAY + dt.timedelta(days=3)
FRIDAY = A_MONDAY + dt.timedelta(days=4)


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


def _days(w: World, monday: dt.date = A_MONDAY) -> dict[dt.date, DiaryDay]:
    diary = week(
        w.session, actor=w.anna_mother.actor, student_id=w.anna.id, week_start=monday, today=monday
    )
    return {d.date: d for d in diary.days}


def _due_texts(day: DiaryDay) -> list[tuple[str, str, str]]:
    """(subject, homework, origin) of what the day's lessons list as due."""
    return [(lesson.subject_name, h.text, h.origin) for lesson in day.lessons for h in lesson.due]


def test_homework_is_listed_under_the_next_lesson_of_the_subject(world: World) -> None:
    """Maths homework set on Monday is read under Wednesday's maths lesson, «задано на уроке
    14.09»; Tuesday's Russian lesson has nothing due."""
    world.lesson(world.math_a, A_MONDAY, 1, homework="§3, № 15")
    world.lesson(world.russian_a, TUESDAY, 1)
    world.lesson(world.math_a, WEDNESDAY, 2)
    days = _days(world)
    assert _due_texts(days[WEDNESDAY]) == [("Математика", "§3, № 15", "задано на уроке 14.09")]
    assert _due_texts(days[TUESDAY]) == []
    assert _due_texts(days[A_MONDAY]) == []
    (monday_lesson,) = days[A_MONDAY].lessons
    assert monday_lesson.homework_due_on == WEDNESDAY


def test_homework_for_a_lesson_not_yet_created_goes_to_the_next_timetable_slot(
    world: World,
) -> None:
    """With no later maths lesson recorded, Thursday's planned maths slot shows the homework:
    a future day says what is due, not only «по расписанию»."""
    world.slot(world.math_a, weekday=4, number=3)
    world.lesson(world.math_a, A_MONDAY, 1, homework="Выучить таблицу")
    days = _days(world)
    (planned,) = days[THURSDAY].lessons
    assert planned.planned
    assert [h.text for h in planned.due] == ["Выучить таблицу"]


def test_a_cancelled_lesson_is_skipped(world: World) -> None:
    """The homework waits for the next lesson actually held, not a cancelled one."""
    world.lesson(world.math_a, A_MONDAY, 1, homework="№ 20")
    world.lesson(world.math_a, WEDNESDAY, 1, cancelled=True)
    world.lesson(world.math_a, FRIDAY, 1)
    days = _days(world)
    assert _due_texts(days[WEDNESDAY]) == []
    assert [h.text for h in days[FRIDAY].lessons[0].due] == ["№ 20"]


def test_homework_set_before_the_holidays_is_due_after_them(world: World) -> None:
    """Homework of Friday 23 October is due at the first Monday maths slot after the autumn
    holidays (26 October – 4 November): 9 November."""
    world.slot(world.math_a, weekday=1, number=1)
    world.lesson(world.math_a, dt.date(2026, 10, 23), 1, homework="Сочинение")
    holiday_week = _days(world, dt.date(2026, 10, 26))
    assert all(not d.lessons for d in holiday_week.values())
    after = _days(world, dt.date(2026, 11, 9))
    assert [h.text for h in after[dt.date(2026, 11, 9)].lessons[0].due] == ["Сочинение"]


def test_a_day_chosen_by_the_teacher_wins_over_the_next_lesson(world: World) -> None:
    """Homework due on Friday (chosen) skips Wednesday's maths lesson and is read on Friday."""
    world.lesson(world.math_a, A_MONDAY, 1, homework="Проект", homework_due_on=FRIDAY)
    world.lesson(world.math_a, WEDNESDAY, 1)
    world.lesson(world.math_a, FRIDAY, 2)
    days = _days(world)
    assert _due_texts(days[WEDNESDAY]) == []
    assert _due_texts(days[FRIDAY]) == [("Математика", "Проект", "задано на уроке 14.09")]


def test_a_chosen_day_without_a_lesson_of_the_subject_is_still_shown(world: World) -> None:
    """Due on Thursday with no maths that day: the day lists it apart, with the subject."""
    world.lesson(world.math_a, A_MONDAY, 1, homework="Принести циркуль", homework_due_on=THURSDAY)
    world.lesson(world.russian_a, THURSDAY, 1)
    day = _days(world)[THURSDAY]
    assert _due_texts(day) == []
    assert [(h.subject_name, h.text) for h in day.due_elsewhere] == [
        ("Математика", "Принести циркуль")
    ]


def test_another_subgroups_homework_is_not_the_childs(world: World) -> None:
    """Anna (English group 1) reads her group's homework, not group 2's."""
    world.lesson(world.english_a1, A_MONDAY, 3, homework="Unit 1")
    world.lesson(world.english_a2, A_MONDAY, 3, homework="Unit 7")
    world.lesson(world.english_a1, WEDNESDAY, 3)
    world.lesson(world.english_a2, WEDNESDAY, 3)
    assert [t for _s, t, _o in _due_texts(_days(world)[WEDNESDAY])] == ["Unit 1"]


def test_tomorrow_lists_what_is_due_in_the_order_of_the_lessons(world: World) -> None:
    """On Monday «на завтра» is Tuesday: Russian (1st lesson) before maths (3rd)."""
    world.lesson(world.math_a, A_MONDAY - dt.timedelta(days=3), 1, homework="№ 7")
    world.lesson(world.russian_a, A_MONDAY, 2, homework="Упр. 12")
    world.lesson(world.math_a, TUESDAY, 3)
    world.lesson(world.russian_a, TUESDAY, 1)
    due = homework_due(
        world.session, actor=world.anna_mother.actor, student_id=world.anna.id, today=A_MONDAY
    )
    assert due.date == TUESDAY
    assert [(h.subject_name, h.text, h.origin) for h in due.items] == [
        ("Русский язык", "Упр. 12", "задано на уроке 14.09"),
        ("Математика", "№ 7", "задано на уроке 11.09"),
    ]


def test_tomorrow_on_a_friday_is_monday(world: World) -> None:
    """After Friday the next school day is Monday, with Friday's homework for it."""
    world.slot(world.math_a, weekday=1, number=1)
    world.lesson(world.math_a, FRIDAY, 1, homework="№ 99")
    due = homework_due(
        world.session, actor=world.anna.actor, student_id=world.anna.id, today=FRIDAY
    )
    assert due.date == A_MONDAY + dt.timedelta(days=7)
    assert [h.text for h in due.items] == ["№ 99"]


def test_no_homework_recorded_as_such_says_so_on_the_day(world: World) -> None:
    """«Не задано» at Monday's lesson reads «не задано» under Wednesday's lesson."""
    world.lesson(world.math_a, A_MONDAY, 1, homework_none=True)
    world.lesson(world.math_a, WEDNESDAY, 1)
    (h,) = _days(world)[WEDNESDAY].lessons[0].due
    assert (h.text, h.none) == ("", True)


def test_the_week_with_homework_reads_a_fixed_number_of_queries(world: World) -> None:
    """Homework on every lesson costs no extra query per lesson."""

    def count() -> int:
        n = {"q": 0}

        def inc(*_a: object) -> None:
            n["q"] += 1

        engine = world.session.get_bind()
        event.listen(engine, "before_cursor_execute", inc)
        try:
            _days(world)
        finally:
            event.remove(engine, "before_cursor_execute", inc)
        return n["q"]

    world.lesson(world.math_a, A_MONDAY, 1, homework="1")
    few = count()
    for i in range(5):
        for number in (2, 3, 4):
            world.lesson(world.math_a, A_MONDAY + dt.timedelta(days=i), number, homework="x")
            world.lesson(world.russian_a, A_MONDAY + dt.timedelta(days=i), number + 3, homework="y")
    assert count() == few


# --------------------------------------------------------------------------- the teacher


def _save_due(w: World, lesson: Lesson, due: dt.date | None, *, back: bool = False) -> None:
    assert lesson.id is not None
    set_lesson_details(
        w.session,
        actor=w.math_teacher.actor,
        lesson_id=lesson.id,
        expected_version=lesson.version,
        homework="§ 5",
        homework_due_on=due,
        homework_due_next=back,
        now=dt.datetime(2026, 9, 14, 12, 0, tzinfo=dt.UTC),
    )


def test_the_teacher_picks_a_due_day_and_it_is_audited(world: World) -> None:
    """The chosen day is stored, moves the homework in the diary and is in the audit."""
    lesson = world.lesson(world.math_a, A_MONDAY, 1)
    world.lesson(world.math_a, WEDNESDAY, 1)
    _save_due(world, lesson, FRIDAY)
    assert lesson.homework_due_on == FRIDAY
    days = _days(world)
    assert _due_texts(days[WEDNESDAY]) == []
    assert [h.text for h in days[FRIDAY].due_elsewhere] == ["§ 5"]
    entry = world.session.exec(
        select(AuditLog).where(
            AuditLog.entity == AuditEntity.LESSON, AuditLog.entity_id == lesson.id
        )
    ).one()
    assert '"homework_due_on":"2026-09-18"' in entry.after


def test_a_due_day_before_the_lesson_is_refused(world: World) -> None:
    """Homework cannot be due before the lesson that set it."""
    lesson = world.lesson(world.math_a, A_MONDAY, 1)
    with pytest.raises(ValidationError, match="раньше урока"):
        _save_due(world, lesson, A_MONDAY - dt.timedelta(days=1))
    assert lesson.homework_due_on is None


def test_the_teacher_gives_the_homework_back_to_the_next_lesson(world: World) -> None:
    """Clearing the chosen day makes the homework due at the next lesson again."""
    lesson = world.lesson(world.math_a, A_MONDAY, 1)
    world.lesson(world.math_a, WEDNESDAY, 1)
    _save_due(world, lesson, FRIDAY)
    _save_due(world, lesson, None, back=True)
    assert lesson.homework_due_on is None
    assert [h.text for h in _days(world)[WEDNESDAY].lessons[0].due] == ["§ 5"]
