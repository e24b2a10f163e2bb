"""A printable extract of a period from the diary, for families who receive it on paper [003 §5.2].

Marks first (by subject, with the weighted average and the period mark once published),
then attendance, then the homework that was actually set (never «не задано»), each with
the day it was due. Every table's columns fit the page and every header fits its column
on one line (`COLUMNS`, checked by the tests). Built with reportlab and the DejaVu fonts.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    child_assignments,
    child_period,
    holidays_for,
    load_child,
    period_marks_for,
    published_on,
    subject_marks,
)
from ejournal.domain.diary.homework import has_homework, resolve_due, safe_links
from ejournal.domain.models import Attendance, AttendanceStatus, Lesson, Subject
from ejournal.domain.numbers import decimal_text
from ejournal.domain.people.slips import register_fonts
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today

#: Page margins, and the width the tables have between them.
MARGIN = 15 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
#: A table cell's padding on each side, and the headers' font size (bold).
CELL_PADDING = 4
HEADER_SIZE = 8
NO_HOMEWORK = "не задано"

#: Each table's header and column widths: they add up to at most FRAME_WIDTH and every
#: header fits its column on one line.
COLUMNS: dict[str, tuple[tuple[str, float], ...]] = {
    "marks": (
        ("Предмет", 40 * mm),
        ("Отметки", 90 * mm),
        ("Средний балл", 28 * mm),
        ("За период", 22 * mm),
    ),
    "attendance": (
        ("Предмет", 50 * mm),
        ("Пропущено уроков", 36 * mm),
        ("из них по уважительной причине", 58 * mm),
        ("Опозданий", 24 * mm),
    ),
    "homework": (
        ("Задано", 18 * mm),
        ("Предмет", 38 * mm),
        ("Задание", 106 * mm),
        ("К уроку", 18 * mm),
    ),
}


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _avg(value: object) -> str:
    return decimal_text(None if value is None else Decimal(str(value)))


@read_only
def period_extract_pdf(
    session: Session,
    *,
    actor: Actor | None,
    student_id: int,
    period_id: int,
    today: dt.date | None = None,
) -> bytes:
    """The child's period on paper: marks with averages and period marks, attendance, then
    the homework that was set, with the day each was due."""
    ctx = load_child(session, actor, student_id)
    period = child_period(session, ctx, period_id)
    today = school_today(ctx.school, today)
    font, bold = register_fonts()

    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10)
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=14, leading=18, spaceAfter=4)
    h2 = ParagraphStyle(
        "h2", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4
    )

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    def header(name: str) -> list[object]:
        return [title for title, _width in COLUMNS[name]]

    def table(rows: list[list[object]], name: str) -> Table:
        widths = [width for _title, width in COLUMNS[name]]
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTNAME", (0, 0), (-1, 0), bold),
                    ("FONTSIZE", (0, 0), (-1, -1), HEADER_SIZE),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
                ]
            )
        )
        return t

    ref = ctx.ref
    story: list[Flowable] = [
        p("Выписка из электронного дневника", h1),
        p(ctx.school.name),
        p(f"Учащийся: {ref.full_name}, класс {ref.class_name}"),
        p(f"Период: {period.name} ({_d(period.starts_on)} – {_d(period.ends_on)})"),
        p(f"Дата выписки: {_d(today)}", small),
    ]

    assignments = {a.id: a for a in child_assignments(session, ctx)}
    subjects = {
        s.id: s.name
        for s in session.exec(
            select(Subject).where(
                col(Subject.id).in_({a.subject_id for a in assignments.values()} or {-1})
            )
        ).all()
    }
    lessons = (
        session.exec(
            select(Lesson)
            .where(
                col(Lesson.assignment_id).in_(list(assignments)),
                Lesson.date >= period.starts_on,
                Lesson.date <= min(period.ends_on, today),
                col(Lesson.cancelled).is_(False),
            )
            .order_by(col(Lesson.date), col(Lesson.number))
        ).all()
        if assignments
        else []
    )

    def subject_of(lesson: Lesson) -> str:
        return subjects.get(assignments[lesson.assignment_id].subject_id, "")

    # --- marks by subject, with the period mark once published
    published = next(
        (pp for pp in period_marks_for(session, ctx, today) if pp.period_id == period.id), None
    )
    finals = {} if published is None else {m.subject_id: m.label for m in published.marks}
    story.append(p("Отметки", h2))
    summaries = subject_marks(session, actor=actor, student_id=student_id, period_id=period_id)
    mark_rows: list[list[object]] = [header("marks")]
    for s in summaries:
        marks_text = ", ".join(
            f"{m.value}{' (' + m.work_type_abbreviation + ')' if m.work_type_abbreviation else ''}"
            f" {m.date.strftime('%d.%m')}"
            for m in s.marks
        )
        mark_rows.append(
            [
                p(s.subject_name, small),
                p(marks_text or "—", small),
                _avg(s.average),
                finals.get(s.subject_id, "—"),
            ]
        )
    story.append(table(mark_rows, "marks"))
    if published is None:
        story.append(
            p(
                f"Отметки за период будут опубликованы {_d(published_on(period, ctx.school))}.",
                small,
            )
        )
    elif not published.marks:
        story.append(p("Отметки за период не выставлены.", small))
    notes = sorted(
        {
            (m.work_type_abbreviation, m.work_type_name)
            for s in summaries
            for m in s.marks
            if m.work_type_abbreviation
        }
    )
    if notes:
        story.append(p("; ".join(f"{a} — {n}" for a, n in notes), small))

    # --- attendance
    story.append(p("Посещаемость", h2))
    lesson_by_id = {lesson.id: lesson for lesson in lessons}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    if lesson_by_id:
        for a in session.exec(
            select(Attendance).where(
                Attendance.student_id == student_id,
                col(Attendance.lesson_id).in_(list(lesson_by_id)),
            )
        ).all():
            counts[subject_of(lesson_by_id[a.lesson_id])][a.status] += 1
    if counts:
        attendance_rows: list[list[object]] = [header("attendance")]
        for name in sorted(counts):
            c = counts[name]
            missed = c[AttendanceStatus.ABSENT] + c[AttendanceStatus.EXCUSED]
            attendance_rows.append(
                [
                    p(name, small),
                    str(missed),
                    str(c[AttendanceStatus.EXCUSED]),
                    str(c[AttendanceStatus.LATE]),
                ]
            )
        story.append(table(attendance_rows, "attendance"))
    else:
        story.append(p("Пропусков и опозданий нет."))

    # --- homework, only where some was set, with the day it was due
    story.append(p("Домашние задания", h2))
    set_lessons = [
        lesson
        for lesson in lessons
        if has_homework(lesson) and lesson.homework.strip().lower() != NO_HOMEWORK
    ]
    names = {
        a_id: (a.subject_id, subjects.get(a.subject_id, ""))
        for a_id, a in assignments.items()
        if a_id is not None
    }
    due = resolve_due(
        session,
        ctx,
        set_lessons,
        subject_names=names,
        holidays=holidays_for(session, ctx),
        up_to=period.ends_on,
    )
    homework_rows: list[list[object]] = [header("homework")]
    for lesson in set_lessons:
        text = lesson.homework.strip()
        links = safe_links(lesson.homework_links)
        if links:
            text = (text + "\n" if text else "") + "\n".join(links)
        due_on = due[lesson.id or 0].due_on if lesson.id in due else None
        homework_rows.append(
            [
                lesson.date.strftime("%d.%m"),
                p(subject_of(lesson), small),
                Paragraph(escape(text).replace("\n", "<br/>"), small),
                "" if due_on is None else due_on.strftime("%d.%m"),
            ]
        )
    if len(homework_rows) > 1:
        story.append(table(homework_rows, "homework"))
    else:
        story.append(p("Домашних заданий за период не записано."))

    story.append(Spacer(1, 8 * mm))
    story.append(p("Подпись родителя (законного представителя): ____________________", small))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Выписка: {ref.full_name}, {period.name}",
        invariant=True,
    )
    doc.build(story)
    return buffer.getvalue()
