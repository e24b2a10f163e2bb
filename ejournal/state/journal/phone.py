"""``/lesson``: one lesson on a phone — a list of the students with big buttons for 2–5 and
«н», for a teacher marking during the lesson. The same services, rules and versions as the
grid (`journal.set_cell`): a cell someone else changed meanwhile is not overwritten."""

from __future__ import annotations

from typing import Any, TypedDict

import reflex as rx

from ejournal.domain import journal
from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.journal import CellState
from ejournal.domain.numbers import int_or_none
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service

#: What a button may write: a mark, «н», or nothing (clear).
VALUES = ("5", "4", "3", "2", "н", "")


class PupilRow(TypedDict):
    id: int
    name: str
    text: str  # "5", "54", "н" or ""
    version: int
    note: str  # a refusal or a conflict for this student, "" when none


class LessonMarkingState(SessionState):
    """The lesson on a phone: who is in it and what each has; a tap writes one cell."""

    title: str = ""
    subtitle: str = ""
    journal_link: str = ""
    pupils: list[PupilRow] = []
    can_write: bool = False
    marks_allowed: bool = True
    needs_reason: bool = False
    load_error: str = ""
    _lesson_id: int = 0

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """Open ``/lesson?a=<assignment>&p=<period>&l=<lesson>``."""
        params = self.router.url.query_parameters
        a, p, lid = (int_or_none(params.get(k)) for k in ("a", "p", "l"))
        self.pupils = []
        if a is None or p is None or lid is None:
            self.load_error = "Урок не выбран: откройте его из «Мои уроки»."
            return None
        try:
            page = await run_service(
                journal.load_page, actor=self._actor(), assignment_id=a, period_id=p
            )
        except DomainError as e:
            self.load_error = e.message
            return None
        column = next((c for c in page.lessons if c.id == lid), None)
        if column is None:
            self.load_error = "Урок не найден на этой странице журнала."
            return None
        self.load_error = ""
        self._lesson_id = lid
        group = page.class_name + (f", {page.subgroup_name}" if page.subgroup_name else "")
        self.title = f"{group} — {page.subject_name}"
        self.subtitle = f"{column.label}, {column.number}-й урок" + (
            f" · {column.work_type_name}" if column.work_type_name else ""
        )
        self.journal_link = f"/journal?a={a}&p={p}&l={lid}"
        self.can_write = column.editable
        self.marks_allowed = page.marks_allowed
        self.needs_reason = column.needs_reason
        self.pupils = [
            _row(s.id, s.short_name, page.cell(s.id, lid))
            for s in page.students
            if lid not in s.not_enrolled_lesson_ids
        ]
        return None

    @requires(Permission.MARK_WRITE)
    async def put(self, student_id: int, value: str) -> Any:
        """A tap: write `value` (2–5, «н» or "" to clear) for the student in this lesson."""
        i = next((k for k, r in enumerate(self.pupils) if r["id"] == student_id), None)
        if i is None or value not in VALUES or not self._lesson_id:
            return rx.toast.error("Учащийся не найден на этом уроке: обновите страницу.")
        row = self.pupils[i]
        if self.needs_reason:
            return rx.toast.error(
                "Урок прошёл давно: исправления с причиной вносятся в журнале на компьютере."
            )
        text = "" if value == row["text"] else value  # a second tap on the same value clears
        try:
            result = await run_service(
                journal.set_cell,
                actor=self._actor(),
                lesson_id=self._lesson_id,
                student_id=student_id,
                text=text,
                expected_version=row["version"],
            )
        except ConflictError as e:
            current = e.current if isinstance(e.current, CellState) else None
            fresh = _row(student_id, row["name"], current) if current else dict(row)
            fresh["note"] = e.message
            self.pupils[i] = fresh  # type: ignore[assignment]
            return rx.toast.warning(f"{row['name']}: {e.message}")
        except DomainError as e:
            self.pupils[i] = {**row, "note": e.message}
            return rx.toast.error(f"{row['name']}: {e.message}")
        self.pupils[i] = _row(student_id, row["name"], result.cell)
        return None


def _row(student_id: int, name: str, cell: CellState | None) -> PupilRow:
    return {
        "id": student_id,
        "name": name,
        "text": cell.text if cell else "",
        "version": cell.version if cell else 0,
        "note": "",
    }
