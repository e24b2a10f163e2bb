"""The printable period extract (PDF) for families who get the diary on paper."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlmodel import Session

from ejournal.domain.diary.extract_pdf import (
    CELL_PADDING,
    COLUMNS,
    FRAME_WIDTH,
    HEADER_SIZE,
    MARGIN,
    period_extract_pdf,
)
from ejournal.domain.errors import PermissionDenied
from ejournal.domain.people.slips import register_fonts
from tests.domain.diary_factories import Q1_END, Q1_START, World, build_world

pytestmark = pytest.mark.db


@pytest.fixture()
def world(session: Session) -> World:
    w = build_world(session)
    lesson = w.lesson(w.math_a, Q1_START, 1, homework="§1, № 5 <устно>")
    w.mark(w.anna, lesson, 5, work_type=w.control)
    w.marks_on(w.anna, w.math_a, [3], start=Q1_START + dt.timedelta(days=1))
    w.absence(w.anna, w.lesson(w.russian_a, Q1_START, 2), "excused", "болезнь")
    w.period_mark(w.anna, w.math, w.q1, 4)
    return w


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _extract(w: World, today: dt.date) -> str:
    pdf = period_extract_pdf(
        w.session,
        actor=w.anna_mother.actor,
        student_id=w.anna.id,
        period_id=w.q1.id or 0,
        today=today,
    )
    assert pdf.startswith(b"%PDF")
    return _text(pdf)


def test_extract_opens_and_holds_subjects_marks_and_average(world: World) -> None:
    """The PDF opens with pypdf and shows the Cyrillic subject, the marks and the average."""
    text = _extract(world, Q1_END + dt.timedelta(days=3))
    assert "Математика" in text
    assert "5 (К.р.)" in text
    assert "4,33" in text  # (5·2 + 3) / 3


def test_extract_holds_homework_and_attendance(world: World) -> None:
    """Homework (with characters that need escaping) and the excused absence are printed."""
    text = _extract(world, Q1_END + dt.timedelta(days=3))
    assert "§1, № 5 <устно>" in text
    attendance = text.split("Посещаемость")[1]
    assert "Русский язык\n1\n1\n0" in attendance


def test_extract_shows_published_period_marks(world: World) -> None:
    """After publication the quarter mark is printed in the marks table, after the average."""
    text = _extract(world, Q1_END + dt.timedelta(days=1))
    assert "Отметки за период будут опубликованы" not in text
    assert "4,33\n4" in text.split("Посещаемость")[0]


def test_extract_hides_period_marks_before_publication(world: World) -> None:
    """On the last day of the quarter the extract says when the marks will be published."""
    text = _extract(world, Q1_END)
    assert "Отметки за период будут опубликованы 24.10.2026" in text


def test_extract_of_another_familys_child_is_refused(world: World) -> None:
    """A forged child id raises PermissionDenied and no PDF is made."""
    with pytest.raises(PermissionDenied):
        period_extract_pdf(
            world.session,
            actor=world.anna_mother.actor,
            student_id=world.victor.id,
            period_id=world.q1.id or 0,
        )


def _pages(w: World, today: dt.date) -> list[str]:
    pdf = period_extract_pdf(
        w.session,
        actor=w.anna_mother.actor,
        student_id=w.anna.id,
        period_id=w.q1.id or 0,
        today=today,
    )
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_marks_come_first_and_homework_last(world: World) -> None:
    """Page 1 holds the marks table; then attendance; the homework comes last."""
    pages = _pages(world, Q1_END + dt.timedelta(days=3))
    assert "Средний балл" in pages[0] and "5 (К.р.) 01.09" in pages[0]
    text = "\n".join(pages)
    assert text.index("Отметки") < text.index("Посещаемость") < text.index("Домашние задания")


def test_lessons_without_homework_are_left_out(world: World) -> None:
    """Forty lessons with «не задано» (or nothing) print no line: only homework set is listed,
    with the day it is due (the next maths lesson, 02.09)."""
    day = Q1_START + dt.timedelta(days=2)
    for _ in range(40):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        # «не задано» as a flag, and as text the way older records wrote it.
        if day.day % 2:
            world.lesson(world.russian_a, day, 3, homework_none=True)
        else:
            world.lesson(world.russian_a, day, 3, homework="Не задано")
        day += dt.timedelta(days=1)
    pages = _pages(world, Q1_END + dt.timedelta(days=3))
    text = "\n".join(pages)
    assert "не задано" not in text.lower()
    assert len(pages) == 1
    homework = text.split("Домашние задания")[1]
    assert "01.09\nМатематика\n§1, № 5 <устно>\n02.09" in homework


def test_every_table_fits_the_page_and_every_header_its_column() -> None:
    """Columns add up to no more than the width between the margins, and each header
    («Средний балл», «из них по уважительной причине») fits its column on one line."""
    _font, bold = register_fonts()
    assert FRAME_WIDTH == pytest.approx(A4[0] - 2 * MARGIN)
    for name, columns in COLUMNS.items():
        assert sum(width for _title, width in columns) <= FRAME_WIDTH, name
        for title, width in columns:
            need = stringWidth(title, bold, HEADER_SIZE) + 2 * CELL_PADDING
            assert need <= width, f"{name}: «{title}» needs {need:.0f} pt, has {width:.0f}"
