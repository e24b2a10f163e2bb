"""Alembic environment: the models' metadata, a connection passed in or made from the URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import ejournal.domain.models  # noqa: F401  (registers the tables)
from ejournal.domain.db import make_engine

target_metadata = SQLModel.metadata
config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
