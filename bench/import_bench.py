#!/usr/bin/env python
"""`servingstack import` over N endpoints: reading them a few at a time against one by one.

An in-process emulator holds N READY endpoints (a custom model with a 90/10 split, an AI
gateway, tags and two grants each); every control-plane request is slowed by `--latency`
seconds, standing in for a workspace's round trip. Each run reads all endpoints and their
permissions through databricks-sdk, alternating the serial reader (1 at a time) and the
importer's (READ_CONCURRENCY at a time), then writes the program; medians over `--runs`.

    .venv/bin/python bench/import_bench.py                 # 100 endpoints, 50 ms, 5 runs
    .venv/bin/python bench/import_bench.py --endpoints 20 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import time

from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EndpointCoreConfigInput,
    EndpointTag,
    ServingEndpointAccessControlRequest,
)

from servingstack.client.auth import Connection, make_client
from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline
from servingstack.emulator import Emulator
from servingstack.importer import live as live_module
from servingstack.importer.program import build_program

TOKEN = "bench-token"


def make_fleet(emu: Emulator, count: int) -> None:
    w = emu.client(retry_timeout_seconds=30)
    for index in range(count):
        name = f"prod-scorer-{index:04d}"
        created = w.serving_endpoints.create(
            name=name,
            config=EndpointCoreConfigInput.from_dict(
                {
                    "name": name,
                    "served_entities": [
                        {
                            "name": "v1",
                            "entity_name": "ml.fraud.scorer",
                            "entity_version": "1",
                            "workload_size": "Small",
                        },
                        {
                            "name": "v2",
                            "entity_name": "ml.fraud.scorer",
                            "entity_version": "2",
                            "workload_size": "Small",
                        },
                    ],
                    "traffic_config": {
                        "routes": [
                            {"served_model_name": "v1", "traffic_percentage": 90},
                            {"served_model_name": "v2", "traffic_percentage": 10},
                        ]
                    },
                }
            ),
            ai_gateway=AiGatewayConfig.from_dict(
                {
                    "usage_tracking_config": {"enabled": True},
                    "rate_limits": [{"calls": 100, "key": "endpoint", "renewal_period": "minute"}],
                }
            ),
            tags=[EndpointTag(key="owner", value="ml-platform")],
        ).response
        w.serving_endpoints.set_permissions(
            created.id,
            access_control_list=[
                ServingEndpointAccessControlRequest.from_dict({"group_name": "ds", "permission_level": "CAN_QUERY"}),
                ServingEndpointAccessControlRequest.from_dict({"group_name": "ml", "permission_level": "CAN_MANAGE"}),
            ],
        )


def one_run(emu: Emulator, concurrency: int) -> tuple[float, int]:
    live_module.READ_CONCURRENCY = concurrency
    client = make_client(Connection(host=emu.url, token=TOKEN), 300, Redactor())
    started = time.perf_counter()
    endpoints = live_module.read_endpoints(client, None, Deadline(300), Redactor())
    program = build_program(endpoints, environment="prod")
    return time.perf_counter() - started, len(program.source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    concurrent = live_module.READ_CONCURRENCY
    with Emulator(token=TOKEN, deploy_seconds=0, seed=0) as emu:
        make_fleet(emu, args.endpoints)
        time.sleep(0.5)
        emu.slow(args.latency, scope="control")
        times: dict[int, list[float]] = {1: [], concurrent: []}
        sizes = set()
        for _ in range(args.runs):
            for concurrency in (1, concurrent):
                seconds, size = one_run(emu, concurrency)
                times[concurrency].append(seconds)
                sizes.add(size)
    assert len(sizes) == 1, "the program differs between runs"
    serial, parallel = statistics.median(times[1]), statistics.median(times[concurrent])
    print(f"| endpoints | latency | serial s | {concurrent} at a time s | ratio | program |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.endpoints} | {args.latency * 1000:.0f} ms | {serial:.2f} | {parallel:.2f} | "
        f"{parallel / serial:.2f} | {sizes.pop() / 1024:.0f} KiB |"
    )


if __name__ == "__main__":
    main()
