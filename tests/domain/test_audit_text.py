"""The audit trail in words: a director reads who changed what, in Russian, with names."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from ejournal.domain.audit.query import search_audit
from ejournal.domain.journal import set_cell
from ejournal.domain.journal.write import excuse_absence, set_lesson_details
from ejournal.domain.models import Lesson, Role
from tests.domain.account_factories import actor_of, make_staff
from tests.factories import NOW, D, TinySchool, add_lesson, make_school

pytestmark = pytest.mark.db

LATIN_KEY = re.compile(r"\b[a-z_]+_id\b|\b(marks|attendance|text|topic|homework)\b")


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    return make_school(session)


@pytest.fixture()
def lesson(session: Session, tiny: TinySchool) -> Lesson:
    return add_lesson(session, tiny.russian_5a, D(2026, 10, 19), 2)


def _director(session: Session, tiny: TinySchool):
    _, user = make_staff(session, tiny.school, [Role.DIRECTOR])
    return actor_of(session, user)


def _write(session, tiny, lesson, text, version=None, student=None):
    return set_cell(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        student_id=(student or tiny.students[0]).id or 0,
        text=text,
        expected_version=version,
        now=NOW,
    )


def test_a_changed_mark_reads_as_the_student_the_lesson_and_the_two_values(session, tiny, lesson):
    """4 → 5 on a student's cell: the object names the student, class, subject and date;
    the sides show only the marks, in Russian, with no code keys or ids."""
    first = _write(session, tiny, lesson, "4")
    _write(session, tiny, lesson, "5", version=first.cell.version)
    rows = search_audit(session, actor=_director(session, tiny), entity="journal_cell")
    change = rows[0]
    student = tiny.students[0]
    assert student.last_name in change.what and student.first_name in change.what
    assert "5 «А»" in change.what and "Русский язык" in change.what
    assert "19.10.2026" in change.what
    assert change.before_text == "Клетка: 4"
    assert change.after_text == "Клетка: 5"
    assert not LATIN_KEY.search(change.what + change.before_text + change.after_text)
    # The first write had nothing before it.
    assert rows[1].before_text == "Клетка: —"


def test_an_absence_excused_by_the_class_teacher_shows_the_reason(session, tiny, lesson):
    """н → excused with a reason: the attendance and the reason appear in words."""
    absent = _write(session, tiny, lesson, "н")
    excuse_absence(
        session,
        actor=tiny.actors["class_teacher"],
        reason="Справка от врача",
        expected_version=absent.cell.version,
        student_id=tiny.students[0].id,
        lesson_id=lesson.id,
    )
    rows = search_audit(session, actor=_director(session, tiny), action="journal.attendance.excuse")
    assert "Посещаемость: н (пропуск)" in rows[0].before_text
    assert "Посещаемость: пропуск по уважительной причине" in rows[0].after_text
    assert "Причина: Справка от врача" in rows[0].after_text


def test_a_lesson_update_lists_only_what_changed(session, tiny, lesson):
    """Topic and homework set on a lesson: the row names the lesson and shows those two
    fields, not the untouched ones (date, number, work type)."""
    set_lesson_details(
        session,
        actor=tiny.actors["russian"],
        lesson_id=lesson.id or 0,
        expected_version=lesson.version,
        topic="Имя существительное",
        homework="§ 12, упр. 5",
        now=NOW,
    )
    rows = search_audit(session, actor=_director(session, tiny), entity="lesson")
    change = rows[0]
    assert "5 «А», Русский язык, урок 19.10.2026 (2-й)" in change.what
    assert "Тема: Имя существительное" in change.after_text
    assert "Домашнее задание: § 12, упр. 5" in change.after_text
    assert "Дата" not in change.after_text and "Номер урока" not in change.after_text
    assert change.before_text.startswith("Тема: —")


def test_a_deleted_object_is_named_by_its_number(session, tiny):
    """An id that no longer resolves is shown as a number, never as an error."""
    from ejournal.domain.audit.text import describe

    [text] = describe(session, [("journal_cell", None, "", '{"student_id": 999999, "text": "5"}')])
    assert text.subject == "ученик № 999999"
    assert text.after == "Клетка: 5"
