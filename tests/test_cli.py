"""The `ejournal` console script, run for real in a subprocess against a real database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from ejournal.domain import audit, migrate
from ejournal.domain.models import AuditLog, RoleGrant, School, Staff, User
from ejournal.domain.people.passwords import verify_password
from tests import conftest
from tests.conftest import BACKENDS, dispose_database, new_database

pytestmark = pytest.mark.db

EJOURNAL = Path(sys.executable).with_name("ejournal")
UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/x"
GOOD_PASSWORD = "Пароль для директора 2026"


def run(db_url: str, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with REFLEX_DB_URL pointing at `db_url`."""
    env = {
        **os.environ,
        "REFLEX_DB_URL": db_url,
        "EJOURNAL_BCRYPT_ROUNDS": "4",
        "EJOURNAL_VAR_DIR": str(tmp / "var"),
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    return subprocess.run(
        [str(EJOURNAL), *args],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """Exit code 2, exactly one line on stderr, no traceback anywhere; returns the line."""
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[conftest.TestDatabase]:
    """A fresh database migrated to head (its own, so the commands can commit)."""
    database = new_database(request.param, tmp_path)
    migrate.upgrade(database.engine)
    yield database
    dispose_database(database)


def _user(db: conftest.TestDatabase, login: str) -> User | None:
    with Session(db.engine) as session:
        return session.exec(select(User).where(User.login == login)).first()


def _audit_rows(db: conftest.TestDatabase, count: int) -> list[int]:
    """Append `count` audit rows in separate transactions; their ids in order."""
    ids = []
    for n in range(count):
        with Session(db.engine) as session:
            row = audit.record(
                session,
                actor_id=None,
                action="test.write",
                entity="test",
                entity_id=n,
                after={"n": n, "текст": "запись"},
            )
            session.commit()
            assert row.id is not None
            ids.append(row.id)
    return ids


# --------------------------------------------------------------------------- migrate


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_migrate_brings_an_empty_database_to_the_full_schema(empty_db, tmp_path):
    """`ejournal migrate` on an empty database creates every table and exits 0."""
    result = run(empty_db.url, "migrate", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {"mark", "audit_log", "app_user"} <= set(inspect(empty_db.engine).get_table_names())


def test_migrate_twice_changes_nothing_the_second_time(db, tmp_path):
    """Migrating an up-to-date database succeeds and keeps its tables."""
    result = run(db.url, "migrate", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mark" in inspect(db.engine).get_table_names()


# --------------------------------------------------------------------------- create-admin


def test_create_admin_with_a_password_creates_an_admin_who_can_log_in(db, tmp_path):
    """The new user exists, holds the admin role and the given password verifies."""
    result = run(db.url, "create-admin", "--login", "director", "--password", GOOD_PASSWORD,
                 "--last-name", "Сергеева", "--first-name", "Анна", tmp=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    user = _user(db, "director")
    assert user is not None
    assert verify_password(GOOD_PASSWORD, user.password_hash)
    assert not user.must_change_password
    with Session(db.engine) as session:
        roles = session.exec(select(RoleGrant.role).where(RoleGrant.user_id == user.id)).all()
        staff = session.exec(select(Staff).where(Staff.user_id == user.id)).one()
    assert roles == ["admin"]
    assert (staff.last_name, staff.first_name) == ("Сергеева", "Анна")


def test_create_admin_without_a_password_prints_a_one_time_password(db, tmp_path):
    """The printed one-time password verifies and must be changed at first login."""
    result = run(db.url, "create-admin", "--login", "admin", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    found = re.search(r"Одноразовый пароль: (\S+)", result.stdout)
    assert found, result.stdout
    user = _user(db, "admin")
    assert user is not None
    assert verify_password(found.group(1), user.password_hash)
    assert user.must_change_password


def test_create_admin_on_a_fresh_install_creates_the_school(db, tmp_path):
    """With no school in the database, create-admin creates one named «Школа»."""
    result = run(db.url, "create-admin", "--login", "admin", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    with Session(db.engine) as session:
        schools = session.exec(select(School.name)).all()
    assert schools == ["Школа"]


def test_create_admin_is_audited_without_an_actor(db, tmp_path):
    """The creation leaves one user.create audit row with no actor and no password."""
    run(db.url, "create-admin", "--login", "admin", "--password", GOOD_PASSWORD, tmp=tmp_path)
    user = _user(db, "admin")
    assert user is not None
    with Session(db.engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "user.create")).all()
    assert [(r.actor_id, r.entity, r.entity_id) for r in rows] == [(None, "user", user.id)]
    assert user.password_hash not in rows[0].after
    assert GOOD_PASSWORD not in rows[0].after


def test_create_admin_refuses_an_existing_login(db, tmp_path):
    """A second admin with the same login (in any letter case) is refused with one line."""
    first = run(db.url, "create-admin", "--login", "admin", tmp=tmp_path)
    assert first.returncode == 0, first.stderr
    again = run(db.url, "create-admin", "--login", "ADMIN", tmp=tmp_path)
    assert "admin" in assert_one_line_error(again)
    with Session(db.engine) as session:
        assert len(session.exec(select(User.id)).all()) == 1


def test_create_admin_refuses_a_common_password(db, tmp_path):
    """A password from the common list is refused with the Russian reason; no user is made."""
    result = run(db.url, "create-admin", "--login", "admin", "--password", "12345678",
                 tmp=tmp_path)  # fmt: skip
    assert "распространён" in assert_one_line_error(result)
    assert _user(db, "admin") is None


# --------------------------------------------------------------------------- export


def test_export_writes_the_csv_files_and_the_manifest(db, tmp_path):
    """After create-admin, export writes each file with a BOM and a manifest counting rows."""
    run(db.url, "create-admin", "--login", "admin", "--last-name", "Ёлкина", tmp=tmp_path)
    out = tmp_path / "выгрузка"
    result = run(db.url, "export", "--out", str(out), tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    assert rows["staff.csv"] == 1
    assert rows["students.csv"] == 0
    for name in rows:
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    assert "Ёлкина" in (out / "staff.csv").read_text(encoding="utf-8-sig")


# --------------------------------------------------------------------------- audit verify


def test_audit_verify_passes_on_an_intact_chain(db, tmp_path):
    """An untouched audit log verifies: exit 0 and the number of rows checked."""
    ids = _audit_rows(db, 3)
    result = run(db.url, "audit", "verify", tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Журнал аудита цел: {len(ids)} записей проверено" in result.stdout


def test_audit_verify_names_a_row_changed_in_the_database(db, tmp_path):
    """An UPDATE made directly in SQL is found: exit 1 naming that row."""
    ids = _audit_rows(db, 3)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET after = :after WHERE id = :id"),
            {"after": '{"n":99}', "id": ids[1]},
        )
    result = run(db.url, "audit", "verify", tmp=tmp_path)
    assert result.returncode == 1
    assert f"№{ids[1]} " in result.stdout
    assert "Traceback" not in result.stderr


def test_audit_verify_names_the_row_after_a_deleted_one(db, tmp_path):
    """A row deleted from the middle of the chain breaks it at the next row: exit 1."""
    ids = _audit_rows(db, 3)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    result = run(db.url, "audit", "verify", tmp=tmp_path)
    assert result.returncode == 1
    assert f"№{ids[2]} " in result.stdout


def _anchor(db: conftest.TestDatabase, tmp_path: Path) -> Path:
    """Write an anchor of the current log with the CLI; the file's path."""
    path = tmp_path / "backup" / "audit-anchor.json"
    result = run(db.url, "audit", "anchor", "--out", str(path), tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return path


def test_audit_anchor_records_the_last_row_and_the_row_count(db, tmp_path):
    """The anchor file holds the last row's id and hash and how many rows there were."""
    ids = _audit_rows(db, 3)
    data = json.loads(_anchor(db, tmp_path).read_text(encoding="utf-8"))
    with Session(db.engine) as session:
        last = session.get(AuditLog, ids[-1])
        assert last is not None
        assert (data["row_id"], data["row_hash"], data["rows"]) == (last.id, last.row_hash, 3)


def test_audit_anchor_goes_to_the_var_directory_by_default(db, tmp_path):
    """Without --out the anchor is written to var/audit-anchor.json."""
    _audit_rows(db, 1)
    result = run(db.url, "audit", "anchor", tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "var" / "audit-anchor.json").read_text())["rows"] == 1


def test_audit_verify_with_an_anchor_passes_on_an_untouched_log(db, tmp_path):
    """A log that only grew since the anchor verifies against it: exit 0."""
    _audit_rows(db, 3)
    anchor = _anchor(db, tmp_path)
    _audit_rows(db, 1)
    result = run(db.url, "audit", "verify", "--anchor", str(anchor), tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Якорь сходится" in result.stdout


def test_audit_verify_with_an_anchor_notices_the_last_row_cut_off(db, tmp_path):
    """Deleting the last row keeps the chain intact, but the anchor notices: exit 1."""
    ids = _audit_rows(db, 3)
    anchor = _anchor(db, tmp_path)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[-1]})
    assert run(db.url, "audit", "verify", tmp=tmp_path).returncode == 0
    result = run(db.url, "audit", "verify", "--anchor", str(anchor), tmp=tmp_path)
    assert result.returncode == 1
    assert f"№{ids[-1]} удалена" in result.stdout
    assert "Traceback" not in result.stderr


def test_audit_verify_with_an_anchor_notices_fewer_rows(db, tmp_path):
    """An anchor promising more rows than the log holds fails verification."""
    _audit_rows(db, 2)
    anchor = _anchor(db, tmp_path)
    data = json.loads(anchor.read_text(encoding="utf-8"))
    anchor.write_text(json.dumps({**data, "rows": data["rows"] + 1}), encoding="utf-8")
    result = run(db.url, "audit", "verify", "--anchor", str(anchor), tmp=tmp_path)
    assert result.returncode == 1
    assert "конец журнала удалён" in result.stdout


def test_audit_verify_with_an_anchor_notices_a_different_hash(db, tmp_path):
    """A tail rewritten wholesale (here: the anchored hash no longer matches) fails."""
    ids = _audit_rows(db, 2)
    anchor = _anchor(db, tmp_path)
    data = json.loads(anchor.read_text(encoding="utf-8"))
    anchor.write_text(json.dumps({**data, "row_hash": "f" * 64}), encoding="utf-8")
    result = run(db.url, "audit", "verify", "--anchor", str(anchor), tmp=tmp_path)
    assert result.returncode == 1
    assert f"хеш записи №{ids[-1]}" in result.stdout


def test_audit_verify_with_a_missing_anchor_file_is_one_line(db, tmp_path):
    """An anchor path that does not exist is a usage error, not a pass."""
    result = run(db.url, "audit", "verify", "--anchor", "nowhere.json", tmp=tmp_path)
    assert "nowhere.json" in assert_one_line_error(result)


# --------------------------------------------------------------------------- errors


def _a_file(tmp: Path) -> Path:
    blocker = tmp / "a-file"
    blocker.write_text("not a directory")
    return blocker


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param([], id="no-command"),
        pytest.param(["audit"], id="audit-without-subcommand"),
        pytest.param(["export"], id="export-without-out"),
        pytest.param(["create-admin"], id="create-admin-without-login"),
        pytest.param(["seed", "--today", "2026-02-30"], id="bad-today"),
        pytest.param(["seed", "--size", "huge"], id="bad-size"),
        pytest.param(["export", "--out", "x", "--school", "один"], id="bad-school-id"),
    ],
)
def test_a_wrong_argument_is_one_line_and_exit_2(db, tmp_path, args):
    """Wrong arguments give one Russian line on stderr and exit code 2, never a traceback."""
    line = assert_one_line_error(run(db.url, *args, tmp=tmp_path))
    assert line.startswith("ejournal: ")


#: What argparse says in English (Python 3.11): none of it may reach the user.
ARGPARSE_ENGLISH = (
    "usage",
    "error:",
    "argument ",
    "invalid choice",
    "choose from",
    "invalid int value",
    "the following arguments are required",
    "unrecognized arguments",
    "expected one argument",
    "ignored explicit argument",
    "command",
)
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["frobnicate"], id="invalid-choice-command"),
        pytest.param([], id="required-command"),
        pytest.param(["audit"], id="required-subcommand"),
        pytest.param(["export"], id="required-option"),
        pytest.param(["seed", "--size", "huge"], id="invalid-choice-option"),
        pytest.param(["seed", "--seed", "много"], id="invalid-int"),
        pytest.param(["seed", "--seed"], id="expected-one-argument"),
        pytest.param(["migrate", "--extra"], id="unrecognized-arguments"),
        pytest.param(["seed", "--force=1"], id="ignored-explicit-argument"),
    ],
)
def test_argparse_errors_are_worded_in_russian(tmp_path, args):
    """argparse's own error messages reach the user in Russian, not English."""
    line = assert_one_line_error(run(f"sqlite:///{tmp_path / 'x.db'}", *args, tmp=tmp_path))
    message = line.removeprefix("ejournal: ")
    assert CYRILLIC.search(message), line
    assert not [p for p in ARGPARSE_ENGLISH if p in message.lower()], line


@pytest.mark.parametrize("args", [["--help"], ["seed", "--help"], ["audit", "-h"]])
def test_the_help_is_in_russian(tmp_path, args):
    """`--help` prints usage, headings and option help in Russian and exits 0."""
    result = run(f"sqlite:///{tmp_path / 'x.db'}", *args, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("использование: ejournal"), result.stdout
    assert "показать эту справку и выйти" in result.stdout
    for phrase in ("usage:", "options:", "positional arguments", "show this help"):
        assert phrase not in result.stdout


def test_an_output_directory_that_cannot_be_created_is_one_line(db, tmp_path):
    """`export --out` under a regular file fails with one line naming the path."""
    target = _a_file(tmp_path) / "export"
    line = assert_one_line_error(run(db.url, "export", "--out", str(target), tmp=tmp_path))
    assert "a-file" in line


def test_an_output_path_that_is_a_file_is_one_line(db, tmp_path):
    """`export --out` naming a regular file fails with one line and leaves the file alone."""
    blocker = _a_file(tmp_path)
    assert_one_line_error(run(db.url, "export", "--out", str(blocker), tmp=tmp_path))
    assert blocker.read_text() == "not a directory"


def test_an_unknown_school_for_export_is_one_line(db, tmp_path):
    """Exporting a school id that does not exist fails with one line."""
    result = run(db.url, "export", "--out", "x", "--school", "999999", tmp=tmp_path)
    assert "999999" in assert_one_line_error(result)


@pytest.mark.parametrize(
    "args",
    [["migrate"], ["export", "--out", "x"], ["create-admin", "--login", "a"], ["audit", "verify"]],
    ids=["migrate", "export", "create-admin", "audit-verify"],
)
def test_postgresql_with_nothing_listening_is_one_line(tmp_path, args):
    """A PostgreSQL URL on a port where nothing listens gives one line and exit 2."""
    line = assert_one_line_error(run(UNREACHABLE_PG, *args, tmp=tmp_path))
    assert "база данных недоступна" in line


@pytest.mark.parametrize(
    "args",
    [["migrate"], ["export", "--out", "x"], ["create-admin", "--login", "a"], ["audit", "verify"]],
    ids=["migrate", "export", "create-admin", "audit-verify"],
)
def test_a_sqlite_file_in_a_directory_that_cannot_be_created_is_one_line(tmp_path, args):
    """A SQLite path below a regular file gives one line and exit 2."""
    url = f"sqlite:///{_a_file(tmp_path) / 'sub' / 'ejournal.db'}"
    assert_one_line_error(run(url, *args, tmp=tmp_path))


def test_a_malformed_database_url_is_one_line(tmp_path):
    """A REFLEX_DB_URL that is not a URL gives one line and exit 2."""
    assert_one_line_error(run("not a url", "migrate", tmp=tmp_path))


@pytest.mark.parametrize(
    "args",
    [["export", "--out", "x"], ["create-admin", "--login", "a"], ["audit", "verify"]],
    ids=["export", "create-admin", "audit-verify"],
)
def test_a_database_never_migrated_asks_for_migrate(tmp_path, args):
    """On an empty database the commands say to run `ejournal migrate` first."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert "ejournal migrate" in assert_one_line_error(run(url, *args, tmp=tmp_path))
