"""The rollout's parts in pure Python: reading the metrics exposition, which windows count for a step,
the gates' verdicts (per entity, and estimated from the endpoint's totals), the config update body that
keeps the live entities, and the reports with their pictures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from servingstack.model.rollout import Gate, Rollout
from servingstack.rollout import gates
from servingstack.rollout.live import config_body, state_of
from servingstack.rollout.metrics import Figures, Freshness, parse, snapshot
from servingstack.rollout.reports import render_junit, render_markdown, summary_lines
from servingstack.rollout.results import Evaluation, GateResult, RolloutReport, SplitChange, Step
from servingstack.rollout.runner import default_timeout

PROMETHEUS = """\
# HELP request_count_total Number of requests during the last minute.
# TYPE request_count_total gauge
request_count_total{served_entity_name="v3"} 800 1700000060000
request_count_total{served_entity_name="v4"} 200 1700000060000
request_5xx_count_total{served_entity_name="v3"} 8 1700000060000
request_5xx_count_total{served_entity_name="v4"} 40 1700000060000
request_4xx_count_total{served_entity_name="v4"} 10 1700000060000
request_latency_ms_bucket{served_entity_name="v4",le="100"} 100 1700000060000
request_latency_ms_bucket{served_entity_name="v4",le="200"} 190 1700000060000
request_latency_ms_bucket{served_entity_name="v4",le="+Inf"} 200 1700000060000
request_latency_ms_bucket{served_entity_name="v3",le="100"} 800 1700000060000
request_latency_ms_bucket{served_entity_name="v3",le="200"} 800 1700000060000
request_latency_ms_bucket{served_entity_name="v3",le="+Inf"} 800 1700000060000
"""


def test_prometheus_and_openmetrics_samples():
    first = parse(PROMETHEUS)[0]
    assert (first.name, first.labels, first.value, first.stamp_ms) == (
        "request_count_total",
        {"served_entity_name": "v3"},
        800.0,
        1700000060000,
    )
    (plain,) = parse("request_count_total 12\n")
    assert (plain.labels, plain.stamp_ms) == ({}, None)
    (open_metrics,) = parse('request_count_total{a="x \\"y\\""} 3 1700000060.5\n# EOF\n')
    assert (open_metrics.labels, open_metrics.stamp_ms) == ({"a": 'x "y"'}, 1700000060500)  # seconds -> ms
    assert parse("garbage line\nrequest_count_total not-a-number\n") == []


def test_per_entity_snapshot_and_percentiles():
    snap = snapshot(PROMETHEUS)
    assert snap.per_entity and snap.has_latency and snap.stamp_ms == 1700000060000
    v4 = snap.entities["v4"]
    assert (v4.requests, v4.error_rate(), v4.error_rate(include_4xx=True)) == (200, 0.2, 0.25)
    assert v4.percentile(0.5) == 100.0  # the rank lands on the first bucket's bound
    assert v4.percentile(0.9) == pytest.approx(188.889, abs=1e-3)  # rank 180: 100 + 100 x (180 - 100) / (190 - 100)
    assert v4.percentile(0.99) == 200.0  # in +Inf: the highest finite bound is all that is known
    assert snap.endpoint.requests == 1000 and snapshot(PROMETHEUS, entity_label="other").per_entity is False
    assert Figures().percentile(0.99) is None and Figures().error_rate() is None


def test_only_windows_wholly_after_the_step_count():
    fresh = Freshness(live_at_ms=1_000_000, window_seconds=60)
    assert fresh.verdict(999_000, 0) == (False, False)  # before the step went live
    assert fresh.verdict(1_030_000, 0) == (False, False)  # the first after it may have begun before it
    assert fresh.verdict(1_090_000, 0) == (True, True)
    assert fresh.verdict(1_090_000, 0) == (True, False)  # the same window again: judged already
    unstamped = Freshness(live_at_ms=1_000_000, window_seconds=60)
    assert unstamped.verdict(None, 1_100_000) == (False, False)
    assert unstamped.verdict(None, 1_120_000) == (True, True)  # two windows after
    assert unstamped.verdict(None, 1_150_000) == (True, False)
    assert unstamped.verdict(None, 1_180_000) == (True, True)


def _read(text: str) -> gates.MetricsRead:
    return gates.MetricsRead(snapshot(text), fresh=True, new=True)


def test_error_rate_per_entity_against_the_stable_entity():
    gate = Gate.error_rate(max_rate=0.25, max_increase=0.05, min_requests=100)
    result = gates.error_rate(gate, _read(PROMETHEUS), gates.Context("v4", "v3", 20))
    assert result.status == "fail" and "more than 5.00% above v3's 1.00%" in result.message
    assert result.figures["candidate_rate"] == 0.2 and result.figures["source"] == "per entity"
    assert (
        gates.error_rate(Gate.error_rate(max_rate=0.25), _read(PROMETHEUS), gates.Context("v4", "v3", 20)).status
        == "pass"
    )
    few = gates.error_rate(
        Gate.error_rate(max_rate=0.25, min_requests=500), _read(PROMETHEUS), gates.Context("v4", "v3", 20)
    )
    assert few.status == "inconclusive" and few.message == "200 requests of v4 in the window; 500 needed"


def test_error_rate_estimated_from_the_endpoints_totals():
    # 1000 requests, the candidate at 20%: 800 x 1% + 200 x 20% = 48 errors.
    text = "request_count_total 1000 1700000060000\nrequest_5xx_count_total 48 1700000060000\n"
    baseline = Figures(requests=500, errors_5xx=5)
    gate = Gate.error_rate(max_rate=0.05, min_requests=100)
    estimated = gates.error_rate(gate, _read(text), gates.Context("v4", "v3", 20, baseline=baseline))
    assert estimated.status == "fail" and estimated.figures["candidate_rate"] == pytest.approx(0.2)
    assert estimated.figures["source"] == "endpoint, estimated"
    diluted = gates.error_rate(gate, _read(text), gates.Context("v4", "v3", 20))
    assert diluted.status == "pass" and diluted.figures["source"] == "endpoint, diluted"  # 4.8%: why a baseline matters
    relative_only = gates.error_rate(Gate.error_rate(max_increase=0.01), _read(text), gates.Context("v4", "v3", 20))
    assert relative_only.status == "inconclusive" and "v3 has no figures" in relative_only.message


def test_latency_per_entity_and_what_cannot_be_judged():
    ctx = gates.Context("v4", "v3", 20)
    slow = gates.latency(Gate.latency(max_ratio=1.5, percentile=90, min_requests=100), _read(PROMETHEUS), ctx)
    assert slow.status == "fail" and "more than 1.5 x v3's 90 ms" in slow.message
    assert gates.latency(Gate.latency(max_ms=190, percentile=90), _read(PROMETHEUS), ctx).status == "pass"
    no_histogram = gates.latency(Gate.latency(max_ms=100), _read("request_count_total 10 1\n"), ctx)
    assert no_histogram.status == "inconclusive" and "no request_latency_ms histogram" in no_histogram.message
    stale = gates.latency(Gate.latency(max_ms=100), gates.MetricsRead(snapshot(PROMETHEUS)), ctx)
    assert stale.status == "inconclusive" and not stale.new
    failed_read = gates.error_rate(Gate.error_rate(max_rate=0.1), gates.MetricsRead(None, error="503"), ctx)
    assert failed_read.status == "inconclusive" and "cannot read the endpoint's metrics: 503" in failed_read.message


def test_the_config_body_keeps_the_live_entities_and_route_order():
    raw = {
        "name": "e",
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "config": {
            "config_version": 4,
            "served_entities": [
                {
                    "name": "v4",
                    "entity_name": "m",
                    "entity_version": "4",
                    "workload_size": "Small",
                    "min_provisioned_concurrency": 4,
                    "max_provisioned_concurrency": 8,
                    "state": {"deployment": "DEPLOYMENT_READY"},
                    "creator": "someone",
                },
                {"name": "v3", "entity_name": "m", "entity_version": "3", "workload_size": "Medium"},
            ],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "v4", "served_entity_name": "v4", "traffic_percentage": 10},
                    {"served_model_name": "v3", "served_entity_name": "v3", "traffic_percentage": 90},
                ]
            },
            "auto_capture_config": {"catalog_name": "c", "schema_name": "s", "enabled": True, "state": {}},
        },
    }
    state = state_of(raw)
    assert state.done and state.split == {"v4": 10, "v3": 90} and state.config_version == 4
    body = config_body(state, {"v3": 75, "v4": 25})
    assert body == {
        "served_entities": [
            {
                "name": "v4",
                "entity_name": "m",
                "entity_version": "4",
                "min_provisioned_concurrency": 4,
                "max_provisioned_concurrency": 8,
            },
            {"name": "v3", "entity_name": "m", "entity_version": "3", "workload_size": "Medium"},
        ],
        "traffic_config": {
            "routes": [
                {"served_model_name": "v4", "traffic_percentage": 25},
                {"served_model_name": "v3", "traffic_percentage": 75},
            ]
        },
        "auto_capture_config": {"catalog_name": "c", "schema_name": "s", "enabled": True},
    }


def test_the_default_timeout_covers_every_step_baked_twice():
    rollout = Rollout(stable="a", candidate="b", steps=[50, 100], bake="10m")
    assert default_timeout(rollout) == 2 * (2 * 600 + 1200) + 1200


def _report() -> RolloutReport:
    report = RolloutReport(
        stack="dev",
        stack_dir="cdktf.out/stacks/dev",
        endpoint="dev-fraud-scoring",
        host="https://example",
        started_at="2025-01-01T00:00:00+00:00",
        declared=Rollout(stable="v3", candidate="v4", steps=[20, 100], bake="1m").to_json(),
        timeout_seconds=600,
        outcome="rolled_back",
        message="rolled back: v3 serves 100% again (config v5), 1.2 s after the breach",
        seconds=200.0,
        breaches=2,
        last_proven=20,
    )
    report.preflight = Evaluation(1.0, 0, [GateResult("probes", "pass", "answered in 3 ms")])
    proven = Step(20, "proven", requested_at=2.0, live_at=3.0, ended_at=63.0)
    proven.evaluations = [
        Evaluation(
            18.0, 20, [GateResult("probes", "pass", "ok"), GateResult("error_rate", "inconclusive", "too few: wait")]
        )
    ]
    failed = Step(
        100, "failed", message="breach 2 of 2: v4: 50% failed", requested_at=63.0, live_at=64.0, ended_at=120.0
    )
    failed.evaluations = [
        Evaluation(80.0, 100, [GateResult("error_rate", "fail", "v4: 50.00% of 300 requests failed")], breach=True),
        Evaluation(120.0, 100, [GateResult("error_rate", "fail", "v4: 40.00% of 300 requests failed")], breach=True),
    ]
    report.steps = [proven, failed]
    report.change = SplitChange(
        "rollback", "step 100%: breach 2 of 2", 0, breach_at=120.0, requested_at=120.01, live_at=121.2, status="live"
    )
    report.timeline = [(0.0, 0), (3.0, 20), (64.0, 100), (121.2, 0)]
    return report


def test_the_markdown_draws_the_traffic_and_every_evaluation():
    text = render_markdown(_report())
    assert text.count("```mermaid") == 2
    chart = text.split("```mermaid\n")[1].split("```")[0]
    assert chart.startswith("xychart-beta\n")
    line = next(row for row in chart.splitlines() if row.strip().startswith("line ["))
    values = [int(v) for v in line.strip()[len("line [") : -1].split(", ")]
    assert values[0] == 0 and 20 in values and 100 in values and values[-1] == 0  # the staircase, then back
    gantt = text.split("```mermaid\n")[2].split("```")[0].splitlines()
    assert gantt[0] == "gantt" and "    dateFormat X" in gantt
    tasks = [row for row in gantt if " :" in row]
    assert all(row.split(" :")[0].count(":") == 0 for row in tasks)  # a ':' would end a task's name
    assert any(row.strip().startswith("error_rate ✗ :crit,") for row in tasks)
    assert "v3 100%, live :crit, c0, 120, 121" in text
    assert text.count("| error_rate |") == 3 and "requested 0.01 s after the breach" in text


def test_junit_has_a_case_per_step_and_gate():
    (suite,) = ET.fromstring(render_junit(_report()).split("\n", 1)[1])
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert list(cases) == [
        "pre-flight",
        "step 20%",
        "step 20% gate probes",
        "step 20% gate error_rate",
        "step 100%",
        "step 100% gate error_rate",
        "rollback",
    ]
    assert cases["step 100%"].find("failure") is not None
    assert cases["step 100% gate error_rate"].find("failure").text.count("fail:") == 2
    assert cases["step 20% gate error_rate"].find("skipped") is not None  # it never judged
    assert suite.get("failures") == "2"


def test_the_terminal_summary_draws_each_step():
    lines = summary_lines(_report())
    assert lines[0].startswith("dev-fraud-scoring: ↩️ rolled back: v3 serves 100% again")
    assert lines[3].split() == ["20%", "████", "?", "proven", "(update", "1.0", "s,", "bake", "60.0", "s)"]
    assert "  rollback to 0%: live, requested 0.01 s after the breach, serving 1.2 s after it" in lines
