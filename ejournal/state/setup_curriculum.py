"""``/setup/curriculum``: the deputy's curriculum and teaching load of the current year.

Three sections: subjects; the hours grid (subjects × grades, saved with one button, all or
nothing); the teaching load by class (teacher and hours per row, an add form) with each
teacher's weekly load. The warnings of the plan stay on top. Every handler needs
TIMETABLE_MANAGE and the services re-check the objects; a refused save keeps what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Permission
from ejournal.domain.setup import curriculum
from ejournal.domain.setup.curriculum import CurriculumView, HoursInvalid, hours_text
from ejournal.state.base import SessionState, requires, run_service

WHOLE_CLASS = "whole"  # the subgroup select's «весь класс» (a select item cannot be empty)
ALL_CLASSES = "all"  # the load filter's «Все классы»


@dataclass
class SubjectItem:
    id: int = 0
    name: str = ""
    short_name: str = ""
    marked: bool = True
    used: bool = False


@dataclass
class HoursItem:
    """One input of the grid: its form name, what it shows and why it was refused."""

    key: str = ""  # hours.<subject_id>.<grade>
    subject_id: int = 0
    grade: int = 0
    label: str = ""  # «Математика, 5 класс, часов в неделю»
    split_label: str = ""  # «Математика, 5 класс: делится на подгруппы»
    value: str = ""
    split: bool = False
    has_hours: bool = False
    error: str = ""


@dataclass
class GridRow:
    subject_id: int = 0
    subject: str = ""
    cells: list[HoursItem] = field(default_factory=list)


@dataclass
class AssignmentItem:
    id: int = 0
    what: str = ""  # «Математика» or «Английский язык, группа 1»
    label: str = ""  # «5 «А», Математика» for the inputs' names
    teacher_id: str = ""
    hours: str = ""
    plan: str = ""  # the curriculum's hours, «5» or «—»
    differs: bool = False
    lessons: int = 0


@dataclass
class ClassBlock:
    class_id: int = 0
    label: str = ""
    rows: list[AssignmentItem] = field(default_factory=list)


@dataclass
class LoadItem:
    name: str = ""
    hours: str = ""
    over: bool = False
    assignments: int = 0


@dataclass
class Choice:
    value: str = ""
    label: str = ""


def _subject_items(view: CurriculumView) -> list[SubjectItem]:
    return [SubjectItem(s.id, s.name, s.short_name, s.marked, s.used) for s in view.subjects]


def _grid(view: CurriculumView, typed: dict[str, str], errors: dict[str, str]) -> list[GridRow]:
    cells = {(c.subject_id, c.grade): c for c in view.cells}
    rows = []
    for s in view.subjects:
        items = []
        for g in view.grades:
            c = cells.get((s.id, g))
            key = f"hours.{s.id}.{g}"
            stored = hours_text(c.hours) if c else ""
            items.append(
                HoursItem(
                    key=key,
                    subject_id=s.id,
                    grade=g,
                    label=f"{s.name}, {g} класс, часов в неделю",
                    split_label=f"{s.name}, {g} класс: делится на подгруппы",
                    value=typed.get(key, stored),
                    split=bool(c and c.split),
                    has_hours=bool(c and c.hours is not None),
                    error=errors.get(key, ""),
                )
            )
        rows.append(GridRow(s.id, s.name, items))
    return rows


def _blocks(view: CurriculumView) -> list[ClassBlock]:
    blocks: dict[int, ClassBlock] = {}
    for c in view.classes:
        blocks[c.id] = ClassBlock(c.id, c.label, [])
    for a in view.assignments:
        what = a.subject_name + (f", {a.subgroup_name}" if a.subgroup_name else "")
        block = blocks.setdefault(a.class_id, ClassBlock(a.class_id, a.class_label, []))
        block.rows.append(
            AssignmentItem(
                id=a.id,
                what=what,
                label=f"{a.class_label}, {what}",
                teacher_id=str(a.teacher_id),
                hours=hours_text(a.hours),
                plan=hours_text(a.curriculum_hours) or "—",
                differs=a.curriculum_hours is not None and a.curriculum_hours != a.hours,
                lessons=a.lessons,
            )
        )
    return list(blocks.values())


class CurriculumState(SessionState):
    """Учебный план и нагрузка (deputy)."""

    loaded: bool = False
    year_name: str = ""
    limit_text: str = ""
    warnings: list[str] = []
    subjects: list[SubjectItem] = []
    grades: list[int] = []
    grid: list[GridRow] = []
    grid_error: str = ""
    grid_key: int = 0  # bumped to redraw the grid's inputs with new values
    blocks: list[ClassBlock] = []  # the load of the class the filter shows (or of all)
    show_class: str = ""  # the load filter: a class id or ALL_CLASSES
    show_class_options: list[Choice] = []
    loads: list[LoadItem] = []
    teacher_options: list[Choice] = []
    class_options: list[Choice] = []
    subject_options: list[Choice] = []
    subgroup_options: list[Choice] = []
    # The add-assignment form (kept on a refusal).
    add_class: str = ""
    add_subject: str = ""
    add_subgroup: str = WHOLE_CLASS
    add_teacher: str = ""
    add_hours_hint: str = ""
    add_error: str = ""
    subject_error: str = ""
    load_error: str = ""

    _view: CurriculumView | None = None
    _all_blocks: list[ClassBlock] = []
    _grid_loaded: dict[str, str] = {}

    # ------------------------------------------------------------------ drawing

    def _show(self, view: CurriculumView) -> None:
        self._view = view
        self.year_name = view.year_name
        self.limit_text = hours_text(view.max_weekly_load)
        self.warnings = [w.text for w in view.warnings]
        self.subjects = _subject_items(view)
        self.grades = list(view.grades)
        self.grid = _grid(view, {}, {})
        self._grid_loaded = {c.key: c.value for r in self.grid for c in r.cells}
        self.grid_key += 1
        self._all_blocks = _blocks(view)
        self.loads = [
            LoadItem(t.name, hours_text(t.hours), t.over, t.assignments) for t in view.loads
        ]
        self.teacher_options = [Choice(str(t.id), t.name) for t in view.teachers]
        self.class_options = [Choice(str(c.id), c.label) for c in view.classes]
        self.subject_options = [Choice(str(s.id), s.name) for s in view.subjects]
        self._filter_blocks()
        if not self.add_class and self.show_class != ALL_CLASSES:
            self.add_class = self.show_class
        self._fill_add_form()
        self.loaded = True

    def _filter_blocks(self) -> None:
        """The load table of one class (the first by default) or of all classes."""
        classes = [Choice(str(b.class_id), b.label) for b in self._all_blocks]
        self.show_class_options = [Choice(ALL_CLASSES, "Все классы"), *classes]
        if self.show_class != ALL_CLASSES and self.show_class not in {c.value for c in classes}:
            self.show_class = classes[0].value if classes else ALL_CLASSES
        self.blocks = [
            b for b in self._all_blocks if self.show_class in (ALL_CLASSES, str(b.class_id))
        ]

    def _fill_add_form(self) -> None:
        """Subgroups of the chosen class for the chosen subject; the curriculum's hours."""
        view = self._view
        cid, sid = int_or_none(self.add_class), int_or_none(self.add_subject)
        options = [Choice(WHOLE_CLASS, "Весь класс")]
        hint = ""
        if view is not None and cid is not None:
            options += [
                Choice(str(g.id), g.name)
                for g in view.subgroups
                if g.class_id == cid and (g.subject_id is None or g.subject_id == sid)
            ]
            grade = next((c.grade for c in view.classes if c.id == cid), None)
            cell = next((c for c in view.cells if c.grade == grade and c.subject_id == sid), None)
            if sid is not None and cell is not None and cell.hours is not None:
                hint = hours_text(cell.hours)
        self.subgroup_options = options
        if self.add_subgroup not in {o.value for o in options}:
            self.add_subgroup = WHOLE_CLASS
        self.add_hours_hint = hint

    async def _reload(self) -> None:
        self._show(await run_service(curriculum.get_curriculum, actor=self._actor()))

    # ------------------------------------------------------------------ handlers

    @requires(Permission.TIMETABLE_MANAGE)
    async def load(self) -> Any:
        """On page load: the current year's plan and load."""
        self.grid_error = self.add_error = self.subject_error = self.load_error = ""
        await self._reload()
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def add_subject_form(self, form: dict[str, Any]) -> Any:
        """«Добавить предмет»: name, short name, «без отметок»."""
        try:
            await run_service(
                curriculum.add_subject,
                actor=self._actor(),
                name=str(form.get("name") or ""),
                short_name=str(form.get("short_name") or ""),
                marked=not bool(form.get("unmarked")),
            )
        except DomainError as e:
            self.subject_error = e.message
            return rx.toast.error(e.message)
        self.subject_error = ""
        await self._reload()
        name = " ".join(str(form.get("name") or "").split())
        return [
            rx.set_value("new-subject-name", ""),
            rx.set_value("new-subject-short", ""),
            rx.toast.success(f"Предмет «{name}» добавлен."),
        ]

    @requires(Permission.TIMETABLE_MANAGE)
    async def rename_subject(self, form: dict[str, Any]) -> Any:
        """A subject's row: «Сохранить» its name."""
        try:
            changed = await run_service(
                curriculum.update_subject,
                actor=self._actor(),
                subject_id=form.get("subject_id"),
                name=str(form.get("name") or ""),
            )
        except DomainError as e:
            self.subject_error = e.message
            return rx.toast.error(e.message)
        self.subject_error = ""
        await self._reload()
        return (
            rx.toast.success("Название сохранено.") if changed else rx.toast.info("Изменений нет.")
        )

    @requires(Permission.TIMETABLE_MANAGE)
    async def toggle_unmarked(self, subject_id: int, unmarked: bool) -> Any:
        """A subject's «без отметок» checkbox."""
        try:
            await run_service(
                curriculum.update_subject,
                actor=self._actor(),
                subject_id=subject_id,
                marked=not bool(unmarked),
            )
        except DomainError as e:
            self.subject_error = e.message
            await self._reload()
            return rx.toast.error(e.message)
        await self._reload()
        return rx.toast.success(
            "Предмет ведётся без отметок." if unmarked else "Предмет ведётся с отметками."
        )

    @requires(Permission.TIMETABLE_MANAGE)
    async def remove_subject(self, subject_id: int) -> Any:
        """A subject's «Удалить» (only while nothing uses it)."""
        try:
            name = await run_service(
                curriculum.remove_subject, actor=self._actor(), subject_id=subject_id
            )
        except DomainError as e:
            self.subject_error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.subject_error = ""
        await self._reload()
        return rx.toast.success(f"Предмет «{name}» удалён.")

    @requires(Permission.TIMETABLE_MANAGE)
    async def save_grid(self, form: dict[str, Any]) -> Any:
        """«Сохранить часы»: the cells changed since loading, all or nothing."""
        typed = {str(k): str(v if v is not None else "").strip() for k, v in form.items()}
        cells: dict[tuple[int, int], str] = {}
        for key, value in typed.items():
            parts = key.split(".")
            if len(parts) != 3 or parts[0] != "hours":
                continue
            sid, grade = int_or_none(parts[1]), int_or_none(parts[2])
            if sid is None or grade is None:
                continue
            if value == self._grid_loaded.get(key, "").strip():
                continue  # not changed in this form
            cells[(sid, grade)] = value
        if not cells:
            return rx.toast.info("Изменений нет: сохранять нечего.")
        try:
            changed = await run_service(curriculum.save_hours, actor=self._actor(), cells=cells)
        except HoursInvalid as e:
            errors = {f"hours.{sid}.{g}": m for (sid, g), m in e.errors.items()}
            if self._view is not None:
                self.grid = _grid(self._view, typed, errors)
            self.grid_error = e.message
            return rx.toast.error(e.message, duration=15000)
        except DomainError as e:
            self.grid_error = e.message
            if self._view is not None:
                self.grid = _grid(self._view, typed, {})
            return rx.toast.error(e.message, duration=15000)
        self.grid_error = ""
        await self._reload()
        return rx.toast.success(f"Часы сохранены ({changed}).")

    @requires(Permission.TIMETABLE_MANAGE)
    async def toggle_split(self, subject_id: int, grade: int, split: bool) -> Any:
        """A cell's «делится на подгруппы» checkbox."""
        try:
            await run_service(
                curriculum.set_split,
                actor=self._actor(),
                grade=grade,
                subject_id=subject_id,
                split=bool(split),
            )
        except DomainError as e:
            self.grid_error = e.message
            return rx.toast.error(e.message)
        self.grid_error = ""
        await self._reload()
        return rx.toast.success(
            "Предмет делится на подгруппы." if split else "Предмет не делится на подгруппы."
        )

    @requires(Permission.TIMETABLE_MANAGE)
    async def filter_load(self, value: str) -> Any:
        """The load table's «Показать класс» select; the add form follows a chosen class."""
        value = str(value)
        if value not in {o.value for o in self.show_class_options}:
            return None
        self.show_class = value
        self._filter_blocks()
        if value != ALL_CLASSES:
            self.add_class = value
            self._fill_add_form()
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_class(self, value: str) -> Any:
        """The add form's class select."""
        self.add_class = str(value)
        self._fill_add_form()
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_subject(self, value: str) -> Any:
        """The add form's subject select."""
        self.add_subject = str(value)
        self._fill_add_form()
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_subgroup(self, value: str) -> Any:
        """The add form's subgroup select («Весь класс» or a group)."""
        self.add_subgroup = str(value)
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def choose_teacher(self, value: str) -> Any:
        """The add form's teacher select."""
        self.add_teacher = str(value)
        return None

    @requires(Permission.TIMETABLE_MANAGE)
    async def add_assignment(self, form: dict[str, Any]) -> Any:
        """«Добавить нагрузку»: class, subject, subgroup, teacher, hours (empty: by plan)."""
        if not (self.add_class and self.add_subject and self.add_teacher):
            self.add_error = "Выберите класс, предмет и учителя."
            return rx.toast.error(self.add_error)
        subgroup = None if self.add_subgroup == WHOLE_CLASS else self.add_subgroup
        try:
            saved = await run_service(
                curriculum.add_assignment,
                actor=self._actor(),
                class_id=self.add_class,
                subject_id=self.add_subject,
                teacher_id=self.add_teacher,
                subgroup_id=subgroup,
                hours=str(form.get("hours") or ""),
            )
        except DomainError as e:
            self.add_error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.add_error = ""
        if self.show_class != ALL_CLASSES:
            self.show_class = self.add_class  # show the class the new row went to
        await self._reload()
        return [rx.set_value("add-hours", ""), _saved_toast("Нагрузка добавлена", saved)]

    @requires(Permission.TIMETABLE_MANAGE)
    async def save_assignment(self, form: dict[str, Any]) -> Any:
        """An assignment row's «Сохранить»: its teacher and hours."""
        try:
            saved = await run_service(
                curriculum.update_assignment,
                actor=self._actor(),
                assignment_id=form.get("assignment_id"),
                teacher_id=form.get("teacher_id") or None,
                hours=str(form.get("hours") or ""),
            )
        except DomainError as e:
            self.load_error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.load_error = ""
        await self._reload()
        return _saved_toast("Сохранено", saved)

    @requires(Permission.TIMETABLE_MANAGE)
    async def remove_assignment(self, assignment_id: int) -> Any:
        """An assignment row's «Удалить» (only without lessons)."""
        try:
            what = await run_service(
                curriculum.remove_assignment, actor=self._actor(), assignment_id=assignment_id
            )
        except DomainError as e:
            self.load_error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.load_error = ""
        await self._reload()
        return rx.toast.success(f"Нагрузка удалена: {what}.")


def _saved_toast(done: str, saved: curriculum.AssignmentSaved) -> Any:
    if saved.warnings:
        return rx.toast.warning(
            f"{done}. Обратите внимание: " + "; ".join(saved.warnings) + ".", duration=15000
        )
    return rx.toast.success(f"{done}: {hours_text(saved.hours)} ч в неделю.")
