"""Restoring one of Picket's backups (bot.backup describes them) in place of the database. The file is
checked before anything is replaced: a Picket backup, whole, of this kind of database, of a schema this
Picket knows."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.backup import CHUNK, DUMP_DONE
from bot.backup_db import (
    BackupError,
    database_name,
    defaults_file,
    find_client,
    last_line,
    sqlite_file,
    target,
)
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import alembic_config
from db.schema import events, ledger_entries, metadata, orders, tickets

log = logging.getLogger(__name__)

# The client drops comments by default, and with them those inside the stored procedures' bodies.
LOAD_OPTIONS = ("--default-character-set=utf8mb4", "--comments")
SQL_CLIENTS = ("mariadb", "mysql")
DUMP_HEADERS = (b"-- MariaDB dump", b"-- MySQL dump")
SQLITE_MAGIC = b"SQLite format 3\x00"
ALEMBIC_INSERT = b"INSERT INTO `alembic_version` VALUES"
ALEMBIC_ROW = re.compile(rb"\('([^']+)'\)")
# Picket's stored procedures are all named so; a restore drops those the backup may not have.
PROCEDURE_PREFIX = "picket\\_%"


@dataclass(frozen=True)
class Restored:
    revision: str
    newest: str
    counts: dict[str, int]

    def describe(self) -> str:
        schema = f"schema revision {self.revision}"
        schema += (
            " (the newest)"
            if self.revision == self.newest
            else f" (python -m bot migrate brings it to {self.newest})"
        )
        rows = ", ".join(f"{name}: {count}" for name, count in self.counts.items())
        return f"{schema}; {rows}"


async def restore(settings: Settings, path: Path) -> None:
    """Replaces the database with the backup at ``path``. The bot must not be running."""
    url = make_url(settings.effective_database_url)
    kind = await asyncio.to_thread(_kind_of, path)
    wanted = "sqlite" if url.get_backend_name() == "sqlite" else "mariadb"
    if kind != wanted:
        raise BackupError(
            f"{path} is a {_NAMES[kind]} backup, but the database is {_NAMES[wanted]} (DATABASE_URL): "
            f"restore it into a {_NAMES[kind]} deployment"
        )
    if kind == "sqlite":
        await asyncio.to_thread(_restore_sqlite, path, sqlite_file(url))
    else:
        revision = await asyncio.to_thread(_dump_revision, path)
        _known_revision(revision, path)
        # Checked before anything is dropped: a missing client must not leave an empty database.
        client = find_client(SQL_CLIENTS)
        preamble = await _drop_picket_objects(url)
        await asyncio.to_thread(_load_dump, client, url, path, preamble)
    restored = await _summary(settings.effective_database_url)
    _known_revision(restored.revision, path)
    log.info("restored %s: schema revision %s", path.name, restored.revision)
    print(f"Restored {path.name} into {target(url)}: {restored.describe()}.")


_NAMES = {"sqlite": "SQLite", "mariadb": "MariaDB"}


def _kind_of(path: Path) -> str:
    """'sqlite' or 'mariadb', from the backup's content (the name may have been changed on the way)."""
    if not path.exists():
        raise BackupError(f"there is no backup at {path}")
    if not path.is_file():
        raise BackupError(f"{path} is not a file; name one of the picket-….gz backups")
    try:
        with gzip.open(path, "rb") as packed:
            head = packed.read(4096)
    except (OSError, EOFError, zlib.error):
        raise BackupError(f"{path} is not a Picket backup (not a whole gzip file)") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if any(header in head for header in DUMP_HEADERS):
        return "mariadb"
    raise BackupError(f"{path} is not a Picket backup (neither a SQLite database nor a MariaDB dump)")


def _dump_revision(path: Path) -> str | None:
    """Reads the whole dump once before anything is dropped: a damaged or cut-short file is refused whole."""
    revision: str | None = None
    row: bytes | None = None  # the alembic_version INSERT, gathered while it runs over several lines
    last = b""
    try:
        with gzip.open(path, "rb") as packed:
            for line in packed:
                if line.startswith(ALEMBIC_INSERT):
                    row = b""
                if row is not None:
                    row += line
                    if line.rstrip().endswith(b";"):
                        found = ALEMBIC_ROW.search(row)
                        revision = found.group(1).decode("ascii") if found else None
                        row = None
                if line.strip():
                    last = line
    except (OSError, EOFError, zlib.error):
        raise BackupError(f"{path} is damaged (its gzip stream is broken)") from None
    if not last.startswith(DUMP_DONE):
        raise BackupError(f"{path} is cut short: the dump does not end where mariadb-dump ends one")
    return revision


def _restore_sqlite(path: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    descriptor, staged = tempfile.mkstemp(dir=database.parent, prefix=f".{database.name}.", suffix=".restore")
    try:
        with os.fdopen(descriptor, "wb") as out, gzip.open(path, "rb") as packed:
            shutil.copyfileobj(packed, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        _known_revision(_checked_sqlite(Path(staged), path), path)
        if database.exists():
            Path(staged).chmod(database.stat().st_mode & 0o777)
        # The old database's write-ahead log, left beside the restored file, would be replayed into it.
        for leftover in ("-wal", "-shm", "-journal"):
            database.with_name(database.name + leftover).unlink(missing_ok=True)
        os.replace(staged, database)
    except (OSError, EOFError, zlib.error) as problem:
        raise BackupError(f"could not restore {path} into {database}: {problem}") from None
    finally:
        Path(staged).unlink(missing_ok=True)


def _checked_sqlite(copy: Path, path: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(copy)) as db:
            if db.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{path} is damaged: SQLite's check of it failed")
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a Picket backup (no schema revision in it)") from None
    return None if row is None else str(row[0])


async def _drop_picket_objects(url: URL) -> str:
    """SQL that drops Picket's tables and procedures before the dump is loaded, so that the result is
    the backup's state alone, even over a database a later migration added tables or procedures to.
    Only Picket's own names: anything else sharing the database is left alone."""
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    try:
        async with _reaching(url), engine.connect() as connection:
            found = await connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
                )
            )
            ours = set(metadata.tables) | {"alembic_version"}
            tables = sorted(name for (name,) in found if name in ours)
            found = await connection.execute(
                text(
                    "SELECT routine_type, routine_name FROM information_schema.routines "
                    "WHERE routine_schema = DATABASE() AND routine_name LIKE :prefix"
                ),
                {"prefix": PROCEDURE_PREFIX},
            )
            routines = sorted((kind, name) for kind, name in found)
    finally:
        await engine.dispose()
    lines = ["SET FOREIGN_KEY_CHECKS = 0;"]
    if tables:
        lines.append(f"DROP TABLE IF EXISTS {', '.join(_quoted(t) for t in tables)};")
    lines += [f"DROP {kind} IF EXISTS {_quoted(name)};" for kind, name in routines]
    lines.append("SET FOREIGN_KEY_CHECKS = 1;")
    return "\n".join(lines) + "\n"


def _load_dump(binary: str, url: URL, path: Path, preamble: str) -> None:
    # One client session drops and loads: if it cannot even connect, nothing has been dropped.
    with defaults_file(url) as defaults, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [binary, f"--defaults-extra-file={defaults}", *LOAD_OPTIONS, database_name(url)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        assert process.stdin is not None
        try:
            # A client that stops early closes the pipe; its exit code and message then say why.
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write(preamble.encode("utf-8"))
                with gzip.open(path, "rb") as packed:
                    for chunk in iter(lambda: packed.read(CHUNK), b""):
                        process.stdin.write(chunk)
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        finally:
            process.wait()
        if process.returncode != 0:
            raise BackupError(
                f"{binary} stopped restoring {path.name} into {target(url)}: {last_line(errors)}. "
                "The database may be partly restored: fix that and restore again"
            )


async def _summary(database_url: str) -> Restored:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with _reaching(make_url(database_url)), engine.connect() as connection:
            revision = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            counts = {
                name: (await connection.execute(select(func.count()).select_from(table))).scalar_one()
                for name, table in (
                    ("events", events),
                    ("orders", orders),
                    ("tickets", tickets),
                    ("ledger entries", ledger_entries),
                )
            }
    finally:
        await engine.dispose()
    if revision is None:
        raise BackupError("the restored database has no schema revision; it is not one of Picket's")
    return Restored(str(revision), _scripts().get_current_head() or "", counts)


@contextlib.asynccontextmanager
async def _reaching(url: URL) -> AsyncIterator[None]:
    """Database errors as one line saying which database (the driver's message names no password)."""
    try:
        yield
    except SQLAlchemyError as problem:
        reason = getattr(problem, "orig", None) or problem
        raise BackupError(f"could not read {target(url)}: {reason}") from None


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _known_revision(revision: str | None, path: Path) -> None:
    if revision is None:
        raise BackupError(f"{path} is not a Picket backup (no schema revision in it)")
    try:
        known = _scripts().get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"{path} holds schema revision {revision}, which this Picket does not know: "
            "restore it with the Picket version that wrote it, or a newer one"
        )


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
