"""Backups on a schedule and on demand: where they go, when one is due, who takes it,
how long they are kept, and what the administrator's page lists.

The backup is of the whole installation (one database), so its schedule follows the
settings of the installation's school (the first one); only that school's
administrators (BACKUP_MANAGE) take, list, check and download backups. Each run is a
`BackupRun` row: inserted as running under a lock (so of several workers only one takes
the nightly backup), finished as done or failed with the Russian reason, and audited.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session, col, select

from ejournal.domain import audit, db
from ejournal.domain.db import read_only
from ejournal.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import BackupRun, School, utcnow
from ejournal.domain.permissions import Actor, Permission, require_some
from ejournal.domain.records.backup import (
    MANIFEST_NAME,
    NAME_PREFIX,
    PG_TOOL_TIMEOUT_S,
    BackupError,
    make_backup,
    verify_backup,
)
from ejournal.domain.school.clock import local_date

KIND_SCHEDULED = "scheduled"
KIND_MANUAL = "manual"
KINDS = (KIND_SCHEDULED, KIND_MANUAL)

#: A run still marked running after this long died with its process: it no longer blocks.
RUNNING_TIMEOUT = dt.timedelta(seconds=PG_TOOL_TIMEOUT_S + 600)
#: A failed nightly backup is tried again after this long, at most MAX_NIGHTLY_TRIES a night.
RETRY_AFTER = dt.timedelta(hours=1)
MAX_NIGHTLY_TRIES = 3
#: A zip is built in memory and sent through the page's connection: larger copies are
#: taken from the server's folder instead.
DOWNLOAD_LIMIT_BYTES = 300_000_000


class BackupBusy(ConflictError):
    """Another backup is being taken right now."""


class Scheduled(Protocol):
    timezone: str
    backup_hour: int


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- where


def _public_dirs() -> list[Path]:
    """Folders the web server publishes: a backup must never land in one of them."""
    from ejournal.config import PROJECT_ROOT

    uploads = Path(os.environ.get("REFLEX_UPLOADED_FILES_DIR", "") or "uploaded_files")
    if not uploads.is_absolute():
        uploads = Path.cwd() / uploads
    found = [uploads, PROJECT_ROOT / "uploaded_files", PROJECT_ROOT / "assets"]
    found.append(PROJECT_ROOT / ".web")
    web = os.environ.get("REFLEX_WEB_WORKDIR", "")
    if web:
        found.append(Path(web))
    return [p.resolve() for p in found]


def backup_dir() -> Path:
    """The backups' folder: EJOURNAL_BACKUP_DIR, default <var>/backups (never published)."""
    from ejournal.config import get_settings

    raw = os.environ.get("EJOURNAL_BACKUP_DIR", "")
    folder = Path(raw) if raw else get_settings().var_dir / "backups"
    folder = folder.resolve()
    for public in _public_dirs():
        if folder == public or public in folder.parents:
            raise BackupError(
                f"каталог резервных копий «{folder}» доступен из интернета (папка «{public}»): "
                "укажите другой в EJOURNAL_BACKUP_DIR"
            )
    return folder


def _inside(folder: Path, root: Path) -> bool:
    try:
        resolved = folder.resolve()
    except OSError:
        return False
    return resolved.parent == root and resolved.name.startswith(NAME_PREFIX)


def _ours(folder: Path) -> bool:
    """A backup folder this program made: `ejournal-…` with a manifest."""
    return (
        folder.is_dir()
        and not folder.is_symlink()
        and folder.name.startswith(NAME_PREFIX)
        and (folder / MANIFEST_NAME).is_file()
    )


# --------------------------------------------------------------------------- when


def night_start(now: dt.datetime, school: Scheduled) -> dt.datetime:
    """The latest backup hour (school time) at or before `now`, as a UTC instant."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(school.timezone)
    local = _aware(now).astimezone(zone)
    start = dt.datetime.combine(local.date(), dt.time(school.backup_hour), tzinfo=zone)
    if start > local:
        start = dt.datetime.combine(
            local.date() - dt.timedelta(days=1), dt.time(school.backup_hour), tzinfo=zone
        )
    return start.astimezone(dt.UTC)


def due(
    now: dt.datetime, school: Scheduled, runs: Sequence[tuple[dt.datetime, bool | None]]
) -> bool:
    """Whether the nightly backup is due at `now`: this night (from the last backup hour
    in the school's zone) has no successful scheduled backup, no running one, fewer than
    MAX_NIGHTLY_TRIES failed ones, the last failure at least RETRY_AFTER ago.
    `runs` are the scheduled runs as (started_at, ok)."""
    since = night_start(now, school)
    tonight = [(_aware(at), ok) for at, ok in runs if _aware(at) >= since]
    if any(ok is True for _, ok in tonight):
        return False
    if any(ok is None and _aware(now) - at < RUNNING_TIMEOUT for at, ok in tonight):
        return False
    failed = [at for at, ok in tonight if ok is False]
    if len(failed) >= MAX_NIGHTLY_TRIES:
        return False
    return not failed or _aware(now) - max(failed) >= RETRY_AFTER


# --------------------------------------------------------------------------- who


def installation_school(session: Session) -> School | None:
    """The school whose settings and administrators the installation's backups follow."""
    return session.exec(select(School).order_by(col(School.id)).limit(1)).first()


def _require_manager(session: Session, actor: Actor | None) -> Actor:
    """BACKUP_MANAGE, and of the installation's school: a backup holds every school's data."""
    actor = require_some(actor, Permission.BACKUP_MANAGE)
    school = installation_school(session)
    if school is None or school.id != actor.school_id:
        raise PermissionDenied("Резервные копии ведёт администратор основной школы.")
    return actor


def _lock_runs(session: Session) -> None:
    """Serialise starting runs: one writer at a time decides whether a backup may start.
    SQLite: run_transaction's BEGIN IMMEDIATE already holds the one write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE backup_run IN SHARE ROW EXCLUSIVE MODE"))


def _running(session: Session, now: dt.datetime) -> BackupRun | None:
    runs = session.exec(select(BackupRun).where(col(BackupRun.ok).is_(None))).all()
    alive = [r for r in runs if _aware(now) - _aware(r.started_at) < RUNNING_TIMEOUT]
    return max(alive, key=lambda r: _aware(r.started_at)) if alive else None


def start_run(
    session: Session,
    *,
    actor: Actor | None,
    kind: str,
    now: dt.datetime | None = None,
) -> int | None:
    """Insert a running BackupRun and return its id, or None when the nightly one is not
    due. A manual run needs BACKUP_MANAGE (`actor`); a scheduled one is the app's own
    (`actor` None). Raises BackupBusy while another backup is being taken."""
    now = now or utcnow()
    if kind not in KINDS:
        raise ValueError(kind)
    if kind == KIND_MANUAL:
        actor = _require_manager(session, actor)
    _lock_runs(session)
    busy = _running(session, now)
    if kind == KIND_SCHEDULED:
        school = installation_school(session)
        if school is None or busy is not None:
            return None
        since = night_start(now, school) - dt.timedelta(days=1)
        runs = session.exec(
            select(BackupRun.started_at, BackupRun.ok).where(
                BackupRun.kind == KIND_SCHEDULED, col(BackupRun.started_at) >= since
            )
        ).all()
        if not due(now, school, [(at, ok) for at, ok in runs]):
            return None
    elif busy is not None:
        raise BackupBusy("Резервная копия уже создаётся; дождитесь её окончания.")
    run = BackupRun(
        kind=kind,
        started_at=now,
        requested_by=actor.user_id if actor is not None else None,
    )
    session.add(run)
    session.flush()
    return run.id


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def finish_run(
    session: Session,
    *,
    run_id: int,
    path: Path | None,
    error: str,
    now: dt.datetime | None = None,
) -> BackupRun:
    """Mark the run done (its folder `path`) or failed (`error`, Russian), audited."""
    run = session.get(BackupRun, run_id)
    if run is None:
        raise NotFound("Запись о резервной копии не найдена.")
    before = audit.snapshot(run, ["ok", "path", "error"])
    run.finished_at = now or utcnow()
    run.ok = path is not None and not error
    run.path = str(path) if path is not None else ""
    run.size_bytes = _folder_size(path) if path is not None else None
    run.error = error[:1000]
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor_id=run.requested_by,
        action=audit.AuditAction.BACKUP_RUN,
        entity=audit.AuditEntity.BACKUP,
        entity_id=run.id,
        before=before,
        after={
            "kind": run.kind,
            "ok": run.ok,
            "path": run.path,
            "size_bytes": run.size_bytes,
            "error": run.error,
        },
    )
    return run


def database_url() -> str:
    """The URL of the database the app serves (the engine's, with its password)."""
    return db.get_engine().url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    ok: bool
    path: str
    error: str


def run_backup(
    kind: str,
    requested_by: Actor | None = None,
    *,
    now: dt.datetime | None = None,
) -> RunOutcome | None:
    """Take a backup now into `backup_dir()`, recorded as a BackupRun and audited.

    Returns None when a scheduled backup is not due (or another process took it).
    A manual one needs an actor with BACKUP_MANAGE (PermissionDenied otherwise) and is
    refused with BackupBusy while another runs. A failed backup is recorded with its
    Russian reason (never raised). A successful scheduled one then prunes old backups.
    """
    run_id = db.run_transaction(start_run, actor=requested_by, kind=kind, now=now)
    if run_id is None:
        return None
    path: Path | None = None
    error = ""
    try:
        result = make_backup(database_url(), backup_dir(), now=now)
        path = result.path
        try:
            verify_backup(path)  # read back once: «готово» means every hash was checked
        except BackupError:
            shutil.rmtree(path, ignore_errors=True)
            raise
    except BackupError as exc:
        error = exc.message
        path = None
    except Exception as exc:  # a backup that failed must be shown, whatever the cause
        error = f"сбой: {type(exc).__name__}: {exc}"
    db.run_transaction(finish_run, run_id=run_id, path=path, error=error)
    if path is not None and kind == KIND_SCHEDULED:
        kept = db.run_transaction(_retention)
        if kept is not None:
            daily, monthly, today, zone = kept
            prune(backup_dir(), daily, monthly, today, zone=zone)
    return RunOutcome(run_id, path is not None, str(path or ""), error)


@read_only
def _retention(session: Session) -> tuple[int, int, dt.date, str] | None:
    school = installation_school(session)
    if school is None:
        return None
    today = local_date(school, utcnow())
    return school.backup_keep_daily, school.backup_keep_monthly, today, school.timezone


# --------------------------------------------------------------------------- how long


def _made_at(folder: Path) -> dt.datetime | None:
    """When a backup folder was made, from its name `ejournal-YYYY-MM-DDTHH-MM-SSZ[-n]`."""
    stamp = folder.name[len(NAME_PREFIX) : len(NAME_PREFIX) + 20]
    try:
        return dt.datetime.strptime(stamp, "%Y-%m-%dT%H-%M-%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def prune(
    root: Path,
    keep_daily: int,
    keep_monthly: int,
    today: dt.date,
    *,
    zone: str = "UTC",
) -> list[Path]:
    """Delete old backups under `root`; return the deleted folders.

    Kept: the newest backup of each of the last `keep_daily` days (today included) and
    the newest of each of the last `keep_monthly` months (this one included), by the
    date in `zone`. Only our folders (`ejournal-…` with a manifest) are ever touched.
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    if not root.is_dir():
        return []
    dated = [(at, f) for f in root.iterdir() if _ours(f) and (at := _made_at(f)) is not None]
    dated.sort(key=lambda pair: (pair[0], pair[1].name), reverse=True)
    first_day = today - dt.timedelta(days=max(keep_daily, 0) - 1)
    months: list[tuple[int, int]] = []
    y, m = today.year, today.month
    for _ in range(max(keep_monthly, 0)):
        months.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    keep: set[Path] = set()
    seen_days: set[dt.date] = set()
    seen_months: set[tuple[int, int]] = set()
    for at, folder in dated:  # newest first: the first of a day/month is its newest
        day = at.astimezone(tz).date()
        if keep_daily > 0 and first_day <= day <= today and day not in seen_days:
            seen_days.add(day)
            keep.add(folder)
        month = (day.year, day.month)
        if month in months and month not in seen_months:
            seen_months.add(month)
            keep.add(folder)
        if day > today:
            keep.add(folder)  # a clock set back: never delete what looks newer than today
    deleted = []
    for _, folder in dated:
        if folder not in keep:
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder)
    return deleted


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    ok: bool | None
    size_bytes: int | None
    error: str
    available: bool  # its folder is still there (not pruned or removed)
    stale: bool  # marked running but its process is gone


@dataclass(frozen=True)
class BackupsOverview:
    runs: tuple[RunRow, ...]
    timezone: str
    backup_hour: int
    keep_daily: int
    keep_monthly: int
    folder: str
    last_failed: RunRow | None


@read_only
def list_backups(
    session: Session, *, actor: Actor | None, limit: int = 60, now: dt.datetime | None = None
) -> BackupsOverview:
    """The latest runs, newest first, with the schedule's settings. Needs BACKUP_MANAGE."""
    _require_manager(session, actor)
    now = now or utcnow()
    school = installation_school(session)
    assert school is not None  # _require_manager found it
    runs = session.exec(
        select(BackupRun).order_by(col(BackupRun.started_at).desc(), col(BackupRun.id).desc())
    ).all()[:limit]
    try:
        root: Path | None = backup_dir()
    except BackupError:
        root = None
    rows = tuple(_row(r, root, now) for r in runs)
    last = next((r for r in rows if r.ok is not None), None)
    return BackupsOverview(
        runs=rows,
        timezone=school.timezone,
        backup_hour=school.backup_hour,
        keep_daily=school.backup_keep_daily,
        keep_monthly=school.backup_keep_monthly,
        folder=str(root) if root else "",
        last_failed=last if last is not None and last.ok is False else None,
    )


def _row(run: BackupRun, root: Path | None, now: dt.datetime) -> RunRow:
    folder = Path(run.path) if run.path else None
    available = bool(run.ok and folder and root and _inside(folder, root) and _ours(folder))
    return RunRow(
        id=run.id or 0,
        kind=run.kind,
        started_at=_aware(run.started_at),
        finished_at=_aware(run.finished_at) if run.finished_at else None,
        ok=run.ok,
        size_bytes=run.size_bytes,
        error=run.error,
        available=available,
        stale=run.ok is None and _aware(now) - _aware(run.started_at) >= RUNNING_TIMEOUT,
    )


@dataclass(frozen=True)
class BackupAlert:
    """The last finished backup failed: when and why (for the admin's home page)."""

    started_at: dt.datetime
    error: str
    timezone: str


@read_only
def last_failure(session: Session, *, actor: Actor | None) -> BackupAlert | None:
    """The last finished backup when it failed, else None. Needs BACKUP_MANAGE."""
    _require_manager(session, actor)
    school = installation_school(session)
    assert school is not None
    run = session.exec(
        select(BackupRun)
        .where(col(BackupRun.ok).is_not(None))
        .order_by(col(BackupRun.started_at).desc(), col(BackupRun.id).desc())
        .limit(1)
    ).first()
    if run is None or run.ok:
        return None
    return BackupAlert(_aware(run.started_at), run.error, school.timezone)


def _finished_folder(session: Session, actor: Actor | None, run_id: int) -> Path:
    """The folder of a finished backup by its run id, checked to be ours and in place."""
    _require_manager(session, actor)
    run = session.get(BackupRun, run_id) if isinstance(run_id, int) else None
    if run is None or not run.ok or not run.path:
        raise NotFound("Такой резервной копии нет.")
    folder = Path(run.path)
    if not _inside(folder, backup_dir()) or not _ours(folder):
        raise NotFound("Резервной копии больше нет в каталоге копий (удалена по сроку хранения).")
    return folder


@read_only
def check_backup(session: Session, *, actor: Actor | None, run_id: int) -> str:
    """Check every file's SHA-256 of a finished backup; the Russian result.
    A damaged backup raises BackupError with the reason."""
    folder = _finished_folder(session, actor, run_id)
    manifest = verify_backup(folder)
    files = len(manifest.get("files", {}))
    return (
        f"Копия цела: файлов проверено {files} (контрольные суммы SHA-256 сходятся), "
        f"строк в базе {manifest.get('rows', 0)}."
    )


@dataclass(frozen=True)
class BackupZip:
    filename: str
    data: bytes


@read_only
def backup_zip(session: Session, *, actor: Actor | None, run_id: int) -> BackupZip:
    """A finished backup's folder as a zip (in memory), checked before packing."""
    folder = _finished_folder(session, actor, run_id)
    if _folder_size(folder) > DOWNLOAD_LIMIT_BYTES:
        raise ValidationError(
            f"Копия больше {DOWNLOAD_LIMIT_BYTES // 1_000_000} МБ и через браузер не "
            f"скачивается: возьмите её на сервере из каталога «{folder}»."
        )
    verify_backup(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            if file.is_file() and not file.is_symlink():
                archive.write(file, f"{folder.name}/{file.name}")
    return BackupZip(f"{folder.name}.zip", buffer.getvalue())
