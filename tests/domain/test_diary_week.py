"""The diary's week: lessons, homework, marks, absences, remarks, holidays, subgroups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import Session

from ejournal.domain.diary.announcements import post_announcement
from ejournal.domain.diary.child import children_of, confirm_week
from ejournal.domain.diary.homework import safe_links
from ejournal.domain.diary.week import DiaryLesson, week
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import Audience
from tests.domain.diary_factories import A_MONDAY, Q1_END, World, build_world

pytestmark = pytest.mark.db

TUESDAY = A_MONDAY + dt.timedelta(days=1)


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


def _lessons(w: World, day: dt.date, student_id: int) -> list[DiaryLesson]:
    actor = w.anna_mother.actor
    diary = week(w.session, actor=actor, student_id=student_id, week_start=day, today=day)
    return next(d for d in diary.days if d.date == day).lessons


def test_children_of_a_parent_are_the_linked_children_with_their_class(world: World) -> None:
    """A parent sees exactly their own children, each with the class name."""
    kids = children_of(world.session, actor=world.anna_mother.actor)
    assert [(k.student_id, k.class_name) for k in kids] == [(world.anna.id, "5 «А»")]


def test_children_of_a_student_is_themself(world: World) -> None:
    """A student's diary list holds only themself."""
    kids = children_of(world.session, actor=world.anna.actor)
    assert [k.student_id for k in kids] == [world.anna.id]


def test_week_shows_a_lesson_with_time_topic_homework_and_teacher(world: World) -> None:
    """A held lesson shows its bell time, subject, room, teacher, topic, homework and links."""
    world.lesson(
        world.math_a,
        A_MONDAY,
        2,
        room="31",
        topic="Дроби",
        homework="§3, № 15",
        homework_links="https://resh.edu.ru/lesson/1\njavascript:alert(1)",
    )
    (lesson,) = _lessons(world, A_MONDAY, world.anna.id)
    assert (lesson.subject_name, lesson.room, lesson.topic, lesson.homework) == (
        "Математика",
        "31",
        "Дроби",
        "§3, № 15",
    )
    assert lesson.starts_at == dt.time(9, 25)
    assert lesson.teacher_name == "Числова М. И."
    assert lesson.homework_links == ["https://resh.edu.ru/lesson/1"]


def test_week_shows_marks_with_work_type_and_weight(world: World) -> None:
    """A mark carries its work type abbreviation, name and weight."""
    lesson = world.lesson(world.math_a, A_MONDAY, 1)
    world.mark(world.anna, lesson, 5, work_type=world.control)
    (row,) = _lessons(world, A_MONDAY, world.anna.id)
    (mark,) = row.marks
    assert (mark.value, mark.work_type_abbreviation, mark.weight) == (5, "К.р.", Decimal("2.00"))
    assert mark.work_type_name == "Контрольная работа"


def test_week_never_shows_a_classmates_mark(world: World) -> None:
    """Marks of another student in the same lesson stay out of the child's diary."""
    lesson = world.lesson(world.math_a, A_MONDAY, 1)
    world.mark(world.boris, lesson, 2)
    (row,) = _lessons(world, A_MONDAY, world.anna.id)
    assert row.marks == []


@pytest.mark.parametrize(
    ("status", "label"),
    [("absent", "н"), ("excused", "н (уважительная причина)"), ("late", "опоздание")],
)
def test_week_shows_absences_with_their_kind(world: World, status: str, label: str) -> None:
    """An absence shows as н, excused н, or lateness."""
    lesson = world.lesson(world.math_a, A_MONDAY, 1)
    world.absence(world.anna, lesson, status, reason="болезнь" if status == "excused" else "")
    (row,) = _lessons(world, A_MONDAY, world.anna.id)
    assert row.attendance is not None and row.attendance.label == label


def test_week_has_only_the_childs_own_subgroup_lessons(world: World) -> None:
    """Anna (English group 1) sees group 1's lesson and not group 2's in the same slot."""
    world.lesson(world.english_a1, A_MONDAY, 3, topic="Group one")
    world.lesson(world.english_a2, A_MONDAY, 3, topic="Group two")
    topics = [x.topic for x in _lessons(world, A_MONDAY, world.anna.id)]
    assert topics == ["Group one"]


def test_week_marks_cancelled_lessons(world: World) -> None:
    """A cancelled lesson is in the day but flagged as cancelled."""
    world.lesson(world.math_a, A_MONDAY, 1, cancelled=True)
    (row,) = _lessons(world, A_MONDAY, world.anna.id)
    assert row.cancelled


def test_week_shows_planned_timetable_lessons_not_yet_held(world: World) -> None:
    """A timetable slot without a lesson record appears as a planned lesson."""
    world.slot(world.russian_a, weekday=2, number=1, room="21")
    (row,) = _lessons(world, TUESDAY, world.anna.id)
    assert (row.subject_name, row.planned, row.lesson_id, row.room) == (
        "Русский язык",
        True,
        None,
        "21",
    )


def test_a_held_lesson_replaces_its_planned_slot(world: World) -> None:
    """When the lesson of a slot exists, the day lists it once, as held."""
    world.slot(world.russian_a, weekday=2, number=1)
    world.lesson(world.russian_a, TUESDAY, 1, topic="Имя существительное")
    rows = _lessons(world, TUESDAY, world.anna.id)
    assert [(r.topic, r.planned) for r in rows] == [("Имя существительное", False)]


def test_week_flags_today_and_holidays(world: World) -> None:
    """Today is flagged; a holiday day carries the holiday's name and no planned lessons."""
    world.slot(world.math_a, weekday=1, number=1)
    holiday_monday = dt.date(2026, 10, 26)
    diary = week(
        world.session,
        actor=world.anna.actor,
        student_id=world.anna.id,
        week_start=holiday_monday,
        today=holiday_monday + dt.timedelta(days=2),
    )
    assert [d.is_today for d in diary.days] == [False, False, True, False, False]
    assert diary.days[0].holiday == "Осенние каникулы"
    assert diary.days[0].lessons == []


def test_week_follows_the_schools_days_per_week(session: Session) -> None:
    """A six-day school shows Monday to Saturday."""
    w = build_world(session, days_per_week=6)
    diary = week(session, actor=w.anna.actor, student_id=w.anna.id, week_start=A_MONDAY)
    assert [d.weekday_name for d in diary.days][-1] == "Суббота"
    assert len(diary.days) == 6


def test_week_starts_on_monday_whatever_day_is_asked(world: World) -> None:
    """Asking for a Wednesday gives the week from its Monday, with links to the neighbours."""
    diary = week(
        world.session,
        actor=world.anna.actor,
        student_id=world.anna.id,
        week_start=A_MONDAY + dt.timedelta(days=2),
    )
    assert (diary.week_start, diary.prev_week_start, diary.next_week_start) == (
        A_MONDAY,
        A_MONDAY - dt.timedelta(days=7),
        A_MONDAY + dt.timedelta(days=7),
    )


def test_week_shows_remarks_on_their_day(world: World) -> None:
    """A remark written at a lesson appears on that lesson's day."""
    lesson = world.lesson(world.math_a, TUESDAY, 1)
    world.remark(world.anna, "Забыла тетрадь", lesson=lesson)
    diary = week(
        world.session, actor=world.anna.actor, student_id=world.anna.id, week_start=A_MONDAY
    )
    by_day = {d.date: [r.text for r in d.remarks] for d in diary.days}
    assert by_day[TUESDAY] == ["Забыла тетрадь"]
    assert by_day[A_MONDAY] == []


def test_week_includes_the_classes_announcements(world: World) -> None:
    """An announcement for the child's class active during the week is in the week."""
    post_announcement(
        world.session,
        actor=world.class_teacher_a.actor,
        audience=Audience.CLASS,
        class_id=world.class_a.id,
        title="Экскурсия",
        body="В пятницу едем в музей.",
        starts_on=A_MONDAY,
        ends_on=A_MONDAY + dt.timedelta(days=4),
    )
    diary = week(
        world.session, actor=world.anna.actor, student_id=world.anna.id, week_start=A_MONDAY
    )
    assert [a.title for a in diary.announcements] == ["Экскурсия"]


def test_week_shows_whether_the_parent_confirmed_it(world: World) -> None:
    """After «Ознакомлен» the parent's week says it is confirmed."""
    mother = world.anna_mother
    kwargs = {"actor": mother.actor, "student_id": world.anna.id, "week_start": A_MONDAY}
    assert not week(world.session, **kwargs, today=Q1_END).confirmed  # type: ignore[arg-type]
    confirm_week(world.session, **kwargs, today=Q1_END)  # type: ignore[arg-type]
    assert week(world.session, **kwargs, today=Q1_END).confirmed  # type: ignore[arg-type]


def test_week_of_another_familys_child_is_refused(world: World) -> None:
    """A parent asking for another family's child gets PermissionDenied."""
    with pytest.raises(PermissionDenied):
        week(
            world.session,
            actor=world.anna_mother.actor,
            student_id=world.victor.id,
            week_start=A_MONDAY,
        )


def test_week_reads_a_fixed_number_of_queries(world: World) -> None:
    """The week costs the same number of queries with one lesson or with twenty (no N+1)."""

    def count_queries() -> int:
        counter = {"n": 0}

        def inc(*_args: object) -> None:
            counter["n"] += 1

        engine = world.session.get_bind()
        event.listen(engine, "before_cursor_execute", inc)
        try:
            week(
                world.session, actor=world.anna.actor, student_id=world.anna.id, week_start=A_MONDAY
            )
        finally:
            event.remove(engine, "before_cursor_execute", inc)
        return counter["n"]

    world.mark(world.anna, world.lesson(world.math_a, A_MONDAY, 1), 5)
    few = count_queries()
    for day in range(5):
        for number in (2, 3, 4, 5):
            lesson = world.lesson(world.math_a, A_MONDAY + dt.timedelta(days=day), number)
            world.mark(world.anna, lesson, 4)
            world.absence(world.anna, lesson, "late")
    assert count_queries() == few


def test_safe_links_keep_only_web_addresses() -> None:
    """Homework links other than http(s) are dropped, so nothing unsafe becomes clickable."""
    assert safe_links("https://a.ru/x\n  http://b.ru \nftp://c\njavascript:alert(1)\n") == [
        "https://a.ru/x",
        "http://b.ru",
    ]
