"""``/admin/backups``: Резервные копии — the list of backups, one taken on demand, a
backup downloaded as a zip or checked against its manifest (administrator only)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from ejournal.domain.errors import DomainError
from ejournal.domain.permissions import Permission
from ejournal.domain.records import schedule
from ejournal.state.base import SessionState, requires, run_service

KIND_TITLES = {schedule.KIND_SCHEDULED: "по расписанию", schedule.KIND_MANUAL: "вручную"}


def when(at: dt.datetime, timezone: str) -> str:
    """An instant as the school reads it: «30.11.2026 02:05»."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


def size_text(size: int | None) -> str:
    if size is None:
        return "—"
    return f"{size / 1_000_000:.1f} МБ".replace(".", ",")


def status_text(row: schedule.RunRow) -> str:
    if row.ok is None:
        return "прервана" if row.stale else "идёт…"
    if row.ok:
        return "готово" if row.available else "готово, удалена по сроку хранения"
    return f"ошибка: {row.error}"


@dataclass
class BackupRow:
    """One backup in the list, as shown."""

    id: int = 0
    started: str = ""
    kind: str = ""
    size: str = ""
    status: str = ""
    ok: bool = False
    failed: bool = False
    available: bool = False
    check: str = ""  # the last check's result on this page


class BackupsState(SessionState):
    """Резервные копии."""

    rows: list[BackupRow] = []
    loaded: bool = False
    creating: bool = False
    message: str = ""  # the last action's outcome, in words
    error: str = ""
    schedule_text: str = ""
    keep_text: str = ""
    alert: str = ""

    def _show(self, overview: schedule.BackupsOverview, checks: dict[int, str]) -> None:
        tz = overview.timezone
        self.rows = [
            BackupRow(
                id=r.id,
                started=when(r.started_at, tz),
                kind=KIND_TITLES.get(r.kind, r.kind),
                size=size_text(r.size_bytes),
                status=status_text(r),
                ok=bool(r.ok),
                failed=r.ok is False,
                available=r.available,
                check=checks.get(r.id, ""),
            )
            for r in overview.runs
        ]
        self.schedule_text = f"Каждую ночь в {overview.backup_hour:02d}:00 (время школы, {tz})."
        self.keep_text = (
            f"Хранятся последние ежедневные копии за {overview.keep_daily} дн. и по одной "
            f"за каждый из {overview.keep_monthly} последних месяцев."
        )
        last = overview.last_failed
        self.alert = (
            f"Последняя резервная копия не удалась: {last.error} ({when(last.started_at, tz)})"
            if last is not None
            else ""
        )
        self.loaded = True

    def _checks(self) -> dict[int, str]:
        return {r.id: r.check for r in self.rows if r.check}

    @requires(Permission.BACKUP_MANAGE)
    async def load(self) -> Any:
        """On page load: the backups and the schedule."""
        overview = await run_service(schedule.list_backups, actor=self._actor())
        self.message = ""
        self.error = ""
        self._show(overview, {})
        return None

    @rx.event(background=True)  # type: ignore[arg-type]  # the wrapper is an async def
    @requires(Permission.BACKUP_MANAGE)
    async def take_backup(self) -> Any:
        """«Сделать копию сейчас»: a backup in a worker thread while the page shows progress."""
        actor = self._actor()
        async with self:
            if self.creating:
                return rx.toast.info("Копия уже создаётся.")
            self.creating = True
            self.message = ""
            self.error = ""
        try:
            outcome = await asyncio.to_thread(schedule.run_backup, schedule.KIND_MANUAL, actor)
        except DomainError as exc:
            async with self:
                self.creating = False
                self.error = exc.message
            return rx.toast.error(exc.message, duration=15000)
        except Exception:
            async with self:
                self.creating = False
            raise
        overview = await run_service(schedule.list_backups, actor=actor)
        async with self:
            self.creating = False
            self._show(overview, self._checks())
            if outcome is not None and outcome.ok:
                self.message = "Резервная копия создана."
                return rx.toast.success(self.message)
            self.error = "Резервная копия не создана: " + (
                outcome.error if outcome is not None else "причина неизвестна"
            )
            return rx.toast.error(self.error, duration=15000)

    @requires(Permission.BACKUP_MANAGE)
    async def download(self, run_id: int) -> Any:
        """«Скачать»: the backup's folder as a zip, by its run id (never a path)."""
        try:
            packed = await run_service(
                schedule.backup_zip, actor=self._actor(), run_id=_int(run_id)
            )
        except DomainError as exc:
            self.error = exc.message
            return rx.toast.error(exc.message, duration=15000)
        return rx.download(data=packed.data, filename=packed.filename)

    @requires(Permission.BACKUP_MANAGE)
    async def verify(self, run_id: int) -> Any:
        """«Проверить»: every file's SHA-256 against the manifest, the result in words."""
        rid = _int(run_id)
        try:
            text = await run_service(schedule.check_backup, actor=self._actor(), run_id=rid)
            ok = True
        except DomainError as exc:
            text, ok = exc.message, False
        for row in self.rows:
            if row.id == rid:
                row.check = text
        self.rows = list(self.rows)
        return rx.toast.success(text) if ok else rx.toast.error(text, duration=15000)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
