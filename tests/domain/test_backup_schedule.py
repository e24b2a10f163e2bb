"""Nightly backups: when one is due, which backups are kept, only one worker takes the
night's backup, a failed backup is recorded in Russian, and only the installation's
administrator takes, lists, checks and downloads backups."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from ejournal.domain import db, migrate
from ejournal.domain.errors import NotFound, PermissionDenied, ValidationError
from ejournal.domain.models import AuditLog, BackupRun, Role, School
from ejournal.domain.permissions import Actor
from ejournal.domain.records import schedule
from ejournal.domain.records.backup import MANIFEST_NAME, BackupError
from tests import conftest
from tests.conftest import BACKENDS
from tests.factories import add_user, make_school

UTC = dt.UTC


@dataclass
class Zone:
    timezone: str
    backup_hour: int


MSK = Zone("Europe/Moscow", 2)  # UTC+3
VLADIVOSTOK = Zone("Asia/Vladivostok", 2)  # UTC+10


def msk(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant of November 2026, given in Moscow time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("Europe/Moscow")).astimezone(
        UTC
    )


# --------------------------------------------------------------------------- due


def test_not_due_before_the_backup_hour_when_last_night_was_taken():
    """At 01:30 the night that began yesterday at 02:00 already has its backup."""
    assert not schedule.due(msk(30, 1, 30), MSK, [(msk(29, 2, 5), True)])


def test_due_once_the_hour_has_passed():
    """At 02:01 tonight's backup is due: yesterday's does not count for tonight."""
    assert schedule.due(msk(30, 2, 1), MSK, [(msk(29, 2, 5), True)])


def test_not_due_again_the_same_night_after_a_success():
    """One nightly backup a night: after 02:05's success, 04:00 is not due."""
    assert not schedule.due(msk(30, 4), MSK, [(msk(30, 2, 5), True)])


def test_a_late_hour_spans_midnight():
    """Backup hour 23: at 00:30 the night began yesterday at 23:00."""
    late = Zone("Europe/Moscow", 23)
    assert schedule.due(msk(30, 0, 30), late, [(msk(28, 23, 5), True)])
    assert not schedule.due(msk(30, 0, 30), late, [(msk(29, 23, 5), True)])
    assert not schedule.due(msk(29, 22, 59), late, [(msk(28, 23, 5), True)])


def test_the_school_time_zone_decides_the_night():
    """17:30 UTC is 03:30 in Vladivostok (its 02:00 has passed) but 20:30 in Moscow."""
    now = dt.datetime(2026, 11, 29, 17, 30, tzinfo=UTC)
    taken_moscow_night = dt.datetime(2026, 11, 28, 23, 5, tzinfo=UTC)  # 02:05 MSK on the 29th
    assert not schedule.due(now, MSK, [(taken_moscow_night, True)])
    assert schedule.due(now, VLADIVOSTOK, [(taken_moscow_night, True)])


def test_a_failed_night_is_retried_after_an_hour_at_most_three_times():
    """A failure at 02:00 is tried again from 03:00; after three failures, not that night."""
    assert not schedule.due(msk(30, 2, 30), MSK, [(msk(30, 2), False)])
    assert schedule.due(msk(30, 3, 1), MSK, [(msk(30, 2), False)])
    three = [(msk(30, 2), False), (msk(30, 3), False), (msk(30, 4), False)]
    assert not schedule.due(msk(30, 6), MSK, three)


def test_a_running_backup_blocks_until_it_is_clearly_dead():
    """A run still marked running blocks the night, unless it started too long ago."""
    assert not schedule.due(msk(30, 2, 30), MSK, [(msk(30, 2), None)])
    assert schedule.due(msk(30, 4, 0), MSK, [(msk(30, 2), None)])


def test_naive_database_times_are_read_as_utc():
    """SQLite gives naive datetimes: they are UTC."""
    naive = msk(30, 2, 5).replace(tzinfo=None)
    assert not schedule.due(msk(30, 4), MSK, [(naive, True)])


# --------------------------------------------------------------------------- prune


def _fake(root: Path, stamp: str, *, manifest: bool = True) -> Path:
    folder = root / f"ejournal-{stamp}"
    folder.mkdir()
    (folder / "ejournal.sqlite3").write_bytes(b"x")
    if manifest:
        (folder / MANIFEST_NAME).write_text("{}", encoding="utf-8")
    return folder


def test_prune_keeps_the_newest_of_each_recent_day_and_month(tmp_path: Path):
    """3 days and 2 months: the newest of 30, 29, 28 November, of October; the rest go."""
    names = [
        "2026-11-30T08-00-00Z",  # newest of today (and of November)
        "2026-11-29T23-30-00Z",  # 02:30 MSK on the 30th, but the zone here is UTC
        "2026-11-29T01-00-00Z",
        "2026-11-28T01-00-00Z",
        "2026-11-27T01-00-00Z",  # beyond 3 days, not the newest of November
        "2026-10-31T01-00-00Z",  # the newest of October
        "2026-10-15T01-00-00Z",
        "2026-09-30T01-00-00Z",  # beyond 2 months
    ]
    folders = {n: _fake(tmp_path, n) for n in names}
    folders["2026-11-30T02-00-00Z"] = _fake(tmp_path, "2026-11-30T02-00-00Z")
    deleted = schedule.prune(tmp_path, 3, 2, dt.date(2026, 11, 30))
    left = sorted(p.name.removeprefix("ejournal-") for p in tmp_path.iterdir())
    assert left == [
        "2026-10-31T01-00-00Z",
        "2026-11-28T01-00-00Z",
        "2026-11-29T23-30-00Z",
        "2026-11-30T08-00-00Z",
    ]
    assert len(deleted) == 5


def test_prune_reads_days_in_the_school_zone(tmp_path: Path):
    """23:30 UTC on the 29th is the 30th in Moscow: with one day kept, only the newer stays."""
    _fake(tmp_path, "2026-11-29T23-30-00Z")
    _fake(tmp_path, "2026-11-29T22-00-00Z")  # 01:00 MSK on the 30th, older the same day
    schedule.prune(tmp_path, 1, 0, dt.date(2026, 11, 30), zone="Europe/Moscow")
    assert [p.name for p in tmp_path.iterdir()] == ["ejournal-2026-11-29T23-30-00Z"]


def test_prune_touches_only_our_backup_folders(tmp_path: Path):
    """Folders without a manifest, of another name, and files are never deleted."""
    _fake(tmp_path, "2020-01-01T01-00-00Z", manifest=False)
    (tmp_path / "photos-2020").mkdir()
    (tmp_path / "ejournal-2020-01-01T02-00-00Z.txt").write_text("keep")
    old = _fake(tmp_path, "2020-01-01T03-00-00Z")
    schedule.prune(tmp_path, 7, 12, dt.date(2026, 11, 30))
    assert not old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ejournal-2020-01-01T01-00-00Z",
        "ejournal-2020-01-01T02-00-00Z.txt",
        "photos-2020",
    ]


# --------------------------------------------------------------------------- the database


@dataclass
class World:
    database: conftest.TestDatabase
    school_id: int
    admin: Actor
    people: dict[str, Actor]
    backups: Path

    def runs(self) -> list[BackupRun]:
        with Session(self.database.engine) as s:
            return list(s.exec(select(BackupRun).order_by(col(BackupRun.id))).all())

    def audits(self) -> list[AuditLog]:
        with Session(self.database.engine) as s:
            return list(s.exec(select(AuditLog).where(AuditLog.action == "backup.run")).all())


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    """The tiny school in its own database the services commit to; backups under tmp."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with Session(database.engine, expire_on_commit=False) as session:
        tiny = make_school(session)
        admin_u = add_user(session, "admin")
        session.commit()
        admin = Actor(
            user_id=admin_u.id or 0, school_id=tiny.school.id or 0, roles=frozenset({Role.ADMIN})
        )
        people = dict(tiny.actors)
    backups = tmp_path / "backups"
    monkeypatch.setenv("EJOURNAL_BACKUP_DIR", str(backups))
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield World(database, tiny.school.id or 0, admin, people, backups)
    conftest.dispose_database(database)


@pytest.mark.db
def test_a_backup_on_demand_is_recorded_audited_and_checkable(world: World):
    """The admin's backup: a «готово» run with its folder and size, one audit row, the
    check passes and the zip holds the dump and the manifest."""
    outcome = schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert outcome is not None and outcome.ok, outcome
    (run,) = world.runs()
    assert run.ok is True and run.kind == "manual" and run.requested_by == world.admin.user_id
    assert Path(run.path).parent == world.backups.resolve() and (run.size_bytes or 0) > 0
    (row,) = world.audits()
    assert row.actor_id == world.admin.user_id and json.loads(row.after)["ok"] is True
    said = db.run_transaction(schedule.check_backup, actor=world.admin, run_id=run.id)
    assert said.startswith("Копия цела")
    packed = db.run_transaction(schedule.backup_zip, actor=world.admin, run_id=run.id)
    names = zipfile.ZipFile(io.BytesIO(packed.data)).namelist()
    folder = Path(run.path).name
    assert f"{folder}/{MANIFEST_NAME}" in names and packed.filename == f"{folder}.zip"


@pytest.mark.db
def test_a_failed_backup_is_recorded_with_its_russian_reason(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """A backup that fails is a run «ошибка» with the reason, audited, and the alert's."""

    def full_disk(*args: Any, **kwargs: Any) -> Any:
        raise BackupError("резервная копия не записана: нет места на диске")

    monkeypatch.setattr(schedule, "make_backup", full_disk)
    outcome = schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert outcome is not None and not outcome.ok
    (run,) = world.runs()
    assert run.ok is False and run.error == "резервная копия не записана: нет места на диске"
    assert json.loads(world.audits()[0].after)["ok"] is False
    alert = db.run_transaction(schedule.last_failure, actor=world.admin)
    assert alert is not None and "нет места на диске" in alert.error


@pytest.mark.db
def test_a_later_success_clears_the_alert(world: World, monkeypatch: pytest.MonkeyPatch):
    """Once a backup succeeds after a failure, nothing is shown on the home page."""
    monkeypatch.setattr(
        schedule, "make_backup", lambda *a, **k: (_ for _ in ()).throw(BackupError("сбой"))
    )
    schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    monkeypatch.undo()
    monkeypatch.setenv("EJOURNAL_BACKUP_DIR", str(world.backups))
    monkeypatch.setattr(db, "get_engine", lambda url=None: world.database.engine)
    schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert db.run_transaction(schedule.last_failure, actor=world.admin) is None


@pytest.mark.db
def test_only_one_of_two_workers_takes_the_nightly_backup(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """Two workers wake at 02:05 at once: one run starts, the other finds it and stands down."""
    real = schedule._running

    def slow_running(session: Session, now: dt.datetime) -> Any:
        found = real(session, now)
        time.sleep(0.3)  # widen the window between the check and the insert
        return found

    monkeypatch.setattr(schedule, "_running", slow_running)
    now = msk(30, 2, 5)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        results.append(
            db.run_transaction(
                schedule.start_run, actor=None, kind=schedule.KIND_SCHEDULED, now=now
            )
        )

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2 and None in results
    assert len([r for r in results if r is not None]) == 1
    assert [r.kind for r in world.runs()] == ["scheduled"]


@pytest.mark.db
def test_a_manual_backup_waits_for_the_running_one(world: World):
    """While a backup runs, «Сделать копию сейчас» is refused in words, nothing added."""
    now = msk(30, 2, 5)
    db.run_transaction(schedule.start_run, actor=None, kind=schedule.KIND_SCHEDULED, now=now)
    with pytest.raises(schedule.BackupBusy, match="уже создаётся"):
        db.run_transaction(
            schedule.start_run, actor=world.admin, kind=schedule.KIND_MANUAL, now=now
        )
    assert len(world.runs()) == 1


@pytest.mark.db
def test_the_scheduled_run_takes_one_backup_a_night_and_prunes(world: World):
    """At 02:05 the night's backup is taken; at 03:00 nothing more; old backups pruned."""
    world.backups.mkdir(parents=True)
    old = _fake(world.backups, "2020-01-01T01-00-00Z")
    first = schedule.run_backup(schedule.KIND_SCHEDULED, None, now=msk(30, 2, 5))
    assert first is not None and first.ok
    assert schedule.run_backup(schedule.KIND_SCHEDULED, None, now=msk(30, 3)) is None
    assert not old.exists() and Path(first.path).exists()
    assert [r.kind for r in world.runs()] == ["scheduled"]


@pytest.mark.db
@pytest.mark.parametrize("who", ["deputy", "russian", "class_teacher", "parent", "student"])
def test_others_take_list_check_and_download_nothing(world: World, who: str):
    """A deputy, a teacher, a parent or a student is refused everything; no backup taken."""
    outcome = schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert outcome is not None
    actor = world.people[who]
    with pytest.raises(PermissionDenied):
        schedule.run_backup(schedule.KIND_MANUAL, actor)
    for service, extra in (
        (schedule.list_backups, {}),
        (schedule.last_failure, {}),
        (schedule.check_backup, {"run_id": outcome.run_id}),
        (schedule.backup_zip, {"run_id": outcome.run_id}),
    ):
        with pytest.raises(PermissionDenied):
            db.run_transaction(service, actor=actor, **extra)
    assert len(world.runs()) == 1


@pytest.mark.db
def test_an_admin_of_another_school_gets_nothing(world: World):
    """A backup holds every school's data: another school's admin may not take or fetch it."""
    outcome = schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert outcome is not None
    with Session(world.database.engine) as s:
        other = School(name="Школа № 2", short_name="Школа № 2")
        s.add(other)
        s.commit()
        other_admin = Actor(user_id=world.admin.user_id, school_id=other.id or 0,
                            roles=frozenset({Role.ADMIN}))  # fmt: skip
    with pytest.raises(PermissionDenied, match="основной школы"):
        db.run_transaction(schedule.backup_zip, actor=other_admin, run_id=outcome.run_id)
    with pytest.raises(PermissionDenied):
        schedule.run_backup(schedule.KIND_MANUAL, other_admin)


@pytest.mark.db
def test_a_pruned_or_foreign_backup_is_not_downloaded(world: World, tmp_path: Path):
    """Download by id: a run whose folder was deleted, a path outside the backups' folder,
    a failed run and an unknown id are all refused."""
    outcome = schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert outcome is not None and outcome.ok
    outside = tmp_path / "elsewhere" / Path(outcome.path).name
    outside.parent.mkdir()
    (outside).mkdir()
    (outside / MANIFEST_NAME).write_text("{}")
    with Session(world.database.engine) as s:
        foreign = BackupRun(kind="manual", ok=True, path=str(outside))
        failed = BackupRun(kind="manual", ok=False, error="сбой")
        s.add(foreign)
        s.add(failed)
        s.commit()
        ids = (foreign.id, failed.id)
    for run_id in (*ids, 99999):
        with pytest.raises(NotFound):
            db.run_transaction(schedule.backup_zip, actor=world.admin, run_id=run_id)
    import shutil

    shutil.rmtree(outcome.path)
    with pytest.raises(NotFound, match="удалена"):
        db.run_transaction(schedule.backup_zip, actor=world.admin, run_id=outcome.run_id)


@pytest.mark.db
def test_a_backup_too_big_for_the_browser_is_refused_in_words(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """Past the download limit the admin is told where the copy lies on the server."""
    outcome = schedule.run_backup(schedule.KIND_MANUAL, world.admin)
    assert outcome is not None and outcome.ok
    monkeypatch.setattr(schedule, "DOWNLOAD_LIMIT_BYTES", 10)
    with pytest.raises(ValidationError, match="возьмите её на сервере"):
        db.run_transaction(schedule.backup_zip, actor=world.admin, run_id=outcome.run_id)


def test_backups_never_go_into_a_published_folder(monkeypatch: pytest.MonkeyPatch):
    """EJOURNAL_BACKUP_DIR inside Reflex's upload folder or assets is refused in words."""
    from ejournal.config import PROJECT_ROOT

    for bad in (PROJECT_ROOT / "uploaded_files" / "b", PROJECT_ROOT / "assets"):
        monkeypatch.setenv("EJOURNAL_BACKUP_DIR", str(bad))
        with pytest.raises(BackupError, match="доступен из интернета"):
            schedule.backup_dir()


def test_the_default_folder_is_under_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Without EJOURNAL_BACKUP_DIR backups go to <var>/backups."""
    from ejournal import config

    monkeypatch.delenv("EJOURNAL_BACKUP_DIR", raising=False)
    monkeypatch.setenv("EJOURNAL_VAR_DIR", str(tmp_path / "var"))
    config.get_settings.cache_clear()
    try:
        assert schedule.backup_dir() == (tmp_path / "var" / "backups").resolve()
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()


# --------------------------------------------------------------------------- the task


class _App:
    def __init__(self) -> None:
        self.tasks: list[Any] = []

    def register_lifespan_task(self, task: Any) -> None:
        self.tasks.append(task)


def test_the_schedule_starts_with_the_app_unless_switched_off(monkeypatch: pytest.MonkeyPatch):
    """`register(app)` adds the nightly task; EJOURNAL_BACKUP_SCHEDULE=0 adds nothing."""
    from ejournal.state import backup_task

    monkeypatch.delenv("EJOURNAL_BACKUP_SCHEDULE", raising=False)
    app = _App()
    backup_task.register(app)
    assert app.tasks == [backup_task.nightly_backups]
    monkeypatch.setenv("EJOURNAL_BACKUP_SCHEDULE", "0")
    app = _App()
    backup_task.register(app)
    assert app.tasks == []


@pytest.mark.db
def test_a_tick_takes_the_due_backup_off_the_event_loop(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """The task's tick runs the backup in a worker thread, and a second tick takes none."""
    import asyncio

    from ejournal.state import backup_task

    threads: list[str] = []
    real = schedule.make_backup

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(schedule, "make_backup", spy)
    first = asyncio.run(backup_task.tick())
    assert first is not None and first.ok
    assert threads and threads[0] != threading.main_thread().name
    assert asyncio.run(backup_task.tick()) is None


@pytest.mark.db
def test_the_settings_page_changes_the_hour_and_the_keeping(world: World):
    """«Резервные копии» on /settings: the hour and the counts are saved, audited, and a
    25th hour is refused by name; the page then shows the new schedule."""
    from ejournal.domain.school.settings import SettingsInvalid, get_settings, update_settings

    loaded = db.run_transaction(get_settings, actor=world.admin).form_values()
    assert (loaded["backup_hour"], loaded["backup_keep_daily"]) == ("2", "7")
    with pytest.raises(SettingsInvalid, match="Резервная копия каждую ночь в"):
        db.run_transaction(
            update_settings, actor=world.admin, changes={"backup_hour": "25"}, loaded=loaded
        )
    db.run_transaction(
        update_settings,
        actor=world.admin,
        changes={"backup_hour": "4", "backup_keep_monthly": "6"},
        loaded=loaded,
    )
    shown = db.run_transaction(schedule.list_backups, actor=world.admin)
    assert (shown.backup_hour, shown.keep_daily, shown.keep_monthly) == (4, 7, 6)
