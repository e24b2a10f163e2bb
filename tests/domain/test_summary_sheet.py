"""The summary sheet of results (issue 14): what the class's period marks, absences and
decisions are, read back from the PDF and the XLSX a school prints and keeps."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session

from ejournal.domain.errors import PermissionDenied
from ejournal.domain.models import YearDecision, YearOutcome
from ejournal.domain.records.summary_sheet import build_summary, summary_pdf, summary_xlsx
from tests.factories import D, TinySchool, add_absence, add_lesson, add_period_mark, make_school

pytestmark = pytest.mark.db


@pytest.fixture()
def tiny(session: Session) -> TinySchool:
    t = make_school(session)
    ct = t.actors["class_teacher"]
    first, second = t.students[0], t.students[1]
    add_period_mark(session, first, t.russian, t.q1, 5, author=ct)
    add_period_mark(session, first, t.maths, t.q1, 4, author=ct)
    add_period_mark(session, second, t.russian, t.q1, None, author=ct)  # not attested
    add_period_mark(session, first, t.russian, t.year_period, 5, author=ct)
    lesson = add_lesson(session, t.russian_5a, D(2026, 10, 6))
    other = add_lesson(session, t.maths_5a, D(2026, 10, 6), 2)
    add_absence(session, lesson, second, author=ct)
    add_absence(session, other, second, author=ct, status="excused")
    add_absence(session, other, first, author=ct, status="late")  # not a missed lesson
    session.add(
        YearOutcome(
            student_id=first.id or 0,
            year_id=t.year.id or 0,
            decision=YearDecision.PROMOTED,
            order_number="45",
            decided_on=D(2027, 5, 28),
            author_id=ct.user_id,
        )
    )
    session.flush()
    return t


def _row(sheet, student_id):
    return next(s for s in sheet.students if s.id == student_id)


def test_the_sheet_holds_each_students_marks_absences_and_decision(
    session: Session, tiny: TinySchool
) -> None:
    sheet = build_summary(
        session, actor=tiny.actors["deputy"], class_id=tiny.class5.id, today=D(2027, 5, 30)
    )
    assert sheet.class_name == "5 «А»"
    # Marked subjects only (music is taught without marks); quarters, then the year.
    assert {sid for sid, _ in sheet.subjects} == {tiny.russian.id, tiny.maths.id}
    titles = [p.title for p in sheet.periods]
    assert titles[:4] == ["1 ч.", "2 ч.", "3 ч.", "4 ч."]
    assert "год" in titles and "п/г" not in " ".join(titles)
    first = _row(sheet, tiny.students[0].id)
    second = _row(sheet, tiny.students[1].id)
    assert first.marks[(tiny.russian.id, tiny.q1.id)] == "5"
    assert first.marks[(tiny.maths.id, tiny.q1.id)] == "4"
    assert first.marks[(tiny.russian.id, tiny.year_period.id)] == "5"
    assert second.marks[(tiny.russian.id, tiny.q1.id)] == "н/а"
    assert (second.missed, second.missed_excused) == (2, 1)
    assert (first.missed, first.missed_excused) == (0, 0)
    assert first.decision == "переведён(а) в следующий класс"
    assert first.decision_order == "№ 45 от 28.05.2027"
    assert second.decision == ""
    newcomer = _row(sheet, tiny.newcomer.id)
    assert newcomer.note.startswith("прибыл(а) 01.10.2026")
    assert len(sheet.students) == len(tiny.students) + 1  # and the newcomer
    assert [s.number for s in sheet.students] == list(range(1, len(sheet.students) + 1))


def test_the_pdf_and_the_xlsx_read_back_with_every_student(
    session: Session, tiny: TinySchool
) -> None:
    sheet = build_summary(
        session, actor=tiny.actors["class_teacher"], class_id=tiny.class5.id, today=D(2027, 5, 30)
    )
    reader = PdfReader(io.BytesIO(summary_pdf(sheet)))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Сводная ведомость учёта результатов: 5 «А» класс, 2026/2027" in text
    for s in sheet.students:
        assert s.full_name.split()[0] in text
    assert "переведён(а) в следующий класс" in text
    assert "Директор" in text

    book = load_workbook(io.BytesIO(summary_xlsx(sheet)))
    ws = book.active
    rows = list(ws.iter_rows(values_only=True))
    names = [r[1] for r in rows[6 : 6 + len(sheet.students)]]
    assert names == [s.full_name for s in sheet.students]
    first_row = rows[6 + [s.id for s in sheet.students].index(tiny.students[0].id)]
    assert 5 in first_row and 4 in first_row
    assert any("переведён" in str(v) for v in first_row)


@pytest.mark.parametrize("who", ["parent", "student", "primary", "russian"])
def test_only_those_who_read_the_class_journal_get_the_sheet(
    session: Session, tiny: TinySchool, who: str
) -> None:
    if who == "russian":
        # Teaches 5 «А», but the class journal as a whole is not theirs to read.
        with pytest.raises(PermissionDenied):
            build_summary(session, actor=tiny.actors[who], class_id=tiny.class1.id)
        return
    with pytest.raises(PermissionDenied):
        build_summary(session, actor=tiny.actors[who], class_id=tiny.class5.id)


def test_today_defaults_to_the_date_of_printing(session: Session, tiny: TinySchool) -> None:
    sheet = build_summary(session, actor=tiny.actors["deputy"], class_id=tiny.class5.id)
    assert sheet.printed_on == dt.date.today()
