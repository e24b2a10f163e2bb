"""Migrations are code: head equals the models, and the way down works."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import ejournal.domain.models  # noqa: F401
from ejournal.domain import migrate
from tests.conftest import BACKENDS


@pytest.mark.db
@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_upgrade_to_head_gives_exactly_the_models_schema(empty_db):
    """An empty database upgraded to head differs from the models in nothing."""
    migrate.upgrade(empty_db.engine)
    with empty_db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []
    tables = set(inspect(empty_db.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


@pytest.mark.db
@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_downgrade_to_base_removes_every_table(empty_db):
    """Downgrading from head to base leaves only Alembic's version table."""
    migrate.upgrade(empty_db.engine)
    migrate.downgrade(empty_db.engine, "base")
    tables = set(inspect(empty_db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    migrate.upgrade(empty_db.engine)
    assert "mark" in inspect(empty_db.engine).get_table_names()


@pytest.mark.db
@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_a_school_with_data_goes_down_and_up_again_keeping_every_row(empty_db):
    """A running school upgrades: tables rebuilt by batch mode (SQLite) keep their rows and
    the rows pointing at them (down to 0006 and up to head, with a school's data in)."""
    from sqlalchemy import text
    from sqlmodel import Session

    from tests.factories import add_lesson, add_mark, make_school

    migrate.upgrade(empty_db.engine)
    with Session(empty_db.engine) as session:
        tiny = make_school(session)
        lesson = add_lesson(session, tiny.russian_5a, tiny.q1.starts_on)
        add_mark(session, lesson, tiny.students[0], 5, author=tiny.actors["russian"])
        session.commit()
    tables = ("school", "academic_year", "teaching_assignment", "student", "mark", "lesson")

    def counts() -> dict[str, int]:
        with empty_db.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}

    before = counts()
    assert all(before.values())
    migrate.downgrade(empty_db.engine, "0006")
    assert counts() == before
    migrate.upgrade(empty_db.engine)
    assert counts() == before
    with empty_db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
