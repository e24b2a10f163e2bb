"""The family's diary: the week (``/diary``) and marks by subject (``/diary/marks``).

Every handler that reads a child's diary takes the child's id from the browser and hands
it to a domain service, which checks it (``diary.load_child``): a forged id of another
family's child is refused there, and the handler then shows a toast and changes nothing.
The page data are plain dataclasses of display-ready strings.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from ejournal.domain import diary, forecast
from ejournal.domain.diary import calendar as diary_calendar
from ejournal.domain.diary import extract_pdf
from ejournal.domain.diary import week as diary_week
from ejournal.domain.errors import DomainError
from ejournal.domain.numbers import decimal_text, int_or_none
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service

log = logging.getLogger("ejournal.state.diary")

#: Toasts on the diary pages appear at the top: the tab bar holds the bottom of a phone.
TOAST_AT = "top-center"

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


def local_stamp(at: dt.datetime | None, zone: str = "") -> str:
    """«23 ноября в 14:41» in the school's time zone (stored times are UTC)."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    try:
        local = at.astimezone(ZoneInfo(zone)) if zone else at.astimezone()
    except (ZoneInfoNotFoundError, ValueError):
        local = at.astimezone()
    return f"{day_month(local.date())} в {local:%H:%M}"


def parse_day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# --------------------------------------------------------------------------- page data


@dataclass
class ChildOption:
    student_id: int = 0
    name: str = ""
    class_name: str = ""


@dataclass
class MarkRow:
    value: str = ""
    work_type: str = ""  # abbreviation, «К.р.»
    detail: str = ""  # «Контрольная работа · вес 2», shown on tap
    date: str = ""


@dataclass
class LessonRow:
    key: str = ""
    number: str = ""
    time: str = ""
    subject: str = ""
    room: str = ""
    teacher: str = ""
    topic: str = ""
    homework: str = ""
    links: list[str] = field(default_factory=list)
    work_type: str = ""
    marks: list[MarkRow] = field(default_factory=list)
    absence: str = ""
    note: str = ""  # «урок отменён», «замена»
    planned: bool = False


@dataclass
class RemarkRow:
    praise: bool = False
    text: str = ""
    meta: str = ""


@dataclass
class DayRow:
    key: str = ""
    title: str = ""
    is_today: bool = False
    holiday: str = ""
    lessons: list[LessonRow] = field(default_factory=list)
    remarks: list[RemarkRow] = field(default_factory=list)


@dataclass
class AnnouncementRow:
    key: str = ""
    title: str = ""
    body: str = ""
    meta: str = ""


def _mark_row(value: int, abbreviation: str, name: str, weight: Decimal, day: str = "") -> MarkRow:
    kind = name or "Работа на уроке"
    return MarkRow(
        value=str(value),
        work_type=abbreviation,
        detail=f"{kind} · вес {weight_text(weight)}",
        date=day,
    )


def _lesson_row(lesson: diary_week.DiaryLesson, day: dt.date) -> LessonRow:
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
    return LessonRow(
        key=f"{day.isoformat()}-{lesson.number}-{lesson.subject_id}-{lesson.lesson_id or 0}",
        number=str(lesson.number),
        time=times,
        subject=lesson.subject_name,
        room=f"каб. {lesson.room}" if lesson.room else "",
        teacher=lesson.teacher_name,
        topic=lesson.topic,
        homework=lesson.homework,
        links=list(lesson.homework_links),
        work_type=lesson.work_type_abbreviation,
        marks=[
            _mark_row(m.value, m.work_type_abbreviation, m.work_type_name, m.weight)
            for m in lesson.marks
        ],
        absence=absence,
        note=note,
        planned=lesson.planned,
    )


def _remark_row(r: diary.RemarkEntry) -> RemarkRow:
    meta = ", ".join(p for p in (r.subject_name, r.author_name) if p)
    return RemarkRow(praise=r.is_praise, text=r.text, meta=meta)


def _day_row(d: diary_week.DiaryDay) -> DayRow:
    return DayRow(
        key=d.date.isoformat(),
        title=f"{d.weekday_name}, {day_month(d.date)}",
        is_today=d.is_today,
        holiday=d.holiday or "",
        lessons=[_lesson_row(lesson, d.date) for lesson in d.lessons],
        remarks=[_remark_row(r) for r in d.remarks],
    )


def _announcement_row(a: Any) -> AnnouncementRow:
    until = f"до {day_month(a.ends_on)}"
    meta = ", ".join(p for p in (a.audience_title, a.author_name, until) if p)
    return AnnouncementRow(key=str(a.announcement_id), title=a.title, body=a.body, meta=meta)


def _child_options(children: list[diary.ChildRef]) -> list[ChildOption]:
    return [ChildOption(c.student_id, c.first_name, c.class_name) for c in children]


# --------------------------------------------------------------------------- the week


async def _choose_child_on_load(st: DiaryState | DiaryMarksState) -> tuple[int | None, Any]:
    """A diary page's load: fill the child switcher with the actor's children and pick the
    one on screen (the chosen one if still theirs, else the first). ``(None, toast)`` when
    the actor may not read a diary; ``(None, None)`` when no child is linked (said on the
    page)."""
    try:
        children = await run_service(diary.children_of, actor=st._actor())
    except DomainError as e:
        return None, rx.toast.error(e.message, position=TOAST_AT)
    st.children = _child_options(children)
    if not children:
        st.loaded = True
        st.error = "К вашей учётной записи не привязан ни один ученик."
        return None, None
    ids = [c.student_id for c in children]
    return (st.student_id if st.student_id in ids else ids[0]), None


class DiaryState(SessionState):
    """``/diary``: the week of the chosen child, day by day, and «Ознакомлен»."""

    children: list[ChildOption] = []
    # The child on screen (display only: every handler re-checks the id it is sent).
    student_id: int = 0
    child_name: str = ""
    week_start: str = ""
    week_label: str = ""
    prev_week: str = ""
    next_week: str = ""
    is_current_week: bool = True
    days: list[DayRow] = []
    announcements: list[AnnouncementRow] = []
    can_confirm: bool = False
    confirmed: bool = False
    confirmed_text: str = ""
    loaded: bool = False
    error: str = ""
    _school_zone: str = ""

    async def _zone(self) -> str:
        if not self._school_zone:
            self._school_zone = await run_service(
                diary_calendar.school_timezone, actor=self._actor()
            )
        return self._school_zone

    async def _show_week(self, student_id: Any, week_start: Any) -> Any:
        sid = int_or_none(student_id)
        if sid is None:
            return rx.toast.error("Не выбран ученик.", position=TOAST_AT)
        today = diary_calendar.today_in(await self._zone())
        start = parse_day(week_start) or today
        try:
            week: diary_week.DiaryWeek = await run_service(
                diary_week.week, actor=self._actor(), student_id=sid, week_start=start
            )
        except DomainError as e:
            log.info("week refused for student %s: %s", sid, e.message)
            return rx.toast.error(e.message, position=TOAST_AT)
        self.student_id = week.child.student_id
        self.child_name = week.child.full_name
        self.week_start = week.week_start.isoformat()
        self.week_label = week_title(week.week_start, week.week_end)
        self.prev_week = week.prev_week_start.isoformat()
        self.next_week = week.next_week_start.isoformat()
        self.is_current_week = any(d.is_today for d in week.days) or (
            week.week_start <= today <= week.week_start + dt.timedelta(days=6)
        )
        self.days = [_day_row(d) for d in week.days]
        self.announcements = [_announcement_row(a) for a in week.announcements]
        self.can_confirm = week.can_confirm
        self.confirmed = week.confirmed
        stamp = local_stamp(week.confirmed_at, await self._zone())
        self.confirmed_text = f"Вы ознакомились с неделей {stamp}." if week.confirmed else ""
        self.loaded = True
        self.error = ""
        return None

    @requires(Permission.DIARY_READ)
    async def load(self) -> Any:
        """On page load: the actor's children, then this week of the first (or chosen) one."""
        sid, refusal = await _choose_child_on_load(self)
        if sid is None:
            self.days = []
            return refusal
        return await self._show_week(sid, self.week_start)

    @requires(Permission.DIARY_READ)
    async def open_week(self, student_id: int, week_start: str) -> Any:
        """Show a child's week (``week_start`` ISO date; empty: this week)."""
        return await self._show_week(student_id, week_start)

    @requires(Permission.DIARY_READ)
    async def choose_child(self, student_id: int) -> Any:
        """Switch to another child, keeping the week on screen."""
        return await self._show_week(student_id, self.week_start)

    @requires(Permission.WEEK_CONFIRM)
    async def confirm_week(self, student_id: int, week_start: str) -> Any:
        """«Ознакомлен»: the parent confirms having seen the child's week."""
        sid, start = int_or_none(student_id), parse_day(week_start)
        if sid is None or start is None:
            return rx.toast.error("Неделя не выбрана.", position=TOAST_AT)
        try:
            done = await run_service(
                diary.confirm_week, actor=self._actor(), student_id=sid, week_start=start
            )
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        if sid == self.student_id and done.week_start.isoformat() == self.week_start:
            self.confirmed = True
            stamp = local_stamp(done.confirmed_at, await self._zone())
            self.confirmed_text = f"Вы ознакомились с неделей {stamp}."
        return rx.toast.success("Спасибо: неделя отмечена как просмотренная.", position=TOAST_AT)


# --------------------------------------------------------------------------- marks by subject


@dataclass
class PeriodOption:
    value: str = ""
    label: str = ""


@dataclass
class BucketRow:
    label: str = ""
    count: int = 0
    width: str = "0%"
    mine: bool = False


@dataclass
class TrendRow:
    label: str = ""
    value: str = ""
    height: str = "0%"


@dataclass
class SubjectRow:
    subject_id: int = 0
    name: str = ""
    average: str = "—"
    suggested: str = ""
    marks: list[MarkRow] = field(default_factory=list)
    spread: list[BucketRow] = field(default_factory=list)
    spread_note: str = ""
    trend: list[TrendRow] = field(default_factory=list)
    trend_text: str = ""


@dataclass
class PeriodMarkRow:
    subject: str = ""
    value: str = ""


@dataclass
class PublishedRow:
    name: str = ""
    marks: list[PeriodMarkRow] = field(default_factory=list)


def _subject_row(s: diary.SubjectSummary) -> SubjectRow:
    spread: list[BucketRow] = []
    note = ""
    if s.spread is None:
        note = "Разброс по классу появится, когда отметки будут у большего числа учеников."
    else:
        top = max((b.count for b in s.spread), default=0) or 1
        spread = [
            BucketRow(b.label, b.count, f"{round(100 * b.count / top)}%", b.is_child)
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
    return SubjectRow(
        subject_id=s.subject_id,
        name=s.subject_name,
        average=decimal_text(s.average),
        suggested="" if s.suggested_mark is None else str(s.suggested_mark),
        marks=[
            _mark_row(
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


class DiaryMarksState(SessionState):
    """``/diary/marks``: marks by subject for a period, period marks, «Что нужно», extract."""

    children: list[ChildOption] = []
    student_id: int = 0
    child_name: str = ""
    periods: list[PeriodOption] = []
    period_id: str = ""
    subjects: list[SubjectRow] = []
    published: list[PublishedRow] = []
    # subject id (as text) → the answer of «Что нужно» for the chosen target.
    need: dict[str, str] = {}
    need_target: dict[str, str] = {}
    loaded: bool = False
    error: str = ""

    async def _show(self, student_id: Any, period_id: Any) -> Any:
        sid = int_or_none(student_id)
        if sid is None:
            return rx.toast.error("Не выбран ученик.", position=TOAST_AT)
        actor = self._actor()
        try:
            periods = await run_service(diary_calendar.child_periods, actor=actor, student_id=sid)
            wanted = int_or_none(period_id)
            ids = [p.period_id for p in periods]
            if wanted not in ids:
                current = [p.period_id for p in periods if p.is_current]
                wanted = current[0] if current else (ids[0] if ids else None)
            subjects = (
                []
                if wanted is None
                else await run_service(
                    diary.subject_marks, actor=actor, student_id=sid, period_id=wanted
                )
            )
            published = await run_service(diary.period_marks, actor=actor, student_id=sid)
        except DomainError as e:
            log.info("marks refused for student %s: %s", sid, e.message)
            return rx.toast.error(e.message, position=TOAST_AT)
        names = {c.student_id: c.name for c in self.children}
        self.student_id = sid
        self.child_name = names.get(sid, "")
        self.periods = [PeriodOption(str(p.period_id), p.name) for p in periods]
        self.period_id = "" if wanted is None else str(wanted)
        self.subjects = [_subject_row(s) for s in subjects]
        self.published = [
            PublishedRow(p.name, [PeriodMarkRow(m.subject_name, m.label) for m in p.marks])
            for p in published
            if p.marks
        ]
        self.need = {}
        self.need_target = {}
        self.loaded = True
        self.error = "" if periods else "Учебные периоды для класса ещё не заданы."
        return None

    @requires(Permission.DIARY_READ)
    async def load(self) -> Any:
        """On page load: the children, then the current period of the first (or chosen) one."""
        sid, refusal = await _choose_child_on_load(self)
        if sid is None:
            return refusal
        return await self._show(sid, self.period_id)

    @requires(Permission.DIARY_READ)
    async def open_marks(self, student_id: int, period_id: str) -> Any:
        """Show a child's marks for a period (empty ``period_id``: the current term)."""
        return await self._show(student_id, period_id)

    @requires(Permission.DIARY_READ)
    async def choose_child(self, student_id: int) -> Any:
        """Switch to another child (their current term)."""
        return await self._show(student_id, "")

    @requires(Permission.DIARY_READ)
    async def what_do_i_need(
        self, student_id: int, period_id: str, subject_id: int, target: int
    ) -> Any:
        """«Что нужно»: the fewest further marks that reach ``target`` in this period."""
        sid, pid, subj, goal = (int_or_none(v) for v in (student_id, period_id, subject_id, target))
        if sid is None or pid is None or subj is None or goal is None:
            return rx.toast.error("Выберите предмет и желаемую отметку.", position=TOAST_AT)
        try:
            result = await run_service(
                forecast.what_do_i_need,
                actor=self._actor(),
                student_id=sid,
                subject_id=subj,
                period_id=pid,
                target=goal,
            )
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        self.need = {**self.need, str(subj): result.message}
        self.need_target = {**self.need_target, str(subj): str(goal)}
        return None

    @requires(Permission.DIARY_READ)
    async def download_extract(self, student_id: int, period_id: str) -> Any:
        """The printable extract of the period (PDF) for families who read it on paper."""
        sid, pid = int_or_none(student_id), int_or_none(period_id)
        if sid is None or pid is None:
            return rx.toast.error("Выберите период.", position=TOAST_AT)
        try:
            pdf = await run_service(
                extract_pdf.period_extract_pdf, actor=self._actor(), student_id=sid, period_id=pid
            )
        except DomainError as e:
            return rx.toast.error(e.message, position=TOAST_AT)
        return rx.download(data=pdf, filename=f"vypiska-{sid}-{pid}.pdf")
