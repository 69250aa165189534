"""What taking and restoring a backup share: BackupError, the pieces of DATABASE_URL they need, and
MariaDB's command-line clients, found on the PATH and given the password through a private file."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what is wrong and what to do."""


def find_client(names: tuple[str, ...]) -> str:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    raise BackupError(
        f"the MariaDB client ({' or '.join(names)}) is not installed; install the mariadb-client package"
    )


@contextlib.contextmanager
def defaults_file(url: URL) -> Iterator[str]:
    """The connection settings as a client option file, so the password never shows in a process list."""
    lines = ["[client]"]
    if url.username:
        lines.append(f"user={_option(url.username)}")
    if url.password is not None:
        lines.append(f"password={_option(str(url.password))}")
    socket = url.query.get("unix_socket")
    if isinstance(socket, str):
        lines.append(f"socket={_option(socket)}")
    else:
        # As the bot's driver does: 'localhost' means TCP, not the client's default of a local socket.
        lines += [f"host={_option(url.host or 'localhost')}", "protocol=TCP"]
        if url.port:
            lines.append(f"port={url.port}")
    descriptor, name = tempfile.mkstemp(prefix="picket-", suffix=".cnf")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        yield name
    finally:
        Path(name).unlink(missing_ok=True)


def _option(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def database_name(url: URL) -> str:
    if not url.database:
        raise BackupError("DATABASE_URL names no database (…:3306/picket)")
    return url.database


def sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def target(url: URL) -> str:
    """Where the database is, for messages: never the password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.database} on {url.host}" + (f":{url.port}" if url.port else "")


def last_line(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
