"""A real Galera cluster behind HAProxy for each reliability module, started with deploy/local-cluster.

It needs MariaDB's server, galera-4, rsync and haproxy on this machine. Where a cluster cannot be started
the tests are skipped, unless PICKET_REQUIRE_CLUSTER=1 (as in CI): then that is a failure."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pymysql
import pytest

import core.retry

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-cluster"
REQUIRE_CLUSTER = os.environ.get("PICKET_REQUIRE_CLUSTER", "") == "1"
# Away from the script's default (4306) so that a cluster someone started by hand is left alone.
BASE_PORT = int(os.environ.get("PICKET_TEST_CLUSTER_PORT", "24306"))
UP_TIMEOUT = 300
COMMAND_TIMEOUT = 240
DATABASE = "picket"


@dataclass
class Cluster:
    """A running cluster: its env file's values, and the script to act on it."""

    directory: Path
    environ: dict[str, str]

    @property
    def values(self) -> dict[str, str]:
        text = (self.directory / "cluster.env").read_text(encoding="utf-8")
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    @property
    def port(self) -> int:
        return int(self.values["PICKET_DB_PORT"])

    def url(self, port: int | None = None) -> str:
        return f"mysql+aiomysql://root@127.0.0.1:{port or self.port}/{DATABASE}?charset=utf8mb4"

    def node_port(self, node: int) -> int:
        return int(self.values[f"NODE{node}_SQL_PORT"])

    def log(self, node: int) -> Path:
        return Path(self.values[f"NODE{node}_ERROR_LOG"])

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(SCRIPT), *args],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"local-cluster {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout + done.stderr

    async def act(self, *args: str) -> str:
        """The same, without holding up the event loop the bookings run on."""
        return await asyncio.to_thread(self.run, *args)

    def query(self, sql: str, port: int | None = None) -> list[tuple[object, ...]]:
        conn = pymysql.connect(host="127.0.0.1", port=port or self.port, user="root", connect_timeout=5)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        finally:
            conn.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if shutil.which("bash") is None or not SCRIPT.exists():
        pytest.skip("deploy/local-cluster needs bash")
    # Under /tmp and open to others: the servers run as the mysql account when the tests run as root.
    directory = Path(tempfile.mkdtemp(prefix="picket-cluster-"))
    directory.chmod(0o755)
    environ = {
        **os.environ,
        "PICKET_CLUSTER_DIR": str(directory / "cluster"),
        "PICKET_CLUSTER_PORT": str(BASE_PORT),
    }
    started = time.monotonic()
    try:
        up = subprocess.run(
            [str(SCRIPT), "up"], env=environ, capture_output=True, text=True, timeout=UP_TIMEOUT, check=False
        )
        failure = None if up.returncode == 0 else (up.stdout + up.stderr).strip()[-3000:]
    except subprocess.TimeoutExpired:
        failure = f"local-cluster up took more than {UP_TIMEOUT}s"
    if failure is not None:
        down = [str(SCRIPT), "down"]
        subprocess.run(down, env=environ, capture_output=True, timeout=COMMAND_TIMEOUT, check=False)
        shutil.rmtree(directory, ignore_errors=True)
        message = f"no Galera cluster here: {failure}"
        if REQUIRE_CLUSTER:
            pytest.fail(f"{message} (PICKET_REQUIRE_CLUSTER=1)")
        pytest.skip(message)
    print(f"\ncluster up in {time.monotonic() - started:.1f}s")
    running = Cluster(directory / "cluster", environ)
    try:
        running.query(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4")
        yield running
    finally:
        keep = ["--keep"] if os.environ.get("PICKET_KEEP_CLUSTER") == "1" else []
        down = [str(SCRIPT), "down", *keep]
        subprocess.run(down, env=environ, capture_output=True, timeout=COMMAND_TIMEOUT, check=False)
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Retries:
    """Retries of whole units of work, by reason, as core.retry reports them."""

    by_reason: Counter[str] = field(default_factory=Counter)

    def __call__(self, _operation: str, reason: str = "other", *_rest: str) -> None:
        self.by_reason[reason] += 1

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


@pytest.fixture
def retries() -> Iterator[Retries]:
    seen = Retries()
    core.retry.retry_listeners.append(seen)
    yield seen
    core.retry.retry_listeners.remove(seen)
