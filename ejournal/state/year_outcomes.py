"""The year's results section of ``/records``: promotion decisions per student (class
teacher, deputy), their approval (director), and the exam and final marks of grades 9/11.

Every handler is authorized by ``@requires`` and the service re-checks the class, the
subject and the student; a refused save keeps what the user typed on screen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import reflex as rx

from ejournal.domain.errors import ConflictError, DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.records import outcomes
from ejournal.domain.records.outcomes import DECISION_LABELS
from ejournal.state.base import SessionState, requires, run_service

#: (value, label) of the decision select, in the order the regulation lists them.
DECISION_CHOICES: list[dict[str, str]] = [
    {"value": k, "label": v} for k, v in DECISION_LABELS.items()
]


def _date(d: dt.date | None) -> str:
    return d.strftime("%d.%m.%Y") if d else ""


def _summary(counts: dict[str, int], missing: int) -> str:
    text = " · ".join(f"«{k}»: {v}" for k, v in counts.items() if v)
    if missing:
        text = (text + " · " if text else "") + f"нет отметки: {missing}"
    return text or "нет годовых отметок"


def _row(r: outcomes.OutcomeRow) -> dict[str, str]:
    suggestion = DECISION_LABELS.get(r.suggestion or "", "")
    if r.suggested_debt and r.suggestion:
        suggestion += f" ({r.suggested_debt})"
    left = ""
    if r.left_on:
        left = f"выбыл(а) {_date(r.left_on)}" + (f", приказ {r.left_order}" if r.left_order else "")
    return {
        "student_id": str(r.student_id),
        "number": str(r.number),
        "full_name": r.full_name,
        "summary": _summary(r.counts, r.missing),
        "suggestion": suggestion or "—",
        "note": r.note,
        "decision": r.decision,
        # A conditional promotion starts with the subjects of the «2» and «н/а» year marks.
        "debt": r.debt_subjects or r.suggested_debt,
        "order": r.order_number,
        "decided_on": _date(r.decided_on),
        "version": str(r.version),
        "approved": "1" if r.approved else "",
        "left": left,
        "saved": "1" if r.version else "",
    }


def _exam_row(r: outcomes.ExamRow) -> dict[str, str]:
    return {
        "student_id": str(r.student_id),
        "number": str(r.number),
        "full_name": r.full_name,
        "year_mark": r.year_mark or "—",
        "exam": r.exam,
        "exam_version": str(r.exam_version),
        "suggested": "" if r.suggested_final is None else str(r.suggested_final),
        "final": r.final,
        "final_version": str(r.final_version),
    }


class YearOutcomesState(SessionState):
    """Decisions and exam marks of the chosen class of the current year."""

    classes: list[dict[str, str]] = []  # {"id", "name", "decide", "exam"}
    class_id: str = ""
    loaded: bool = False
    grade: int = 0
    may_write: bool = False
    may_approve: bool = False
    may_decide: bool = False
    may_exam: bool = False
    rows: list[dict[str, str]] = []
    approved: bool = False
    approval_text: str = ""
    protocol: str = ""
    council_on: str = ""  # «YYYY-MM-DD» from the date input
    # Exam and final marks of one subject (grades 9 and 11).
    subjects: list[dict[str, str]] = []
    subject_id: str = ""
    exam_rows: list[dict[str, str]] = []
    exam_open: bool = False
    exam_note: str = ""
    decision_choices: list[dict[str, str]] = DECISION_CHOICES

    # ----------------------------------------------------------------- loading

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """On page load: the classes the actor decides, approves or enters exam marks in."""
        try:
            found = await run_service(outcomes.outcome_classes, actor=self._actor())
        except DomainError as e:
            self.classes, self.loaded = [], True
            return rx.toast.error(e.message)
        self.classes = [
            {
                "id": str(c.id),
                "name": c.name,
                "decide": "1" if c.may_decide else "",
                "exam": "1" if c.may_exam else "",
            }
            for c in found
        ]
        if self.class_id not in {c["id"] for c in self.classes}:
            self.class_id = self.classes[0]["id"] if self.classes else ""
        self.loaded = True
        return await self._refresh()

    @requires(Permission.JOURNAL_READ)
    async def choose_class(self, value: str) -> Any:
        """Pick a class among those listed (the services check it again)."""
        if value not in {c["id"] for c in self.classes}:
            return None
        self.class_id, self.subject_id = value, ""
        return await self._refresh()

    def _chosen(self) -> dict[str, str] | None:
        return next((c for c in self.classes if c["id"] == self.class_id), None)

    async def _refresh(self) -> Any:
        chosen = self._chosen()
        self.rows, self.exam_rows, self.subjects = [], [], []
        self.may_decide = bool(chosen and chosen["decide"])
        self.may_exam = bool(chosen and chosen["exam"])
        if chosen is None:
            return None
        class_id = int(chosen["id"])
        try:
            if self.may_decide:
                page = await run_service(
                    outcomes.class_outcomes, actor=self._actor(), class_id=class_id
                )
                self._show(page)
            if self.may_exam:
                await self._load_exam(class_id)
        except DomainError as e:
            return rx.toast.error(e.message)
        return None

    def _show(self, page: outcomes.ClassOutcomes) -> None:
        self.grade = page.grade
        self.may_write, self.may_approve = page.may_write, page.may_approve
        self.rows = [_row(r) for r in page.rows]
        self.approved = page.approved
        self.approval_text = (
            f"Утверждено директором: протокол № {page.council_protocol}, {_date(page.council_on)}"
            if page.approved
            else ""
        )

    async def _load_exam(self, class_id: int) -> None:
        subject = int(self.subject_id) if self.subject_id.isdigit() else None
        sheet = await run_service(
            outcomes.exam_sheet, actor=self._actor(), class_id=class_id, subject_id=subject
        )
        self.subjects = [{"id": str(i), "name": n} for i, n in sheet.subjects]
        self.subject_id = str(sheet.subject_id)
        self.exam_rows = [_exam_row(r) for r in sheet.rows]
        self.exam_open = sheet.is_open
        self.exam_note = (
            ""
            if sheet.is_open
            else f"Отметки за экзамен вводятся после окончания года — с {_date(sheet.open_from)}."
        )

    # ----------------------------------------------------------------- decisions

    def _edit(self, student_id: str, key: str, value: str) -> None:
        self.rows = [
            r | {key: value[:300]} if r["student_id"] == student_id else r for r in self.rows
        ]

    @requires(Permission.YEAR_OUTCOME_WRITE)
    async def edit_decision(self, student_id: str, value: str) -> None:
        """Change the decision shown in a row (saved by «Сохранить»)."""
        self._edit(student_id, "decision", value)

    @requires(Permission.YEAR_OUTCOME_WRITE)
    async def edit_debt(self, student_id: str, value: str) -> None:
        """Change the debt subjects shown in a row."""
        self._edit(student_id, "debt", value)

    @requires(Permission.YEAR_OUTCOME_WRITE)
    async def edit_order(self, student_id: str, value: str) -> None:
        """Change the order number shown in a row."""
        self._edit(student_id, "order", value)

    @requires(Permission.YEAR_OUTCOME_WRITE)
    async def save_row(self, student_id: str) -> Any:
        """«Сохранить»: one student's decision, guarded by the version the row was read at."""
        row = next((r for r in self.rows if r["student_id"] == student_id), None)
        if row is None or not self.class_id.isdigit():
            return rx.toast.error("Учащийся не найден: обновите страницу.")
        if not row["decision"]:
            return rx.toast.error("Выберите решение.")
        try:
            saved = await run_service(
                outcomes.set_year_outcome,
                actor=self._actor(),
                class_id=int(self.class_id),
                student_id=int(student_id),
                decision=row["decision"],
                expected_version=int(row["version"] or 0),
                debt_subjects=row["debt"],
                order_number=row["order"],
            )
        except ConflictError as e:
            return rx.toast.error(e.message, duration=15000)
        except DomainError as e:
            return rx.toast.error(e.message)
        self.rows = [_row(saved) if r["student_id"] == student_id else r for r in self.rows]
        return rx.toast.success(f"Решение сохранено: {saved.full_name}.")

    @requires(Permission.YEAR_OUTCOME_WRITE)
    async def fill_by_marks(self) -> Any:
        """«Заполнить по отметкам»: the suggestion for every student without a decision."""
        if not self.class_id.isdigit():
            return rx.toast.error("Выберите класс.")
        try:
            n = await run_service(
                outcomes.fill_year_outcomes, actor=self._actor(), class_id=int(self.class_id)
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._refresh()
        return rx.toast.success(f"Заполнено решений: {n}.")

    # ----------------------------------------------------------------- approval

    @requires(Permission.YEAR_OUTCOME_APPROVE)
    async def edit_protocol(self, value: str) -> None:
        self.protocol = value[:32]

    @requires(Permission.YEAR_OUTCOME_APPROVE)
    async def edit_council_on(self, value: str) -> None:
        self.council_on = value[:10]

    @requires(Permission.YEAR_OUTCOME_APPROVE)
    async def approve(self) -> Any:
        """«Утвердить решения класса» with the council's protocol number and date."""
        if not self.class_id.isdigit():
            return rx.toast.error("Выберите класс.")
        try:
            on = dt.date.fromisoformat(self.council_on) if self.council_on else None
        except ValueError:
            return rx.toast.error("Дата педагогического совета — в формате ДД.ММ.ГГГГ.")
        try:
            n = await run_service(
                outcomes.approve_year_outcomes,
                actor=self._actor(),
                class_id=int(self.class_id),
                council_protocol=self.protocol,
                council_on=on,
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._refresh()
        return rx.toast.success(f"Утверждено решений: {n}.")

    @requires(Permission.YEAR_OUTCOME_APPROVE)
    async def return_decisions(self) -> Any:
        """«Вернуть на доработку»: the class teacher may change the decisions again."""
        if not self.class_id.isdigit():
            return rx.toast.error("Выберите класс.")
        try:
            await run_service(
                outcomes.return_year_outcomes, actor=self._actor(), class_id=int(self.class_id)
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        await self._refresh()
        return rx.toast.success("Решения возвращены классному руководителю.")

    # ----------------------------------------------------------------- exam marks

    @requires(Permission.JOURNAL_READ)
    async def choose_subject(self, value: str) -> Any:
        if value not in {s["id"] for s in self.subjects} or not self.class_id.isdigit():
            return None
        self.subject_id = value
        try:
            await self._load_exam(int(self.class_id))
        except DomainError as e:
            return rx.toast.error(e.message)
        return None

    def _edit_exam(self, student_id: str, key: str, value: str) -> None:
        self.exam_rows = [
            r | {key: value[:12]} if r["student_id"] == student_id else r for r in self.exam_rows
        ]

    @requires(Permission.JOURNAL_READ)
    async def edit_exam(self, student_id: str, value: str) -> None:
        self._edit_exam(student_id, "exam", value)

    @requires(Permission.JOURNAL_READ)
    async def edit_final(self, student_id: str, value: str) -> None:
        self._edit_exam(student_id, "final", value)

    @requires(Permission.JOURNAL_READ)
    async def save_exam(self, student_id: str) -> Any:
        """«Сохранить» in the exam table: the student's exam and final mark in the subject."""
        row = next((r for r in self.exam_rows if r["student_id"] == student_id), None)
        if row is None or not self.class_id.isdigit() or not self.subject_id.isdigit():
            return rx.toast.error("Учащийся не найден: обновите страницу.")
        try:
            saved = await run_service(
                outcomes.set_exam_marks,
                actor=self._actor(),
                class_id=int(self.class_id),
                subject_id=int(self.subject_id),
                student_id=int(student_id),
                exam=row["exam"],
                final=row["final"],
                exam_version=int(row["exam_version"] or 0),
                final_version=int(row["final_version"] or 0),
            )
        except ConflictError as e:
            return rx.toast.error(e.message, duration=15000)
        except DomainError as e:
            return rx.toast.error(e.message)
        self.exam_rows = [
            _exam_row(saved) if r["student_id"] == student_id else r for r in self.exam_rows
        ]
        return rx.toast.success(f"Отметки сохранены: {saved.full_name}.")
