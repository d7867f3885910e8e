#!/usr/bin/env python
"""Synth of an imported program against the same stack written by hand.

An in-process emulator holds N endpoints (two custom-model versions at 90/10, an AI gateway with a
rate limit and usage tracking, a tag, two grants each: bench/import_bench.py's fleet);
`servingstack import` reads them and writes its program (`--environment prod`, with import
blocks, as a user runs it). The hand-written program declares the same stack as a person would:
a loop over the endpoints. Each program is synthesized as a whole process (`python <program>`,
start-up and the Node jsii kernel included), alternating hand/imported, several runs; the
medians of wall and CPU time (user + system of the process and the children it waited for) and
their ratios, imported / hand. Before timing, both programs must synthesize the same endpoints
and permissions (the imported one adds its import blocks).

    .venv/bin/python bench/import_synth.py [--sizes 100,200] [--runs 5] [--no-import-blocks]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from import_bench import TOKEN, make_fleet
from servingstack.client.auth import Connection, make_client
from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline
from servingstack.emulator import Emulator
from servingstack.importer import live as live_module
from servingstack.importer.program import build_program

HAND_WRITTEN = """\
import sys

from servingstack import AiGateway, CustomModel, RateLimit, ServingEndpoint, ServingStack, synthesize


def build(app: object) -> None:
    stack = ServingStack(app, "imported", environment="prod", default_tags={{"owner": "ml-platform"}})
    for index in range({n}):
        name = f"scorer-{{index:04d}}"
        endpoint = ServingEndpoint(
            stack,
            name,
            name=name,
            served_entities=[
                CustomModel("ml.fraud.scorer", 1, name="v1"),
                CustomModel("ml.fraud.scorer", 2, name="v2"),
            ],
            traffic={{"v1": 90, "v2": 10}},
            ai_gateway=AiGateway(rate_limits=[RateLimit(calls=100)], usage_tracking=True),
        )
        endpoint.grant_query(group="ds")
        endpoint.grant_manage(group="ml")


if __name__ == "__main__":
    sys.exit(synthesize(build))
"""


def write_programs(n: int, folder: Path, import_blocks: bool) -> dict[str, Path]:
    """The imported program (read from an emulator holding the fleet) and the hand-written one."""
    with Emulator(token=TOKEN, deploy_seconds=0, seed=0) as emu:
        make_fleet(emu, n)
        time.sleep(0.3)  # every deployment done: the importer reads READY endpoints
        client = make_client(Connection(host=emu.url, token=TOKEN), 300, Redactor())
        endpoints = live_module.read_endpoints(client, None, Deadline(300), Redactor())
    programs = {"hand": folder / f"hand_{n}.py", "imported": folder / f"imported_{n}.py"}
    programs["hand"].write_text(HAND_WRITTEN.format(n=n))
    programs["imported"].write_text(build_program(endpoints, environment="prod", import_blocks=import_blocks).source)
    return programs


def run_once(program: Path, outdir: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole `python <program>` synth."""
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(program)], cwd=program.parent, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{program.name} failed to synthesize (exit code {process.returncode})")
    return elapsed, usage.ru_utime + usage.ru_stime


def resources(outdir: Path) -> dict[str, object]:
    """Endpoints by name and permissions by the name of their endpoint, Terraform metadata aside."""
    document = json.loads((outdir / "stacks" / "imported" / "cdk.tf.json").read_text())
    serving = document["resource"]["databricks_model_serving"]
    names = {logical: body["name"] for logical, body in serving.items()}
    found: dict[str, object] = {
        f"serving:{b['name']}": {k: v for k, v in b.items() if k != "//"} for b in serving.values()
    }
    for body in document["resource"]["databricks_permissions"].values():
        endpoint = names[body["serving_endpoint_id"].split(".")[1]]
        found[f"permissions:{endpoint}"] = body["access_control"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,200")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-import-blocks", action="store_true", help="import without import blocks")
    args = parser.parse_args()
    from servingstack.cdk import engine as _cdk

    print(
        f"engine {_cdk.ENGINE.name}, Python {sys.version.split()[0]}; {args.runs} runs per size, alternating "
        f"hand/imported; medians of whole processes; import blocks: {not args.no_import_blocks}",
        flush=True,
    )
    print("| endpoints | hand s | imported s | time ratio | hand CPU s | imported CPU s | CPU ratio | import blocks |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for n in (int(s) for s in args.sizes.split(",")):
            programs = write_programs(n, Path(scratch), not args.no_import_blocks)
            wall: dict[str, list[float]] = {kind: [] for kind in programs}
            cpu: dict[str, list[float]] = {kind: [] for kind in programs}
            for run in range(args.runs):
                order = ["hand", "imported"] if run % 2 == 0 else ["imported", "hand"]
                for kind in order:
                    outdir = Path(scratch) / f"{kind}-{n}-{run}"
                    seconds, cpu_seconds = run_once(programs[kind], outdir)
                    wall[kind].append(seconds)
                    cpu[kind].append(cpu_seconds)
                if run == 0:
                    hand, imported = (resources(Path(scratch) / f"{kind}-{n}-0") for kind in ("hand", "imported"))
                    if hand != imported:
                        raise SystemExit(f"the two programs synthesize different resources for {n} endpoints")
                    document = json.loads((Path(scratch) / f"imported-{n}-0/stacks/imported/cdk.tf.json").read_text())
                    blocks = len(document.get("import") or [])
            medians = {
                f"{kind}_{what}": statistics.median(values[kind])
                for kind in programs
                for what, values in (("wall", wall), ("cpu", cpu))
            }
            print(
                f"| {n} | {medians['hand_wall']:.2f} | {medians['imported_wall']:.2f} | "
                f"{medians['imported_wall'] / medians['hand_wall']:.2f} | {medians['hand_cpu']:.2f} | "
                f"{medians['imported_cpu']:.2f} | {medians['imported_cpu'] / medians['hand_cpu']:.2f} | {blocks} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
