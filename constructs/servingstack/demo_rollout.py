"""`make demo-rollout`: two progressive rollouts on the local emulator, one that completes and one that
rolls back by itself.

1. synthesize `examples/rollout.py` (two endpoints, each with a declared `Rollout`) into
   cdktf.out/rollout-demo,
2. start the emulator (config updates take 1 s, metrics windows of 1 s) and apply the stack to it,
3. simulated callers send each endpoint 500 queries a second; the recommender's candidate `v8` is
   degraded: from 25% of the traffic on, 30% of its queries fail and every one is 250 ms slower
   (`servingstack emulator fault degrade demo-recommender v8 --error-rate 0.3 --seconds 0.25
   --from-percent 25`), while at 0% and 5% it answers well,
4. `servingstack rollout` on demo-fraud-scoring: proven at 10%, 50%, 100% (exit 0),
5. `servingstack rollout` on demo-recommender: proven at 5%, its gates fail at 25%, rolled back to
   `v7` 100% by itself (exit 1),
6. the reports (JSON, JUnit, Markdown with the pictures) are under reports/; the rollback's Markdown
   summary is printed. The exit code is 0 when the first completed and the second rolled back.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from servingstack.deploy.apply import apply_stack
from servingstack.emulator import TOKEN_ENV, Emulator
from servingstack.facts.stackfile import load_stack

HEALTHY = "demo-fraud-scoring"
DEGRADED = ("demo-recommender", "v8")
WINDOW_SECONDS = 1.0


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servingstack.demo_rollout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="examples/rollout.py", help="the app to synthesize")
    parser.add_argument("--outdir", default="cdktf.out/rollout-demo", help="where to synthesize it")
    parser.add_argument("--reports", default="reports", help="where the rollouts write their reports")
    args = parser.parse_args(argv)

    _step(f"synthesize {args.app} into {args.outdir}")
    if subprocess.run([sys.executable, args.app], env={**os.environ, "CDKTF_OUTDIR": args.outdir}).returncode != 0:
        return 1
    stack_dir = Path(args.outdir) / "stacks" / "canary"
    stack = load_stack(stack_dir)
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    reports = Path(args.reports)
    with Emulator(
        token=token, deploy_seconds=1.0, update_seconds=1.0, seed=11, metrics_window_seconds=WINDOW_SECONDS
    ) as emulator:
        _step(f"local workspace emulator on {emulator.url}: config updates take 1 s, metrics windows 1 s")
        _step(f"apply {stack_dir} (servingstack emulator apply --stack {stack_dir} --host {emulator.url})")
        if apply_stack(stack, emulator.client(retry_timeout_seconds=30)).failed:
            return 1
        endpoint, entity = DEGRADED
        for declared in stack.endpoints:
            emulator.simulate_traffic(declared.name, 500)
        emulator.degrade(endpoint, entity, error_rate=0.3, seconds=0.25, from_percent=25)
        _step(
            f"simulated callers: 500 queries/s on each endpoint (servingstack emulator traffic NAME 500); {entity} of "
            f"{endpoint} degraded from 25% of the traffic on (servingstack emulator fault degrade {endpoint} "
            f"{entity} --error-rate 0.3 --seconds 0.25 --from-percent 25)"
        )
        time.sleep(2 * WINDOW_SECONDS)  # a window of the stable entities alone: the metrics' baseline
        env = {**os.environ, "DATABRICKS_HOST": emulator.url, "DATABRICKS_TOKEN": token}
        env["DATABRICKS_CONFIG_FILE"] = os.devnull
        for variable in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE"):
            env.pop(variable, None)
        codes = {}
        for name in (HEALTHY, endpoint):
            short = name.removeprefix("demo-")
            files = {kind: reports / f"rollout-{short}.{kind}" for kind in ("json", "xml", "md")}
            command = ["rollout", "--stack", str(stack_dir), "--endpoint", name, "--json", str(files["json"])]
            command += ["--junit", str(files["xml"]), "--summary", str(files["md"])]
            _step("DATABRICKS_HOST=... DATABRICKS_TOKEN=... servingstack " + " ".join(command))
            codes[name] = subprocess.run([sys.executable, "-m", "servingstack.cli", *command], env=env).returncode
            print(f"\nexit {codes[name]}; reports: {', '.join(str(f) for f in files.values())}", flush=True)
    _step(f"the rollback, as the Markdown summary draws it ({reports / 'rollout-recommender.md'})")
    summary = reports / "rollout-recommender.md"
    if summary.is_file():
        print(summary.read_text(), flush=True)
    completed, rolled_back = codes.get(HEALTHY) == 0, codes.get(endpoint) == 1
    print(
        f"{HEALTHY}: {'completed' if completed else 'DID NOT COMPLETE'}; "
        f"{endpoint}: {'rolled back by itself' if rolled_back else 'WAS NOT ROLLED BACK'}"
    )
    _step("emulator stopped")
    return 0 if completed and rolled_back else 1


if __name__ == "__main__":
    sys.exit(main())
