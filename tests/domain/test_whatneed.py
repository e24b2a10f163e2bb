"""«Что нужно»: the fewest further marks that reach a target period mark, or "impossible"."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.forecast.need import (
    NeedResult,
    Thresholds,
    WorkOption,
    plan_marks,
    reaches,
    what_do_i_need,
)
from ejournal.domain.models import Holiday
from tests.domain.diary_factories import World, build_world

D = Decimal
DEFAULT = Thresholds(D("4.50"), D("3.50"), D("2.50"))


def answer(available: int) -> WorkOption:
    return WorkOption(1, "Ответ на уроке", "", D(1), available)


def control(available: int) -> WorkOption:
    return WorkOption(2, "Контрольная работа", "К.р.", D(2), available)


def independent(available: int) -> WorkOption:
    return WorkOption(3, "Самостоятельная работа", "С.р.", D("1.5"), available)


# --------------------------------------------------------------------------- the pure core


def test_one_five_lifts_two_threes_to_a_four() -> None:
    """3, 3 and one more 5 average 3.67, which rounds to 4."""
    plan = plan_marks(
        [(3, D(1))] * 2, target=4, options=[answer(10)], lessons_left=10, thresholds=DEFAULT
    )
    assert plan is not None
    assert [(s.option.name, s.value, s.count) for s in plan.steps] == [("Ответ на уроке", 5, 1)]


def test_control_works_beat_more_answers_when_they_weigh_more() -> None:
    """Four 2s need four 5s as answers but only two 5s for control works of weight 2."""
    current = [(2, D(1))] * 4
    answers_only = plan_marks(
        current, target=4, options=[answer(10)], lessons_left=10, thresholds=DEFAULT
    )
    with_control = plan_marks(
        current, target=4, options=[answer(10), control(2)], lessons_left=10, thresholds=DEFAULT
    )
    assert answers_only is not None and answers_only.total == 4
    assert with_control is not None
    assert [(s.option.abbreviation, s.value, s.count) for s in with_control.steps] == [
        ("К.р.", 5, 2)
    ]
    assert with_control.steps[0].text == "2 × «5» за К.р."


def test_the_plan_asks_for_the_lowest_mark_that_suffices() -> None:
    """3, 3, 4 plus a single 4 average 3.50: a 4 is enough, no 5 is asked for."""
    plan = plan_marks(
        [(3, D(1)), (3, D(1)), (4, D(1))],
        target=4,
        options=[answer(5)],
        lessons_left=5,
        thresholds=DEFAULT,
    )
    assert plan is not None
    assert [(s.value, s.count) for s in plan.steps] == [(4, 1)]


def test_the_plan_prefers_an_ordinary_answer_when_a_control_work_is_not_needed() -> None:
    """When one answer suffices as well as one control work, the answer is proposed."""
    plan = plan_marks(
        [(3, D(1)), (3, D(1)), (4, D(1))],
        target=4,
        options=[answer(5), control(1)],
        lessons_left=5,
        thresholds=DEFAULT,
    )
    assert plan is not None
    assert [s.option.name for s in plan.steps] == ["Ответ на уроке"]


def test_a_reached_target_needs_nothing() -> None:
    """An average already at the threshold gives an empty plan."""
    plan = plan_marks(
        [(5, D(1)), (4, D(1))], target=5, options=[answer(3)], lessons_left=3, thresholds=DEFAULT
    )
    assert plan is not None and plan.steps == ()


def test_impossible_when_even_fives_in_every_lesson_left_fall_short() -> None:
    """Ten 2s and two lessons left cannot make a 5."""
    plan = plan_marks(
        [(2, D(1))] * 10, target=5, options=[answer(2)], lessons_left=2, thresholds=DEFAULT
    )
    assert plan is None


def test_no_more_marks_than_lessons_left() -> None:
    """Heavier works still take a lesson each: two lessons hold at most two marks."""
    plan = plan_marks(
        [(2, D(1))] * 4,
        target=4,
        options=[answer(2), control(5)],
        lessons_left=1,
        thresholds=DEFAULT,
    )
    assert plan is None


def _all_plans_of(
    options: list[WorkOption], lessons_left: int, size: int
) -> Iterator[list[tuple[int, Decimal]]]:
    caps = [min(o.available, lessons_left) for o in options]
    for counts in itertools.product(*(range(c + 1) for c in caps)):
        if sum(counts) == size:
            yield [(5, o.weight) for o, c in zip(options, counts, strict=True) for _ in range(c)]


marks_st = st.lists(
    st.tuples(st.integers(1, 5), st.sampled_from([D(1), D("1.5"), D(2)])), max_size=8
)


@settings(max_examples=150, deadline=None)
@given(
    current=marks_st,
    target=st.integers(3, 5),
    lessons_left=st.integers(0, 7),
    n_control=st.integers(0, 3),
    n_independent=st.integers(0, 3),
)
def test_plan_reaches_the_target_and_no_smaller_plan_exists(
    current: list[tuple[int, Decimal]],
    target: int,
    lessons_left: int,
    n_control: int,
    n_independent: int,
) -> None:
    """Any plan found reaches the threshold within the lessons left, and no plan with fewer marks does."""
    options = [answer(lessons_left), control(n_control), independent(n_independent)]
    plan = plan_marks(
        current, target=target, options=options, lessons_left=lessons_left, thresholds=DEFAULT
    )
    if plan is None:
        for size in range(lessons_left + 1):
            for extra in _all_plans_of(options, lessons_left, size):
                assert not reaches(current, extra, target, DEFAULT)
        return
    assert reaches(current, plan.marks(), target, DEFAULT)
    assert plan.total <= lessons_left
    for step in plan.steps:
        assert step.count <= step.option.available
    # Fives are the best any mark can do, so checking fives covers every smaller plan.
    for size in range(plan.total):
        for extra in _all_plans_of(options, lessons_left, size):
            assert not reaches(current, extra, target, DEFAULT)


# --------------------------------------------------------------------------- the service

WEDNESDAY = dt.date(2026, 10, 14)  # lessons left in the quarter: Fri 16, Mon 19, Wed 21, Fri 23


@pytest.fixture()
def world(session: Session) -> World:
    w = build_world(session)
    for weekday in (1, 3, 5):
        w.slot(w.math_a, weekday, 1)
    w.marks_on(w.anna, w.math_a, [2, 2, 2, 2])
    return w


def _need(
    w: World, target: int, *, student_id: int | None = None, subject_id: int | None = None
) -> NeedResult:
    return what_do_i_need(
        w.session,
        actor=w.anna_mother.actor,
        student_id=student_id or w.anna.id,
        subject_id=subject_id or w.math.id or 0,
        period_id=w.q1.id or 0,
        target=target,
        today=WEDNESDAY,
    )


@pytest.mark.db
def test_need_counts_the_lessons_left_by_the_timetable(world: World) -> None:
    """Mon/Wed/Fri maths from a Wednesday to the quarter's end leaves four lessons."""
    assert _need(world, 4).lessons_left == 4


@pytest.mark.db
def test_need_leaves_holidays_out_of_the_lessons_left(world: World) -> None:
    """Days off inside the period hold no lessons."""
    world.session.add(
        Holiday(
            year_id=world.year.id or 0,
            name="Карантин",
            starts_on=dt.date(2026, 10, 19),
            ends_on=dt.date(2026, 10, 20),
        )
    )
    world.session.flush()
    assert _need(world, 4).lessons_left == 3


@pytest.mark.db
def test_need_leaves_cancelled_lessons_out(world: World) -> None:
    """A lesson already cancelled for a future date is not a chance for a mark."""
    world.lesson(world.math_a, dt.date(2026, 10, 16), 1, cancelled=True)
    assert _need(world, 4).lessons_left == 3


@pytest.mark.db
def test_need_uses_answers_when_no_control_work_is_planned(world: World) -> None:
    """Without a planned control work, four 2s need four 5s for answers in class."""
    result = _need(world, 4)
    assert result.reachable and result.total_marks == 4
    assert result.message == "Нужно ещё: 4 × «5» за ответ на уроке."


@pytest.mark.db
def test_need_uses_control_works_planned_in_the_ktp(world: World) -> None:
    """Two control works planned in the КТП for the rest of the quarter make two 5s enough."""
    world.plan_item(world.math_a, dt.date(2026, 10, 21), world.control)
    world.plan_item(world.math_a, dt.date(2026, 10, 23), world.control)
    result = _need(world, 4)
    assert result.message == "Нужно ещё: 2 × «5» за К.р."
    assert (
        result.resulting_average is not None and result.resulting_average >= world.school.round_to_4
    )


@pytest.mark.db
def test_need_ignores_control_works_planned_before_today(world: World) -> None:
    """A control work planned for a past date is no chance any more."""
    world.plan_item(world.math_a, dt.date(2026, 10, 12), world.control)
    assert _need(world, 4).total_marks == 4


@pytest.mark.db
def test_need_says_impossible_in_plain_words(world: World) -> None:
    """Four 2s and four lessons left cannot make a 5: the answer says so."""
    result = _need(world, 5)
    assert not result.reachable
    assert result.message.startswith("Невозможно в этой четверти")


@pytest.mark.db
def test_need_reports_a_reached_target(world: World) -> None:
    """A target at or below the current suggested mark is already reached."""
    world.marks_on(world.anna, world.math_a, [5, 5, 5, 5, 5, 5, 5, 5], start=dt.date(2026, 9, 7))
    result = _need(world, 3)
    assert result.already_reached and result.message.startswith("Цель уже достигнута")


@pytest.mark.db
def test_need_refuses_targets_other_than_three_to_five(world: World) -> None:
    """A target of 2 or 6 is refused with a Russian message."""
    with pytest.raises(ValidationError, match="3, 4 или 5"):
        _need(world, 6)


@pytest.mark.db
def test_need_refuses_subjects_without_marks(world: World) -> None:
    """Music has no marks, so there is nothing to compute."""
    with pytest.raises(ValidationError):
        _need(world, 4, subject_id=world.music.id)


@pytest.mark.db
def test_need_for_another_familys_child_is_refused(world: World) -> None:
    """A forged call with another family's child's id raises PermissionDenied."""
    with pytest.raises(PermissionDenied):
        _need(world, 4, student_id=world.victor.id, subject_id=world.math.id)
