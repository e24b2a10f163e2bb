"""Lesson columns: topic, homework, links, work type, КТП search, opening a lesson."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from ejournal.domain.errors import ConflictError, PermissionDenied, ValidationError
from ejournal.domain.journal import (
    create_lesson,
    load_page,
    search_plan_items,
    set_cell,
    set_lesson_details,
    take_attendance,
)
from ejournal.domain.models import Attendance, AuditLog, Holiday, KtpStatus, Lesson, Mark
from tests.factories import NOW, D, TinySchool, add_lesson, add_plan_items, make_school

pytestmark = pytest.mark.db

RECENT = D(2026, 10, 19)


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


@pytest.fixture()
def lesson(session: Session, tiny: TinySchool) -> Lesson:
    return add_lesson(session, tiny.russian_5a, RECENT, 2)


def _details(
    session: Session, tiny: TinySchool, lesson: Lesson, who: str = "russian", **kw: Any
) -> Any:
    return set_lesson_details(
        session,
        actor=tiny.actors[who],
        lesson_id=lesson.id or 0,
        expected_version=kw.pop("expected_version", lesson.version),
        now=NOW,
        **kw,
    )


def test_topic_and_homework_are_saved(session: Session, tiny: TinySchool, lesson: Lesson) -> None:
    """A typed topic and homework are stored and the column's version goes up."""
    column = _details(session, tiny, lesson, topic="Имя существительное", homework="§12, упр. 5")
    stored = session.get(Lesson, lesson.id)
    assert stored is not None
    assert (stored.topic, stored.homework, column.version) == (
        "Имя существительное",
        "§12, упр. 5",
        2,
    )
    assert stored.topic_set_at is not None and stored.homework_set_at is not None


def test_topic_taken_from_the_plan(session: Session, tiny: TinySchool, lesson: Lesson) -> None:
    """Choosing a КТП line sets its topic and links the lesson to it."""
    items = add_plan_items(session, tiny.russian_5a, ["Повторение", "Диктант"])
    tiny.russian_5a.ktp_status = KtpStatus.APPROVED
    session.flush()
    column = _details(session, tiny, lesson, plan_item_id=items[1].id)
    assert (column.topic, column.plan_item_id) == ("Диктант", items[1].id)


def test_a_line_of_a_plan_not_yet_approved_is_refused(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A forged call cannot take a topic from a КТП the deputy has not approved."""
    items = add_plan_items(session, tiny.russian_5a, ["Повторение"])
    for status in (KtpStatus.DRAFT, KtpStatus.SUBMITTED, KtpStatus.RETURNED):
        tiny.russian_5a.ktp_status = status
        session.flush()
        with pytest.raises(ValidationError, match="не согласован"):
            _details(session, tiny, lesson, plan_item_id=items[0].id)
    stored = session.get(Lesson, lesson.id)
    assert stored is not None and stored.plan_item_id is None and stored.topic == ""


def test_plan_line_of_another_assignment_is_refused(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A КТП line of maths cannot become the topic of a Russian lesson."""
    items = add_plan_items(session, tiny.maths_5a, ["Дроби"])
    with pytest.raises(ValidationError, match="КТП"):
        _details(session, tiny, lesson, plan_item_id=items[0].id)


def test_homework_links_must_be_web_addresses(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Links are http(s) addresses one per line; anything else is refused."""
    column = _details(
        session, tiny, lesson, homework_links="https://resh.edu.ru/1\n\n http://example.org/a "
    )
    assert column.homework_links == ("https://resh.edu.ru/1", "http://example.org/a")
    with pytest.raises(ValidationError, match="http"):
        _details(session, tiny, lesson, homework_links="javascript:alert(1)", expected_version=2)


def test_no_homework_in_grade_one(session: Session, tiny: TinySchool) -> None:
    """Grade 1 gets no homework; a topic is fine."""
    lesson = add_lesson(session, tiny.russian_1a, RECENT, 1)
    with pytest.raises(ValidationError, match="1 классе"):
        _details(session, tiny, lesson, who="primary", homework="прочитать")
    column = _details(session, tiny, lesson, who="primary", topic="Звуки речи")
    assert column.topic == "Звуки речи"


def test_changed_work_type_reweighs_marks(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Turning a column into a control work gives its marks the control weight."""
    set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=tiny.students[0].id or 0,
        text="5",
        expected_version=None,
        now=NOW,
    )
    column = _details(session, tiny, lesson, work_type_id=tiny.control.id)
    mark = session.exec(select(Mark).where(Mark.lesson_id == lesson.id)).one()
    session.refresh(mark)
    assert (column.work_type, column.is_control) == ("К.р.", True)
    assert (mark.work_type_id, mark.weight) == (tiny.control.id, 2)


def test_stale_lesson_version_is_a_conflict(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """A second edit based on the old version is refused, showing the current topic."""
    _details(session, tiny, lesson, topic="Первая тема", expected_version=1)
    with pytest.raises(ConflictError) as caught:
        _details(session, tiny, lesson, topic="Вторая тема", expected_version=1)
    assert caught.value.current.topic == "Первая тема"


def test_old_lesson_details_need_a_reason(session: Session, tiny: TinySchool) -> None:
    """Changing the topic of a lesson older than the lock needs a reason, which is audited."""
    old = add_lesson(session, tiny.russian_5a, D(2026, 9, 30), 3)
    with pytest.raises(ValidationError, match="укажите причину"):
        _details(session, tiny, old, topic="Тема")
    session.rollback()  # as the boundary does after a refusal (the factory committed the lesson)
    _details(session, tiny, old, topic="Тема", reason="тема пропущена")
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None
    assert (row.action, row.reason, json.loads(row.after)["topic"]) == (
        "journal.lesson.update",
        "тема пропущена",
        "Тема",
    )


@pytest.mark.parametrize("who", ["maths", "class_teacher", "deputy", "parent"])
def test_only_the_lessons_teacher_sets_details(
    session: Session, tiny: TinySchool, lesson: Lesson, who: str
) -> None:
    """Anyone but the lesson's teacher is refused, and the topic stays."""
    with pytest.raises(PermissionDenied):
        _details(session, tiny, lesson, who=who, topic="Чужая тема")
    stored = session.get(Lesson, lesson.id)
    assert stored is not None and stored.topic == ""


# --------------------------------------------------------------------------- КТП search


def test_plan_search_ignores_case(session: Session, tiny: TinySchool) -> None:
    """Searching «ДИКТ» finds the dictation line (Cyrillic case folding)."""
    add_plan_items(session, tiny.russian_5a, ["Повторение", "Контрольный диктант", "Глагол"])
    tiny.russian_5a.ktp_status = KtpStatus.APPROVED  # the pick-list offers an approved plan
    session.add(tiny.russian_5a)
    session.commit()
    found = search_plan_items(
        session, actor=tiny.actors["russian"], assignment_id=tiny.russian_5a.id or 0, query="ДИКТ"
    )
    assert [i.topic for i in found] == ["Контрольный диктант"]


def test_plan_search_is_refused_to_families(session: Session, tiny: TinySchool) -> None:
    """Parents do not read the КТП through the journal."""
    with pytest.raises(PermissionDenied):
        search_plan_items(
            session, actor=tiny.actors["parent"], assignment_id=tiny.russian_5a.id or 0, query=""
        )


# --------------------------------------------------------------------------- creating lessons


def _create(session: Session, tiny: TinySchool, on: dt.date, number: int, **kw: Any) -> Any:
    return create_lesson(
        session,
        actor=tiny.actors[str(kw.pop("who", "russian"))],
        assignment_id=tiny.russian_5a.id or 0,
        on=on,
        number=number,
        now=NOW,
        **kw,
    )


def test_lesson_is_opened_for_a_timetable_slot(session: Session, tiny: TinySchool) -> None:
    """Monday's 2nd lesson is in the timetable: the column is created with the slot's room."""
    column = _create(session, tiny, D(2026, 10, 19), 2)
    stored = session.get(Lesson, column.id)
    assert stored is not None and (stored.date, stored.number, stored.room) == (
        D(2026, 10, 19),
        2,
        "21",
    )


def test_lesson_outside_the_timetable_needs_extra(session: Session, tiny: TinySchool) -> None:
    """A 6th lesson on Monday is not in the timetable unless asked for as an extra lesson."""
    with pytest.raises(ValidationError, match="дополнительный"):
        _create(session, tiny, D(2026, 10, 19), 6)
    assert _create(session, tiny, D(2026, 10, 19), 6, extra=True).number == 6


def test_existing_lesson_is_not_created_twice(session: Session, tiny: TinySchool) -> None:
    """Opening a lesson that already exists is refused."""
    _create(session, tiny, D(2026, 10, 19), 2)
    with pytest.raises(ValidationError, match="уже есть"):
        _create(session, tiny, D(2026, 10, 19), 2)


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (D(2026, 10, 7), "каникулы"),
        (D(2026, 10, 25), "вне учебных"),
        (D(2026, 10, 24), "выходной"),
    ],
)
def test_no_lessons_on_holidays_or_days_off(
    session: Session, tiny: TinySchool, on: dt.date, message: str
) -> None:
    """Holidays, dates outside the quarters and Saturdays of a five-day week take no lesson."""
    session.add(
        Holiday(
            year_id=tiny.year.id or 0,
            name="День здоровья",
            starts_on=D(2026, 10, 7),
            ends_on=D(2026, 10, 7),
        )
    )
    session.commit()
    with pytest.raises(ValidationError, match=message):
        _create(session, tiny, on, 1, extra=True)


def test_other_teacher_cannot_create_a_lesson(session: Session, tiny: TinySchool) -> None:
    """The maths teacher cannot open a Russian lesson."""
    with pytest.raises(PermissionDenied):
        _create(session, tiny, D(2026, 10, 19), 2, who="maths")
    assert session.exec(select(Lesson)).all() == []


# --------------------------------------------------------------------------- «не задано»


def test_homework_none_is_saved_and_audited(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """«Не задано» is stored on the lesson, stamps the homework time and is in the audit."""
    column = _details(session, tiny, lesson, homework_none=True)
    stored = session.get(Lesson, lesson.id)
    assert stored is not None
    assert (column.homework_none, stored.homework_none, stored.homework) == (True, True, "")
    assert stored.homework_set_at is not None
    row = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc())).first()
    assert row is not None
    assert (json.loads(row.before)["homework_none"], json.loads(row.after)["homework_none"]) == (
        False,
        True,
    )


def test_homework_none_clears_the_homework(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Ticking «Не задано» on a lesson with homework clears its text and links."""
    _details(session, tiny, lesson, homework="§ 5", homework_links="https://resh.edu.ru/1")
    column = _details(session, tiny, lesson, homework_none=True, expected_version=2)
    assert (column.homework, column.homework_links, column.homework_none) == ("", (), True)


def test_homework_text_clears_homework_none(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Saving homework text afterwards turns «не задано» off."""
    _details(session, tiny, lesson, homework_none=True)
    column = _details(session, tiny, lesson, homework="§ 7", expected_version=2)
    assert (column.homework, column.homework_none) == ("§ 7", False)


def test_homework_and_homework_none_together_are_refused(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Homework text and «не задано» at once is a contradiction: refused, nothing saved."""
    with pytest.raises(ValidationError, match="Не задано"):
        _details(session, tiny, lesson, homework="§ 7", homework_none=True)
    stored = session.get(Lesson, lesson.id)
    assert stored is not None and (stored.homework, stored.homework_none) == ("", False)


def test_grade_one_may_say_no_homework(session: Session, tiny: TinySchool) -> None:
    """In grade 1 «не задано» is accepted (it is what is true there)."""
    lesson = add_lesson(session, tiny.russian_1a, RECENT, 1)
    column = _details(session, tiny, lesson, who="primary", homework_none=True)
    assert column.homework_none


def test_maths_teacher_cannot_toggle_homework_none(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Another teacher's «не задано» is refused and the lesson stays as it was."""
    with pytest.raises(PermissionDenied):
        _details(session, tiny, lesson, who="maths", homework_none=True)
    session.rollback()
    stored = session.get(Lesson, lesson.id)
    assert stored is not None and not stored.homework_none


# --------------------------------------------------------------------------- «все присутствуют»


def _take(session: Session, tiny: TinySchool, lesson: Lesson, who: str = "russian", **kw: Any):  # type: ignore[no-untyped-def]
    return take_attendance(session, actor=tiny.actors[who], lesson_id=lesson.id or 0, now=NOW, **kw)


def _lesson_rows(session: Session, lesson: Lesson) -> list[AuditLog]:
    return list(
        session.exec(
            select(AuditLog).where(AuditLog.entity == "lesson", AuditLog.entity_id == lesson.id)
        ).all()
    )


def test_all_present_records_attendance_without_absences(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """«Все присутствуют» stamps the lesson, writes no attendance row and is audited."""
    column = _take(session, tiny, lesson)
    stored = session.get(Lesson, lesson.id)
    assert stored is not None and stored.attendance_taken_at is not None
    assert column.attendance_taken_at is not None and not column.attendance_missing
    assert session.exec(select(Attendance)).all() == []
    [row] = _lesson_rows(session, lesson)
    assert row.action == "journal.lesson.update"
    assert json.loads(row.before)["attendance_taken_at"] is None
    assert json.loads(row.after)["attendance_taken_at"]


def test_all_present_twice_changes_nothing(
    session: Session, tiny: TinySchool, lesson: Lesson
) -> None:
    """Pressing it again keeps the first time and writes no second audit row."""
    first = _take(session, tiny, lesson).attendance_taken_at
    assert _take(session, tiny, lesson).attendance_taken_at == first
    assert len(_lesson_rows(session, lesson)) == 1


def test_all_present_is_refused_for_a_future_lesson(session: Session, tiny: TinySchool) -> None:
    """Attendance of a lesson still to come cannot be recorded."""
    later = add_lesson(session, tiny.russian_5a, D(2026, 10, 22), 3)
    with pytest.raises(ValidationError, match="не прошёл"):
        _take(session, tiny, later)


def test_all_present_for_an_old_lesson_needs_a_reason(session: Session, tiny: TinySchool) -> None:
    """As with cells, a lesson older than the edit lock needs a reason, which is audited."""
    old = add_lesson(session, tiny.russian_5a, D(2026, 9, 30), 3)
    with pytest.raises(ValidationError, match="укажите причину"):
        _take(session, tiny, old)
    session.rollback()
    _take(session, tiny, old, reason="забыла отметить")
    [row] = _lesson_rows(session, old)
    assert row.reason == "забыла отметить"


@pytest.mark.parametrize("who", ["primary", "maths", "deputy", "parent", "student"])
def test_all_present_is_refused_to_anyone_but_the_lessons_teacher(
    session: Session, tiny: TinySchool, lesson: Lesson, who: str
) -> None:
    """A teacher of another class or subject, the deputy and families are refused; the
    lesson stays without attendance and nothing is audited."""
    with pytest.raises(PermissionDenied):
        _take(session, tiny, lesson, who=who)
    session.rollback()
    stored = session.get(Lesson, lesson.id)
    assert stored is not None and stored.attendance_taken_at is None
    assert _lesson_rows(session, lesson) == []


# --------------------------------------------------------------------------- the page's list


def test_the_page_carries_every_lessons_topic_homework_and_attendance(
    session: Session, tiny: TinySchool
) -> None:
    """The page the deputy reads lists each lesson's topic, homework or «не задано», work
    type and whether attendance was taken, without opening any lesson."""
    a = add_lesson(session, tiny.russian_5a, D(2026, 10, 14), 3, topic="Причастие")
    b = add_lesson(session, tiny.russian_5a, D(2026, 10, 15), 2, work_type=tiny.control)
    c = add_lesson(session, tiny.russian_5a, D(2026, 10, 22), 3)  # not held yet
    _details(session, tiny, a, homework="§ 20")
    _details(session, tiny, b, homework_none=True)
    _take(session, tiny, a)
    page = load_page(
        session,
        actor=tiny.actors["deputy"],
        assignment_id=tiny.russian_5a.id or 0,
        period_id=tiny.q1.id or 0,
        now=NOW,
    )
    shown = [
        (x.id, x.topic, x.homework, x.homework_none, x.work_type_name, x.attendance_missing)
        for x in page.lessons
    ]
    assert shown == [
        (a.id, "Причастие", "§ 20", False, "", False),
        (b.id, "", "", True, "Контрольная работа", True),
        (c.id, "", "", False, "", False),
    ]
