"""`servingstack rollout` end to end: a synthesized stack applied to the emulator, simulated callers on
the endpoint, the unmodified databricks-sdk over real HTTP. A healthy candidate goes to 100%; one that
fails at a later step is rolled back to the stable entity; an update already running is waited for;
a signal mid-bake restores the last proven step; a second run resumes from the live split; and
re-applying the stack mid-rollout leaves the traffic alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from rollout_support import (
    ENDPOINT,
    TOKEN,
    deploy,
    emulator,
    live_split,
    rollout,
    set_split,
    updating,
)
from servingstack.cli import main
from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack

pytestmark = pytest.mark.timeout(120)


def _entities(emu) -> list[tuple[str, str | None, dict | None]]:
    live = emu.client().serving_endpoints.get(ENDPOINT)
    return [(e.name, e.entity_version, e.environment_vars) for e in live.config.served_entities]


def test_a_healthy_candidate_goes_to_100_percent(stacks):
    with emulator() as emu:
        deploy(emu, stacks["rollout"])
        before = _entities(emu)
        lines: list[str] = []
        report = rollout(emu, stacks["rollout"], echo=lines.append)
        assert (report.outcome, report.exit_code) == ("completed", 0), "\n".join(lines)
        assert [(s.percent, s.status) for s in report.steps] == [(20, "proven"), (50, "proven"), (100, "proven")]
        assert [p for _, p in report.timeline] == [0, 20, 50, 100]
        assert live_split(emu) == {"v3": 0, "v4": 100} == report.final_split
        assert _entities(emu) == before  # the served entities untouched: only the traffic moved
        assert report.preflight is not None and report.preflight.verdict == "pass"
        assert report.metrics_source == "endpoint" and report.breaches == 0 and report.change is None
        for step in report.steps:  # every gate judged, and passed, in every step
            assert step.evaluations
            passed = {r.gate for e in step.evaluations for r in e.results if r.status == "pass"}
            assert passed == {"probes", "error_rate", "latency_p99"}
        assert "remove v3 from served_entities and the rollout=" in report.advice[0]


@pytest.mark.parametrize("per_entity", [False, True], ids=["endpoint-metrics", "per-entity-metrics"])
def test_a_candidate_failing_at_a_later_step_is_rolled_back(stacks, tmp_path, per_entity):
    with emulator(per_entity=per_entity) as emu:
        deploy(emu, stacks["rollout"])
        emu.degrade(ENDPOINT, "v4", error_rate=0.5, seconds=0.2, from_percent=50)  # fine at 0% and 20%
        reports = {name: tmp_path / name for name in ("r.json", "j.xml", "s.md")}
        result = CliRunner().invoke(
            main,
            [
                "rollout",
                "--stack",
                str(stacks["rollout"]),
                "--endpoint",
                ENDPOINT,
                "--host",
                emu.url,
                "--token",
                TOKEN,
                "--metrics-window",
                "0.3",
                "--json",
                str(reports["r.json"]),
                "--junit",
                str(reports["j.xml"]),
                "--summary",
                str(reports["s.md"]),
            ],
        )
        assert result.exit_code == 1, result.output
        assert live_split(emu) == {"v3": 100, "v4": 0}
    report = json.loads(reports["r.json"].read_text())
    assert report["outcome"] == "rolled_back" and report["exit_code"] == 1
    assert report["metrics_source"] == ("per entity" if per_entity else "endpoint")
    assert [(s["percent"], s["status"]) for s in report["steps"]] == [(20, "proven"), (50, "failed"), (100, "pending")]
    assert report["breaches"] == 2 and report["final_split"] == {"v3": 100, "v4": 0}
    change = report["change"]
    assert (change["kind"], change["status"], change["to_percent"]) == ("rollback", "live", 0)
    # The rollback was requested in the evaluation that reached the failure limit: no other came between.
    failed = report["steps"][1]
    tripped = [e for e in failed["evaluations"] if e["breach"]][-1]
    assert change["breach_at"] == tripped["ended_at"] and failed["evaluations"][-1]["at"] == tripped["at"]
    texts = [e["text"] for e in report["events"]]
    at = next(i for i, t in enumerate(texts) if t.startswith("50%: breach 2/2"))
    assert texts[at + 1].startswith("rolling back: step 50%") and texts[at + 2].startswith("rollback requested")
    failing = {g["gate"] for e in failed["evaluations"] for g in e["gates"] if g["status"] == "fail"}
    assert {"probes", "error_rate", "latency_p99"} & failing
    # Every evaluation in every report.
    evaluations = sum(len(s["evaluations"]) for s in report["steps"])
    summary = reports["s.md"].read_text()
    assert summary.count("```mermaid") == 2 and "xychart-beta" in summary and "gantt" in summary
    assert summary.count("| probes |") == evaluations + 1  # and the pre-flight
    (suite,) = ET.parse(reports["j.xml"]).getroot()
    failures = [c.get("name") for c in suite if c.find("failure") is not None]
    assert "step 50%" in failures and "step 20%" not in failures
    assert "rolled back: v3 serves 100% again" in result.output
    for text in [result.output] + [path.read_text() for path in reports.values()]:
        assert TOKEN not in text


def test_an_update_already_running_at_start_is_waited_for(stacks):
    with emulator(update_seconds=1.0) as emu:
        deploy(emu, stacks["rollout"])
        apply_stack(load_stack(stacks["rollout_env"]), emu.client(), wait=False, echo=lambda _: None)
        assert updating(emu)  # someone's apply is deploying a changed config
        emu.set_update_seconds(0.3)
        lines: list[str] = []
        report = rollout(emu, stacks["rollout"], echo=lines.append)
        assert report.outcome == "completed", "\n".join(lines)
        waited = [t for _, t in report.events if t.startswith("a config update is in progress (config v2)")]
        assert waited and "cannot cancel it" in waited[0]
        assert live_split(emu) == {"v3": 0, "v4": 100}
        assert [e[2] for e in _entities(emu)] == [{"MODE": "2"}, {"MODE": "2"}]  # that update went through


def _start_cli(emu, stack_dir: Path, json_file: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "servingstack.cli",
            "rollout",
            "--stack",
            str(stack_dir),
            "--endpoint",
            ENDPOINT,
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "--metrics-window",
            "0.3",
            "--restore-seconds",
            "15",
            "--json",
            str(json_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_bake_restores_the_last_proven_step(stacks, tmp_path, signum, code):
    with emulator() as emu:
        deploy(emu, stacks["rollout"])
        json_file = tmp_path / "r.json"
        process = _start_cli(emu, stacks["rollout"], json_file)
        seen = []
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if "50%: probes" in line:  # baking step 50%, step 20% proven
                break
        process.send_signal(signum)
        rest, _ = process.communicate(timeout=60)
        output = "".join(seen) + rest
        assert process.returncode == code, output
        assert "interrupted: back to the last proven step, v4 20%" in output
        assert "the endpoint is back at the last proven step, v4 20%" in output
        assert live_split(emu) == {"v3": 80, "v4": 20}
    report = json.loads(json_file.read_text())
    assert report["outcome"] == "interrupted" and report["exit_code"] == code
    assert [(s["percent"], s["status"]) for s in report["steps"]] == [
        (20, "proven"),
        (50, "interrupted"),
        (100, "pending"),
    ]
    assert report["change"]["kind"] == "restore" and report["change"]["status"] == "live"
    assert report["last_proven_percent"] == 20


def test_a_second_run_resumes_from_the_live_split(stacks):
    with emulator() as emu:
        deploy(emu, stacks["rollout"])
        set_split(emu, 50)  # where an earlier run stopped
        lines: list[str] = []
        report = rollout(emu, stacks["rollout"], echo=lines.append)
        assert report.outcome == "completed", "\n".join(lines)
        assert report.resumed_from == 50
        assert [(s.percent, s.resumed, s.status) for s in report.steps] == [
            (50, True, "proven"),
            (100, False, "proven"),
        ]
        assert report.steps[0].requested_at is None  # baked again where it was, not moved to
        assert any(t.startswith("resuming: v4 serves 50% live") for _, t in report.events)
        assert live_split(emu) == {"v3": 0, "v4": 100}


def test_reapplying_the_stack_mid_rollout_leaves_the_traffic_alone(stacks):
    with emulator() as emu:
        deploy(emu, stacks["rollout"])
        lines: list[str] = []
        baking = threading.Event()

        def echo(line: str) -> None:
            lines.append(line)
            if "50%: baking" in line:
                baking.set()

        outcome: list = []
        runner = threading.Thread(target=lambda: outcome.append(rollout(emu, stacks["rollout"], echo=echo)))
        runner.start()
        try:
            assert baking.wait(30), "\n".join(lines)
            # The same stack again: nothing to send; the live split is kept.
            same: list[str] = []
            result = apply_stack(load_stack(stacks["rollout"]), emu.client(), echo=same.append)
            (change,) = [c for c in result.changes if c.target == ENDPOINT]
            assert change.action == "unchanged"
            assert change.details == ["live traffic kept (v3 50%, v4 50%): lifecycle.ignore_changes"]
            # A changed environment variable: a config update, carrying the live split; it outlasts the bake.
            emu.set_update_seconds(2.5)
            changed = apply_stack(load_stack(stacks["rollout_env"]), emu.client(), wait=False, echo=lambda _: None)
            (change,) = [c for c in changed.changes if c.target == ENDPOINT]
            assert change.action == "updated" and change.details[0] == "config"
            assert live_split(emu) == {"v3": 50, "v4": 50}
        finally:
            runner.join(60)
        (report,) = outcome
        assert report.outcome == "completed", "\n".join(lines)
        assert [(s.percent, s.status) for s in report.steps] == [(20, "proven"), (50, "proven"), (100, "proven")]
        assert report.steps[2].waited_for_other_update  # the apply's update ran first: it cannot be cancelled
        assert live_split(emu) == {"v3": 0, "v4": 100}
        assert [e[2] for e in _entities(emu)] == [{"MODE": "2"}, {"MODE": "2"}]


def test_a_candidate_failing_at_zero_percent_moves_nothing(stacks):
    with emulator() as emu:
        deploy(emu, stacks["rollout"])
        emu.break_entity(ENDPOINT, "v4")
        report = rollout(emu, stacks["rollout"])
        assert (report.outcome, report.exit_code) == ("failed", 1)
        assert report.message.startswith("v4 failed its own queries before any traffic moved: its own query:")
        assert report.steps and all(s.status == "pending" for s in report.steps)
        assert live_split(emu) == {"v3": 100, "v4": 0}


def test_usage_errors_exit_2_before_anything_moves(stacks):
    with emulator() as emu:
        deploy(emu, stacks["plain"])
        common = ["--host", emu.url, "--token", TOKEN]
        plain = ["rollout", "--stack", str(stacks["plain"])]
        no_rollout = CliRunner().invoke(main, [*plain, "--endpoint", ENDPOINT, *common])
        assert no_rollout.exit_code == 2
        assert "dev-fraud-scoring declares no rollout: add rollout=Rollout(" in no_rollout.output
        unknown = CliRunner().invoke(main, ["rollout", "--stack", str(stacks["rollout"]), "--endpoint", "x", *common])
        assert unknown.exit_code == 2 and "--endpoint x: not in the stack" in unknown.output
        assert live_split(emu) == {"v3": 100, "v4": 0}


def test_a_rollback_waits_out_an_update_it_cannot_cancel(stacks):
    with emulator() as emu:
        deploy(emu, stacks["rollout"])
        emu.degrade(ENDPOINT, "v4", error_rate=1.0, from_percent=20)
        lines: list[str] = []
        baking = threading.Event()

        def echo(line: str) -> None:
            lines.append(line)
            if "20%: baking" in line:
                baking.set()

        outcome: list = []
        runner = threading.Thread(target=lambda: outcome.append(rollout(emu, stacks["rollout"], echo=echo)))
        runner.start()
        try:
            assert baking.wait(30), "\n".join(lines)
            emu.set_update_seconds(2.0)  # someone's apply: an update the breach finds in progress
            apply_stack(load_stack(stacks["rollout_env"]), emu.client(), wait=False, echo=lambda _: None)
        finally:
            runner.join(60)
        (report,) = outcome
        assert report.outcome == "rolled_back", "\n".join(lines)
        change = report.change
        assert change is not None and change.waited_for_update and change.status == "live"
        said = [t for _, t in report.events if t.startswith("a config update is in progress")]
        assert said and said[-1].endswith("so the rollback waits for it")
        assert live_split(emu) == {"v3": 100, "v4": 0}
