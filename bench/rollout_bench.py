"""Benchmark: from the gate breach that reaches the failure limit to the stable split serving again.

Against the emulator with config updates that take `--update-seconds` (default 1 s): one endpoint, `v3`
stable and `v4` the candidate, simulated callers at 300 queries/s, metrics windows of 0.5 s. `v4` fails half
its queries and answers 200 ms slower from 50% of the traffic on, so the rollout (steps 20, 50, 100; bake
`--bake`, gates every `--interval`; probes, error rate, p99 latency; failure limit 2) proves 20% and trips
its limit at 50%. Measured from each run's report, in the same run as the baseline (one config update of
a step, request to serving):

- breach -> request: from the evaluation that reached the limit to the request for the stable split;
- breach -> stable: from that evaluation until the endpoint serves `v3` 100%;
- config updates: the config PUTs the emulator received after the breach (the rollback is one update).

Scenario `busy`: an update of the same endpoint (an apply with another environment variable) is started
after the first breach at 50%, half an update before the next evaluation; the breach that reaches the
limit finds it in progress, and the rollback waits it out: the service cannot cancel an update.

    .venv/bin/python bench/rollout_bench.py                      # 5 runs per scenario, medians
    .venv/bin/python bench/rollout_bench.py --runs 3 --interval 2 --bake 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "rollout"))

from rollout_support import ENDPOINT, SAMPLE, TOKEN  # noqa: E402
from servingstack.deploy.apply import apply_stack  # noqa: E402
from servingstack.emulator import Emulator  # noqa: E402
from servingstack.facts.stackfile import load_stack  # noqa: E402
from servingstack.rollout import RolloutOptions, run_rollout  # noqa: E402

WINDOW = 0.5


def _build(bake: float, interval: float, env: str):
    def build(app: Any) -> None:
        from servingstack import (
            CustomModel,
            Expect,
            Expectation,
            Gate,
            Rollout,
            ServingEndpoint,
            ServingStack,
        )

        stack = ServingStack(app, "dev", environment="dev")
        ServingEndpoint(
            stack,
            "fraud",
            name="fraud-scoring",
            served_entities=[
                CustomModel("ml.fraud.scorer", v, name=f"v{v}", environment_vars={"MODE": env}) for v in (3, 4)
            ],
            sample_request=SAMPLE,
            expectations=[Expectation("scores the row", expect=[Expect.status(200), Expect.predictions(1)])],
            rollout=Rollout(
                stable="v3",
                candidate="v4",
                steps=[20, 50, 100],
                bake=bake,
                interval=interval,
                gates=[
                    Gate.probes(),
                    Gate.error_rate(max_rate=0.05, max_increase=0.03, min_requests=10),
                    Gate.latency(max_ms=150, min_requests=10),
                ],
                failure_limit=2,
            ),
        )

    return build


def _stack(outdir: Path, bake: float, interval: float, env: str) -> Path:
    from servingstack.cdk import engine as _cdk

    app = _cdk.App(outdir=str(outdir))
    _build(bake, interval, env)(app)
    app.synth()
    return outdir / "stacks" / "dev"


def one_run(
    stack: Path, other: Path, update_seconds: float, interval: float, busy: bool, seed: int
) -> dict[str, float]:
    with Emulator(
        token=TOKEN, deploy_seconds=0.2, update_seconds=update_seconds, seed=seed, metrics_window_seconds=WINDOW
    ) as emu:
        result = apply_stack(load_stack(stack), emu.client(), echo=lambda _: None)
        assert not result.failed
        emu.simulate_traffic(ENDPOINT, 300)
        emu.degrade(ENDPOINT, "v4", error_rate=0.5, seconds=0.2, from_percent=50)
        time.sleep(2 * WINDOW)  # a window of the stable entity alone: the baseline of the endpoint's figures
        puts_at_breach: list[int] = []

        def echo(line: str) -> None:
            if busy and "50%: breach 1/2" in line:
                threading.Timer(
                    max(0.0, interval - update_seconds / 2),
                    lambda: apply_stack(load_stack(other), emu.client(), wait=False, echo=lambda _: None),
                ).start()
            if "50%: breach 2/2" in line:
                puts_at_breach.append(emu.request_count("PUT", f"/api/2.0/serving-endpoints/{ENDPOINT}/config"))

        options = RolloutOptions(metrics_window=WINDOW, rollback_seconds=120)
        report = run_rollout(stack, ENDPOINT, host=emu.url, token=TOKEN, options=options, echo=echo)
        puts_after = emu.request_count("PUT", f"/api/2.0/serving-endpoints/{ENDPOINT}/config") - puts_at_breach[0]
    change = report.change
    assert report.outcome == "rolled_back" and change is not None, report.message
    assert change.waited_for_update == busy, report.events
    assert change.request_seconds is not None and change.live_seconds is not None
    step = report.steps[1]
    assert step.update_seconds is not None
    return {
        "breach_to_request": change.request_seconds,
        "breach_to_stable": change.live_seconds,
        "baseline_update": step.update_seconds,
        "puts_after_breach": float(puts_after),
        "waited": float(change.waited_for_update),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--update-seconds", type=float, default=1.0)
    parser.add_argument("--bake", type=float, default=2.0)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = _stack(Path(tmp) / "a", args.bake, args.interval, "1")
        other = _stack(Path(tmp) / "b", args.bake, args.interval, "2")
        results: dict[str, list[dict[str, float]]] = {"idle": [], "busy": []}
        for run in range(args.runs):
            for scenario in ("idle", "busy") if run % 2 == 0 else ("busy", "idle"):
                results[scenario].append(
                    one_run(stack, other, args.update_seconds, args.interval, scenario == "busy", seed=run)
                )
                figures = results[scenario][-1]
                print(
                    f"run {run + 1} {scenario}: breach->request {figures['breach_to_request'] * 1000:.0f} ms, "
                    f"breach->stable {figures['breach_to_stable']:.2f} s, one step's update "
                    f"{figures['baseline_update']:.2f} s, config PUTs after the breach "
                    f"{figures['puts_after_breach']:.0f}",
                    flush=True,
                )
    print(
        f"\nupdates {args.update_seconds:g} s, gates every {args.interval:g} s, bake {args.bake:g} s, "
        f"{args.runs} runs, medians:"
    )
    print(
        "| scenario | breach -> request | breach -> stable at 100% | one step's update (baseline) | ratio "
        "| config updates after the breach |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    summary = {}
    for scenario, runs in results.items():
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        summary[scenario] = {"median": median, "runs": runs}
        label = "idle endpoint" if scenario == "idle" else "an update in progress at the breach"
        print(
            f"| {label} | {median['breach_to_request'] * 1000:.0f} ms | {median['breach_to_stable']:.2f} s | "
            f"{median['baseline_update']:.2f} s | {median['breach_to_stable'] / median['baseline_update']:.2f} | "
            f"{median['puts_after_breach']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, **summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
