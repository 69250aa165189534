"""Monitoring: Prometheus's config and alerts are valid and tested, and they and the Grafana dashboard
ask only for metrics that Picket exports, so renaming a metric breaks this test, not the alerts."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERTS_TEST = PROMETHEUS_DIR / "alerts_test.yml"
GRAFANA = DEPLOY / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "picket.json"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "picket.yml"

# Where compose mounts deploy/grafana/dashboards inside the Grafana container.
DASHBOARDS_DIR = "/var/lib/grafana/dashboards"
DATASOURCE_UID = "prometheus"
# CI installs Debian's prometheus package and sets this, so that a missing promtool fails the run.
REQUIRE_PROMTOOL = os.environ.get("PICKET_REQUIRE_PROMTOOL", "") == "1"

PICKET_METRIC = re.compile(r"\bpicket_[a-z0-9_]+")
# The series each metric type puts on /metrics; collect() names a family without these suffixes.
SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
}
SEVERITIES = {"warning", "critical"}
# What production is watched for; deleting one of these alerts should be a deliberate change here.
REQUIRED_ALERTS = {
    "OutboxBacklogGrowing",
    "AuditorBreach",
    "AuditorNotRunning",
    "GaleraNodeDown",
    "GaleraNoWriter",
    "HighCommandErrorRate",
    "JobStalled",
    "BackupStale",
    "BookingRetriesHigh",
}


@cache
def exported_series() -> frozenset[str]:
    """Every series name Picket's registry puts on /metrics.

    A labelled metric yields no samples until its first use, so names come from each family's type,
    not from the samples collect() happens to hold."""
    return frozenset(
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in SERIES_SUFFIXES.get(family.type, ("",))
    )


def unknown_metrics(text: str) -> set[str]:
    return set(PICKET_METRIC.findall(text)) - exported_series()


_RULE = re.compile(r"^ *- (?P<kind>alert|record): *(?P<name>\S+) *$")
_FIELD = re.compile(r"^(?P<indent> *)(?P<key>[a-z_]+): *(?P<value>.*)$")
_BLOCK = {"|", "|-", ">", ">-"}


@cache
def read_rules() -> tuple[dict[str, dict[str, str]], int]:
    """alerts.yml's alerting rules (name to expr, for, severity, summary, description) and how many
    rules of any kind it holds.

    Picket carries no YAML parser, so this reads the layout alerts.yml keeps: one "- alert:" item per
    rule, block scalars for long text. Comparing the count with promtool's guards this reader."""
    alerts: dict[str, dict[str, str]] = {}
    count = 0
    current: dict[str, str] | None = None
    lines = ALERTS.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if rule := _RULE.match(line):
            count += 1
            current = alerts.setdefault(rule["name"], {}) if rule["kind"] == "alert" else None
            continue
        field = _FIELD.match(line)
        if current is None or field is None:
            continue
        value = field["value"].strip()
        if value in _BLOCK:
            indent = len(field["indent"])
            block: list[str] = []
            while index < len(lines) and (
                not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
            ):
                block.append(lines[index].strip())
                index += 1
            value = " ".join(part for part in block if part)
        elif value[:1] in {'"', "'"} and value[-1:] == value[:1]:
            value = value[1:-1]
        current[field["key"]] = value
    return alerts, count


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def dashboard_panels() -> list[dict[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    panels: list[dict[str, Any]] = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def data_panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard_panels() if panel["type"] != "row"]


def dashboard_exprs() -> list[str]:
    return [target.get("expr", "") for panel in data_panels() for target in panel.get("targets", [])]


# promtool ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if REQUIRE_PROMTOOL:
            pytest.fail("promtool is not installed (PICKET_REQUIRE_PROMTOOL=1); apt-get install prometheus")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


def run_promtool(promtool: str, *args: str) -> str:
    result = subprocess.run(
        [promtool, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(args)} failed:\n{output}"
    return output


def test_the_prometheus_config_is_valid(promtool: str) -> None:
    run_promtool(promtool, "check", "config", str(CONFIG.relative_to(ROOT)))


def test_the_alert_rules_are_valid_and_all_read_here(promtool: str) -> None:
    output = run_promtool(promtool, "check", "rules", str(ALERTS.relative_to(ROOT)))
    found = re.search(r"SUCCESS: (\d+) rules found", output)
    assert found is not None, output
    _, count = read_rules()
    # A rule this file's reader missed would escape the checks below.
    assert int(found[1]) == count, f"promtool found {found[1]} rules, this test read {count}"


def test_the_alert_rules_pass_their_unit_tests(promtool: str) -> None:
    run_promtool(promtool, "test", "rules", str(ALERTS_TEST.relative_to(ROOT)))


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    # promtool checks PromQL only inside rules; Grafana's $__rate_interval becomes a fixed range.
    rules = [
        {"record": f"dashboard_query_{index}", "expr": expr.replace("$__rate_interval", "1m")}
        for index, expr in enumerate(dashboard_exprs())
    ]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    run_promtool(promtool, "check", "rules", str(path))


# Alerts -----------------------------------------------------------------------------------------


def test_every_alert_says_how_bad_it_is_and_what_to_do() -> None:
    alerts, _ = read_rules()
    assert alerts.keys() >= REQUIRED_ALERTS, f"missing: {sorted(REQUIRED_ALERTS - alerts.keys())}"
    for name, rule in alerts.items():
        assert rule.get("expr"), f"{name} has no expr"
        assert rule.get("for"), f"{name} has no for: a single bad scrape would page someone"
        assert rule.get("severity") in SEVERITIES, f"{name}: severity {rule.get('severity')!r}"
        assert rule.get("summary"), f"{name} has no summary"
        assert len(rule.get("description", "")) > 80, f"{name} has no description that says what to do"


def test_the_alerts_ask_only_for_metrics_picket_exports() -> None:
    alerts, _ = read_rules()
    for name, rule in alerts.items():
        assert not unknown_metrics(rule["expr"]), f"{name} uses {sorted(unknown_metrics(rule['expr']))}"
    # Annotations and the unit tests' input series name metrics too (comments may speak of families
    # such as picket_job_*).
    for path in (ALERTS, ALERTS_TEST):
        lines = path.read_text(encoding="utf-8").splitlines()
        unknown = unknown_metrics("\n".join(line for line in lines if not line.lstrip().startswith("#")))
        assert not unknown, f"{path.name} names metrics Picket does not export: {sorted(unknown)}"


def test_the_metric_names_come_from_the_registry() -> None:
    # collect() drops _total from a counter's family name; the series on /metrics keep it.
    assert "picket_command_errors_total" in exported_series()
    assert "picket_command_errors" not in exported_series()
    assert "picket_command_seconds_bucket" in exported_series()
    assert "picket_outbox_backlog" in exported_series()
    assert unknown_metrics("rate(picket_no_such_thing_total[5m])") == {"picket_no_such_thing_total"}


def test_every_alert_is_tested_both_firing_and_quiet() -> None:
    alerts, _ = read_rules()
    tests = ALERTS_TEST.read_text(encoding="utf-8")
    for name in alerts:
        quiet = re.search(rf"alertname: {name}\n +exp_alerts: \[\]", tests)
        firing = re.search(rf"alertname: {name}\n +exp_alerts:\n +- exp_labels:", tests)
        assert quiet is not None, f"no case in {ALERTS_TEST.name} where {name} stays quiet"
        assert firing is not None, f"no case in {ALERTS_TEST.name} where {name} fires"


def test_prometheus_scrapes_picket_and_haproxy_and_loads_the_alerts() -> None:
    config = CONFIG.read_text(encoding="utf-8")
    assert re.search(r"^rule_files:\n +- alerts\.yml$", config, flags=re.MULTILINE)
    jobs = {
        block.split(maxsplit=1)[0]: block for block in re.split(r"^ *- job_name: *", config, flags=re.M)[1:]
    }
    assert '"picket:9100"' in jobs["picket"]
    assert '"haproxy:8404"' in jobs["haproxy"]
    # picket_job_* carry a `job` label; without this the rules' "by (job)" would see exported_job.
    assert re.search(r"^ +honor_labels: true$", jobs["picket"], flags=re.MULTILINE)


# Grafana ----------------------------------------------------------------------------------------


def test_the_dashboard_is_picket_s() -> None:
    board = dashboard()
    assert board["uid"] == "picket"
    assert board["title"] == "Picket"
    assert 36 <= board["schemaVersion"] < 50


def test_every_panel_has_a_unique_id_and_a_place() -> None:
    panels = dashboard_panels()
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    taken: dict[tuple[int, int], str] = {}
    for panel in data_panels():
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]


def test_every_panel_queries_prometheus() -> None:
    for panel in data_panels():
        title = panel["title"]
        assert panel["datasource"]["uid"] == DATASOURCE_UID, title
        assert panel.get("targets"), f"{title} has no queries"
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), f"{title} has an empty query"
            assert target["datasource"]["uid"] == DATASOURCE_UID, title


def test_the_dashboard_asks_only_for_metrics_picket_exports() -> None:
    for expr in dashboard_exprs():
        assert not unknown_metrics(expr), f"{sorted(unknown_metrics(expr))} in {expr}"


def test_grafana_provisions_the_datasource_and_the_dashboards_folder() -> None:
    datasources = DATASOURCES.read_text(encoding="utf-8")
    assert re.search(rf"^ +uid: {DATASOURCE_UID}$", datasources, flags=re.MULTILINE)
    assert re.search(r"^ +url: http://prometheus:9090$", datasources, flags=re.MULTILINE)
    providers = DASHBOARD_PROVIDERS.read_text(encoding="utf-8")
    assert re.findall(r"^ +path: *(\S+)$", providers, flags=re.MULTILINE) == [DASHBOARDS_DIR]


def compose_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(DEPLOY.glob("compose*.y*ml"))}


def test_compose_mounts_the_dashboards_where_grafana_looks() -> None:
    mounts = {
        name: re.findall(r"grafana/dashboards/?:(/[\w./-]+?)(?::ro)?[\"']?$", text, flags=re.MULTILINE)
        for name, text in compose_texts().items()
    }
    mounts = {name: targets for name, targets in mounts.items() if targets}
    if not mounts:
        pytest.skip("no compose file runs Grafana yet")
    for name, targets in mounts.items():
        assert set(targets) == {DASHBOARDS_DIR}, f"{name} mounts the dashboards at {targets}"


def test_compose_serves_metrics_on_the_port_prometheus_scrapes() -> None:
    scraped = re.search(r'"picket:(\d+)"', CONFIG.read_text(encoding="utf-8"))
    assert scraped is not None
    # METRICS_PORT: 9100, - METRICS_PORT=9100 and ${METRICS_PORT:-9100} all count.
    setting = re.compile(r"METRICS_PORT(?::-|[:=]\s*[\"']?)(\d+)")
    ports = {name: setting.findall(text) for name, text in compose_texts().items()}
    ports = {name: found for name, found in ports.items() if found}
    if not ports:
        pytest.skip("no compose file sets METRICS_PORT yet")
    for name, found in ports.items():
        assert set(found) == {scraped[1]}, f"{name}: METRICS_PORT {found}, Prometheus scrapes {scraped[1]}"
