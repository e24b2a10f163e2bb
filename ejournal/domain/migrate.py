"""Alembic migrations, run programmatically (`ejournal migrate`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run an Alembic step in one transaction. On SQLite, foreign keys are off meanwhile:
    batch mode rebuilds a table (copy, drop, rename), and dropping a table other rows point
    at fails with them on. The keys are checked before the commit and turned back on."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw: Any = connection.connection.driver_connection if sqlite else None
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")  # only outside a transaction
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                step(cfg)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at `engine` to `revision`."""
    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str = "base") -> None:
    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def is_empty(engine: Engine) -> bool:
    """True when the database has no school yet (fresh or just migrated)."""
    from sqlmodel import Session, select

    from ejournal.domain.models import School

    if not inspect(engine).has_table("school"):
        return True
    with Session(engine) as session:
        return session.exec(select(School.id).limit(1)).first() is None
