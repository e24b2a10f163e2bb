"""The printed class journal (issue 14): read back from the PDF a school binds — every page
numbered, every student and mark present, the topics, plan against fact, the summary sheet
and the sealing page; only those who read the class's journal may print it."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.records.journal_print import class_journal_pdf
from tests.factories import (
    NOW,
    D,
    TinySchool,
    add_absence,
    add_lesson,
    add_mark,
    add_plan_items,
    make_school,
)

pytestmark = pytest.mark.db


def _text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [" ".join((p.extract_text() or "").split()) for p in reader.pages]


def test_the_journal_prints_every_page_student_mark_and_topic(session: Session) -> None:
    tiny = make_school(session)
    teacher = tiny.actors["russian"]
    lesson = add_lesson(session, tiny.russian_5a, D(2026, 10, 6), topic="Имя существительное")
    lesson.homework = "§ 12, упр. 5"
    other = add_lesson(session, tiny.russian_5a, D(2026, 10, 7), topic="Глагол")
    add_mark(session, lesson, tiny.students[0], 5, author=teacher)
    add_mark(session, other, tiny.students[2], 3, author=teacher)
    add_absence(session, other, tiny.students[1], author=teacher)
    add_plan_items(session, tiny.russian_5a, ["Имя существительное", "Глагол", "Наречие"])
    session.flush()

    pdf = class_journal_pdf(session, actor=tiny.actors["deputy"], class_id=tiny.class5.id, now=NOW)
    reader, pages = _text(pdf)
    total = len(reader.pages)
    # Every page says «стр. N из M», in order.
    numbers = [re.search(r"стр\. (\d+) из (\d+)", p) for p in pages]
    assert all(m is not None for m in numbers)
    assert [int(m.group(1)) for m in numbers if m] == list(range(1, total + 1))
    assert {int(m.group(2)) for m in numbers if m} == {total}

    whole = " ".join(pages)
    assert "КЛАССНЫЙ ЖУРНАЛ" in pages[0] and "5 «А» класс, 2026/2027" in pages[0]
    for student in [*tiny.students, tiny.newcomer]:
        assert student.last_name in whole
    grid = next(p for p in pages if "Русский язык" in p and "1 четверть: учёт" in p)
    assert "06 10" in grid and "07 10" in grid  # the lessons' dates, day over month
    assert " 5 " in f" {grid} " and " 3 " in f" {grid} " and " н " in f" {grid} "
    topics = next(
        p for p in pages if "Русский язык" in p and "1 четверть: записи о пройденном" in p
    )
    assert "06.10.2026 Имя существительное § 12, упр. 5" in topics
    assert "07.10.2026 Глагол" in topics
    # Plan against fact [004 §5.24]: three hours planned, two lessons given.
    assert "по программе — 3, по факту — 2. Программа не выполнена: не проведено 1 ч." in whole
    assert "Сводная ведомость учёта результатов: 5 «А» класс" in whole
    assert "ЛИСТ ЗАВЕРЕНИЯ" in pages[-1] and "пронумеровано, прошнуровано" in pages[-1]


@pytest.mark.parametrize("who", ["parent", "student", "maths", "primary"])
def test_the_journal_is_printed_only_by_those_who_read_the_class(
    session: Session, who: str
) -> None:
    tiny = make_school(session)
    with pytest.raises(PermissionDenied):
        class_journal_pdf(session, actor=tiny.actors[who], class_id=tiny.class5.id, now=NOW)


def test_the_class_teacher_prints_their_own_class(session: Session) -> None:
    tiny: TinySchool = make_school(session)
    pdf = class_journal_pdf(
        session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id, now=NOW
    )
    assert pdf.startswith(b"%PDF")
