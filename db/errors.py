"""Turns driver errors into the domain's two storage signals: run again, or already done."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError

# Deadlock, lock-wait timeout, Galera certification failure (reported as deadlock), lost or refused
# connections, a server shutting down, and "WSREP has not yet prepared node for application use"
# during failover.
RETRYABLE_MARIADB_CODES = frozenset({1213, 1205, 2013, 2006, 2003, 2055, 1047, 1053, 1180, 1927, 4031})
DUPLICATE_MARIADB_CODE = 1062
CONFLICT_CODES = frozenset({1213, 1205})
CLUSTER_CODES = frozenset({1047, 1180})


def _code(driver_error: object) -> int | None:
    args = getattr(driver_error, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if _code(exc.orig) in RETRYABLE_MARIADB_CODES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "40001" in message or "deadlock" in message


def is_duplicate(exc: BaseException) -> bool:
    if not isinstance(exc, IntegrityError):
        return False
    return _code(exc.orig) == DUPLICATE_MARIADB_CODE or "unique constraint failed" in str(exc.orig).lower()


def is_retryable_driver_error(exc: BaseException) -> bool:
    """The same judgement for an error straight from the driver, not wrapped by SQLAlchemy."""
    return _code(exc) in RETRYABLE_MARIADB_CODES or isinstance(exc, ConnectionError | TimeoutError)


def retry_reason(exc: BaseException) -> str:
    """Why a unit of work is run again, for the operators' figures (see ``core.errors.Retryable``)."""
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    code = _code(driver_error)
    message = str(driver_error).lower()
    if code in CONFLICT_CODES or "deadlock" in message or "locked" in message or "40001" in message:
        return "conflict"
    if code in CLUSTER_CODES:
        return "cluster"
    if code in RETRYABLE_MARIADB_CODES or isinstance(driver_error, ConnectionError | TimeoutError):
        return "connection"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "connection"
    return "other"
