"""The family's diary: the week (``/diary``) and marks by subject (``/diary/marks``).

Every handler that reads a child's diary takes the child's id from the browser and hands
it to a domain service, which checks it (``diary.load_child``): a forged id of another
family's child is refused there, and the handler then shows a toast and changes nothing.
The page data are the TypedDict rows of `ejournal.state.diary_rows`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from ejournal.domain import diary, forecast
from ejournal.domain.diary import calendar as diary_calendar
from ejournal.domain.diary import extract_pdf
from ejournal.domain.diary import homework as diary_homework
from ejournal.domain.diary import marks as diary_marks
from ejournal.domain.diary import week as diary_week
from ejournal.domain.errors import DomainError
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Permission
from ejournal.state import diary_rows as rows
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.diary_rows import day_month, week_title

__all__ = [
    "TOAST_AT",
    "DiaryMarksState",
    "DiaryState",
    "day_month",
    "local_stamp",
    "parse_day",
    "week_title",
]

log = logging.getLogger("ejournal.state.diary")

#: Toasts on the diary pages appear at the top: the tab bar holds the bottom of a phone.
TOAST_AT = "top-center"

# --------------------------------------------------------------------------- formatting


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
    st.children = rows.child_options(children)
    if not children:
        st.loaded = True
        st.error = "К вашей учётной записи не привязан ни один ученик."
        return None, None
    ids = [c.student_id for c in children]
    return (st.student_id if st.student_id in ids else ids[0]), None


class DiaryState(SessionState):
    """``/diary``: the week of the chosen child, day by day, and «Ознакомлен»."""

    children: list[rows.ChildOption] = []
    # The child on screen (display only: every handler re-checks the id it is sent).
    student_id: int = 0
    child_name: str = ""
    week_start: str = ""
    week_label: str = ""
    prev_week: str = ""
    next_week: str = ""
    is_current_week: bool = True
    days: list[rows.DayRow] = []
    # «На завтра»: homework due on the next school day.
    tomorrow_title: str = ""
    tomorrow: list[rows.DueRow] = []
    tomorrow_note: str = ""
    announcements: list[rows.AnnouncementRow] = []
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
            due: diary_homework.DueDay = await run_service(
                diary_homework.homework_due, actor=self._actor(), student_id=sid, today=today
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
        self.days = [rows.day_row(d) for d in week.days]
        self.tomorrow_title = rows.due_day_title(due)
        self.tomorrow = [rows.due_row(h) for h in due.items]
        self.tomorrow_note = due.holiday or "Домашних заданий на этот день нет."
        self.announcements = [rows.announcement_row(a) for a in week.announcements]
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


class DiaryMarksState(SessionState):
    """``/diary/marks``: marks by subject for a period, period marks, «Что нужно», extract."""

    children: list[rows.ChildOption] = []
    student_id: int = 0
    child_name: str = ""
    periods: list[rows.PeriodOption] = []
    period_id: str = ""
    subjects: list[rows.SubjectRow] = []
    # The period on screen is over: final marks, no «Сейчас выходит», no «Что нужно».
    closed: bool = False
    period_note: str = ""
    final_title: str = "Выходит"  # the table's period-mark column
    legend: list[rows.LegendRow] = []
    published: list[rows.PublishedRow] = []
    # subject id (as text) → the answer of «Что нужно» for the chosen target.
    need: dict[str, str] = {}
    need_target: dict[str, str] = {}
    # subject id (as text) → the period-mark forecast in words, with its measured accuracy.
    forecasts: dict[str, str] = {}
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
            page: diary_marks.MarksPage | None = (
                None
                if wanted is None
                else await run_service(
                    diary_marks.marks_page, actor=actor, student_id=sid, period_id=wanted
                )
            )
            published = await run_service(diary.period_marks, actor=actor, student_id=sid)
        except DomainError as e:
            log.info("marks refused for student %s: %s", sid, e.message)
            return rx.toast.error(e.message, position=TOAST_AT)
        names = {c["student_id"]: c["name"] for c in self.children}
        self.student_id = sid
        self.child_name = names.get(sid, "")
        self.periods = rows.period_options(periods)
        self.period_id = "" if wanted is None else str(wanted)
        self.closed = page is not None and page.closed
        self.subjects = (
            []
            if page is None
            else [
                rows.subject_row(s, final=page.finals.get(s.subject_id, ""), closed=page.closed)
                for s in page.subjects
            ]
        )
        self.final_title = "Итог" if self.closed else "Выходит"
        self.period_note = "" if page is None else rows.period_note(page)
        self.legend = [] if page is None else rows.legend_rows(page)
        self.published = rows.published_rows(published)
        self.need = {}
        self.need_target = {}
        self.forecasts = {}
        if page is not None and not page.closed and wanted is not None:
            try:
                found = await run_service(
                    forecast.student_forecast, actor=actor, student_id=sid, period_id=wanted
                )
                self.forecasts = {str(f.subject_id): f.text for f in found.subjects}
            except DomainError as e:
                log.info("no forecast for student %s: %s", sid, e.message)
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
