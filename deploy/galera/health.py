"""Tells HAProxy whether one database node may take Picket's writes: 200 yes, 503 no.

A Galera node may when it answers, is in the primary component, is ready and is Synced, or is feeding
a rejoining node (Donor/Desynced): a donor sending an incremental transfer still serves writes, and
turning it away would move the writer for nothing. The standby may only once promoted (writable and no
longer replicating). Each check opens a fresh connection with short timeouts, so a hung server
is reported as down within about two seconds instead of holding HAProxy's check open.

    python deploy/galera/health.py --listen 127.0.0.1:9200 --db-port 3306 [--role galera|standby]

Settings may also come from the environment (HEALTH_LISTEN, HEALTH_DB_HOST, HEALTH_DB_PORT,
HEALTH_DB_USER, HEALTH_DB_PASSWORD, HEALTH_ROLE), which is how a container runs it. The account needs
no privileges: it only reads status variables."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

import pymysql

CONNECT_TIMEOUT = 1
READ_TIMEOUT = 1
WRITABLE_STATES = frozenset({"Synced", "Donor/Desynced"})
GALERA_STATUS = (
    "SHOW GLOBAL STATUS WHERE Variable_name IN "
    "('wsrep_cluster_status', 'wsrep_ready', 'wsrep_local_state_comment', 'wsrep_cluster_size')"
)


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    user: str
    password: str
    role: str


def judge(target: Target) -> tuple[bool, dict[str, Any]]:
    """Whether the node may take writes, and what was seen (the reply's body, for people)."""
    try:
        conn = pymysql.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            write_timeout=READ_TIMEOUT,
        )
    except pymysql.MySQLError as exc:
        return False, {"error": str(exc)}
    try:
        with conn.cursor() as cursor:
            if target.role == "standby":
                return _standby(cursor)
            cursor.execute(GALERA_STATUS)
            seen = {str(name): str(value) for name, value in cursor.fetchall()}
    except pymysql.MySQLError as exc:
        return False, {"error": str(exc)}
    finally:
        conn.close()
    ok = (
        seen.get("wsrep_cluster_status") == "Primary"
        and seen.get("wsrep_ready") == "ON"
        and seen.get("wsrep_local_state_comment") in WRITABLE_STATES
    )
    return ok, seen


def _standby(cursor: Any) -> tuple[bool, dict[str, Any]]:
    cursor.execute("SELECT @@global.read_only")
    (read_only,) = cursor.fetchone()
    cursor.execute("SHOW ALL SLAVES STATUS")
    replicating = cursor.rowcount > 0
    seen = {"read_only": bool(read_only), "replicating": replicating}
    return not read_only and not replicating, seen


def handler_for(target: Target) -> type[BaseHTTPRequestHandler]:
    class Check(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok, seen = judge(target)
            body = json.dumps({"writable": ok, **seen}, sort_keys=True).encode() + b"\n"
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # One check a second per HAProxy: only refusals are worth a line.
            if len(args) > 1 and str(args[1]) != "200":
                super().log_message(format, *args)

    return Check


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listen", default=env("HEALTH_LISTEN", "0.0.0.0:9200"), help="host:port to serve")
    parser.add_argument("--db-host", default=env("HEALTH_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db-port", type=int, default=int(env("HEALTH_DB_PORT", "3306")))
    parser.add_argument("--db-user", default=env("HEALTH_DB_USER", "root"))
    parser.add_argument("--role", choices=("galera", "standby"), default=env("HEALTH_ROLE", "galera"))
    parser.add_argument("--pid-file", type=Path, help="where to write this process's id")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    target = Target(args.db_host, args.db_port, args.db_user, env("HEALTH_DB_PASSWORD", ""), args.role)
    server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), handler_for(target))
    server.daemon_threads = True
    if args.pid_file is not None:
        args.pid_file.write_text(f"{os.getpid()}\n")

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
