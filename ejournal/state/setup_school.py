"""``/setup/school``: the school year and calendar and the classes (administrator, deputy,
director) — the year, its quarters and half-years, holidays, the school week, the bell
schedule, and the classes with their class teacher and room.

Each section is a form of its own. A refused save keeps what was typed on screen (the
section's values are stored back from the form and its error shown); a successful one
redraws the section from the database (its ``*_key`` changes). The dates of the period
table and the bell schedule the form was drawn with stay on the server (``_loaded_*``), so a
save over someone else's newer one is refused instead of overwriting it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.setup import calendar
from ejournal.state.base import SessionState, requires, run_service

NOBODY = "0"  # the class-teacher select's «не назначен»
BLANK_BELLS = 6  # rows offered while a school has no bell schedule yet


@dataclass
class YearItem:
    id: int = 0
    name: str = ""
    dates: str = ""  # «01.09.2026–31.05.2027»
    is_current: bool = False
    shown: bool = False


@dataclass
class PeriodItem:
    id: int = 0
    kind: str = ""
    name: str = ""
    grades: str = ""
    starts_on: str = ""  # ISO, as a date input holds it
    ends_on: str = ""


@dataclass
class HolidayItem:
    id: int = 0
    name: str = ""
    dates: str = ""
    grades: str = ""


@dataclass
class BellItem:
    number: int = 0
    starts_at: str = ""
    ends_at: str = ""


@dataclass
class ClassItem:
    id: int = 0
    name: str = ""
    teacher_id: str = NOBODY
    teacher: str = ""
    room: str = ""
    students: int = 0
    in_use: str = ""


def _dates(a: dt.date, b: dt.date) -> str:
    return f"{a:%d.%m.%Y}" if a == b else f"{a:%d.%m.%Y}–{b:%d.%m.%Y}"


def _text(form: dict[str, Any], key: str) -> str:
    value = form.get(key)
    return "" if value is None else str(value).strip()


class SchoolSetupState(SessionState):
    """Учебный год и классы."""

    loaded: bool = False
    days_per_week: str = "5"
    years: list[YearItem] = []
    year_id: int = 0  # the year shown (0: the school has none yet)
    year_title: str = ""
    year_is_current: bool = False
    periods: list[PeriodItem] = []
    holidays: list[HolidayItem] = []
    bells: list[BellItem] = []
    classes: list[ClassItem] = []
    staff_options: list[dict[str, str]] = []

    # What each form shows (typed values are stored back here when a save is refused).
    new_year_start: str = ""
    new_year_end: str = ""
    shown_year_start: str = ""  # the shown year's dates, ISO (the «Изменить даты» form)
    shown_year_end: str = ""
    holiday_name: str = ""
    holiday_start: str = ""
    holiday_end: str = ""
    holiday_from: str = "1"
    holiday_to: str = "11"
    class_name: str = ""
    class_teacher: str = NOBODY
    class_room: str = ""

    # The last refusal of each section ('' when none).
    year_error: str = ""
    periods_error: str = ""
    holiday_error: str = ""
    week_error: str = ""
    bells_error: str = ""
    class_error: str = ""

    # A new key draws that section's form afresh with the values just stored.
    year_key: int = 0
    periods_key: int = 0
    holiday_key: int = 0
    bells_key: int = 0
    classes_key: int = 0

    _year_id: int = 0
    _loaded_periods: dict[int, tuple[str, str]] = {}
    _loaded_bells: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ drawing

    async def _reload(self, *sections: str) -> None:
        """Read the page's data again and redraw `sections` (all when none named)."""
        setup = await run_service(
            calendar.get_school_setup, actor=self._actor(), year_id=self._year_id or None
        )
        self._show(setup)
        for name in sections or ("year", "periods", "holiday", "bells", "classes"):
            key = f"{name}_key"
            setattr(self, key, getattr(self, key) + 1)

    def _show(self, setup: calendar.SchoolSetup) -> None:
        year = setup.year
        self._year_id = year.id if year is not None else 0
        self.year_id = self._year_id
        self.year_title = year.name if year is not None else ""
        self.year_is_current = year.is_current if year is not None else False
        self.shown_year_start = year.starts_on.isoformat() if year is not None else ""
        self.shown_year_end = year.ends_on.isoformat() if year is not None else ""
        self.years = [
            YearItem(
                y.id, y.name, _dates(y.starts_on, y.ends_on), y.is_current, y.id == self._year_id
            )
            for y in setup.years
        ]
        self.days_per_week = str(setup.days_per_week)
        self.periods = [
            PeriodItem(
                p.id,
                p.kind_title,
                p.name,
                p.grades,
                p.starts_on.isoformat(),
                p.ends_on.isoformat(),
            )
            for p in setup.periods
        ]
        self._loaded_periods = {
            p.id: (p.starts_on.isoformat(), p.ends_on.isoformat()) for p in setup.periods
        }
        self.holidays = [
            HolidayItem(h.id, h.name, _dates(h.starts_on, h.ends_on), h.grades)
            for h in setup.holidays
        ]
        self.bells = [BellItem(b.number, b.starts_at, b.ends_at) for b in setup.bells] or [
            BellItem(n, "", "") for n in range(1, BLANK_BELLS + 1)
        ]
        self._loaded_bells = [(b.starts_at, b.ends_at) for b in setup.bells]
        self.classes = [
            ClassItem(
                c.id,
                c.name,
                str(c.class_teacher_id) if c.class_teacher_id else NOBODY,
                c.class_teacher,
                c.room,
                c.students,
                c.in_use,
            )
            for c in setup.classes
        ]
        self.staff_options = [{"value": NOBODY, "label": "— не назначен —"}] + [
            {"value": str(s.id), "label": s.name} for s in setup.staff
        ]
        self.loaded = True

    def _refused(self, section: str, e: DomainError) -> Any:
        setattr(self, f"{section}_error", e.message)
        return rx.toast.error(e.message, duration=15000)

    # ------------------------------------------------------------------ load

    @requires(Permission.SETTINGS_MANAGE)
    async def load(self) -> Any:
        """On page load: the current year (or the one shown before) and everything else."""
        for name in ("year", "periods", "holiday", "week", "bells", "class"):
            setattr(self, f"{name}_error", "")
        try:
            await self._reload()
        except DomainError:
            self._year_id = 0  # the year shown before is gone: show the current one
            await self._reload()
        return None

    @requires(Permission.SETTINGS_MANAGE)
    async def show_year(self, year_id: int) -> Any:
        """Show another year of the school (its periods, holidays and classes)."""
        previous = self._year_id
        self._year_id = int(year_id) if str(year_id).isdigit() else 0
        try:
            await self._reload()
        except DomainError as e:
            self._year_id = previous
            return rx.toast.error(e.message)
        return None

    # ------------------------------------------------------------------ the year

    @requires(Permission.SETTINGS_MANAGE)
    async def create_year(self, form: dict[str, Any]) -> Any:
        """«Создать учебный год»: the year from its first and last day."""
        self.new_year_start = _text(form, "starts_on")
        self.new_year_end = _text(form, "ends_on")
        try:
            year = await run_service(
                calendar.create_year,
                actor=self._actor(),
                starts_on=self.new_year_start,
                ends_on=self.new_year_end,
            )
        except DomainError as e:
            return self._refused("year", e)
        self.year_error = ""
        self.new_year_start = self.new_year_end = ""
        if year.is_current or not self._year_id:
            self._year_id = year.id
        await self._reload()
        current = " — он текущий" if year.is_current else ""
        return rx.toast.success(f"Учебный год {year.name} создан{current}.")

    @requires(Permission.SETTINGS_MANAGE)
    async def change_year_dates(self, form: dict[str, Any]) -> Any:
        """«Изменить даты года»: correct the shown year's first and last day."""
        self.shown_year_start = _text(form, "starts_on")
        self.shown_year_end = _text(form, "ends_on")
        try:
            year = await run_service(
                calendar.update_year_dates,
                actor=self._actor(),
                year_id=self._year_id,
                starts_on=self.shown_year_start,
                ends_on=self.shown_year_end,
            )
        except DomainError as e:
            return self._refused("year", e)
        self.year_error = ""
        await self._reload("year")
        return rx.toast.success(f"Даты учебного года {year.name} сохранены.")

    @requires(Permission.SETTINGS_MANAGE)
    async def make_current(self, year_id: int) -> Any:
        """«Сделать текущим»: the journal, lists and timetable then use this year."""
        try:
            year = await run_service(
                calendar.set_current_year, actor=self._actor(), year_id=year_id
            )
        except DomainError as e:
            return self._refused("year", e)
        self.year_error = ""
        self._year_id = year.id
        await self._reload()
        return rx.toast.success(f"Текущий учебный год — {year.name}.")

    # ------------------------------------------------------------------ periods

    @requires(Permission.SETTINGS_MANAGE)
    async def fill_periods(self) -> Any:
        """«Заполнить стандартно»: quarters, half-years and the year in one click."""
        try:
            added = await run_service(
                calendar.fill_standard_periods, actor=self._actor(), year_id=self._year_id
            )
        except DomainError as e:
            return self._refused("periods", e)
        self.periods_error = ""
        await self._reload("periods")
        return rx.toast.success(
            f"Добавлено периодов: {added} (четверти, полугодия, год). Проверьте даты."
        )

    @requires(Permission.SETTINGS_MANAGE)
    async def save_periods(self, form: dict[str, Any]) -> Any:
        """«Сохранить даты»: the whole period table, all or nothing."""
        dates: dict[int, tuple[str, str]] = {}
        for p in self.periods:
            dates[p.id] = (
                _text(form, f"start-{p.id}") or p.starts_on,
                _text(form, f"end-{p.id}") or p.ends_on,
            )
        try:
            changed = await run_service(
                calendar.update_period_dates,
                actor=self._actor(),
                year_id=self._year_id,
                dates=dates,
                loaded=dict(self._loaded_periods),
            )
        except DomainError as e:
            # Keep the typed dates on screen; the guard keeps its base.
            self.periods = [
                PeriodItem(p.id, p.kind, p.name, p.grades, dates[p.id][0], dates[p.id][1])
                for p in self.periods
            ]
            return self._refused("periods", e)
        self.periods_error = ""
        await self._reload("periods")
        if not changed:
            return rx.toast.info("Даты не менялись: сохранять нечего.")
        return rx.toast.success(f"Даты периодов сохранены ({changed}).")

    # ------------------------------------------------------------------ holidays

    @requires(Permission.SETTINGS_MANAGE)
    async def add_holiday(self, form: dict[str, Any]) -> Any:
        """«Добавить каникулы»."""
        self.holiday_name = _text(form, "name")
        self.holiday_start = _text(form, "starts_on")
        self.holiday_end = _text(form, "ends_on")
        self.holiday_from = _text(form, "grade_from") or "1"
        self.holiday_to = _text(form, "grade_to") or "11"
        try:
            row = await run_service(
                calendar.add_holiday,
                actor=self._actor(),
                year_id=self._year_id,
                name=self.holiday_name,
                starts_on=self.holiday_start,
                ends_on=self.holiday_end,
                grade_from=self.holiday_from,
                grade_to=self.holiday_to,
            )
        except DomainError as e:
            return self._refused("holiday", e)
        self.holiday_error = ""
        self.holiday_name = self.holiday_start = self.holiday_end = ""
        self.holiday_from, self.holiday_to = "1", "11"
        await self._reload("holiday")
        return rx.toast.success(f"Каникулы «{row.name}» добавлены ({row.grades}).")

    @requires(Permission.SETTINGS_MANAGE)
    async def remove_holiday(self, holiday_id: int) -> Any:
        """«Удалить» on a holiday's row."""
        try:
            await run_service(calendar.remove_holiday, actor=self._actor(), holiday_id=holiday_id)
        except DomainError as e:
            return self._refused("holiday", e)
        self.holiday_error = ""
        await self._reload("holiday")
        return rx.toast.success("Каникулы удалены.")

    # ------------------------------------------------------------------ the week

    @requires(Permission.SETTINGS_MANAGE)
    async def choose_week(self, days: str) -> Any:
        """The week's radio buttons: 5 or 6 days, saved at once."""
        try:
            value = await run_service(calendar.set_days_per_week, actor=self._actor(), days=days)
        except DomainError as e:
            return self._refused("week", e)
        self.week_error = ""
        self.days_per_week = str(value)
        return rx.toast.success(
            "Учебная неделя: 5 дней (пн–пт)." if value == 5 else "Учебная неделя: 6 дней (пн–сб)."
        )

    # ------------------------------------------------------------------ bells

    def _typed_bells(self, form: dict[str, Any]) -> list[tuple[str, str]]:
        return [
            (_text(form, f"start-{b.number}"), _text(form, f"end-{b.number}")) for b in self.bells
        ]

    @requires(Permission.SETTINGS_MANAGE)
    async def add_bell_row(self) -> Any:
        """«Добавить урок»: one more empty row (typed rows keep their values)."""
        if len(self.bells) >= calendar.MAX_LESSONS:
            return rx.toast.error(f"Уроков — не больше {calendar.MAX_LESSONS}.")
        self.bells = [*self.bells, BellItem(len(self.bells) + 1, "", "")]
        return None

    @requires(Permission.SETTINGS_MANAGE)
    async def save_bells(self, form: dict[str, Any]) -> Any:
        """«Сохранить звонки»: lessons 1..N; empty rows at the end are left out."""
        typed = self._typed_bells(form)
        try:
            count = await run_service(
                calendar.set_bell_schedule,
                actor=self._actor(),
                rows=typed,
                loaded=list(self._loaded_bells),
            )
        except DomainError as e:
            self.bells = [BellItem(n, a, b) for n, (a, b) in enumerate(typed, start=1)]
            return self._refused("bells", e)
        self.bells_error = ""
        await self._reload("bells")
        return rx.toast.success(f"Расписание звонков сохранено: уроков {count}.")

    # ------------------------------------------------------------------ classes

    @requires(Permission.SETTINGS_MANAGE)
    async def add_class(self, form: dict[str, Any]) -> Any:
        """«Добавить класс»: «5А», «5 А», «5-А» or «5 «А»», a class teacher and a room."""
        self.class_name = _text(form, "name")
        self.class_teacher = _text(form, "class_teacher_id") or NOBODY
        self.class_room = _text(form, "room")
        try:
            row = await run_service(
                calendar.add_class,
                actor=self._actor(),
                year_id=self._year_id,
                name=self.class_name,
                class_teacher_id=self.class_teacher,
                room=self.class_room,
            )
        except DomainError as e:
            return self._refused("class", e)
        self.class_error = ""
        self.class_name, self.class_teacher, self.class_room = "", NOBODY, ""
        await self._reload("classes")
        return rx.toast.success(f"Класс {row.name} добавлен.")

    @requires(Permission.SETTINGS_MANAGE)
    async def save_class(self, form: dict[str, Any]) -> Any:
        """«Сохранить» on a class's row: its class teacher and room."""
        class_id = _text(form, "class_id")
        teacher = _text(form, "class_teacher_id") or NOBODY
        room = _text(form, "room")
        try:
            row = await run_service(
                calendar.update_class,
                actor=self._actor(),
                class_id=class_id,
                class_teacher_id=teacher,
                room=room,
            )
        except DomainError as e:
            self.classes = [
                ClassItem(c.id, c.name, teacher, c.teacher, room, c.students, c.in_use)
                if str(c.id) == class_id
                else c
                for c in self.classes
            ]
            return self._refused("class", e)
        self.class_error = ""
        await self._reload("classes")
        return rx.toast.success(f"Класс {row.name} сохранён.")

    @requires(Permission.SETTINGS_MANAGE)
    async def remove_class(self, class_id: int) -> Any:
        """«Удалить» on a class's row (only a class nothing uses yet)."""
        try:
            name = await run_service(calendar.remove_class, actor=self._actor(), class_id=class_id)
        except DomainError as e:
            return self._refused("class", e)
        self.class_error = ""
        await self._reload("classes")
        return rx.toast.success(f"Класс {name} удалён.")
