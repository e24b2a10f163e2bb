"""The diary's handlers, called as a forged browser would: another family's child is refused,
nothing of that child reaches the page, and the database does not change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import func, select

from ejournal.domain.diary import announcements, messages
from ejournal.domain.diary.calendar import DEFAULT_TIMEZONE, today_in
from ejournal.domain.models import (
    AcademicYear,
    Announcement,
    AuditLog,
    Lesson,
    Mark,
    Message,
    MessageThread,
    Parent,
    ParentLink,
    Period,
    PeriodMark,
    Role,
    RoleGrant,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    ThreadParticipant,
    TimetableSlot,
    User,
    WeekAcknowledgement,
)
from ejournal.domain.people.auth import load_actor
from ejournal.domain.people.passwords import hash_password
from ejournal.state.diary import DiaryMarksState, DiaryState, day_month, week_title
from ejournal.state.diary_staff import AnnouncementsState, ConfirmationsState
from ejournal.state.messages import MessagesState
from tests.state.conftest import StateWorld, call
from tests.state.outcomes import toast_text
from tests.state.people import PASSWORD

REFUSED = "Недостаточно прав"
# "This week" is the school's (the tiny school keeps the default zone), not the server's.
TODAY = today_in(DEFAULT_TIMEZONE)
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())

Snapshot = tuple[int, ...]


def _snapshot(world: StateWorld) -> Snapshot:
    """Everything a diary handler could write: confirmations, threads, messages, audit."""
    with world.session() as s:
        return tuple(
            s.exec(select(func.count()).select_from(table)).one()
            for table in (
                WeekAcknowledgement,
                MessageThread,
                ThreadParticipant,
                Message,
                Announcement,
                AuditLog,
            )
        )


def _other_family(world: StateWorld) -> tuple[int, int]:
    """A child of 5 «Б» with their own parent account: (student id, parent user id)."""
    school = world.school
    with world.session() as s:
        child = Student(
            school_id=school.school_id,
            last_name="Чужов",
            first_name="Иван",
            gender="m",
            birth_date=dt.date(2015, 1, 2),
            class_id=school.other_class_id,
        )
        user = User(login="other.parent", password_hash=hash_password(PASSWORD, 4))
        s.add_all([child, user])
        s.flush()
        assert child.id is not None and user.id is not None
        parent = Parent(
            school_id=school.school_id, user_id=user.id, last_name="Чужова", first_name="Анна"
        )
        s.add(parent)
        s.flush()
        assert parent.id is not None
        s.add(ParentLink(parent_id=parent.id, student_id=child.id, relation="мать"))
        s.add(RoleGrant(user_id=user.id, school_id=school.school_id, role=Role.PARENT.value))
        s.commit()
        return child.id, user.id


@pytest.fixture()
def other(world: StateWorld) -> tuple[int, int]:
    return _other_family(world)


# --------------------------------------------------------------------------- own child works


def test_a_parent_opens_their_own_childs_week(world: StateWorld):
    """The page load shows the linked child's week, one card per school day."""
    st = world.state(DiaryState, world.token(Role.PARENT))
    call(DiaryState.load, st)
    assert st.student_id == world.school.student_id
    assert [c["student_id"] for c in st.children] == [world.school.student_id]
    assert len(st.days) == 5
    assert st.week_start == MONDAY.isoformat()


def test_a_parent_confirms_their_own_childs_week(world: StateWorld):
    """«Ознакомлен» on the own child's week stores one confirmation and shows it."""
    st = world.state(DiaryState, world.token(Role.PARENT))
    call(DiaryState.load, st)
    before = _snapshot(world)
    call(DiaryState.confirm_week, st, world.school.student_id, MONDAY.isoformat())
    assert _snapshot(world)[0] == before[0] + 1
    assert st.confirmed


def _math_for_class(world: StateWorld) -> tuple[int, int]:
    """Maths for the tiny school's 5 «А», taught by the teacher: (assignment id, subject id)."""
    with world.session() as s:
        school = world.school
        staff = s.exec(
            select(Staff).where(Staff.user_id == school.accounts[Role.TEACHER].user_id)
        ).one()
        year = s.exec(select(AcademicYear).where(AcademicYear.school_id == school.school_id)).one()
        subject = Subject(school_id=school.school_id, name="Математика")
        s.add(subject)
        s.flush()
        assignment = TeachingAssignment(
            year_id=year.id or 0,
            teacher_id=staff.id or 0,
            class_id=school.class_id,
            subject_id=subject.id or 0,
            hours_per_week=Decimal("4"),
        )
        s.add(assignment)
        s.commit()
        return assignment.id or 0, subject.id or 0


def test_the_week_page_says_what_is_due_tomorrow(world: StateWorld):
    """Homework set today is on «на завтра» (the next school day's maths lesson), with the
    lesson it was set at; the page's title names that day."""
    assignment_id, _ = _math_for_class(world)
    with world.session() as s:
        for weekday in range(1, 6):
            s.add(
                TimetableSlot(
                    assignment_id=assignment_id,
                    weekday=weekday,
                    number=2,
                    valid_from=dt.date(2026, 9, 1),
                )
            )
        s.add(Lesson(assignment_id=assignment_id, date=TODAY, number=2, homework="№ 101"))
        s.commit()
    st = world.state(DiaryState, world.token(Role.PARENT))
    call(DiaryState.load, st)
    nxt = TODAY + dt.timedelta(days=1)
    while nxt.isoweekday() > 5:
        nxt += dt.timedelta(days=1)
    assert st.tomorrow_title.startswith("На ") and st.tomorrow_title.endswith(day_month(nxt))
    assert [(h["subject"], h["text"], h["origin"]) for h in st.tomorrow] == [
        ("Математика", "№ 101", f"задано на уроке {TODAY:%d.%m}")
    ]


def _quarter_with_marks(world: StateWorld, starts: dt.date, ends: dt.date) -> str:
    """A quarter with the child's maths marks 2 and 1 (and a period mark 2): its id."""
    assignment_id, subject_id = _math_for_class(world)
    author = world.school.accounts[Role.TEACHER].user_id
    with world.session() as s:
        year = s.exec(
            select(AcademicYear).where(AcademicYear.school_id == world.school.school_id)
        ).one()
        period = Period(
            year_id=year.id or 0,
            kind="quarter",
            number=1,
            name="1 четверть",
            starts_on=starts,
            ends_on=ends,
        )
        s.add(period)
        for i, value in enumerate((2, 1)):
            lesson = Lesson(
                assignment_id=assignment_id, date=starts + dt.timedelta(days=i), number=1
            )
            s.add(lesson)
            s.flush()
            s.add(
                Mark(
                    student_id=world.school.student_id,
                    lesson_id=lesson.id or 0,
                    value=value,
                    author_id=author,
                )
            )
        s.flush()
        s.add(
            PeriodMark(
                student_id=world.school.student_id,
                subject_id=subject_id,
                period_id=period.id or 0,
                value=2,
                author_id=author,
            )
        )
        s.commit()
        return str(period.id)


def test_a_closed_quarter_shows_its_final_mark_and_offers_no_what_is_needed(world: StateWorld):
    """After the quarter (and its publication) the table's last column is the final «2»,
    titled «Итог»; nothing says «Сейчас выходит»."""
    period_id = _quarter_with_marks(
        world, TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=10)
    )
    st = world.state(DiaryMarksState, world.token(Role.PARENT))
    call(DiaryMarksState.load, st)
    call(DiaryMarksState.open_marks, st, world.school.student_id, period_id)
    (row,) = st.subjects
    assert (row["final"], row["final_is_suggested"], row["suggested"]) == ("2", False, "")
    assert (st.closed, st.final_title) == (True, "Итог")
    assert [m["value"] for m in row["marks"]] == ["2", "1"]


def test_a_running_quarter_shows_what_it_would_give(world: StateWorld):
    """While the quarter runs the last column is the suggested mark, marked as such."""
    period_id = _quarter_with_marks(
        world, TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=30)
    )
    st = world.state(DiaryMarksState, world.token(Role.PARENT))
    call(DiaryMarksState.load, st)
    call(DiaryMarksState.open_marks, st, world.school.student_id, period_id)
    (row,) = st.subjects
    assert row["final_is_suggested"] and row["final"] == row["suggested"] == "2"
    assert (st.closed, st.final_title) == (False, "Выходит")


# --------------------------------------------------------------------------- forged child ids

FamilyCall = Callable[[StateWorld, int], tuple[Any, Any, Callable[[Any], bool]]]


def _week(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryState, world.token(Role.PARENT))
    result = call(DiaryState.open_week, st, child, MONDAY.isoformat())
    return st, result, lambda s: not s.days and not s.tomorrow and not s.tomorrow_title


def _choose(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryState, world.token(Role.PARENT))
    return st, call(DiaryState.choose_child, st, child), lambda s: not s.days


def _confirm(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryState, world.token(Role.PARENT))
    result = call(DiaryState.confirm_week, st, child, MONDAY.isoformat())
    return st, result, lambda s: not s.confirmed


def _marks(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryMarksState, world.token(Role.PARENT))
    result = call(DiaryMarksState.open_marks, st, child, "")
    return st, result, lambda s: not s.subjects and not s.periods and not s.published


def _marks_child(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryMarksState, world.token(Role.PARENT))
    result = call(DiaryMarksState.choose_child, st, child)
    return st, result, lambda s: not s.subjects and not s.periods


def _need(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryMarksState, world.token(Role.PARENT))
    result = call(DiaryMarksState.what_do_i_need, st, child, "1", 1, 5)
    return st, result, lambda s: not s.need


def _extract(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(DiaryMarksState, world.token(Role.PARENT))
    result = call(DiaryMarksState.download_extract, st, child, "1")
    return st, result, lambda s: "download" not in repr(result).lower()


def _recipients(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(MessagesState, world.token(Role.PARENT))
    result = call(MessagesState.choose_compose_child, st, str(child))
    return st, result, lambda s: not s.recipients and s.compose_child == ""


def _new_thread(world: StateWorld, child: int) -> tuple[Any, Any, Callable[[Any], bool]]:
    st = world.state(MessagesState, world.token(Role.PARENT))
    admin = world.school.accounts[Role.ADMIN].user_id
    form = {"student_id": str(child), "recipient": str(admin), "subject": "Тема", "body": "Текст"}
    result = call(MessagesState.send_new, st, form)
    return st, result, lambda s: not s.is_open and not s.thread["messages"]


FORGED: dict[str, FamilyCall] = {
    "open_week": _week,
    "choose_child": _choose,
    "confirm_week": _confirm,
    "open_marks": _marks,
    "marks_choose_child": _marks_child,
    "what_do_i_need": _need,
    "download_extract": _extract,
    "choose_compose_child": _recipients,
    "send_new": _new_thread,
}


@pytest.mark.parametrize("handler", list(FORGED))
def test_another_familys_child_is_refused(world: StateWorld, other: tuple[int, int], handler):
    """A parent's forged call with another family's child's id is refused with a message,
    puts nothing of that child on the page and writes nothing."""
    before = _snapshot(world)
    st, result, shows_nothing = FORGED[handler](world, other[0])
    assert REFUSED in toast_text(result)
    assert shows_nothing(st)
    assert "Чужов" not in repr(st.dict())
    assert _snapshot(world) == before


@pytest.mark.parametrize("handler", ["open_week", "open_marks", "what_do_i_need"])
def test_a_student_cannot_open_a_classmates_diary(
    world: StateWorld, other: tuple[int, int], handler
):
    """A student's own login does not reach another child's diary either."""
    before = _snapshot(world)
    if handler == "open_week":
        st = world.state(DiaryState, world.token(Role.STUDENT))
        result = call(DiaryState.open_week, st, other[0], "")
        empty = not st.days
    elif handler == "open_marks":
        st = world.state(DiaryMarksState, world.token(Role.STUDENT))
        result = call(DiaryMarksState.open_marks, st, other[0], "")
        empty = not st.subjects and not st.periods
    else:
        st = world.state(DiaryMarksState, world.token(Role.STUDENT))
        result = call(DiaryMarksState.what_do_i_need, st, other[0], "1", 1, 4)
        empty = not st.need
    assert REFUSED in toast_text(result)
    assert empty
    assert _snapshot(world) == before


def test_a_student_cannot_confirm_the_week(world: StateWorld):
    """«Ознакомлен» is the parent's: a student's forged call is refused and stores nothing."""
    st = world.state(DiaryState, world.token(Role.STUDENT))
    before = _snapshot(world)
    result = call(DiaryState.confirm_week, st, world.school.student_id, MONDAY.isoformat())
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before


# --------------------------------------------------------------------------- threads


def _foreign_thread(world: StateWorld, other: tuple[int, int]) -> int:
    """The administrator writes to the other family about their child."""
    with world.session() as s:
        admin = load_actor(s, world.school.accounts[Role.ADMIN].user_id)
        view = messages.start_thread(
            s,
            actor=admin,
            student_id=other[0],
            recipient_user_ids=[other[1]],
            subject="О поведении",
            body="Секретное сообщение другой семье",
        )
        s.commit()
        return view.thread_id


def test_another_familys_thread_cannot_be_opened(world: StateWorld, other: tuple[int, int]):
    """Opening a thread one does not take part in is refused and shows none of it."""
    thread_id = _foreign_thread(world, other)
    st = world.state(MessagesState, world.token(Role.PARENT))
    result = call(MessagesState.open_thread, st, thread_id)
    assert toast_text(result)
    assert not st.is_open
    assert "Секретное" not in repr(st.dict())


def test_a_reply_into_another_familys_thread_is_refused(world: StateWorld, other: tuple[int, int]):
    """A forged reply to someone else's thread adds no message."""
    thread_id = _foreign_thread(world, other)
    st = world.state(MessagesState, world.token(Role.PARENT))
    before = _snapshot(world)
    result = call(MessagesState.send_reply, st, {"thread_id": str(thread_id), "body": "Влезаю"})
    assert toast_text(result)
    assert _snapshot(world) == before


def test_a_parent_writes_to_the_administration_about_their_child(world: StateWorld):
    """The allowed path works: a new thread to the director opens with the message."""
    st = world.state(MessagesState, world.token(Role.PARENT))
    call(MessagesState.start_composing, st)
    director = world.school.accounts[Role.DIRECTOR].user_id
    assert str(director) in [r["value"] for r in st.recipients]
    form = {"recipient": str(director), "subject": "Справка", "body": "Нужна справка"}
    call(MessagesState.send_new, st, form)
    assert st.is_open
    assert [m["body"] for m in st.thread["messages"]] == ["Нужна справка"]


# --------------------------------------------------------------------------- staff pages


def test_a_class_teacher_cannot_read_another_classs_confirmations(world: StateWorld):
    """Confirmations of a class one does not lead are refused and not shown."""
    st = world.state(ConfirmationsState, world.token(Role.CLASS_TEACHER))
    result = call(ConfirmationsState.show, st, str(world.school.other_class_id), "")
    assert REFUSED in toast_text(result)
    assert st.rows == []


def test_a_class_teacher_sees_their_class_confirmations(world: StateWorld):
    """The own class lists its students with whether a parent confirmed the week."""
    st = world.state(ConfirmationsState, world.token(Role.CLASS_TEACHER))
    call(ConfirmationsState.load, st)
    assert [c.value for c in st.classes] == [str(world.school.class_id)]
    assert [r.student_id for r in st.rows] == [world.school.student_id]
    assert not st.rows[0].confirmed


def test_a_class_teacher_cannot_post_to_another_class(world: StateWorld):
    """An announcement addressed to a class the teacher does not lead is refused, not stored."""
    st = world.state(AnnouncementsState, world.token(Role.CLASS_TEACHER))
    before = _snapshot(world)
    form = {
        "audience": "class",
        "class_id": str(world.school.other_class_id),
        "title": "Собрание",
        "body": "В пятницу",
        "starts_on": MONDAY.isoformat(),
        "ends_on": MONDAY.isoformat(),
    }
    result = call(AnnouncementsState.post, st, form)
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before
    assert st.managed == []


def test_a_parent_cannot_post_announcements(world: StateWorld):
    """A parent's forged post is refused before the service runs."""
    st = world.state(AnnouncementsState, world.token(Role.PARENT))
    before = _snapshot(world)
    form = {"audience": "school", "title": "Спам", "body": "Спам", "starts_on": "", "ends_on": ""}
    result = call(AnnouncementsState.post, st, form)
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before


def test_a_class_teachers_announcement_reaches_the_parents_week(world: StateWorld):
    """Posted to the own class, the announcement is stored and shows in the family's week."""
    st = world.state(AnnouncementsState, world.token(Role.CLASS_TEACHER))
    form = {
        "audience": "class",
        "class_id": str(world.school.class_id),
        "title": "Родительское собрание",
        "body": "В четверг в 18:00",
        "starts_on": MONDAY.isoformat(),
        "ends_on": (MONDAY + dt.timedelta(days=4)).isoformat(),
    }
    call(AnnouncementsState.post, st, form)
    assert [p.title for p in st.managed] == ["Родительское собрание"]
    diary_st = world.state(DiaryState, world.token(Role.PARENT))
    call(DiaryState.load, diary_st)
    assert [a["title"] for a in diary_st.announcements] == ["Родительское собрание"]


def test_the_confirmations_week_is_labelled_with_its_school_days(world: StateWorld):
    """On a five-day school the label runs Monday to Friday, as the diary's days do, and
    the page opens on the last finished week (this one after Friday, else the one before)."""
    st = world.state(ConfirmationsState, world.token(Role.CLASS_TEACHER))
    call(ConfirmationsState.load, st)
    monday = MONDAY if TODAY.weekday() >= 5 else MONDAY - dt.timedelta(days=7)
    assert st.week_label == week_title(monday, monday + dt.timedelta(days=4))


# --------------------------------------------------------------------------- managing announcements


def _announce(world: StateWorld, role: Role, audience: str, class_id: int | None) -> int:
    """Post through the service as `role` (this week, Monday to Sunday)."""
    with world.session() as s:
        actor = load_actor(s, world.school.accounts[role].user_id)
        view = announcements.post_announcement(
            s,
            actor=actor,
            audience=audience,
            class_id=class_id,
            title=f"Объявление {audience}",
            body="Текст",
            starts_on=MONDAY,
            ends_on=MONDAY + dt.timedelta(days=6),
        )
        s.commit()
        return view.announcement_id


def _ends_on(world: StateWorld, announcement_id: int) -> dt.date:
    with world.session() as s:
        row = s.get(Announcement, announcement_id)
        assert row is not None
        return row.ends_on


def test_a_class_teacher_lists_only_their_classs_announcements(world: StateWorld):
    """The page lists the own class's announcement with audience and dates, not the school's."""
    _announce(world, Role.DEPUTY, "school", None)
    own = _announce(world, Role.CLASS_TEACHER, "class", world.school.class_id)
    st = world.state(AnnouncementsState, world.token(Role.CLASS_TEACHER))
    call(AnnouncementsState.load, st)
    assert [m.key for m in st.managed] == [str(own)]
    assert st.managed[0].audience.startswith("Классу")
    assert st.managed[0].dates
    assert st.today == TODAY.isoformat()


def test_ending_early_hides_the_announcement_from_the_family(world: StateWorld):
    """«Снять» sets the end to yesterday, audits it, and the parent's week no longer shows it."""
    own = _announce(world, Role.CLASS_TEACHER, "class", world.school.class_id)
    st = world.state(AnnouncementsState, world.token(Role.CLASS_TEACHER))
    call(AnnouncementsState.load, st)
    audit_before = _snapshot(world)[-1]
    call(AnnouncementsState.end_early, st, str(own))
    assert _ends_on(world, own) == TODAY - dt.timedelta(days=1)
    assert _snapshot(world)[-1] == audit_before + 1
    assert st.managed == []
    diary_st = world.state(DiaryState, world.token(Role.PARENT))
    call(DiaryState.load, diary_st)
    assert diary_st.announcements == []


@pytest.mark.parametrize("role", [Role.CLASS_TEACHER, Role.PARENT, Role.TEACHER])
def test_ending_an_announcement_one_may_not_manage_is_refused(world: StateWorld, role: Role):
    """A forged «Снять» on another class's announcement (or by a parent or teacher) is
    refused and changes nothing."""
    foreign = _announce(world, Role.DEPUTY, "class", world.school.other_class_id)
    st = world.state(AnnouncementsState, world.token(role))
    before = _snapshot(world)
    result = call(AnnouncementsState.end_early, st, str(foreign))
    assert REFUSED in toast_text(result)
    assert _snapshot(world) == before
    assert _ends_on(world, foreign) == MONDAY + dt.timedelta(days=6)


# --------------------------------------------------------------------------- staff start threads


def _family_members(world: StateWorld) -> tuple[int, int]:
    """The tiny school's parent and student accounts (user ids)."""
    accounts = world.school.accounts
    return accounts[Role.PARENT].user_id, accounts[Role.STUDENT].user_id


def test_a_class_teacher_writes_to_a_students_parent(world: StateWorld):
    """Class → student → the parent ticked: the thread opens with the parent in it."""
    st = world.state(MessagesState, world.token(Role.CLASS_TEACHER))
    call(MessagesState.load, st)
    call(MessagesState.start_composing, st)
    assert st.staff_writer
    assert [c["value"] for c in st.classes] == [str(world.school.class_id)]
    assert str(world.school.student_id) in [s["value"] for s in st.students]
    call(MessagesState.choose_compose_child, st, str(world.school.student_id))
    parent_user, student_user = _family_members(world)
    assert {str(parent_user), str(student_user)} <= {r["value"] for r in st.recipients}
    form = {
        "student_id": str(world.school.student_id),
        f"to_{parent_user}": "on",
        "subject": "Экскурсия",
        "body": "В пятницу экскурсия",
    }
    call(MessagesState.send_new, st, form)
    assert st.is_open
    assert [m["body"] for m in st.thread["messages"]] == ["В пятницу экскурсия"]
    with world.session() as s:
        members = set(
            s.exec(
                select(ThreadParticipant.user_id).where(
                    ThreadParticipant.thread_id == st.thread["thread_id"]
                )
            ).all()
        )
    assert members == {world.school.accounts[Role.CLASS_TEACHER].user_id, parent_user}


def test_a_class_teacher_cannot_list_another_classs_students(world: StateWorld, other):
    """A forged class id of a class one neither teaches nor leads lists no one."""
    st = world.state(MessagesState, world.token(Role.CLASS_TEACHER))
    result = call(MessagesState.choose_compose_class, st, str(world.school.other_class_id))
    assert toast_text(result)
    assert st.students == [] and st.compose_class == ""
    assert "Чужов" not in repr(st.dict())


def test_a_class_teacher_cannot_reach_another_classs_family(world: StateWorld, other):
    """A forged child id from another class shows no recipients."""
    st = world.state(MessagesState, world.token(Role.CLASS_TEACHER))
    result = call(MessagesState.choose_compose_child, st, str(other[0]))
    assert toast_text(result)
    assert st.recipients == [] and st.compose_child == ""
    assert "Чужова" not in repr(st.dict())


def test_a_class_teacher_cannot_write_to_another_classs_family(world: StateWorld, other):
    """A forged new thread to another class's parent is refused and stores nothing."""
    st = world.state(MessagesState, world.token(Role.CLASS_TEACHER))
    before = _snapshot(world)
    form = {"student_id": str(other[0]), f"to_{other[1]}": "on", "subject": "Т", "body": "Т"}
    result = call(MessagesState.send_new, st, form)
    assert toast_text(result)
    assert not st.is_open
    assert _snapshot(world) == before


def test_a_parent_cannot_use_the_staffs_class_list(world: StateWorld):
    """A parent's forged call for a class's students is refused with nothing listed."""
    st = world.state(MessagesState, world.token(Role.PARENT))
    result = call(MessagesState.choose_compose_class, st, str(world.school.class_id))
    assert "сотрудники" in toast_text(result)
    assert st.students == []
