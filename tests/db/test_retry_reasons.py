"""What the operators see as the reason a transaction ran again, from what the driver said."""

from __future__ import annotations

import sqlite3

import pymysql
import pytest
from sqlalchemy.exc import OperationalError

from core.errors import Retryable
from db.box_office import box_office_for
from db.engine import make_engine
from db.errors import retry_reason


def _wrapped(error: BaseException) -> OperationalError:
    return OperationalError("COMMIT", {}, error)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock"), "conflict"),
        (pymysql.err.OperationalError(1205, "Lock wait timeout exceeded"), "conflict"),
        (pymysql.err.OperationalError(2013, "Lost connection to server during query"), "connection"),
        (pymysql.err.OperationalError(2003, "Can't connect to MySQL server"), "connection"),
        (
            pymysql.err.OperationalError(1047, "WSREP has not yet prepared node for application use"),
            "cluster",
        ),
        (sqlite3.OperationalError("database is locked"), "conflict"),
        (pymysql.err.OperationalError(1146, "Table doesn't exist"), "other"),
    ],
)
def test_each_refusal_has_its_reason(error: BaseException, reason: str) -> None:
    assert retry_reason(_wrapped(error)) == reason
    assert retry_reason(error) == reason, "the same answer for an error straight from the driver"


def test_a_dropped_connection_is_a_connection_problem() -> None:
    assert retry_reason(ConnectionResetError("peer went away")) == "connection"


async def test_a_database_that_refuses_new_connections_means_try_again() -> None:
    # Port 1 on loopback: nothing listens, as when the writer node has just died.
    engine = make_engine("mysql+aiomysql://root@127.0.0.1:1/picket")
    try:
        with pytest.raises(Retryable) as refused:
            await box_office_for(engine).fan(1, 7)
    finally:
        await engine.dispose()
    assert refused.value.reason == "connection"
