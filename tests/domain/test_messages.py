"""Messages: who may write to whom, threads, replies, unread counts."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session, func, select

from ejournal.domain.diary.messages import (
    allowed_recipients,
    message_classes,
    message_students,
    read_thread,
    reply,
    start_thread,
    threads,
    unread_count,
)
from ejournal.domain.errors import DomainError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import Message, MessageThread, Role, ThreadParticipant
from ejournal.domain.permissions import Actor
from ejournal.domain.text_rules import TextField
from tests.domain.diary_factories import A_MONDAY, World, build_world, staff

pytestmark = pytest.mark.db


@pytest.fixture()
def world(session: Session) -> World:
    return build_world(session)


def _recipient_ids(w: World) -> set[int]:
    return {
        r.user_id
        for r in allowed_recipients(w.session, actor=w.anna_mother.actor, student_id=w.anna.id)
    }


def _thread_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(MessageThread)).one()


def _start(w: World, recipients: list[int], body: str = "Добрый день!") -> int:
    view = start_thread(
        w.session,
        actor=w.anna_mother.actor,
        student_id=w.anna.id,
        recipient_user_ids=recipients,
        subject="Вопрос",
        body=body,
    )
    return view.thread_id


def test_a_parent_may_write_to_the_childs_teachers(world: World) -> None:
    """Teachers of the child's class and own subgroup are allowed recipients."""
    ids = _recipient_ids(world)
    assert {world.math_teacher.user_id, world.english1_teacher.user_id} <= ids


def test_a_parent_may_write_to_the_class_teacher_and_administration(world: World) -> None:
    """The class teacher, director, deputy and administrator are allowed recipients."""
    ids = _recipient_ids(world)
    expected = [world.class_teacher_a, world.director, world.deputy, world.admin]
    assert {p.user_id for p in expected} <= ids


def test_a_parent_may_not_write_to_staff_who_do_not_teach_the_child(world: World) -> None:
    """Another class's teacher and the other subgroup's teacher are not recipients."""
    ids = _recipient_ids(world)
    assert world.outsider_teacher.user_id not in ids
    assert world.english2_teacher.user_id not in ids
    assert world.class_teacher_b.user_id not in ids


def test_recipients_show_what_each_one_is_to_the_child(world: World) -> None:
    """The class teacher is labelled as such, and with the subjects they teach the child."""
    recipients = allowed_recipients(
        world.session, actor=world.anna_mother.actor, student_id=world.anna.id
    )
    (ct,) = [r for r in recipients if r.user_id == world.class_teacher_a.user_id]
    assert ct.detail.startswith("Классный руководитель")
    assert "Русский язык" in ct.detail


def test_writing_to_a_teacher_who_does_not_teach_the_child_is_refused(world: World) -> None:
    """A forged recipient is refused and no thread is created."""
    before = _thread_count(world.session)
    with pytest.raises(PermissionDenied):
        _start(world, [world.outsider_teacher.user_id])
    assert _thread_count(world.session) == before


def test_writing_about_another_familys_child_is_refused(world: World) -> None:
    """A parent cannot open a thread about a child not linked to them."""
    with pytest.raises(PermissionDenied):
        start_thread(
            world.session,
            actor=world.anna_mother.actor,
            student_id=world.victor.id,
            recipient_user_ids=[world.outsider_teacher.user_id],
            subject="Вопрос",
            body="Текст",
        )


def test_recipients_for_another_familys_child_are_refused(world: World) -> None:
    """Asking whom one could write to about a stranger's child is refused."""
    with pytest.raises(PermissionDenied):
        allowed_recipients(world.session, actor=world.anna_mother.actor, student_id=world.victor.id)


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_message_is_refused_in_russian(world: World, body: str) -> None:
    """An empty or blank message is refused with a Russian message and nothing is stored."""
    before = _thread_count(world.session)
    with pytest.raises(ValidationError, match="пустое"):
        _start(world, [world.class_teacher_a.user_id], body=body)
    assert _thread_count(world.session) == before


def test_a_too_long_message_is_refused(world: World) -> None:
    """A message over the length limit is refused."""
    with pytest.raises(ValidationError, match="длиннее"):
        _start(
            world, [world.class_teacher_a.user_id], body="я" * (TextField.MESSAGE_BODY.limit + 1)
        )


def test_a_thread_needs_a_recipient(world: World) -> None:
    """A thread with nobody to read it is refused."""
    with pytest.raises(ValidationError, match="получателя"):
        _start(world, [])


def test_the_recipient_sees_the_thread_as_unread(world: World) -> None:
    """The class teacher has one unread message after a parent writes."""
    _start(world, [world.class_teacher_a.user_id])
    assert unread_count(world.session, actor=world.class_teacher_a.actor) == 1
    (summary,) = threads(world.session, actor=world.class_teacher_a.actor)
    assert (summary.subject, summary.unread, summary.preview) == ("Вопрос", 1, "Добрый день!")


def test_the_author_has_nothing_unread_in_their_own_thread(world: World) -> None:
    """One's own message never counts as unread."""
    _start(world, [world.class_teacher_a.user_id])
    assert unread_count(world.session, actor=world.anna_mother.actor) == 0


def test_reading_a_thread_marks_it_read(world: World) -> None:
    """After reading, the recipient's unread count is back to zero."""
    thread_id = _start(world, [world.class_teacher_a.user_id])
    view = read_thread(world.session, actor=world.class_teacher_a.actor, thread_id=thread_id)
    assert [m.body for m in view.messages] == ["Добрый день!"]
    assert unread_count(world.session, actor=world.class_teacher_a.actor) == 0


def test_a_reply_is_unread_for_the_other_side(world: World) -> None:
    """The teacher's reply shows as one unread message for the parent."""
    thread_id = _start(world, [world.class_teacher_a.user_id])
    reply(
        world.session, actor=world.class_teacher_a.actor, thread_id=thread_id, body="Здравствуйте!"
    )
    assert unread_count(world.session, actor=world.anna_mother.actor) == 1
    view = read_thread(world.session, actor=world.anna_mother.actor, thread_id=thread_id)
    assert [(m.body, m.mine) for m in view.messages] == [
        ("Добрый день!", True),
        ("Здравствуйте!", False),
    ]


def test_a_non_participant_cannot_read_a_thread(world: World) -> None:
    """Another parent (or another teacher) reading someone's thread is refused, with the
    same answer as for a thread that does not exist (thread ids cannot be probed)."""
    thread_id = _start(world, [world.class_teacher_a.user_id])
    with pytest.raises(DomainError) as missing:
        read_thread(world.session, actor=world.victor_mother.actor, thread_id=thread_id + 999)
    for outsider in (world.victor_mother, world.math_teacher):
        with pytest.raises(DomainError) as foreign:
            read_thread(world.session, actor=outsider.actor, thread_id=thread_id)
        assert (type(foreign.value), foreign.value.message) == (
            type(missing.value),
            missing.value.message,
        )


def test_a_non_participant_cannot_reply(world: World) -> None:
    """A reply by someone outside the thread is refused and nothing is added."""
    thread_id = _start(world, [world.class_teacher_a.user_id])
    with pytest.raises(NotFound):
        reply(world.session, actor=world.boris_father.actor, thread_id=thread_id, body="Влез")
    count = world.session.exec(
        select(func.count()).select_from(Message).where(Message.thread_id == thread_id)
    ).one()
    assert count == 1


def test_other_peoples_threads_are_not_listed(world: World) -> None:
    """A parent's thread list holds only threads they take part in."""
    _start(world, [world.class_teacher_a.user_id])
    assert threads(world.session, actor=world.boris_father.actor) == []


def test_a_teacher_may_write_to_the_parents_of_a_child_they_teach(world: World) -> None:
    """The maths teacher reaches Anna's mother and Anna."""
    ids = {
        r.user_id
        for r in allowed_recipients(
            world.session, actor=world.math_teacher.actor, student_id=world.anna.id
        )
    }
    assert ids == {world.anna_mother.user_id, world.anna.user_id}


def test_a_teacher_may_not_write_to_families_of_children_they_do_not_teach(world: World) -> None:
    """A teacher of 5 «Б» only cannot write to a 5 «А» family."""
    with pytest.raises(PermissionDenied):
        allowed_recipients(
            world.session, actor=world.outsider_teacher.actor, student_id=world.anna.id
        )


def test_the_other_subgroups_teacher_may_not_write_to_the_family(world: World) -> None:
    """The English teacher of group 2 does not teach Anna (group 1)."""
    with pytest.raises(PermissionDenied):
        allowed_recipients(
            world.session, actor=world.english2_teacher.actor, student_id=world.anna.id
        )


def test_a_student_may_write_to_their_teachers_but_not_about_a_classmate(world: World) -> None:
    """A student writes about themself only."""
    assert allowed_recipients(world.session, actor=world.anna.actor, student_id=world.anna.id)
    with pytest.raises(PermissionDenied):
        allowed_recipients(world.session, actor=world.anna.actor, student_id=world.boris.id)


# --------------------------------------------------------------------------- staff start threads


def _class_names(w: World, person) -> list[str]:
    return [c.label for c in message_classes(w.session, actor=person.actor)]


def test_a_teacher_lists_only_the_classes_they_teach(world: World) -> None:
    """The maths teacher of 5 «А» is offered 5 «А», the outsider only 5 «Б»."""
    assert _class_names(world, world.math_teacher) == ["5 «А»"]
    assert _class_names(world, world.outsider_teacher) == ["5 «Б»"]


def test_a_class_teacher_lists_the_class_they_lead(world: World) -> None:
    """The class teacher of 5 «Б» (who teaches nothing there) is offered 5 «Б»."""
    assert "5 «Б»" in _class_names(world, world.class_teacher_b)


def test_the_administration_lists_every_class(world: World) -> None:
    """The deputy may write to families of any class."""
    assert _class_names(world, world.deputy) == ["5 «А»", "5 «Б»"]


def test_families_are_not_offered_classes(world: World) -> None:
    """A parent's forged call for the staff's class list is refused."""
    with pytest.raises(PermissionDenied):
        message_classes(world.session, actor=world.anna_mother.actor)


def test_a_subgroup_teacher_is_offered_only_their_subgroups_students(world: World) -> None:
    """The English teacher of group 1 sees Anna but not Boris (group 2)."""
    ids = {
        c.value
        for c in message_students(
            world.session, actor=world.english1_teacher.actor, class_id=world.class_a.id
        )
    }
    assert world.anna.id in ids
    assert world.boris.id not in ids


def test_a_class_teacher_is_offered_the_whole_class(world: World) -> None:
    """The class teacher of 5 «А» sees every student of the class."""
    ids = {
        c.value
        for c in message_students(
            world.session, actor=world.class_teacher_a.actor, class_id=world.class_a.id
        )
    }
    assert {world.anna.id, world.boris.id, *(c.id for c in world.classmates)} == ids


def test_students_of_a_class_one_does_not_teach_are_refused(world: World) -> None:
    """The outsider's forged call for 5 «А»'s students is refused with nothing listed."""
    with pytest.raises(PermissionDenied):
        message_students(
            world.session, actor=world.outsider_teacher.actor, class_id=world.class_a.id
        )


def test_a_parent_cannot_list_a_classs_students(world: World) -> None:
    """A parent's forged call for the class list is refused."""
    with pytest.raises(PermissionDenied):
        message_students(world.session, actor=world.anna_mother.actor, class_id=world.class_a.id)


def test_a_class_teacher_starts_a_thread_with_a_childs_parent_and_the_child(world: World) -> None:
    """Both chosen family members take part and each has the first message unread."""
    view = start_thread(
        world.session,
        actor=world.class_teacher_a.actor,
        student_id=world.anna.id,
        recipient_user_ids=[world.anna_mother.user_id, world.anna.user_id],
        subject="Экскурсия",
        body="В пятницу экскурсия в музей.",
    )
    members = set(
        world.session.exec(
            select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == view.thread_id)
        ).all()
    )
    assert members == {
        world.class_teacher_a.user_id,
        world.anna_mother.user_id,
        world.anna.user_id,
    }
    assert unread_count(world.session, actor=world.anna_mother.actor) == 1
    assert unread_count(world.session, actor=world.anna.actor) == 1


def test_a_teacher_cannot_start_a_thread_with_a_family_they_do_not_teach(world: World) -> None:
    """The outsider's thread to Anna's mother is refused and nothing is stored."""
    before = _thread_count(world.session)
    with pytest.raises(PermissionDenied):
        start_thread(
            world.session,
            actor=world.outsider_teacher.actor,
            student_id=world.anna.id,
            recipient_user_ids=[world.anna_mother.user_id],
            subject="Вопрос",
            body="Текст",
        )
    assert _thread_count(world.session) == before


def test_staff_may_not_add_another_familys_parent_to_a_thread(world: World) -> None:
    """A thread about Anna cannot include Victor's mother."""
    before = _thread_count(world.session)
    with pytest.raises(PermissionDenied):
        start_thread(
            world.session,
            actor=world.class_teacher_a.actor,
            student_id=world.anna.id,
            recipient_user_ids=[world.anna_mother.user_id, world.victor_mother.user_id],
            subject="Вопрос",
            body="Текст",
        )
    assert _thread_count(world.session) == before


# --------------------------------------------------------------------------- substitutes


def _student_ids(w: World, actor: Actor, class_id: int) -> set[int]:
    return {c.value for c in message_students(w.session, actor=actor, class_id=class_id)}


def test_a_substitute_reaches_the_families_of_the_class_they_stood_in_for(world: World) -> None:
    """The outsider substituted one maths lesson in 5 «А»: the class, its students and
    Anna's family are all offered to them."""
    world.lesson(world.math_a, A_MONDAY, substitute_teacher_id=world.outsider_teacher.id)
    outsider = world.outsider_teacher.actor
    assert _class_names(world, world.outsider_teacher) == ["5 «А»", "5 «Б»"]
    assert _student_ids(world, outsider, world.class_a.id) == {
        world.anna.id,
        world.boris.id,
        *(c.id for c in world.classmates),
    }
    ids = {
        r.user_id
        for r in allowed_recipients(world.session, actor=outsider, student_id=world.anna.id)
    }
    assert ids == {world.anna_mother.user_id, world.anna.user_id}


def test_a_subgroups_substitute_reaches_that_subgroup_only(world: World) -> None:
    """Standing in for English group 2 reaches Boris (group 2), not Anna (group 1)."""
    world.lesson(world.english_a2, A_MONDAY, substitute_teacher_id=world.outsider_teacher.id)
    outsider = world.outsider_teacher.actor
    ids = _student_ids(world, outsider, world.class_a.id)
    assert world.boris.id in ids
    assert world.anna.id not in ids
    with pytest.raises(PermissionDenied):
        allowed_recipients(world.session, actor=outsider, student_id=world.anna.id)


def test_a_teacher_who_neither_teaches_nor_substituted_reaches_no_family(world: World) -> None:
    """A new teacher with no lessons anywhere is offered no class, and 5 «А»'s students
    and Anna's family are refused."""
    newcomer = staff(world.session, world.school, "Новикова", "Вера", {Role.TEACHER})
    assert _class_names(world, newcomer) == []
    with pytest.raises(PermissionDenied):
        message_students(world.session, actor=newcomer.actor, class_id=world.class_a.id)
    with pytest.raises(PermissionDenied):
        allowed_recipients(world.session, actor=newcomer.actor, student_id=world.anna.id)


def test_a_teacher_who_is_a_parent_is_not_offered_their_childs_class(world: World) -> None:
    """A teacher of 5 «Б» only who is also a parent of Anna: as staff they are offered
    5 «Б» and no student of 5 «А» (their own child is reached as a parent, not as staff)."""
    both = replace(
        world.outsider_teacher.actor,
        roles=frozenset({Role.TEACHER, Role.PARENT}),
        parent_id=world.anna_mother.id,
    )
    assert [c.label for c in message_classes(world.session, actor=both)] == ["5 «Б»"]
    with pytest.raises(PermissionDenied):
        message_students(world.session, actor=both, class_id=world.class_a.id)
