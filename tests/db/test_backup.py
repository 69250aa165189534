"""Backups and restores on SQLite and MariaDB: a restore gives back exactly the state the backup caught,
with working stored procedures and a balanced ledger; old backups are pruned; the command line answers
every mistake with a message, not a traceback."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backup import BACKUP_NAME, back_up, backup_job, backups
from bot.backup_db import BackupError
from bot.restore import restore
from bot.settings import Settings
from core.clock import FrozenClock
from core.ports import UnitOfWork
from core.services.booking import ConfirmHold, HoldSeats, confirm_hold, hold_seats
from core.services.events import event_details
from core.services.wallet import balance, ledger_totals
from db.engine import is_sqlite, make_engine
from db.migrate import migrate
from db.uow import SqlUnitOfWork
from tests.support import databases
from tests.support.builders import fan, fund, key, on_sale_event

ROOT = Path(__file__).resolve().parents[2]
FAN = 501
OTHER_FAN = 502
# A name with an emoji: four-byte characters must come back from a MariaDB dump unchanged.
FAN_NAME = "민지 🎫"
UNREACHABLE = "mysql+aiomysql://picket:s3cret@127.0.0.1:1/picket?charset=utf8mb4"


def _settings(tmp_path: Path, database_url: str = "", **changes: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", database_url=database_url, **changes
    )


async def _on_sqlite(tmp_path: Path, **changes: Any) -> Settings:
    settings = _settings(tmp_path, **changes)
    settings.data_dir.mkdir(parents=True)
    engine = make_engine(settings.effective_database_url)
    await migrate(engine)
    await engine.dispose()
    return settings


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings of a deployment whose database is freshly migrated and empty: its own MariaDB database
    for each test, since a restore drops and recreates every table."""
    if request.param == "sqlite":
        yield await _on_sqlite(tmp_path)
        return
    reason = databases.mariadb_reachable()
    if reason is None and not any(map(shutil.which, ("mariadb-dump", "mysqldump"))):
        reason = "the MariaDB client tools (mariadb-dump, mariadb) are not installed"
    if reason is not None:
        if databases.REQUIRE_MARIADB:
            pytest.fail(f"{reason} (PICKET_REQUIRE_MARIADB=1)")
        pytest.skip(reason)
    name = databases.create_mariadb_database()
    try:
        yield _settings(tmp_path, databases.mariadb_url(name))
    finally:
        databases.drop_mariadb_database(name)


async def _book(engine: AsyncEngine, clock: FrozenClock, event_id: int, user_id: int, name: str = "") -> None:
    """Best available seats, paid from the wallet: on MariaDB both steps run the stored procedures."""
    member = fan(user_id, name=name)
    section = (await event_details(event_id, member, _uow(engine), clock)).sections[0]
    held = await hold_seats(
        HoldSeats(event_id, member, key(), section_id=section.section_id, quantity=2),
        _uow(engine),
        clock,
    )
    await confirm_hold(ConfirmHold(held.hold.id, member, key()), _uow(engine), clock)


def _uow(engine: AsyncEngine) -> UnitOfWork:
    # mypy reads SqlUnitOfWork's repositories as their concrete classes, which the protocol's
    # (mutable, hence invariant) attributes do not accept.
    return cast(UnitOfWork, SqlUnitOfWork(engine))


def _rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    quote = connection.dialect.identifier_preparer.quote
    return {
        name: sorted(
            (tuple(row) for row in connection.execute(text(f"SELECT * FROM {quote(name)}"))), key=repr
        )
        for name in sorted(inspect(connection).get_table_names())
    }


async def _state(engine: AsyncEngine) -> dict[str, Any]:
    """Everything the database holds: every row of every table, and on MariaDB its procedures."""
    async with engine.connect() as connection:
        state: dict[str, Any] = {"rows": await connection.run_sync(_rows)}
        if not is_sqlite(engine.url.render_as_string()):
            found = await connection.execute(
                text(
                    "SELECT routine_name, routine_definition FROM information_schema.routines "
                    "WHERE routine_schema = DATABASE() ORDER BY routine_name"
                )
            )
            state["procedures"] = [tuple(row) for row in found]
    return state


async def test_a_restore_brings_back_exactly_what_the_backup_caught(
    deployment: Settings, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(deployment.effective_database_url)
    event = await on_sale_event(_uow(engine), clock)
    await fund(_uow(engine), clock, FAN, 10_000)
    await _book(engine, clock, event.id, FAN, FAN_NAME)
    caught = await _state(engine)
    path = await back_up(deployment, clock)

    # After the backup: another booking, a top-up, and (on MariaDB) a procedure a later version added.
    await fund(_uow(engine), clock, OTHER_FAN, 5_000)
    await _book(engine, clock, event.id, OTHER_FAN)
    await fund(_uow(engine), clock, FAN, 2_000)
    if "procedures" in caught:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE PROCEDURE picket_later() BEGIN SELECT 1; END"))
    assert await _state(engine) != caught
    # The bot is stopped for a restore: no pooled connection outlives it.
    await engine.dispose()

    await restore(deployment, path)

    engine = make_engine(deployment.effective_database_url)
    try:
        restored = await _state(engine)
        assert restored == caught
        rows = restored["rows"]
        assert (len(rows["orders"]), len(rows["tickets"]), len(rows["ledger_entries"])) == (1, 2, 4)
        assert [row[0] for row in rows["alembic_version"]] == [caught["rows"]["alembic_version"][0][0]]
        assert await balance(FAN, _uow(engine)) == 10_000 - 2 * 1000
        assert await balance(OTHER_FAN, _uow(engine)) == 0
        assert FAN_NAME in {value for row in rows["tickets"] for value in row}
        assert (await ledger_totals(_uow(engine))).balanced

        # The restored database sells on: on MariaDB, through the procedures the dump brought back.
        await fund(_uow(engine), clock, OTHER_FAN, 5_000)
        await _book(engine, clock, event.id, OTHER_FAN)
        assert await balance(OTHER_FAN, _uow(engine)) == 5_000 - 2 * 1000
        assert len((await _state(engine))["rows"]["tickets"]) == 4
        assert (await ledger_totals(_uow(engine))).balanced
    finally:
        await engine.dispose()
    said = capsys.readouterr().out
    assert f"Restored {path.name}" in said and "orders: 1, tickets: 2" in said


async def test_a_backup_is_one_gzip_file_named_by_its_time(deployment: Settings, clock: FrozenClock) -> None:
    path = await backup_job(deployment)

    assert path.parent == deployment.data_dir / "backups"
    found = BACKUP_NAME.fullmatch(path.name)
    assert found is not None
    assert found["kind"] == ("sqlite" if is_sqlite(deployment.effective_database_url) else "sql")
    with gzip.open(path, "rb") as packed:
        assert packed.read(16)
    # Nothing half-written is left beside it.
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


async def test_only_the_newest_backups_are_kept(tmp_path: Path, clock: FrozenClock) -> None:
    settings = await _on_sqlite(tmp_path, backup_keep=2, backup_dir=tmp_path / "kept")
    # Files that are not Picket's backups stay, whatever they look like.
    settings.effective_backup_dir.mkdir()
    strangers = ["notes.txt", "picket-latest.sql.gz", "other-20300101T000000Z.sql.gz"]
    for name in strangers:
        (settings.effective_backup_dir / name).write_text("keep me")

    written = []
    for _ in range(3):
        written.append(await back_up(settings, clock))
        clock.advance(timedelta(hours=1))

    assert backups(settings.effective_backup_dir) == written[1:]
    assert sorted(p.name for p in settings.effective_backup_dir.iterdir()) == sorted(
        [*strangers, *(p.name for p in written[1:])]
    )


async def test_settings_place_and_schedule_backups(tmp_path: Path) -> None:
    settings = _settings(tmp_path, backup_dir="", backup_every_hours=" ")
    assert settings.effective_backup_dir == tmp_path / "data" / "backups"
    assert (settings.backup_every_hours, settings.backup_keep) == (None, 14)
    chosen = _settings(tmp_path, backup_dir=str(tmp_path / "elsewhere"), backup_every_hours="6")
    assert (chosen.effective_backup_dir, chosen.backup_every_hours) == (tmp_path / "elsewhere", 6)
    with pytest.raises(ValueError, match="backup_every_hours"):
        _settings(tmp_path, backup_every_hours=0)
    with pytest.raises(ValueError, match="backup_keep"):
        _settings(tmp_path, backup_keep=0)


# Mistakes, answered before anything is touched


async def test_restoring_what_is_not_a_picket_backup_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    packed = tmp_path / "picket-20300101T000000Z.sql.gz"
    packed.write_bytes(gzip.compress(b"SELECT 1;\n"))

    with pytest.raises(BackupError, match="there is no backup at"):
        await restore(settings, tmp_path / "missing.sql.gz")
    with pytest.raises(BackupError, match="is not a file"):
        await restore(settings, tmp_path)
    with pytest.raises(BackupError, match="not a whole gzip file"):
        await restore(settings, plain)
    with pytest.raises(BackupError, match="is not a Picket backup"):
        await restore(settings, packed)
    assert not (settings.data_dir / "picket.db").exists()


async def test_a_backup_from_a_newer_picket_leaves_the_database_alone(tmp_path: Path) -> None:
    deployment = await _on_sqlite(tmp_path)
    path = await back_up(deployment)
    copy = deployment.data_dir / "newer.db"
    copy.write_bytes(gzip.decompress(path.read_bytes()))
    with contextlib.closing(sqlite3.connect(copy)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    newer = deployment.data_dir / "picket-20990101T000000Z.sqlite.gz"
    newer.write_bytes(gzip.compress(copy.read_bytes()))
    database = deployment.data_dir / "picket.db"
    before = database.read_bytes()

    with pytest.raises(BackupError, match="9999_from_the_future, which this Picket does not know"):
        await restore(deployment, newer)
    assert database.read_bytes() == before
    assert sorted(p.name for p in deployment.data_dir.iterdir() if p.name.startswith(".")) == []


async def test_a_backup_of_one_database_kind_is_not_restored_into_the_other(tmp_path: Path) -> None:
    path = await back_up(await _on_sqlite(tmp_path))
    with pytest.raises(BackupError, match="is a SQLite backup, but the database is MariaDB"):
        await restore(_settings(tmp_path, UNREACHABLE), path)


async def test_a_dump_cut_short_is_refused_before_anything_is_dropped(tmp_path: Path) -> None:
    cut = tmp_path / "picket-20300101T000000Z.sql.gz"
    cut.write_bytes(
        gzip.compress(b"-- MariaDB dump 10.19\nDROP TABLE IF EXISTS `orders`;\nCREATE TABLE `ord")
    )
    # Refused from the file alone: the database named is never even reached.
    with pytest.raises(BackupError, match="cut short"):
        await restore(_settings(tmp_path, UNREACHABLE), cut)


async def test_a_dump_from_a_newer_picket_is_refused_before_anything_is_dropped(tmp_path: Path) -> None:
    newer = tmp_path / "picket-20990101T000000Z.sql.gz"
    newer.write_bytes(
        gzip.compress(
            b"-- MariaDB dump 10.19\nINSERT INTO `alembic_version` VALUES\n('9999_from_the_future');\n"
            b"-- Dump completed on 2099-01-01  0:00:00\n"
        )
    )
    with pytest.raises(BackupError, match="9999_from_the_future, which this Picket does not know"):
        await restore(_settings(tmp_path, UNREACHABLE), newer)


async def test_without_the_mariadb_client_a_backup_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.backup.shutil.which", lambda _name: None)
    with pytest.raises(BackupError, match="install the mariadb-client package"):
        await back_up(_settings(tmp_path, UNREACHABLE))


async def test_the_password_goes_through_a_private_file_never_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = 'pa"ss\\word #1'
    url = f"mysql+aiomysql://picket:{password.replace('#', '%23')}@db.example:3307/picket?charset=utf8mb4"
    seen: dict[str, Any] = {}
    real_popen = subprocess.Popen

    def popen(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        defaults = Path(args[1].removeprefix("--defaults-extra-file="))
        seen.update(args=args, defaults=defaults, mode=stat.S_IMODE(defaults.stat().st_mode))
        seen["content"] = defaults.read_text()
        return real_popen([sys.executable, "-c", "import sys; sys.exit(2)"], **kwargs)

    monkeypatch.setattr("bot.backup.shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("bot.backup.subprocess.Popen", popen)
    settings = _settings(tmp_path, url)
    with pytest.raises(BackupError, match=r"could not dump picket on db\.example:3307"):
        await back_up(settings)

    assert not any("word" in arg for arg in seen["args"])
    assert seen["args"][-1] == "picket" and "--single-transaction" in seen["args"]
    assert seen["mode"] == 0o600
    assert 'password="pa\\"ss\\\\word #1"' in seen["content"]
    assert 'host="db.example"' in seen["content"] and "port=3307" in seen["content"]
    assert not seen["defaults"].exists()
    # A failed dump leaves no file behind that could pass for a backup.
    assert list(settings.effective_backup_dir.iterdir()) == []


# The command line


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": "",
        "BACKUP_DIR": "",
        "BACKUP_KEEP": "3",
        "DISCORD_TOKEN": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    assert _cli(tmp_path, "migrate").returncode == 0
    made = _cli(tmp_path, "backup")
    assert made.returncode == 0, made.stderr
    [path] = backups(tmp_path / "data" / "backups")
    assert str(path) in made.stdout

    database = tmp_path / "data" / "picket.db"
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("INSERT INTO app_state (name, value) VALUES ('after the backup', 'gone after restore')")

    back = _cli(tmp_path, "restore", str(path))
    assert back.returncode == 0, back.stderr
    assert f"Restored {path.name}" in back.stdout and "schema revision" in back.stdout
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM app_state WHERE name = 'after the backup'").fetchone() == (0,)


@pytest.mark.parametrize("what", ["missing", "not a backup"])
def test_a_bad_restore_from_the_command_line_fails_with_a_message(tmp_path: Path, what: str) -> None:
    path = tmp_path / "picket-20300101T000000Z.sqlite.gz"
    if what == "not a backup":
        path.write_text("just some text")

    failed = _cli(tmp_path, "restore", str(path))

    assert failed.returncode != 0
    assert failed.stderr.startswith("Restore failed: ")
    assert ("there is no backup at" if what == "missing" else "is not a Picket backup") in failed.stderr
    assert "Traceback" not in failed.stderr
