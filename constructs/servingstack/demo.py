"""`make demo`: the whole path, offline, on the local emulator.

1. synthesize the example app (`python main.py`) into cdktf.out,
2. start the emulator on a free port of 127.0.0.1 with a fresh token,
3. apply the `dev` stack to it (`servingstack emulator apply`): its endpoints, their grants and
   the support-bot app that queries two of them,
4. run the post-deploy checker on it (`servingstack check`) while the endpoints and the app come
   up, writing JSON, JUnit XML and Markdown reports under reports/: every served entity is
   queried directly, the declared expectations (an evaluation gate) run on each, and the app is
   checked running, as declared, its service principal granted the endpoints it queries,
5. break the canary of the fraud endpoint (an emulator fault on that one entity) and show the
   checker catching it (exit 1, naming the entity),
6. stop the emulator. The exit code is the first check's, or 1 if the broken canary went unseen.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from servingstack.deploy.apply import apply_stack
from servingstack.emulator import TOKEN_ENV, Emulator
from servingstack.facts.stackfile import load_stack


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def wrote(outdir: str) -> str:
    """Which stacks a synthesis wrote, and where: `wrote stacks dev, prod: cdktf.out/stacks/dev/...`."""
    files = sorted(Path(outdir).glob("stacks/*/cdk.tf.json"))
    if not files:
        return f"wrote no stack into {outdir}"
    return f"wrote stacks {', '.join(p.parent.name for p in files)}: {', '.join(str(p) for p in files)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servingstack.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="main.py", help="the CDKTF app to synthesize (default: main.py)")
    parser.add_argument("--stack", default="dev", help="the stack to deploy and check (default: dev)")
    parser.add_argument("--reports", default="reports", help="where the checker writes its reports")
    args = parser.parse_args(argv)

    _step(f"synthesize {args.app}")
    if subprocess.run([sys.executable, args.app]).returncode != 0:
        return 1
    stack_dir = Path("cdktf.out") / "stacks" / args.stack
    print(wrote("cdktf.out"))
    if not (stack_dir / "cdk.tf.json").is_file():
        print(f"error: {args.app} wrote no stack {args.stack!r} (--stack)", file=sys.stderr)
        return 1

    stack = load_stack(stack_dir)
    # A fresh token per run, unless the environment names one (the emulator's own variable).
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    # Endpoints come up at staggered times, as in a real workspace, so the checker has work to do.
    with Emulator(token=token, deploy_seconds=1.0, seed=7) as emulator:
        for index, declared in enumerate(stack.endpoints):
            emulator.set_deploy_seconds(1.0 + 0.75 * index, endpoint=declared.name)
        _step(f"local workspace emulator listening on {emulator.url}")

        _step(f"apply {stack_dir} (servingstack emulator apply --stack {stack_dir} --host {emulator.url} --no-wait)")
        result = apply_stack(stack, emulator.client(retry_timeout_seconds=30), wait=False)
        if result.failed:
            return 1

        reports = Path(args.reports)
        reports.mkdir(parents=True, exist_ok=True)
        command = [
            "check",
            "--stack",
            str(stack_dir),
            "--timeout",
            "120",
            "--json",
            str(reports / "check.json"),
            "--junit",
            str(reports / "junit.xml"),
            "--summary",
            str(reports / "summary.md"),
        ]
        _step("check (DATABRICKS_HOST=... DATABRICKS_TOKEN=... servingstack " + " ".join(command) + ")")
        env = {
            **os.environ,
            "DATABRICKS_HOST": emulator.url,
            "DATABRICKS_TOKEN": token,
            "DATABRICKS_CONFIG_FILE": os.devnull,
        }
        for variable in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE"):
            env.pop(variable, None)
        code = subprocess.run([sys.executable, "-m", "servingstack.cli", *command], env=env).returncode
        print(f"\nreports: {', '.join(str(reports / name) for name in ('check.json', 'junit.xml', 'summary.md'))}")

        canary = _canary(stack)
        if canary is not None:
            endpoint, entity = canary
            _step(f"break the canary (servingstack emulator fault broken-entity {endpoint} {entity}) and check again")
            emulator.break_entity(endpoint, entity)
            again = ["check", "--stack", str(stack_dir), "--endpoint", endpoint, "--timeout", "3"]
            caught = subprocess.run([sys.executable, "-m", "servingstack.cli", *again], env=env).returncode
            print(f"\nthe checker {'caught' if caught == 1 else 'MISSED'} the broken canary {entity} (exit {caught})")
            if caught != 1:
                code = code or 1
    _step("emulator stopped")
    return code


def _canary(stack) -> tuple[str, str] | None:
    """The first endpoint with a traffic split and its smallest non-zero share: the canary."""
    for endpoint in stack.endpoints:
        routes = ((endpoint.request.get("config") or {}).get("traffic_config") or {}).get("routes") or []
        live = [r for r in routes if r.get("traffic_percentage")]
        if len(live) > 1:
            smallest = min(live, key=lambda r: r["traffic_percentage"])
            return endpoint.name, smallest.get("served_model_name") or smallest.get("served_entity_name")
    return None


if __name__ == "__main__":
    sys.exit(main())
