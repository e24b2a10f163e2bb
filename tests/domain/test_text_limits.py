"""Every write service that takes typed text: limits refused in Russian, nothing written,
invisible direction controls removed; and random text thrown at each of them."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, col, select

from ejournal.domain.diary import announcements, messages
from ejournal.domain.errors import ValidationError
from ejournal.domain.journal import (
    excuse_absence,
    paste_block,
    set_cell,
    set_lesson_details,
    set_period_mark,
    write_remark,
)
from ejournal.domain.models import (
    Announcement,
    Attendance,
    AuditLog,
    DiaryRemark,
    Lesson,
    Mark,
    Message,
    MessageThread,
    Parent,
    ParentLink,
    PeriodMark,
    Role,
    RoleGrant,
    Staff,
    Student,
    ThreadParticipant,
    User,
)
from ejournal.domain.people import users
from ejournal.domain.permissions import Actor
from ejournal.domain.text_rules import BIDI_CONTROLS, TextField, clean_text
from tests.domain.account_factories import actor_of, make_parent, make_staff
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

RECENT = D(2026, 10, 19)
RLO, PDF = "\u202e", "\u202c"
CYRILLIC = re.compile("[а-яё]", re.I)


@dataclass
class Ctx:
    """The tiny school plus what the write services need to exist already."""

    tiny: TinySchool
    admin: Actor
    lesson: Lesson  # Russian, 5 «А», 19.10.2026: students[0] absent, students[2..3] with 4s
    absence_version: int  # of students[0]'s cell on `lesson`
    thread_id: int  # the parent's thread with the Russian teacher
    lonely_parent_id: int  # a parent linked to no child

    def actor(self, who: str) -> Actor:
        return self.admin if who == "admin" else self.tiny.actors[who]

    @property
    def russian_teacher_user(self) -> int:
        return self.tiny.actors["russian"].user_id


def _build(session: Session) -> Ctx:
    tiny = make_school(session)
    _, admin_user = make_staff(session, tiny.school, [Role.ADMIN], last_name="Админова")
    admin = actor_of(session, admin_user)
    lesson = add_lesson(session, tiny.russian_5a, RECENT, 2)
    absence = set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[0].id or 0,
        text="н",
        expected_version=None,
        now=NOW,
    )
    for day in (13, 14, 15):
        earlier = add_lesson(session, tiny.russian_5a, D(2026, 10, day), 1)
        set_cell(
            session,
            actor=tiny.actors["russian"],
            lesson_id=earlier.id or 0,
            student_id=tiny.students[2].id or 0,
            text="4",
            expected_version=None,
            now=NOW,
        )
    thread = messages.start_thread(
        session,
        actor=tiny.actors["parent"],
        student_id=tiny.students[1].id or 0,
        recipient_user_ids=[tiny.actors["russian"].user_id],
        subject="Вопрос",
        body="Добрый день!",
    )
    lonely = make_parent(session, tiny.school, last_name="Одинокова")
    session.commit()
    return Ctx(tiny, admin, lesson, absence.cell.version, thread.thread_id, lonely.id or 0)


@pytest.fixture()
def ctx(session: Session) -> Ctx:
    return _build(session)


# --------------------------------------------------------------------------- the write services

#: One call of a service with the given texts (argument name → text).
Call = Callable[[Session, Ctx, dict[str, str]], Any]
#: What the service stored, as (field, text) pairs, from rows newer than the given audit id.
Stored = Callable[[Session, Ctx, int], list[tuple[TextField, str]]]


def _latest(session: Session, model: Any) -> Any:
    return session.exec(select(model).order_by(col(model.id).desc())).first()


def _audit_reasons(session: Session, since: int, field: TextField) -> list[tuple[TextField, str]]:
    rows = session.exec(select(AuditLog.reason).where(col(AuditLog.id) > since)).all()
    return [(field, r) for r in rows]


def _lesson_texts(session: Session, c: Ctx, since: int) -> list[tuple[TextField, str]]:
    lesson = session.get(Lesson, c.lesson.id)
    assert lesson is not None
    return [
        (TextField.LESSON_TOPIC, lesson.topic),
        (TextField.HOMEWORK, lesson.homework),
        (TextField.HOMEWORK_LINKS, lesson.homework_links),
        *_audit_reasons(session, since, TextField.CORRECTION_REASON),
    ]


def _names(person: Staff | Student | Parent) -> list[tuple[TextField, str]]:
    return [
        (TextField.LAST_NAME, person.last_name),
        (TextField.FIRST_NAME, person.first_name),
        (TextField.MIDDLE_NAME, person.middle_name),
    ]


@dataclass(frozen=True)
class Case:
    """A write service taking text: its text arguments, how to call it, what it stored."""

    name: str
    fields: dict[str, TextField | None]  # None: a journal cell ("5", "н"), not free text
    call: Call
    stored: Stored


CASES = [
    Case(
        "set_lesson_details",
        {
            "topic": TextField.LESSON_TOPIC,
            "homework": TextField.HOMEWORK,
            "homework_links": TextField.HOMEWORK_LINKS,
            "reason": TextField.CORRECTION_REASON,
        },
        lambda s, c, t: set_lesson_details(
            s,
            actor=c.actor("russian"),
            lesson_id=c.lesson.id or 0,
            expected_version=_lesson_version(s, c),
            now=NOW,
            **t,
        ),
        _lesson_texts,
    ),
    Case(
        "set_cell",
        {"text": None, "reason": TextField.CORRECTION_REASON},
        lambda s, c, t: set_cell(
            s,
            actor=c.actor("russian"),
            lesson_id=c.lesson.id or 0,
            student_id=c.tiny.students[1].id or 0,
            expected_version=None,
            now=NOW,
            **t,
        ),
        lambda s, c, since: _audit_reasons(s, since, TextField.CORRECTION_REASON),
    ),
    Case(
        "paste_block",
        {"cell": None, "reason": TextField.CORRECTION_REASON},
        lambda s, c, t: paste_block(
            s,
            actor=c.actor("russian"),
            lesson_ids=[c.lesson.id or 0],
            student_ids=[c.tiny.students[1].id or 0],
            rows=[[t["cell"]]],
            reason=t["reason"],
            now=NOW,
        ),
        lambda s, c, since: _audit_reasons(s, since, TextField.CORRECTION_REASON),
    ),
    Case(
        "set_period_mark",
        {"justification": TextField.JUSTIFICATION},
        lambda s, c, t: set_period_mark(
            s,
            actor=c.actor("russian"),
            student_id=c.tiny.students[2].id or 0,
            assignment_id=c.tiny.russian_5a.id or 0,
            period_id=c.tiny.q1.id or 0,
            value=5,  # against a suggested 4: the justification is required
            expected_version=0,
            now=NOW,
            **t,
        ),
        lambda s, c, since: [
            (TextField.JUSTIFICATION, p.justification) for p in s.exec(select(PeriodMark)).all()
        ],
    ),
    Case(
        "excuse_absence",
        {"reason": TextField.ABSENCE_REASON},
        lambda s, c, t: excuse_absence(
            s,
            actor=c.actor("class_teacher"),
            student_id=c.tiny.students[0].id or 0,
            lesson_id=c.lesson.id or 0,
            expected_version=c.absence_version,
            **t,
        ),
        lambda s, c, since: [
            (TextField.ABSENCE_REASON, a.reason) for a in s.exec(select(Attendance)).all()
        ],
    ),
    Case(
        "write_remark",
        {"text": TextField.REMARK},
        lambda s, c, t: write_remark(
            s,
            actor=c.actor("class_teacher"),
            student_id=c.tiny.students[0].id or 0,
            kind="remark",
            **t,
        ),
        lambda s, c, since: [(TextField.REMARK, r.text) for r in s.exec(select(DiaryRemark)).all()],
    ),
    Case(
        "start_thread",
        {"subject": TextField.MESSAGE_SUBJECT, "body": TextField.MESSAGE_BODY},
        lambda s, c, t: messages.start_thread(
            s,
            actor=c.actor("parent"),
            student_id=c.tiny.students[1].id or 0,
            recipient_user_ids=[c.russian_teacher_user],
            **t,
        ),
        lambda s, c, since: [
            *((TextField.MESSAGE_SUBJECT, m.subject) for m in s.exec(select(MessageThread)).all()),
            *((TextField.MESSAGE_BODY, m.body) for m in s.exec(select(Message)).all()),
        ],
    ),
    Case(
        "reply",
        {"body": TextField.MESSAGE_BODY},
        lambda s, c, t: messages.reply(s, actor=c.actor("russian"), thread_id=c.thread_id, **t),
        lambda s, c, since: [
            (TextField.MESSAGE_BODY, m.body) for m in s.exec(select(Message)).all()
        ],
    ),
    Case(
        "post_announcement",
        {"title": TextField.ANNOUNCEMENT_TITLE, "body": TextField.ANNOUNCEMENT_BODY},
        lambda s, c, t: announcements.post_announcement(
            s,
            actor=c.actor("deputy"),
            audience="school",
            starts_on=RECENT,
            ends_on=RECENT + dt.timedelta(days=7),
            **t,
        ),
        lambda s, c, since: [
            pair
            for a in s.exec(select(Announcement)).all()
            for pair in (
                (TextField.ANNOUNCEMENT_TITLE, a.title),
                (TextField.ANNOUNCEMENT_BODY, a.body),
            )
        ],
    ),
    Case(
        "create_staff_user",
        {
            "last_name": TextField.LAST_NAME,
            "first_name": TextField.FIRST_NAME,
            "middle_name": TextField.MIDDLE_NAME,
            "position": TextField.POSITION,
        },
        lambda s, c, t: users.create_staff_user(
            s, actor=c.actor("admin"), roles=[Role.TEACHER], **t
        ),
        lambda s, c, since: [
            pair
            for p in s.exec(select(Staff)).all()
            for pair in [*_names(p), (TextField.POSITION, p.position)]
        ],
    ),
    Case(
        "create_student",
        {
            "last_name": TextField.LAST_NAME,
            "first_name": TextField.FIRST_NAME,
            "middle_name": TextField.MIDDLE_NAME,
        },
        lambda s, c, t: users.create_student(
            s,
            actor=c.actor("admin"),
            class_id=c.tiny.class5.id or 0,
            gender="f",
            birth_date=D(2015, 5, 5),
            **t,
        ),
        lambda s, c, since: [pair for p in s.exec(select(Student)).all() for pair in _names(p)],
    ),
    Case(
        "create_parent",
        {
            "last_name": TextField.LAST_NAME,
            "first_name": TextField.FIRST_NAME,
            "middle_name": TextField.MIDDLE_NAME,
            "relation": TextField.RELATION,
            "phone": TextField.PHONE,
            "email": TextField.EMAIL,
        },
        lambda s, c, t: users.create_parent(
            s, actor=c.actor("admin"), student_ids=[c.tiny.students[3].id or 0], **t
        ),
        lambda s, c, since: [
            *(
                pair
                for p in s.exec(select(Parent)).all()
                for pair in [*_names(p), (TextField.PHONE, p.phone), (TextField.EMAIL, p.email)]
            ),
            *((TextField.RELATION, link.relation) for link in s.exec(select(ParentLink)).all()),
        ],
    ),
    Case(
        "link_parent",
        {"relation": TextField.RELATION},
        lambda s, c, t: users.link_parent(
            s,
            actor=c.actor("admin"),
            parent_id=c.lonely_parent_id,
            student_id=c.tiny.students[3].id or 0,
            **t,
        ),
        lambda s, c, since: [
            (TextField.RELATION, link.relation) for link in s.exec(select(ParentLink)).all()
        ],
    ),
]


def _lesson_version(session: Session, c: Ctx) -> int:
    lesson = session.get(Lesson, c.lesson.id)
    assert lesson is not None
    return lesson.version


#: Tables whose rows a refused call must leave exactly as they were.
WATCHED = [
    AuditLog,
    Lesson,
    Mark,
    Attendance,
    PeriodMark,
    DiaryRemark,
    MessageThread,
    Message,
    Announcement,
    User,
    Staff,
    Student,
    Parent,
    ParentLink,
    RoleGrant,
    ThreadParticipant,
]


def _snapshot(session: Session) -> tuple[Any, ...]:
    """Row counts of the watched tables and the lesson texts: what a refusal must not change."""
    counts = tuple(session.exec(select(func.count()).select_from(m)).one() for m in WATCHED)
    lessons = session.exec(
        select(
            Lesson.id, Lesson.topic, Lesson.homework, Lesson.homework_links, Lesson.version
        ).order_by(col(Lesson.id))
    ).all()
    return counts, tuple(lessons)


def _last_audit_id(session: Session) -> int:
    return session.exec(select(func.coalesce(func.max(AuditLog.id), 0))).one()


@contextlib.contextmanager
def _undone(session: Session) -> Iterator[Session]:
    """A fresh session on the test's connection whose work, commits included, is undone after.

    Hypothesis runs many examples in one test; each starts from the same data.
    """
    connection = session.connection()
    savepoint = connection.begin_nested()
    inner = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield inner
    finally:
        inner.close()
        savepoint.rollback()


def _assert_clean(field: TextField, text: str) -> None:
    assert len(text) <= field.limit, (field, len(text))
    assert not BIDI_CONTROLS & set(text), (field, text)
    allowed = {"\n", "\t"} if field.multiline else set()
    assert all(unicodedata.category(ch) != "Cc" or ch in allowed for ch in text), (field, text)


def _run(session: Session, c: Ctx, case: Case, texts: dict[str, str]) -> None:
    """Call the service: either a Russian refusal with nothing changed, or clean stored text."""
    with _undone(session) as s:
        before, since = _snapshot(s), _last_audit_id(s)
        try:
            result = case.call(s, c, texts)
        except ValidationError as refused:
            event("refused")
            assert CYRILLIC.search(refused.message), refused.message
            s.rollback()  # as db.run_transaction does with a refused call
            assert _snapshot(s) == before
            return
        if getattr(result, "saved", True) is False:  # a pasted block refused cell by cell
            event("refused cell by cell")
            assert result.errors and all(CYRILLIC.search(e.message) for e in result.errors)
            assert _snapshot(s) == before
            return
        event("stored")
        stored = case.stored(s, c, since)
        for field, text in stored:
            _assert_clean(field, text)
        for name, field in case.fields.items():
            if field is None or field is TextField.HOMEWORK_LINKS:
                continue  # a cell is no free text; links are re-joined line by line
            expected = clean_text(texts[name], field=field)
            if field is TextField.CORRECTION_REASON:  # in every audit row of a change, if any
                assert all(text == expected for f, text in stored if f is field), name
            else:
                assert (field, expected) in stored, (name, expected)


# --------------------------------------------------------------------------- limits refused


def _long(field: TextField) -> str:
    return "ж" * (field.limit + 1)


@pytest.mark.parametrize(
    ("case_name", "argument"),
    [
        ("set_lesson_details", "topic"),
        ("set_lesson_details", "homework"),
        ("set_lesson_details", "reason"),
        ("set_period_mark", "justification"),
        ("excuse_absence", "reason"),
        ("write_remark", "text"),
        ("start_thread", "subject"),
        ("reply", "body"),
        ("post_announcement", "body"),
        ("create_staff_user", "last_name"),
        ("create_staff_user", "position"),
        ("create_student", "middle_name"),
        ("create_parent", "email"),
        ("create_parent", "relation"),
        ("link_parent", "relation"),
    ],
)
def test_over_long_text_is_refused_naming_the_field_and_nothing_is_written(
    session: Session, ctx: Ctx, case_name: str, argument: str
) -> None:
    """A text one character over its limit is refused with a Russian message naming the
    field and the limit, and no row changes."""
    case = next(c for c in CASES if c.name == case_name)
    field = case.fields[argument]
    assert field is not None
    texts = {name: _ordinary(f) for name, f in case.fields.items()}
    texts[argument] = _long(field)
    with _undone(session) as s:
        before = _snapshot(s)
        with pytest.raises(ValidationError) as refused:
            case.call(s, ctx, texts)
        assert refused.value.message == (
            f"{field.label} длиннее {field.limit} знаков (сейчас {field.limit + 1})."
        )
        assert _snapshot(s) == before


def _ordinary(field: TextField | None) -> str:
    """A text every service accepts for the field."""
    return {
        TextField.HOMEWORK_LINKS: "https://resh.edu.ru/subject/lesson/7623/",
        TextField.PHONE: "+7 900 123-45-67",
        TextField.EMAIL: "mama@example.ru",
        TextField.RELATION: "мать",
        TextField.CORRECTION_REASON: "",
    }.get(field, "Обычный текст")


def test_nine_hundred_thousand_characters_of_homework_are_refused(
    session: Session, ctx: Ctx
) -> None:
    """The homework of the issue: refused with its length, the lesson unchanged."""
    with pytest.raises(ValidationError, match="Домашнее задание длиннее 2000 знаков"):
        set_lesson_details(
            session,
            actor=ctx.actor("russian"),
            lesson_id=ctx.lesson.id or 0,
            expected_version=_lesson_version(session, ctx),
            homework="§" * 900_000,
            now=NOW,
        )
    stored = session.get(Lesson, ctx.lesson.id)
    assert stored is not None and stored.homework == ""


def test_a_topic_of_a_hundred_kilobytes_is_refused_not_cut(session: Session, ctx: Ctx) -> None:
    """A 100 KB topic is refused whole; no 500-character stub is saved."""
    with pytest.raises(ValidationError, match="Тема урока длиннее 500 знаков"):
        set_lesson_details(
            session,
            actor=ctx.actor("russian"),
            lesson_id=ctx.lesson.id or 0,
            expected_version=_lesson_version(session, ctx),
            topic="Т" * 100_000,
            now=NOW,
        )
    stored = session.get(Lesson, ctx.lesson.id)
    assert stored is not None and stored.topic == ""


def test_a_long_phone_is_refused_not_cut(session: Session, ctx: Ctx) -> None:
    """A parent's phone over 32 characters is refused; before, it was cut silently."""
    with pytest.raises(ValidationError, match="Телефон длиннее 32 знаков"):
        users.create_parent(
            session,
            actor=ctx.admin,
            last_name="Петрова",
            first_name="Ольга",
            middle_name="",
            phone="8" * 40,
        )
    assert session.exec(select(Parent).where(Parent.last_name == "Петрова")).first() is None


# --------------------------------------------------------------------------- direction controls


def test_direction_controls_are_removed_from_a_remark(session: Session, ctx: Ctx) -> None:
    """«Оценка оплаит: 5» cannot be forged: the remark is stored without the controls."""
    result = write_remark(
        session,
        actor=ctx.actor("class_teacher"),
        student_id=ctx.tiny.students[0].id or 0,
        kind="remark",
        text=f"Оценка {RLO}тиалпо{PDF}: 5",
    )
    assert result.text == "Оценка тиалпо: 5"
    assert _latest(session, DiaryRemark).text == "Оценка тиалпо: 5"


def test_direction_controls_are_removed_from_topic_and_homework(session: Session, ctx: Ctx) -> None:
    """Topic and homework are stored without direction controls."""
    set_lesson_details(
        session,
        actor=ctx.actor("russian"),
        lesson_id=ctx.lesson.id or 0,
        expected_version=_lesson_version(session, ctx),
        topic=f"Имя {RLO}еоньлетагалирп{PDF}",
        homework="\u2067§12\u2069, упр.\u200f 5",
        now=NOW,
    )
    stored = session.get(Lesson, ctx.lesson.id)
    assert stored is not None
    assert (stored.topic, stored.homework) == ("Имя еоньлетагалирп", "§12, упр. 5")


def test_direction_controls_are_removed_from_a_message(session: Session, ctx: Ctx) -> None:
    """A message's subject and text are stored without direction controls."""
    view = messages.start_thread(
        session,
        actor=ctx.actor("parent"),
        student_id=ctx.tiny.students[1].id or 0,
        recipient_user_ids=[ctx.russian_teacher_user],
        subject=f"{RLO}Оценка",
        body=f"Добрый день!{RLO}\u200e",
    )
    assert (view.subject, view.messages[0].body) == ("Оценка", "Добрый день!")


def test_direction_controls_are_removed_from_an_announcement(session: Session, ctx: Ctx) -> None:
    """An announcement's title and text are stored without direction controls."""
    view = announcements.post_announcement(
        session,
        actor=ctx.actor("deputy"),
        audience="school",
        title=f"Собрание{RLO}",
        body=f"\u2066В пятницу{PDF}",
        starts_on=RECENT,
        ends_on=RECENT,
    )
    assert (view.title, view.body) == ("Собрание", "В пятницу")


def test_direction_controls_are_removed_from_names(session: Session, ctx: Ctx) -> None:
    """A new staff member's name and login carry no direction controls."""
    issued = users.create_staff_user(
        session,
        actor=ctx.admin,
        last_name=f"{RLO}Сидорова{PDF}",
        first_name="Анна\u200f",
        middle_name="",
        roles=[Role.TEACHER],
    )
    staff = session.exec(select(Staff).where(Staff.user_id == issued.user_id)).one()
    assert (staff.last_name, staff.first_name, issued.login) == ("Сидорова", "Анна", "sidorova.a")


def test_a_name_of_only_invisible_characters_is_refused(session: Session, ctx: Ctx) -> None:
    """A surname made of direction controls is empty once cleaned: refused as missing."""
    with pytest.raises(ValidationError, match="Укажите фамилию"):
        users.create_student(
            session,
            actor=ctx.admin,
            last_name=f"{RLO}{PDF}\u200b",
            first_name="Анна",
            middle_name="",
            class_id=ctx.tiny.class5.id or 0,
            gender="f",
            birth_date=D(2015, 5, 5),
        )


# --------------------------------------------------------------------------- random text

#: Characters that trip text handling: direction and format controls, C0/C1, line breaks.
NASTY = [
    *sorted(BIDI_CONTROLS),
    *"\x00\x07\x1b\x1f\x7f\x85\x9b\t\n\r\v\u2028\u00a0\u200b\u200d\ufeff\u00ad",
    "\ud800",
    "\U000e0041",
]
CHARS = st.one_of(st.characters(), st.sampled_from(NASTY), st.sampled_from("5н 4"))


def _texts(field: TextField | None) -> st.SearchStrategy[str]:
    """Short random text, text padded to just around the field's limit, or an ordinary
    value (so that a service with several fields is not refused for one of them every time)."""
    if field is None:
        return st.one_of(st.text(CHARS, max_size=6), st.sampled_from(["5", "н", " 4 "]))
    around = st.builds(
        lambda head, n, tail: head + "щ" * n + tail,
        st.text(CHARS, max_size=8),
        st.integers(max(0, field.limit - 12), field.limit + 4),
        st.text(CHARS, max_size=8),
    )
    return st.one_of(st.text(CHARS, max_size=30), around, st.just(_ordinary(field)))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_text_is_refused_in_russian_or_stored_clean(
    session: Session, ctx: Ctx, case: Case, data: st.DataObject
) -> None:
    """Random text (controls, direction marks, lone surrogates, around the limit) at every
    write service: a Russian refusal that changes nothing, or stored text within its limit
    and free of direction and control characters, equal to the cleaned input."""
    texts = {name: data.draw(_texts(field), label=name) for name, field in case.fields.items()}
    _run(session, ctx, case, texts)
