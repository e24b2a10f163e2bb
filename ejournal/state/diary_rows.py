"""What the family's diary pages (``/diary``, ``/diary/marks``) send to the browser: the
shapes of their rows and how a domain result becomes one.

Every row is a TypedDict (Reflex sends it as a JSON object; the components read its keys),
as the journal's (`ejournal.state.journal.wire`) and the administrator's
(`ejournal.state.admin_rows`) rows are. Texts are display-ready («каб. 12», «вес 1,5»);
ids stay numbers and yes/no fields booleans, since the page sends them back as they are.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypedDict

from ejournal.domain import diary
from ejournal.domain.diary import calendar as diary_calendar
from ejournal.domain.diary import marks as diary_marks
from ejournal.domain.diary import week as diary_week
from ejournal.domain.diary.announcements import AnnouncementView
from ejournal.domain.diary.homework import DueDay, DueHomework
from ejournal.domain.numbers import decimal_text

MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


# --------------------------------------------------------------------------- formatting


def day_month(day: dt.date) -> str:
    """«23 ноября»."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def week_title(first: dt.date, last: dt.date) -> str:
    """«16 – 21 ноября 2026», «30 ноября – 5 декабря 2026»."""
    if first.month == last.month:
        return f"{first.day} – {last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"{day_month(first)} – {day_month(last)} {last.year}"


def weight_text(weight: Decimal) -> str:
    """A mark's weight without trailing zeros: 2 → «2», 1.5 → «1,5»."""
    text = f"{weight.normalize():f}"
    return text.replace(".", ",")


def time_text(t: dt.time | None) -> str:
    return "" if t is None else t.strftime("%H:%M")


# --------------------------------------------------------------------------- shapes


class ChildOption(TypedDict):
    """A child in the switcher."""

    student_id: int
    name: str  # the first name
    class_name: str


class MarkRow(TypedDict):
    """A mark chip."""

    value: str
    work_type: str  # abbreviation, «К.р.»
    detail: str  # «Контрольная работа · вес 2», shown on tap
    date: str  # «14.09» on the marks page, "" in the week
    heavy: bool  # weighs more than a usual mark (a test): its abbreviation stays in the table


class DueRow(TypedDict):
    """Homework due on a day: under its lesson in the week, or on «на завтра»."""

    key: str
    subject: str
    text: str  # «не задано» when the teacher set nothing
    links: list[str]
    origin: str  # «задано на уроке 27.11»


class LessonRow(TypedDict):
    """A lesson of a day card."""

    key: str
    number: str
    time: str  # «08:30–09:15»
    subject: str
    room: str  # «каб. 12»
    teacher: str
    topic: str
    homework: str  # set at this lesson, shown in full only when its due day is unknown
    links: list[str]
    assigned: str  # «Задано на дом к 16 сентября» (the homework set at this lesson)
    due: list[DueRow]  # homework to be done for this lesson
    work_type: str
    marks: list[MarkRow]
    absence: str  # «Н: болезнь»
    note: str  # «урок отменён», «замена»
    planned: bool  # from the timetable, no lesson recorded yet


class RemarkRow(TypedDict):
    """A remark or praise of the day."""

    praise: bool
    text: str
    meta: str  # «Математика, Числова М. И.»


class DayRow(TypedDict):
    """A day card of the week."""

    key: str  # the ISO date
    title: str  # «Понедельник, 14 сентября»
    is_today: bool
    holiday: str
    lessons: list[LessonRow]
    remarks: list[RemarkRow]
    due_elsewhere: list[DueRow]  # due this day, no lesson of the subject that day


class AnnouncementRow(TypedDict):
    key: str
    title: str
    body: str
    meta: str  # «Всей школе, Завучева О. И., до 18 сентября»


class PeriodOption(TypedDict):
    value: str  # the period id as text (a select's value)
    label: str


class BucketRow(TypedDict):
    """A bar of the class spread: a count, never a classmate's name."""

    label: str
    count: int
    width: str  # «60%» of the tallest bar
    mine: bool


class TrendRow(TypedDict):
    label: str  # the week's Monday, «14 сентября»
    value: str  # «4,25»
    height: str  # «75%» on the 2–5 scale


class SubjectRow(TypedDict):
    """A subject's card on the marks page."""

    subject_id: int
    name: str
    average: str  # «—» without marks
    suggested: str
    marks: list[MarkRow]
    spread: list[BucketRow]
    spread_note: str
    trend: list[TrendRow]
    trend_text: str  # «3,50 ↗ 4,25»
    final: str  # the period mark of the table: the published one, else the suggested one
    final_is_suggested: bool  # «final» is only what the period would give now


class LegendRow(TypedDict):
    """A work type's abbreviation used in the marks and its full name."""

    abbreviation: str
    name: str


class PeriodMarkRow(TypedDict):
    subject: str
    value: str


class PublishedRow(TypedDict):
    """A period with its published period marks."""

    name: str
    marks: list[PeriodMarkRow]


# --------------------------------------------------------------------------- rows from results


def child_options(children: list[diary.ChildRef]) -> list[ChildOption]:
    return [
        ChildOption(student_id=c.student_id, name=c.first_name, class_name=c.class_name)
        for c in children
    ]


def mark_row(value: int, abbreviation: str, name: str, weight: Decimal, day: str = "") -> MarkRow:
    kind = name or "Работа на уроке"
    return MarkRow(
        value=str(value),
        work_type=abbreviation,
        detail=f"{kind} · вес {weight_text(weight)}",
        date=day,
        heavy=weight > 1,
    )


def due_row(h: DueHomework) -> DueRow:
    text = h.text or ("не задано" if h.none else "")
    return DueRow(
        key=str(h.set_lesson_id),
        subject=h.subject_name,
        text=text,
        links=list(h.links),
        origin=h.origin,
    )


def due_day_title(d: DueDay) -> str:
    """«На вторник, 15 сентября»."""
    return f"На {WEEKDAY_ACCUSATIVE[d.date.weekday()]}, {day_month(d.date)}"


#: «На понедельник», «на среду»: the weekday after «на».
WEEKDAY_ACCUSATIVE = (
    "понедельник",
    "вторник",
    "среду",
    "четверг",
    "пятницу",
    "субботу",
    "воскресенье",
)


def lesson_row(lesson: diary_week.DiaryLesson, day: dt.date) -> LessonRow:
    note = ""
    if lesson.cancelled:
        note = "урок отменён"
    elif lesson.substitute:
        note = "замена"
    absence = ""
    if lesson.attendance is not None:
        absence = lesson.attendance.label
        if lesson.attendance.reason:
            absence += f": {lesson.attendance.reason}"
    times = "–".join(t for t in (time_text(lesson.starts_at), time_text(lesson.ends_at)) if t)
    set_here = bool(lesson.homework or lesson.homework_links)
    # Homework with a known later due day is read on that day; here only «к какому дню».
    moved = set_here and lesson.homework_due_on is not None
    assigned = ""
    if moved and lesson.homework_due_on is not None and lesson.homework_due_on > day:
        assigned = f"Задано на дом к {day_month(lesson.homework_due_on)}"
    return LessonRow(
        key=f"{day.isoformat()}-{lesson.number}-{lesson.subject_id}-{lesson.lesson_id or 0}",
        number=str(lesson.number),
        time=times,
        subject=lesson.subject_name,
        room=f"каб. {lesson.room}" if lesson.room else "",
        teacher=lesson.teacher_name,
        topic=lesson.topic,
        homework="" if moved else lesson.homework,
        links=[] if moved else list(lesson.homework_links),
        assigned=assigned,
        due=[due_row(h) for h in lesson.due],
        work_type=lesson.work_type_abbreviation,
        marks=[
            mark_row(m.value, m.work_type_abbreviation, m.work_type_name, m.weight)
            for m in lesson.marks
        ],
        absence=absence,
        note=note,
        planned=lesson.planned,
    )


def remark_row(r: diary.RemarkEntry) -> RemarkRow:
    meta = ", ".join(p for p in (r.subject_name, r.author_name) if p)
    return RemarkRow(praise=r.is_praise, text=r.text, meta=meta)


def day_row(d: diary_week.DiaryDay) -> DayRow:
    return DayRow(
        key=d.date.isoformat(),
        title=f"{d.weekday_name}, {day_month(d.date)}",
        is_today=d.is_today,
        holiday=d.holiday or "",
        lessons=[lesson_row(lesson, d.date) for lesson in d.lessons],
        remarks=[remark_row(r) for r in d.remarks],
        due_elsewhere=[due_row(h) for h in d.due_elsewhere],
    )


def announcement_row(a: AnnouncementView) -> AnnouncementRow:
    until = f"до {day_month(a.ends_on)}"
    meta = ", ".join(p for p in (a.audience_title, a.author_name, until) if p)
    return AnnouncementRow(key=str(a.announcement_id), title=a.title, body=a.body, meta=meta)


def period_options(periods: list[diary_calendar.PeriodChoice]) -> list[PeriodOption]:
    return [PeriodOption(value=str(p.period_id), label=p.name) for p in periods]


def period_note(page: diary_marks.MarksPage) -> str:
    """What the period-mark column holds: final marks, or when they will appear."""
    if not page.closed:
        return "«Выходит» — отметка за период по текущим отметкам, если бы он закончился сегодня."
    if page.published:
        return f"{page.period_name} закончилась: в таблице итоговые отметки."
    return (
        f"{page.period_name} закончилась; итоговые отметки появятся {day_month(page.publish_on)}."
    )


def legend_rows(page: diary_marks.MarksPage) -> list[LegendRow]:
    return [LegendRow(abbreviation=w.abbreviation, name=w.name) for w in page.work_types]


def published_rows(published: list[diary.PublishedPeriod]) -> list[PublishedRow]:
    """The periods that have period marks, each with its marks."""
    return [
        PublishedRow(
            name=p.name,
            marks=[PeriodMarkRow(subject=m.subject_name, value=m.label) for m in p.marks],
        )
        for p in published
        if p.marks
    ]


def subject_row(s: diary.SubjectSummary, *, final: str = "", closed: bool = False) -> SubjectRow:
    """A subject of the marks page; `final` is its published period mark («» if none), and
    a `closed` period suggests nothing (its marks no longer change)."""
    spread: list[BucketRow] = []
    note = ""
    if s.spread is None:
        note = "Разброс по классу появится, когда отметки будут у большего числа учеников."
    else:
        top = max((b.count for b in s.spread), default=0) or 1
        spread = [
            BucketRow(
                label=b.label,
                count=b.count,
                width=f"{round(100 * b.count / top)}%",
                mine=b.is_child,
            )
            for b in s.spread
        ]
    trend: list[TrendRow] = []
    trend_text = ""
    if s.trend:
        trend = [
            TrendRow(
                label=day_month(p.week_start),
                value=decimal_text(p.average),
                # 2,00 → 0 %, 5,00 → 100 %: the scale a family reads marks on.
                height=f"{max(4, round((float(p.average) - 2) / 3 * 100))}%",
            )
            for p in s.trend
        ]
        first, last = s.trend[0].average, s.trend[-1].average
        if len(s.trend) > 1:
            arrow = "↗" if last > first else "↘" if last < first else "→"
            trend_text = f"{decimal_text(first)} {arrow} {decimal_text(last)}"
    suggested = "" if s.suggested_mark is None or closed else str(s.suggested_mark)
    return SubjectRow(
        subject_id=s.subject_id,
        name=s.subject_name,
        average=decimal_text(s.average),
        suggested=suggested,
        final=final or suggested,
        final_is_suggested=not final and bool(suggested),
        marks=[
            mark_row(
                m.value,
                m.work_type_abbreviation,
                m.work_type_name,
                m.weight,
                f"{m.date.day:02d}.{m.date.month:02d}",
            )
            for m in s.marks
        ],
        spread=spread,
        spread_note=note,
        trend=trend,
        trend_text=trend_text,
    )


# --------------------------------------------------------------------------- messages


class ThreadRow(TypedDict):
    """A thread in the list."""

    thread_id: int
    subject: str
    with_whom: str  # the other participants, «Числова М. И., Завучева О. И.»
    preview: str
    when: str  # «23 ноября в 14:41»
    unread: int


class MessageRow(TypedDict):
    key: str
    author: str  # «Вы» for one's own
    body: str
    when: str
    mine: bool


class OpenThread(TypedDict):
    """The thread on screen (thread_id 0: none)."""

    thread_id: int
    subject: str
    with_whom: str
    messages: list[MessageRow]


class Option(TypedDict):
    """A class, student, child or recipient of the new-thread form."""

    value: str  # the id as text (a select's value)
    label: str
    detail: str  # a child's class, what a recipient is to the child


def option(value: int, label: str, detail: str = "") -> Option:
    return Option(value=str(value), label=label, detail=detail)


def no_thread() -> OpenThread:
    return OpenThread(thread_id=0, subject="", with_whom="", messages=[])
