"""Staff around the diary: who confirmed the week (``/class/confirmations``) and posting
announcements (``/announcements``).

The class pickers list the classes the user leads (or all, for the administration) as a
convenience only; the services check the class of every call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.domain import diary
from ejournal.domain.diary import announcements
from ejournal.domain.diary import calendar as diary_calendar
from ejournal.domain.errors import DomainError
from ejournal.domain.models import Audience
from ejournal.domain.numbers import int_or_none
from ejournal.domain.people import profile
from ejournal.domain.permissions import Actor, Permission, Scope
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.diary import day_month, local_stamp, parse_day, week_title


@dataclass
class ClassOption:
    value: str = ""
    label: str = ""


@dataclass
class ConfirmationRow:
    student_id: int = 0
    name: str = ""
    confirmed: bool = False
    detail: str = ""


async def _class_options(actor: Actor, permission: Permission) -> list[ClassOption]:
    """The classes the actor reaches with ``permission`` (the domain scopes the list)."""

    choices = await run_service(profile.class_choices, actor=actor, permission=permission)
    return [ClassOption(str(i), n) for i, n in choices]


class ConfirmationsState(SessionState):
    """Which parents confirmed («Ознакомлен») a class's week."""

    classes: list[ClassOption] = []
    class_id: str = ""
    week_start: str = ""
    week_label: str = ""
    prev_week: str = ""
    next_week: str = ""
    rows: list[ConfirmationRow] = []
    confirmed_count: int = 0
    loaded: bool = False

    async def _show(self, class_id: Any, week_start: Any) -> Any:
        cid = int_or_none(class_id)
        if cid is None:
            return rx.toast.error("Выберите класс.")
        calendar = await run_service(diary_calendar.school_calendar, actor=self._actor())
        day = parse_day(week_start) or diary_calendar.last_finished_week(
            calendar.today, calendar.days_per_week
        )
        monday = diary.week_monday(day)
        try:
            found = await run_service(
                diary.week_confirmations, actor=self._actor(), class_id=cid, week_start=monday
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        zone = calendar.timezone
        self.class_id = str(cid)
        self.week_start = monday.isoformat()
        # The school days only (Mon–Fri on a 5-day school), as the diary shows the week.
        last_day = monday + dt.timedelta(days=calendar.days_per_week - 1)
        self.week_label = week_title(monday, last_day)
        self.prev_week = (monday - dt.timedelta(days=7)).isoformat()
        self.next_week = (monday + dt.timedelta(days=7)).isoformat()
        self.rows = [
            ConfirmationRow(
                student_id=r.student_id,
                name=r.student_name,
                confirmed=r.confirmed,
                detail=(
                    f"{', '.join(r.confirmed_by)} — {local_stamp(r.confirmed_at, zone)}"
                    if r.confirmed
                    else "не подтверждено"
                ),
            )
            for r in found
        ]
        self.confirmed_count = sum(1 for r in found if r.confirmed)
        self.loaded = True
        return None

    @requires(Permission.DIARY_READ)
    async def load(self) -> Any:
        """On page load: my classes, then the last finished week of the first one."""
        self.classes = await _class_options(self._actor(), Permission.DIARY_READ)
        if not self.classes:
            self.loaded = True
            return None
        ids = [c.value for c in self.classes]
        cid = self.class_id if self.class_id in ids else ids[0]
        return await self._show(cid, self.week_start)

    @requires(Permission.DIARY_READ)
    async def show(self, class_id: str, week_start: str) -> Any:
        """Show a class's confirmations for the week holding ``week_start``."""
        return await self._show(class_id, week_start)


AUDIENCE_CHOICES = [
    {"value": a.value, "label": announcements.AUDIENCE_TITLES[a]}
    for a in (Audience.CLASS, Audience.PARENTS, Audience.STUDENTS, Audience.SCHOOL, Audience.STAFF)
]


@dataclass
class ManagedRow:
    key: str = ""
    title: str = ""
    body: str = ""
    audience: str = ""
    dates: str = ""
    author: str = ""
    started: bool = False


def _managed_row(m: announcements.ManagedAnnouncement) -> ManagedRow:
    v = m.view
    dates = (
        f"{day_month(v.starts_on)} – {day_month(v.ends_on)}"
        if v.starts_on != v.ends_on
        else day_month(v.starts_on)
    )
    return ManagedRow(
        key=str(v.announcement_id),
        title=v.title,
        body=v.body,
        audience=m.audience_text,
        dates=dates if m.started else f"{dates} (ещё не началось)",
        author=v.author_name,
        started=m.started,
    )


class AnnouncementsState(SessionState):
    """Post an announcement (a class teacher: to their own class only); list the current
    and future ones the user may manage and end one early."""

    classes: list[ClassOption] = []
    default_class: str = ""
    audiences: list[dict[str, str]] = AUDIENCE_CHOICES
    today: str = ""
    # The form's proposed end: a week ahead (an event later than that moves it on post).
    default_end: str = ""
    managed: list[ManagedRow] = []
    loaded: bool = False
    form_error: str = ""
    # Bumped on load and after a post so the form (keyed by it) is drawn afresh: empty,
    # with the defaults just loaded.
    form_key: int = 0

    async def _refresh(self) -> None:
        found = await run_service(announcements.manageable_announcements, actor=self._actor())
        self.managed = [_managed_row(m) for m in found]
        self.loaded = True

    @requires(Permission.ANNOUNCEMENT_WRITE)
    async def load(self) -> Any:
        """On page load: the classes I may address, today's date (the school's) for the
        form, and the announcements I manage."""
        actor = self._actor()
        self.classes = await _class_options(actor, Permission.ANNOUNCEMENT_WRITE)
        # A class teacher's own class is preselected; the administration picks one.
        default_class = self.classes[0].value if len(self.classes) == 1 else ""
        everyone = Scope.ALL in actor.scopes(Permission.ANNOUNCEMENT_WRITE)
        self.audiences = AUDIENCE_CHOICES if everyone else AUDIENCE_CHOICES[:1]
        calendar = await run_service(diary_calendar.school_calendar, actor=actor)
        today = calendar.today.isoformat()
        # The form's defaults (class, dates) apply only when it is drawn anew; redraw it only
        # when they changed, so that nothing typed on a repeat visit is wiped. On the first
        # visit the page shows the form only once it is loaded.
        if not self.loaded or (default_class, today) != (self.default_class, self.today):
            self.form_key += 1
        self.default_class, self.today = default_class, today
        self.default_end = announcements.default_end(calendar.today).isoformat()
        self.form_error = ""
        try:
            await self._refresh()
        except DomainError as e:
            return rx.toast.error(e.message)
        return None

    @requires(Permission.ANNOUNCEMENT_WRITE)
    async def post(self, form: dict[str, Any]) -> Any:
        """Publish the announcement from the form (the service checks audience and class)."""
        starts, ends = parse_day(form.get("starts_on")), parse_day(form.get("ends_on"))
        event = parse_day(form.get("event_on"))
        if starts is None:
            self.form_error = "Укажите дату начала."
            return None
        # The end left as proposed follows a later event: the meeting's day is still shown.
        if ends is not None and event is not None and form.get("ends_on") == self.default_end:
            ends = max(ends, event)
        audience = str(form.get("audience", "") or Audience.CLASS.value)
        try:
            await run_service(
                announcements.post_announcement,
                actor=self._actor(),
                audience=audience,
                class_id=int_or_none(form.get("class_id")),
                title=str(form.get("title", "")),
                body=str(form.get("body", "")),
                starts_on=starts,
                ends_on=ends,
                event_on=event,
            )
            await self._refresh()
        except DomainError as e:
            self.form_error = e.message
            return rx.toast.error(e.message)
        self.form_error = ""
        self.form_key += 1
        return rx.toast.success("Объявление опубликовано.")

    @requires(Permission.ANNOUNCEMENT_WRITE)
    async def end_early(self, announcement_id: str) -> Any:
        """End an announcement from today (the service checks it is mine to manage)."""
        aid = int_or_none(announcement_id)
        if aid is None:
            return rx.toast.error("Объявление не выбрано.")
        try:
            await run_service(
                announcements.end_announcement, actor=self._actor(), announcement_id=aid
            )
            await self._refresh()
        except DomainError as e:
            return rx.toast.error(e.message)
        return rx.toast.success("Объявление снято: семьи его больше не видят.")
