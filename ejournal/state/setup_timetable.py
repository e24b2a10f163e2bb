"""``/setup/timetable``: the deputy's timetable builder and substitutions.

The grid shows one class, teacher or room (weekday × lesson number) as it stands on a
date. A click on an empty cell opens the add form (assignment, room, «действует с»); a
filled cell offers «Убрать с даты» (from the grid's date onward, the past kept). Below:
the hours warnings, «Скачать PDF», and the substitutions (assign for a range or one
lesson, the list with «Отменить»). Every handler needs TIMETABLE_MANAGE; the services
re-check the objects. A refused add keeps the form open with what was chosen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.school.today import school_today_for
from ejournal.domain.setup import substitutions, timetable
from ejournal.domain.setup.timetable import WEEKDAYS, TimetableView
from ejournal.state.base import SessionState, requires, run_service

KIND_LABELS = {"class": "Класс", "teacher": "Учитель", "room": "Кабинет"}
ALL_LESSONS = "all"  # the substitution form's «все уроки» (a select item cannot be empty)
LIST_BEFORE, LIST_AFTER = 7, 31  # the substitutions listed around the grid's date


@dataclass
class Option:
    value: str = ""
    label: str = ""


@dataclass
class CellItem:
    slot_id: int = 0
    subject: str = ""
    other: str = ""  # the teacher in a class view, the class in a teacher view, both for a room
    room: str = ""
    remove_label: str = ""  # aria-label of «Убрать с даты»


@dataclass
class GridCell:
    weekday: int = 0
    number: int = 0
    label: str = ""  # «Понедельник, 1-й урок: добавить урок»
    lessons: list[CellItem] = field(default_factory=list)


@dataclass
class GridRow:
    number: int = 0
    time: str = ""
    cells: list[GridCell] = field(default_factory=list)


@dataclass
class SubItem:
    lesson_id: int = 0
    when: str = ""  # «20.10.2026, 1-й урок»
    what: str = ""  # «Русский язык, 5 «А»»
    teacher: str = ""
    substitute: str = ""
    cancel_label: str = ""


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _cell_items(view: TimetableView, weekday: int, number: int) -> list[CellItem]:
    out = []
    for c in view.cells:
        if (c.weekday, c.number) != (weekday, number):
            continue
        if view.kind == "class":
            other = c.teacher
        elif view.kind == "teacher":
            other = c.class_name
        else:
            other = f"{c.class_name}, {c.teacher}"
        out.append(
            CellItem(
                slot_id=c.slot_id,
                subject=c.subject,
                other=other,
                room=f"каб. {c.room}" if c.room else "",
                remove_label=(
                    f"Убрать с даты: {c.subject}, {c.class_name}, "
                    f"{WEEKDAYS[weekday - 1].lower()}, {number}-й урок"
                ),
            )
        )
    return out


def _grid(view: TimetableView) -> list[GridRow]:
    return [
        GridRow(
            number=n,
            time=view.bells.get(n, ""),
            cells=[
                GridCell(
                    weekday=d,
                    number=n,
                    label=f"{WEEKDAYS[d - 1]}, {n}-й урок: добавить урок",
                    lessons=_cell_items(view, d, n),
                )
                for d in view.weekdays
            ],
        )
        for n in view.numbers
    ]


class TimetableState(SessionState):
    """Расписание и замены."""

    loaded: bool = False
    kind: str = "class"
    object_id: str = ""
    on: str = ""  # the grid's date, ISO
    title: str = ""
    day_names: list[str] = []
    rows: list[GridRow] = []
    warnings: list[str] = []
    object_options: list[Option] = []
    assignment_options: list[Option] = []
    teacher_options: list[Option] = []
    load_error: str = ""

    # the add form (one cell)
    form_open: bool = False
    form_weekday: int = 0
    form_number: int = 0
    form_title: str = ""
    form_assignment: str = ""
    form_room: str = ""
    form_from: str = ""
    form_error: str = ""

    # substitutions
    sub_teacher: str = ""
    sub_substitute: str = ""
    sub_from: str = ""
    sub_to: str = ""
    sub_number: str = ALL_LESSONS
    sub_error: str = ""
    subs: list[SubItem] = []

    _classes: list[Option] = []
    _teachers: list[Option] = []
    _rooms: list[Option] = []

    # ------------------------------------------------------------------ drawing

    def _show(self, view: TimetableView) -> None:
        self.title = view.title
        self.day_names = [WEEKDAYS[d - 1] for d in view.weekdays]
        self.rows = _grid(view)
        self.warnings = list(view.warnings)
        self._classes = [Option(c.value, c.label) for c in view.classes]
        self._teachers = [Option(c.value, c.label) for c in view.teachers]
        self._rooms = [Option(c.value, c.label) for c in view.rooms]
        self.teacher_options = list(self._teachers)
        self.assignment_options = [Option(c.value, c.label) for c in view.assignments]
        self._fill_objects()
        self.loaded = True

    def _fill_objects(self) -> None:
        self.object_options = {
            "class": self._classes,
            "teacher": self._teachers,
            "room": self._rooms,
        }.get(self.kind, [])

    async def _reload(self) -> None:
        actor = self._actor()
        if not self.on:
            self.on = (await run_service(school_today_for, actor=actor)).isoformat()
        if not self.object_id and self.kind != "room":
            # The first class (or teacher) of the school: ask for the lists with any class.
            probe = await run_service(
                timetable.timetable_view, actor=actor, kind="room", object_id="-", on=self.on
            )
            first = probe.classes if self.kind == "class" else probe.teachers
            if not first:
                self._show(probe)
                self.rows, self.title = [], ""
                self.load_error = "В школе ещё нет классов: заведите их на странице «Ученики»."
                return
            self.object_id = first[0].value
        if not self.object_id:
            self.rows, self.title, self.warnings = [], "", []
            self._fill_objects()
            return
        view = await run_service(
            timetable.timetable_view,
            actor=actor,
            kind=self.kind,
            object_id=self.object_id,
            on=self.on,
        )
        self.load_error = ""
        self._show(view)
        await self._reload_subs()

    async def _reload_subs(self) -> None:
        day = _parse_date(self.on) or dt.date.today()
        items = await run_service(
            substitutions.list_substitutions,
            actor=self._actor(),
            date_from=day - dt.timedelta(days=LIST_BEFORE),
            date_to=day + dt.timedelta(days=LIST_AFTER),
        )
        self.subs = [
            SubItem(
                lesson_id=i.lesson_id,
                when=f"{i.date:%d.%m.%Y}, {i.number}-й урок",
                what=f"{i.subject}, {i.class_name}",
                teacher=i.teacher,
                substitute=i.substitute,
                cancel_label=f"Отменить замену {i.date:%d.%m.%Y}, {i.number}-й урок, {i.class_name}",
            )
            for i in items
        ]

    async def _try_reload(self) -> Any:
        try:
            await self._reload()
        except DomainError as e:
            self.load_error = e.message
            return rx.toast.error(e.message)
        return None

    # ------------------------------------------------------------------ view

    @requires(Permission.TIMETABLE_MANAGE)
    async def load(self) -> Any:
        """On page load."""
        self.form_open = False
        return await self._try_reload()

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_kind(self, value: str) -> Any:
        if value not in KIND_LABELS:
            return rx.toast.error("Выберите: класс, учитель или кабинет.")
        self.kind, self.object_id, self.form_open = value, "", False
        if value == "room":
            self._fill_objects()
            self.object_id = self.object_options[0].value if self.object_options else ""
        return await self._try_reload()

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_object(self, value: str) -> Any:
        self.object_id, self.form_open = str(value)[:64], False
        return await self._try_reload()

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_date(self, value: str) -> Any:
        if _parse_date(str(value)) is None:
            return rx.toast.error("Укажите дату.")
        self.on, self.form_open = str(value), False
        return await self._try_reload()

    # ------------------------------------------------------------------ the grid

    @requires(Permission.TIMETABLE_MANAGE)
    async def open_cell(self, weekday: int, number: int) -> Any:
        try:
            day, num = int(weekday), int(number)
        except (TypeError, ValueError):
            return rx.toast.error("Ячейка не найдена.")
        if not 1 <= day <= len(WEEKDAYS):
            return rx.toast.error("Ячейка не найдена.")
        self.form_open, self.form_weekday, self.form_number = True, day, num
        self.form_title = f"{WEEKDAYS[day - 1]}, {num}-й урок"
        self.form_error = ""
        self.form_from = self.on
        if self.form_assignment not in {o.value for o in self.assignment_options}:
            self.form_assignment = (
                self.assignment_options[0].value if self.assignment_options else ""
            )
        if self.kind == "room":
            self.form_room = self.object_id
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def close_form(self) -> Any:
        self.form_open, self.form_error = False, ""
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_form_assignment(self, value: str) -> Any:
        self.form_assignment = str(value)[:20]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_form_room(self, value: str) -> Any:
        self.form_room = str(value)[:64]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_form_from(self, value: str) -> Any:
        self.form_from = str(value)[:10]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def add_lesson(self) -> Any:
        if not self.form_assignment:
            self.form_error = "Выберите класс и предмет."
            return rx.toast.error(self.form_error)
        try:
            done = await run_service(
                timetable.add_slot,
                actor=self._actor(),
                assignment_id=self.form_assignment,
                weekday=self.form_weekday,
                number=self.form_number,
                room=self.form_room,
                valid_from=self.form_from,
            )
        except DomainError as e:
            self.form_error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.form_open, self.form_error, self.form_room = False, "", ""
        await self._try_reload()
        return rx.toast.success(done.message)

    @requires(Permission.TIMETABLE_MANAGE)
    async def remove_lesson(self, slot_id: int) -> Any:
        try:
            done = await run_service(
                timetable.remove_slot, actor=self._actor(), slot_id=slot_id, from_date=self.on
            )
        except DomainError as e:
            return rx.toast.error(e.message, duration=15000)
        await self._try_reload()
        return rx.toast.success(done.message)

    @requires(Permission.TIMETABLE_MANAGE)
    async def download_pdf(self) -> Any:
        if self.kind not in ("class", "teacher"):
            return rx.toast.error("Печатается расписание класса или учителя.")
        try:
            name, data = await run_service(
                timetable.timetable_pdf,
                actor=self._actor(),
                kind=self.kind,
                object_id=self.object_id,
                on=self.on,
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        return rx.download(data=data, filename=name)

    # ------------------------------------------------------------------ substitutions

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_sub_teacher(self, value: str) -> Any:
        self.sub_teacher = str(value)[:20]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_sub_substitute(self, value: str) -> Any:
        self.sub_substitute = str(value)[:20]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_sub_from(self, value: str) -> Any:
        self.sub_from = str(value)[:10]
        if not self.sub_to or self.sub_to < self.sub_from:
            self.sub_to = self.sub_from
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_sub_to(self, value: str) -> Any:
        self.sub_to = str(value)[:10]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def change_sub_number(self, value: str) -> Any:
        self.sub_number = str(value)[:8]
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def assign_substitute(self) -> Any:
        if not self.sub_teacher or not self.sub_substitute:
            self.sub_error = "Выберите, кого заменяют и кто заменяет."
            return rx.toast.error(self.sub_error)
        try:
            done = await run_service(
                substitutions.set_substitute_range,
                actor=self._actor(),
                teacher_id=self.sub_teacher,
                date_from=self.sub_from,
                date_to=self.sub_to or self.sub_from,
                substitute_id=self.sub_substitute,
                number=self.sub_number,
            )
        except DomainError as e:
            self.sub_error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.sub_error = ""
        await self._try_reload()
        return rx.toast.success(done.message)

    @requires(Permission.TIMETABLE_MANAGE)
    async def cancel_substitute(self, lesson_id: int) -> Any:
        try:
            done = await run_service(
                substitutions.remove_substitute, actor=self._actor(), lesson_id=lesson_id
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._try_reload()
        return rx.toast.success(done.message)
