"""Access: every diary service refuses another family's child; «Ознакомлен» confirmations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import Session, func, select

from ejournal.domain import diary, forecast
from ejournal.domain.diary import announcements, extract_pdf, messages
from ejournal.domain.diary import week as diary_week
from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import MessageThread, WeekAcknowledgement
from ejournal.domain.permissions import Actor
from tests.domain.diary_factories import A_MONDAY, Q1_END, World, build_world

pytestmark = pytest.mark.db


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


Call = Callable[[World, Actor, int], Any]

#: Every diary service that takes a child, called for `student_id` as `actor`.
SERVICES: dict[str, Call] = {
    "week": lambda w, a, sid: diary_week.week(
        w.session, actor=a, student_id=sid, week_start=A_MONDAY
    ),
    "subject_marks": lambda w, a, sid: diary.subject_marks(
        w.session, actor=a, student_id=sid, period_id=w.q1.id or 0
    ),
    "period_marks": lambda w, a, sid: diary.period_marks(
        w.session, actor=a, student_id=sid, now=Q1_END + dt.timedelta(days=5)
    ),
    "what_do_i_need": lambda w, a, sid: forecast.what_do_i_need(
        w.session,
        actor=a,
        student_id=sid,
        subject_id=w.math.id or 0,
        period_id=w.q1.id or 0,
        target=4,
        today=A_MONDAY,
    ),
    "remarks": lambda w, a, sid: diary.remarks(w.session, actor=a, student_id=sid),
    "announcements_for": lambda w, a, sid: announcements.announcements_for(
        w.session, actor=a, student_id=sid, on=A_MONDAY
    ),
    "allowed_recipients": lambda w, a, sid: messages.allowed_recipients(
        w.session, actor=a, student_id=sid
    ),
    "start_thread": lambda w, a, sid: messages.start_thread(
        w.session,
        actor=a,
        student_id=sid,
        recipient_user_ids=[w.outsider_teacher.user_id],
        subject="Тема",
        body="Текст",
    ),
    "confirm_week": lambda w, a, sid: diary.confirm_week(
        w.session, actor=a, student_id=sid, week_start=A_MONDAY, today=Q1_END
    ),
    "period_extract_pdf": lambda w, a, sid: extract_pdf.period_extract_pdf(
        w.session, actor=a, student_id=sid, period_id=w.q1.id or 0
    ),
}


def _writes(session: Session) -> tuple[int, int]:
    threads = session.exec(select(func.count()).select_from(MessageThread)).one()
    acks = session.exec(select(func.count()).select_from(WeekAcknowledgement)).one()
    return threads, acks


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_parent_is_refused_another_familys_child(world: World, service: str) -> None:
    """Each diary service called by Anna's mother with Victor's id raises PermissionDenied and writes nothing."""
    before = _writes(world.session)
    with pytest.raises(PermissionDenied):
        SERVICES[service](world, world.anna_mother.actor, world.victor.id)
    assert _writes(world.session) == before


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_student_is_refused_a_classmates_diary(world: World, service: str) -> None:
    """Each diary service called by Anna with her classmate Boris's id raises PermissionDenied."""
    with pytest.raises(PermissionDenied):
        SERVICES[service](world, world.anna.actor, world.boris.id)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_missing_actor_is_refused(world: World, service: str) -> None:
    """Without a logged-in actor every service refuses."""
    with pytest.raises(PermissionDenied):
        SERVICES[service](world, None, world.anna.id)  # type: ignore[arg-type]


@pytest.mark.parametrize("service", ["week", "subject_marks", "period_marks", "remarks"])
def test_the_parents_own_child_is_served(world: World, service: str) -> None:
    """The same reading calls succeed for the parent's own child (the refusals are not blanket)."""
    assert SERVICES[service](world, world.anna_mother.actor, world.anna.id) is not None


def test_a_teacher_who_does_not_teach_the_child_cannot_read_the_diary(world: World) -> None:
    """A subject teacher has no diary access (they use the journal)."""
    with pytest.raises(PermissionDenied):
        SERVICES["week"](world, world.outsider_teacher.actor, world.anna.id)


def test_another_class_teacher_cannot_read_the_diary(world: World) -> None:
    """5 «Б»'s class teacher cannot open a 5 «А» child's diary."""
    with pytest.raises(PermissionDenied):
        SERVICES["week"](world, world.class_teacher_b.actor, world.anna.id)


# --------------------------------------------------------------------------- «Ознакомлен»


def _confirm(w: World, actor: Actor, student_id: int) -> diary.WeekConfirmation:
    return diary.confirm_week(
        w.session, actor=actor, student_id=student_id, week_start=A_MONDAY, today=Q1_END
    )


def _row(w: World, student_id: int, actor: Actor | None = None) -> diary.ConfirmationRow:
    rows = diary.week_confirmations(
        w.session,
        actor=actor or w.class_teacher_a.actor,
        class_id=w.class_a.id or 0,
        week_start=A_MONDAY,
    )
    return next(r for r in rows if r.student_id == student_id)


def test_the_class_teacher_sees_who_confirmed_the_week(world: World) -> None:
    """After Anna's mother confirms, Anna's row is confirmed and Boris's is not."""
    _confirm(world, world.anna_mother.actor, world.anna.id)
    assert _row(world, world.anna.id).confirmed_by == ["Петрова Ольга"]
    assert not _row(world, world.boris.id).confirmed


def test_confirming_twice_keeps_one_confirmation(world: World) -> None:
    """A second «Ознакомлен» changes nothing and returns the first time."""
    first = _confirm(world, world.anna_mother.actor, world.anna.id)
    second = _confirm(world, world.anna_mother.actor, world.anna.id)
    count = world.session.exec(select(func.count()).select_from(WeekAcknowledgement)).one()
    assert (first.confirmed_at, count) == (second.confirmed_at, 1)


def test_any_day_of_the_week_confirms_that_week(world: World) -> None:
    """Confirming with a Thursday stores the week's Monday."""
    confirmation = diary.confirm_week(
        world.session,
        actor=world.anna_mother.actor,
        student_id=world.anna.id,
        week_start=A_MONDAY + dt.timedelta(days=3),
        today=Q1_END,
    )
    assert confirmation.week_start == A_MONDAY


def test_a_future_week_cannot_be_confirmed(world: World) -> None:
    """A week that has not begun is refused in Russian."""
    with pytest.raises(ValidationError, match="не началась"):
        diary.confirm_week(
            world.session,
            actor=world.anna_mother.actor,
            student_id=world.anna.id,
            week_start=A_MONDAY,
            today=A_MONDAY - dt.timedelta(days=1),
        )


def test_a_student_cannot_confirm_the_week(world: World) -> None:
    """«Ознакомлен» is the parent's."""
    with pytest.raises(PermissionDenied):
        _confirm(world, world.anna.actor, world.anna.id)


def test_another_class_teacher_cannot_see_the_confirmations(world: World) -> None:
    """5 «Б»'s class teacher is refused 5 «А»'s confirmations."""
    with pytest.raises(PermissionDenied):
        _row(world, world.anna.id, actor=world.class_teacher_b.actor)


def test_a_parent_cannot_see_the_classes_confirmations(world: World) -> None:
    """A parent is refused the class list of confirmations."""
    with pytest.raises(PermissionDenied):
        _row(world, world.anna.id, actor=world.anna_mother.actor)


def test_the_deputy_sees_the_confirmations(world: World) -> None:
    """The administration reads any class's confirmations."""
    assert not _row(world, world.anna.id, actor=world.deputy.actor).confirmed


def test_a_parent_with_a_one_time_password_is_refused_the_children_list(world: World) -> None:
    """Until the one-time password is changed even the list of own children is refused."""
    locked = replace(world.anna_mother.actor, must_change_password=True)
    with pytest.raises(PermissionDenied, match="одноразовый"):
        diary.children_of(world.session, actor=locked)


def test_a_parent_with_a_one_time_password_is_refused_messages(world: World) -> None:
    """Until the one-time password is changed the message list is refused."""
    locked = replace(world.anna_mother.actor, must_change_password=True)
    with pytest.raises(PermissionDenied, match="одноразовый"):
        messages.threads(world.session, actor=locked)
