#!/usr/bin/env python
"""Fleet-scale synth: servingstack against the raw provider bindings.

The same fleet of N endpoints (two served entities with a 90/10 split, an AI gateway
with rate limits and usage tracking, tags, one permissions resource each) is built and
synthesized once with servingstack and once with the raw provider classes of the active engine
(`cdktf_cdktf_provider_databricks` on cdktf, `cdktn_provider_databricks` on CDK Terrain), each as
a whole process (start-up included), alternating A/B, several runs. Both run on the same engine
and the same Node (the project's, as servingstack picks them: SERVINGSTACK_CDK_ENGINE, JSII_NODE).
Reports the median wall time, the median CPU time (user + system of the process and the
children it waited for, its Node jsii kernel included: steadier than wall time on a shared
machine), the median peak memory of the process tree (Python and its Node jsii kernel) and
the servingstack/raw ratios, and checks that both synthesize the same resources.

    .venv/bin/python bench/synth.py [--sizes 1,10,100,500,1000] [--runs 5] [--json FILE]
    make bench ENGINE=cdktn      # the same on CDK Terrain (.venv-cdktn)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPLEMENTATIONS = ("servingstack", "raw")


# ---- the two fleets (run in a child process) ------------------------------------------------


def build_servingstack(app: object, n: int) -> None:
    from servingstack import AiGateway, CustomModel, RateLimit, ServingEndpoint, ServingStack, canary

    stack = ServingStack(app, "fleet", name_prefix="bench-", default_tags={"owner": "ml-platform"}, outputs=False)
    for i in range(n):
        endpoint = ServingEndpoint(
            stack,
            f"ep{i}",
            name=f"model-{i}",
            served_entities=[CustomModel("ml.fleet.model", 1, name="v1"), CustomModel("ml.fleet.model", 2, name="v2")],
            traffic=canary("v1", "v2", 10),
            ai_gateway=AiGateway(rate_limits=[RateLimit(calls=100)], usage_tracking=True),
            tags={"team": f"team-{i % 10}"},
        )
        endpoint.grant_query(group="data-scientists")
        endpoint.grant_manage(group="ml-platform")


def build_raw(app: object, n: int) -> None:
    # What a user of the raw bindings writes: `from <provider package>.model_serving import ...`.
    core, provider = _engine_modules()
    TerraformStack = importlib.import_module(core).TerraformStack
    ms = importlib.import_module(f"{provider}.model_serving")
    perms = importlib.import_module(f"{provider}.permissions")
    DatabricksProvider = importlib.import_module(f"{provider}.provider").DatabricksProvider
    ModelServing, ModelServingAiGateway = ms.ModelServing, ms.ModelServingAiGateway
    ModelServingAiGatewayRateLimits = ms.ModelServingAiGatewayRateLimits
    ModelServingAiGatewayUsageTrackingConfig = ms.ModelServingAiGatewayUsageTrackingConfig
    ModelServingConfigA, ModelServingConfigServedEntities = ms.ModelServingConfigA, ms.ModelServingConfigServedEntities
    ModelServingConfigTrafficConfig = ms.ModelServingConfigTrafficConfig
    ModelServingConfigTrafficConfigRoutes, ModelServingTags = (
        ms.ModelServingConfigTrafficConfigRoutes,
        ms.ModelServingTags,
    )
    Permissions, PermissionsAccessControl = perms.Permissions, perms.PermissionsAccessControl

    stack = TerraformStack(app, "fleet")
    DatabricksProvider(stack, "databricks")
    for i in range(n):
        endpoint = ModelServing(
            stack,
            f"ep{i}",
            name=f"bench-model-{i}",
            config=ModelServingConfigA(
                served_entities=[
                    ModelServingConfigServedEntities(
                        name="v1", entity_name="ml.fleet.model", entity_version="1", workload_size="Small"
                    ),
                    ModelServingConfigServedEntities(
                        name="v2", entity_name="ml.fleet.model", entity_version="2", workload_size="Small"
                    ),
                ],
                traffic_config=ModelServingConfigTrafficConfig(
                    routes=[
                        ModelServingConfigTrafficConfigRoutes(served_model_name="v1", traffic_percentage=90),
                        ModelServingConfigTrafficConfigRoutes(served_model_name="v2", traffic_percentage=10),
                    ]
                ),
            ),
            ai_gateway=ModelServingAiGateway(
                rate_limits=[ModelServingAiGatewayRateLimits(calls=100, key="endpoint", renewal_period="minute")],
                usage_tracking_config=ModelServingAiGatewayUsageTrackingConfig(enabled=True),
            ),
            tags=[
                ModelServingTags(key="owner", value="ml-platform"),
                ModelServingTags(key="team", value=f"team-{i % 10}"),
            ],
        )
        Permissions(
            stack,
            f"ep{i}_permissions",
            serving_endpoint_id=endpoint.serving_endpoint_id,
            access_control=[
                PermissionsAccessControl(group_name="data-scientists", permission_level="CAN_QUERY"),
                PermissionsAccessControl(group_name="ml-platform", permission_level="CAN_MANAGE"),
            ],
        )


ENGINE_MODULES = {
    "cdktf": ("cdktf", "cdktf_cdktf_provider_databricks"),
    "cdktn": ("cdktn", "cdktn_provider_databricks"),
}


def _engine_modules() -> tuple[str, str]:
    return ENGINE_MODULES[os.environ["SERVINGSTACK_CDK_ENGINE"]]


def child(implementation: str, n: int, outdir: str) -> None:
    App = importlib.import_module(_engine_modules()[0]).App
    app = App(outdir=outdir)
    (build_servingstack if implementation == "servingstack" else build_raw)(app, n)
    app.synth()


# ---- measuring (parent process) -------------------------------------------------------------


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(c) for c in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def run_once(implementation: str, n: int, outdir: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak tree memory (MiB) of one whole synth process."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", implementation, str(n), outdir])
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{implementation} synth of {n} endpoints failed with exit code {code}")
    return elapsed, cpu, peak // 1024


def resources(outdir: str) -> dict[str, object]:
    """The resources of a synthesized fleet, keyed so both implementations compare:
    endpoints by name, permissions by the name of the endpoint they reference."""
    doc = json.loads((Path(outdir) / "stacks" / "fleet" / "cdk.tf.json").read_text())
    serving = doc["resource"]["databricks_model_serving"]
    names = {logical: body["name"] for logical, body in serving.items()}
    strip = lambda body: {k: v for k, v in body.items() if k != "//"}  # noqa: E731
    found: dict[str, object] = {f"serving:{b['name']}": strip(b) for b in serving.values()}
    for body in doc["resource"]["databricks_permissions"].values():
        logical = body["serving_endpoint_id"].split(".")[1]
        found[f"permissions:{names[logical]}"] = {**strip(body), "serving_endpoint_id": names[logical]}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,100,500,1000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    # The engine and Node servingstack would pick, handed to both children alike.
    from servingstack.cdk import engine as _cdk

    os.environ["SERVINGSTACK_CDK_ENGINE"] = _cdk.ENGINE.name
    if os.environ.get("JSII_NODE"):
        node = subprocess.run([os.environ["JSII_NODE"], "--version"], capture_output=True, text=True).stdout.strip()
    else:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"engine {_cdk.ENGINE.name} (provider {_cdk.ENGINE.provider_version}), Node {node}, Python "
        f"{sys.version.split()[0]}; {args.runs} runs per size, alternating servingstack/raw; medians of whole "
        "processes",
        flush=True,
    )
    print(
        "| endpoints | servingstack s | raw s | time ratio | servingstack CPU s | raw CPU s | CPU ratio | "
        "servingstack MiB | raw MiB | memory ratio | CPU ms per endpoint (servingstack, raw) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for n in sizes:
            times: dict[str, list[float]] = {i: [] for i in IMPLEMENTATIONS}
            cpus: dict[str, list[float]] = {i: [] for i in IMPLEMENTATIONS}
            memory: dict[str, list[int]] = {i: [] for i in IMPLEMENTATIONS}
            for run in range(args.runs):
                order = IMPLEMENTATIONS if run % 2 == 0 else IMPLEMENTATIONS[::-1]
                for implementation in order:
                    outdir = os.path.join(scratch, f"{implementation}-{n}-{run}")
                    elapsed, cpu, peak = run_once(implementation, n, outdir)
                    times[implementation].append(elapsed)
                    cpus[implementation].append(cpu)
                    memory[implementation].append(peak)
                if run == 0 and resources(os.path.join(scratch, f"servingstack-{n}-0")) != resources(
                    os.path.join(scratch, f"raw-{n}-0")
                ):
                    raise SystemExit(f"servingstack and raw synthesized different resources for {n} endpoints")
            row = {
                "endpoints": n,
                **{f"{i}_seconds": statistics.median(times[i]) for i in IMPLEMENTATIONS},
                **{f"{i}_cpu_seconds": statistics.median(cpus[i]) for i in IMPLEMENTATIONS},
                **{f"{i}_mib": statistics.median(memory[i]) for i in IMPLEMENTATIONS},
            }
            row["time_ratio"] = row["servingstack_seconds"] / row["raw_seconds"]
            row["cpu_ratio"] = row["servingstack_cpu_seconds"] / row["raw_cpu_seconds"]
            row["memory_ratio"] = row["servingstack_mib"] / row["raw_mib"]
            results.append(row)
            # Per endpoint: the CPU slope from the first size; the first size has none to show.
            slopes = (
                [
                    (row[f"{i}_cpu_seconds"] - results[0][f"{i}_cpu_seconds"]) / (n - sizes[0]) * 1000
                    for i in IMPLEMENTATIONS
                ]
                if n > sizes[0]
                else []
            )
            per_endpoint = ", ".join(f"{s:.1f}" for s in slopes) or "-"
            print(
                f"| {n} | {row['servingstack_seconds']:.2f} | {row['raw_seconds']:.2f} | {row['time_ratio']:.2f} | "
                f"{row['servingstack_cpu_seconds']:.2f} | {row['raw_cpu_seconds']:.2f} | {row['cpu_ratio']:.2f} | "
                f"{row['servingstack_mib']:.0f} | {row['raw_mib']:.0f} | {row['memory_ratio']:.2f} | "
                f"{per_endpoint} |",
                flush=True,
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
