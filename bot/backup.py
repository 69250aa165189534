"""Backups of Picket's database, on demand or on a schedule, and restoring one of them.

A backup is one gzip file in BACKUP_DIR: picket-YYYYmmddTHHMMSSZ.sql.gz, a mariadb-dump of a MariaDB
database (tables, rows and the box office's stored procedures), or picket-YYYYmmddTHHMMSSZ.sqlite.gz, a
consistent copy of the SQLite file taken with SQLite's online backup while the bot keeps running.
"""

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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from core.clock import Clock, SystemClock
from db.engine import make_engine
from db.migrate import alembic_config
from db.schema import events, ledger_entries, metadata, orders, tickets

log = logging.getLogger(__name__)

STAMP = "%Y%m%dT%H%M%SZ"
# Only files of this shape are Picket's backups: retention never deletes anything else in the folder.
BACKUP_NAME = re.compile(r"picket-(?P<stamp>\d{8}T\d{6}Z)\.(?P<kind>sql|sqlite)\.gz")
DUMP_OPTIONS = (
    "--single-transaction",
    "--routines",
    "--triggers",
    "--hex-blob",
    "--no-tablespaces",
    # Older clients default to utf8 (three bytes), which would mangle the emoji in members' names.
    "--default-character-set=utf8mb4",
)
# The client drops comments by default, and with them those inside the stored procedures' bodies.
LOAD_OPTIONS = ("--default-character-set=utf8mb4", "--comments")
DUMP_CLIENTS = ("mariadb-dump", "mysqldump")
SQL_CLIENTS = ("mariadb", "mysql")
DUMP_HEADERS = (b"-- MariaDB dump", b"-- MySQL dump")
# mariadb-dump ends every dump it finished with this line; a dump cut short lacks it.
DUMP_DONE = b"-- Dump completed"
SQLITE_MAGIC = b"SQLite format 3\x00"
ALEMBIC_INSERT = b"INSERT INTO `alembic_version` VALUES"
ALEMBIC_ROW = re.compile(rb"\('([^']+)'\)")
CHUNK = 1 << 20
# Picket's stored procedures are all named so; a restore drops those the backup may not have.
PROCEDURE_PREFIX = "picket\\_%"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what is wrong and what to do."""


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


async def back_up(settings: Settings, clock: Clock | None = None) -> Path:
    """Writes a backup to BACKUP_DIR, then deletes all but the newest BACKUP_KEEP."""
    url = make_url(settings.effective_database_url)
    stamp = (clock or SystemClock()).now().strftime(STAMP)
    folder = settings.effective_backup_dir
    # A dump of a big database takes minutes: on a thread, so the bot goes on answering meanwhile.
    path = await asyncio.to_thread(_write_backup, url, folder, stamp)
    await asyncio.to_thread(prune, folder, settings.backup_keep, path)
    return path


async def backup_job(settings: Settings) -> Path:
    """The scheduled backup, every BACKUP_EVERY_HOURS."""
    path = await back_up(settings)
    log.info(
        "backup written: %s (%d bytes); keeping the newest %d",
        path,
        path.stat().st_size,
        settings.backup_keep,
    )
    return path


def backups(folder: Path) -> list[Path]:
    """Picket's backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    found = [
        (m["stamp"], p) for p in folder.iterdir() if (m := BACKUP_NAME.fullmatch(p.name)) and p.is_file()
    ]
    return [path for _stamp, path in sorted(found)]


def prune(folder: Path, keep: int, written: Path | None = None) -> list[Path]:
    """Deletes all but the newest ``keep`` backups (never the one just ``written``); returns those deleted."""
    older = [path for path in backups(folder) if path != written]
    doomed = older[: max(0, len(older) - (keep - 1 if written is not None else keep))]
    for path in doomed:
        path.unlink(missing_ok=True)
        log.info("old backup deleted: %s", path.name)
    return doomed


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
        await asyncio.to_thread(_restore_sqlite, path, _sqlite_file(url))
    else:
        revision = await asyncio.to_thread(_dump_revision, path)
        _known_revision(revision, path)
        # Checked before anything is dropped: a missing client must not leave an empty database.
        client = _client(SQL_CLIENTS)
        preamble = await _drop_picket_objects(url)
        await asyncio.to_thread(_load_dump, client, url, path, preamble)
    restored = await _summary(settings.effective_database_url)
    _known_revision(restored.revision, path)
    log.info("restored %s: schema revision %s", path.name, restored.revision)
    print(f"Restored {path.name} into {_target(url)}: {restored.describe()}.")


_NAMES = {"sqlite": "SQLite", "mariadb": "MariaDB"}


# Writing


def _write_backup(url: URL, folder: Path, stamp: str) -> Path:
    kind = "sqlite" if url.get_backend_name() == "sqlite" else "sql"
    final = folder / f"picket-{stamp}.{kind}.gz"
    source = _sqlite_file(url) if kind == "sqlite" else None
    if source is not None and not source.is_file():
        raise BackupError(
            f"there is no database at {source} to back up yet (python -m bot migrate makes one)"
        )
    dump = _client(DUMP_CLIENTS) if source is None else ""
    folder.mkdir(parents=True, exist_ok=True)
    with _published(final) as out:
        if source is not None:
            _copy_sqlite(source, out, final)
        else:
            _dump_mariadb(dump, url, out, final)
    return final


@contextlib.contextmanager
def _published(final: Path) -> Iterator[IO[bytes]]:
    """A file written under a temporary name and renamed to ``final`` only once whole and on disk, so a
    half-written file never looks like a backup (to a restore, or to retention counting the newest)."""
    descriptor, partial = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _gzip(out: IO[bytes], final: Path) -> gzip.GzipFile:
    # The name inside the gzip header is the backup's own, so `gunzip -N` gives a sensible file.
    return gzip.GzipFile(filename=final.name.removesuffix(".gz"), mode="wb", fileobj=out)


def _copy_sqlite(source: Path, out: IO[bytes], final: Path) -> None:
    descriptor, raw = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".copy")
    os.close(descriptor)
    try:
        # The online backup copies a consistent snapshot while the bot goes on writing (WAL lets it).
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(raw)) as dst,
        ):
            src.backup(dst)
            # A standalone file, readable without the write-ahead log files beside it; the bot turns
            # WAL back on when it opens the restored database.
            dst.execute("PRAGMA journal_mode = DELETE")
        with open(raw, "rb") as copy, _gzip(out, final) as packed:
            shutil.copyfileobj(copy, packed, CHUNK)
    finally:
        Path(raw).unlink(missing_ok=True)


def _dump_mariadb(binary: str, url: URL, out: IO[bytes], final: Path) -> None:
    with _defaults_file(url) as defaults, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [binary, f"--defaults-extra-file={defaults}", *DUMP_OPTIONS, _database(url)],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        dump = process.stdout
        assert dump is not None
        tail = b""
        try:
            with dump, _gzip(out, final) as packed:
                for chunk in iter(lambda: dump.read(CHUNK), b""):
                    packed.write(chunk)
                    tail = (tail + chunk)[-256:]
        except BaseException:
            process.kill()
            raise
        finally:
            process.wait()
        if process.returncode != 0:
            raise BackupError(f"{binary} could not dump {_target(url)}: {_last_line(errors)}")
    if DUMP_DONE not in tail:
        raise BackupError(f"{binary} stopped before the end of the dump of {_target(url)}")


# Restoring


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
    with _defaults_file(url) as defaults, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [binary, f"--defaults-extra-file={defaults}", *LOAD_OPTIONS, _database(url)],
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
                f"{binary} stopped restoring {path.name} into {_target(url)}: {_last_line(errors)}. "
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


# Shared


@contextlib.asynccontextmanager
async def _reaching(url: URL) -> AsyncIterator[None]:
    """Database errors as one line saying which database (the driver's message names no password)."""
    try:
        yield
    except SQLAlchemyError as problem:
        reason = getattr(problem, "orig", None) or problem
        raise BackupError(f"could not read {_target(url)}: {reason}") from None


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


def _client(names: tuple[str, ...]) -> str:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    raise BackupError(
        f"the MariaDB client ({' or '.join(names)}) is not installed; install the mariadb-client package"
    )


@contextlib.contextmanager
def _defaults_file(url: URL) -> Iterator[str]:
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


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _database(url: URL) -> str:
    if not url.database:
        raise BackupError("DATABASE_URL names no database (…:3306/picket)")
    return url.database


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _target(url: URL) -> str:
    """Where the database is, for messages: never the password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.database} on {url.host}" + (f":{url.port}" if url.port else "")


def _last_line(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = [line.strip() for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no message"
