#!/usr/bin/env python
"""Throughput of the emulator: GETs and queries with 16 concurrent clients.

The emulator runs as its own process (`servingstack emulator serve`, loopback, any free
port) holding 100 READY endpoints. Two kinds of client drive it:

- raw:  aiohttp, 16 concurrent tasks, one connection pool: what the server can answer;
- sdk:  databricks-sdk WorkspaceClient shared by 16 threads: what a checker sees.

Each measurement is repeated (`--runs`) with a bounded request count and time, and the
median is reported, with the time a checker run over 100 endpoints would spend waiting
on the emulator (100 GETs + 100 permission reads + 100 queries) at that rate.

    .venv/bin/python bench/emulator_bench.py            # full: 5 runs x 2000 requests
    .venv/bin/python bench/emulator_bench.py --quick    # 3 runs x 300 requests
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

TOKEN = "bench-token"
CHECKER_CALLS_PER_ENDPOINT = 3  # get, permissions, one smoke query


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def start_emulator() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "servingstack.cli",
            "emulator",
            "serve",
            "--port",
            "0",
            "--deploy-seconds",
            "0",
            "--seed",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SERVINGSTACK_EMULATOR_TOKEN": TOKEN},
    )
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, line.split()[-1]


def stop_emulator(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def client(url: str):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    return WorkspaceClient(config=Config(host=url, token=TOKEN, auth_type="pat", retry_timeout_seconds=10))


def populate(url: str, count: int) -> list[str]:
    """`count` endpoints, alternately a custom model (two entities, 90/10) and a chat model."""
    from databricks.sdk.service.serving import EndpointCoreConfigInput, Route, ServedEntityInput, TrafficConfig

    w = client(url)
    names = []
    for i in range(count):
        name = f"bench-{i:03d}"
        if i % 2:
            entities = [
                ServedEntityInput(entity_name="system.ai.meta_llama_3_3_70b_instruct", entity_version="1", name="llm")
            ]
            traffic = None
        else:
            entities = [
                ServedEntityInput(entity_name="ml.bench.model", entity_version=v, name=f"v{v}", workload_size="Small")
                for v in ("1", "2")
            ]
            traffic = TrafficConfig(
                routes=[
                    Route(served_model_name="v1", traffic_percentage=90),
                    Route(served_model_name="v2", traffic_percentage=10),
                ]
            )
        w.serving_endpoints.create(
            name=name, config=EndpointCoreConfigInput(name=name, served_entities=entities, traffic_config=traffic)
        )
        names.append(name)
    deadline = time.monotonic() + 30
    while any(e.state.ready.value != "READY" for e in w.serving_endpoints.list()):
        if time.monotonic() > deadline:
            raise SystemExit("endpoints did not become ready")
        time.sleep(0.1)
    return names


def query_body(index: int) -> dict:
    if index % 2:
        return {"messages": [{"role": "user", "content": "Is the endpoint ready?"}], "max_tokens": 16}
    return {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1.0, 2.0, 3.0]]}}


# -- raw HTTP (aiohttp) ----------------------------------------------------------------


async def raw_run(url: str, names: list[str], kind: str, total: int, clients: int, time_limit: float) -> Run:
    import aiohttp

    headers = {"Authorization": f"Bearer {TOKEN}"}
    latencies: list[float] = []
    counter = iter(range(total))
    deadline = time.perf_counter() + time_limit

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            if time.perf_counter() > deadline:
                return
            name = names[i % len(names)]
            started = time.perf_counter()
            if kind == "get":
                request = session.get(f"{url}/api/2.0/serving-endpoints/{name}")
            else:
                request = session.post(f"{url}/serving-endpoints/{name}/invocations", json=query_body(i % len(names)))
            async with request as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"{kind} {name}: HTTP {response.status}")
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return Run(len(latencies), elapsed, latencies)


# -- databricks-sdk (threads) ----------------------------------------------------------


def sdk_run(url: str, names: list[str], kind: str, total: int, clients: int, time_limit: float) -> Run:
    from databricks.sdk.service.serving import ChatMessage, ChatMessageRole, DataframeSplitInput

    w = client(url)
    deadline = time.perf_counter() + time_limit

    def call(i: int) -> float | None:
        if time.perf_counter() > deadline:
            return None
        name = names[i % len(names)]
        started = time.perf_counter()
        if kind == "get":
            w.serving_endpoints.get(name)
        elif i % len(names) % 2:
            w.serving_endpoints.query(
                name, messages=[ChatMessage(role=ChatMessageRole.USER, content="Is the endpoint ready?")], max_tokens=16
            )
        else:
            w.serving_endpoints.query(
                name, dataframe_split=DataframeSplitInput(columns=["a", "b", "c"], data=[[1.0, 2.0, 3.0]])
            )
        return time.perf_counter() - started

    with ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        latencies = [t for t in pool.map(call, range(total)) if t is not None]
        elapsed = time.perf_counter() - started
    return Run(len(latencies), elapsed, latencies)


def measure(label: str, runner: Callable[[], Run], runs: int) -> dict:
    results = [runner() for _ in range(runs)]
    rates = [r.rate for r in results]
    p50 = statistics.median(statistics.median(r.latencies) for r in results) * 1000
    p99 = statistics.median(sorted(r.latencies)[int(len(r.latencies) * 0.99) - 1] for r in results) * 1000
    rate = statistics.median(rates)
    checker_ms = 100 * CHECKER_CALLS_PER_ENDPOINT / rate * 1000
    print(
        f"{label:<22} {rate:>9.0f} {min(rates):>9.0f} {max(rates):>9.0f} {p50:>8.1f} {p99:>8.1f} {checker_ms:>13.0f}",
        flush=True,
    )
    return {"label": label, "median_rps": rate, "p50_ms": p50, "p99_ms": p99, "checker_100_ms": checker_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000, help="requests per run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--endpoints", type=int, default=100)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per run at most")
    parser.add_argument("--quick", action="store_true", help="3 runs x 300 requests")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.requests = 3, 300

    process, url = start_emulator()
    try:
        started = time.perf_counter()
        names = populate(url, args.endpoints)
        print(
            f"emulator at {url}: {len(names)} READY endpoints in {time.perf_counter() - started:.2f}s; "
            f"{args.clients} clients, {args.runs} runs x {args.requests} requests (median shown)"
        )
        print(f"{'':<22} {'req/s':>9} {'min':>9} {'max':>9} {'p50 ms':>8} {'p99 ms':>8} {'checker@100 ms':>13}")
        for kind in ("get", "query"):
            measure(
                f"raw aiohttp {kind}",
                lambda kind=kind: asyncio.run(raw_run(url, names, kind, args.requests, args.clients, args.time_limit)),
                args.runs,
            )
        for kind in ("get", "query"):
            measure(
                f"databricks-sdk {kind}",
                lambda kind=kind: sdk_run(url, names, kind, args.requests, args.clients, args.time_limit),
                args.runs,
            )
    finally:
        stop_emulator(process)


if __name__ == "__main__":
    main()
