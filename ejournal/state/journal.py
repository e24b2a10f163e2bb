"""The teacher's journal: the home lists (``/teacher``, ``/class``) and the grid (``/journal``).

How the grid stays cheap on the wire: Reflex sends the whole value of every var an event
changed, so the grid is NOT one big dict. Each student row has its own var: ``c<i>`` (the
row's cell codes, aligned with ``lessons``) and ``f<i>`` (the row's figures). One edit
re-sends one row (a few hundred bytes), never the page. A cell code is
``"text~version~flags~title"``: flags ``x`` not enrolled that day, ``e`` excused absence,
``m`` control work without a mark, ``s`` just saved, ``!`` refused, ``c`` conflict.

The browser talks to the grid through two hidden inputs (``ej-bus-cell``,
``ej-bus-paste``) that ``assets/journal_grid.js`` fills with JSON; every handler treats
that JSON as hostile: it parses, bounds and checks it against the page it has loaded,
and the domain service checks the permission on the object.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from decimal import Decimal
from typing import Any

import reflex as rx

from ejournal.domain import journal, profile, slips, work_types
from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.grading import MSG_ONLY_MARKS
from ejournal.domain.journal import (
    CellState,
    JournalPage,
    LessonColumn,
    LessonItem,
    PageRef,
    StudentRow,
)
from ejournal.domain.models import RemarkKind
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service

#: Rows the page can show: one var pair per row (see the module docstring).
log = logging.getLogger("ejournal.state.journal")

MAX_ROWS = 45
#: Longer than any cell value (two marks, spaces): the domain's parser judges the rest.
MAX_CELL_TEXT = 16
MSG_BAD_CELL = f"{MSG_ONLY_MARKS}."
SEP = "~"
POLL_SECONDS = 2.5
#: Flags that describe the last write to a cell (dropped when the cell changes again).
WRITE_FLAGS = "s!cu"


# --------------------------------------------------------------------------- plain data


def _num(value: Decimal | None) -> str:
    """4.25 → "4,25" (Russian decimal comma); None → ""."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _date_ru(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


def period_mark_text(value: int | None, not_attested: bool) -> str:
    if not_attested:
        return "не атт."
    return "" if value is None else str(value)


def cell_code(
    cell: CellState, *, enrolled: bool, missing: bool, write: str = "", note: str = ""
) -> str:
    """One cell for the browser: ``text~version~flags~title``."""
    flags = ("" if enrolled else "x") + ("e" if cell.excused else "") + ("m" if missing else "")
    flags += write
    title = note
    if not title and cell.excused and cell.attendance is not None:
        title = f"Уважительная причина: {cell.attendance.reason}"
    elif not title and not enrolled:
        title = "Учащийся не числился в классе в этот день"
    return SEP.join((cell.text, str(cell.version), flags, title.replace(SEP, "-")))


def code_parts(code: str) -> tuple[str, int, str, str]:
    text, version, flags, title = [*code.split(SEP, 3), "", "0", "", ""][:4]
    return text, int(version or 0), flags, title


def lesson_dict(c: LessonColumn, *, two_marks: bool) -> dict[str, str]:
    """A lesson column for the browser (strings only)."""
    hover = [f"{_date_ru(c.date)}, {c.number}-й урок"]
    if c.work_type_name:
        hover.append(c.work_type_name)
    hover.append(f"Тема: {c.topic}" if c.topic else "Тема не записана")
    if c.homework:
        hover.append(f"Д/з: {c.homework}")
    if c.cancelled:
        hover.append("Урок отменён")
    return {
        "id": str(c.id),
        "date": c.date.isoformat(),
        "label": c.label,
        "number": str(c.number),
        "wt": c.work_type,
        "wt_id": str(c.work_type_id or ""),
        "wt_name": c.work_type_name,
        "topic": c.topic,
        "plan_id": str(c.plan_item_id or ""),
        "homework": c.homework,
        "links": "\n".join(c.homework_links),
        "editable": "1" if c.editable else "",
        "lock": c.lock_reason,
        "reason": "1" if c.needs_reason else "",
        "control": "1" if c.is_control else "",
        "cancelled": "1" if c.cancelled else "",
        "two": "1" if two_marks else "",
        "version": str(c.version),
        "title": "\n".join(hover),
    }


def figures_dict(s: StudentRow) -> dict[str, str]:
    pm = s.period_mark
    ym = s.year_mark
    return {
        "n": str(s.marks_count) if s.marks_count else "",
        "a": str(s.absences) if s.absences else "",
        "au": str(s.absences_unexcused),
        "avg": _num(s.average),
        "s": str(s.suggested or ""),
        "pm": period_mark_text(pm.value, pm.not_attested) if pm else "",
        "pm_title": pm.justification if pm else "",
        "pm_off": "1" if pm and pm.value is not None and pm.value != s.suggested else "",
        "pv": str(pm.version) if pm else "0",
        "ym": period_mark_text(ym.value, ym.not_attested) if ym else "",
        "yv": str(ym.version) if ym else "0",
        "ys": str(s.year_suggested or ""),
        "na": "1" if s.may_be_unattested else "",
    }


def _with_period_mark(
    figures: dict[str, str], result: journal.PeriodMarkResult, *, year: bool
) -> dict[str, str]:
    """A row's figures with a stored period (or year) mark and its version; edits `figures`."""
    text = period_mark_text(result.value, result.not_attested)
    if year:
        figures["ym"], figures["yv"] = text, str(result.version)
    else:
        figures["pm"], figures["pv"] = text, str(result.version)
        figures["pm_title"] = result.justification
        figures["pm_off"] = (
            "1" if result.value is not None and result.value != result.suggested else ""
        )
    return figures


def lesson_item_dict(i: LessonItem) -> dict[str, str]:
    place = f"{i.class_name}" + (f", {i.subgroup_name}" if i.subgroup_name else "")
    note = ""
    if i.is_substitute:
        note = "Замена"
    elif i.substituted_by is not None:
        note = "Вас заменяют"
    if i.cancelled:
        note = "Отменён"
    return {
        "lesson_id": str(i.lesson_id or ""),
        "assignment_id": str(i.assignment_id),
        "period_id": str(i.period_id or ""),
        "number": str(i.number),
        "time": i.starts_at.strftime("%H:%M") if i.starts_at else "",
        "place": place,
        "subject": i.subject_name,
        "topic": i.topic,
        "room": i.room,
        "note": note,
        "href": (
            f"/journal?a={i.assignment_id}&p={i.period_id}"
            + (f"&l={i.lesson_id}" if i.lesson_id else "")
            if i.period_id
            else ""
        ),
    }


def page_groups(pages: list[PageRef], today: dt.date) -> list[dict[str, Any]]:
    """Pages grouped by class × subject, each with its periods (the current one marked)."""
    groups: dict[int, dict[str, Any]] = {}
    for p in pages:
        g = groups.setdefault(
            p.assignment_id,
            {
                "title": f"{p.class_name}"
                + (f", {p.subgroup_name}" if p.subgroup_name else "")
                + f" — {p.subject_name}",
                "teacher": p.teacher_name,
                "periods": [],
            },
        )
        g["periods"].append(
            {
                "label": p.period_name,
                "href": f"/journal?a={p.assignment_id}&p={p.period_id}",
                "current": "1" if p.starts_on <= today <= p.ends_on else "",
            }
        )
    return list(groups.values())


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- homes


class TeacherHomeState(SessionState):
    """``/teacher``: today's lessons and the picker of the teacher's own pages."""

    day_label: str = ""
    lessons: list[dict[str, str]] = []
    groups: list[dict[str, Any]] = []
    home_error: str = ""
    _today: str = ""

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """Today's lessons (own, substitutions, slots not yet opened) and own pages."""
        actor = self._actor()
        today = dt.date.today()
        self._today = today.isoformat()
        weekdays = (
            "понедельник",
            "вторник",
            "среда",
            "четверг",
            "пятница",
            "суббота",
            "воскресенье",
        )
        self.day_label = f"Сегодня {weekdays[today.weekday()]}, {_date_ru(today)}"
        try:
            items = await run_service(journal.list_teacher_lessons, actor=actor, on=today)
            pages = await run_service(journal.list_pages, actor=actor)
        except DomainError as e:
            self.home_error = e.message
            return None
        self.home_error = ""
        self.lessons = [lesson_item_dict(i) for i in items]
        self.groups = page_groups([p for p in pages if p.own], today)
        return None

    @requires(Permission.LESSON_WRITE)
    async def open_slot(self, assignment_id: str, number: str) -> Any:
        """Open today's lesson for a timetable slot that has none yet, then go to its page."""
        actor = self._actor()
        a, n = _int(assignment_id), _int(number)
        if a is None or n is None:
            return rx.toast.error("Неверный урок.")
        today = dt.date.fromisoformat(self._today) if self._today else dt.date.today()
        try:
            column = await run_service(
                journal.create_lesson, actor=actor, assignment_id=a, on=today, number=n
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        period = next((x["period_id"] for x in self.lessons if x["assignment_id"] == str(a)), "")
        return rx.redirect(f"/journal?a={a}&p={period}&l={column.id}")


WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def absence_dict(a: journal.AbsenceItem, class_label: str) -> dict[str, str]:
    """An unexcused absence for the class teacher's list (strings only)."""
    return {
        "id": str(a.attendance_id),
        "version": str(a.version),
        "student": a.student_name,
        "class": class_label,
        "date": a.date.strftime("%d.%m"),
        "weekday": WEEKDAYS[a.date.weekday()],
        "number": str(a.number),
        "subject": a.subject_name,
    }


class ClassHomeState(SessionState):
    """``/class``: the class teacher's class, every subject's page (read-only), and the
    recent absences without a valid reason, excused right from the list."""

    groups: list[dict[str, Any]] = []
    own_classes: list[dict[str, str]] = []
    home_error: str = ""
    absences: list[dict[str, str]] = []
    absences_since: str = ""

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def load(self) -> Any:
        """Every page of the actor's own class(es)."""
        actor = self._actor()
        try:
            pages = await run_service(journal.list_pages, actor=actor)
            classes = await run_service(profile.class_choices, school_id=actor.school_id)
        except DomainError as e:
            self.home_error = e.message
            return None
        self.home_error = ""
        own = [p for p in pages if p.class_id in actor.class_teacher_of]
        self.groups = page_groups(own, dt.date.today())
        self.own_classes = [
            {"id": str(cid), "name": name} for cid, name in classes if cid in actor.class_teacher_of
        ]
        try:
            await self._load_absences()
        except DomainError as e:
            self.home_error = e.message
        return None

    async def _load_absences(self) -> None:
        """The own classes' absences without a valid reason for the last few weeks."""
        actor = self._actor()
        since = dt.date.today() - dt.timedelta(weeks=journal.ABSENCE_WEEKS)
        several = len(self.own_classes) > 1
        rows: list[dict[str, str]] = []
        for c in self.own_classes:
            items = await run_service(
                journal.unexcused_absences, actor=actor, class_id=int(c["id"]), since=since
            )
            rows += [absence_dict(a, c["name"] if several else "") for a in items]
        self.absences = rows
        self.absences_since = since.strftime("%d.%m.%Y")

    @requires(Permission.ATTENDANCE_EXCUSE)
    async def excuse(self, form: dict[str, Any]) -> Any:
        """Excuse one listed absence with the reason typed next to it."""
        attendance_id = _int(form.get("id"))
        listed = next((a for a in self.absences if a["id"] == str(attendance_id)), None)
        if attendance_id is None or listed is None:
            return rx.toast.error("Пропуск не найден в списке: обновите страницу.")
        try:
            await run_service(
                journal.excuse_absence,
                actor=self._actor(),
                attendance_id=attendance_id,
                reason=str(form.get("reason", "")),
                expected_version=_int(listed["version"]) or 0,
            )
        except ConflictError as e:
            await self._load_absences()
            return rx.toast.error(e.message)
        except DomainError as e:
            return rx.toast.error(e.message)
        self.absences = [a for a in self.absences if a["id"] != listed["id"]]
        return rx.toast.success(
            f"Пропуск {listed['date']} ({listed['subject']}) отмечен как уважительный: "
            f"{listed['student']}."
        )

    @requires(Permission.CREDENTIALS_ISSUE)
    async def download_class_slips(self, class_id: int) -> Any:
        """Credential slips (PDF) for the students and parents of the actor's class."""
        try:
            pdf = await run_service(
                slips.class_slips_pdf, actor=self._actor(), class_id=int(class_id)
            )
        except (DomainError, TypeError, ValueError) as e:
            return rx.toast.error(getattr(e, "message", "Неверный класс."))
        return rx.download(data=pdf, filename=f"rekvizity-klass-{int(class_id)}.pdf")


#: Up to this many class × subject cards the picker shows them all at once; more (the
#: deputy and director read some 300) are shown one class at a time.
PICKER_ALL_LIMIT = 24
ALL_CLASSES = ""


class JournalPickerState(SessionState):
    """``/journal`` without a page: every page the viewer may read (deputy, director),
    one class at a time when there are many."""

    groups: list[dict[str, Any]] = []
    classes: list[str] = []
    chosen_class: str = ALL_CLASSES
    show_all_allowed: bool = True
    picker_error: str = ""
    _by_class: dict[str, list[dict[str, Any]]] = {}

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """Pages visible to the actor, grouped by class and subject."""
        actor = self._actor()
        try:
            pages = await run_service(journal.list_pages, actor=actor)
        except DomainError as e:
            self.picker_error = e.message
            return None
        self.picker_error = ""
        by_class: dict[str, list[PageRef]] = {}
        for p in pages:
            by_class.setdefault(p.class_name, []).append(p)
        today = dt.date.today()
        self._by_class = {name: page_groups(refs, today) for name, refs in by_class.items()}
        self.classes = list(self._by_class)
        total = sum(len(g) for g in self._by_class.values())
        self.show_all_allowed = total <= PICKER_ALL_LIMIT
        if self.chosen_class not in self._by_class:
            self.chosen_class = (
                ALL_CLASSES if self.show_all_allowed or not self.classes else self.classes[0]
            )
        self._show()
        return None

    def _show(self) -> None:
        if self.chosen_class == ALL_CLASSES:
            self.groups = [g for groups in self._by_class.values() for g in groups]
        else:
            self.groups = self._by_class.get(self.chosen_class, [])

    @requires(Permission.JOURNAL_READ)
    async def choose_class(self, class_name: str) -> Any:
        """Show the pages of one class (or of every class, where they are few)."""
        name = str(class_name)
        if name == ALL_CLASSES and self.show_all_allowed:
            self.chosen_class = ALL_CLASSES
        elif name in self._by_class:
            self.chosen_class = name
        else:
            return rx.toast.error("Такого класса нет среди доступных страниц журнала.")
        self._show()
        return None


# --------------------------------------------------------------------------- the grid


class JournalState(SessionState):
    """One journal page: the grid, its dialogs, and live updates."""

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
    lessons: list[dict[str, str]] = []
    students: list[dict[str, str]] = []
    n_rows: int = 0
    message: str = ""  # the last refusal or conflict, in Russian
    message_ok: bool = False

    # The lesson panel.
    panel_open: bool = False
    panel: dict[str, str] = {}
    panel_topic: str = ""
    panel_plan_id: str = ""
    plan_items: list[dict[str, str]] = []
    work_type_options: list[dict[str, str]] = []
    panel_error: str = ""

    # Adding a lesson.
    add_open: bool = False
    add_error: str = ""

    # A reason for a change older than the edit lock.
    reason_open: bool = False
    reason_note: str = ""

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

    _assignment_id: int = 0
    _period_id: int = 0
    _year_period_id: int = 0
    _last_audit: int = 0
    _row_of: dict[int, int] = {}
    _col_of: dict[int, int] = {}
    _pending: dict[str, Any] = {}
    _two_by_wt: dict[int, bool] = {}
    _page_two: bool = False

    # ------------------------------------------------------------------ helpers

    def _row_codes(self, i: int) -> list[str]:
        return list(getattr(self, f"c{i}"))

    def _put_row(self, i: int, codes: list[str]) -> None:
        if codes != getattr(self, f"c{i}"):
            setattr(self, f"c{i}", codes)

    def _put_figures(self, i: int, figures: dict[str, str]) -> None:
        if figures != getattr(self, f"f{i}"):
            setattr(self, f"f{i}", figures)

    def _missing(self, j: int, cell: CellState, enrolled: bool) -> bool:
        col = self.lessons[j]
        return bool(
            col["control"]
            and not col["cancelled"]
            and enrolled
            and cell.text == ""
            and col["date"] <= dt.date.today().isoformat()
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
        text, version, flags, _ = code_parts(codes[j])
        flags = "".join(f for f in flags if f not in WRITE_FLAGS) + write
        codes[j] = SEP.join((text, str(version), flags, note.replace(SEP, "-")))
        self._put_row(i, codes)

    def _unsaved(self, cells: list[tuple[int, int, str]]) -> None:
        """Show typed values that the server could not store: kept in their cells, flagged."""
        rows: dict[int, list[str]] = {}
        for sid, lid, typed in cells:
            i, j = self._row_of.get(sid), self._col_of.get(lid)
            if i is None or j is None:
                continue
            codes = rows.setdefault(i, self._row_codes(i))
            _, version, flags, _ = code_parts(codes[j])
            flags = "".join(f for f in flags if f not in WRITE_FLAGS) + "u"
            note = "Не сохранено: нажмите Enter в клетке, чтобы сохранить ещё раз."
            codes[j] = SEP.join((typed.replace(SEP, ""), str(version), flags, note))
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
        sid, lid = _int(s), _int(lesson)
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
        self._two_by_wt = {t.id: t.allows_two_marks for t in types}
        self._page_two = page.two_marks_allowed
        group = page.class_name + (f", {page.subgroup_name}" if page.subgroup_name else "")
        self.title = f"{page.subject_name}, {group}"
        self.subtitle = (
            f"{page.period.name}: {_date_ru(page.period.starts_on)} – "
            f"{_date_ru(page.period.ends_on)} · учитель {page.teacher_name}"
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
        self.students = [
            {"id": str(s.id), "num": str(s.number), "name": s.full_name, "short": s.short_name}
            for s in rows
        ]
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
            self._put_figures(i, {})
        self.loaded = True

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
        """Open the page named by the URL (``?a=<assignment>&p=<period>[&l=<lesson>]``)."""
        params = self.router.url.query_parameters
        a, p = _int(params.get("a")), _int(params.get("p"))
        self.loaded = False
        self.message = ""
        self.panel_open = self.reason_open = self.pm_open = False
        self.remark_open = self.excuse_open = self.add_open = False
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
        lesson = _int(params.get("l"))
        if lesson is None or lesson not in self._col_of:
            lesson = 0
        # On a reload the browser first shows the grid of the last visit (Reflex hydrates the
        # stored state): the grid script takes edits only once the grid on screen carries this
        # load's key (rendered from the delta) and this script has run.
        self.load_key = f"{a}:{p}:{secrets.token_hex(4)}"
        return rx.call_script(
            f'window.ejLoaded = "{self.load_key}"; '
            f"window.ejGrid && window.ejGrid.showLesson({lesson})"
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
        version = _int(data.get("v"))
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
            self._flag_cell(sid, lid, "!", e.message)
            self._say(f"{self._who(sid, lid)}: {e.message}")
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
        i = self._row_of[sid]
        figures = dict(getattr(self, f"f{i}"))
        figures.update(
            n=str(result.marks_count) if result.marks_count else "",
            a=str(result.absences) if result.absences else "",
            avg=_num(result.average),
            s=str(result.suggested or ""),
        )
        self._put_figures(i, figures)
        if self.message and not self.message_ok:
            self.message = ""

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

    @requires(Permission.JOURNAL_READ)
    async def close_dialogs(self, open_: bool = False) -> Any:
        """Any dialog closed (Esc, outside click, «Отмена»): drop what it held."""
        if open_:
            return None
        if self.reason_open and self._pending:
            self._say("Изменение не сохранено: причина не указана.")
        self._pending = {}
        self.reason_open = self.panel_open = self.pm_open = False
        self.remark_open = self.excuse_open = self.add_open = False
        return rx.call_script("window.ejGrid && window.ejGrid.ackAll()")

    # ------------------------------------------------------------------ lesson column

    @requires(Permission.JOURNAL_READ)
    async def open_lesson(self, lesson_id: str) -> Any:
        """The column header: show the lesson's topic, homework and work type."""
        lid = _int(lesson_id)
        if lid is None or lid not in self._col_of:
            return None
        self.panel = dict(self.lessons[self._col_of[lid]])
        self.panel_topic = self.panel["topic"]
        self.panel_plan_id = self.panel["plan_id"]
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
    async def save_lesson(self, form: dict[str, Any]) -> Any:
        """Save the panel: topic (typed or from the КТП), homework, links, work type."""
        lid = _int(self.panel.get("id"))
        if lid is None or lid not in self._col_of:
            return None
        actor = self._actor()
        # The form holds what is in the field now (its change events are debounced).
        topic = str(form.get("topic", self.panel_topic))
        plan_id = _int(self.panel_plan_id) if topic.strip() == self.panel_topic.strip() else None
        wt = _int(form.get("work_type"))
        try:
            column = await run_service(
                journal.set_lesson_details,
                actor=actor,
                lesson_id=lid,
                expected_version=_int(self.panel.get("version")) or 0,
                topic=topic,
                plan_item_id=plan_id,
                homework=str(form.get("homework", "")),
                homework_links=str(form.get("links", "")),
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
        number = _int(form.get("number"))
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
        sid = _int(student_id)
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
        sid = _int(self.pm.get("sid"))
        if sid is None or sid not in self._row_of:
            return None
        year = self.pm.get("which") == "year"
        period_id = self._year_period_id if year else self._period_id
        choice = str(form.get("value", "")).strip()
        value = _int(choice)
        not_attested = choice == "na"
        actor = self._actor()
        i = self._row_of[sid]
        figures = dict(getattr(self, f"f{i}"))
        # The version the page last saw (kept fresh by polling); a stale one is a conflict.
        version = _int(figures.get("yv" if year else "pv")) or 0
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
            )
        except ConflictError as e:
            if isinstance(e.current, journal.PeriodMarkResult):
                self._put_figures(i, _with_period_mark(figures, e.current, year=year))
                self.pm = {**self.pm, "current": figures["ym" if year else "pm"]}
            self.pm_error = e.message
            return None
        except DomainError as e:
            self.pm_error = e.message
            return None
        self._put_figures(i, _with_period_mark(figures, result, year=year))
        self.pm_error = ""
        self.pm_open = False
        return None

    # ------------------------------------------------------------------ remarks, excuses

    @requires(Permission.REMARK_WRITE)
    async def open_remark(self, student_id: str) -> Any:
        """A remark or praise to the parents for a student of the page."""
        sid = _int(student_id)
        if sid is None or sid not in self._row_of:
            return None
        self.remark = {"sid": str(sid), "name": self.students[self._row_of[sid]]["name"]}
        self.remark_error = ""
        self.remark_open = True
        return None

    @requires(Permission.REMARK_WRITE)
    async def save_remark(self, form: dict[str, Any]) -> Any:
        """Write the remark or praise into the student's diary."""
        sid = _int(self.remark.get("sid"))
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
                expected_version=_int(self.excuse.get("version")) or 0,
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


for _i in range(MAX_ROWS):
    JournalState.add_var(f"c{_i}", list[str], [])
    JournalState.add_var(f"f{_i}", dict[str, str], {})
del _i
