"""Benchmark: `servingstack check` against the serial way of checking a fleet.

50 chat endpoints of 2 served entities each (a 90/10 split) are created in the emulator,
endpoint i becoming ready `stagger * (i + 1)` seconds after its create call (in declaration
order by default). Two approaches check a fresh fleet each, in the same run, one after the
other (their order alternates between runs):

- checker: `run_check(stack_dir, ...)` (readiness, drift, permissions, one smoke query per
           endpoint and one per served entity on its own route);
- serial:  for each endpoint, the SDK's `wait_get_serving_endpoint_not_updating(name)`, then
           `serving_endpoints.query(name, messages=..., max_tokens=16)`, then the same query to
           each served entity (`/served-models/{entity}/invocations`).

Reported per approach: the median wall time from the end of the creates until all endpoints
are checked, the median time after the last endpoint became ready, and the median number of
API calls (the emulator's request counter, which counts every HTTP request it receives).

    .venv/bin/python bench/check_bench.py                 # 50 endpoints, stagger 0.1 s, 5 runs
    .venv/bin/python bench/check_bench.py --order shuffled --runs 3
    .venv/bin/python bench/check_bench.py --query-latency 0.2   # a model that takes 200 ms to answer
    .venv/bin/python bench/check_bench.py --entities 1          # one entity per endpoint (the old fleet)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from databricks.sdk.service.serving import ChatMessage, ChatMessageRole, EndpointCoreConfigInput

from servingstack.check import run_check
from servingstack.emulator import Emulator

TOKEN = "bench-token"
MODEL = "system.ai.meta_llama_3_3_70b_instruct"


ENTITIES = 2


def entity_names() -> list[str]:
    return [f"llm-{i}" for i in range(ENTITIES)]


def entity(name: str) -> dict:
    return {"name": name, "entity_name": MODEL, "entity_version": "1"}


def routes() -> list[dict]:
    """90/10 for two entities; the first takes what an even split leaves over."""
    names = entity_names()
    shares = [90, 10] if len(names) == 2 else [100 // len(names)] * len(names)
    shares[0] += 100 - sum(shares)
    return [{"served_model_name": n, "traffic_percentage": p} for n, p in zip(names, shares)]


def config() -> dict:
    return {"served_entities": [entity(n) for n in entity_names()], "traffic_config": {"routes": routes()}}


def write_stack(root: Path, names: list[str]) -> Path:
    resources = {
        f"e{i}": {"name": name, "config": config(), "//": {"servingstack": {"task": "llm/v1/chat"}}}
        for i, name in enumerate(names)
    }
    directory = root / "cdktf.out" / "stacks" / names[0].rsplit("-", 1)[0]
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(json.dumps({"resource": {"databricks_model_serving": resources}}))
    return directory


def create_fleet(emu: Emulator, names: list[str], delays: list[float]) -> float:
    """Create the endpoints; return the monotonic time the last one becomes ready."""
    client = emu.client(retry_timeout_seconds=10)
    last_ready = 0.0
    for name, delay in zip(names, delays):
        emu.set_deploy_seconds(delay, endpoint=name)
        client.serving_endpoints.create(name=name, config=EndpointCoreConfigInput.from_dict({"name": name, **config()}))
        last_ready = max(last_ready, time.monotonic() + delay)
    return last_ready


def check_with_checker(emu: Emulator, stack_dir: Path) -> None:
    report = run_check(stack_dir, host=emu.url, token=TOKEN, timeout=120, progress="none")
    if report.exit_code != 0:
        raise SystemExit(f"checker failed: {json.dumps(report.to_dict())[:2000]}")


def check_serially(emu: Emulator, names: list[str]) -> None:
    client = emu.client()
    for name in names:
        client.serving_endpoints.wait_get_serving_endpoint_not_updating(name)
        answer = client.serving_endpoints.query(
            name,
            messages=[ChatMessage(role=ChatMessageRole.USER, content="Reply with one word: ready?")],
            max_tokens=16,
        )
        if not answer.choices:
            raise SystemExit(f"serial: no answer from {name}")
        for served in entity_names():
            reply = client.api_client.do(
                "POST",
                f"/serving-endpoints/{name}/served-models/{served}/invocations",
                body={"messages": [{"role": "user", "content": "Reply with one word: ready?"}], "max_tokens": 16},
            )
            if not reply.get("choices"):
                raise SystemExit(f"serial: no answer from {name}/{served}")


def delays_for(count: int, stagger: float, order: str, rng: random.Random) -> list[float]:
    delays = [stagger * (i + 1) for i in range(count)]
    if order == "reversed":
        delays.reverse()
    elif order == "shuffled":
        rng.shuffle(delays)
    return delays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--entities", type=int, default=2, help="served entities per endpoint (2: a 90/10 split)")
    parser.add_argument("--stagger", type=float, default=0.1, help="seconds between endpoints becoming ready")
    parser.add_argument(
        "--order",
        choices=("declared", "reversed", "shuffled"),
        default="declared",
        help="the order in which endpoints become ready, relative to the stack",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--query-latency",
        type=float,
        default=0.0,
        help="seconds the emulated model takes to answer each query (default: instant)",
    )
    args = parser.parse_args(argv)
    global ENTITIES
    ENTITIES = args.entities
    rng = random.Random(0)
    results: dict[str, dict[str, list[float]]] = {
        a: {"wall": [], "after_last_ready": [], "calls": []} for a in ("checker", "serial")
    }
    with Emulator(token=TOKEN, seed=0) as emu, tempfile.TemporaryDirectory() as tmp:
        if args.query_latency:
            emu.slow(args.query_latency, scope="query")
        for run in range(args.runs):
            approaches = ["checker", "serial"] if run % 2 == 0 else ["serial", "checker"]
            for approach in approaches:
                names = [f"r{run}-{approach}-{i:03d}" for i in range(args.endpoints)]
                stack_dir = write_stack(Path(tmp) / f"{run}-{approach}", names)
                last_ready = create_fleet(emu, names, delays_for(args.endpoints, args.stagger, args.order, rng))
                emu.reset_request_count()
                started = time.monotonic()
                if approach == "checker":
                    check_with_checker(emu, stack_dir)
                else:
                    check_serially(emu, names)
                finished = time.monotonic()
                results[approach]["wall"].append(finished - started)
                results[approach]["after_last_ready"].append(finished - last_ready)
                results[approach]["calls"].append(emu.request_count())
                print(
                    f"run {run + 1}/{args.runs} {approach:<7} {finished - started:6.2f} s, "
                    f"{finished - last_ready:5.2f} s after the last ready, {emu.request_count():4d} API calls",
                    file=sys.stderr,
                )
    medians = {a: {k: statistics.median(v) for k, v in r.items()} for a, r in results.items()}
    latency = f", queries answered in {args.query_latency:g} s" if args.query_latency else ""
    print(
        f"\n{args.endpoints} endpoints x {args.entities} served entities, ready {args.stagger:g} s apart "
        f"({args.order} order){latency}, median of {args.runs} runs"
    )
    print("| approach | wall time (s) | after last ready (s) | API calls |")
    print("|---|---|---|---|")
    for approach in ("checker", "serial"):
        m = medians[approach]
        print(f"| {approach} | {m['wall']:.2f} | {m['after_last_ready']:.2f} | {m['calls']:.0f} |")
    ratio = medians["checker"]["wall"] / medians["serial"]["wall"]
    print(f"\nchecker / serial wall time: {ratio:.2f}")
    worst = max(results["checker"]["after_last_ready"])
    print(
        f"checker done after the last ready: {min(results['checker']['after_last_ready']):.2f} to {worst:.2f} s "
        f"over all runs ({'within' if worst <= 2.0 else 'NOT within'} 2 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
