"""A `ServingApp` and the grants of the endpoints it queries; `adopt()` on everything a stack declares
(the import blocks `servingstack import` writes)."""

from __future__ import annotations

import pytest

from servingstack import (
    AiGateway,
    CustomModel,
    FoundationModel,
    InferenceTable,
    ProvisionedThroughput,
    ProvisionedThroughputEndpoint,
    SecretScope,
    ServingApp,
    ServingEndpoint,
    ValidationError,
)

PRINCIPAL = "${databricks_app.bot.service_principal_client_id}"


def llm(stack, id="chat"):
    return ServingEndpoint(stack, id, name=id, served_entities=[FoundationModel("system.ai.llama", "1")])


def acl(doc, endpoint_logical_id):
    for body in doc["resource"].get("databricks_permissions", {}).values():
        if body["serving_endpoint_id"] == f"${{databricks_model_serving.{endpoint_logical_id}.serving_endpoint_id}}":
            return body["access_control"]
    return None


def test_an_endpoint_with_grants_lists_the_apps_principal_so_applying_them_keeps_it(one_stack):
    def fill(stack):
        granted_before, granted_after, ungranted = llm(stack, "before"), llm(stack, "after"), llm(stack, "alone")
        granted_before.grant_query(group="data-scientists")
        ServingApp(
            stack, "bot", name="dev-bot", query_endpoints={"a": granted_before, "b": granted_after, "c": ungranted}
        )
        granted_after.grant_manage(group="ml-platform")

    doc = one_stack(fill)
    assert acl(doc, "before") == [
        {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
        {"permission_level": "CAN_QUERY", "service_principal_name": PRINCIPAL},
    ]
    assert acl(doc, "after") == [
        {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"},
        {"permission_level": "CAN_QUERY", "service_principal_name": PRINCIPAL},
    ]
    # No grants declared: no authoritative resource either; the app's resource alone grants its principal.
    assert acl(doc, "alone") is None
    (app,) = doc["resource"]["databricks_app"].values()
    assert [r["serving_endpoint"] for r in app["resources"]] == [
        {"name": f"${{databricks_model_serving.{e}.name}}", "permission": "CAN_QUERY"}
        for e in ("before", "after", "alone")
    ]


def test_an_endpoint_made_elsewhere_with_grants_lists_the_apps_principal_too(one_stack):
    def fill(stack):
        other = ServingEndpoint.from_name(stack, "other", name="shared-llm", serving_endpoint_id="0" * 32)
        other.grant_query(group="data-scientists")
        ServingApp(stack, "bot", name="bot", query_endpoints={"llm": other})

    doc = one_stack(fill)
    (permissions,) = doc["resource"]["databricks_permissions"].values()
    assert permissions["serving_endpoint_id"] == "0" * 32
    assert {"permission_level": "CAN_QUERY", "service_principal_name": PRINCIPAL} in permissions["access_control"]


def test_adopt_gives_every_resource_its_import_block(one_stack):
    def fill(stack):
        keys = SecretScope(stack, "llm-keys", name="llm-keys")
        keys.grant_read(group="data-scientists")
        keys.adopt()
        keys.grant_manage(service_principal="6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10")  # after adopt(): adopted too
        fraud = ServingEndpoint(
            stack,
            "fraud",
            name="fraud",
            served_entities=[CustomModel("ml.fraud.scorer", 3)],
            ai_gateway=AiGateway(inference_table=InferenceTable("ml", "logs")),
        )
        fraud.grant_query(group="data-scientists")
        fraud.adopt("a" * 32)
        maverick = ProvisionedThroughputEndpoint(
            stack,
            "maverick",
            name="maverick",
            served_entities=[ProvisionedThroughput("system.ai.llama-4-maverick", "1", provisioned_model_units=100)],
        )
        maverick.adopt()
        ServingApp(stack, "bot", name="bot", query_endpoints={"llm": fraud}).adopt()
        stack.adopt_deployer_grants()

    doc = one_stack(fill, deployer="deploy-sp")
    blocks = {block["to"]: block["id"] for block in doc["import"]}
    resources = doc["resource"]
    acls = {body["principal"]: f"databricks_secret_acl.{i}" for i, body in resources["databricks_secret_acl"].items()}
    grants = {
        next(k for k in ("catalog", "schema", "model") if k in body): f"databricks_grant.{i}"
        for i, body in resources["databricks_grant"].items()
    }
    assert blocks["databricks_secret_scope.llm-keys"] == "dev-llm-keys"  # a declared scope takes the stack's prefix
    assert blocks[acls["data-scientists"]] == "dev-llm-keys|||data-scientists"
    assert blocks[acls["6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10"]] == "dev-llm-keys|||6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10"
    assert blocks["databricks_model_serving.fraud"] == "dev-fraud"
    assert blocks["databricks_model_serving_provisioned_throughput.maverick"] == "dev-maverick"
    assert blocks["databricks_app.bot"] == "dev-bot"
    # The first part of a grant's id is the resource's attribute (`model`), not the API's securable type.
    assert blocks[grants["model"]] == "model/ml.fraud.scorer/deploy-sp"
    assert blocks[grants["catalog"]] == "catalog/ml/deploy-sp"
    assert set(blocks) == {f"{kind}.{i}" for kind, bodies in resources.items() for i in bodies}


def test_adopting_deployer_grants_needs_a_deployer(one_stack):
    with pytest.raises(ValidationError, match="deployer: adopt_deployer_grants"):
        one_stack(lambda stack: stack.adopt_deployer_grants())
