"""``python -m bot``: Picket's command line."""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.app import App
from bot.backup import back_up, backup_job
from bot.backup_db import BackupError
from bot.metrics import serve_metrics
from bot.restore import restore
from bot.scanner import serve_scanner
from bot.settings import Settings
from core.errors import Misconfigured
from core.services.door import claim_signing_key
from scheduler.runner import Upkeep

log = logging.getLogger("picket")
DEFAULT_SCANNER_PORT = 8090

DESCRIPTION = """Picket: ticket booking that lives inside Discord.

Settings come from the environment or a .env file (see .env.example)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("migrate", help="bring the database (DATABASE_URL, default SQLite) to the newest schema")
    sub.add_parser(
        "run",
        help="migrate, then connect to Discord with DISCORD_TOKEN (or to DISCORD_API_BASE when set); "
        "without a token, start the sandbox",
    )
    sub.add_parser(
        "sync",
        help="send the slash commands to Discord now, even if they look unchanged (start-up sends them only "
        "when they change)",
    )
    sub.add_parser(
        "scanner", help="serve the door scanner page (SCANNER_HOST, SCANNER_PORT; default 127.0.0.1:8090)"
    )
    sub.add_parser("scanner-key", help="print the public keys that verify this deployment's ticket codes")
    sub.add_parser(
        "sandbox",
        help="try Picket without Discord: a local Discord-compatible server, a demo server with members "
        "and an event on sale, and a terminal to act as any member",
    )
    sub.add_parser("backup", help="write a backup to BACKUP_DIR now and keep the newest BACKUP_KEEP")
    restoring = sub.add_parser(
        "restore",
        help="replace the database with a backup; stop the bot first",
        description="Replace the database (DATABASE_URL, default SQLite) with a backup made by "
        "'python -m bot backup' or the scheduled backups. Stop every bot process first: on SQLite the "
        "database file is swapped underneath it. Whatever the database holds now is lost; back it up "
        "first if it may be wanted. The ticket signing key (TICKET_SIGNING_KEY, or ticket-signing.key in "
        "DATA_DIR) is not part of a backup: restore it beside the database, or the issued tickets stop "
        "verifying.",
    )
    restoring.add_argument("path", type=Path, metavar="PATH", help="a picket-….sql.gz or picket-….sqlite.gz")
    return parser


async def _migrate(settings: Settings) -> None:
    app = App.build(settings)
    try:
        await app.migrate()
    finally:
        await app.close()
    print(f"Database is up to date: {settings.effective_database_url.split('@')[-1]}")


async def _backup(settings: Settings) -> int:
    path = await back_up(settings)
    print(
        f"Backup written: {path} ({path.stat().st_size:,} bytes); keeping the newest {settings.backup_keep}."
    )
    return 0


async def _run(settings: Settings) -> int:
    if settings.discord_token is None:
        print("No DISCORD_TOKEN is set: starting the offline sandbox.", file=sys.stderr)
        return await _sandbox(settings)
    from bot.client import PicketBot

    app = await _discord_app(settings)
    runtime = app.runtime()
    upkeep = Upkeep(
        audit_minutes=settings.audit_minutes,
        backup_hours=settings.backup_every_hours,
        back_up=functools.partial(backup_job, settings),
    )
    bot = PicketBot(runtime, upkeep=upkeep, **settings.shard_options)
    if settings.metrics_port is not None:
        serve_metrics(settings.metrics_host, settings.metrics_port)
    scanner = None
    if settings.scanner_port is not None:
        scanner = await serve_scanner(runtime, settings.scanner_host, settings.scanner_port)
    try:
        await bot.start(settings.discord_token.get_secret_value())
    finally:
        if scanner is not None:
            await scanner.cleanup()
        await app.close()
    return 0


async def _scanner(settings: Settings) -> int:
    app = App.build(settings)
    await app.migrate()
    port = settings.scanner_port or DEFAULT_SCANNER_PORT
    runner = await serve_scanner(app.runtime(), settings.scanner_host, port)
    print(f"Door scanner page on http://{settings.scanner_host}:{port}/ (Ctrl-C stops it)")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await app.close()
    return 0


async def _discord_app(settings: Settings) -> App:
    """The app for talking to Discord (or to the Discord-compatible server the settings name)."""
    if settings.discord_api_base and settings.discord_gateway_url:
        from bot.devserver import point_discord_py_at

        point_discord_py_at(settings.discord_api_base, settings.discord_gateway_url)
    app = App.build(settings)
    await app.migrate()
    await claim_signing_key(app.codes, app.uow())
    return app


def _scanner_key(settings: Settings) -> int:
    codes = App.build(settings).codes
    for kid, raw in codes.public_keys().items():
        mark = " (signs)" if kid == codes.key_id else ""
        print(f"{kid}\t{base64.b64encode(raw).decode('ascii')}{mark}")
    return 0


async def _sync(settings: Settings) -> int:
    if settings.discord_token is None:
        print("Set DISCORD_TOKEN to sync commands with Discord.", file=sys.stderr)
        return 2
    from bot.client import PicketBot

    app = await _discord_app(settings)
    # Logging in runs the set-up hook, which syncs; no gateway connection is needed for that.
    bot = PicketBot(app.runtime(), run_scheduler=False, force_sync=True)
    try:
        await bot.login(settings.discord_token.get_secret_value())
    finally:
        await bot.close()
        await app.close()
    print("Slash commands sent to Discord.")
    return 0


async def _sandbox(settings: Settings) -> int:
    from bot.sandbox import run_sandbox

    return await run_sandbox(settings)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"Setting problem: {error['msg']}", file=sys.stderr)
        return 2
    try:
        if args.command == "migrate":
            asyncio.run(_migrate(settings))
            return 0
        if args.command == "scanner":
            return asyncio.run(_scanner(settings))
        if args.command == "scanner-key":
            return _scanner_key(settings)
        if args.command == "sandbox":
            return asyncio.run(_sandbox(settings))
        if args.command == "sync":
            return asyncio.run(_sync(settings))
        if args.command == "backup":
            return asyncio.run(_backup(settings))
        if args.command == "restore":
            asyncio.run(restore(settings, args.path))
            return 0
        return asyncio.run(_run(settings))
    except Misconfigured as problem:
        print(f"Setting problem: {problem}", file=sys.stderr)
        return 2
    except BackupError as problem:
        print(f"{args.command.capitalize()} failed: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
