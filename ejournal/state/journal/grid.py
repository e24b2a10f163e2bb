"""The journal grid (``/journal?a=…&p=…``): load, live updates, cells, pastes, reasons.

The wire format of a row and of a cell code is in ``wire.py``. The browser talks to the
grid through two hidden inputs (``ej-bus-cell``, ``ej-bus-paste``) that
``assets/journal_grid.js`` fills with JSON; every handler treats that JSON as hostile: it
parses, bounds and checks it against the page it has loaded, and the domain service
checks the permission on the object.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING, Any, cast

import reflex as rx

from ejournal.domain import journal
from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.grading import MSG_ONLY_MARKS
from ejournal.domain.journal import CellState, JournalPage
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Permission
from ejournal.domain.school import work_types
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.journal.home import JournalPickerState
from ejournal.state.journal.wire import (
    Figures,
    LessonCol,
    StudentHead,
    WorkTypeOption,
    cell_code,
    code_parts,
    date_ru,
    figures_dict,
    lesson_dict,
    num,
    student_head,
    with_write_flag,
)

log = logging.getLogger("ejournal.state.journal")

#: Rows the page can show: one var pair per row (see ``wire.py``).
MAX_ROWS = 45
#: Longer than any cell value (two marks, spaces): the domain's parser judges the rest.
MAX_CELL_TEXT = 16
MSG_BAD_CELL = f"{MSG_ONLY_MARKS}."
MSG_UNSAVED = "Не сохранено: нажмите Enter в клетке, чтобы сохранить ещё раз."


def refused_note(typed: str, why: str, kept: str) -> str:
    """What a refused cell says: the input, why, and that the old value stays."""
    return (
        f"«{typed}» не сохранено: {why.rstrip('.')}. "
        f"В клетке прежнее значение: {f'«{kept}»' if kept else 'пусто'}."
    )


POLL_SECONDS = 2.5

# A Reflex mixin must derive from rx.State itself (its vars are then bound to the State
# that takes it); it always runs as part of `JournalState`, a SessionState.
if TYPE_CHECKING:
    _MixinBase = SessionState
else:
    _MixinBase = rx.State


class JournalGrid(_MixinBase, mixin=True):
    """One journal page's grid: loading, live updates, cells, pastes and their reasons.

    A Reflex mixin: its vars and handlers belong to `JournalState`, the one State of the
    page (``ejournal.state.journal``), which also takes the dialogs (``dialogs.py``).
    """

    loaded: bool = False
    load_key: str = ""  # "<assignment>:<period>:<random>", new for every load (see load)
    load_error: str = ""
    title: str = ""
    subtitle: str = ""
    period_name: str = ""
    period_short: str = ""
    year_label: str = ""
    has_year: bool = False
    notice: str = ""  # why only attendance can be written, read-only etc.
    can_write: bool = False
    can_lessons: bool = False
    can_period: bool = False
    can_excuse: bool = False
    can_remark: bool = False
    two_marks_page: bool = False  # the subject allows two marks in (some) columns
    no_homework: bool = False  # grade 1: homework is not set at all
    lessons: list[LessonCol] = []
    students: list[StudentHead] = []
    n_rows: int = 0
    message: str = ""  # the last refusal or conflict, in Russian
    message_ok: bool = False

    work_type_options: list[WorkTypeOption] = []

    # A reason for a change older than the edit lock.
    reason_open: bool = False
    reason_note: str = ""

    _assignment_id: int = 0
    _period_id: int = 0
    _year_period_id: int = 0
    _last_audit: int = 0
    _row_of: dict[int, int] = {}
    _col_of: dict[int, int] = {}
    _pending: dict[str, Any] = {}
    _two_by_wt: dict[int, bool] = {}
    _page_two: bool = False
    _today: str = ""  # the school's date when the page was loaded (ISO)

    # ------------------------------------------------------------------ helpers

    def _row_codes(self, i: int) -> list[str]:
        return list(getattr(self, f"c{i}"))

    def _put_row(self, i: int, codes: list[str]) -> None:
        if codes != getattr(self, f"c{i}"):
            setattr(self, f"c{i}", codes)

    def _figures(self, i: int) -> Figures:
        """A copy of row `i`'s figures, to edit and put back."""
        return cast(Figures, dict(getattr(self, f"f{i}")))

    def _put_figures(self, i: int, figures: Figures) -> None:
        if figures != getattr(self, f"f{i}"):
            setattr(self, f"f{i}", figures)

    def _missing(self, j: int, cell: CellState, enrolled: bool) -> bool:
        col = self.lessons[j]
        return bool(
            col["control"]
            and not col["cancelled"]
            and enrolled
            and cell.text == ""
            and col["date"] <= self._today
        )

    def _code_for(self, cell: CellState, *, write: str = "", note: str = "") -> str:
        i = self._row_of[cell.student_id]
        j = self._col_of[cell.lesson_id]
        old = code_parts(getattr(self, f"c{i}")[j])
        enrolled = "x" not in old[2]
        return cell_code(
            cell,
            enrolled=enrolled,
            missing=self._missing(j, cell, enrolled),
            write=write,
            note=note,
        )

    def _put_cells(self, cells: list[tuple[CellState, str, str]]) -> None:
        """Replace cells (cell, write flag, note), one row var per touched row."""
        rows: dict[int, list[str]] = {}
        for cell, write, note in cells:
            i = self._row_of.get(cell.student_id)
            j = self._col_of.get(cell.lesson_id)
            if i is None or j is None:
                continue
            codes = rows.setdefault(i, self._row_codes(i))
            codes[j] = self._code_for(cell, write=write, note=note)
        for i, codes in rows.items():
            self._put_row(i, codes)

    def _flag_cell(self, student_id: int, lesson_id: int, write: str, note: str) -> None:
        """Mark a cell as refused without changing its value."""
        i, j = self._row_of.get(student_id), self._col_of.get(lesson_id)
        if i is None or j is None:
            return
        codes = self._row_codes(i)
        codes[j] = with_write_flag(codes[j], write, note)
        self._put_row(i, codes)

    def _unsaved(self, cells: list[tuple[int, int, str]]) -> None:
        """Show typed values that the server could not store: kept in their cells, flagged."""
        rows: dict[int, list[str]] = {}
        for sid, lid, typed in cells:
            i, j = self._row_of.get(sid), self._col_of.get(lid)
            if i is None or j is None:
                continue
            codes = rows.setdefault(i, self._row_codes(i))
            codes[j] = with_write_flag(codes[j], "u", MSG_UNSAVED, text=typed)
        for i, codes in rows.items():
            self._put_row(i, codes)

    def _on_failure(self) -> list[Any]:
        # A failed event answered no cell: keep the typed values, marked unsaved (Enter resends).
        return [rx.call_script("window.ejGrid && window.ejGrid.failPending()")]

    def _say(self, text: str, *, ok: bool = False) -> None:
        self.message = text
        self.message_ok = ok

    def _key(self, payload: Any) -> tuple[int, int] | None:
        """A "student:lesson" key that belongs to the loaded page, or None."""
        if not isinstance(payload, str) or ":" not in payload:
            return None
        s, lesson = payload.split(":", 1)
        sid, lid = int_or_none(s), int_or_none(lesson)
        if sid is None or lid is None or sid not in self._row_of or lid not in self._col_of:
            return None
        return sid, lid

    def _version_of(self, sid: int, lid: int) -> int:
        return code_parts(getattr(self, f"c{self._row_of[sid]}")[self._col_of[lid]])[1]

    def _fill(self, page: JournalPage, types: list[work_types.WorkTypeRef]) -> None:
        self._assignment_id = page.assignment_id
        self._period_id = page.period.id
        self._year_period_id = page.year_period.id if page.year_period else 0
        self._last_audit = page.last_audit_id
        self._today = page.today.isoformat()
        self._two_by_wt = {t.id: t.allows_two_marks for t in types}
        self._page_two = page.two_marks_allowed
        group = page.class_name + (f", {page.subgroup_name}" if page.subgroup_name else "")
        self.title = f"{page.subject_name}, {group}"
        self.subtitle = (
            f"{page.period.name}: {date_ru(page.period.starts_on)} – "
            f"{date_ru(page.period.ends_on)} · учитель {page.teacher_name}"
        )
        self.period_name = page.period.name
        self.period_short = {"quarter": "Четв.", "half": "Полуг."}.get(
            page.period.kind, page.period.name
        )
        self.has_year = page.year_period is not None
        self.year_label = "Год"
        notices = []
        if page.no_marks_reason:
            notices.append(page.no_marks_reason)
        if not page.can_write:
            notices.append("Страница открыта только для просмотра.")
        self.notice = " ".join(notices)
        self.can_write = page.can_write
        actor = self._actor()
        self.can_lessons = page.can_write and actor.can(Permission.LESSON_WRITE)
        self.can_period = page.can_write_period_marks
        self.can_excuse = actor.can(Permission.ATTENDANCE_EXCUSE) and (
            page.class_id in actor.class_teacher_of
        )
        self.can_remark = actor.can(Permission.REMARK_WRITE) and (
            page.can_write or page.class_id in actor.class_teacher_of
        )
        self.no_homework = page.grade == 1
        self.two_marks_page = page.two_marks_allowed and page.marks_allowed
        self.work_type_options = [
            {"id": str(t.id), "label": f"{t.abbreviation} — {t.name}" if t.abbreviation else t.name}
            for t in types
        ]
        self.lessons = [
            lesson_dict(c, two_marks=self._two_for(c.work_type_id)) for c in page.lessons
        ]
        self._col_of = {c.id: j for j, c in enumerate(page.lessons)}
        rows = page.students[:MAX_ROWS]
        self._row_of = {s.id: i for i, s in enumerate(rows)}
        self.students = [student_head(s) for s in rows]
        self.n_rows = len(rows)
        if len(page.students) > MAX_ROWS:
            self.notice += f" Показаны первые {MAX_ROWS} учащихся."
        today = page.today
        for i, s in enumerate(rows):
            codes = []
            for c in page.lessons:
                cell = page.cell(s.id, c.id)
                enrolled = c.id not in s.not_enrolled_lesson_ids
                missing = s.id in page.control_missing.get(c.id, ()) and c.date <= today
                codes.append(cell_code(cell, enrolled=enrolled, missing=missing))
            self._put_row(i, codes)
            self._put_figures(i, figures_dict(s))
        for i in range(len(rows), MAX_ROWS):
            self._put_row(i, [])
            if getattr(self, f"f{i}"):
                setattr(self, f"f{i}", {})  # an unused row slot
        self.loaded = True

    def _close_dialogs(self) -> None:
        """Close the reason dialog (the dialogs' mixin closes the others too)."""
        self.reason_open = False

    def _attendance_shown_taken(self, cells: list[CellState]) -> None:
        """Columns where a cell now holds attendance no longer show «не отмечена» (the
        next poll brings the lesson as stored, with the time it was taken)."""
        cols = list(self.lessons)
        for c in cells:
            j = self._col_of.get(c.lesson_id)
            if c.attendance is not None and j is not None and cols[j]["att"] != "1":
                cols[j] = cast(LessonCol, {**cols[j], "att": "1"})
        if cols != self.lessons:
            self.lessons = cols

    def _two_for(self, work_type_id: int | None) -> bool:
        return self._page_two and bool(work_type_id and self._two_by_wt.get(work_type_id))

    async def _reload(self) -> None:
        actor = self._actor()
        page = await run_service(
            journal.load_page,
            actor=actor,
            assignment_id=self._assignment_id,
            period_id=self._period_id,
        )
        types = await run_service(work_types.list_work_types, actor=actor)
        self._fill(page, types)

    # ------------------------------------------------------------------ loading

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """Open the page named by the URL (``?a=<assignment>&p=<period>[&l=<lesson>][&s=<student>]``).

        ``l`` scrolls to that lesson's column and outlines it; ``s`` highlights the student's
        row, and with ``l`` outlines and focuses that one cell (the checklist's links).
        """
        params = self.router.url.query_parameters
        a, p = int_or_none(params.get("a")), int_or_none(params.get("p"))
        self.loaded = False
        self.message = ""
        self._close_dialogs()
        if a is None or p is None:
            self.load_error = "Выберите страницу журнала."
            return JournalPickerState.load
        actor = self._actor()
        try:
            page = await run_service(journal.load_page, actor=actor, assignment_id=a, period_id=p)
            types = await run_service(work_types.list_work_types, actor=actor)
        except DomainError as e:
            self.load_error = e.message
            self.n_rows = 0
            self.lessons = []
            self._row_of, self._col_of = {}, {}
            self._assignment_id = 0
            return None
        self.load_error = ""
        self._fill(page, types)
        lesson = int_or_none(params.get("l"))
        if lesson is None or lesson not in self._col_of:
            lesson = 0
        student = int_or_none(params.get("s"))
        if student is None or student not in self._row_of:
            student = 0
        # On a reload the browser first shows the grid of the last visit (Reflex hydrates the
        # stored state): the grid script takes edits only once the grid on screen carries this
        # load's key (rendered from the delta) and this script has run.
        self.load_key = f"{a}:{p}:{secrets.token_hex(4)}"
        return rx.call_script(
            f'window.ejLoaded = "{self.load_key}"; '
            f"window.ejGrid && window.ejGrid.showLesson({lesson}, {student})"
        )

    @requires(Permission.JOURNAL_READ)
    async def poll(self) -> Any:
        """Live updates: apply what others changed since the last look (only the deltas)."""
        if not self._assignment_id:
            return None
        actor = self._actor()
        try:
            changes = await run_service(
                journal.changes_since,
                actor=actor,
                assignment_id=self._assignment_id,
                period_id=self._period_id,
                since_audit_id=self._last_audit,
            )
        except DomainError:
            return None
        if changes.last_audit_id != self._last_audit:
            self._last_audit = changes.last_audit_id
        if changes.reload:
            await self._reload()
            return None
        updates = []
        for cell in changes.cells:
            i, j = self._row_of.get(cell.student_id), self._col_of.get(cell.lesson_id)
            if i is None or j is None:
                continue
            old_text, old_version, old_flags, _ = code_parts(getattr(self, f"c{i}")[j])
            if old_version == cell.version and (old_text == cell.text or "u" in old_flags):
                continue  # our own write, already shown; or our unsaved value, still to retry
            updates.append((cell, "", ""))
        self._put_cells(updates)
        if changes.lessons:
            cols = list(self.lessons)
            for c in changes.lessons:
                j = self._col_of.get(c.id)
                if j is not None:
                    cols[j] = lesson_dict(c, two_marks=self._two_for(c.work_type_id))
            if cols != self.lessons:
                self.lessons = cols
        for s in changes.students:
            i = self._row_of.get(s.id)
            if i is not None:
                self._put_figures(i, figures_dict(s))
        return None

    # ------------------------------------------------------------------ cells

    @requires(Permission.MARK_WRITE)
    async def save_cell(self, payload: str) -> Any:
        """One cell typed in the grid: ``{"k": "student:lesson", "t": "5", "v": version}``."""
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        key = self._key(data.get("k"))
        text = data.get("t")
        if key is None:
            self._say("Клетка не найдена на этой странице.")
            return None
        if not isinstance(text, str) or len(text) > MAX_CELL_TEXT:
            # Not a cell value (the grid sends at most two marks): refused like any bad value.
            self._flag_cell(*key, "!", MSG_BAD_CELL)
            self._say(MSG_BAD_CELL)
            return None
        sid, lid = key
        version = int_or_none(data.get("v"))
        version = self._version_of(sid, lid) if version is None else version
        ack = rx.call_script(f"window.ejGrid && window.ejGrid.ack('{sid}:{lid}')")
        reason = data.get("r")
        reason = reason if isinstance(reason, str) else ""
        if self.lessons[self._col_of[lid]]["reason"] and not reason.strip():
            self._pending = {"kind": "cell", "sid": sid, "lid": lid, "t": text, "v": version}
            self.reason_note = (
                "Урок прошёл давно: исправление будет записано в журнал изменений. Укажите причину."
            )
            self.reason_open = True
            return ack
        await self._write_cell(sid, lid, text, version, reason)
        return ack

    async def _write_cell(self, sid: int, lid: int, text: str, version: int, reason: str) -> None:
        actor = self._actor()
        try:
            result = await run_service(
                journal.set_cell,
                actor=actor,
                lesson_id=lid,
                student_id=sid,
                text=text,
                expected_version=version,
                reason=reason,
            )
        except ConflictError as e:
            current = e.current if isinstance(e.current, CellState) else None
            if current is not None:
                self._put_cells([(current, "c", e.message)])
            else:
                self._flag_cell(sid, lid, "c", e.message)
            self._say(f"{self._who(sid, lid)}: {e.message}")
            return
        except DomainError as e:
            # The whole input is refused: the cell keeps (and shows) what was stored before.
            note = refused_note(text, e.message, self._shown(sid, lid))
            self._flag_cell(sid, lid, "!", note)
            self._say(f"{self._who(sid, lid)}: {note}")
            return
        except Exception:
            # Retried and still failed (or a bug): never leave the cell «pending» or drop
            # what the teacher typed; say so in Russian and let them send it again.
            log.exception(
                "set_cell failed: user %s, lesson %s, student %s", actor.user_id, lid, sid
            )
            self._unsaved([(sid, lid, text)])
            self._say(
                f"{self._who(sid, lid)}: отметка «{text or 'пусто'}» НЕ сохранена из-за сбоя "
                "на сервере. Она осталась в клетке: выделите клетку и нажмите Enter, "
                "чтобы сохранить ещё раз."
            )
            return
        self._put_cells([(result.cell, "s", "Сохранено")])
        self._attendance_shown_taken([result.cell])
        i = self._row_of[sid]
        figures = self._figures(i)
        figures["n"] = str(result.marks_count) if result.marks_count else ""
        figures["a"] = str(result.absences) if result.absences else ""
        figures["avg"] = num(result.average)
        figures["s"] = str(result.suggested or "")
        self._put_figures(i, figures)
        if self.message and not self.message_ok:
            self.message = ""

    def _shown(self, sid: int, lid: int) -> str:
        """The cell's stored value as the grid holds it."""
        return code_parts(getattr(self, f"c{self._row_of[sid]}")[self._col_of[lid]])[0]

    def _who(self, sid: int, lid: int) -> str:
        student = self.students[self._row_of[sid]]["short"]
        return f"{student}, {self.lessons[self._col_of[lid]]['label']}"

    @requires(Permission.MARK_WRITE)
    async def paste_cells(self, payload: str) -> Any:
        """A block pasted from a spreadsheet: ``{"sids": [...], "lids": [...], "rows": [[...]]}``."""
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        sids, lids, rows = data.get("sids"), data.get("lids"), data.get("rows")
        if (
            not isinstance(sids, list)
            or not isinstance(lids, list)
            or not isinstance(rows, list)
            or not sids
            or not lids
            or len(sids) > MAX_ROWS
            or len(lids) > 200
        ):
            self._say("Вставка не распознана: скопируйте прямоугольный блок клеток.")
            return None
        keys = [self._key(f"{s}:{lesson}") for s in sids for lesson in lids]
        if any(k is None for k in keys):
            self._say("Вставка выходит за пределы страницы журнала.")
            return None
        student_ids = [int(s) for s in sids]
        lesson_ids = [int(x) for x in lids]
        if not all(isinstance(r, list) and all(isinstance(t, str) for t in r) for r in rows):
            self._say("Вставка не распознана: скопируйте прямоугольный блок клеток.")
            return None
        if any(len(t) > MAX_CELL_TEXT for r in rows for t in r):
            self._say(MSG_BAD_CELL)
            return None
        texts = [[t.strip() for t in r] for r in rows]
        reason = data.get("r")
        reason = reason if isinstance(reason, str) else ""
        needs = any(self.lessons[self._col_of[lid]]["reason"] for lid in lesson_ids)
        ack = rx.call_script("window.ejGrid && window.ejGrid.ackAll()")
        if needs and not reason.strip():
            self._pending = {
                "kind": "paste",
                "sids": student_ids,
                "lids": lesson_ids,
                "rows": texts,
            }
            self.reason_note = "В блоке есть давние уроки: укажите причину исправления."
            self.reason_open = True
            return ack
        await self._write_block(student_ids, lesson_ids, texts, reason)
        return ack

    async def _write_block(
        self, student_ids: list[int], lesson_ids: list[int], rows: list[list[str]], reason: str
    ) -> None:
        actor = self._actor()
        versions = {(s, x): self._version_of(s, x) for s in student_ids for x in lesson_ids}
        try:
            result = await run_service(
                journal.paste_block,
                actor=actor,
                lesson_ids=lesson_ids,
                student_ids=student_ids,
                rows=rows,
                expected_versions=versions,
                reason=reason,
            )
        except DomainError as e:
            self._say(e.message)
            return
        except Exception:
            log.exception("paste_block failed: user %s, lessons %s", actor.user_id, lesson_ids)
            self._unsaved(
                [
                    (sid, lid, text)
                    for sid, row in zip(student_ids, rows, strict=True)
                    for lid, text in zip(lesson_ids, row, strict=True)
                ]
            )
            self._say(
                "Вставка НЕ сохранена из-за сбоя на сервере. Значения остались в клетках: "
                "выделите клетку и нажмите Enter, чтобы сохранить её ещё раз, или вставьте "
                "блок снова."
            )
            return
        if not result.saved:
            for err in result.errors:
                if err.current is not None:
                    self._put_cells([(err.current, "c", err.message)])
                else:
                    self._flag_cell(err.student_id, err.lesson_id, "!", err.message)
            first = result.errors[0]
            self._say(
                f"Вставка не сохранена ({len(result.errors)} клет. с ошибками). "
                f"{self._who(first.student_id, first.lesson_id)}: {first.message}"
            )
            return
        self._put_cells([(c, "s", "Сохранено") for c in result.cells])
        self._attendance_shown_taken(list(result.cells))
        self._say(f"Вставлено клеток: {len(result.cells)}.", ok=True)
        await self._refresh_figures(student_ids)

    async def _refresh_figures(self, student_ids: list[int]) -> None:
        """Refresh the figures of some students (after a paste) from the page's changes."""
        actor = self._actor()
        try:
            changes = await run_service(
                journal.changes_since,
                actor=actor,
                assignment_id=self._assignment_id,
                period_id=self._period_id,
                since_audit_id=max(0, self._last_audit),
            )
        except DomainError:
            return
        for s in changes.students:
            i = self._row_of.get(s.id)
            if i is not None and s.id in student_ids:
                self._put_figures(i, figures_dict(s))

    @requires(Permission.MARK_WRITE)
    async def confirm_reason(self, form: dict[str, Any]) -> Any:
        """Save the held change (cell or paste) with the reason typed in the dialog."""
        reason = str(form.get("reason", "")).strip()
        pending, self._pending = self._pending, {}
        self.reason_open = False
        if not reason:
            self._say("Причина не указана: изменение не сохранено.")
            return rx.call_script("window.ejGrid && window.ejGrid.ackAll()")
        if pending.get("kind") == "cell":
            await self._write_cell(
                pending["sid"], pending["lid"], pending["t"], pending["v"], reason
            )
        elif pending.get("kind") == "paste":
            await self._write_block(pending["sids"], pending["lids"], pending["rows"], reason)
        return rx.call_script("window.ejGrid && window.ejGrid.ackAll()")
