"""The summary sheet of results (сводная ведомость учёта результатов) of a class for a year
[004 §6.5], [002 §9.2]: students × subjects with each term's, the year's, the exam's and the
final mark, the lessons missed (of them for a valid reason) and the council's decision.

It is kept 25–75 years, so it leaves the app as files that need no special software: a PDF
for printing and signing (reportlab) and an XLSX (openpyxl). `build_summary` reads; the
two renderers only draw what it read.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from ejournal.domain import permissions
from ejournal.domain.db import read_only
from ejournal.domain.errors import NotFound
from ejournal.domain.models import (
    AcademicYear,
    Attendance,
    AttendanceStatus,
    ClassGroup,
    Enrolment,
    Lesson,
    Period,
    PeriodKind,
    PeriodMark,
    School,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    YearDecision,
    YearOutcome,
)
from ejournal.domain.people.naming import class_name
from ejournal.domain.people.slips import register_fonts
from ejournal.domain.permissions import Actor, Permission, Target

#: The decisions as the sheet writes them [004 §5.33–5.36].
DECISION_TITLES: dict[str, str] = {
    YearDecision.PROMOTED: "переведён(а) в следующий класс",
    YearDecision.PROMOTED_CONDITIONALLY: "переведён(а) условно (академическая задолженность)",
    YearDecision.RETAINED: "оставлен(а) на повторное обучение",
    YearDecision.ADMITTED_TO_EXAM: "допущен(а) к ГИА",
    YearDecision.GRADUATED: "окончил(а) обучение",
    YearDecision.LEFT: "выбыл(а)",
}
#: The order of the mark columns under each subject; terms come first, in their order.
TAIL_KINDS = (PeriodKind.YEAR.value, PeriodKind.EXAM.value, PeriodKind.FINAL.value)
TAIL_TITLES = {PeriodKind.YEAR.value: "год", PeriodKind.EXAM.value: "экз.", "final": "итог"}


@dataclass(frozen=True)
class SheetPeriod:
    id: int
    kind: str
    title: str  # «1 ч.», «2 п/г», «год», «экз.», «итог»


@dataclass(frozen=True)
class SheetStudent:
    id: int
    number: int
    full_name: str
    # (subject_id, period_id) → «5», «4», «н/а» or «»
    marks: dict[tuple[int, int], str]
    missed: int  # lessons missed in the year
    missed_excused: int  # of them for a valid reason
    decision: str  # in words, «» when not yet decided
    decision_order: str  # the order's number and date
    note: str  # «прибыл(а) 12.01.2027», «выбыл(а) 20.03.2027 (приказ № 14)»


@dataclass(frozen=True)
class SummarySheet:
    school_name: str
    year_name: str
    class_name: str
    class_teacher: str
    subjects: tuple[tuple[int, str], ...]  # (subject_id, name) in the curriculum's order
    periods: tuple[SheetPeriod, ...]
    students: tuple[SheetStudent, ...]
    printed_on: dt.date
    empty_reason: str = ""  # why the sheet is empty, for the reader


def _short_period(p: Period) -> str:
    if p.kind == PeriodKind.QUARTER.value:
        return f"{p.number} ч."
    if p.kind == PeriodKind.HALF_YEAR.value:
        return f"{p.number} п/г"
    return TAIL_TITLES.get(p.kind, p.name)


def _full_name(s: Student | Staff) -> str:
    return " ".join(x for x in (s.last_name, s.first_name, s.middle_name) if x)


def _order(number: str) -> str:
    """«приказ № 14» (a number already written with «№» keeps it)."""
    number = number.strip()
    return f"приказ {number}" if number.startswith("№") else f"приказ № {number}"


def _fmt(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


@read_only
def build_summary(
    session: Session, *, actor: Actor, class_id: int, today: dt.date | None = None
) -> SummarySheet:
    """The class's summary sheet for its year (read by those who may read its journal)."""
    group = session.get(ClassGroup, class_id)
    if group is None or group.school_id != actor.school_id:
        raise NotFound("Класс не найден.")
    permissions.require(session, actor, Permission.JOURNAL_READ, Target(class_id=class_id))
    school = session.get(School, group.school_id)
    year = session.get(AcademicYear, group.year_id)
    assert school is not None and year is not None
    teacher = session.get(Staff, group.class_teacher_id) if group.class_teacher_id else None

    periods = [
        p
        for p in session.exec(
            select(Period).where(
                Period.year_id == year.id,
                Period.grade_from <= group.grade,
                Period.grade_to >= group.grade,
            )
        )
        if p.kind in (PeriodKind.QUARTER.value, PeriodKind.HALF_YEAR.value, *TAIL_KINDS)
    ]
    kind_order = {PeriodKind.QUARTER.value: 0, PeriodKind.HALF_YEAR.value: 0}
    kind_order |= {k: 1 + i for i, k in enumerate(TAIL_KINDS)}
    periods.sort(key=lambda p: (kind_order[p.kind], p.starts_on, p.number))
    # A grade keeps either quarters or half-years; the other kind is left out.
    terms = [p for p in periods if kind_order[p.kind] == 0]
    if terms:
        first_kind = terms[0].kind
        periods = [p for p in periods if kind_order[p.kind] > 0 or p.kind == first_kind]

    subjects = list(
        session.exec(
            select(Subject)
            .where(
                col(Subject.id).in_(
                    select(TeachingAssignment.subject_id).where(
                        TeachingAssignment.class_id == class_id
                    )
                ),
                col(Subject.marked).is_(True),
            )
            .order_by(col(Subject.sort_order), col(Subject.name))
        )
    )

    # Everyone enrolled in the class at some time of the year, with their stays.
    stays: dict[int, list[Enrolment]] = defaultdict(list)
    for e in session.exec(select(Enrolment).where(Enrolment.class_id == class_id)):
        stays[e.student_id].append(e)
    people = {
        s.id: s
        for s in session.exec(select(Student).where(col(Student.id).in_(list(stays))))
        if s.id is not None
    }
    order = sorted(people.values(), key=lambda s: (s.last_name, s.first_name, s.middle_name))

    period_ids = [p.id for p in periods if p.id is not None]
    marks: dict[int, dict[tuple[int, int], str]] = defaultdict(dict)
    if period_ids and people:
        for pm in session.exec(
            select(PeriodMark).where(
                col(PeriodMark.period_id).in_(period_ids),
                col(PeriodMark.student_id).in_(list(people)),
            )
        ):
            text = "н/а" if pm.not_attested else str(pm.value)
            marks[pm.student_id][(pm.subject_id, pm.period_id)] = text

    missed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if people:
        rows = session.execute(
            sa_select(col(Attendance.student_id), col(Attendance.status), func.count())
            .join(Lesson, col(Lesson.id) == Attendance.lesson_id)
            .join(TeachingAssignment, col(TeachingAssignment.id) == Lesson.assignment_id)
            .where(
                col(TeachingAssignment.class_id) == class_id,
                col(Attendance.student_id).in_(list(people)),
                col(Attendance.status).in_(
                    [AttendanceStatus.ABSENT.value, AttendanceStatus.EXCUSED.value]
                ),
            )
            .group_by(col(Attendance.student_id), col(Attendance.status))
        )
        for sid, status, n in rows:
            missed[sid][0] += int(n)
            if status == AttendanceStatus.EXCUSED.value:
                missed[sid][1] += int(n)

    outcomes = {
        o.student_id: o
        for o in session.exec(
            select(YearOutcome).where(
                YearOutcome.year_id == year.id,
                col(YearOutcome.student_id).in_(list(people)),
            )
        )
    }

    students: list[SheetStudent] = []
    for n, s in enumerate(order, start=1):
        assert s.id is not None
        notes = []
        for e in sorted(stays[s.id], key=lambda e: e.starts_on):
            if e.starts_on > year.starts_on:
                order_no = f" ({_order(e.order_number)})" if e.order_number else ""
                notes.append(f"прибыл(а) {_fmt(e.starts_on)}{order_no}")
            if e.ends_on is not None and e.ends_on < year.ends_on:
                order_no = f" ({_order(e.leave_order_number)})" if e.leave_order_number else ""
                notes.append(f"выбыл(а) {_fmt(e.ends_on)}{order_no}")
        outcome = outcomes.get(s.id)
        decision = DECISION_TITLES.get(outcome.decision, outcome.decision) if outcome else ""
        decision_order = ""
        if outcome is not None:
            number = outcome.order_number.strip()
            if number and not number.startswith("№"):
                number = f"№ {number}"
            decision_order = f"{number} от " if number else "от "
            decision_order += _fmt(outcome.decided_on)
        students.append(
            SheetStudent(
                id=s.id,
                number=n,
                full_name=_full_name(s),
                marks=dict(marks.get(s.id, {})),
                missed=missed[s.id][0] if s.id in missed else 0,
                missed_excused=missed[s.id][1] if s.id in missed else 0,
                decision=decision,
                decision_order=decision_order,
                note="; ".join(notes),
            )
        )
    return SummarySheet(
        school_name=school.name,
        year_name=year.name,
        class_name=class_name(group.grade, group.letter),
        class_teacher=_full_name(teacher) if teacher else "",
        subjects=tuple((s.id, s.name) for s in subjects if s.id is not None),
        periods=tuple(
            SheetPeriod(id=p.id, kind=p.kind, title=_short_period(p))
            for p in periods
            if p.id is not None
        ),
        students=tuple(students),
        printed_on=today or dt.date.today(),
        empty_reason="" if students else "В классе нет учащихся за этот год.",
    )


# --------------------------------------------------------------------------- XLSX


def _title(sheet: SummarySheet) -> str:
    return (
        f"Сводная ведомость учёта результатов: {sheet.class_name} класс, {sheet.year_name} уч. г."
    )


def summary_xlsx(sheet: SummarySheet) -> bytes:
    """The sheet as a workbook: two header rows (subjects, then their periods), a row a student."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Сводная ведомость"
    thin = Side(style="thin", color="888888")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([sheet.school_name])
    ws.append([_title(sheet)])
    ws.append([f"Классный руководитель: {sheet.class_teacher or '—'}"])
    ws["A1"].font = Font(bold=True)
    ws["A2"].font = Font(bold=True, size=13)
    head_row = 5
    per = len(sheet.periods)
    heads = ["№", "ФИО учащегося"]
    sub = ["", ""]
    for _, name in sheet.subjects:
        heads += [name] + [""] * (per - 1)
        sub += [p.title for p in sheet.periods]
    heads += ["Пропущено уроков", "", "Решение педагогического совета", "Примечание"]
    sub += ["всего", "по уваж. причине", "", ""]
    ws.append([])
    ws.append(heads)
    ws.append(sub)
    for i in range(len(sheet.subjects)):
        first = 3 + i * per
        if per > 1:
            ws.merge_cells(
                start_row=head_row, start_column=first, end_row=head_row, end_column=first + per - 1
            )
    tail = 3 + len(sheet.subjects) * per
    ws.merge_cells(start_row=head_row, start_column=tail, end_row=head_row, end_column=tail + 1)
    for s in sheet.students:
        row: list[object] = [s.number, s.full_name]
        for sid, _ in sheet.subjects:
            for p in sheet.periods:
                text = s.marks.get((sid, p.id), "")
                row.append(int(text) if text.isdigit() else text)
        row += [
            s.missed,
            s.missed_excused,
            " ".join(x for x in (s.decision, s.decision_order) if x),
        ]
        row.append(s.note)
        ws.append(row)
    last_row = head_row + 1 + len(sheet.students)
    for r in ws.iter_rows(min_row=head_row, max_row=last_row, max_col=tail + 3):
        for c in r:
            c.border = box
            c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for r in range(head_row + 2, last_row + 1):
        ws.cell(row=r, column=2).alignment = Alignment(horizontal="left", vertical="center")
    ws.column_dimensions["A"].width = 4
    ws.column_dimensions["B"].width = 32
    for c in range(3, tail):
        ws.column_dimensions[get_column_letter(c)].width = 5.5
    ws.column_dimensions[get_column_letter(tail)].width = 9
    ws.column_dimensions[get_column_letter(tail + 1)].width = 9
    ws.column_dimensions[get_column_letter(tail + 2)].width = 30
    ws.column_dimensions[get_column_letter(tail + 3)].width = 30
    ws.row_dimensions[head_row].height = 60
    ws.freeze_panes = ws.cell(row=head_row + 2, column=3)
    ws.append([])
    ws.append([f"Классный руководитель ____________ / {sheet.class_teacher or '—'} /"])
    ws.append(["Директор ____________ /                    /          М.П."])
    ws.append([f"Дата печати: {_fmt(sheet.printed_on)}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- PDF


def summary_pdf(sheet: SummarySheet) -> bytes:
    """The sheet on landscape A4 pages for printing and signing (the header repeats)."""
    font, _ = register_fonts()
    out = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=12 * mm,
        title=_title(sheet),
        author=sheet.school_name,
    )

    def footer(canvas: Any, doc_: Any) -> None:
        canvas.setFont(font, 8)
        canvas.drawRightString(
            page[0] - 10 * mm,
            6 * mm,
            f"{sheet.class_name}, {sheet.year_name} — стр. {canvas.getPageNumber()}",
        )

    doc.build(summary_story(sheet), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def summary_story(sheet: SummarySheet) -> list[Any]:
    """The sheet's flowables for landscape A4 (also bound into the printed journal)."""
    font, bold = register_fonts()
    page = landscape(A4)
    base = ParagraphStyle("b", fontName=font, fontSize=7, leading=8.5)
    head = ParagraphStyle("h", fontName=bold, fontSize=6.5, leading=7.5, alignment=1)
    big = ParagraphStyle("t", fontName=bold, fontSize=12, leading=15)
    small = ParagraphStyle("s", fontName=font, fontSize=9, leading=11)
    per = max(1, len(sheet.periods))
    # Subjects in blocks that fit a page's width: the names and the rest repeat per block.
    avail = page[0] - 20 * mm
    fixed = 7 * mm + 42 * mm
    tail_w = 2 * 9 * mm + 34 * mm + 30 * mm
    mark_w = 6.2 * mm
    # Pages before the last take as many subjects as fit; the last also holds the tail.
    wide = max(2, int((avail - fixed) // (mark_w * per)))
    narrow = max(1, int((avail - fixed - tail_w) // (mark_w * per)))
    subjects = sheet.subjects
    blocks: list[tuple[tuple[int, str], ...]] = []
    i = 0
    while len(subjects) - i > narrow:
        left = len(subjects) - i
        take = wide if left > wide else left - 1
        blocks.append(subjects[i : i + take])
        i += take
    blocks.append(subjects[i:])

    story: list[Any] = []
    for bi, block in enumerate(blocks):
        story.append(Paragraph(sheet.school_name, small))
        story.append(Paragraph(_title(sheet), big))
        part = f" (часть {bi + 1} из {len(blocks)})" if len(blocks) > 1 else ""
        story.append(Paragraph(f"Классный руководитель: {sheet.class_teacher or '—'}{part}", small))
        story.append(Spacer(1, 3 * mm))
        last = bi == len(blocks) - 1
        row1: list[object] = [Paragraph("№", head), Paragraph("ФИО учащегося", head)]
        row2: list[object] = ["", ""]
        for _, name in block:
            row1 += [Paragraph(name, head)] + [""] * (per - 1)
            row2 += [Paragraph(p.title, head) for p in sheet.periods] or [""]
        if last:
            row1 += [Paragraph("Пропущено уроков", head), "", Paragraph("Решение", head)]
            row1 += [Paragraph("Примечание", head)]
            row2 += [Paragraph("всего", head), Paragraph("уваж.", head), "", ""]
        data: list[list[object]] = [row1, row2]
        for s in sheet.students:
            row: list[object] = [str(s.number), Paragraph(s.full_name, base)]
            for sid, _ in block:
                row += [s.marks.get((sid, p.id), "") for p in sheet.periods] or [""]
            if last:
                decision = " ".join(x for x in (s.decision, s.decision_order) if x)
                row += [str(s.missed), str(s.missed_excused), Paragraph(decision, base)]
                row += [Paragraph(s.note, base)]
            data.append(row)
        widths = [7 * mm, 42 * mm] + [mark_w] * (len(block) * per)
        if last:
            widths += [9 * mm, 9 * mm, 34 * mm, 30 * mm]
        style = [
            ("FONT", (0, 0), (-1, -1), font, 7),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (2, 0), (-1, -1), 1),
            ("RIGHTPADDING", (2, 0), (-1, -1), 1),
            ("ALIGN", (2, 2), (-1, -1), "CENTER"),
            ("SPAN", (0, 0), (0, 1)),
            ("SPAN", (1, 0), (1, 1)),
            ("BACKGROUND", (0, 0), (-1, 1), colors.Color(0.93, 0.93, 0.93)),
        ]
        for i in range(len(block)):
            first = 2 + i * per
            if per > 1:
                style.append(("SPAN", (first, 0), (first + per - 1, 0)))
        if last:
            t0 = 2 + len(block) * per
            style += [("SPAN", (t0, 0), (t0 + 1, 0)), ("SPAN", (t0 + 2, 0), (t0 + 2, 1))]
            style += [("SPAN", (t0 + 3, 0), (t0 + 3, 1))]
        table = Table(data, colWidths=widths, repeatRows=2)
        table.setStyle(TableStyle(style))
        story.append(table)
        if sheet.empty_reason:
            story.append(Paragraph(sheet.empty_reason, small))
        story.append(Spacer(1, 6 * mm))
        if last:
            story.append(
                Paragraph(
                    f"Классный руководитель ____________ / {sheet.class_teacher or '—'} /", small
                )
            )
            story.append(Spacer(1, 4 * mm))
            story.append(
                Paragraph("Директор ____________ / ______________________ /      М.П.", small)
            )
            story.append(Paragraph(f"Дата печати: {_fmt(sheet.printed_on)}", small))
        else:
            story.append(PageBreak())
    return story
