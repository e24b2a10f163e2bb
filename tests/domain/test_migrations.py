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
