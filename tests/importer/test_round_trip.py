"""Round trips: endpoints made through the SDK -> `servingstack import` -> `python FILE.py`
-> `emulator apply` changes nothing and `check` finds no drift."""

from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from import_support import TOKEN, make_fleet, wait_all_ready
from servingstack.cli import main
from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack

REPO = Path(__file__).resolve().parents[2]


def run_import(emu, out: Path, *args: str):
    return CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN, *args])


def synthesize(program: Path, outdir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir)}
    return subprocess.run(
        [sys.executable, str(program)], cwd=program.parent, env=env, capture_output=True, text=True, timeout=240
    )


def test_a_fleet_made_through_the_sdk_survives_import_synth_apply_and_check(emu, w, tmp_path: Path) -> None:
    names = make_fleet(w)
    wait_all_ready(w, names)
    out = tmp_path / "adopted.py"

    result = run_import(emu, out, "--environment", "prod")

    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr  # everything live is declared
    source = out.read_text()
    py_compile.compile(str(out), cfile=str(tmp_path / "adopted.pyc"), doraise=True)
    # The typed classes, the grants, the references and the import blocks are all there.
    for expected in (
        'environment="prod"',
        "FoundationModel(",
        "ProvisionedThroughput(",
        "CustomModel(",
        'FeatureSpec("ml.features.user_spec", scale_to_zero=True, name="features")',
        'CustomModel("ads-model", 12',
        "RateLimit.default_per_user(calls=20)",
        "ExternalModel(",
        "AmazonBedrock(",
        "CustomProvider(",
        "Guardrail(",
        "InferenceTable(",
        'RateLimit.per_group("data-scientists", tokens=5000)',
        'secret("fraud", "fs-token")',
        'grant_query(service_principal="6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10")',
        'grant_view(user="ana@example.com")',
        ".adopt(",
        'traffic={"v3": 90, "v4": 10}',
    ):
        assert expected in source, expected
    assert "{{secrets/" not in source  # references are written as secret(scope, key)
    assert TOKEN not in source and TOKEN not in result.output
    # Values equal to the defaults are left out.
    assert "renewal_period" not in source and 'key="endpoint"' not in source

    synth = synthesize(out, tmp_path / "cdktf.out")
    assert synth.returncode == 0, synth.stderr
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "imported"
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    blocks = {b["to"]: b["id"] for b in document["import"]}
    live = {e.name: e.id for e in w.serving_endpoints.list()}
    for logical_id, body in document["resource"]["databricks_model_serving"].items():
        assert blocks[f"databricks_model_serving.{logical_id}"] == body["name"]
    permission_ids = {v for k, v in blocks.items() if k.startswith("databricks_permissions.")}
    assert permission_ids == {
        f"/serving-endpoints/{live['prod-assistant']}",
        f"/serving-endpoints/{live['prod-fraud-scoring']}",
    }

    applied = CliRunner().invoke(
        main, ["emulator", "apply", "--stack", str(stack_dir), "--host", emu.url, "--token", TOKEN]
    )
    assert applied.exit_code == 0, applied.output
    assert applied.output.strip().splitlines()[-1].startswith("No changes"), applied.output

    check = CliRunner().invoke(
        main, ["check", "--stack", str(stack_dir), "--host", emu.url, "--token", TOKEN, "--timeout", "30"]
    )
    assert check.exit_code == 0, check.output  # ready, no drift, every endpoint answered


def test_the_output_is_deterministic_and_formatted(emu, w, tmp_path: Path) -> None:
    wait_all_ready(w, make_fleet(w))
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    assert run_import(emu, first).exit_code == 0
    # The second run through the installed command line, in its own process.
    process = subprocess.run(
        [sys.executable, "-m", "servingstack.cli", "import", "--out", str(second), "--host", emu.url, "--token", TOKEN],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert "Imported 7 endpoints" in process.stderr
    assert first.read_text() == second.read_text()
    text = first.read_text()
    assert all(len(line) <= 110 for line in text.splitlines())
    assert "\t" not in text and text.endswith("\n") and not any(line != line.rstrip() for line in text.splitlines())
    # Without --environment the full names stay, and no stack environment is set.
    assert 'name="prod-fraud-scoring"' in text and "environment=" not in text.split("def build")[1].split("\n\n")[0]


def _resources(stack_dir: Path) -> tuple[dict[str, dict], dict[str, list]]:
    """Endpoints by name (Terraform-only keys aside) and access control lists by endpoint name."""
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    resources = document["resource"]
    endpoints = {
        body["name"]: {k: v for k, v in body.items() if k not in ("//", "timeouts")}
        for body in resources["databricks_model_serving"].values()
    }
    names = {logical_id: body["name"] for logical_id, body in resources["databricks_model_serving"].items()}
    grants = {}
    for body in resources.get("databricks_permissions", {}).values():
        logical_id = body["serving_endpoint_id"].split(".")[1]
        grants[names[logical_id]] = body["access_control"]
    return endpoints, grants


# prod now also holds a secret scope whose values must be put first (`prod-llm-keys`: a declared scope
# takes the stack's prefix; dev names the shared `llm-keys` as made elsewhere, so its endpoints' references
# are unchanged and compared below), and a provisioned-throughput endpoint resource the importer does not
# write (it declares such endpoints as ServingEndpoint).
@pytest.mark.parametrize("environment", ["dev"])
def test_the_example_stacks_survive_the_trip_field_by_field(emu, w, tmp_path: Path, environment: str) -> None:
    original_out = tmp_path / "original"
    env = {**os.environ, "CDKTF_OUTDIR": str(original_out)}
    synth = subprocess.run(
        [sys.executable, str(REPO / "main.py")], cwd=REPO, env=env, capture_output=True, text=True, timeout=240
    )
    assert synth.returncode == 0, synth.stderr
    original_dir = original_out / "stacks" / environment
    applied = apply_stack(load_stack(original_dir), w, echo=lambda line: None)
    assert not applied.failed

    out = tmp_path / f"{environment}_adopted.py"
    result = run_import(emu, out, "--environment", environment, "--stack-id", environment)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    again = synthesize(out, tmp_path / "imported")
    assert again.returncode == 0, again.stderr

    endpoints, grants = _resources(original_dir)
    imported_endpoints, imported_grants = _resources(tmp_path / "imported" / "stacks" / environment)
    assert sorted(imported_endpoints) == sorted(endpoints)
    for name, body in endpoints.items():
        assert imported_endpoints[name] == body, name
    assert imported_grants == grants
    source = out.read_text()
    assert (
        f'default_tags={{"cost-center": "cc-4711", "environment": "{environment}", "owner": "ml-platform"}}' in source
    )
