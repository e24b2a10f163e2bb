"""«Новое»: what a family has not seen since their last visit, and the e-mail choices."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from ejournal.domain.diary.messages import start_thread
from ejournal.domain.diary.news import (
    mark_all_seen,
    notice_choices,
    set_notice_choices,
    visit_news,
)
from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import Announcement, AuditLog, Parent
from tests.domain.diary_factories import A_MONDAY, World, build_world

pytestmark = pytest.mark.db

MORNING = dt.datetime(2026, 9, 14, 6, 0, tzinfo=dt.UTC)  # 09:00 in Moscow, Monday


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


def _mark_at(w: World, value: int, at: dt.datetime) -> None:
    lesson = w.lesson(w.math_a, A_MONDAY, number=value)
    m = w.mark(w.anna, lesson, value)
    m.created_at = at
    w.session.add(m)
    w.session.flush()


def test_marks_entered_after_the_last_visit_are_new_and_older_ones_not(world: World) -> None:
    """Yesterday's visit saw the 4; the 5 entered after it is the one new thing today."""
    mother = world.anna_mother.actor
    _mark_at(world, 4, MORNING - dt.timedelta(days=1, hours=2))
    visit_news(world.session, actor=mother, now=MORNING - dt.timedelta(days=1))
    _mark_at(world, 5, MORNING - dt.timedelta(hours=3))

    news = visit_news(world.session, actor=mother, now=MORNING)

    assert [(i.kind, i.text) for i in news.items] == [("mark", "Математика: 5 (Ответ на уроке)")]
    assert news.count == 1


def test_new_stays_new_for_the_whole_visit_and_goes_after_the_next(world: World) -> None:
    """Within an hour the same mark is still new; a visit the next day no longer shows it."""
    mother = world.anna_mother.actor
    visit_news(world.session, actor=mother, now=MORNING - dt.timedelta(days=1))
    _mark_at(world, 5, MORNING - dt.timedelta(hours=3))
    assert visit_news(world.session, actor=mother, now=MORNING).count == 1
    assert (
        visit_news(world.session, actor=mother, now=MORNING + dt.timedelta(minutes=20)).count == 1
    )

    later = visit_news(world.session, actor=mother, now=MORNING + dt.timedelta(days=1))

    assert later.count == 0


def test_all_seen_clears_the_count_at_once(world: World) -> None:
    """«Всё просмотрено» empties the list within the same visit."""
    mother = world.anna_mother.actor
    visit_news(world.session, actor=mother, now=MORNING - dt.timedelta(days=1))
    _mark_at(world, 5, MORNING - dt.timedelta(hours=3))
    mark_all_seen(world.session, actor=mother, now=MORNING)

    assert visit_news(world.session, actor=mother, now=MORNING + dt.timedelta(minutes=1)).count == 0


def test_remarks_announcements_and_messages_count_too(world: World) -> None:
    """A remark, a new announcement to the class and a teacher's message: three new items."""
    mother = world.anna_mother.actor
    visit_news(world.session, actor=mother, now=MORNING - dt.timedelta(days=1))
    r = world.remark(world.anna, "Забыла тетрадь")
    r.created_at = MORNING - dt.timedelta(hours=1)
    world.session.add(
        Announcement(
            school_id=world.school.id or 0,
            author_id=world.class_teacher_a.user_id,
            audience="class",
            class_id=world.class_a.id,
            title="Собрание 3 декабря",
            body="В 18:00",
            starts_on=A_MONDAY,
            ends_on=A_MONDAY + dt.timedelta(days=7),
            created_at=MORNING - dt.timedelta(hours=2),
        )
    )
    world.session.flush()
    start_thread(
        world.session,
        actor=world.math_teacher.actor,
        student_id=world.anna.id,
        recipient_user_ids=[mother.user_id],
        subject="Контрольная",
        body="Анна молодец",
    )

    news = visit_news(world.session, actor=mother, now=MORNING)

    assert sorted(i.kind for i in news.items) == ["announcement", "message", "remark"]
    assert news.count == 3


def test_another_familys_marks_are_not_news(world: World) -> None:
    """Victor's mother sees nothing of Anna's new mark."""
    other = world.victor_mother.actor
    visit_news(world.session, actor=other, now=MORNING - dt.timedelta(days=1))
    _mark_at(world, 5, MORNING - dt.timedelta(hours=3))

    assert visit_news(world.session, actor=other, now=MORNING).count == 0


def test_staff_have_no_news(world: World) -> None:
    """A teacher reading diaries gets no «Новое» count."""
    _mark_at(world, 5, MORNING - dt.timedelta(hours=3))
    assert visit_news(world.session, actor=world.class_teacher_a.actor, now=MORNING).count == 0


def test_email_choices_need_an_address_and_are_audited(world: World) -> None:
    """Without an address the letters cannot be turned on; with one they are, audited."""
    mother = world.anna_mother.actor
    with pytest.raises(ValidationError):
        set_notice_choices(world.session, actor=mother, email_new=True, email_digest=False)
    parent = world.session.get(Parent, mother.parent_id)
    assert parent is not None
    parent.email = "olga@example.org"
    world.session.add(parent)

    set_notice_choices(world.session, actor=mother, email_new=True, email_digest=True)

    choices = notice_choices(world.session, actor=mother)
    assert (choices.email, choices.email_new, choices.email_digest) == (
        "olga@example.org",
        True,
        True,
    )
    logged = world.session.exec(select(AuditLog).where(AuditLog.action == "notice.settings")).all()
    assert [r.actor_id for r in logged] == [mother.user_id]


def test_staff_cannot_subscribe(world: World) -> None:
    """E-mail choices belong to families."""
    with pytest.raises(PermissionDenied):
        set_notice_choices(
            world.session, actor=world.math_teacher.actor, email_new=True, email_digest=False
        )
