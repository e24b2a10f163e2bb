"""The period-close section of ``/records``: the deputy closes a class's term once its
period marks are set, checks a closed term against its digest and reads the changes made
after it; the director closes the year. Every handler's service re-checks the right."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.records import seal as sealing
from ejournal.state.base import SessionState, requires, run_service


def _when(at: Any) -> str:
    return at.strftime("%d.%m.%Y %H:%M") if at is not None else ""


class PeriodCloseState(SessionState):
    """Class and term pickers, the readiness table, the seals, the year close."""

    allowed: bool = False  # the deputy or the director
    can_seal: bool = False
    can_close_year: bool = False
    classes: list[dict[str, str]] = []  # {"id", "name"}
    class_id: str = ""
    terms: list[dict[str, str]] = []  # {"id", "name", "sealed": "1"/""}
    period_id: str = ""
    pages: list[dict[str, str]] = []  # {"subject", "teacher", "students", "missing", "status"}
    ready: bool = False
    missing_count: int = 0
    sealed_text: str = ""  # «Закрыт 20.10.2026 14:05, Орлов Пётр» for the chosen term
    seals: list[dict[str, str]] = []  # {"id", "period", "at", "by", "digest", "short"}
    check_seal_id: str = ""
    check_text: str = ""
    check_ok: bool = False
    amend_title: str = ""
    amendments: list[dict[str, str]] = []  # {"at", "who", "action", "subject", "before", ...}
    amend_open: bool = False
    year_id: str = ""
    year_name: str = ""
    year_closed: bool = False
    year_closed_text: str = ""
    year_blockers: list[str] = []
    error: str = ""
    year_error: str = ""
    # For the page's conditions (lists' lengths as plain flags).
    has_classes: bool = False
    has_seals: bool = False
    has_amendments: bool = False
    has_blockers: bool = False

    # ------------------------------------------------------------------ loading

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """On page load: the current year's classes (the first chosen) and its state."""
        self.error = ""
        try:
            found = await run_service(sealing.close_overview, actor=self._actor())
        except DomainError:
            self.allowed = False  # a class teacher on /records: the section stays hidden
            return None
        self.allowed = True
        if found is None:
            self.classes, self.class_id, self.year_id = [], "", ""
            self.has_classes = False
            return None
        self.can_seal, self.can_close_year = found.can_seal, found.can_close_year
        self.year_id, self.year_name = str(found.year_id), found.year_name
        self.year_closed = found.year_closed
        self.classes = [{"id": str(i), "name": n} for i, n in found.classes]
        self.has_classes = bool(self.classes)
        if self.class_id not in {c["id"] for c in self.classes}:
            self.class_id = self.classes[0]["id"] if self.classes else ""
        return await self._refresh(keep_period=True)

    async def _refresh(self, *, keep_period: bool = False) -> Any:
        actor = self._actor()
        self.check_text, self.check_seal_id = "", ""
        if not self.class_id:
            self.terms, self.pages, self.seals = [], [], []
            self.has_seals = False
            return None
        class_id = int(self.class_id)
        try:
            terms = await run_service(sealing.class_terms, actor=actor, class_id=class_id)
            seals = await run_service(sealing.class_seal_list, actor=actor, class_id=class_id)
        except DomainError as e:
            self.error = e.message
            return None
        self.terms = [{"id": str(i), "name": n, "sealed": "1" if s else ""} for i, n, s in terms]
        self.seals = [
            {
                "id": str(s.id),
                "period": s.period_name,
                "at": _when(s.sealed_at),
                "by": s.sealed_by,
                "digest": s.digest,
                "short": s.digest[:12] + "…",
            }
            for s in seals
        ]
        self.has_seals = bool(self.seals)
        ids = [t["id"] for t in self.terms]
        if not (keep_period and self.period_id in ids):
            # The first term still open, else the last one.
            self.period_id = next(
                (t["id"] for t in self.terms if not t["sealed"]), ids[-1] if ids else ""
            )
        await self._load_readiness()
        if self.can_close_year:
            await self._load_year()
        return None

    async def _load_readiness(self) -> None:
        self.pages, self.ready, self.missing_count, self.sealed_text = [], False, 0, ""
        if not self.class_id or not self.period_id:
            return
        try:
            r = await run_service(
                sealing.period_readiness,
                actor=self._actor(),
                class_id=int(self.class_id),
                period_id=int(self.period_id),
            )
        except DomainError as e:
            self.error = e.message
            return
        self.pages = [
            {
                "subject": p.subject_name + (f" ({p.subgroup_name})" if p.subgroup_name else ""),
                "teacher": p.teacher_name or "—",
                "students": str(p.students),
                "missing": ", ".join(p.missing)
                if p.missing
                else ("без отметок" if not p.marked else "—"),
                "status": "нет отметок: " + str(len(p.missing))
                if p.missing
                else ("не требуется" if not p.marked else "готово"),
            }
            for p in r.pages
        ]
        self.ready, self.missing_count = r.ready, r.missing_count
        self.year_closed = r.year_closed
        if r.seal is not None:
            self.sealed_text = f"Закрыт {_when(r.seal.sealed_at)}, {r.seal.sealed_by}"

    async def _load_year(self) -> None:
        if not self.year_id:
            return
        try:
            status = await run_service(
                sealing.year_status, actor=self._actor(), year_id=int(self.year_id)
            )
        except DomainError as e:
            self.year_error = e.message
            return
        self.year_closed = status.closed_at is not None
        self.year_closed_text = (
            f"Учебный год закрыт {_when(status.closed_at)}, {status.closed_by}"
            if status.closed_at
            else ""
        )
        self.year_blockers = list(status.blockers)
        self.has_blockers = bool(self.year_blockers)

    # ------------------------------------------------------------------ pickers

    @requires(Permission.JOURNAL_READ)
    async def choose_class(self, value: str) -> Any:
        """Pick a class of the list (anything else is ignored)."""
        if value in {c["id"] for c in self.classes}:
            self.class_id = value
            self.error = ""
            return await self._refresh()
        return None

    @requires(Permission.JOURNAL_READ)
    async def choose_period(self, value: str) -> Any:
        """Pick a term of the class (anything else is ignored)."""
        if value in {t["id"] for t in self.terms}:
            self.period_id = value
            self.error = ""
            await self._load_readiness()
        return None

    # ------------------------------------------------------------------ seal

    @requires(Permission.PERIOD_CLOSE)
    async def seal(self) -> Any:
        """«Закрыть период»: the service refuses (naming who lacks a mark) or seals."""
        try:
            info = await run_service(
                sealing.seal_period,
                actor=self._actor(),
                class_id=int(self.class_id or 0),
                period_id=int(self.period_id or 0),
            )
        except (DomainError, ValueError) as e:
            self.error = e.message if isinstance(e, DomainError) else "Выберите класс и период."
            await self._load_readiness()
            return None
        self.error = ""
        await self._refresh(keep_period=True)
        return rx.toast.success(f"Период «{info.period_name}» закрыт для {info.class_name}.")

    @requires(Permission.JOURNAL_READ)
    async def verify(self, seal_id: str) -> Any:
        """«Проверить»: recompute the closed term's digest."""
        try:
            result = await run_service(
                sealing.verify_seal, actor=self._actor(), seal_id=int(seal_id)
            )
        except (DomainError, ValueError) as e:
            return rx.toast.error(e.message if isinstance(e, DomainError) else "Нет такой записи.")
        self.check_seal_id = seal_id
        self.check_ok = result.matches
        self.check_text = ("Контрольная сумма совпадает." if result.matches else result.message) + (
            f" Изменений после закрытия: {result.amendments}." if result.matches else ""
        )
        return None

    @requires(Permission.JOURNAL_READ)
    async def show_amendments(self, seal_id: str) -> Any:
        """«Изменения после закрытия»: who changed what in the closed term, and why."""
        try:
            rows = await run_service(sealing.amendments, actor=self._actor(), seal_id=int(seal_id))
        except (DomainError, ValueError) as e:
            return rx.toast.error(e.message if isinstance(e, DomainError) else "Нет такой записи.")
        period = next((s["period"] for s in self.seals if s["id"] == seal_id), "")
        self.amend_title = f"Изменения после закрытия: {period}"
        self.amendments = [
            {
                "at": _when(a.at),
                "who": a.who,
                "action": a.action,
                "subject": a.subject,
                "before": a.before,
                "after": a.after,
                "reason": a.reason or "—",
            }
            for a in rows
        ]
        self.has_amendments = bool(self.amendments)
        self.amend_open = True
        return None

    @requires(Permission.JOURNAL_READ)
    async def close_amendments(self, opened: bool = False) -> Any:
        """The dialog closed (button, Esc or a click outside)."""
        self.amend_open = bool(opened) and self.amend_open
        return None

    # ------------------------------------------------------------------ year

    @requires(Permission.YEAR_CLOSE)
    async def close_year(self) -> Any:
        """«Закрыть учебный год»: refused (listing open terms) or the year becomes read-only."""
        try:
            status = await run_service(
                sealing.close_year, actor=self._actor(), year_id=int(self.year_id or 0)
            )
        except (DomainError, ValueError) as e:
            self.year_error = e.message if isinstance(e, DomainError) else "Учебный год не найден."
            await self._load_year()
            return None
        self.year_error = ""
        await self._load_year()
        return rx.toast.success(f"Учебный год {status.year_name} закрыт.")
