"""The КТП page (``/ktp``): a teacher imports their calendar-thematic plan from a file (a dry
run first), sends it for review; the deputy opens a plan, checks its lines and hours and
approves it or returns it with a note [002 §7.4–7.5].

The uploaded file is read into memory (``_file``) and never written to disk; the plan the
page acts on is kept server-side (``_open_id``), and every service re-checks who may act.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.models import KtpStatus
from ejournal.domain.permissions import Permission
from ejournal.domain.setup import ktp, ktp_review
from ejournal.domain.setup.ktp_review import PlanDetail, PlanSummary, hours_text
from ejournal.state.base import SessionState, requires, run_service

#: The largest plan file accepted (a year's КТП is a few dozen kilobytes).
MAX_FILE_BYTES = 2 * 1024 * 1024
FILE_TYPES = (".xlsx", ".csv")


@dataclass
class PlanRow:
    """One plan in a list: whose, for what, its status and hours."""

    id: str = ""
    class_name: str = ""
    subject: str = ""
    teacher: str = ""
    status: str = ""
    status_title: str = ""
    badge: str = ""  # the status as the badge says it («возвращён: …»)
    color: str = "gray"
    note: str = ""
    topics: int = 0
    hours: str = ""  # «170 из 170»
    hours_ok: bool = False
    hours_check: str = ""
    reviewed: str = ""  # «Согласовал Орлов П. 28.08.2026»


@dataclass
class LineRow:
    number: str = ""
    topic: str = ""
    hours: str = ""
    planned: str = ""
    work_type: str = ""


@dataclass
class Choice:
    value: str = ""
    label: str = ""


#: The deputy's status filter: value, title, the statuses it shows (none: every plan).
ALL = "all"
STATUS_FILTERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (KtpStatus.SUBMITTED, "Ждут согласования", (KtpStatus.SUBMITTED,)),
    (KtpStatus.RETURNED, "Возвращённые", (KtpStatus.RETURNED,)),
    (KtpStatus.DRAFT, "Черновики", (KtpStatus.DRAFT,)),
    (KtpStatus.APPROVED, "Согласованные", (KtpStatus.APPROVED,)),
    (ALL, "Все", ()),
)


def _class_key(name: str) -> tuple[int, str]:
    """«5 «А»» before «10 «А»»: the grade as a number, then the letter."""
    m = re.match(r"\d+", name)
    return (int(m.group()) if m else 0, name)


COLORS = {
    KtpStatus.DRAFT: "gray",
    KtpStatus.SUBMITTED: "blue",
    KtpStatus.APPROVED: "green",
    KtpStatus.RETURNED: "orange",
}


def _row(p: PlanSummary) -> PlanRow:
    subject = f"{p.subject} ({p.subgroup})" if p.subgroup else p.subject
    badge = p.status_title
    if p.status == KtpStatus.RETURNED and p.note:
        badge = f"{badge}: {p.note}"
    reviewed = ""
    if p.reviewed_by and p.reviewed_at and p.status in (KtpStatus.APPROVED, KtpStatus.RETURNED):
        verb = "Согласовал(а)" if p.status == KtpStatus.APPROVED else "Вернул(а)"
        reviewed = f"{verb} {p.reviewed_by} {p.reviewed_at:%d.%m.%Y}"
    return PlanRow(
        id=str(p.assignment_id),
        class_name=p.class_name,
        subject=subject,
        teacher=p.teacher,
        status=p.status,
        status_title=p.status_title,
        badge=badge,
        color=COLORS.get(KtpStatus(p.status), "gray"),
        note=p.note,
        topics=p.items,
        hours=f"{p.total_hours} из {hours_text(p.curriculum_hours)}",
        hours_ok=p.hours_ok,
        hours_check=p.hours_check,
        reviewed=reviewed,
    )


class KtpState(SessionState):
    """The teacher's plans and the deputy's review list, one plan open at a time."""

    loaded: bool = False
    is_teacher: bool = False
    is_deputy: bool = False
    my_plans: list[PlanRow] = []
    review_plans: list[PlanRow] = []  # the plans the filters let through
    review_total: int = 0  # every plan of the school this year
    review_empty: str = ""  # why the review list is empty, if it is
    waiting: int = 0  # plans waiting for the deputy
    # The review list's filters: a status (waiting ones by default) and a class.
    review_status: str = KtpStatus.SUBMITTED.value
    review_class: str = ALL
    status_options: list[Choice] = []
    class_options: list[Choice] = []

    # The open plan.
    open_id: str = ""
    open_plan: PlanRow = PlanRow()
    open_lines: list[LineRow] = []
    open_own: bool = False  # the user's own plan: upload and send
    result: str = ""
    error: str = ""

    # The dry run of the chosen file.
    file_name: str = ""
    preview_done: bool = False
    preview_ok: bool = False
    preview_problems: list[str] = []
    preview_lines: list[str] = []
    preview_changes: int = 0

    _review_all: list[PlanRow] = []
    _open_id: int = 0
    _fingerprint: str = ""
    _file: bytes = b""
    _file_name: str = ""

    # ------------------------------------------------------------------ helpers

    def _clear_file(self) -> None:
        self._file, self._file_name = b"", ""
        self.file_name = ""
        self.preview_done = self.preview_ok = False
        self.preview_problems, self.preview_lines = [], []
        self.preview_changes = 0

    async def _lists(self) -> None:
        actor = self._actor()
        self.is_teacher = actor.can(Permission.LESSON_WRITE)
        self.is_deputy = actor.can(Permission.KTP_APPROVE)
        if self.is_teacher:
            self.my_plans = [_row(p) for p in await run_service(ktp_review.my_plans, actor=actor)]
        if self.is_deputy:
            plans = await run_service(ktp_review.plans_for_review, actor=actor)
            self._review_all = [_row(p) for p in plans]
            self.waiting = sum(1 for p in plans if p.status == KtpStatus.SUBMITTED)
            self._filter()

    def _filter(self) -> None:
        """The review list as the filters show it, and the filters' options with counts."""
        rows = self._review_all
        classes = sorted({p.class_name for p in rows}, key=_class_key)
        if self.review_class not in classes:
            self.review_class = ALL
        self.class_options = [Choice(ALL, "Все классы")] + [Choice(c, c) for c in classes]
        in_class = [p for p in rows if self.review_class in (ALL, p.class_name)]
        options = []
        for value, title, statuses in STATUS_FILTERS:
            n = sum(1 for p in in_class if not statuses or p.status in statuses)
            options.append(Choice(str(value), f"{title} ({n})"))
        self.status_options = options
        statuses = next((st for v, _, st in STATUS_FILTERS if v == self.review_status), ())
        self.review_plans = [p for p in in_class if not statuses or p.status in statuses]
        self.review_total = len(rows)
        if not rows:
            self.review_empty = "В этом учебном году нет нагрузки учителей."
        elif not self.review_plans:
            self.review_empty = "Нет планов с этим состоянием."
        else:
            self.review_empty = ""

    def _show(self, detail: PlanDetail) -> None:
        self.open_plan = _row(detail.summary)
        self.open_id = self.open_plan.id
        self._open_id = detail.summary.assignment_id
        self._fingerprint = detail.fingerprint
        self.open_lines = [
            LineRow(
                number=str(x.number),
                topic=x.topic,
                hours=str(x.hours),
                planned=f"{x.planned_on:%d.%m.%Y}" if x.planned_on else "",
                work_type=x.work_type,
            )
            for x in detail.lines
        ]
        self.open_own = any(p.id == self.open_id for p in self.my_plans)

    async def _reopen(self) -> None:
        detail = await run_service(
            ktp_review.plan_detail, actor=self._actor(), assignment_id=self._open_id
        )
        self._show(detail)

    async def _refused(self, e: DomainError) -> Any:
        """A refused decision: say why and show the plan as it stands now (another deputy
        may have decided first); a typed note stays in its field."""
        self.error = e.message
        self.result = ""
        try:
            await self._lists()
            await self._reopen()
        except DomainError:
            pass
        return rx.toast.error(e.message, duration=15000)

    # ------------------------------------------------------------------ handlers

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """On page load: the user's own plans and, for the deputy, every plan to review."""
        self._clear_file()
        self.open_id, self._open_id, self.open_lines = "", 0, []
        self.result = self.error = ""
        await self._lists()
        self.loaded = True
        return None

    @requires(Permission.KTP_APPROVE)
    async def filter_status(self, value: str) -> Any:
        """The review list's status select («Ждут согласования», …, «Все»)."""
        if str(value) in {str(v) for v, _, _ in STATUS_FILTERS}:
            self.review_status = str(value)
            self._filter()
        return None

    @requires(Permission.KTP_APPROVE)
    async def filter_class(self, value: str) -> Any:
        """The review list's class select («Все классы» or one class)."""
        if str(value) == ALL or any(o.value == str(value) for o in self.class_options):
            self.review_class = str(value)
            self._filter()
        return None

    @requires(Permission.JOURNAL_READ)
    async def show_plan(self, assignment_id: str) -> Any:
        """Open one plan: its lines and hours check (the service checks who may see it)."""
        try:
            aid = int(assignment_id)
        except (TypeError, ValueError):
            return rx.toast.error("План не найден.")
        self._clear_file()
        self.result = self.error = ""
        try:
            detail = await run_service(
                ktp_review.plan_detail, actor=self._actor(), assignment_id=aid
            )
        except DomainError as e:
            return rx.toast.error(e.message)
        self._show(detail)
        return None

    @requires(Permission.JOURNAL_READ)
    async def close_plan(self) -> Any:
        """Back to the lists."""
        self._clear_file()
        self.open_id, self._open_id, self.open_lines = "", 0, []
        self.result = self.error = ""
        await self._lists()
        return None

    @requires(Permission.LESSON_WRITE)
    async def upload(self, files: list[rx.UploadFile]) -> Any:
        """The chosen file, read in memory, checked without writing (the dry run)."""
        self._clear_file()
        self.result = self.error = ""
        if not self._open_id:
            return rx.toast.error("Сначала откройте свой предмет и класс.")
        if not files:
            return rx.toast.error("Файл не выбран.")
        upload = files[0]
        name = (upload.name or upload.filename or "").rsplit("/", 1)[-1]
        if not name.lower().endswith(FILE_TYPES):
            self.error = "Нужен файл XLSX или CSV."
            return rx.toast.error(self.error)
        data = await upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            self.error = "Файл больше 2 МБ: это не похоже на КТП."
            return rx.toast.error(self.error)
        try:
            report = await run_service(
                ktp.preview_ktp_import,
                actor=self._actor(),
                assignment_id=self._open_id,
                data=data,
                filename=name,
            )
        except DomainError as e:
            self.error = e.message
            return rx.toast.error(e.message)
        self.file_name = name
        self.preview_done = True
        self.preview_ok = report.ok
        self.preview_problems = [p.text() for p in report.problems]
        self.preview_lines = ktp.summary_lines(report)
        self.preview_changes = report.changes
        if report.ok:
            self._file, self._file_name = data, name
        return None

    @requires(Permission.LESSON_WRITE)
    async def write(self) -> Any:
        """Write the checked file as the plan (one transaction; nothing on any problem)."""
        if not self._file or not self._open_id:
            return rx.toast.error("Сначала выберите и проверьте файл.")
        try:
            report = await run_service(
                ktp.import_ktp,
                actor=self._actor(),
                assignment_id=self._open_id,
                data=self._file,
                filename=self._file_name,
            )
        except DomainError as e:
            self.error = e.message
            return rx.toast.error(e.message, duration=15000)
        self._clear_file()
        self.error = ""
        self.result = (
            "План записан. Теперь отправьте его на согласование."
            if report.written
            else "Изменений нет: план уже такой."
        )
        await self._lists()
        await self._reopen()
        return rx.toast.success(self.result)

    @requires(Permission.LESSON_WRITE)
    async def submit(self) -> Any:
        """Send the open plan (one's own) to the deputy."""
        if not self._open_id:
            return rx.toast.error("Сначала откройте план.")
        try:
            detail = await run_service(
                ktp_review.submit_plan, actor=self._actor(), assignment_id=self._open_id
            )
        except DomainError as e:
            self.error = e.message
            return rx.toast.error(e.message, duration=15000)
        self.error = ""
        self.result = "План отправлен на согласование."
        await self._lists()
        self._show(detail)
        return rx.toast.success(self.result)

    @requires(Permission.KTP_APPROVE)
    async def approve(self) -> Any:
        """Approve the open plan as shown (a plan changed since is refused)."""
        if not self._open_id:
            return rx.toast.error("Сначала откройте план.")
        try:
            detail = await run_service(
                ktp_review.approve_plan,
                actor=self._actor(),
                assignment_id=self._open_id,
                fingerprint=self._fingerprint,
            )
        except DomainError as e:
            return await self._refused(e)
        self.error = ""
        self.result = "План согласован: его темы доступны в журнале."
        await self._lists()
        self._show(detail)
        return rx.toast.success(self.result)

    @requires(Permission.KTP_APPROVE)
    async def send_back(self, form: dict[str, Any]) -> Any:
        """Return the open plan to its teacher with the note typed (kept on a refusal)."""
        if not self._open_id:
            return rx.toast.error("Сначала откройте план.")
        note = str(form.get("note") or "")
        try:
            detail = await run_service(
                ktp_review.return_plan,
                actor=self._actor(),
                assignment_id=self._open_id,
                note=note,
                fingerprint=self._fingerprint,
            )
        except DomainError as e:
            return await self._refused(e)
        self.error = ""
        self.result = "План возвращён учителю с замечанием."
        await self._lists()
        self._show(detail)
        return rx.toast.success(self.result)
