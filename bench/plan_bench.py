#!/usr/bin/env python
"""`servingstack plan` over N endpoints against a server that answers every call after 50 ms: its
reads at once on the bounded pool against the same reads one after another, and how soon after the
last answer the report is printed.

The emulator runs as its own process (`servingstack emulator serve`, loopback), seeded with the
stack's groups, models and secret; N endpoints are created through the SDK (two custom-model entities
at 90/10, an AI gateway with a rate limit and an inference table, a secret reference, two grants),
then every control-plane call is slowed by `--latency` (the emulator's `slow` fault). The stack that
is planned shifts every endpoint's traffic to 50/50, so the report has N changed endpoints, each with
its takeaway. Each run plans it twice, alternating: with the plan's 10 workers, and with one (the same
reads, the same comparison and report, one call after another); medians over `--runs`.

    .venv/bin/python bench/plan_bench.py                 # 500 endpoints, 50 ms, 3 runs
    .venv/bin/python bench/plan_bench.py --endpoints 100 --runs 3
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EndpointCoreConfigInput,
    EndpointTag,
    ServingEndpointAccessControlRequest,
)

from servingstack.client.redact import Redactor
from servingstack.plan import table
from servingstack.plan.live import WORKERS
from servingstack.plan.runner import run_plan

TOKEN = "bench-plan-token"
MODELS = 100  # endpoint i serves model i % MODELS: shared models are read once


def model_of(index: int) -> str:
    return f"ml.fleet.scorer_{index % MODELS:03d}"


def endpoint_request(index: int, split: tuple[int, int]) -> dict[str, Any]:
    name = f"bench-scorer-{index:04d}"
    entities = [
        {
            "name": f"v{version}",
            "entity_name": model_of(index),
            "entity_version": str(version),
            "workload_size": "Small",
            "environment_vars": {"FEATURE_TOKEN": "{{secrets/fleet/feature-token}}"} if version == 1 else {},
        }
        for version in (1, 2)
    ]
    for entity in entities:
        if not entity["environment_vars"]:
            del entity["environment_vars"]
    return {
        "name": name,
        "config": {
            "served_entities": entities,
            "traffic_config": {
                "routes": [
                    {"served_model_name": "v1", "traffic_percentage": split[0]},
                    {"served_model_name": "v2", "traffic_percentage": split[1]},
                ]
            },
        },
        "ai_gateway": {
            "usage_tracking_config": {"enabled": True},
            "rate_limits": [{"key": "endpoint", "calls": 100, "renewal_period": "minute"}],
            "inference_table_config": {"enabled": True, "catalog_name": "ml", "schema_name": "fleet_logs"},
        },
        "tags": [{"key": "owner", "value": "ml-platform"}],
    }


GRANTS = [
    {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
    {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"},
]


def write_stack(root: Path, count: int) -> Path:
    """The planned stack, in the shape synth writes: every endpoint's traffic moved to 50/50."""
    resources: dict[str, Any] = {"databricks_model_serving": {}, "databricks_permissions": {}}
    for index in range(count):
        logical_id = f"scorer{index:04d}"
        resources["databricks_model_serving"][logical_id] = endpoint_request(index, (50, 50))
        resources["databricks_permissions"][f"{logical_id}_Permissions"] = {
            "serving_endpoint_id": f"${{databricks_model_serving.{logical_id}.serving_endpoint_id}}",
            "access_control": GRANTS,
        }
    directory = root / "cdktf.out" / "stacks" / "fleet"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cdk.tf.json").write_text(json.dumps({"resource": resources}))
    return directory


def start_emulator(seed_file: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "servingstack.cli", "emulator", "serve", "--port", "0", "--deploy-seconds", "0"]
    process = subprocess.Popen(
        [*command, "--seed-file", str(seed_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SERVINGSTACK_EMULATOR_TOKEN": TOKEN},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, line.split()[-1]


def populate(url: str, count: int) -> None:
    w = WorkspaceClient(config=Config(host=url, token=TOKEN, auth_type="pat", retry_timeout_seconds=30))
    for index in range(count):
        request = endpoint_request(index, (90, 10))
        created = w.serving_endpoints.create(
            name=request["name"],
            config=EndpointCoreConfigInput.from_dict(request["config"]),
            ai_gateway=AiGatewayConfig.from_dict(request["ai_gateway"]),
            tags=[EndpointTag.from_dict(t) for t in request["tags"]],
        ).response
        w.serving_endpoints.set_permissions(
            created.id or "", access_control_list=[ServingEndpointAccessControlRequest.from_dict(g) for g in GRANTS]
        )


def slow_down(url: str, seconds: float) -> None:
    body = json.dumps({"kind": "slow", "seconds": seconds, "scope": "control"}).encode()
    request = urllib.request.Request(
        f"{url}/_emulator/faults",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def one_plan(url: str, stack: Path, workers: int) -> dict[str, float]:
    started = time.monotonic()
    report = run_plan(stack, host=url, token=TOKEN, timeout=900, use_state=False, redactor=Redactor(), workers=workers)
    table.print_report(report, stream=io.StringIO(), width=160)  # what the command prints, to memory
    printed = time.monotonic()
    problems = [f.line() for f in report.findings if f.severity == "error"]
    assert not problems, problems[:3]
    assert report.counts()["update"] == len(report.changes) // 2, report.counts()
    return {
        "seconds": printed - started,
        "reads": float(report.reads),
        "read_seconds": report.read_seconds,
        "after_last_answer": printed - report.last_answer,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        seed = {
            "groups": ["data-scientists", "ml-platform"],
            "catalogs": ["ml"],
            "schemas": ["ml.fleet_logs"],
            "models": {model_of(i): [1, 2] for i in range(min(args.endpoints, MODELS))},
            "secrets": {"fleet": ["feature-token"]},
        }
        (root / "seed.json").write_text(json.dumps(seed))
        process, url = start_emulator(root / "seed.json")
        try:
            populate(url, args.endpoints)
            stack = write_stack(root, args.endpoints)
            slow_down(url, args.latency)
            results: dict[int, list[dict[str, float]]] = {WORKERS: [], 1: []}
            for _ in range(args.runs):
                for workers in (WORKERS, 1):
                    results[workers].append(one_plan(url, stack, workers))
                    print(f"  workers={workers}: {results[workers][-1]}", file=sys.stderr, flush=True)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    def median(workers: int, key: str) -> float:
        return statistics.median(r[key] for r in results[workers])

    concurrent, serial = median(WORKERS, "seconds"), median(1, "seconds")
    print(
        f"| endpoints | latency | reads | one after another s | {WORKERS} at a time s | ratio | "
        "printed after the last answer (max over runs) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    worst = max(r["after_last_answer"] for r in results[WORKERS] + results[1])
    print(
        f"| {args.endpoints} | {args.latency * 1000:.0f} ms | {median(WORKERS, 'reads'):.0f} | {serial:.2f} | "
        f"{concurrent:.2f} | {concurrent / serial:.2f} | {worst:.2f} s |"
    )


if __name__ == "__main__":
    main()
