"""`ejournal backup` and `ejournal restore`, run for real in a subprocess (see test_cli.py).

The small demo school is seeded into its own database; the backup is restored into a
second, empty database of the same kind, and the two `ejournal export`s are compared.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from ejournal.domain import migrate
from ejournal.domain.db import make_engine
from ejournal.domain.seed import run_seed
from tests import conftest
from tests.conftest import BACKENDS, SEEDED_TODAY, dispose_database, new_database
from tests.test_cli import assert_one_line_error, run

pytestmark = pytest.mark.db


@pytest.fixture(params=BACKENDS)
def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[conftest.TestDatabase, conftest.TestDatabase]]:
    """(the seeded small school, a brand-new empty database of the same kind)."""
    source = new_database(request.param, tmp_path)
    migrate.upgrade(source.engine)
    with contextlib.redirect_stdout(io.StringIO()):
        run_seed(source.engine, size="small", seed=7, today=SEEDED_TODAY, credentials_path=None)
    source.engine.dispose()
    target = new_database(request.param, tmp_path)
    target.engine.dispose()
    yield source, target
    dispose_database(source)
    dispose_database(target)


def _backup(source: conftest.TestDatabase, tmp: Path) -> Path:
    done = run(source.url, "backup", "--out", str(tmp / "backups"), tmp=tmp)
    assert done.returncode == 0, done.stderr
    found = re.search(r"Резервная копия записана в (\S+)", done.stdout)
    assert found, done.stdout
    folder = tmp / found.group(1)
    assert folder.parent == tmp / "backups" and folder.name.startswith("ejournal-")
    return folder


def _export(url: str, out: Path, tmp: Path) -> dict[str, bytes]:
    done = run(url, "export", "--out", str(out), tmp=tmp)
    assert done.returncode == 0, done.stderr
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != "manifest.json"}


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_backup_restore_and_the_two_exports_are_identical(pair, tmp_path):
    """backup → restore into an empty database: a Russian summary, exit 0, `ejournal export`
    of both databases byte for byte equal, and `audit verify` passes on the restored one."""
    source, target = pair
    folder = _backup(source, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    before = _export(source.url, tmp_path / "export-source", tmp_path)

    done = run(source.url, "restore", str(folder), "--to", target.url, tmp=tmp_path)

    assert done.returncode == 0, done.stderr + done.stdout
    assert "Резервная копия проверена: все файлы целы" in done.stdout
    assert f"строк {manifest['rows']}" in done.stdout
    assert "совпадают с описанием копии" in done.stdout
    assert "Журнал аудита цел" in done.stdout
    after = _export(target.url, tmp_path / "export-restored", tmp_path)
    assert after.keys() == before.keys() and len(before) > 10
    assert [name for name in before if before[name] != after[name]] == []
    verified = run(target.url, "audit", "verify", tmp=tmp_path)
    assert verified.returncode == 0 and "Журнал аудита цел" in verified.stdout


def test_a_backup_with_one_changed_byte_is_refused(pair, tmp_path):
    """One byte changed in the dump: one Russian line, exit 2, the target still empty."""
    source, target = pair
    folder = _backup(source, tmp_path)
    dump = next(p for p in folder.iterdir() if p.name != "manifest.json")
    with dump.open("r+b") as handle:
        handle.seek(dump.stat().st_size // 3)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))

    done = run(source.url, "restore", str(folder), "--to", target.url, tmp=tmp_path)

    line = assert_one_line_error(done)
    assert "повреждена" in line and "SHA-256 не сходится" in line and dump.name in line
    assert _tables(target.url) == []


def test_a_non_empty_database_needs_force(pair, tmp_path):
    """Restoring over a database with data is refused without --force and done with it."""
    source, target = pair
    folder = _backup(source, tmp_path)
    first = run(source.url, "restore", str(folder), "--to", target.url, tmp=tmp_path)
    assert first.returncode == 0, first.stderr

    again = run(source.url, "restore", str(folder), "--to", target.url, tmp=tmp_path)
    line = assert_one_line_error(again)
    assert "не пуста" in line and "--force" in line

    forced = run(source.url, "restore", str(folder), "--to", target.url, "--force", tmp=tmp_path)
    assert forced.returncode == 0, forced.stderr + forced.stdout
    assert "Журнал аудита цел" in forced.stdout


def test_a_manifest_that_disagrees_with_the_dump_is_reported(pair, tmp_path):
    """When the restored rows differ from the manifest the table is named and the exit is 1."""
    source, target = pair
    folder = _backup(source, tmp_path)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["tables"]["mark"] += 1
    path.write_text(json.dumps(manifest), encoding="utf-8")

    done = run(source.url, "restore", str(folder), "--to", target.url, tmp=tmp_path)

    assert done.returncode == 1, done.stderr
    assert "не сходится с описанием копии" in done.stdout
    assert f"в таблице mark строк {manifest['tables']['mark'] - 1}" in done.stdout


def test_restore_of_a_missing_folder_is_one_line(tmp_path):
    """A folder that is not there: one Russian line, exit 2."""
    target = f"sqlite:///{tmp_path / 'new.db'}"
    done = run(target, "restore", str(tmp_path / "nothing"), "--to", target, tmp=tmp_path)
    assert "не найден" in assert_one_line_error(done)
    assert not (tmp_path / "new.db").exists()


def test_backup_of_a_database_without_schema_is_one_line(tmp_path):
    """Backing up a database that was never migrated says to migrate first."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    done = run(url, "backup", "--out", str(tmp_path / "backups"), tmp=tmp_path)
    assert "ejournal migrate" in assert_one_line_error(done)
    assert not (tmp_path / "backups").exists()
