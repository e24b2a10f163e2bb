"""``/records``: a class's records — the summary sheet (PDF, XLSX) and the printed journal
(PDF) for the deputy, the director and the class teacher; the period close and the year's
decisions are sections of the same page with States of their own."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.records import classes as record_classes
from ejournal.domain.records.journal_print import class_journal_pdf
from ejournal.domain.records.summary_sheet import build_summary, summary_pdf, summary_xlsx
from ejournal.state.base import SessionState, requires, run_service
from ejournal.state.period_close import PeriodCloseState
from ejournal.state.year_outcomes import YearOutcomesState


class RecordsState(SessionState):
    """The class picker and the downloads of the class's records."""

    classes: list[dict[str, str]] = []  # {"id", "name"}
    class_id: str = ""
    year_name: str = ""
    year_closed: bool = False
    loaded: bool = False
    busy: str = ""  # which download is being made, in words

    @requires(Permission.JOURNAL_READ)
    async def load(self) -> Any:
        """On page load: the classes the actor may open (the first one chosen)."""
        try:
            found = await run_service(record_classes.record_classes, actor=self._actor())
        except DomainError as e:
            return rx.toast.error(e.message)
        self.classes = [{"id": str(c.id), "name": c.name} for c in found]
        ids = {c["id"] for c in self.classes}
        if self.class_id not in ids:
            self.class_id = self.classes[0]["id"] if self.classes else ""
        self.year_name = found[0].year_name if found else ""
        self.year_closed = bool(found and found[0].year_closed)
        self.busy = ""
        self.loaded = True
        return None

    @requires(Permission.JOURNAL_READ)
    async def choose_class(self, value: str) -> Any:
        """Pick the class (any id sent is checked again by each download's service)."""
        if value in {c["id"] for c in self.classes}:
            self.class_id = value
            # The page's sections follow the one class picker.
            return [PeriodCloseState.choose_class(value), YearOutcomesState.choose_class(value)]
        return None

    def _class(self) -> tuple[int, str] | None:
        name = next((c["name"] for c in self.classes if c["id"] == self.class_id), "")
        try:
            return int(self.class_id), name
        except ValueError:
            return None

    @requires(Permission.JOURNAL_READ)
    async def download_summary(self, fmt: str) -> Any:
        """The class's summary sheet as PDF (for signing) or XLSX."""
        chosen = self._class()
        if chosen is None:
            return rx.toast.error("Выберите класс.")
        class_id, _ = chosen
        try:
            sheet = await run_service(build_summary, actor=self._actor(), class_id=class_id)
        except DomainError as e:
            return rx.toast.error(e.message)
        if fmt == "xlsx":
            return rx.download(data=summary_xlsx(sheet), filename=f"svodnaya-{class_id}.xlsx")
        return rx.download(data=summary_pdf(sheet), filename=f"svodnaya-{class_id}.pdf")

    @requires(Permission.JOURNAL_READ)
    async def download_journal(self) -> Any:
        """The printed journal of the class (every subject and term, the sealing page)."""
        chosen = self._class()
        if chosen is None:
            return rx.toast.error("Выберите класс.")
        class_id, _ = chosen
        try:
            pdf = await run_service(class_journal_pdf, actor=self._actor(), class_id=class_id)
        except DomainError as e:
            return rx.toast.error(e.message)
        return rx.download(data=pdf, filename=f"zhurnal-{class_id}.pdf")
