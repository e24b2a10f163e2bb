"""Bulk writes: COPY on PostgreSQL, executemany on SQLite; ids are assigned by the seed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, delete, func, select, text
from sqlmodel import Session, SQLModel

import ejournal.domain.models as models

BATCH = 20_000


def tables() -> list[Table]:
    """Every table of the model, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def _model_defaults() -> dict[str, dict[str, Any]]:
    defaults: dict[str, dict[str, Any]] = {}
    for value in vars(models).values():
        if isinstance(value, type) and issubclass(value, SQLModel) and hasattr(value, "__table__"):
            table_name = str(value.__tablename__)
            row: dict[str, Any] = {}
            for name, info in value.model_fields.items():
                if info.default is not PydanticUndefined and info.default_factory is None:
                    row[name] = info.default
            defaults[table_name] = row
    return defaults


_DEFAULTS = _model_defaults()


def next_ids(session: Session) -> dict[str, int]:
    """The next free id of every table (1 in an empty database)."""
    result: dict[str, int] = {}
    for table in tables():
        top = session.execute(select(func.max(table.c.id))).scalar()
        result[table.name] = int(top or 0) + 1
    return result


def empty_all(session: Session) -> None:
    """Delete every row of every table, children first (works on SQLite and PostgreSQL)."""
    for table in reversed(tables()):
        session.execute(delete(table))


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts; missing columns take the model's defaults) in big batches."""
    if not rows:
        return
    columns = [c.name for c in table.columns]
    defaults = _DEFAULTS.get(table.name, {})
    if session.get_bind().dialect.name == "postgresql":
        _copy(
            session,
            table.name,
            columns,
            ([r.get(c, defaults.get(c)) for c in columns] for r in rows),
        )
        return
    _sqlite_insert(session, table, columns, defaults, rows)


def _sqlite_insert(
    session: Session,
    table: Table,
    columns: list[str],
    defaults: dict[str, Any],
    rows: Sequence[dict[str, Any]],
) -> None:
    """executemany on the driver's cursor with the columns' own bind processors: the rows
    SQLAlchemy would write, without its per-row bookkeeping (the seed's largest cost)."""
    dialect = session.get_bind().dialect
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        for start in range(0, len(rows), BATCH):
            batch = []
            for r in rows[start : start + BATCH]:
                values = []
                for c, process in zip(columns, processors, strict=True):
                    value = r.get(c, defaults.get(c))
                    values.append(
                        process(value) if process is not None and value is not None else value
                    )
                batch.append(values)
            cursor.executemany(sql, batch)
    finally:
        cursor.close()


def _copy(session: Session, name: str, columns: list[str], values: Iterable[list[Any]]) -> None:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
        for row in values:
            copy.write_row(row)


def reset_sequences(session: Session) -> None:
    """After explicit ids, move PostgreSQL's id sequences past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables():
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )
