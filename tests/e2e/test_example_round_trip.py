"""The example's stacks travel the whole path, on the engine the suite runs on (cdktf and cdktn):
apply (prod: its scope's secret values put through the emulator, then applied again) -> `servingstack
import` -> synth -> `emulator apply` says "No changes" and `check` passes; and the imported stack
declares what the original declares, resource by resource: endpoints (the provisioned-throughput one as
its own resource), grants, the secret scope and its ACLs, the app (and its principal's grants on the
endpoints), the deployer's Unity Catalog grants."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from servingstack.cli import main
from servingstack.deploy.apply import apply_stack
from servingstack.deploy.state import ApplyState
from servingstack.facts.stackfile import load_stack

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "servingstack-test-token"  # the `emu` fixture's
SKIPPED = ("//", "timeouts")
# The endpoints the service cannot tell apart from provisioned-throughput resources (its summarizer is a
# databricks_model_serving with model units): named so the import keeps them as ServingEndpoint.
KEEP_AS_SERVING_ENDPOINT = ("summarizer",)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("example") / "cdktf.out"
    synth = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth.returncode == 0, synth.stderr
    return outdir


def _by_reference(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    """`${<type>.<logical id>.<attribute>}` of each endpoint and app -> a name that does not depend on ids."""
    names = {}
    for kind in ("databricks_model_serving", "databricks_model_serving_provisioned_throughput", "databricks_app"):
        for logical_id, body in resources.get(kind, {}).items():
            for attribute in ("name", "serving_endpoint_id", "service_principal_client_id"):
                names[f"${{{kind}.{logical_id}.{attribute}}}"] = f"<{attribute} of {body['name']}>"
    return names


def _normal(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v, names) for k, v in value.items() if k not in SKIPPED}
    if isinstance(value, list):
        return [_normal(v, names) for v in value]
    if isinstance(value, str):
        return names.get(value, value)
    return value


def declared(stack_dir: Path) -> dict[str, dict[Any, Any]]:
    """Every resource of a stack keyed by what it is, not by its logical id; references resolved to names."""
    resources = json.loads((stack_dir / "cdk.tf.json").read_text())["resource"]
    names = _by_reference(resources)
    found: dict[str, dict[Any, Any]] = {}
    for kind, bodies in resources.items():
        for body in bodies.values():
            body = _normal(body, names)
            body.pop("depends_on", None)  # compared below, by what it names
            if kind == "databricks_permissions":
                key: Any = body["serving_endpoint_id"]
            elif kind == "databricks_secret_acl":
                key = (body["scope"], body["principal"])
            elif kind == "databricks_grant":
                key = tuple(sorted((k, v) for k, v in body.items() if k != "privileges"))
            else:
                key = body["name"]
            found.setdefault(kind, {})[key] = body
    return found


def dependencies(stack_dir: Path) -> set[tuple[str, str]]:
    """(resource name, what it depends on), by name: Terraform creates the scope before its endpoints."""
    resources = json.loads((stack_dir / "cdk.tf.json").read_text())["resource"]
    by_address = {f"{k}.{i}": b.get("name") or i for k, bodies in resources.items() for i, b in bodies.items()}
    return {
        (body.get("name"), by_address[target])
        for bodies in resources.values()
        for body in bodies.values()
        for target in body.get("depends_on") or []
    }


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_the_example_survives_apply_import_synth_apply_and_check(emu, example, tmp_path, environment) -> None:
    w = emu.client(retry_timeout_seconds=10)
    original = example / "stacks" / environment
    stack = load_stack(original)
    with ApplyState(tmp_path / "original-state.json", emu.url) as state:
        first = apply_stack(stack, w, timeout=30, poll_seconds=0.05, echo=lambda line: None, state=state)
        if environment == "prod":
            # The new scope holds no keys yet: the endpoints that read them fail until they are put.
            assert first.failed
            w.secrets.put_secret("prod-llm-keys", "openai", string_value="sk-put-through-the-emulator")
            w.secrets.put_secret("prod-llm-keys", "anthropic", string_value="sk-ant-put-through-the-emulator")
            first = apply_stack(stack, w, timeout=30, poll_seconds=0.05, echo=lambda line: None, state=state)
        assert not first.failed

    out = tmp_path / f"{environment}_adopted.py"
    options = ["--environment", environment, "--stack-id", environment]
    options += [o for name in KEEP_AS_SERVING_ENDPOINT for o in ("--as-serving-endpoint", f"{environment}-{name}")]
    options += ["--uc-grants"] if environment == "prod" else []
    imported = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN, *options])
    assert imported.exit_code == 0, imported.output
    assert "warning" not in imported.stderr, imported.stderr
    source = out.read_text()
    assert "ServingApp(" in source and ".adopt()" in source
    if environment == "prod":
        assert "ProvisionedThroughputEndpoint(" in source and "SecretScope(" in source
        assert 'deployer="0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"' in source and "stack.adopt_deployer_grants()" in source
        assert "sk-put-through-the-emulator" not in source

    synth = subprocess.run(
        [sys.executable, str(out)],
        cwd=tmp_path,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "imported")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth.returncode == 0, synth.stderr
    again = tmp_path / "imported" / "stacks" / environment

    mine, theirs = declared(original), declared(again)
    assert sorted(theirs) == sorted(mine)
    for kind in mine:
        assert theirs[kind] == mine[kind], kind
    assert dependencies(again) == dependencies(original)
    # Every resource of the imported stack has its import block.
    document = json.loads((again / "cdk.tf.json").read_text())
    blocks = {block["to"] for block in document["import"]}
    addresses = {f"{kind}.{i}" for kind, bodies in document["resource"].items() for i in bodies}
    assert blocks == addresses

    applied = CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(again), "--host", emu.url, "--token", TOKEN]
        + ["--state", str(tmp_path / "imported-state.json")],
    )
    assert applied.exit_code == 0, applied.output
    assert applied.output.strip().splitlines()[-1].startswith("No changes"), applied.output
    # A state of its own: the live objects are not this state's, the import blocks take them in.
    assert "imported into the state" in applied.output, applied.output
    imported_stack = load_stack(again)
    (recorded,) = json.loads((tmp_path / "imported-state.json").read_text())["workspaces"].values()
    assert sorted(recorded["endpoints"]) == sorted(e.name for e in imported_stack.endpoints)
    assert sorted(recorded["permissions"]) == sorted(p.logical_id for p in imported_stack.permissions)
    assert sorted(recorded["apps"]) == sorted(a.name for a in imported_stack.apps)
    assert sorted(recorded["secret_scopes"]) == sorted(s.name for s in imported_stack.secret_scopes)
    assert sorted(recorded["secret_acls"]) == sorted(a.logical_id for a in imported_stack.secret_acls)
    assert sorted(recorded["grants"]) == sorted(g.logical_id for g in imported_stack.grants)

    report = tmp_path / "check.json"
    check = CliRunner().invoke(
        main,
        ["check", "--stack", str(again), "--host", emu.url, "--token", TOKEN, "--timeout", "60"]
        + ["--json", str(report)],
    )
    assert check.exit_code == 0, check.output
    result = json.loads(report.read_text())
    assert [(a["name"], a["status"]) for a in result["apps"]] == [(f"{environment}-support-bot", "pass")]
    assert re.search(r"all endpoints and apps pass", check.output)


def test_telemetry_is_imported_on_cdktn_and_explained_on_cdktf(emu, tmp_path) -> None:
    from databricks.sdk.service.serving import EndpointCoreConfigInput, ServedEntityInput, TelemetryConfig

    from servingstack.cdk import engine as _cdk

    w = emu.client(retry_timeout_seconds=10)
    entity = ServedEntityInput(entity_name="ml.fraud.scorer", entity_version="3", name="v3", workload_size="Small")
    telemetry = {
        "enabled_telemetry_features": ["TELEMETRY_FEATURE_LOGS", "TELEMETRY_FEATURE_TRACES"],
        "inference_table_config": {"name": "ml.obs.payloads", "sampling_fraction": 0.25},
        "table_names": {"logs_table": "ml.obs.logs", "traces_table": "ml.obs.traces"},
    }
    w.serving_endpoints.create_and_wait(
        name="scorer",
        config=EndpointCoreConfigInput(name="scorer", served_entities=[entity]),
        telemetry_config=TelemetryConfig.from_dict(telemetry),
    )
    out = tmp_path / "adopted.py"
    imported = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])
    assert imported.exit_code == 0, imported.output
    if _cdk.ENGINE.name == "cdktf":
        assert "telemetry_config: Telemetry needs the cdktn engine" in imported.stderr
        assert "Telemetry(" not in out.read_text()
        return
    assert "warning" not in imported.stderr and "Telemetry(" in out.read_text()
    synth = subprocess.run(
        [sys.executable, str(out)],
        cwd=tmp_path,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth.returncode == 0, synth.stderr
    stack = tmp_path / "out" / "stacks" / "imported"
    (body,) = json.loads((stack / "cdk.tf.json").read_text())["resource"]["databricks_model_serving"].values()
    assert body["telemetry_config"] == telemetry
    applied = CliRunner().invoke(
        main, ["emulator", "apply", "--stack", str(stack), "--host", emu.url, "--token", TOKEN]
    )
    assert applied.output.strip().splitlines()[-1].startswith("No changes"), applied.output
