from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.schema import Table


class Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn


def insert_ignoring_duplicates(table: Table, **values: Any) -> Insert:
    """INSERT that leaves an existing row alone, in each database's own words."""
    statement = insert(table).values(**values)
    return statement.prefix_with("IGNORE", dialect="mysql").prefix_with("OR IGNORE", dialect="sqlite")


def new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
