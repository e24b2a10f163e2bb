"""The printed class journal: one PDF per class and year, ready to bind [002 §9.2], [004 §6.4].

For every subject page (a class or subgroup × subject) and every term: the grid of marks and
absences with the lessons' dates and the term's marks, then the page of lessons given
(date, topic, homework); after a subject's last term the record of lessons «по программе» and
«по факту» with the line for the teacher's signature [004 §5.24]. The summary sheet follows,
and the last page is the sealing page («пронумеровано, прошнуровано и скреплено печатью»).
Every page carries «стр. N из M».

The journal's own reader (`load_page`) supplies every page, so the print shows exactly what
the grid shows.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func

from ejournal.domain import permissions
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound
from ejournal.domain.journal.context import term_periods
from ejournal.domain.journal.data import JournalPage
from ejournal.domain.journal.read import load_page
from ejournal.domain.models import (
    AcademicYear,
    ClassGroup,
    Lesson,
    School,
    Staff,
    Subgroup,
    Subject,
    TeachingAssignment,
    ThematicPlanItem,
)
from ejournal.domain.people.naming import class_name
from ejournal.domain.people.slips import register_fonts
from ejournal.domain.permissions import Actor, Permission, Target
from ejournal.domain.records.summary_sheet import build_summary, summary_story

#: Lesson columns on one grid page (landscape A4 with the names and the term's marks).
LESSONS_PER_PAGE = 28


@dataclass(frozen=True)
class SubjectPages:
    """One subject page of the class for the year: its terms' journal pages and the count of
    lessons by the programme and in fact."""

    title: str  # «Математика — Кузнецов И. О.» (with the subgroup when there is one)
    pages: tuple[JournalPage, ...]
    planned_hours: int  # the КТП's hours, or the curriculum's hours × the school weeks
    given: int  # lessons held (not cancelled)


@dataclass(frozen=True)
class ClassJournal:
    school_name: str
    year_name: str
    class_name: str
    class_teacher: str
    subjects: tuple[SubjectPages, ...]
    printed_on: dt.date


def _full_name(s: Staff | None) -> str:
    return " ".join(x for x in (s.last_name, s.first_name, s.middle_name) if x) if s else ""


@read_only
def collect_journal(
    session: Session, *, actor: Actor, class_id: int, now: dt.datetime | None = None
) -> ClassJournal:
    """Every page of the class's journal for its year, as the grid reads them."""
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    permissions.require(session, actor, Permission.JOURNAL_READ, Target(class_id=class_id))
    school = session.get(School, group.school_id)
    year = session.get(AcademicYear, group.year_id)
    assert school is not None and year is not None and year.id is not None
    teacher = session.get(Staff, group.class_teacher_id) if group.class_teacher_id else None
    terms = term_periods(session, year.id, group.grade)
    rows = session.execute(
        sa_select(TeachingAssignment, Subject, Subgroup, Staff)
        .join(Subject, col(Subject.id) == TeachingAssignment.subject_id)
        .join(Staff, col(Staff.id) == TeachingAssignment.teacher_id)
        .outerjoin(Subgroup, col(Subgroup.id) == TeachingAssignment.subgroup_id)
        .where(col(TeachingAssignment.class_id) == class_id)
        .order_by(col(Subject.sort_order), col(Subject.name), col(Subgroup.name))
    ).all()
    ids = [ta.id for ta, *_ in rows if ta.id is not None]
    planned = dict(
        session.execute(
            sa_select(col(ThematicPlanItem.assignment_id), func.sum(col(ThematicPlanItem.hours)))
            .where(col(ThematicPlanItem.assignment_id).in_(ids))
            .group_by(col(ThematicPlanItem.assignment_id))
        ).all()
    )
    given = dict(
        session.execute(
            sa_select(col(Lesson.assignment_id), func.count())
            .where(col(Lesson.assignment_id).in_(ids), col(Lesson.cancelled).is_(False))
            .group_by(col(Lesson.assignment_id))
        ).all()
    )
    subjects = []
    for ta, subject, subgroup, staff in rows:
        assert ta.id is not None
        pages = tuple(
            load_page(session, actor=actor, assignment_id=ta.id, period_id=p.id, now=now)
            for p in terms
            if p.id is not None
        )
        title = subject.name + (f" ({subgroup.name})" if subgroup else "")
        subjects.append(
            SubjectPages(
                title=f"{title} — {_full_name(staff)}",
                pages=pages,
                planned_hours=int(planned.get(ta.id, 0) or 0),
                given=int(given.get(ta.id, 0) or 0),
            )
        )
    today = (now or dt.datetime.now(dt.UTC)).date()
    return ClassJournal(
        school_name=school.name,
        year_name=year.name,
        class_name=class_name(group.grade, group.letter),
        class_teacher=_full_name(teacher),
        subjects=tuple(subjects),
        printed_on=today,
    )


# --------------------------------------------------------------------------- PDF


class _NumberedCanvas(Canvas):
    """Writes «стр. N из M» on every page once the number of pages is known."""

    footer_text = ""
    footer_font = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(self.footer_font, 8)
            width = self._pagesize[0]
            self.drawRightString(
                width - 10 * mm, 6 * mm, f"{self.footer_text} — стр. {self._pageNumber} из {total}"
            )
            super().showPage()
        super().save()


def _chunks(items: tuple[Any, ...], size: int) -> Iterator[tuple[Any, ...]]:
    for i in range(0, max(1, len(items)), size):
        yield items[i : i + size]


def _mark_text(page: JournalPage, student_id: int, lesson_id: int) -> str:
    cell = page.cells.get((student_id, lesson_id))
    return cell.text if cell is not None else ""


def _grid(page: JournalPage, styles: dict[str, ParagraphStyle], font: str) -> list[Any]:
    """The grid of one term: names × lesson dates, split into pages of LESSONS_PER_PAGE."""
    out: list[Any] = []
    lessons = tuple(lesson for lesson in page.lessons if not lesson.cancelled)
    parts = list(_chunks(lessons, LESSONS_PER_PAGE))
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        head: list[Any] = ["№", Paragraph("ФИО учащегося", styles["head"])]
        head += [
            Paragraph(f"{c.date:%d}<br/>{c.date:%m}<br/>{c.work_type}", styles["head"])
            for c in part
        ]
        if last:
            head.append(Paragraph("Итог", styles["head"]))
            if page.year_period is not None:
                head.append(Paragraph("Год", styles["head"]))
        data: list[list[Any]] = [head]
        for s in page.students:
            row: list[Any] = [str(s.number), Paragraph(s.full_name, styles["cell"])]
            row += [
                "—" if c.id in s.not_enrolled_lesson_ids else _mark_text(page, s.id, c.id)
                for c in part
            ]
            if last:
                pm = s.period_mark
                row.append("" if pm is None else ("н/а" if pm.not_attested else str(pm.value)))
                if page.year_period is not None:
                    ym = s.year_mark
                    row.append("" if ym is None else ("н/а" if ym.not_attested else str(ym.value)))
            data.append(row)
        widths = [7 * mm, 52 * mm] + [6.5 * mm] * len(part)
        if last:
            widths += [12 * mm] * (2 if page.year_period is not None else 1)
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, 7),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (2, 1), (-1, -1), "CENTER"),
                    ("LEFTPADDING", (2, 0), (-1, -1), 1),
                    ("RIGHTPADDING", (2, 0), (-1, -1), 1),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
                ]
            )
        )
        if n:
            out.append(PageBreak())
        out.append(table)
    if not lessons:
        out.append(Paragraph("Уроков в этом периоде не было.", styles["small"]))
    return out


def _topics(page: JournalPage, styles: dict[str, ParagraphStyle], font: str) -> Table:
    """The page of lessons given: date, topic (with the work type), homework."""
    data: list[list[Any]] = [
        [Paragraph(h, styles["head"]) for h in ("Дата", "Тема урока", "Домашнее задание")]
    ]
    for c in page.lessons:
        if c.cancelled:
            continue
        topic = (f"{c.work_type} " if c.work_type else "") + (c.topic or "")
        homework = "не задано" if c.homework_none else c.homework
        data.append(
            [
                c.date.strftime("%d.%m.%Y"),
                Paragraph(topic, styles["cell"]),
                Paragraph(homework, styles["cell"]),
            ]
        )
    table = Table(data, colWidths=[22 * mm, 140 * mm, 115 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
            ]
        )
    )
    return table


def journal_pdf(journal: ClassJournal, summary_flowables: list[Any] | None = None) -> bytes:
    """The class's journal as one PDF ready to bind (numbered pages, the sealing page last)."""
    font, bold = register_fonts()
    styles = {
        "title": ParagraphStyle("t", fontName=bold, fontSize=20, leading=26, alignment=1),
        "h1": ParagraphStyle("h1", fontName=bold, fontSize=13, leading=16),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=10, leading=13),
        "head": ParagraphStyle("hd", fontName=bold, fontSize=6.5, leading=7.5, alignment=1),
        "cell": ParagraphStyle("c", fontName=font, fontSize=7, leading=8.5),
        "small": ParagraphStyle("s", fontName=font, fontSize=10, leading=13),
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=12 * mm,
        title=f"Классный журнал {journal.class_name}, {journal.year_name}",
        author=journal.school_name,
    )
    story: list[Any] = [
        Spacer(1, 40 * mm),
        Paragraph(journal.school_name, styles["small"]),
        Spacer(1, 10 * mm),
        Paragraph("КЛАССНЫЙ ЖУРНАЛ", styles["title"]),
        Spacer(1, 6 * mm),
        Paragraph(f"{journal.class_name} класс, {journal.year_name} учебный год", styles["h1"]),
        Spacer(1, 6 * mm),
        Paragraph(f"Классный руководитель: {journal.class_teacher or '—'}", styles["small"]),
        Paragraph(
            f"Распечатан из электронного журнала {journal.printed_on:%d.%m.%Y}", styles["small"]
        ),
        Spacer(1, 8 * mm),
        Paragraph("Предметы:", styles["h2"]),
    ]
    story += [
        Paragraph(f"{i}. {s.title}", styles["small"]) for i, s in enumerate(journal.subjects, 1)
    ]
    for subject in journal.subjects:
        for term in subject.pages:
            story.append(PageBreak())
            story.append(Paragraph(f"{subject.title}", styles["h1"]))
            story.append(
                Paragraph(f"{term.period.name}: учёт успеваемости и посещаемости", styles["h2"])
            )
            story.append(Spacer(1, 2 * mm))
            story += _grid(term, styles, font)
            story.append(PageBreak())
            story.append(Paragraph(f"{subject.title}", styles["h1"]))
            story.append(
                Paragraph(f"{term.period.name}: записи о пройденном материале", styles["h2"])
            )
            story.append(Spacer(1, 2 * mm))
            story.append(_topics(term, styles, font))
        story.append(CondPageBreak(40 * mm))
        story.append(Spacer(1, 4 * mm))
        behind = subject.planned_hours - subject.given
        verdict = (
            "Программа выполнена."
            if subject.planned_hours and behind <= 0
            else (
                f"Программа не выполнена: не проведено {behind} ч."
                if subject.planned_hours
                else "КТП не введён."
            )
        )
        story.append(
            Paragraph(
                f"Проведено уроков: по программе — {subject.planned_hours}, по факту — {subject.given}. {verdict}",
                styles["small"],
            )
        )
        story.append(Paragraph("Учитель ____________ / подпись /", styles["small"]))
    if summary_flowables:
        story.append(PageBreak())
        story += summary_flowables
    story.append(PageBreak())
    story += [
        Spacer(1, 50 * mm),
        Paragraph("ЛИСТ ЗАВЕРЕНИЯ", styles["title"]),
        Spacer(1, 10 * mm),
        Paragraph(
            f"В классном журнале {journal.class_name} класса за {journal.year_name} учебный год "
            "пронумеровано, прошнуровано и скреплено печатью ______ (__________________) листов.",
            styles["small"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            "Электронная версия журнала хранится в архиве учебного года с контрольными суммами "
            "SHA-256 каждого файла.",
            styles["small"],
        ),
        Spacer(1, 14 * mm),
        Paragraph("Директор ____________ / ______________________ /", styles["small"]),
        Spacer(1, 8 * mm),
        Paragraph("М.П.                Дата: «____» ______________ 20____ г.", styles["small"]),
    ]

    class Canvas_(_NumberedCanvas):
        footer_text = f"Классный журнал {journal.class_name}, {journal.year_name}"
        footer_font = font

    doc.build(story, canvasmaker=Canvas_)
    return out.getvalue()


@read_only
def class_journal_pdf(
    session: Session, *, actor: Actor, class_id: int, now: dt.datetime | None = None
) -> bytes:
    """The printed journal of the class with its summary sheet, as one PDF."""
    journal = collect_journal(session, actor=actor, class_id=class_id, now=now)
    today = (now or dt.datetime.now(dt.UTC)).date()
    sheet = build_summary(session, actor=actor, class_id=class_id, today=today)
    return journal_pdf(journal, summary_story(sheet))
