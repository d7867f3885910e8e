"""Provisioned-throughput endpoints, secret scopes and the deployer's Unity Catalog grants:
what each synthesizes, and every problem of bad input in one ValidationError."""

from __future__ import annotations

import pytest

from servingstack import (
    AiGateway,
    CustomModel,
    ExternalModel,
    FoundationModel,
    InferenceTable,
    OpenAI,
    ProvisionedThroughput,
    ProvisionedThroughputEndpoint,
    SecretScope,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    secret,
)

PT = "databricks_model_serving_provisioned_throughput"
MAVERICK = ProvisionedThroughput("system.ai.llama-4-maverick", "1", name="maverick", provisioned_model_units=100)


def chat(stack, id="chat", key=None):
    return ServingEndpoint(
        stack,
        id,
        name=id,
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=key or secret("llm-keys", "openai")))],
    )


# ---- ProvisionedThroughputEndpoint ----------------------------------------------------------


def test_a_provisioned_throughput_endpoint_synthesizes_its_own_resource_with_grants_and_outputs(one_stack):
    def fill(stack):
        pt = ProvisionedThroughputEndpoint(
            stack,
            "maverick",
            name="maverick",
            served_entities=[
                MAVERICK,
                ProvisionedThroughput("system.ai.llama-4-maverick", "2", name="next", provisioned_model_units=50),
            ],
            traffic={"maverick": 90, "next": 10},
            ai_gateway=AiGateway(usage_tracking=True),
            tags={"team": "ml"},
            create_timeout="30m",
        )
        pt.grant_query(group="data-scientists")

    doc = one_stack(fill)
    body = doc["resource"][PT]["maverick"]
    assert body["name"] == "dev-maverick"
    assert body["config"]["served_entities"][0] == {
        "name": "maverick",
        "entity_name": "system.ai.llama-4-maverick",
        "entity_version": "1",
        "provisioned_model_units": 100,
    }
    # Provider docs (traffic_config block of this resource): routes name `served_entity_name`.
    assert body["config"]["traffic_config"]["routes"] == [
        {"served_entity_name": "maverick", "traffic_percentage": 90},
        {"served_entity_name": "next", "traffic_percentage": 10},
    ]
    assert body["ai_gateway"] == {"usage_tracking_config": {"enabled": True}}
    assert body["tags"] == [{"key": "team", "value": "ml"}] and body["timeouts"] == {"create": "30m"}
    assert "databricks_model_serving" not in doc["resource"]
    (permissions,) = doc["resource"]["databricks_permissions"].values()
    assert permissions["serving_endpoint_id"] == f"${{{PT}.maverick.serving_endpoint_id}}"
    assert set(doc["output"]) == {"maverick_name", "maverick_serving_endpoint_id"}  # the resource has no URL
    assert doc["//"]["servingstack"]["dev-maverick"]["task"] == "llm/v1/chat"


def test_a_provisioned_throughput_endpoint_reports_every_problem_at_once(one_stack):
    def fill(stack):
        ProvisionedThroughputEndpoint(
            stack,
            "bad",
            name="bad name",
            served_entities=[
                CustomModel("ml.fraud.scorer", 1),
                ProvisionedThroughput(
                    "system.ai.llama", "1", min_provisioned_throughput=0, max_provisioned_throughput=100
                ),
            ],
            traffic={"ml-fraud-scorer-1": 50, "system-ai-llama-1": 40},
        )

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    text = str(error.value)
    assert text.startswith("dev/bad:")
    for expected in (
        "config.served_entities[0]: CustomModel is not a ProvisionedThroughput entity",
        "config.served_entities[1].provisioned_model_units: is required",
        "config.served_entities[1].min_provisioned_throughput: is not a field",
        "sum to 90",
        "bad name",
    ):
        assert expected in text, text


def test_fields_the_provisioned_throughput_resource_lacks_are_refused_by_name(one_stack):
    def fill(stack):
        ProvisionedThroughputEndpoint(
            stack,
            "bad",
            name="pt",
            description="not in this resource",
            route_optimized=True,
            served_entities=[MAVERICK],
            tags="team",
        )

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    assert str(error.value) == (
        "dev/bad: 3 problems\n"
        "  - description: is not supported by databricks_model_serving_provisioned_throughput\n"
        "  - route_optimized: is not supported by databricks_model_serving_provisioned_throughput\n"
        "  - tags: expected a dict of str to str or None, got str"
    )


def test_an_engine_without_the_resource_refuses_it_and_names_the_engine_that_has_it(one_stack, monkeypatch):
    from servingstack.cdk import engine as _cdk

    monkeypatch.setattr(_cdk, "has_provisioned_throughput_resource", lambda: False)
    with pytest.raises(ValidationError, match="needs the cdktn engine"):
        one_stack(lambda stack: ProvisionedThroughputEndpoint(stack, "pt", name="pt", served_entities=[MAVERICK]))


# ---- SecretScope ----------------------------------------------------------------------------


def test_a_secret_scope_gives_references_folds_acls_and_comes_first_in_the_graph(one_stack):
    def fill(stack):
        keys = SecretScope(stack, "keys", name="llm-keys")
        keys.grant_read(group="data-scientists").grant_manage(group="data-scientists")
        keys.grant_write(user="ops@example.com").grant_read(user="ops@example.com")
        keys.grant_read(service_principal="6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10")
        # The scope's name gets the stack's prefix, as endpoint names do.
        assert keys.scope_name == "dev-llm-keys"
        assert str(keys.secret("openai")) == "{{secrets/dev-llm-keys/openai}}"
        chat(stack, "by-method", keys.secret("openai"))
        # A plain reference to a declared scope counts too, whatever its case (scope names ignore case).
        chat(stack, "by-name", secret("DEV-llm-keys", "openai"))
        chat(stack, "elsewhere", secret("other", "openai"))
        ProvisionedThroughputEndpoint(stack, "pt", name="pt", served_entities=[MAVERICK])

    doc = one_stack(fill)
    assert [b["name"] for b in doc["resource"]["databricks_secret_scope"].values()] == ["dev-llm-keys"]
    acls = {a["principal"]: a["permission"] for a in doc["resource"]["databricks_secret_acl"].values()}
    assert acls == {
        "data-scientists": "MANAGE",
        "ops@example.com": "WRITE",
        "6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10": "READ",
    }
    assert all(
        a["scope"] == "dev-llm-keys" and a["depends_on"] for a in doc["resource"]["databricks_secret_acl"].values()
    )
    serving = doc["resource"]["databricks_model_serving"]
    for id in ("by-method", "by-name"):
        assert any("databricks_secret_scope.keys" in d for d in serving[id]["depends_on"]), serving[id]
    assert "depends_on" not in serving["elsewhere"]
    assert "depends_on" not in doc["resource"][PT]["pt"]
    # The value never appears: only the reference is in the Terraform JSON.
    openai = serving["by-method"]["config"]["served_entities"][0]["external_model"]["openai_config"]
    assert openai == {"openai_api_key": "{{secrets/dev-llm-keys/openai}}"}


def test_an_external_scope_needs_a_reason_and_creates_no_scope(one_stack):
    def fill(stack):
        shared = SecretScope.from_name(stack, "shared", name="shared-keys", reason="the security team owns it")
        shared.grant_read(group="data-scientists")
        chat(stack, "chat", shared.secret("openai"))

    doc = one_stack(fill)
    assert "databricks_secret_scope" not in doc["resource"]
    (acl,) = doc["resource"]["databricks_secret_acl"].values()
    assert (acl["scope"], acl["permission"], "depends_on" in acl) == ("shared-keys", "READ", False)
    with pytest.raises(ValidationError, match="reason: say why"):
        one_stack(lambda stack: SecretScope.from_name(stack, "shared", name="shared-keys", reason="x"))


def test_bad_secret_scope_props_are_reported_together(one_stack):
    def fill(stack):
        SecretScope(stack, "bad", name="no spaces/allowed", initial_manage_principal="admins")

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    assert "dev/bad: 2 problems" in str(error.value)
    assert "name: 'dev-no spaces/allowed' must be 1-128 letters, digits, '-', '_', '.' or '@'" in str(error.value)
    assert "only supported value is 'users'" in str(error.value)

    def twice(stack):
        SecretScope(stack, "a", name="keys")
        SecretScope(stack, "b", name="keys")

    with pytest.raises(ValidationError, match="already declared in this stack"):
        one_stack(twice)

    def bad_grant_and_key(stack):
        keys = SecretScope(stack, "keys", name="keys")
        with pytest.raises(ValidationError, match="exactly one of user=, group= or service_principal="):
            keys.grant_read(user="a@example.com", group="g")
        with pytest.raises(ValidationError, match="'a/b' must be 1-128 letters"):
            keys.secret("a/b")

    one_stack(bad_grant_and_key)


# ---- Unity Catalog grants for the deployer --------------------------------------------------


def test_the_deployer_gets_non_authoritative_grants_for_uc_models_and_inference_tables(one_stack):
    def fill(stack):
        ServingEndpoint(
            stack,
            "fraud",
            name="fraud",
            served_entities=[
                CustomModel("ml.fraud.scorer", 3, name="v3"),
                CustomModel("ml.fraud.scorer", 4, name="v4"),
            ],
            traffic={"v3": 90, "v4": 10},
            ai_gateway=AiGateway(inference_table=InferenceTable("ml", "fraud_logs")),
        )
        ServingEndpoint(
            stack,
            "llama",
            name="llama",
            served_entities=[FoundationModel("system.ai.llama", "1")],
            ai_gateway=AiGateway(inference_table=InferenceTable("audit", "llm")),
        )
        chat(stack)

    doc = one_stack(fill, deployer="deploy-sp")
    assert "databricks_grants" not in doc["resource"]  # authoritative: would revoke everyone else's
    grants = {
        next((k, b[k]) for k in ("catalog", "schema", "model") if k in b): (b["principal"], b["privileges"])
        for b in doc["resource"]["databricks_grant"].values()
    }
    assert grants == {
        ("model", "ml.fraud.scorer"): ("deploy-sp", ["EXECUTE"]),
        ("schema", "ml.fraud"): ("deploy-sp", ["USE_SCHEMA"]),
        ("catalog", "ml"): ("deploy-sp", ["USE_CATALOG"]),
        ("schema", "ml.fraud_logs"): ("deploy-sp", ["CREATE_TABLE", "USE_SCHEMA"]),
        ("catalog", "audit"): ("deploy-sp", ["USE_CATALOG"]),
        ("schema", "audit.llm"): ("deploy-sp", ["CREATE_TABLE", "USE_SCHEMA"]),
    }


def test_without_a_deployer_there_are_no_grants_and_a_bad_deployer_is_refused(one_stack):
    doc = one_stack(
        lambda stack: ServingEndpoint(stack, "fraud", name="fraud", served_entities=[CustomModel("ml.fraud.scorer", 3)])
    )
    assert "databricks_grant" not in doc["resource"]
    with pytest.raises(ValidationError, match="deployer: must be a user name"):
        one_stack(lambda stack: None, deployer="  ")


def test_the_documented_example_synthesizes(tmp_path):
    import json
    import re
    from pathlib import Path

    from servingstack import synthesize

    page = (Path(__file__).resolve().parents[2] / "docs" / "around-the-endpoint.md").read_text()
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "docs/around-the-endpoint.md", "exec"), scope)
    assert synthesize(scope["build"], tmp_path / "out") == 0
    doc = json.loads((tmp_path / "out" / "stacks" / "prod" / "cdk.tf.json").read_text())
    assert set(doc["resource"]) >= {"databricks_secret_scope", "databricks_secret_acl", PT, "databricks_grant"}


def test_policy_warns_of_undeclared_scopes_and_refuses_scopes_open_to_everyone(tmp_path, capsys):
    from servingstack import BaselinePack, synthesize

    def build(app):
        stack = ServingStack(app, "dev", environment="dev", policy=[BaselinePack()])
        open_keys = SecretScope(stack, "keys", name="llm-keys", initial_manage_principal="users")
        chat(stack, "declared", open_keys.secret("openai"))
        chat(stack, "undeclared", secret("nobody-declared-this", "openai"))

    assert synthesize(build, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "SS16" in err and "dev/declared" in err and "gives 'users' MANAGE" in err
    assert "warning: policy SS15 dev/undeclared" in err and "'nobody-declared-this'" in err


def test_an_app_may_query_a_provisioned_throughput_endpoint_and_the_reader_resolves_its_name(tmp_path):
    from servingstack import ServingApp, synthesize
    from servingstack.facts.stackfile import load_stack

    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        pt = ProvisionedThroughputEndpoint(stack, "maverick", name="maverick", served_entities=[MAVERICK])
        ServingApp(stack, "bot", name="dev-bot", query_endpoints={"llm": pt})

    assert synthesize(build, tmp_path / "out") == 0
    (app,) = load_stack(tmp_path / "out" / "stacks" / "dev").apps
    (entry,) = app.serving_endpoints
    assert (entry["name"], entry["reference"]) == ("dev-maverick", f"${{{PT}.maverick.name}}")
