"""Announcements: who may post to whom, and which the family sees on a day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, func, select

from ejournal.domain.diary.announcements import (
    announcements_for,
    end_announcement,
    manageable_announcements,
    post_announcement,
)
from ejournal.domain.errors import PermissionDenied, ValidationError
from ejournal.domain.models import Announcement, Audience, AuditLog
from ejournal.domain.permissions import Actor
from tests.domain.diary_factories import A_MONDAY, World, build_world

pytestmark = pytest.mark.db
FRIDAY = A_MONDAY + dt.timedelta(days=4)


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


def _post(
    w: World,
    actor: Actor,
    audience: Audience,
    class_id: int | None = None,
    title: str = "Объявление",
    ends_on: dt.date = FRIDAY,
    starts_on: dt.date = A_MONDAY,
) -> int:
    view = post_announcement(
        w.session,
        actor=actor,
        audience=audience,
        class_id=class_id,
        title=title,
        body="Текст объявления",
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return view.announcement_id


def _seen(w: World, actor: Actor, student_id: int, on: dt.date = A_MONDAY) -> list[str]:
    return [
        a.title for a in announcements_for(w.session, actor=actor, student_id=student_id, on=on)
    ]


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Announcement)).one()


def test_the_deputy_posts_to_the_whole_school(world: World) -> None:
    """A school-wide announcement by the deputy reaches every family."""
    _post(world, world.deputy.actor, Audience.SCHOOL, title="Собрание")
    assert _seen(world, world.anna_mother.actor, world.anna.id) == ["Собрание"]
    assert _seen(world, world.victor_mother.actor, world.victor.id) == ["Собрание"]


def test_a_class_announcement_reaches_only_that_class(world: World) -> None:
    """5 «А»'s announcement is seen by a 5 «А» family and not by a 5 «Б» family."""
    _post(world, world.class_teacher_a.actor, Audience.CLASS, world.class_a.id, title="Экскурсия")
    assert _seen(world, world.anna_mother.actor, world.anna.id) == ["Экскурсия"]
    assert _seen(world, world.victor_mother.actor, world.victor.id) == []


def test_parents_announcements_are_not_shown_to_students(world: World) -> None:
    """An announcement for parents is in the parent's diary, not in the student's."""
    _post(world, world.director.actor, Audience.PARENTS, title="Родителям")
    assert _seen(world, world.anna_mother.actor, world.anna.id) == ["Родителям"]
    assert _seen(world, world.anna.actor, world.anna.id) == []


def test_staff_announcements_never_reach_families(world: World) -> None:
    """An announcement for staff is not in any diary."""
    _post(world, world.director.actor, Audience.STAFF, title="Педсовет")
    assert _seen(world, world.anna_mother.actor, world.anna.id) == []
    assert _seen(world, world.anna.actor, world.anna.id) == []


def test_an_announcement_disappears_after_its_end_date(world: World) -> None:
    """Shown on its last day, gone the day after."""
    _post(world, world.deputy.actor, Audience.SCHOOL, title="Короткое", ends_on=A_MONDAY)
    assert _seen(world, world.anna.actor, world.anna.id, on=A_MONDAY) == ["Короткое"]
    assert _seen(world, world.anna.actor, world.anna.id, on=A_MONDAY + dt.timedelta(days=1)) == []


def test_an_announcement_is_not_shown_before_it_starts(world: World) -> None:
    """The day before its start an announcement is not shown."""
    _post(world, world.deputy.actor, Audience.SCHOOL)
    assert _seen(world, world.anna.actor, world.anna.id, on=A_MONDAY - dt.timedelta(days=1)) == []


def test_a_class_teacher_may_not_post_to_another_class(world: World) -> None:
    """5 «А»'s class teacher posting to 5 «Б» is refused and nothing is stored."""
    before = _count(world.session)
    with pytest.raises(PermissionDenied):
        _post(world, world.class_teacher_a.actor, Audience.CLASS, world.class_b.id)
    assert _count(world.session) == before


def test_a_class_teacher_may_not_post_to_the_whole_school(world: World) -> None:
    """A class teacher's announcements are for their class only."""
    with pytest.raises(PermissionDenied):
        _post(world, world.class_teacher_a.actor, Audience.SCHOOL)


@pytest.mark.parametrize("who", ["math_teacher", "anna_mother", "anna"])
def test_teachers_parents_and_students_may_not_post(world: World, who: str) -> None:
    """Only the deputy, director and class teachers post announcements."""
    actor = getattr(world, who).actor
    with pytest.raises(PermissionDenied):
        _post(world, actor, Audience.CLASS, world.class_a.id)


def test_an_announcement_ending_before_it_starts_is_refused(world: World) -> None:
    """End before start is refused in Russian."""
    with pytest.raises(ValidationError, match="раньше"):
        _post(world, world.deputy.actor, Audience.SCHOOL, ends_on=A_MONDAY - dt.timedelta(days=1))


def test_an_announcement_without_a_title_is_refused(world: World) -> None:
    """A blank title is refused."""
    with pytest.raises(ValidationError, match="заголовок"):
        _post(world, world.deputy.actor, Audience.SCHOOL, title="  ")


def test_posting_is_audited(world: World) -> None:
    """The post writes an audit row naming the author."""
    _post(world, world.deputy.actor, Audience.SCHOOL)
    row = world.session.exec(
        select(AuditLog).where(AuditLog.action == "announcement.post").order_by(AuditLog.id.desc())  # type: ignore[union-attr]
    ).first()
    assert row is not None and row.actor_id == world.deputy.user_id


def test_announcements_of_another_familys_child_are_refused(world: World) -> None:
    """A forged child id is refused."""
    with pytest.raises(PermissionDenied):
        announcements_for(
            world.session, actor=world.anna_mother.actor, student_id=world.victor.id, on=A_MONDAY
        )


# --------------------------------------------------------------------------- managing


def _managed(w: World, actor: Actor, today: dt.date = A_MONDAY) -> list[str]:
    return [m.view.title for m in manageable_announcements(w.session, actor=actor, today=today)]


def test_the_deputy_manages_every_current_and_future_announcement(world: World) -> None:
    """School, class and future announcements are listed; ended ones are not."""
    _post(world, world.deputy.actor, Audience.SCHOOL, title="Всем")
    _post(world, world.class_teacher_b.actor, Audience.CLASS, world.class_b.id, title="5Б")
    later = A_MONDAY + dt.timedelta(days=14)
    _post(
        world, world.deputy.actor, Audience.PARENTS, title="Потом", starts_on=later, ends_on=later
    )
    ended = A_MONDAY - dt.timedelta(days=1)
    _post(world, world.deputy.actor, Audience.SCHOOL, title="Было", starts_on=ended, ends_on=ended)
    assert sorted(_managed(world, world.deputy.actor)) == ["5Б", "Всем", "Потом"]


def test_a_class_teacher_manages_only_their_classs_announcements(world: World) -> None:
    """5 «А»'s class teacher sees 5 «А»'s announcements, not the school's or 5 «Б»'s."""
    _post(world, world.deputy.actor, Audience.SCHOOL, title="Всем")
    _post(world, world.class_teacher_a.actor, Audience.CLASS, world.class_a.id, title="5А")
    _post(world, world.class_teacher_b.actor, Audience.CLASS, world.class_b.id, title="5Б")
    assert _managed(world, world.class_teacher_a.actor) == ["5А"]


def test_the_managed_list_names_the_class_addressed(world: World) -> None:
    """A class announcement reads «Классу 5 «А»» on the list."""
    _post(world, world.class_teacher_a.actor, Audience.CLASS, world.class_a.id)
    found = manageable_announcements(
        world.session, actor=world.class_teacher_a.actor, today=A_MONDAY
    )
    assert [m.audience_text for m in found] == ["Классу 5 «А»"]


@pytest.mark.parametrize("who", ["math_teacher", "anna_mother", "anna"])
def test_others_cannot_list_announcements_to_manage(world: World, who: str) -> None:
    """Teachers, parents and students have no announcements to manage."""
    with pytest.raises(PermissionDenied):
        manageable_announcements(world.session, actor=getattr(world, who).actor, today=A_MONDAY)


def test_ending_early_hides_the_announcement_from_today(world: World) -> None:
    """Ended on Wednesday, the announcement shows on Tuesday but not on Wednesday."""
    aid = _post(world, world.deputy.actor, Audience.SCHOOL, title="Собрание")
    wednesday = A_MONDAY + dt.timedelta(days=2)
    view = end_announcement(
        world.session, actor=world.deputy.actor, announcement_id=aid, today=wednesday
    )
    assert view.ends_on == wednesday - dt.timedelta(days=1)
    mother, anna = world.anna_mother.actor, world.anna.id
    assert _seen(world, mother, anna, wednesday - dt.timedelta(days=1)) == ["Собрание"]
    assert _seen(world, mother, anna, wednesday) == []


def test_ending_a_future_announcement_withdraws_it(world: World) -> None:
    """An announcement not yet started never shows once ended, and its start is kept."""
    later = A_MONDAY + dt.timedelta(days=7)
    aid = _post(world, world.deputy.actor, Audience.SCHOOL, starts_on=later, ends_on=later)
    view = end_announcement(
        world.session, actor=world.deputy.actor, announcement_id=aid, today=A_MONDAY
    )
    assert view.starts_on == later
    assert view.ends_on < A_MONDAY
    assert _seen(world, world.anna_mother.actor, world.anna.id, later) == []
    assert manageable_announcements(world.session, actor=world.deputy.actor, today=A_MONDAY) == []


def test_ending_on_its_first_day_shows_it_on_no_day(world: World) -> None:
    """Posted and ended on Monday, the announcement is not moved back onto Sunday."""
    aid = _post(world, world.deputy.actor, Audience.SCHOOL)
    end_announcement(world.session, actor=world.deputy.actor, announcement_id=aid, today=A_MONDAY)
    sunday = A_MONDAY - dt.timedelta(days=1)
    assert _seen(world, world.anna_mother.actor, world.anna.id, sunday) == []
    assert _seen(world, world.anna_mother.actor, world.anna.id, A_MONDAY) == []


def test_ending_early_is_audited(world: World) -> None:
    """The end writes an audit row with the old and the new end date."""
    aid = _post(world, world.deputy.actor, Audience.SCHOOL)
    end_announcement(world.session, actor=world.deputy.actor, announcement_id=aid, today=FRIDAY)
    row = world.session.exec(
        select(AuditLog).where(AuditLog.action == "announcement.end", AuditLog.entity_id == aid)
    ).one()
    assert row.actor_id == world.deputy.user_id
    assert str(FRIDAY) in str(row.before) and str(FRIDAY - dt.timedelta(days=1)) in str(row.after)


def test_a_class_teacher_cannot_end_another_classs_announcement(world: World) -> None:
    """5 «А»'s class teacher's forged end of 5 «Б»'s announcement is refused; nothing changes."""
    aid = _post(world, world.class_teacher_b.actor, Audience.CLASS, world.class_b.id)
    with pytest.raises(PermissionDenied):
        end_announcement(
            world.session, actor=world.class_teacher_a.actor, announcement_id=aid, today=A_MONDAY
        )
    row = world.session.get(Announcement, aid)
    assert row is not None and row.ends_on == FRIDAY


def test_a_class_teacher_cannot_end_a_school_announcement(world: World) -> None:
    """A school-wide announcement is the administration's to end."""
    aid = _post(world, world.deputy.actor, Audience.SCHOOL)
    with pytest.raises(PermissionDenied):
        end_announcement(
            world.session, actor=world.class_teacher_a.actor, announcement_id=aid, today=A_MONDAY
        )


@pytest.mark.parametrize("who", ["math_teacher", "anna_mother"])
def test_teachers_and_parents_cannot_end_announcements(world: World, who: str) -> None:
    """Ending is refused to those who may not post."""
    aid = _post(world, world.class_teacher_a.actor, Audience.CLASS, world.class_a.id)
    with pytest.raises(PermissionDenied):
        end_announcement(
            world.session, actor=getattr(world, who).actor, announcement_id=aid, today=A_MONDAY
        )


def test_an_announcement_already_over_cannot_be_ended(world: World) -> None:
    """Ending one that no longer shows is refused in Russian."""
    aid = _post(world, world.deputy.actor, Audience.SCHOOL)
    with pytest.raises(ValidationError, match="уже"):
        end_announcement(
            world.session,
            actor=world.deputy.actor,
            announcement_id=aid,
            today=FRIDAY + dt.timedelta(days=1),
        )
