"""`make demo-plan`: `servingstack plan` finds, before the apply, what a change would do and what
would fail, offline, on the local emulator.

1. synthesize two versions of a small stack (`build_before`, `build_after`) into cdktf.out/plan-demo/,
2. start the emulator, seed its identities, Unity Catalog models and secrets
   (as `servingstack emulator seed` does), and apply the first version, keeping a state file as
   `servingstack emulator apply` does,
3. change the workspace by hand as people do: a grant the stack does not declare,
4. plan the second version (`servingstack plan --stack ... --state ... --json ... --summary ...`): a
   traffic shift, a new model version, a grant taken away, a replacement, a field Terraform never
   sends, and three preflight failures (a model version not registered, a missing secret, an unknown
   group), then print the Markdown summary with its picture,
5. stop the emulator. Exit 0 when the plan found each of them (and so exited 1), else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

from servingstack import (
    AiGateway,
    CustomModel,
    ExternalModel,
    OpenAI,
    RateLimit,
    SecretScope,
    ServingEndpoint,
    ServingStack,
    canary,
    synthesize,
)
from servingstack.deploy.apply import apply_stack
from servingstack.deploy.state import ApplyState
from servingstack.emulator import TOKEN_ENV, Emulator
from servingstack.facts.stackfile import load_stack

OUTDIR = Path("cdktf.out") / "plan-demo"
# What the workspace holds before the apply: the stack's groups, its models' registered versions and
# its key. Not there: version 2 of the ranker, the key `openai-2025`, the group `fraud-analysts`.
SEED = {
    "groups": ["data-scientists", "ml-platform", "interns"],
    "models": {"ml.fraud.scorer": [3, 4], "ml.search.ranker": [1], "ml.search.embedder": [2]},
    "secrets": {"llm-keys": ["openai"]},
}
# What the plan must find in the second version (finding codes of the JSON report).
EXPECTED = (
    "traffic_leaves",
    "grant_removed",
    "endpoint_replaced",
    "not_applied",
    "model_version_missing",
    "secret_missing",
    "principal_unknown",
)


def _stack(app, *, after: bool) -> None:
    stack = ServingStack(app, "demo", environment="demo", default_tags={"owner": "ml-platform"})
    keys = SecretScope.from_name(stack, "llm-keys", name="llm-keys", reason="the platform team keeps the keys")
    fraud = ServingEndpoint(
        stack,
        "fraud",
        name="fraud-scoring",
        served_entities=[CustomModel("ml.fraud.scorer", 3, name="v3"), CustomModel("ml.fraud.scorer", 4, name="v4")],
        # The traffic shift: the canary v4 goes from 10% to 50%.
        traffic=canary(stable="v3", candidate="v4", percent=50 if after else 10),
        ai_gateway=AiGateway(rate_limits=[RateLimit(calls=6000 if after else 600)], usage_tracking=True),
    )
    fraud.grant_query(group="data-scientists").grant_manage(group="ml-platform")
    if after:
        fraud.grant_view(group="fraud-analysts")  # a group the workspace does not have
    # A new version of the ranker as a 10% canary: version 2 is not registered yet.
    ranker_versions = [CustomModel("ml.search.ranker", 1, name="v1")]
    if after:
        ranker_versions.append(CustomModel("ml.search.ranker", 2, name="v2"))
    ServingEndpoint(
        stack,
        "ranker",
        name="ranker",
        served_entities=ranker_versions,
        traffic=canary(stable="v1", candidate="v2", percent=10) if after else None,
    )
    # A new description (which the provider never sends after create) and a key that was never put.
    ServingEndpoint(
        stack,
        "chat",
        name="support-chat",
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai-2025" if after else "openai")))],
        description="Support chat, GPT-4o" if after else "Support chat",
    )
    # route_optimized cannot be updated: the endpoint is replaced.
    ServingEndpoint(
        stack,
        "search",
        name="search",
        served_entities=[CustomModel("ml.search.embedder", 2, name="v2")],
        route_optimized=True if after else None,
    )


def build_before(app) -> None:
    _stack(app, after=False)


def build_after(app) -> None:
    _stack(app, after=True)


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servingstack.demo_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", default="reports", help="where the plan writes its reports")
    args = parser.parse_args(argv)

    _step(f"synthesize the stack before and after the change into {OUTDIR}/")
    for name, build in (("before", build_before), ("after", build_after)):
        if synthesize(build, OUTDIR / name) != 0:
            return 1
    before, after = OUTDIR / "before" / "stacks" / "demo", OUTDIR / "after" / "stacks" / "demo"
    state_path = OUTDIR / "state.json"
    state_path.unlink(missing_ok=True)

    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    with Emulator(token=token, deploy_seconds=0.5, seed=7) as emulator:
        _step(f"local workspace emulator listening on {emulator.url}")
        _step("seed it (servingstack emulator seed --group ... --model ... --secret ...): " + json.dumps(SEED))
        emulator.add_objects(SEED)

        _step(f"apply the first version (servingstack emulator apply --stack {before} --state {state_path})")
        client = emulator.client(retry_timeout_seconds=30)
        state = ApplyState(state_path, emulator.url)
        result = apply_stack(load_stack(before), client, wait=True, state=state)
        state.save()
        if result.failed:
            return 1

        _step("someone grants the group interns CAN_QUERY on demo-fraud-scoring by hand")
        client.serving_endpoints.update_permissions(
            client.serving_endpoints.get("demo-fraud-scoring").id or "",
            access_control_list=[
                ServingEndpointAccessControlRequest(
                    group_name="interns", permission_level=ServingEndpointPermissionLevel.CAN_QUERY
                )
            ],
        )

        reports = Path(args.reports)
        command = [
            "plan",
            "--stack",
            str(after),
            "--state",
            str(state_path),
            "--json",
            str(reports / "plan.json"),
            "--summary",
            str(reports / "plan.md"),
        ]
        _step(
            "plan the second version (DATABRICKS_HOST=... DATABRICKS_TOKEN=... servingstack " + " ".join(command) + ")"
        )
        env = {
            **os.environ,
            "DATABRICKS_HOST": emulator.url,
            "DATABRICKS_TOKEN": token,
            "DATABRICKS_CONFIG_FILE": os.devnull,
        }
        for variable in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE"):
            env.pop(variable, None)
        code = subprocess.run([sys.executable, "-m", "servingstack.cli", *command], env=env).returncode

    _step(f"the Markdown summary for the pull request ({reports / 'plan.md'})")
    summary = reports / "plan.md"
    print(summary.read_text() if summary.is_file() else "(not written)")
    found = {f["code"] for f in json.loads((reports / "plan.json").read_text())["findings"]} if code == 1 else set()
    missed = [expected for expected in EXPECTED if expected not in found]
    if code != 1 or missed:
        print(f"the plan MISSED: {', '.join(missed) or 'its problems'} (exit {code})", file=sys.stderr)
        return 1
    print(f"the plan found every problem before the apply (exit {code})")
    _step("emulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
