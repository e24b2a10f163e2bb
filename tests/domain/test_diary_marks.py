"""Marks by subject (averages, anonymous class spread, trend), period marks' publication, remarks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session

from ejournal.domain.diary.child import (
    SPREAD_MIN_STUDENTS,
    SubjectSummary,
    period_marks,
    remarks,
    spread_buckets,
    subject_marks,
    trend_points,
)
from ejournal.domain.errors import NotFound
from ejournal.domain.grading import weighted_average
from ejournal.domain.models import School
from tests.domain.diary_factories import Q1_END, Q1_START, World, build_world

pytestmark = pytest.mark.db
D = Decimal


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


def _summary(w: World, subject_id: int | None = None) -> SubjectSummary:
    rows = subject_marks(
        w.session, actor=w.anna_mother.actor, student_id=w.anna.id, period_id=w.q1.id or 0
    )
    return next(r for r in rows if r.subject_id == (subject_id or w.math.id))


def test_subject_average_is_the_weighted_average_of_the_childs_marks(world: World) -> None:
    """A control work weighs as the school set it: 5 (К.р., weight 2) and 2 give 4.00."""
    world.marks_on(world.anna, world.math_a, [5], work_type=world.control)
    world.marks_on(world.anna, world.math_a, [2], start=Q1_START + dt.timedelta(days=1))
    summary = _summary(world)
    assert summary.average == weighted_average([(5, D(2)), (2, D(1))])
    assert summary.average == D("4.00")
    assert summary.suggested_mark == 4


def test_subject_marks_list_each_mark_with_date_work_type_and_weight(world: World) -> None:
    """Each mark shows its date, work type and weight, oldest first."""
    world.marks_on(world.anna, world.math_a, [4, 5], work_type=world.independent)
    summary = _summary(world)
    assert [(m.date, m.value, m.work_type_abbreviation, m.weight) for m in summary.marks] == [
        (Q1_START, 4, "С.р.", D("1.50")),
        (Q1_START + dt.timedelta(days=1), 5, "С.р.", D("1.50")),
    ]


def test_subject_marks_leave_out_subjects_taught_without_marks(world: World) -> None:
    """Music (безотметочный) has no row in marks by subject."""
    rows = subject_marks(
        world.session, actor=world.anna.actor, student_id=world.anna.id, period_id=world.q1.id or 0
    )
    assert "Музыка" not in [r.subject_name for r in rows]
    assert "Математика" in [r.subject_name for r in rows]


def test_subject_marks_ignore_marks_outside_the_period(world: World) -> None:
    """A mark of the second quarter does not change the first quarter's average."""
    world.marks_on(world.anna, world.math_a, [5])
    world.marks_on(world.anna, world.math_a, [2], start=world.q2.starts_on)
    assert _summary(world).average == D("5.00")


def test_class_spread_counts_students_per_range_and_shows_the_childs(world: World) -> None:
    """The spread counts classmates' averages in ranges and marks the child's own range."""
    world.marks_on(world.anna, world.math_a, [5, 5])
    world.marks_on(world.boris, world.math_a, [2, 2])
    for mate, value in zip(world.classmates, [3, 4, 4, 5, 5], strict=True):
        world.marks_on(mate, world.math_a, [value])
    spread = _summary(world).spread
    assert spread is not None
    assert [(b.mark, b.count, b.is_child) for b in spread] == [
        (2, 1, False),
        (3, 1, False),
        (4, 2, False),
        (5, 3, True),
    ]


def test_class_spread_is_hidden_when_too_few_students_have_marks(world: World) -> None:
    """With fewer students than the anonymity minimum the spread is not shown at all."""
    world.marks_on(world.anna, world.math_a, [5])
    world.marks_on(world.boris, world.math_a, [2])
    assert SPREAD_MIN_STUDENTS > 2
    assert _summary(world).spread is None


def test_class_spread_holds_no_names_or_marks() -> None:
    """A spread bucket carries a range, a count and the child flag — nothing about anyone else."""
    school = School(name="x", short_name="x")
    buckets = spread_buckets([D("4.2")] * SPREAD_MIN_STUDENTS, D("4.2"), school)
    assert buckets is not None
    assert set(vars(buckets[0])) == {"label", "mark", "count", "is_child"}


def test_trend_is_the_cumulative_average_at_the_end_of_each_week() -> None:
    """Two weeks of marks give two points: the week's closing cumulative average."""
    monday = dt.date(2026, 9, 14)
    points = trend_points(
        [
            (monday, 5, D(1)),
            (monday + dt.timedelta(days=2), 3, D(1)),
            (monday + dt.timedelta(days=7), 2, D(2)),
        ]
    )
    assert [(p.week_start, p.average) for p in points] == [
        (monday, D("4.00")),
        (monday + dt.timedelta(days=7), D("3.00")),
    ]


def test_subject_marks_of_an_unknown_period_is_not_found(world: World) -> None:
    """A period id from no year of the child's school is refused as not found."""
    with pytest.raises(NotFound):
        subject_marks(
            world.session, actor=world.anna.actor, student_id=world.anna.id, period_id=10**9
        )


# --------------------------------------------------------------------------- publication


def _published(w: World, today: dt.date) -> list[str]:
    return [
        p.name
        for p in period_marks(w.session, actor=w.anna_mother.actor, student_id=w.anna.id, now=today)
    ]


def test_period_marks_are_hidden_on_the_last_day_of_the_period(world: World) -> None:
    """On the period's last day (publish after 1 day) families do not see its marks yet."""
    world.period_mark(world.anna, world.math, world.q1, 5)
    assert _published(world, Q1_END) == []


def test_period_marks_are_shown_publish_days_after_the_period_ends(world: World) -> None:
    """The day after the end (the default setting) the quarter and its marks appear."""
    world.period_mark(world.anna, world.math, world.q1, 5)
    (period,) = period_marks(
        world.session,
        actor=world.anna_mother.actor,
        student_id=world.anna.id,
        now=Q1_END + dt.timedelta(days=1),
    )
    assert period.name == "1 четверть"
    assert [(m.subject_name, m.label) for m in period.marks] == [("Математика", "5")]


def test_period_mark_publication_follows_the_schools_setting(world: World) -> None:
    """With three publish days the marks appear on day three, not on day two."""
    world.school.period_mark_publish_days = 3
    world.session.add(world.school)
    world.session.flush()
    assert _published(world, Q1_END + dt.timedelta(days=2)) == []
    assert _published(world, Q1_END + dt.timedelta(days=3)) == ["1 четверть"]


def test_period_marks_accept_an_aware_now_in_the_schools_time_zone(world: World) -> None:
    """21:30 UTC on the last day is already the next day in Moscow: published."""
    late = dt.datetime.combine(Q1_END, dt.time(21, 30), tzinfo=dt.UTC)
    assert _published(world, late) == ["1 четверть"]


def test_period_marks_show_only_the_childs_marks(world: World) -> None:
    """A classmate's period mark is not in the child's list."""
    world.period_mark(world.boris, world.math, world.q1, 3)
    (period,) = period_marks(
        world.session,
        actor=world.anna.actor,
        student_id=world.anna.id,
        now=Q1_END + dt.timedelta(days=5),
    )
    assert period.marks == []


# --------------------------------------------------------------------------- remarks


def test_remarks_list_the_childs_remarks_and_praise_newest_first(world: World) -> None:
    """Remarks and praise come newest first with the author's short name."""
    world.remark(world.anna, "Забыла форму")
    world.remark(world.anna, "Отлично выступила", kind="praise")
    world.remark(world.boris, "Чужое замечание")
    rows = remarks(world.session, actor=world.anna_mother.actor, student_id=world.anna.id)
    assert [(r.text, r.is_praise) for r in rows] == [
        ("Отлично выступила", True),
        ("Забыла форму", False),
    ]
    assert rows[0].author_name == "Числова М. И."


def test_remarks_since_leave_out_older_ones(world: World) -> None:
    """`since` keeps only remarks written at or after that moment."""
    old = world.remark(world.anna, "Давнее")
    old.created_at = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    world.session.add(old)
    fresh = world.remark(world.anna, "Свежее")
    fresh.created_at = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
    world.session.add(fresh)
    world.session.flush()
    rows = remarks(
        world.session, actor=world.anna.actor, student_id=world.anna.id, since=dt.date(2026, 10, 1)
    )
    assert [r.text for r in rows] == ["Свежее"]
