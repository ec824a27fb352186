"""INSERT ... ON CONFLICT DO UPDATE for the two databases we run on (SQLite, PostgreSQL).

One statement instead of "update, and insert if nothing was updated": a heartbeat is one round
trip, and two heartbeats of one kiosk racing each other cannot both insert.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_for(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT, which knows ON CONFLICT."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for the {dialect} database")


def upsert(dialect: str, table: Table, keys: Iterable[str], columns: Iterable[str]) -> Insert:
    """Insert, or on a clash of `keys` overwrite `columns` with the values being inserted."""
    stmt = insert_for(dialect, table)
    return stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={name: stmt.excluded[name] for name in columns})


def insert_or_ignore(dialect: str, table: Table, keys: Iterable[str]) -> Insert:
    """Insert unless a row with the same `keys` is there already (seeds, first assignment)."""
    return insert_for(dialect, table).on_conflict_do_nothing(index_elements=list(keys))
