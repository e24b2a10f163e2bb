"""A printable extract of a period from the diary, for families who receive it on paper [003 §5.2].

Homework by date, marks by subject with the weighted average, attendance, and the period
marks once they are published. Built with reportlab and the DejaVu fonts (Cyrillic).
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
    load_child,
    period_marks_for,
    published_on,
    subject_marks,
)
from ejournal.domain.diary.week import safe_links
from ejournal.domain.models import Attendance, AttendanceStatus, Lesson, Subject
from ejournal.domain.numbers import decimal_text
from ejournal.domain.people.slips import register_fonts
from ejournal.domain.permissions import Actor
from ejournal.domain.school.clock import school_today


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
    """The child's period on paper: homework, marks with averages, attendance, period marks."""
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

    def table(rows: list[list[object]], widths: list[float]) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTNAME", (0, 0), (-1, 0), bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
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

    # --- homework by date
    story.append(p("Домашние задания", h2))
    homework_rows: list[list[object]] = [["Дата", "Предмет", "Задание"]]
    for lesson in lessons:
        if not lesson.homework.strip() and not lesson.homework_links.strip():
            continue
        text = lesson.homework.strip()
        links = safe_links(lesson.homework_links)
        if links:
            text = (text + "\n" if text else "") + "\n".join(links)
        homework_rows.append(
            [
                _d(lesson.date),
                p(subject_of(lesson), small),
                Paragraph(escape(text).replace("\n", "<br/>"), small),
            ]
        )
    if len(homework_rows) > 1:
        story.append(table(homework_rows, [22 * mm, 40 * mm, 118 * mm]))
    else:
        story.append(p("Домашних заданий за период не записано."))

    # --- marks by subject
    story.append(p("Отметки", h2))
    summaries = subject_marks(session, actor=actor, student_id=student_id, period_id=period_id)
    mark_rows: list[list[object]] = [["Предмет", "Отметки", "Средний балл"]]
    for s in summaries:
        marks_text = ", ".join(
            f"{m.value}{' (' + m.work_type_abbreviation + ')' if m.work_type_abbreviation else ''}"
            f" {m.date.strftime('%d.%m')}"
            for m in s.marks
        )
        mark_rows.append([p(s.subject_name, small), p(marks_text or "—", small), _avg(s.average)])
    story.append(table(mark_rows, [45 * mm, 110 * mm, 25 * mm]))

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
        attendance_rows: list[list[object]] = [
            ["Предмет", "Пропущено уроков", "из них по уважительной причине", "Опозданий"]
        ]
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
        story.append(table(attendance_rows, [55 * mm, 35 * mm, 55 * mm, 35 * mm]))
    else:
        story.append(p("Пропусков и опозданий нет."))

    # --- period marks, only once published
    story.append(p(f"Отметки за {period.name}", h2))
    published = next(
        (pp for pp in period_marks_for(session, ctx, today) if pp.period_id == period.id), None
    )
    if published is None:
        story.append(
            p(f"Отметки за период будут опубликованы {_d(published_on(period, ctx.school))}.")
        )
    elif not published.marks:
        story.append(p("Отметки за период не выставлены."))
    else:
        rows: list[list[object]] = [["Предмет", "Отметка"]]
        rows += [[p(m.subject_name, small), m.label] for m in published.marks]
        story.append(table(rows, [90 * mm, 40 * mm]))

    story.append(Spacer(1, 8 * mm))
    story.append(p("Подпись родителя (законного представителя): ____________________", small))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Выписка: {ref.full_name}, {period.name}",
        invariant=True,
    )
    doc.build(story)
    return buffer.getvalue()
