"""The emulator around the endpoints: secret scopes and ACLs, Unity Catalog grants, a deployment
whose secret does not exist, and `emulator apply` + `check` of provisioned-throughput endpoints,
scopes and grants; all through the unmodified databricks-sdk over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    ServedEntityInput,
)
from databricks.sdk.service.workspace import AclPermission

from emu_support import TOKEN, wait_ready, wait_until
from servingstack.check import run_check
from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack

PT = "databricks_model_serving_provisioned_throughput"


def external_chat(w, name: str, scope: str, key: str):
    entity = ServedEntityInput(
        name="gpt",
        external_model=ExternalModel(
            name="gpt-4o",
            provider=ExternalModelProvider.OPENAI,
            task="llm/v1/chat",
            openai_config=OpenAiConfig(openai_api_key=f"{{{{secrets/{scope}/{key}}}}}"),
        ),
    )
    return w.serving_endpoints.create(name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity]))


def test_secret_scopes_secrets_and_acls_answer_as_the_secrets_api(w):
    w.secrets.create_scope("llm-keys")
    with pytest.raises(ResourceAlreadyExists):
        w.secrets.create_scope("llm-keys")
    with pytest.raises(InvalidParameterValue, match="scope"):
        w.secrets.create_scope("no spaces")
    with pytest.raises(InvalidParameterValue, match="users"):
        w.secrets.create_scope("other", initial_manage_principal="admins")
    w.secrets.put_secret("llm-keys", "openai", string_value="sk-never-returned")
    assert [s.name for s in w.secrets.list_scopes()] == ["llm-keys"]
    assert [s.key for s in w.secrets.list_secrets("llm-keys")] == ["openai"]
    w.secrets.put_acl("llm-keys", "data-scientists", AclPermission.READ)
    acls = {a.principal: a.permission for a in w.secrets.list_acls("llm-keys")}
    assert acls["data-scientists"] is AclPermission.READ and AclPermission.MANAGE in acls.values()  # the creator
    assert w.secrets.get_acl("llm-keys", "data-scientists").permission is AclPermission.READ
    with pytest.raises(NotFound, match="does not exist"):
        w.secrets.put_secret("no-such-scope", "k", string_value="v")
    w.secrets.delete_secret("llm-keys", "openai")
    with pytest.raises(NotFound, match="Secret does not exist with scope: llm-keys and key: openai"):
        w.secrets.delete_secret("llm-keys", "openai")


def test_unity_catalog_grants_are_added_and_removed_without_touching_others(w):
    w.grants.update("schema", "ml.logs", changes=[PermissionsChange(principal="other", add=[Privilege.SELECT])])
    w.grants.update(
        "schema",
        "ml.logs",
        changes=[PermissionsChange(principal="deployer", add=[Privilege.USE_SCHEMA, Privilege.CREATE_TABLE])],
    )
    held = {a.principal: set(a.privileges) for a in w.grants.get("schema", "ml.logs").privilege_assignments}
    assert held == {"other": {Privilege.SELECT}, "deployer": {Privilege.USE_SCHEMA, Privilege.CREATE_TABLE}}
    w.grants.update(
        "schema", "ml.logs", changes=[PermissionsChange(principal="deployer", remove=[Privilege.CREATE_TABLE])]
    )
    held = {a.principal: set(a.privileges) for a in w.grants.get("schema", "ml.logs").privilege_assignments}
    assert held["deployer"] == {Privilege.USE_SCHEMA}
    with pytest.raises(InvalidParameterValue, match="securable type"):
        w.grants.get("spaceship", "x")


def test_a_deployment_whose_secret_does_not_exist_fails_and_succeeds_once_it_is_put(w):
    w.secrets.create_scope("llm-keys")
    external_chat(w, "chat", "llm-keys", "openai")
    failed = wait_until(w, "chat", lambda e: e.state.config_update.value == "UPDATE_FAILED")
    (entity,) = failed.pending_config.served_entities
    assert entity.state.deployment.value == "DEPLOYMENT_FAILED"
    assert "Secret does not exist with scope: llm-keys and key: openai" in entity.state.deployment_state_message
    w.secrets.put_secret("llm-keys", "openai", string_value="sk-put-later")
    w.serving_endpoints.update_config(
        "chat", served_entities=[ServedEntityInput(name="gpt", external_model=entity.external_model)]
    )
    assert wait_ready(w, "chat").config.served_entities[0].name == "gpt"
    # A scope the emulator never saw is taken as provisioned outside it.
    external_chat(w, "elsewhere", "platform-keys", "openai")
    wait_ready(w, "elsewhere")


def synthesize_prod(outdir: Path) -> Path:
    import cdktf

    from servingstack import (
        AiGateway,
        CustomModel,
        InferenceTable,
        OpenAI,
        ProvisionedThroughput,
        ProvisionedThroughputEndpoint,
        SecretScope,
        ServingEndpoint,
        ServingStack,
    )
    from servingstack import (
        ExternalModel as External,
    )

    app = cdktf.App(outdir=str(outdir))
    stack = ServingStack(app, "prod", environment="prod", deployer="deploy-sp")
    keys = SecretScope(stack, "keys", name="llm-keys")
    keys.grant_read(service_principal="deploy-sp")
    ServingEndpoint(
        stack,
        "chat",
        name="chat",
        served_entities=[External("gpt-4o", OpenAI(api_key=keys.secret("openai")))],
        ai_gateway=AiGateway(inference_table=InferenceTable("ml", "chat_logs")),
    )
    ServingEndpoint(stack, "fraud", name="fraud", served_entities=[CustomModel("ml.fraud.scorer", 3)])
    ProvisionedThroughputEndpoint(
        stack,
        "maverick",
        name="maverick",
        served_entities=[
            ProvisionedThroughput("system.ai.llama-4-maverick", "1", name="maverick", provisioned_model_units=100)
        ],
        ai_gateway=AiGateway(usage_tracking=True),
        tags={"team": "ml"},
    ).grant_query(group="data-scientists")
    app.synth()
    return outdir / "stacks" / "prod"


@pytest.mark.synth
def test_apply_and_check_handle_pt_endpoints_scopes_acls_and_grants(emu, w, tmp_path):
    stack_dir = synthesize_prod(tmp_path / "cdktf.out")
    declared = load_stack(stack_dir)
    assert [e.resource_type for e in declared.endpoints if e.name == "prod-maverick"] == [PT]
    lines: list[str] = []
    first = apply_stack(declared, w, timeout=10, poll_seconds=0.05, echo=lines.append)
    # The scope is new, so its key is not there yet: the endpoint that needs it fails, saying why.
    assert first.failed and "Secret does not exist with scope: prod-llm-keys and key: openai" in "\n".join(lines)
    report = run_check(stack_dir, host=emu.url, token=TOKEN, timeout=10)
    chat = next(e for e in report.endpoints if e.name == "prod-chat")
    assert chat.ready.status == "fail" and "Secret does not exist with scope: prod-llm-keys" in json.dumps(
        [chat.ready.message, *chat.ready.details]
    )

    w.secrets.put_secret("prod-llm-keys", "openai", string_value="sk-put-by-hand")  # databricks secrets put-secret
    second = apply_stack(declared, w, timeout=10, poll_seconds=0.05, echo=lambda line: None)
    assert not second.failed and [c.target for c in second.changes if c.action == "updated"] == ["prod-chat"]
    third = apply_stack(declared, w, timeout=10, poll_seconds=0.05, echo=lambda line: None)
    assert not third.changed and not third.failed

    maverick = w.serving_endpoints.get("prod-maverick")
    assert maverick.config.served_entities[0].provisioned_model_units == 100
    assert {a.principal: a.permission for a in w.secrets.list_acls("prod-llm-keys")}["deploy-sp"] is AclPermission.READ
    model = w.grants.get("function", "ml.fraud.scorer").privilege_assignments  # models are FUNCTION securables
    assert [(a.principal, a.privileges) for a in model] == [("deploy-sp", [Privilege.EXECUTE])]
    table = {a.principal: set(a.privileges) for a in w.grants.get("schema", "ml.chat_logs").privilege_assignments}
    assert table == {"deploy-sp": {Privilege.USE_SCHEMA, Privilege.CREATE_TABLE}}

    report = run_check(stack_dir, host=emu.url, token=TOKEN, timeout=10)
    assert {e.name: (e.ready.status, e.drift.status, e.query.status) for e in report.endpoints} == {
        name: ("pass", "pass", "pass") for name in ("prod-chat", "prod-fraud", "prod-maverick")
    }

    # A changed provisioned-throughput config goes through its own route (`PUT .../pt/{name}/config`).
    pt = next(e for e in declared.endpoints if e.name == "prod-maverick")
    pt.request["config"]["served_entities"][0]["provisioned_model_units"] = 200
    fourth = apply_stack(declared, w, timeout=10, poll_seconds=0.05, echo=lambda line: None)
    assert [(c.target, c.details) for c in fourth.changes if c.action == "updated"] == [("prod-maverick", ["config"])]
    assert wait_ready(w, "prod-maverick").config.served_entities[0].provisioned_model_units == 200
