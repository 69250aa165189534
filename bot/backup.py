"""Backups of Picket's database, on demand or on a schedule, and keeping the newest of them.

A backup is one gzip file in BACKUP_DIR: picket-YYYYmmddTHHMMSSZ.sql.gz, a mariadb-dump of a MariaDB
database (tables, rows and the box office's stored procedures), or picket-YYYYmmddTHHMMSSZ.sqlite.gz, a
consistent copy of the SQLite file taken with SQLite's online backup while the bot keeps running.
bot.restore puts one of them back.
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
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL, make_url

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
from core.clock import Clock, SystemClock

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
DUMP_CLIENTS = ("mariadb-dump", "mysqldump")
# mariadb-dump ends every dump it finished with this line; a dump cut short lacks it.
DUMP_DONE = b"-- Dump completed"
CHUNK = 1 << 20


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


def _write_backup(url: URL, folder: Path, stamp: str) -> Path:
    kind = "sqlite" if url.get_backend_name() == "sqlite" else "sql"
    final = folder / f"picket-{stamp}.{kind}.gz"
    source = sqlite_file(url) if kind == "sqlite" else None
    if source is not None and not source.is_file():
        raise BackupError(
            f"there is no database at {source} to back up yet (python -m bot migrate makes one)"
        )
    dump = find_client(DUMP_CLIENTS) if source is None else ""
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
    with defaults_file(url) as defaults, tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [binary, f"--defaults-extra-file={defaults}", *DUMP_OPTIONS, database_name(url)],
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
            raise BackupError(f"{binary} could not dump {target(url)}: {last_line(errors)}")
    if DUMP_DONE not in tail:
        raise BackupError(f"{binary} stopped before the end of the dump of {target(url)}")
