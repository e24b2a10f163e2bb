"""Paper copies of the diary for families that refused consent to personal-data processing
[003 §5.2]: homework daily, marks weekly, period marks each quarter.

Three PDFs for one class, one A4 page per student of a refusing family (`consent`):
«Домашние задания на <дату>» (the homework due that day, as the diary's «на завтра»
shows it), «Отметки за неделю» (the week's marks by subject, with absences and lateness)
and «Итоговые отметки за <период>» (once the period's marks are published to families).
Students whose family consented or has nothing recorded are never printed.

Who prints: the class teacher of that class and the secretary — nobody else (not the
administrator, who keeps accounts, not marks). The data come from the diary's own
functions (`child_context`, `homework_around`, `period_marks_for`), so the paper says what
the diary would.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import or_
from sqlmodel import Session, col, select

from ejournal.domain.db import read_only
from ejournal.domain.diary.child import (
    WEEKDAY_NAMES,
    ChildContext,
    child_assignments,
    child_context,
    holidays_for,
    period_marks_for,
    published_on,
    week_monday,
)
from ejournal.domain.diary.homework import (
    DueHomework,
    homework_around,
    subject_names_of,
)
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import (
    Attendance,
    AttendanceStatus,
    ClassGroup,
    Lesson,
    Mark,
    Period,
    Role,
    School,
    Student,
    Subject,
    TimetableSlot,
    WorkType,
)
from ejournal.domain.people.consent import refused_student_ids
from ejournal.domain.people.naming import group_name
from ejournal.domain.people.slips import register_fonts
from ejournal.domain.permissions import Actor, Permission, Target, require
from ejournal.domain.school.clock import school_today

MARGIN = 15 * mm
NO_ONE = (
    "В классе нет семей, отказавшихся от обработки персональных данных: бумажные копии не нужны."
)
NOT_ALLOWED = "Бумажные копии печатают классный руководитель этого класса и секретарь."

#: Each table's header and column widths (they fit between the margins: 180 mm).
COLUMNS: dict[str, tuple[tuple[str, float], ...]] = {
    "homework": (("Предмет", 45 * mm), ("Задание", 110 * mm), ("Задано", 25 * mm)),
    "week": (("Предмет", 45 * mm), ("Отметки", 80 * mm), ("Пропуски и опоздания", 55 * mm)),
    "period": (("Предмет", 110 * mm), ("Отметка", 70 * mm)),
}
ABSENCE_SHORT = {
    AttendanceStatus.ABSENT: "н",
    AttendanceStatus.EXCUSED: "н (уваж.)",
    AttendanceStatus.LATE: "опоздание",
}


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


# --------------------------------------------------------------------------- access


@dataclass(frozen=True)
class _Copies:
    group: ClassGroup
    school: School
    students: list[ChildContext]  # of refusing families, by name


def _class_for_copies(session: Session, actor: Actor | None, class_id: int) -> ClassGroup:
    """The class, when `actor` is its class teacher or the secretary; refused otherwise."""
    actor = require(session, actor, Permission.STUDENT_MANAGE, Target(class_id=class_id))
    if Role.SECRETARY not in actor.roles and class_id not in actor.class_teacher_of:
        raise PermissionDenied(NOT_ALLOWED)
    group = session.get(ClassGroup, class_id)
    if group is None:
        raise NotFound("Класс не найден.")
    if group.school_id != actor.school_id:
        raise PermissionDenied()
    return group


def _copies(session: Session, actor: Actor | None, class_id: int) -> _Copies:
    group = _class_for_copies(session, actor, class_id)
    assert actor is not None
    school = session.get(School, group.school_id)
    assert school is not None
    students = session.exec(
        select(Student)
        .where(Student.class_id == class_id, col(Student.is_active).is_(True))
        .order_by(col(Student.last_name), col(Student.first_name), col(Student.id))
    ).all()
    refused = refused_student_ids(session, [s.id for s in students if s.id is not None])
    if not refused:
        raise ValidationError(NO_ONE)
    contexts = [child_context(session, actor, s.id or 0) for s in students if s.id in refused]
    return _Copies(group=group, school=school, students=contexts)


def _class_periods(session: Session, group: ClassGroup) -> list[Period]:
    return list(
        session.exec(
            select(Period)
            .where(
                Period.year_id == group.year_id,
                Period.grade_from <= group.grade,
                Period.grade_to >= group.grade,
            )
            .order_by(col(Period.ends_on), col(Period.starts_on))
        ).all()
    )


@dataclass(frozen=True)
class PeriodChoice:
    period_id: int
    name: str
    published_on: dt.date


@dataclass(frozen=True)
class PaperOptions:
    """What the «Бумажные копии» block offers for a class."""

    day: dt.date  # the next school day: tomorrow's homework
    week_start: dt.date  # this week's Monday
    periods: list[PeriodChoice]
    period_id: int  # the latest published period (0: none yet)


@read_only
def paper_options(
    session: Session, *, actor: Actor | None, class_id: int, today: dt.date | None = None
) -> PaperOptions:
    """The default day, week and period of the class's paper copies."""
    group = _class_for_copies(session, actor, class_id)
    school = session.get(School, group.school_id)
    assert school is not None
    today = school_today(school, today)
    periods = [
        PeriodChoice(p.id or 0, p.name, published_on(p, school))
        for p in _class_periods(session, group)
    ]
    published = [p for p in periods if p.published_on <= today]
    day = today + dt.timedelta(days=1)
    while day.isoweekday() > school.days_per_week:
        day += dt.timedelta(days=1)
    return PaperOptions(
        day=day,
        week_start=week_monday(today),
        periods=periods,
        period_id=published[-1].period_id if published else 0,
    )


# --------------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class _Styles:
    font: str
    bold: str
    base: ParagraphStyle
    small: ParagraphStyle
    h1: ParagraphStyle

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.base)

    def table(self, name: str, rows: Sequence[Sequence[str]]) -> Table:
        head = [title for title, _ in COLUMNS[name]]
        body = [[self.p(cell, self.small) for cell in row] for row in rows]
        t = Table([head, *body], colWidths=[w for _, w in COLUMNS[name]], repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.font),
                    ("FONTNAME", (0, 0), (-1, 0), self.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t


def _styles() -> _Styles:
    font, bold = register_fonts()
    base = ParagraphStyle("paper", fontName=font, fontSize=10, leading=13)
    return _Styles(
        font=font,
        bold=bold,
        base=base,
        small=ParagraphStyle("paper-small", parent=base, fontSize=9, leading=11),
        h1=ParagraphStyle(
            "paper-h1", parent=base, fontName=bold, fontSize=14, leading=18, spaceAfter=4
        ),
    )


def _render(
    copies: _Copies,
    title: str,
    page: Callable[[ChildContext, _Styles], list[Flowable]],
) -> bytes:
    st = _styles()
    story: list[Flowable] = []
    for i, ctx in enumerate(copies.students):
        if i:
            story.append(PageBreak())
        story += [
            st.p(title, st.h1),
            st.p(copies.school.name),
            st.p(f"Учащийся: {ctx.ref.full_name}, класс {group_name(copies.group)}"),
            Spacer(1, 4 * mm),
            *page(ctx, st),
            Spacer(1, 10 * mm),
            st.p("Получено. Подпись родителя (законного представителя): ____________________"),
        ]
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{title}, {group_name(copies.group)}",
        invariant=True,
    ).build(story)
    return buffer.getvalue()


# --------------------------------------------------------------------------- homework


def _day_order(session: Session, assignment_ids: list[int], day: dt.date) -> dict[int, int]:
    """Each assignment's first lesson number that day (held, else from the timetable)."""
    order: dict[int, int] = {}
    if not assignment_ids:
        return order
    for assignment_id, number in session.exec(
        select(Lesson.assignment_id, Lesson.number).where(
            col(Lesson.assignment_id).in_(assignment_ids), Lesson.date == day
        )
    ).all():
        order[assignment_id] = min(order.get(assignment_id, number), number)
    for slot in session.exec(
        select(TimetableSlot).where(
            col(TimetableSlot.assignment_id).in_(assignment_ids),
            TimetableSlot.weekday == day.isoweekday(),
            TimetableSlot.valid_from <= day,
            or_(col(TimetableSlot.valid_to).is_(None), col(TimetableSlot.valid_to) >= day),
        )
    ).all():
        order.setdefault(slot.assignment_id, slot.number)
    return order


def _homework_text(h: DueHomework) -> str:
    if h.none and not h.text and not h.links:
        return "не задано"
    return "\n".join([h.text, *h.links]).strip()


@read_only
def homework_copy_pdf(
    session: Session, *, actor: Actor | None, class_id: int, day: dt.date
) -> bytes:
    """«Домашние задания на <день>» for each student of a refusing family of the class."""
    copies = _copies(session, actor, class_id)
    title = f"Домашние задания на {_d(day)} ({WEEKDAY_NAMES[day.weekday()].lower()})"

    def page(ctx: ChildContext, st: _Styles) -> list[Flowable]:
        names = subject_names_of(session, ctx)
        holidays = holidays_for(session, ctx)
        due = [
            h
            for h in homework_around(session, ctx, day, day, subject_names=names, holidays=holidays)
            if h.due_on == day
        ]
        order = _day_order(session, list(names), day)
        due.sort(key=lambda h: (order.get(h.assignment_id, 99), h.subject_name, h.set_on))
        if not due:
            return [st.p("На этот день домашних заданий не записано.")]
        rows = [[h.subject_name, _homework_text(h), h.set_on.strftime("%d.%m")] for h in due]
        return [st.table("homework", rows)]

    return _render(copies, title, page)


# --------------------------------------------------------------------------- the week


@read_only
def week_marks_copy_pdf(
    session: Session, *, actor: Actor | None, class_id: int, week_start: dt.date
) -> bytes:
    """«Отметки за неделю» (Monday to the school's last day) for each refusing family."""
    copies = _copies(session, actor, class_id)
    monday = week_monday(week_start)
    last = monday + dt.timedelta(days=copies.school.days_per_week - 1)
    title = f"Отметки за неделю {_d(monday)} – {_d(last)}"
    work_types = {
        w.id: w
        for w in session.exec(select(WorkType).where(WorkType.school_id == copies.school.id)).all()
    }

    def page(ctx: ChildContext, st: _Styles) -> list[Flowable]:
        assignments = {a.id: a for a in child_assignments(session, ctx) if a.id is not None}
        subjects = {
            s.id: s
            for s in session.exec(
                select(Subject).where(
                    col(Subject.id).in_({a.subject_id for a in assignments.values()} or {-1})
                )
            ).all()
        }
        lessons = {
            lesson.id: lesson
            for lesson in session.exec(
                select(Lesson).where(
                    col(Lesson.assignment_id).in_(list(assignments) or [-1]),
                    Lesson.date >= monday,
                    Lesson.date <= last,
                    col(Lesson.cancelled).is_(False),
                )
            ).all()
        }
        ids = list(lessons) or [-1]
        marks: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
        for m in session.exec(
            select(Mark).where(Mark.student_id == ctx.student_id, col(Mark.lesson_id).in_(ids))
        ).all():
            lesson = lessons[m.lesson_id]
            subject_id = assignments[lesson.assignment_id].subject_id
            wt = work_types.get(m.work_type_id or lesson.work_type_id or 0)
            note = f" ({wt.abbreviation})" if wt is not None and wt.abbreviation else ""
            marks[subject_id].append((lesson.date, m.value, note))
        absences: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
        for a in session.exec(
            select(Attendance).where(
                Attendance.student_id == ctx.student_id, col(Attendance.lesson_id).in_(ids)
            )
        ).all():
            lesson = lessons[a.lesson_id]
            subject_id = assignments[lesson.assignment_id].subject_id
            label = ABSENCE_SHORT.get(AttendanceStatus(a.status), a.status)
            absences[subject_id].append((lesson.date, label))
        rows = []
        for subject in sorted(subjects.values(), key=lambda s: (s.sort_order, s.name)):
            sid = subject.id or 0
            marks_text = ", ".join(
                f"{v}{note} {day:%d.%m}" for day, v, note in sorted(marks.get(sid, []))
            )
            absent_text = ", ".join(f"{label} {day:%d.%m}" for day, label in sorted(absences[sid]))
            rows.append([subject.name, marks_text or "—", absent_text or "—"])
        if not rows:
            return [st.p("Уроков на этой неделе не записано.")]
        return [st.table("week", rows)]

    return _render(copies, title, page)


# --------------------------------------------------------------------------- the period


@read_only
def period_marks_copy_pdf(
    session: Session,
    *,
    actor: Actor | None,
    class_id: int,
    period_id: int,
    today: dt.date | None = None,
) -> bytes:
    """«Итоговые отметки за <период>» for each refusing family, once families may see them."""
    copies = _copies(session, actor, class_id)
    period = session.get(Period, period_id)
    if period is None or period.id not in {p.id for p in _class_periods(session, copies.group)}:
        raise NotFound("Учебный период не найден.")
    today = school_today(copies.school, today)
    opens = published_on(period, copies.school)
    if opens > today:
        raise ValidationError(
            f"Отметки за период «{period.name}» открываются семьям {_d(opens)}: "
            "тогда их и можно напечатать."
        )
    title = f"Итоговые отметки за период «{period.name}»"

    def page(ctx: ChildContext, st: _Styles) -> list[Flowable]:
        published = next(
            (p for p in period_marks_for(session, ctx, today) if p.period_id == period.id), None
        )
        if published is None or not published.marks:
            return [st.p("Отметки за период не выставлены.")]
        return [st.table("period", [[m.subject_name, m.label] for m in published.marks])]

    return _render(copies, title, page)


__all__ = [
    "PaperOptions",
    "PeriodChoice",
    "homework_copy_pdf",
    "paper_options",
    "period_marks_copy_pdf",
    "week_marks_copy_pdf",
]
