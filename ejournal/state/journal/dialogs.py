"""The journal grid's dialogs: the lesson column (topic, КТП, homework, work type), adding
a lesson, the period (or year) mark, a remark to the parents, an excused absence."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import reflex as rx

from ejournal.domain import journal
from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.journal import CellState
from ejournal.domain.models import RemarkKind
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Permission
from ejournal.state.base import requires, run_service
from ejournal.state.journal.grid import JournalGrid
from ejournal.state.journal.wire import (
    BulkMarkRow,
    LessonCol,
    PlanItemRow,
    bulk_mark_row,
    code_parts,
    lesson_dict,
    period_mark_text,
    with_period_mark,
)

#: The marks a row of «выставить расчётные» may be given ("" leaves the row alone).
BULK_VALUES = ("", "2", "3", "4", "5")


class JournalDialogs(JournalGrid, mixin=True):
    """The grid's dialogs: the lesson panel, adding a lesson, the period mark, a remark,
    an excuse. A Reflex mixin of `JournalState`, like `JournalGrid`."""

    # The lesson panel.
    panel_open: bool = False
    panel: dict[str, str] = {}
    panel_topic: str = ""
    panel_plan_id: str = ""
    panel_hw_none: bool = False  # «Не задано» checked: the homework fields are cleared
    plan_items: list[PlanItemRow] = []
    panel_error: str = ""

    # Adding a lesson.
    add_open: bool = False
    add_error: str = ""

    # Period mark, remark, excuse dialogs.
    pm_open: bool = False
    pm: dict[str, str] = {}
    pm_error: str = ""
    remark_open: bool = False
    remark: dict[str, str] = {}
    remark_error: str = ""
    excuse_open: bool = False
    excuse: dict[str, str] = {}
    excuse_error: str = ""

    # «Выставить расчётные»: the whole page's period marks with a preview.
    bulk_open: bool = False
    bulk_rows: list[BulkMarkRow] = []
    bulk_error: str = ""

    def _close_dialogs(self) -> None:
        super()._close_dialogs()
        self.panel_open = self.pm_open = False
        self.remark_open = self.excuse_open = self.add_open = False
        self.bulk_open = False

    @requires(Permission.JOURNAL_READ)
    async def close_dialogs(self, open_: bool = False) -> Any:
        """Any dialog closed (Esc, outside click, «Отмена»): drop what it held."""
        if open_:
            return None
        if self.reason_open and self._pending:
            self._say("Изменение не сохранено: причина не указана.")
        self._pending = {}
        self._close_dialogs()
        return rx.call_script("window.ejGrid && window.ejGrid.ackAll()")

    # ------------------------------------------------------------------ lesson column

    @requires(Permission.JOURNAL_READ)
    async def open_lesson(self, lesson_id: str) -> Any:
        """The column header: show the lesson's topic, homework and work type."""
        lid = int_or_none(lesson_id)
        if lid is None or lid not in self._col_of:
            return None
        self.panel = {k: str(v) for k, v in self.lessons[self._col_of[lid]].items()}
        self.panel_topic = self.panel["topic"]
        self.panel_plan_id = self.panel["plan_id"]
        self.panel_hw_none = self.panel["hw_none"] == "1"
        self.panel_error = ""
        self.plan_items = []
        self.panel_open = True
        if self.can_lessons and self.panel["editable"]:
            await self._search(self.panel_topic if not self.panel_plan_id else "")
        return None

    async def _search(self, query: str) -> None:
        actor = self._actor()
        try:
            items = await run_service(
                journal.search_plan_items,
                actor=actor,
                assignment_id=self._assignment_id,
                query=query,
                limit=12,
            )
        except DomainError as e:
            self.panel_error = e.message
            return
        self.plan_items = [
            {
                "id": str(x.id),
                "label": f"{x.number}. {x.topic}",
                "topic": x.topic,
                "when": x.planned_on.strftime("%d.%m") if x.planned_on else "",
                "used": "1" if x.used else "",
            }
            for x in items
        ]

    @requires(Permission.LESSON_WRITE)
    async def edit_topic(self, value: str) -> Any:
        """Typing the topic: keep it and search the КТП for matching lines."""
        self.panel_topic = str(value)[:500]
        self.panel_plan_id = ""
        await self._search(self.panel_topic)

    @requires(Permission.LESSON_WRITE)
    async def pick_plan_item(self, item_id: str) -> Any:
        """A КТП line chosen as the topic."""
        item = next((x for x in self.plan_items if x["id"] == str(item_id)), None)
        if item is None:
            return None
        self.panel_topic = item["topic"]
        self.panel_plan_id = item["id"]
        return None

    @requires(Permission.LESSON_WRITE)
    async def toggle_homework_none(self, checked: bool) -> Any:
        """«Не задано» ticked or unticked: the homework fields are cleared or given back."""
        self.panel_hw_none = checked is True
        return None

    @requires(Permission.LESSON_WRITE)
    async def save_lesson(self, form: dict[str, Any]) -> Any:
        """Save the panel: topic (typed or from the КТП), homework or «не задано», links,
        work type."""
        lid = int_or_none(self.panel.get("id"))
        if lid is None or lid not in self._col_of:
            return None
        actor = self._actor()
        # The form holds what is in the field now (its change events are debounced).
        topic = str(form.get("topic", self.panel_topic))
        plan_id = (
            int_or_none(self.panel_plan_id) if topic.strip() == self.panel_topic.strip() else None
        )
        wt = int_or_none(form.get("work_type"))
        # An unticked checkbox is not in the form: then the panel's own flag (kept by
        # toggle_homework_none) says it.
        none = bool(form.get("homework_none")) if "homework_none" in form else self.panel_hw_none
        # «Задано на»: a day, or empty for the next lesson (absent from the form: unchanged).
        due_text = str(form.get("homework_due_on", "")).strip()
        due_on = None
        if due_text:
            try:
                due_on = dt.date.fromisoformat(due_text[:10])
            except ValueError:
                self.panel_error = "Срок задания: укажите дату."
                return None
        try:
            column = await run_service(
                journal.set_lesson_details,
                actor=actor,
                lesson_id=lid,
                expected_version=int_or_none(self.panel.get("version")) or 0,
                topic=topic,
                plan_item_id=plan_id,
                homework="" if none else str(form.get("homework", "")),
                homework_links="" if none else str(form.get("links", "")),
                homework_none=none,
                homework_due_on=due_on,
                homework_due_next="homework_due_on" in form and not due_text,
                work_type_id=wt,
                reason=str(form.get("reason", "")),
            )
        except DomainError as e:
            self.panel_error = e.message
            return None
        cols = list(self.lessons)
        cols[self._col_of[lid]] = lesson_dict(column, two_marks=self._two_for(column.work_type_id))
        self.lessons = cols
        self.panel_open = False
        self._say(f"Урок {column.label} сохранён.", ok=True)
        return None

    @requires(Permission.MARK_WRITE)
    async def take_attendance(self, form: dict[str, Any]) -> Any:
        """«Все присутствуют — отметить посещаемость» for the lesson open in the panel."""
        lid = int_or_none(self.panel.get("id"))
        if lid is None or lid not in self._col_of:
            return None
        actor = self._actor()
        try:
            column = await run_service(
                journal.take_attendance,
                actor=actor,
                lesson_id=lid,
                reason=str(form.get("reason", "")),
            )
        except DomainError as e:
            self.panel_error = e.message
            return None
        cols = list(self.lessons)
        j = self._col_of[lid]
        # Only the attendance fields: the column as stored, seen with this page's rights.
        fresh = lesson_dict(column, two_marks=self._two_for(column.work_type_id))
        cols[j] = cast(
            LessonCol,
            {**cols[j], "att": fresh["att"], "att_at": fresh["att_at"], "title": fresh["title"]},
        )
        self.lessons = cols
        self.panel = {**self.panel, "att": fresh["att"], "att_at": fresh["att_at"]}
        self.panel_error = ""
        self._say(f"Урок {column.label}: посещаемость отмечена, все присутствуют.", ok=True)
        return None

    @requires(Permission.LESSON_WRITE)
    async def open_add_lesson(self) -> Any:
        """Show the «add a lesson» form."""
        self.add_error = ""
        self.add_open = True

    @requires(Permission.LESSON_WRITE)
    async def add_lesson(self, form: dict[str, Any]) -> Any:
        """Add a lesson column: a timetable slot without one, or an extra lesson."""
        try:
            on = dt.date.fromisoformat(str(form.get("date", "")))
        except ValueError:
            self.add_error = "Укажите дату урока."
            return None
        number = int_or_none(form.get("number"))
        if number is None:
            self.add_error = "Укажите номер урока."
            return None
        actor = self._actor()
        try:
            column = await run_service(
                journal.create_lesson,
                actor=actor,
                assignment_id=self._assignment_id,
                on=on,
                number=number,
                extra=bool(form.get("extra")),
            )
            await self._reload()
        except DomainError as e:
            self.add_error = e.message
            return None
        self.add_open = False
        self._say(f"Урок {column.label} добавлен.", ok=True)
        return rx.call_script(f"window.ejGrid && window.ejGrid.showLesson({column.id})")

    # ------------------------------------------------------------------ period marks

    @requires(Permission.JOURNAL_READ)
    async def open_period_mark(self, student_id: str, which: str) -> Any:
        """The period (or year) mark cell of a student."""
        sid = int_or_none(student_id)
        if sid is None or sid not in self._row_of or not self.can_period:
            return None
        i = self._row_of[sid]
        figures = getattr(self, f"f{i}")
        year = which == "year" and self.has_year
        self.pm = {
            "sid": str(sid),
            "which": "year" if year else "period",
            "name": self.students[i]["name"],
            "title": "Годовая отметка" if year else f"Отметка за период: {self.period_name}",
            "suggested": figures.get("ys" if year else "s", ""),
            "avg": "" if year else figures.get("avg", ""),
            "current": figures.get("ym" if year else "pm", ""),
            "na": figures.get("na", "") if not year else "",
        }
        self.pm_error = ""
        self.pm_open = True
        return None

    @requires(Permission.PERIOD_MARK_WRITE)
    async def save_period_mark(self, form: dict[str, Any]) -> Any:
        """Save the period mark: 2–5, «не аттестован» where allowed, or clear it."""
        sid = int_or_none(self.pm.get("sid"))
        if sid is None or sid not in self._row_of:
            return None
        year = self.pm.get("which") == "year"
        period_id = self._year_period_id if year else self._period_id
        choice = str(form.get("value", "")).strip()
        value = int_or_none(choice)
        not_attested = choice == "na"
        actor = self._actor()
        i = self._row_of[sid]
        figures = self._figures(i)
        # The version the page last saw (kept fresh by polling); a stale one is a conflict.
        version = int_or_none(figures.get("yv" if year else "pv")) or 0
        try:
            result = await run_service(
                journal.set_period_mark,
                actor=actor,
                student_id=sid,
                assignment_id=self._assignment_id,
                period_id=period_id,
                value=value,
                expected_version=version,
                not_attested=not_attested,
                justification=str(form.get("justification", "")),
                reason=str(form.get("reason", "")),
            )
        except ConflictError as e:
            if isinstance(e.current, journal.PeriodMarkResult):
                self._put_figures(i, with_period_mark(figures, e.current, year=year))
                self.pm = {**self.pm, "current": figures["ym" if year else "pm"]}
            self.pm_error = e.message
            return None
        except DomainError as e:
            self.pm_error = e.message
            return None
        self._put_figures(i, with_period_mark(figures, result, year=year))
        self.pm_error = ""
        self.pm_open = False
        return None

    # ------------------------------------------------------------------ «выставить расчётные»

    @requires(Permission.PERIOD_MARK_WRITE)
    async def open_bulk_marks(self) -> Any:
        """Preview every student's suggested period mark for the page's period."""
        if not self.can_period or not self._assignment_id:
            return None
        try:
            proposals = await run_service(
                journal.propose_period_marks,
                actor=self._actor(),
                assignment_id=self._assignment_id,
                period_id=self._period_id,
            )
        except DomainError as e:
            self._say(e.message)
            return None
        self.bulk_rows = [bulk_mark_row(p) for p in proposals if p.student_id in self._row_of]
        self.bulk_error = ""
        self.bulk_open = True
        return None

    @requires(Permission.PERIOD_MARK_WRITE)
    async def bulk_choose(self, student_id: str, value: str) -> Any:
        """A row's mark changed in the preview: a departure from the suggestion asks for a
        justification."""
        value = str(value)
        if value not in BULK_VALUES:
            return None
        rows = list(self.bulk_rows)
        for k, row in enumerate(rows):
            if row["sid"] == str(student_id):
                need = "1" if value and value != row["suggested"] else ""
                rows[k] = {**row, "value": value, "need": need, "error": ""}
                self.bulk_rows = rows
                break
        return None

    @requires(Permission.PERIOD_MARK_WRITE)
    async def save_bulk_marks(self, form: dict[str, Any]) -> Any:
        """Save the preview's marks in one transaction; a refused row stops them all."""
        if not self.bulk_open or not self.bulk_rows:
            return None
        choices: list[journal.PeriodMarkChoice] = []
        for row in self.bulk_rows:
            value = str(form.get(f"v{row['sid']}", row["value"]))
            if value not in BULK_VALUES:
                self.bulk_error = "Отметка за период — только 2, 3, 4 или 5."
                return None
            just = str(form.get(f"j{row['sid']}", row["just"]))
            if not value or (value == row["current"] and just.strip() == row["just"]):
                continue  # left alone, or kept as stored
            choices.append(
                journal.PeriodMarkChoice(
                    student_id=int(row["sid"]),
                    value=int(value),
                    expected_version=int_or_none(row["version"]) or 0,
                    justification=just,
                )
            )
        if not choices:
            self.bulk_error = "Нечего сохранять: все выбранные отметки уже выставлены."
            return None
        try:
            result = await run_service(
                journal.set_period_marks,
                actor=self._actor(),
                assignment_id=self._assignment_id,
                period_id=self._period_id,
                choices=choices,
                reason=str(form.get("reason", "")),
            )
        except DomainError as e:
            self.bulk_error = e.message
            return None
        if not result.saved:
            self._bulk_refused(result.errors)
            return None
        for mark in result.marks:
            i = self._row_of.get(mark.student_id)
            if i is not None:
                self._put_figures(i, with_period_mark(self._figures(i), mark, year=False))
        self.bulk_open = False
        self.bulk_rows = []
        self._say(f"Выставлено отметок за период: {result.changed}.", ok=True)
        return None

    def _bulk_refused(self, errors: tuple[journal.PeriodMarkRowError, ...]) -> None:
        """Show every refused row; a conflict shows the mark stored now (and the grid too)."""
        by_sid = {str(e.student_id): e for e in errors}
        rows = list(self.bulk_rows)
        for k, row in enumerate(rows):
            e = by_sid.get(row["sid"])
            if e is None:
                continue
            fresh = {**row, "error": e.message}
            if isinstance(e.current, journal.PeriodMarkResult):
                cur = e.current
                shown = period_mark_text(cur.value, cur.not_attested)
                fresh.update(
                    current=shown,
                    version=str(cur.version),
                    just=cur.justification,
                    error=f"{e.message} Сейчас выставлена: «{shown or 'ничего'}».",
                )
                i = self._row_of.get(cur.student_id)
                if i is not None:
                    self._put_figures(i, with_period_mark(self._figures(i), cur, year=False))
            rows[k] = cast(BulkMarkRow, fresh)
        self.bulk_rows = rows
        self.bulk_error = (
            f"Ничего не сохранено: строк с замечаниями — {len(errors)}. "
            "Исправьте их и сохраните снова."
        )

    # ------------------------------------------------------------------ remarks, excuses

    @requires(Permission.REMARK_WRITE)
    async def open_remark(self, student_id: str) -> Any:
        """A remark or praise to the parents for a student of the page."""
        sid = int_or_none(student_id)
        if sid is None or sid not in self._row_of:
            return None
        self.remark = {"sid": str(sid), "name": self.students[self._row_of[sid]]["name"]}
        self.remark_error = ""
        self.remark_open = True
        return None

    @requires(Permission.REMARK_WRITE)
    async def save_remark(self, form: dict[str, Any]) -> Any:
        """Write the remark or praise into the student's diary."""
        sid = int_or_none(self.remark.get("sid"))
        if sid is None or sid not in self._row_of:
            return None
        kind = str(form.get("kind", RemarkKind.PRAISE.value))
        actor = self._actor()
        try:
            await run_service(
                journal.write_remark,
                actor=actor,
                student_id=sid,
                kind=kind,
                text=str(form.get("text", "")),
            )
        except DomainError as e:
            self.remark_error = e.message
            return None
        self.remark_open = False
        self._say(f"Запись в дневник отправлена: {self.remark['name']}.", ok=True)
        return None

    @requires(Permission.JOURNAL_READ)
    async def open_excuse(self, key: str) -> Any:
        """Double click on an absence (н) of the class teacher's class: ask for the reason."""
        k = self._key(key)
        if k is None or not self.can_excuse:
            return None
        sid, lid = k
        text, version, flags, title = code_parts(
            getattr(self, f"c{self._row_of[sid]}")[self._col_of[lid]]
        )
        if text != "н":
            return None
        self.excuse = {
            "key": f"{sid}:{lid}",
            "who": self._who(sid, lid),
            "version": str(version),
            "reason": title.removeprefix("Уважительная причина: ") if "e" in flags else "",
        }
        self.excuse_error = ""
        self.excuse_open = True
        return None

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def save_excuse(self, form: dict[str, Any]) -> Any:
        """Mark the absence as excused with the reason."""
        k = self._key(self.excuse.get("key"))
        if k is None:
            return None
        sid, lid = k
        actor = self._actor()
        try:
            cell = await run_service(
                journal.excuse_absence,
                actor=actor,
                reason=str(form.get("reason", "")),
                expected_version=int_or_none(self.excuse.get("version")) or 0,
                student_id=sid,
                lesson_id=lid,
            )
        except ConflictError as e:
            if isinstance(e.current, CellState):
                self._put_cells([(e.current, "c", e.message)])
            self.excuse_error = e.message
            return None
        except DomainError as e:
            self.excuse_error = e.message
            return None
        self._put_cells([(cell, "s", "")])
        self.excuse_open = False
        return None
