"""The timetable builder (issue 13) on the tiny school: Russian in 5 «А» (Смирнова) sits
Mon 2, Tue 1, Wed 3, Thu 2, Fri 1 in room 21 from 1 September; maths in 5 «А»
(Кузнецов, 5 h) has no slots yet; the school keeps a five-day week."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, col, select

from ejournal.domain import db, migrate
from ejournal.domain.audit.chain import AuditAction
from ejournal.domain.errors import DomainError, PermissionDenied, ValidationError
from ejournal.domain.journal.read import list_teacher_lessons
from ejournal.domain.models import AuditLog, CurriculumHours, TimetableSlot
from ejournal.domain.setup import timetable as tt
from tests import conftest
from tests.conftest import BACKENDS
from tests.factories import D, TinySchool, add_lesson, add_staff, add_subgroup, make_school

pytestmark = pytest.mark.db

MONDAY = D(2026, 10, 19)


@pytest.fixture
def tiny(session: Session) -> TinySchool:
    return make_school(session)


def slots(session: Session, assignment_id: int | None) -> list[tuple[Any, ...]]:
    rows = session.exec(
        select(TimetableSlot)
        .where(TimetableSlot.assignment_id == assignment_id)
        .order_by(col(TimetableSlot.weekday), col(TimetableSlot.number), col(TimetableSlot.id))
    ).all()
    return [(s.weekday, s.number, s.room, s.valid_from, s.valid_to) for s in rows]


def add_maths(session: Session, tiny: TinySchool, **kw: Any) -> tt.Done:
    args: dict[str, Any] = {
        "assignment_id": tiny.maths_5a.id,
        "weekday": 1,
        "number": 1,
        "room": "14",
        "valid_from": MONDAY,
    }
    args.update(kw)
    return tt.add_slot(session, actor=tiny.actors["deputy"], **args)


def test_a_weekly_lesson_is_added_and_shown_in_the_class_grid(session, tiny):
    """Maths on Monday 1st from 19 October appears in 5 «А»'s grid from that date only."""
    done = add_maths(session, tiny)
    assert "Математика" in done.message and "Понедельник, 1-й урок" in done.message
    view = tt.timetable_view(
        session, actor=tiny.actors["deputy"], kind="class", object_id=tiny.class5.id, on=MONDAY
    )
    monday_first = [c for c in view.cells if (c.weekday, c.number) == (1, 1)]
    assert [(c.subject, c.teacher, c.room) for c in monday_first] == [
        ("Математика", "Кузнецов И. О.", "14")
    ]
    before = tt.timetable_view(
        session,
        actor=tiny.actors["deputy"],
        kind="class",
        object_id=tiny.class5.id,
        on=D(2026, 10, 12),
    )
    assert not [c for c in before.cells if c.subject == "Математика"]
    assert view.weekdays == (1, 2, 3, 4, 5)
    log = session.exec(
        select(AuditLog).where(AuditLog.action == AuditAction.TIMETABLE_UPDATE)
    ).all()
    assert len(log) == 1


def test_teacher_and_room_views(session, tiny):
    """The teacher's grid names the class; the room's grid lists every lesson in it."""
    add_maths(session, tiny, room="21", weekday=1, number=1)
    by_teacher = tt.timetable_view(
        session,
        actor=tiny.actors["deputy"],
        kind="teacher",
        object_id=tiny.staff["maths"].id,
        on=MONDAY,
    )
    assert [(c.weekday, c.number, c.class_name) for c in by_teacher.cells] == [(1, 1, "5 «А»")]
    by_room = tt.timetable_view(
        session, actor=tiny.actors["deputy"], kind="room", object_id="21", on=MONDAY
    )
    assert len(by_room.cells) == 6  # five Russian lessons and the maths one
    assert "21" in [r.value for r in by_room.rooms]


def test_the_same_class_twice_is_refused_naming_the_other_lesson(session, tiny):
    """Maths on Monday 2nd, where Russian already is, is refused in words; nothing written."""
    with pytest.raises(ValidationError) as e:
        add_maths(session, tiny, number=2, room="14")
    assert "5 «А»" in e.value.message and "Русский язык" in e.value.message
    assert "Смирнова А. П." in e.value.message
    assert slots(session, tiny.maths_5a.id) == []


def test_the_same_teacher_twice_is_refused(session, tiny):
    """Смирнова teaching 1 «А» on Monday 2nd while she has 5 «А» is refused."""
    from ejournal.domain.models import TeachingAssignment

    tiny.russian_1a.teacher_id = tiny.staff["russian"].id or 0
    session.add(tiny.russian_1a)
    session.commit()
    with pytest.raises(ValidationError) as e:
        tt.add_slot(
            session,
            actor=tiny.actors["deputy"],
            assignment_id=tiny.russian_1a.id,
            weekday=1,
            number=2,
            room="3",
            valid_from=MONDAY,
        )
    assert "У учителя Смирнова А. П." in e.value.message
    assert session.get(TeachingAssignment, tiny.russian_1a.id) is not None
    assert slots(session, tiny.russian_1a.id) == []


def test_the_same_room_twice_is_refused_but_an_empty_room_is_not(session, tiny):
    """1 «А» cannot use room 21 on Monday 2nd; with no room given it can."""
    kw = {"assignment_id": tiny.russian_1a.id, "weekday": 1, "number": 2, "valid_from": MONDAY}
    with pytest.raises(ValidationError) as e:
        tt.add_slot(session, actor=tiny.actors["deputy"], room="21", **kw)
    assert "Кабинет 21" in e.value.message
    tt.add_slot(session, actor=tiny.actors["deputy"], room="", **kw)
    assert len(slots(session, tiny.russian_1a.id)) == 1


def test_two_subgroups_may_sit_together_but_not_with_the_whole_class(session, tiny):
    """English groups 1 and 2 of 5 «А» share Monday 1st; maths (whole class) then clashes,
    and group 1 cannot be put twice."""
    from ejournal.domain.models import Subject, TeachingAssignment

    english = Subject(school_id=tiny.school.id or 0, name="Английский язык")
    session.add(english)
    session.flush()
    g1 = add_subgroup(session, tiny.class5, english, "группа 1", tiny.students[:2])
    g2 = add_subgroup(session, tiny.class5, english, "группа 2", tiny.students[2:4])
    t2, _ = add_staff(session, tiny.school, "petrova", "Петрова", "Ольга")
    tas = []
    for g, teacher in ((g1, tiny.staff["class_teacher"]), (g2, t2)):
        ta = TeachingAssignment(
            year_id=tiny.year.id or 0,
            teacher_id=teacher.id or 0,
            class_id=tiny.class5.id or 0,
            subgroup_id=g.id,
            subject_id=english.id or 0,
            hours_per_week=Decimal(3),
        )
        session.add(ta)
        session.flush()
        tas.append(ta)
    session.commit()
    deputy = tiny.actors["deputy"]
    kw = {"weekday": 1, "number": 1, "valid_from": MONDAY}
    tt.add_slot(session, actor=deputy, assignment_id=tas[0].id, room="31", **kw)
    tt.add_slot(session, actor=deputy, assignment_id=tas[1].id, room="32", **kw)
    with pytest.raises(ValidationError) as e:
        add_maths(session, tiny, room="14")
    assert "группа" in e.value.message
    # Group 1 again, with another teacher (a second subject taught to the same group).
    again = TeachingAssignment(
        year_id=tiny.year.id or 0,
        teacher_id=tiny.staff["primary"].id or 0,
        class_id=tiny.class5.id or 0,
        subgroup_id=g1.id,
        subject_id=tiny.music.id or 0,
        hours_per_week=Decimal(1),
    )
    session.add(again)
    session.commit()
    with pytest.raises(ValidationError, match="У класса 5 «А», группа 1"):
        tt.add_slot(session, actor=deputy, assignment_id=again.id, room="33", **kw)
    assert slots(session, again.id) == []


def test_a_lesson_ending_before_the_new_one_starts_is_no_clash(session, tiny):
    """Russian taken off Monday 2nd from 9 November: maths may take the place from then,
    not before."""
    deputy = tiny.actors["deputy"]
    monday2 = next(
        s for s in session.exec(select(TimetableSlot)) if (s.weekday, s.number) == (1, 2)
    )
    tt.remove_slot(session, actor=deputy, slot_id=monday2.id, from_date=D(2026, 11, 9))
    with pytest.raises(ValidationError):
        add_maths(session, tiny, number=2, valid_from=D(2026, 11, 2))
    add_maths(session, tiny, number=2, valid_from=D(2026, 11, 9))
    assert slots(session, tiny.maths_5a.id) == [(1, 2, "14", D(2026, 11, 9), None)]


def test_days_beyond_the_school_week_and_bad_numbers_are_refused(session, tiny):
    """Saturday in a five-day school, lesson 11 and a date outside the year are refused."""
    with pytest.raises(ValidationError, match="пятидневная"):
        add_maths(session, tiny, weekday=6)
    with pytest.raises(ValidationError, match="от 0 до 10"):
        add_maths(session, tiny, number=11)
    with pytest.raises(ValidationError, match="учебного года"):
        add_maths(session, tiny, valid_from=D(2027, 7, 1))
    with pytest.raises(ValidationError):
        add_maths(session, tiny, weekday="пн")
    tiny.school.days_per_week = 6
    session.add(tiny.school)
    session.commit()
    add_maths(session, tiny, weekday=6)
    assert slots(session, tiny.maths_5a.id)[0][0] == 6


def test_removing_from_a_date_keeps_past_lessons_and_their_slot(session, tiny):
    """Russian Monday 2nd removed from 9 November: the slot ends on 8 November, the lesson
    held on 19 October keeps its slot and the grid before the date still shows it."""
    deputy = tiny.actors["deputy"]
    held = add_lesson(session, tiny.russian_5a, MONDAY, 2, topic="Имя существительное")
    monday2 = next(
        s for s in session.exec(select(TimetableSlot)) if (s.weekday, s.number) == (1, 2)
    )
    tt.remove_slot(session, actor=deputy, slot_id=monday2.id, from_date=D(2026, 11, 9))
    assert (1, 2, "21", D(2026, 9, 1), D(2026, 11, 8)) in slots(session, tiny.russian_5a.id)
    past = tt.timetable_view(
        session, actor=deputy, kind="class", object_id=tiny.class5.id, on=MONDAY
    )
    later = tt.timetable_view(
        session, actor=deputy, kind="class", object_id=tiny.class5.id, on=D(2026, 11, 9)
    )
    assert any((c.weekday, c.number) == (1, 2) for c in past.cells)
    assert not any((c.weekday, c.number) == (1, 2) for c in later.cells)
    session.refresh(held)
    assert held.topic == "Имя существительное"
    mine = list_teacher_lessons(session, actor=tiny.actors["russian"], on=MONDAY)
    assert [(i.number, i.topic) for i in mine] == [(2, "Имя существительное")]
    assert list_teacher_lessons(session, actor=tiny.actors["russian"], on=D(2026, 11, 9)) == []


def test_a_slot_that_had_not_started_is_deleted(session, tiny):
    """A slot added from 9 November and removed from 2 November is simply gone."""
    done = add_maths(session, tiny, valid_from=D(2026, 11, 9))
    tt.remove_slot(
        session, actor=tiny.actors["deputy"], slot_id=done.slot_id, from_date=D(2026, 11, 2)
    )
    assert slots(session, tiny.maths_5a.id) == []


def test_moving_from_a_date_keeps_the_old_place_before_it(session, tiny):
    """Russian Monday 2nd moved to Monday 4th, room 22, from 9 November."""
    monday2 = next(
        s for s in session.exec(select(TimetableSlot)) if (s.weekday, s.number) == (1, 2)
    )
    tt.move_slot(
        session,
        actor=tiny.actors["deputy"],
        slot_id=monday2.id,
        from_date=D(2026, 11, 9),
        weekday=1,
        number=4,
        room="22",
    )
    got = slots(session, tiny.russian_5a.id)
    assert (1, 2, "21", D(2026, 9, 1), D(2026, 11, 8)) in got
    assert (1, 4, "22", D(2026, 11, 9), None) in got


def test_hours_are_checked_against_the_load_and_the_curriculum(session, tiny):
    """Maths (5 h) with one lesson and a curriculum of 6 h shows both warnings; Russian's
    five lessons match its load."""
    session.add(
        CurriculumHours(
            year_id=tiny.year.id or 0,
            grade=5,
            subject_id=tiny.maths.id or 0,
            hours_per_week=Decimal(6),
        )
    )
    session.commit()
    add_maths(session, tiny)
    view = tt.timetable_view(
        session, actor=tiny.actors["deputy"], kind="class", object_id=tiny.class5.id, on=MONDAY
    )
    text = "\n".join(view.warnings)
    assert "5 «А», Математика: в расписании 1 ч в неделю, по нагрузке 5 ч." in text
    assert "по учебному плану 6 ч" in text
    assert "Русский язык" not in text


def test_the_printed_timetable_has_every_lesson_in_cyrillic(session, tiny):
    """The class PDF names every subject, room and bell time; the teacher PDF names the
    class."""
    import datetime as dt

    from ejournal.domain.models import BellSlot

    session.add(
        BellSlot(
            school_id=tiny.school.id or 0,
            number=1,
            starts_at=dt.time(8, 30),
            ends_at=dt.time(9, 15),
        )
    )
    session.commit()
    add_maths(session, tiny)
    deputy = tiny.actors["deputy"]
    name, data = tt.timetable_pdf(
        session, actor=deputy, kind="class", object_id=tiny.class5.id, on=MONDAY
    )
    assert name.endswith(".pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Расписание: 5 «А»" in text
    assert text.count("Русский язык") == 5
    assert text.count("Математика") == 1
    assert "каб. 14" in text and "Понедельник" in text and "Пятница" in text
    assert "08:30–09:15" in text
    _, teacher_pdf = tt.timetable_pdf(
        session, actor=deputy, kind="teacher", object_id=tiny.staff["russian"].id, on=MONDAY
    )
    ttext = "".join(p.extract_text() for p in PdfReader(io.BytesIO(teacher_pdf)).pages)
    assert "Смирнова А. П." in ttext and ttext.count("Русский язык") == 5


@pytest.mark.parametrize("who", ["russian", "class_teacher", "parent", "student"])
def test_forged_calls_change_nothing(session, tiny, who):
    """A teacher, a class teacher, a parent or a student calling the services is refused."""
    actor = tiny.actors[who]
    before = slots(session, tiny.russian_5a.id)
    monday2 = next(
        s for s in session.exec(select(TimetableSlot)) if (s.weekday, s.number) == (1, 2)
    )
    calls: list[Callable[[], Any]] = [
        lambda: (
            add_maths(session, tiny)
            if False
            else tt.add_slot(
                session,
                actor=actor,
                assignment_id=tiny.maths_5a.id,
                weekday=1,
                number=1,
                room="",
                valid_from=MONDAY,
            )
        ),
        lambda: tt.remove_slot(session, actor=actor, slot_id=monday2.id, from_date=MONDAY),
        lambda: tt.timetable_view(
            session, actor=actor, kind="class", object_id=tiny.class5.id, on=MONDAY
        ),
        lambda: tt.timetable_pdf(
            session, actor=actor, kind="class", object_id=tiny.class5.id, on=MONDAY
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
        session.rollback()
    assert slots(session, tiny.russian_5a.id) == before
    assert slots(session, tiny.maths_5a.id) == []


def test_another_schools_assignment_is_refused(session, tiny):
    """A deputy of another school cannot put a lesson into this school's timetable."""
    from dataclasses import replace

    stranger = replace(tiny.actors["deputy"], school_id=(tiny.school.id or 0) + 1000)
    with pytest.raises(DomainError):
        tt.add_slot(
            session,
            actor=stranger,
            assignment_id=tiny.maths_5a.id,
            weekday=1,
            number=1,
            room="",
            valid_from=MONDAY,
        )
    assert slots(session, tiny.maths_5a.id) == []


# --------------------------------------------------------------------------- concurrency


@pytest.fixture(params=BACKENDS)
def school_db(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[conftest.TestDatabase, TinySchool]]:
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as s:
        tiny = make_school(s)
        s.commit()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield database, tiny
    conftest.dispose_database(database)


def test_two_deputies_filling_one_cell_at_once_one_wins(school_db):
    """Maths and music put into 5 «А»'s Monday 1st at the same moment: exactly one is
    stored, the other is told about the clash by name."""
    database, tiny = school_db
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def job(k: int) -> None:
        ta = tiny.maths_5a if k == 0 else tiny.music_5a
        barrier.wait()
        try:
            results[k] = db.run_transaction(
                tt.add_slot,
                actor=tiny.actors["deputy"],
                assignment_id=ta.id,
                weekday=1,
                number=1,
                room="",
                valid_from=MONDAY,
            )
        except BaseException as exc:
            results[k] = exc

    for _ in range(3):
        threads = [threading.Thread(target=job, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], ValidationError)
        assert "5 «А»" in errors[0].message
        with Session(database.engine) as s:
            stored = s.exec(
                select(TimetableSlot).where(TimetableSlot.weekday == 1, TimetableSlot.number == 1)
            ).all()
            assert len(stored) == 1
            for slot in stored:
                s.delete(slot)
            s.commit()
