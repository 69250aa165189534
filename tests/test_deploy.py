"""The image carries every package the running bot imports, and starts the way the README says."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_architecture import imported_roots

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}


def test_the_image_copies_every_package_the_bot_needs() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile, flags=re.MULTILINE))
    needed = {
        root
        for room in ("bot", "cogs", "core", "db", "scheduler")
        for path in (ROOT / room).rglob("*.py")
        if "devserver" not in path.parts and "sandbox" not in path.parts
        for root in imported_roots(path)
    } & PACKAGES
    assert needed <= copied, f"missing from the image: {sorted(needed - copied)}"


def test_the_image_migrates_then_runs() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "python -m bot migrate && exec python -m bot run" in dockerfile


def test_compose_mounts_only_files_that_exist() -> None:
    compose = (ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    mounted = re.findall(r"^\s+- \./([\w./-]+):", compose, flags=re.MULTILINE)
    assert {"galera/picket.cnf", "haproxy/haproxy.cfg", "prometheus", "grafana/dashboards"} <= set(mounted)
    assert [path for path in mounted if not (ROOT / "deploy" / path).exists()] == []


def test_compose_runs_the_cluster_behind_haproxy_with_its_health_checks() -> None:
    compose = (ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    services = set(re.findall(r"^  ([\w-]+):$", compose, flags=re.MULTILINE))
    nodes = {"galera1", "galera2", "galera3"}
    assert (
        nodes | {f"{n}-health" for n in nodes} | {"haproxy", "standby", "picket", "prometheus", "grafana"}
        <= services
    )
    assert "@haproxy:3306/picket" in compose, "Picket reaches its database through HAProxy"
    haproxy = (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text(encoding="utf-8")
    for node in sorted(nodes):
        # haproxy.cfg's defaults name compose's services, and each health check shares its node's network.
        assert f"{node}:3306" in haproxy
        assert f"network_mode: service:{node}" in compose
