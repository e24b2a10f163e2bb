"""``/class/students``: Учащиеся класса — the class list with each family's consent to
personal-data processing [003 §5.2], a form to record a parent's decision, and the paper
copies for the families that refused.

The class teacher sees their class; the secretary and the administrator pick one. Every
handler is ``@requires(STUDENT_MANAGE)`` and the services re-check the class or student;
the paper copies are the class teacher's and the secretary's only (the service says so).
A refusal that would block the family's diary accounts asks for a confirmation first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.domain.diary import paper_copies
from ejournal.domain.errors import DomainError
from ejournal.domain.models import ConsentForm
from ejournal.domain.people import consent
from ejournal.domain.people.consent import ParentDecision, StudentConsent
from ejournal.domain.permissions import Permission
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.subgroups import SubgroupsState

#: The decisions the form offers: value → words.
DECISIONS = {
    "given": "Согласие дано",
    "refused": "Отказ от согласия",
    "withdrawn": "Согласие отозвано",
}
BAD_DATE = "Укажите дату в формате ДД.ММ.ГГГГ."


@dataclass
class ParentRow:
    """A parent of the child in the consent form."""

    parent_id: int = 0
    name: str = ""
    relation: str = ""
    decision: str = ""
    decision_title: str = ""
    detail: str = ""  # «от 02.09.2026, на бумаге, Заявление № 12»
    account: str = ""  # «учётная запись заблокирована» …


@dataclass
class StudentRow:
    """One line of the class list."""

    student_id: int = 0
    name: str = ""
    href: str = ""
    parents: str = ""
    status: str = ""
    status_title: str = ""


def _date(value: Any) -> dt.date:
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DomainError(BAD_DATE)


def _student_row(s: StudentConsent) -> StudentRow:
    parents = "; ".join(
        f"{p.full_name} ({p.relation})" if p.relation else p.full_name for p in s.parents
    )
    return StudentRow(
        student_id=s.student_id,
        name=s.full_name,
        href=f"/student?id={s.student_id}",
        parents=parents or "нет сведений",
        status=s.status.value,
        status_title=s.status_title,
    )


def _parent_rows(s: StudentConsent) -> list[ParentRow]:
    rows = []
    for p in s.parents:
        detail = []
        if p.signed_on is not None:
            detail.append(f"от {p.signed_on:%d.%m.%Y}")
        if p.withdrawn_on is not None:
            detail.append(f"отозвано {p.withdrawn_on:%d.%m.%Y}")
        if p.form_title:
            detail.append(p.form_title)
        if p.document:
            detail.append(p.document)
        if not p.has_account:
            account = "нет учётной записи"
        elif p.account_active:
            account = "учётная запись действует"
        else:
            account = "учётная запись заблокирована"
        rows.append(
            ParentRow(
                parent_id=p.parent_id,
                name=p.full_name,
                relation=p.relation,
                decision=p.decision.value,
                decision_title=p.decision_title,
                detail=", ".join(detail),
                account=account,
            )
        )
    return rows


class ClassStudentsState(SessionState):
    """Учащиеся класса: list, consent, paper copies."""

    loaded: bool = False
    classes: list[dict[str, str]] = []
    class_id: str = ""
    class_name: str = ""
    students: list[StudentRow] = []
    refusing: list[StudentRow] = []
    error: str = ""

    # The consent form of one child (a dialog).
    consent_open: bool = False
    consent_student_id: int = 0
    consent_student: str = ""
    consent_parents: list[ParentRow] = []
    consent_accounts: str = ""  # the family's accounts in use, blocked on a refusal
    consent_error: str = ""
    confirm_text: str = ""  # a refusal that blocks accounts waits for «Да, записать отказ»
    form_key: int = 0
    today: str = ""
    _pending: dict[str, str] = {}

    # Paper copies.
    paper_allowed: bool = False
    paper_day: str = ""
    paper_week: str = ""
    periods: list[dict[str, str]] = []
    paper_period: str = ""
    paper_error: str = ""

    # ------------------------------------------------------------------ helpers

    def _class(self) -> int:
        try:
            return int(self.class_id)
        except ValueError:
            raise DomainError("Выберите класс.") from None

    async def _refresh(self) -> consent.ClassConsents:
        listing = await run_service(
            consent.class_consents, actor=self._actor(), class_id=self._class()
        )
        self.class_name = listing.class_name
        self.today = listing.today.isoformat()
        self.students = [_student_row(s) for s in listing.students]
        self.refusing = [_student_row(s) for s in listing.refusing]
        return listing

    async def _refresh_paper(self) -> None:
        try:
            options = await run_service(
                paper_copies.paper_options, actor=self._actor(), class_id=self._class()
            )
        except DomainError:
            self.paper_allowed = False
            return
        self.paper_allowed = True
        self.paper_day = options.day.isoformat()
        self.paper_week = options.week_start.isoformat()
        self.periods = [{"value": str(p.period_id), "label": p.name} for p in options.periods]
        self.paper_period = str(options.period_id) if options.period_id else ""
        if not self.paper_period and options.periods:
            self.paper_period = str(options.periods[0].period_id)

    def _show_student(self, s: StudentConsent) -> None:
        self.consent_student_id = s.student_id
        self.consent_student = s.full_name
        self.consent_parents = _parent_rows(s)
        self.consent_accounts = ", ".join(s.active_accounts)

    async def _load_class(self) -> None:
        self.error = ""
        self.paper_error = ""
        self.consent_open = False
        await self._refresh()
        await self._refresh_paper()

    # ------------------------------------------------------------------ handlers

    @requires(Permission.STUDENT_MANAGE)
    async def load(self) -> Any:
        """On page load: the actor's classes, the chosen one's list and paper options."""
        try:
            choices = await run_service(consent.managed_classes, actor=self._actor())
        except DomainError as e:
            self.error = e.message
            return None
        self.classes = [{"value": str(c.class_id), "label": c.name} for c in choices]
        if not self.classes:
            self.students, self.refusing = [], []
            self.error = "Нет классов, учащимися которых вы управляете."
            self.loaded = True
            return None
        if self.class_id not in {c["value"] for c in self.classes}:
            self.class_id = self.classes[0]["value"]
        try:
            await self._load_class()
        except DomainError as e:
            self.error = e.message
        self.loaded = True
        return None

    @requires(Permission.STUDENT_MANAGE)
    async def choose_class(self, class_id: str) -> Any:
        """The secretary or administrator picks another class."""
        if str(class_id) not in {c["value"] for c in self.classes}:
            return rx.toast.error("Класс не найден.")
        self.class_id = str(class_id)
        try:
            await self._load_class()
        except DomainError as e:
            self.error = e.message
            return rx.toast.error(e.message)
        # The subgroups section below follows the same class.
        return SubgroupsState.choose_class(self.class_id)

    @requires(Permission.STUDENT_MANAGE)
    async def open_consent(self, student_id: int) -> Any:
        """Open the consent form of a child of the chosen class."""
        try:
            listing = await self._refresh()
        except DomainError as e:
            return rx.toast.error(e.message)
        found = next((s for s in listing.students if s.student_id == int(student_id)), None)
        if found is None:
            return rx.toast.error("Учащийся не найден в этом классе.")
        self._show_student(found)
        self.consent_error = ""
        self.confirm_text = ""
        self._pending = {}
        self.form_key += 1
        self.consent_open = True
        return None

    @requires(Permission.STUDENT_MANAGE)
    async def consent_dialog_changed(self, value: bool) -> Any:
        """The dialog is opened or closed (closing drops a waiting confirmation)."""
        self.consent_open = bool(value) and self.consent_student_id != 0
        if not self.consent_open:
            self.confirm_text = ""
            self._pending = {}
        return None

    @requires(Permission.STUDENT_MANAGE)
    async def save_consent(self, form: dict[str, Any]) -> Any:
        """Record one parent's decision; a refusal that blocks accounts is confirmed first."""
        typed = {str(k): str(v if v is not None else "") for k, v in form.items()}
        decision = typed.get("decision", "")
        try:
            parent_id = int(typed.get("parent_id", ""))
        except ValueError:
            self.consent_error = "Родитель не найден."
            return None
        others_consent = any(
            p.decision == ParentDecision.GIVEN and p.parent_id != parent_id
            for p in self.consent_parents
        )
        own = next((p.decision for p in self.consent_parents if p.parent_id == parent_id), "")
        takes_back = decision == "refused" or (
            decision == "withdrawn" and own == ParentDecision.GIVEN
        )
        if takes_back and self.consent_accounts and not others_consent:
            self._pending = typed
            self.confirm_text = (
                "Семья останется без согласия на обработку персональных данных. "
                f"Будут заблокированы учётные записи в электронном дневнике: "
                f"{self.consent_accounts}. Семья будет получать бумажные копии. "
                "Записать отказ?"
            )
            return None
        return await self._save(typed)

    @requires(Permission.STUDENT_MANAGE)
    async def confirm_refusal(self) -> Any:
        """«Да, записать отказ»: record the refusal that was waiting."""
        pending = dict(self._pending)
        self._pending = {}
        self.confirm_text = ""
        if not pending:
            return None
        return await self._save(pending)

    @requires(Permission.STUDENT_MANAGE)
    async def cancel_refusal(self) -> Any:
        """«Отмена»: nothing is recorded; the form keeps what was typed."""
        self._pending = {}
        self.confirm_text = ""
        return None

    async def _save(self, typed: dict[str, str]) -> Any:
        decision = typed.get("decision", "")
        try:
            parent_id = int(typed.get("parent_id", ""))
            on = _date(typed.get("date"))
            if decision == "withdrawn":
                result = await run_service(
                    consent.withdraw_consent,
                    actor=self._actor(),
                    parent_id=parent_id,
                    student_id=self.consent_student_id,
                    withdrawn_on=on,
                )
            elif decision in ("given", "refused"):
                result = await run_service(
                    consent.record_consent,
                    actor=self._actor(),
                    parent_id=parent_id,
                    student_id=self.consent_student_id,
                    given=decision == "given",
                    signed_on=on,
                    form=typed.get("form", ConsentForm.PAPER.value),
                    document=typed.get("document", ""),
                )
            else:
                raise DomainError("Выберите решение родителя.")
        except ValueError:
            self.consent_error = "Родитель не найден."
            return None
        except DomainError as e:
            self.consent_error = e.message  # the form keeps what was typed
            return rx.toast.error(e.message)
        self.consent_error = ""
        listing = await self._refresh()
        found = next((s for s in listing.students if s.student_id == self.consent_student_id), None)
        if found is not None:
            self._show_student(found)
        self.form_key += 1
        await self._refresh_paper()
        words = f"Записано. Семья: {consent.STATUS_TITLES[result.status]}."
        if result.blocked:
            words += f" Заблокированы учётные записи: {', '.join(result.blocked)}."
        if result.unblocked:
            words += f" Разблокированы учётные записи: {', '.join(result.unblocked)}."
        return rx.toast.success(words)

    # ------------------------------------------------------------------ paper copies

    def _paper_failed(self, e: Exception) -> Any:
        self.paper_error = getattr(e, "message", BAD_DATE)
        return rx.toast.error(self.paper_error)

    @requires(Permission.STUDENT_MANAGE)
    async def download_homework(self, form: dict[str, Any]) -> Any:
        """«Домашние задания на <день>» as a PDF."""
        self.paper_day = str(form.get("day") or "")
        try:
            day = _date(self.paper_day)
            pdf = await run_service(
                paper_copies.homework_copy_pdf, actor=self._actor(), class_id=self._class(), day=day
            )
        except DomainError as e:
            return self._paper_failed(e)
        self.paper_error = ""
        return rx.download(data=pdf, filename=f"domashnie-zadaniya-{day.isoformat()}.pdf")

    @requires(Permission.STUDENT_MANAGE)
    async def download_week(self, form: dict[str, Any]) -> Any:
        """«Отметки за неделю» (the week of the chosen day) as a PDF."""
        self.paper_week = str(form.get("week") or "")
        try:
            day = _date(self.paper_week)
            pdf = await run_service(
                paper_copies.week_marks_copy_pdf,
                actor=self._actor(),
                class_id=self._class(),
                week_start=day,
            )
        except DomainError as e:
            return self._paper_failed(e)
        self.paper_error = ""
        monday = day - dt.timedelta(days=day.weekday())
        return rx.download(data=pdf, filename=f"otmetki-za-nedelyu-{monday.isoformat()}.pdf")

    @requires(Permission.STUDENT_MANAGE)
    async def download_period(self, form: dict[str, Any]) -> Any:
        """«Итоговые отметки за <период>» as a PDF."""
        self.paper_period = str(form.get("period_id") or "")
        try:
            period_id = int(self.paper_period)
        except ValueError:
            return self._paper_failed(DomainError("Выберите учебный период."))
        try:
            pdf = await run_service(
                paper_copies.period_marks_copy_pdf,
                actor=self._actor(),
                class_id=self._class(),
                period_id=period_id,
            )
        except DomainError as e:
            return self._paper_failed(e)
        self.paper_error = ""
        return rx.download(data=pdf, filename=f"itogovye-otmetki-{period_id}.pdf")
