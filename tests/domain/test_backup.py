"""Backups that restore: the copy, its manifest, the restore and its checks, on both databases.

Each test seeds the small demo school into its own database (SQLite file or PostgreSQL),
so that writes through the app's services can run while a backup is taken.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session

from ejournal.domain import audit, db, migrate
from ejournal.domain.exchange import export_school
from ejournal.domain.journal import set_cell
from ejournal.domain.journal.context import load_cells
from ejournal.domain.people.auth import load_actor
from ejournal.domain.permissions import Actor
from ejournal.domain.records import backup
from ejournal.domain.seed import run_seed
from tests import conftest
from tests.conftest import BACKENDS, SEEDED_TODAY

pytestmark = pytest.mark.db

WRITE_AT = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)  # the seeded "today", after school
TEXTS = ("5", "4")  # the writer alternates these in one cell


@dataclasses.dataclass
class Source:
    database: conftest.TestDatabase
    teacher: Actor
    lesson_id: int
    student_id: int


@pytest.fixture(params=BACKENDS)
def source(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Source]:
    """The small demo school in a fresh database that the app's services write to."""
    database = conftest.new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    with contextlib.redirect_stdout(io.StringIO()):
        run_seed(database.engine, size="small", seed=7, today=SEEDED_TODAY, credentials_path=None)
    with Session(database.engine) as session:
        user_id = session.execute(
            text("SELECT id FROM app_user WHERE login = 'teacher'")
        ).scalar_one()
        teacher = dataclasses.replace(load_actor(session, user_id), must_change_password=False)
        lesson_id, class_id = session.execute(
            text(
                "SELECT l.id, ta.class_id FROM lesson l"
                " JOIN teaching_assignment ta ON ta.id = l.assignment_id"
                " WHERE ta.teacher_id = :t AND l.date <= :d ORDER BY l.date DESC, l.id LIMIT 1"
            ),
            {"t": teacher.staff_id, "d": SEEDED_TODAY},
        ).one()
        student_id = session.execute(
            text("SELECT student_id FROM enrolment WHERE class_id = :c ORDER BY id LIMIT 1"),
            {"c": class_id},
        ).scalar_one()
    monkeypatch.setattr(db, "get_engine", lambda url=None: database.engine)
    yield Source(database, teacher, lesson_id, student_id)
    conftest.dispose_database(database)


@pytest.fixture()
def target(source: Source, tmp_path: Path) -> Iterator[conftest.TestDatabase]:
    """A brand-new database of the source's backend: nothing in it, not even tables."""
    database = conftest.new_database(source.database.backend, tmp_path)
    database.engine.dispose()
    yield database
    conftest.dispose_database(database)


def _cell(engine: Any, src: Source) -> tuple[str, int]:
    """The written cell's text and version in the database at `engine`."""
    with Session(engine) as session:
        cell = load_cells(session, lesson_ids=[src.lesson_id], student_ids=[src.student_id]).get(
            (src.student_id, src.lesson_id)
        )
    return (cell.text, cell.version) if cell else ("", 0)


def _write(src: Source, n: int) -> None:
    """The teacher saves the n-th alternating mark through the service boundary."""
    _, version = _cell(src.database.engine, src)
    db.run_transaction(
        set_cell,
        actor=src.teacher,
        lesson_id=src.lesson_id,
        student_id=src.student_id,
        text=TEXTS[n % 2],
        expected_version=version,
        now=WRITE_AT,
    )


def _counts(engine: Any) -> dict[str, int]:
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        return {
            n: connection.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names
        }


def _export(engine: Any, out: Path) -> dict[str, bytes]:
    with Session(engine) as session:
        export_school(session, out_dir=out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "manifest.json"}


def _has_tables(database: conftest.TestDatabase) -> bool:
    engine = db.make_engine(database.url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the backup


def test_the_manifest_describes_the_copy(source, tmp_path):
    """The manifest names the backend, the schema revision, every table's rows, the dump's
    SHA-256 and the audit chain's last row, as the database holds them."""
    _write(source, 0)
    result = backup.make_backup(source.database.url, tmp_path / "backups")

    assert result.path.parent == tmp_path / "backups"
    assert result.path.name.startswith("ejournal-") and result.path.name.endswith("Z")
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["backend"] == source.database.backend
    assert manifest["tables"] == _counts(source.database.engine)
    assert manifest["tables"]["mark"] > 0 and manifest["tables"]["student"] > 0
    with Session(source.database.engine) as session:
        head = audit.make_anchor(session)
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert manifest["schema_revision"] == revision
    assert manifest["audit_head"] == head.to_dict() and head.rows >= 2
    dump = result.path / manifest["dump_file"]
    assert manifest["files"] == {
        dump.name: {"sha256": backup.sha256_file(dump), "bytes": dump.stat().st_size}
    }
    assert sorted(p.name for p in result.path.iterdir()) == sorted([dump.name, "manifest.json"])


def test_two_backups_in_one_second_get_two_folders(source, tmp_path):
    """A second backup taken in the same second does not overwrite the first."""
    at = dt.datetime(2026, 11, 30, 18, 5, tzinfo=dt.UTC)
    first = backup.make_backup(source.database.url, tmp_path, now=at)
    second = backup.make_backup(source.database.url, tmp_path, now=at)
    assert first.path.name == "ejournal-2026-11-30T18-05-00Z"
    assert second.path != first.path and second.path.is_dir() and first.path.is_dir()


# --------------------------------------------------------------------------- the restore drill


def test_restored_database_exports_exactly_as_the_source(source, target, tmp_path):
    """Writes stop, a backup is taken and restored elsewhere: the two exports are identical
    byte for byte, the counts match the manifest and the audit chain verifies."""
    for n in range(3):
        _write(source, n)
    made = backup.make_backup(source.database.url, tmp_path / "backups")
    before = _export(source.database.engine, tmp_path / "export-source")

    result = backup.restore_backup(made.path, target.url)

    assert result.ok, result.mismatches
    assert (
        result.audit_break is None and result.audit_checked == made.manifest["audit_head"]["rows"]
    )
    assert result.tables == made.manifest["tables"]
    engine = db.make_engine(target.url)
    try:
        after = _export(engine, tmp_path / "export-restored")
        assert _cell(engine, source)[0] == TEXTS[2 % 2]
    finally:
        engine.dispose()
    assert after.keys() == before.keys() and len(after) > 10
    assert [name for name in before if before[name] != after[name]] == []


def test_a_backup_taken_while_teachers_write_restores_consistent(
    source, target, tmp_path, monkeypatch
):
    """Marks keep being saved while the backup runs: the restored database is one moment
    of the source — its last mark is the one its last audit row recorded, its counts equal
    the manifest and its audit chain verifies — and the writes went on afterwards."""
    real_read = backup.read_snapshot

    def read_while_writes_land(connection: Any) -> backup.Snapshot:
        # PostgreSQL: the snapshot is exported, pg_dump has not run yet; more saves commit
        # now, and neither the counts nor the dump may see them. SQLite: the copy is made.
        during.append(len(written))
        while len(written) < during[0] + 3 and thread.is_alive():
            threading.Event().wait(0.01)
        return real_read(connection)

    monkeypatch.setattr(backup, "read_snapshot", read_while_writes_land)
    during: list[int] = []
    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def teacher() -> None:
        n = 0
        while not stop.is_set():
            try:
                _write(source, n)
            except BaseException as exc:  # reported to the test
                failures.append(exc)
                return
            written.append(n)
            n += 1

    thread = threading.Thread(target=teacher)
    thread.start()
    try:
        while len(written) < 5 and thread.is_alive():
            threading.Event().wait(0.01)
        made = backup.make_backup(source.database.url, tmp_path / "backups")
        at_backup_end = len(written)
        while len(written) < at_backup_end + 3 and thread.is_alive():
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert failures == []
    assert len(during) == 1 and at_backup_end >= during[0] + 3  # saves landed mid-backup
    assert len(written) > at_backup_end  # and went on after it

    result = backup.restore_backup(made.path, target.url)

    assert result.ok, result.mismatches
    engine = db.make_engine(target.url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                text("SELECT id FROM audit_log WHERE action = :a AND actor_id = :u ORDER BY id"),
                {"a": audit.AuditAction.CELL_SET.value, "u": source.teacher.user_id},
            ).scalars().all()  # fmt: skip
        cell_text, version = _cell(engine, source)
    finally:
        engine.dispose()
    assert len(rows) >= 5
    # The cell's version is the id of the audit row that wrote it: mark and audit agree.
    assert version == rows[-1]
    assert cell_text == TEXTS[(len(rows) - 1) % 2]
    source_head = made.manifest["audit_head"]
    with Session(source.database.engine) as session:
        assert audit.make_anchor(session).rows > source_head["rows"]


# --------------------------------------------------------------------------- refusals


def test_a_backup_with_one_byte_changed_is_refused_and_nothing_written(source, target, tmp_path):
    """One changed byte in the dump: the restore refuses in Russian before touching the target."""
    made = backup.make_backup(source.database.url, tmp_path / "backups")
    dump = made.path / made.manifest["dump_file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))

    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(made.path, target.url)

    assert "повреждена" in refused.value.message
    assert f"файл {dump.name} изменён" in refused.value.message
    assert not _has_tables(target)


@pytest.mark.parametrize("lost", ["dump", "manifest.json"])
def test_a_backup_missing_a_file_is_refused(source, target, tmp_path, lost):
    """A backup folder without its dump or its manifest is refused, the target untouched."""
    made = backup.make_backup(source.database.url, tmp_path / "backups")
    name = made.manifest["dump_file"] if lost == "dump" else lost
    (made.path / name).unlink()

    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(made.path, target.url)

    assert "повреждена" in refused.value.message and name in refused.value.message
    assert not _has_tables(target)


def test_a_non_empty_target_is_refused_without_force(source, target, tmp_path):
    """A database that already holds data is not overwritten unless --force is given;
    with it, its content is replaced by the backup's."""
    made = backup.make_backup(source.database.url, tmp_path / "backups")
    assert backup.restore_backup(made.path, target.url).ok
    engine = db.make_engine(target.url)
    try:
        with Session(engine) as session:
            audit.record(
                session, actor_id=None, action=audit.AuditAction.SEED,
                entity=audit.AuditEntity.SCHOOL, entity_id=None, reason="после копии",
            )  # fmt: skip
            session.commit()
    finally:
        engine.dispose()

    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(made.path, target.url)
    assert "не пуста" in refused.value.message and "--force" in refused.value.message
    engine = db.make_engine(target.url)
    try:
        assert _counts(engine)["audit_log"] == made.manifest["tables"]["audit_log"] + 1
    finally:
        engine.dispose()

    forced = backup.restore_backup(made.path, target.url, force=True)

    assert forced.ok, forced.mismatches
    assert forced.tables["audit_log"] == made.manifest["tables"]["audit_log"]


def test_a_backup_goes_back_only_to_its_own_kind_of_database(source, tmp_path):
    """A SQLite backup is not restored into PostgreSQL (and back): a clear refusal."""
    made = backup.make_backup(source.database.url, tmp_path / "backups")
    other = (
        "postgresql://nobody@127.0.0.1:1/x"
        if source.database.backend == "sqlite"
        else f"sqlite:///{tmp_path / 'x.db'}"
    )
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(made.path, other)
    assert "восстанавливается только в" in refused.value.message
    assert not (tmp_path / "x.db").exists()


def test_an_interrupted_backup_leaves_no_backup_folder(source, tmp_path, monkeypatch):
    """A backup that fails half-way leaves nothing that looks like a backup."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise backup.BackupError("сбой для проверки")

    monkeypatch.setattr(backup, "read_snapshot", broken)
    with pytest.raises(backup.BackupError):
        backup.make_backup(source.database.url, tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []


# --------------------------------------------------------------------------- PostgreSQL tools


def _pg_only(source: Source) -> None:
    if source.database.backend != "postgresql":
        pytest.skip("only PostgreSQL backups use pg_dump")


def test_pg_dump_older_than_the_server_is_named(source, tmp_path, monkeypatch):
    """A pg_dump older than the server: the message names both versions and the package."""
    _pg_only(source)
    monkeypatch.setattr(backup, "tool_major", lambda name: 9)
    with pytest.raises(backup.BackupError) as refused:
        backup.make_backup(source.database.url, tmp_path / "backups")
    assert "версия pg_dump (9) старше сервера PostgreSQL" in refused.value.message
    assert "postgresql-client-" in refused.value.message
    assert list((tmp_path / "backups").iterdir()) == []


def test_a_dump_newer_than_pg_restore_is_refused_untouched(source, target, tmp_path, monkeypatch):
    """A backup written by a newer pg_dump than this pg_restore: refused, target untouched."""
    _pg_only(source)
    made = backup.make_backup(source.database.url, tmp_path / "backups")
    assert made.manifest["pg_dump_major_version"] >= made.manifest["server_major_version"]
    monkeypatch.setattr(backup, "tool_major", lambda name: 9)
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(made.path, target.url)
    assert "pg_restore здесь версии 9" in refused.value.message
    assert not _has_tables(target)


def test_missing_pg_dump_says_what_to_install(source, tmp_path, monkeypatch):
    """Without pg_dump on the machine the message says to install postgresql-client."""
    _pg_only(source)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError) as refused:
        backup.make_backup(source.database.url, tmp_path / "backups")
    assert "pg_dump не найдена" in refused.value.message
    assert "postgresql-client" in refused.value.message


def test_the_password_stays_off_the_command_line():
    """pg_dump gets the password through its environment, never as an argument."""
    env = backup._pg_env("postgresql://ej:s3cret@db.example:5433/school?sslmode=require")
    assert env["PGPASSWORD"] == "s3cret" and env["PGHOST"] == "db.example"
    assert env["PGPORT"] == "5433" and env["PGDATABASE"] == "school"
    assert env["PGSSLMODE"] == "require"
