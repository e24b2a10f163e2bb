"""Backups that restore: a consistent copy of the database with a manifest, and its restore.

A backup is a folder `ejournal-YYYY-MM-DDTHH-MM-SSZ` holding the dump file and
`manifest.json`: when it was made, the backend, the schema revision, the row count of
every table, the SHA-256 of every file and the audit chain's head. The counts and the
head are read from the very snapshot the dump holds (SQLite: from the copy itself;
PostgreSQL: in the transaction whose exported snapshot `pg_dump` uses), so a restore can
be checked against them. Restoring verifies every file's hash before writing anything,
refuses a database that already has tables unless forced, and afterwards compares the
counts and the audit head and verifies the whole audit chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ejournal.domain import audit
from ejournal.domain.db import make_engine, normalise_url
from ejournal.domain.errors import DomainError

FORMAT = "ejournal-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SQLITE_FILE = "ejournal.sqlite3"
PG_FILE = "ejournal.pgdump"
DUMP_FILES = {"sqlite": SQLITE_FILE, "postgresql": PG_FILE}
NAME_PREFIX = "ejournal-"
#: pg_dump/pg_restore may take a while on a big school, never forever.
PG_TOOL_TIMEOUT_S = 3600

CLIENT_HINT = (
    "установите клиент PostgreSQL из пакетов Debian: apt-get install postgresql-client "
    "(или scripts/bootstrap.sh test от root)"
)


class BackupError(DomainError):
    """A backup could not be made or a restore was refused; nothing was changed."""


@dataclass(frozen=True)
class Snapshot:
    """What the manifest tells of the data: read in the same snapshot as the dump."""

    schema_revision: str
    tables: dict[str, int]
    audit_head: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    """What the restored database holds and whether it matches the manifest."""

    url: str  # without the password
    manifest: dict[str, Any]
    tables: dict[str, int]
    audit_checked: int
    audit_break: audit.ChainBreak | None
    mismatches: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.audit_break is None


# --------------------------------------------------------------------------- helpers


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def safe_url(url: str) -> str:
    """The URL as it may be printed: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the caller
        return url


def backend_of(url: str) -> str:
    try:
        name = make_url(normalise_url(url)).get_backend_name()
    except Exception:
        raise BackupError(f"не удаётся разобрать адрес базы данных «{url}»") from None
    if name not in DUMP_FILES:
        raise BackupError(f"базы данных «{name}» не поддерживаются: только SQLite и PostgreSQL")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("база данных SQLite в памяти не сохраняется: укажите файл")
    return Path(database)


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def read_snapshot(connection: Connection) -> Snapshot:
    """Schema revision, rows per table and the audit head, in the connection's transaction."""
    tables: dict[str, int] = {}
    for name in sorted(inspect(connection).get_table_names()):
        count = connection.execute(text(f"SELECT count(*) FROM {_quote(connection, name)}"))
        tables[name] = int(count.scalar_one())
    revision = ""
    if "alembic_version" in tables:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        revision = ",".join(sorted(str(v) for v in versions))
    head: dict[str, Any] = audit.Anchor(0, audit.GENESIS, 0).to_dict()
    if "audit_log" in tables:
        with Session(bind=connection) as session:
            head = audit.make_anchor(session).to_dict()
    return Snapshot(revision, tables, head)


def _folder_name(now: dt.datetime) -> str:
    return f"{NAME_PREFIX}{now.astimezone(dt.UTC):%Y-%m-%dT%H-%M-%SZ}"


def _new_folder(out_dir: Path, now: dt.datetime) -> Path:
    """A fresh folder name under `out_dir` (a suffix when two backups share a second)."""
    base = _folder_name(now)
    candidate, n = out_dir / base, 1
    while candidate.exists() or (out_dir / f".{candidate.name}.partial").exists():
        n += 1
        candidate = out_dir / f"{base}-{n}"
    return candidate


def _os_reason(exc: OSError) -> str:
    from ejournal.domain.exchange import os_error_reason

    return os_error_reason(exc)


# --------------------------------------------------------------------------- PostgreSQL tools


def _pg_env(url: str) -> dict[str, str]:
    """libpq's environment for `url`: the password never appears on a command line."""
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": parsed.host,
        "PGPORT": None if parsed.port is None else str(parsed.port),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
    }
    for key, value in pairs.items():
        if value:
            env[key] = str(value)
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
        given = parsed.query.get(option)
        if isinstance(given, str):
            env[f"PG{option.upper()}"] = given
    env["PGAPPNAME"] = "ejournal-backup"
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"программа {name} не найдена: {CLIENT_HINT}")
    return path


def tool_major(name: str) -> int:
    """The major version of pg_dump / pg_restore on this machine."""
    path = _tool(name)
    out = subprocess.run(  # noqa: S603 - our own argument list, no shell
        [path, "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if found is None:
        raise BackupError(f"не удаётся узнать версию {name}: «{out.strip()}»")
    return int(found.group(1))


def _server_major(connection: Connection) -> int:
    return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _check_versions(name: str, client: int, server: int) -> None:
    """pg_dump refuses a server newer than itself: say so before it fails."""
    if name == "pg_dump" and server > client:
        raise BackupError(
            f"версия pg_dump ({client}) старше сервера PostgreSQL ({server}): "
            f"нужен клиент версии {server} или новее — apt-get install "
            f"postgresql-client-{server} (из репозитория PostgreSQL, apt.postgresql.org)"
        )


def _run_tool(args: list[str], url: str, what: str) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - our own argument list, no shell
            args, env=_pg_env(url), capture_output=True, text=True, check=False,
            timeout=PG_TOOL_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise BackupError(
            f"{what}: программа не закончила работу за {PG_TOOL_TIMEOUT_S} с"
        ) from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        detail = lines[0] if lines else f"код выхода {done.returncode}"
        raise BackupError(f"{what}: {detail}")


# --------------------------------------------------------------------------- backup


def _sqlite_copy(source: Path, dest: Path) -> Snapshot:
    """Copy with SQLite's online backup API (one step: one read snapshot, writers go on)."""
    if not source.is_file():
        raise BackupError(f"файл базы данных «{source}» не найден")
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        with closing(sqlite3.connect(dest)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    engine = create_engine(f"sqlite:///{dest}")
    try:
        with engine.connect() as connection:
            snap = read_snapshot(connection)
            connection.rollback()
    finally:
        engine.dispose()
    return snap


def _pg_dump(url: str, dest: Path) -> tuple[Snapshot, dict[str, int]]:
    """pg_dump in the custom format from a snapshot this transaction exports and reads."""
    client = tool_major("pg_dump")
    engine = make_engine(url)
    try:
        with engine.connect() as base:
            connection = base.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with connection.begin():
                snapshot_id = str(
                    connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                )
                server = _server_major(connection)
                _check_versions("pg_dump", client, server)
                snap = read_snapshot(connection)
                _run_tool(
                    [_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot_id}",
                     "--no-password", f"--file={dest}"],
                    url, "pg_dump не сделал копию",
                )  # fmt: skip
    finally:
        engine.dispose()
    return snap, {"server_major_version": server, "pg_dump_major_version": client}


def make_backup(url: str, out_dir: Path, *, now: dt.datetime | None = None) -> BackupResult:
    """Back up the database at `url` into a new folder under `out_dir`; return it.

    The folder is written under a hidden temporary name and renamed when complete, with
    the manifest written last: a folder named `ejournal-…` is always a whole backup.
    """
    import time

    started = time.perf_counter()
    backend = backend_of(url)
    now = now or dt.datetime.now(dt.UTC)
    if out_dir.exists() and not out_dir.is_dir():
        raise BackupError(f"«{out_dir}» — это файл, а не каталог")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"не удаётся создать каталог «{out_dir}»: {_os_reason(exc)}") from None
    final = _new_folder(out_dir, now)
    partial = out_dir / f".{final.name}.partial"
    partial.mkdir()
    try:
        dump = partial / DUMP_FILES[backend]
        versions: dict[str, int] = {}
        if backend == "sqlite":
            snap = _sqlite_copy(_sqlite_path(url), dump)
        else:
            snap, versions = _pg_dump(url, dump)
        files = {
            p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(partial.iterdir())
        }
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "backend": backend,
            "dump_file": dump.name,
            "schema_revision": snap.schema_revision,
            "tables": snap.tables,
            "rows": snap.rows,
            "audit_head": snap.audit_head,
            "files": files,
        }
        manifest.update(versions)
        (partial / MANIFEST_NAME).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        partial.rename(final)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise BackupError(f"резервная копия не записана: {_os_reason(exc)}") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(final, manifest, time.perf_counter() - started)


# --------------------------------------------------------------------------- verify


def _damaged(folder: Path, why: str) -> BackupError:
    return BackupError(f"резервная копия «{folder}» повреждена: {why}; восстановление отменено")


def verify_backup(folder: Path) -> dict[str, Any]:
    """The manifest of the backup in `folder` after checking every file's SHA-256.

    Raises BackupError (Russian) for a missing folder or manifest, a manifest that is not
    ours, and a file missing, of another size or with another hash.
    """
    if not folder.is_dir():
        raise BackupError(f"каталог резервной копии «{folder}» не найден")
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _damaged(folder, f"нет описания {MANIFEST_NAME}") from None
    except (ValueError, UnicodeDecodeError):
        raise _damaged(folder, f"описание {MANIFEST_NAME} не читается") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(folder, f"{MANIFEST_NAME} — не описание резервной копии ЭЖ")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"резервная копия «{folder}» сделана другой версией программы "
            f"(формат {manifest.get('format_version')!r}); восстановление отменено"
        )
    backend, files = manifest.get("backend"), manifest.get("files")
    tables, head = manifest.get("tables"), manifest.get("audit_head")
    if (
        backend not in DUMP_FILES
        or not isinstance(files, dict)
        or manifest.get("dump_file") != DUMP_FILES[str(backend)]
        or DUMP_FILES[str(backend)] not in files
        or not isinstance(tables, dict)
        or not isinstance(head, dict)
    ):
        raise _damaged(folder, f"в {MANIFEST_NAME} не хватает сведений")
    for name, meta in sorted(files.items()):
        file = folder / name
        if Path(name).name != name or not isinstance(meta, dict):
            raise _damaged(folder, f"в {MANIFEST_NAME} неверная запись о файле «{name}»")
        if not file.is_file():
            raise _damaged(folder, f"нет файла {name}")
        if file.stat().st_size != meta.get("bytes") or sha256_file(file) != meta.get("sha256"):
            raise _damaged(folder, f"файл {name} изменён (контрольная сумма SHA-256 не сходится)")
    return manifest


# --------------------------------------------------------------------------- restore


def _target_state(engine: Engine) -> tuple[int, int]:
    """(tables, rows outside alembic_version) of the target database."""
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        rows = 0
        for name in names:
            if name != "alembic_version":
                count = connection.execute(text(f"SELECT count(*) FROM {_quote(connection, name)}"))
                rows += int(count.scalar_one())
        connection.rollback()
    return len(names), rows


def _refuse_non_empty(url: str, tables: int, rows: int) -> None:
    what = f"записей: {rows}" if rows else f"таблиц: {tables}, записей нет"
    raise BackupError(
        f"база данных «{safe_url(url)}» не пуста ({what}); чтобы заменить её содержимое "
        "копией, добавьте --force"
    )


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _restore_sqlite(folder: Path, manifest: Mapping[str, Any], url: str, force: bool) -> None:
    target = _sqlite_path(url)
    if target.exists():
        with _engine(url) as engine:
            tables, rows = _target_state(engine)
        if tables and not force:
            _refuse_non_empty(url, tables, rows)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            f"не удаётся создать каталог «{target.parent}»: {_os_reason(exc)}"
        ) from None
    source = folder / str(manifest["dump_file"])
    # The backup API writes the whole target under its write lock: readers of a target
    # that is in use see either the old or the new database, never a mix.
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        with closing(sqlite3.connect(target, timeout=30)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")


def _restore_postgresql(folder: Path, manifest: Mapping[str, Any], url: str, force: bool) -> None:
    client = tool_major("pg_restore")
    with _engine(url) as engine:
        tables, rows = _target_state(engine)
    if tables and not force:
        _refuse_non_empty(url, tables, rows)
    dumped_by = manifest.get("pg_dump_major_version")
    if isinstance(dumped_by, int) and dumped_by > client:
        raise BackupError(
            f"копию сделал pg_dump версии {dumped_by}, а pg_restore здесь версии {client}: "
            f"нужен клиент PostgreSQL версии {dumped_by} или новее — apt-get install "
            f"postgresql-client-{dumped_by} (из репозитория apt.postgresql.org)"
        )
    # One transaction: a restore that fails half-way leaves the target as it was.
    args = [_tool("pg_restore"), "--no-password", "--no-owner", "--no-acl", "--exit-on-error",
            "--single-transaction", f"--dbname={make_url(url).database}"]  # fmt: skip
    if force:
        args += ["--clean", "--if-exists"]
    args.append(str(folder / str(manifest["dump_file"])))
    _run_tool(args, url, "pg_restore не восстановил копию")


def check_restored(
    url: str, manifest: Mapping[str, Any]
) -> tuple[dict[str, int], int, audit.ChainBreak | None, list[str]]:
    """Counts and audit of the database at `url` against `manifest`: (tables, audit rows
    checked, the first chain break, Russian mismatches)."""
    problems: list[str] = []
    with _engine(url) as engine, engine.connect() as connection:
        snap = read_snapshot(connection)
        with Session(bind=connection) as session:
            checked, chain_break = audit.verify_chain(session)
        connection.rollback()
    expected: dict[str, int] = {str(k): int(v) for k, v in dict(manifest["tables"]).items()}
    for name, count in sorted(expected.items()):
        got = snap.tables.get(name)
        if got is None:
            problems.append(f"нет таблицы {name}")
        elif got != count:
            problems.append(f"в таблице {name} строк {got}, в копии {count}")
    if snap.schema_revision != manifest.get("schema_revision"):
        problems.append(
            f"версия схемы {snap.schema_revision!r}, в копии {manifest.get('schema_revision')!r}"
        )
    if snap.audit_head != manifest.get("audit_head"):
        problems.append("последняя запись журнала аудита не та, что в копии")
    return snap.tables, checked, chain_break, problems


def restore_backup(folder: Path, url: str, *, force: bool = False) -> RestoreResult:
    """Restore the backup in `folder` into the database at `url`, then check it.

    Refuses (BackupError, nothing written) a damaged backup, another backend than the
    backup's, and a target that already has tables unless `force`. The result tells
    whether the restored rows and audit chain match the manifest.
    """
    import time

    started = time.perf_counter()
    manifest = verify_backup(folder)
    backend = backend_of(url)
    if backend != manifest["backend"]:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"копия базы {names[str(manifest['backend'])]} восстанавливается только в "
            f"{names[str(manifest['backend'])]}, а указана база {names[backend]}"
        )
    if backend == "sqlite":
        _restore_sqlite(folder, manifest, url, force)
    else:
        _restore_postgresql(folder, manifest, url, force)
    tables, checked, chain_break, mismatches = check_restored(url, manifest)
    return RestoreResult(
        url=safe_url(url),
        manifest=manifest,
        tables=tables,
        audit_checked=checked,
        audit_break=chain_break,
        mismatches=mismatches,
        seconds=time.perf_counter() - started,
    )
