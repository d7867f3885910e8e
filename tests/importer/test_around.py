"""`servingstack import` beyond the endpoints: telemetry (on the engine that has it), provisioned-throughput
endpoints as their own resource, secret scopes with their ACLs, the apps that query the endpoints and
the deployer's Unity Catalog grants; each with its import block, and a warning for what it cannot declare."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from databricks.sdk.service.apps import (
    App,
    AppResource,
    AppResourceSecret,
    AppResourceSecretSecretPermission,
    AppResourceServingEndpoint,
    AppResourceServingEndpointServingEndpointPermission,
)
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    PtEndpointCoreConfig,
    PtServedModel,
    ServedEntityInput,
    TelemetryConfig,
)
from databricks.sdk.service.workspace import AclPermission

from import_support import TOKEN, wait_all_ready
from servingstack.cli import main
from servingstack.importer.scopes import LiveScope, plan_scopes, principal_argument
from servingstack.importer.target import target_engine

QUERY = AppResourceServingEndpointServingEndpointPermission.CAN_QUERY
DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"


def run_import(emu, out: Path, *args: str):
    return CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN, *args])


def custom(w, name: str, **extra):
    entity = ServedEntityInput(entity_name="ml.fraud.scorer", entity_version="3", name="v3", workload_size="Small")
    return w.serving_endpoints.create(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity]), **extra
    ).response


def pt(w, name: str):
    entity = PtServedModel(entity_name="system.ai.llama-4-maverick", entity_version="1", provisioned_model_units=100)
    return w.serving_endpoints.create_provisioned_throughput_endpoint(
        name=name, config=PtEndpointCoreConfig(served_entities=[entity])
    ).response


def app_querying(name: str, *endpoints: str, **fields) -> App:
    resources = [
        AppResource(name=f"r{index}", serving_endpoint=AppResourceServingEndpoint(name=e, permission=QUERY))
        for index, e in enumerate(endpoints)
    ]
    return App(name=name, resources=resources, **fields)


TELEMETRY = {
    "enabled_telemetry_features": ["TELEMETRY_FEATURE_LOGS"],
    "inference_table_config": {"name": "ml.obs.payloads", "sampling_fraction": 0.5},
    "table_names": {"logs_table": "ml.obs.logs"},
}


def test_telemetry_is_declared_on_the_engine_that_has_it_and_a_warning_on_the_other(emu, w, tmp_path):
    custom(w, "scorer", telemetry_config=TelemetryConfig.from_dict(TELEMETRY))
    wait_all_ready(w, ["scorer"])
    cdktn = run_import(emu, tmp_path / "cdktn.py", "--engine", "cdktn")
    assert cdktn.exit_code == 0, cdktn.output
    assert "warning" not in cdktn.stderr
    source = (tmp_path / "cdktn.py").read_text()
    assert "telemetry=Telemetry(" in source
    for argument in (
        'logs_table="ml.obs.logs"',
        'features=["TELEMETRY_FEATURE_LOGS"]',
        'inference_table="ml.obs.payloads"',
        "sampling_fraction=0.5",
    ):
        assert argument in source, argument
    cdktf = run_import(emu, tmp_path / "cdktf.py", "--engine", "cdktf")
    assert cdktf.exit_code == 0, cdktf.output
    assert "warning: scorer: telemetry_config: Telemetry needs the cdktn engine" in cdktf.stderr
    assert "Telemetry(" not in (tmp_path / "cdktf.py").read_text()


def test_the_engine_is_the_one_the_program_will_build_with():
    assert target_engine({"SERVINGSTACK_CDK_ENGINE": "cdktn"}) == "cdktn"
    assert target_engine({}, installed=lambda module: module.startswith("cdktn")) == "cdktn"
    assert target_engine({}, installed=lambda module: True) == "cdktf"  # cdktf first, as select_engine
    assert target_engine({}, installed=lambda module: False) is None


def test_provisioned_throughput_endpoints_become_their_own_resource_unless_named(emu, w, tmp_path):
    pt(w, "maverick")
    # Model units with a field the provisioned-throughput resource lacks: a ServingEndpoint.
    entity = ServedEntityInput(entity_name="system.ai.llama_v3", entity_version="1", provisioned_model_units=50)
    w.serving_endpoints.create(
        name="described",
        config=EndpointCoreConfigInput(name="described", served_entities=[entity]),
        description="has a description",
    )
    wait_all_ready(w, ["maverick", "described"])
    result = run_import(emu, tmp_path / "a.py")
    assert result.exit_code == 0, result.output
    source = (tmp_path / "a.py").read_text()
    assert 'maverick = ProvisionedThroughputEndpoint(\n        stack, "maverick",' in source
    assert 'described = ServingEndpoint(\n        stack, "described",' in source
    kept = run_import(emu, tmp_path / "b.py", "--as-serving-endpoint", "maverick")
    assert kept.exit_code == 0 and "ProvisionedThroughputEndpoint" not in (tmp_path / "b.py").read_text()


def test_the_scopes_the_endpoints_use_are_declared_with_their_acls(emu, w, tmp_path):
    w.secrets.create_scope("fraud")
    w.secrets.put_secret("fraud", "token", string_value="never-imported-value")
    w.secrets.put_acl("fraud", "data-scientists", AclPermission.READ)
    w.secrets.put_acl("fraud", DEPLOYER, AclPermission.WRITE)
    w.secrets.create_scope("unused")
    entity = ServedEntityInput(
        entity_name="ml.fraud.scorer",
        entity_version="3",
        name="v3",
        workload_size="Small",
        environment_vars={"TOKEN": "{{secrets/fraud/token}}", "OTHER": "{{secrets/elsewhere/key}}"},
    )
    w.serving_endpoints.create(name="scorer", config=EndpointCoreConfigInput(name="scorer", served_entities=[entity]))
    wait_all_ready(w, ["scorer"])
    result = run_import(emu, tmp_path / "used.py")
    assert result.exit_code == 0, result.output
    assert "1 secret scope" in result.output
    source = (tmp_path / "used.py").read_text()
    assert 'fraud = SecretScope(stack, "fraud", name="fraud")' in source
    assert 'fraud.grant_read(group="data-scientists")' in source
    assert f'fraud.grant_write(service_principal="{DEPLOYER}")' in source
    assert "fraud.adopt()" in source and '"unused"' not in source
    assert "dev@servingstack.local" in source  # the importer's own MANAGE: said, not granted
    assert "fraud.grant_manage" not in source and "never-imported-value" not in source

    named = run_import(emu, tmp_path / "named.py", "--scopes", "unused,fraud")
    assert named.exit_code == 0 and 'SecretScope(stack, "unused", name="unused")' in (tmp_path / "named.py").read_text()
    assert run_import(emu, tmp_path / "none.py", "--scopes", "none").exit_code == 0
    assert "SecretScope(" not in (tmp_path / "none.py").read_text()
    missing = run_import(emu, tmp_path / "missing.py", "--scopes", "nowhere")
    assert missing.exit_code == 2 and "--scopes: no secret scope named nowhere" in missing.output
    assert not (tmp_path / "missing.py").exists()


def test_a_scope_principal_is_read_as_the_kind_its_name_shows():
    assert principal_argument(DEPLOYER) == "service_principal"
    assert principal_argument("ana@example.com") == "user"
    assert principal_argument("data-scientists") == "group"
    (vault,) = plan_scopes([LiveScope("vault", "AZURE_KEYVAULT", {"users": "READ"})], None, set(), set())
    lines = "\n".join(vault.lines(import_blocks=True))
    assert "vault = SecretScope.from_name(" in lines and 'name="vault"' in lines
    assert 'vault.grant_read(group="users")' in lines
    assert any(note.warn for note in vault.notes)


def test_apps_that_query_the_endpoints_are_declared_and_others_explained(emu, w, tmp_path):
    emu.set_app_seconds(start=0)
    custom(w, "dev-scorer")
    custom(w, "shared")  # not in the environment: named with from_name
    custom(w, "dev-other")
    w.apps.create(app_querying("dev-bot", "dev-scorer", "shared", description="scores"))
    secret = AppResource(
        name="key", secret=AppResourceSecret(scope="s", key="k", permission=AppResourceSecretSecretPermission.READ)
    )
    w.secrets.create_scope("s")
    w.apps.create(App(name="dev-keeper", resources=[*app_querying("x", "dev-other").resources, secret]))
    w.apps.create(app_querying("unrelated", "shared"))
    wait_all_ready(w, ["dev-scorer", "shared", "dev-other"])
    result = run_import(emu, tmp_path / "dev.py", "--environment", "dev", "--stack-id", "dev")
    assert result.exit_code == 0, result.output
    source = (tmp_path / "dev.py").read_text()
    shared_id = w.serving_endpoints.get("shared").id
    assert "shared = ServingEndpoint.from_name(" in source and '"shared-ref"' in source
    assert f'serving_endpoint_id="{shared_id}"' in source
    assert 'bot = ServingApp(\n        stack, "bot",\n        name="bot",' in source  # the stack puts its prefix back
    assert 'query_endpoints={"r0": scorer, "r1": shared},' in source and 'description="scores"' in source
    assert "bot.adopt()" in source and "unrelated" not in source
    assert (
        "warning: app dev-keeper: not imported: ServingApp declares CAN_QUERY serving endpoints only" in result.stderr
    )
    assert "resources[key] (secret)" in result.stderr
    # The skipped app's principal keeps its grant on the endpoint as a plain grant.
    keeper = w.apps.get("dev-keeper").service_principal_client_id
    assert f'other.grant_query(service_principal="{keeper}")' in source
    bot = w.apps.get("dev-bot").service_principal_client_id
    assert bot not in source.split("# app dev-bot")[0].replace(f"(service principal {bot})", "")

    synth = subprocess.run(
        [sys.executable, str(tmp_path / "dev.py")],
        cwd=tmp_path,
        env={**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert synth.returncode == 0, synth.stderr
    applied = CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(tmp_path / "out" / "stacks" / "dev"), "--host", emu.url]
        + ["--token", TOKEN],
    )
    assert applied.output.strip().splitlines()[-1].startswith("No changes"), applied.output


def test_uc_grants_are_opt_in_and_name_their_principal(emu, w, tmp_path):
    custom(w, "scorer")
    wait_all_ready(w, ["scorer"])
    plain = run_import(emu, tmp_path / "plain.py")
    assert "deployer=" not in (tmp_path / "plain.py").read_text()

    nobody = run_import(emu, tmp_path / "nobody.py", "--uc-grants")
    assert nobody.exit_code == 2
    assert "--uc-grants: no principal holds every privilege serving needs (USE_CATALOG on catalog ml;" in nobody.output
    assert "name the deploying principal with --deployer" in nobody.output

    for securable, name, privileges in (
        ("catalog", "ml", [Privilege.USE_CATALOG]),
        ("schema", "ml.fraud", [Privilege.USE_SCHEMA, Privilege.SELECT]),
        ("function", "ml.fraud.scorer", [Privilege.EXECUTE]),
    ):
        w.grants.update(securable, name, changes=[PermissionsChange(principal=DEPLOYER, add=privileges)])
    found = run_import(emu, tmp_path / "found.py", "--uc-grants")
    assert found.exit_code == 0, found.output
    source = (tmp_path / "found.py").read_text()
    assert f'deployer="{DEPLOYER}"' in source and "stack.adopt_deployer_grants()" in source
    # SELECT is more than serving needs: the program says an apply would revoke it.
    assert f"warning: uc grants: schema ml.fraud: {DEPLOYER} also holds SELECT" in found.stderr
    assert "revokes it" in found.stderr

    named = run_import(emu, tmp_path / "named.py", "--deployer", "someone-else")
    assert named.exit_code == 0
    assert "someone-else does not hold EXECUTE: the first apply grants it" in named.stderr
    assert plain.exit_code == 0


@pytest.mark.parametrize("option", ["--scopes", "--deployer"])
def test_bad_around_options_are_refused(emu, tmp_path, option):
    result = run_import(emu, tmp_path / "x.py", option, "")
    assert result.exit_code == 2, result.output
