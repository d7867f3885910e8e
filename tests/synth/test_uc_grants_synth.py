"""The deployer's Unity Catalog grants: `databricks_grant` is authoritative for its one principal on a
securable, so the app holds ONE resource per (workspace, securable, principal), with every privilege
the stacks on that workspace need or declare; `grant_deployer` declares the privileges to keep."""

from __future__ import annotations

import pytest

from servingstack import AiGateway, CustomModel, InferenceTable, ServingEndpoint, ServingStack, ValidationError

SP = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"


def grants_of(doc: dict) -> dict[tuple[str, str], tuple[str, list[str]]]:
    return {
        next((k, b[k]) for k in ("catalog", "schema", "model") if k in b): (b["principal"], b["privileges"])
        for b in doc.get("resource", {}).get("databricks_grant", {}).values()
    }


def fraud(stack, **props):
    return ServingEndpoint(stack, "fraud", name="fraud", served_entities=[CustomModel("ml.fraud.scorer", 3)], **props)


def test_stacks_on_one_workspace_share_one_grant_per_securable_held_by_the_first(synth):
    seen = {}

    def build(app):
        dev = ServingStack(app, "dev", environment="dev", deployer=SP)
        fraud(dev)
        prod = ServingStack(app, "prod", environment="prod", deployer=SP)
        fraud(prod, ai_gateway=AiGateway(inference_table=InferenceTable("ml", "fraud_logs")))
        seen["dev"], seen["prod"] = dev.deployer_grants, prod.deployer_grants

    stacks = synth(build)
    assert grants_of(stacks["dev"]) == {
        ("model", "ml.fraud.scorer"): (SP, ["EXECUTE"]),
        ("schema", "ml.fraud"): (SP, ["USE_SCHEMA"]),
        ("catalog", "ml"): (SP, ["USE_CATALOG"]),
    }
    # prod needs the same three and holds only what no stack before it needed.
    assert grants_of(stacks["prod"]) == {("schema", "ml.fraud_logs"): (SP, ["CREATE_TABLE", "USE_SCHEMA"])}
    assert seen["prod"].held_elsewhere == {
        ("model", "ml.fraud.scorer"): "dev",
        ("schema", "ml.fraud"): "dev",
        ("catalog", "ml"): "dev",
    }
    assert seen["prod"].grants[("catalog", "ml")] == ["USE_CATALOG"]  # what prod itself needs


def test_stacks_on_other_workspaces_each_hold_their_own(synth):
    def build(app):
        for name in ("dev", "prod"):
            fraud(ServingStack(app, name, environment=name, deployer=SP, host=f"https://{name}.example.com"))

    stacks = synth(build)
    assert grants_of(stacks["dev"]) == grants_of(stacks["prod"])
    assert len(grants_of(stacks["prod"])) == 3


def test_grant_deployer_keeps_privileges_in_the_one_authoritative_grant(synth):
    def build(app):
        dev = ServingStack(app, "dev", environment="dev", deployer=SP)
        fraud(dev)
        dev.grant_deployer(catalog="ml", privileges=["manage", "CREATE SCHEMA"])  # as the provider normalises
        prod = ServingStack(app, "prod", environment="prod", deployer=SP)
        prod.grant_deployer(catalog="ml", privileges=["USE_CATALOG", "BROWSE"]).grant_deployer(
            schema="audit.logs", privileges=["SELECT"]
        )

    stacks = synth(build)
    assert grants_of(stacks["dev"])[("catalog", "ml")] == (SP, ["BROWSE", "CREATE_SCHEMA", "MANAGE", "USE_CATALOG"])
    assert grants_of(stacks["prod"]) == {("schema", "audit.logs"): (SP, ["SELECT"])}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.grant_deployer(privileges=["MANAGE"]), "grant_deployer: names exactly one of"),
        (lambda s: s.grant_deployer(catalog="ml", schema="ml.x", privileges=["MANAGE"]), "names exactly one of"),
        (lambda s: s.grant_deployer(catalog="ml.x", privileges=["MANAGE"]), "catalog: 'ml.x' is not a catalog name"),
        (lambda s: s.grant_deployer(model="ml.x", privileges=["EXECUTE"]), "catalog.schema.model"),
        (lambda s: s.grant_deployer(catalog="ml", privileges=[]), "privileges: name one or more privileges"),
        (lambda s: s.grant_deployer(catalog="ml", privileges="MANAGE"), "privileges: name one or more"),
        (lambda s: s.grant_deployer(catalog="ml", privileges=["OWN"]), "'OWN' is not a Unity Catalog privilege"),
    ],
)
def test_bad_grant_deployer_calls_are_refused_naming_the_field(synth, call, message):
    def build(app):
        call(ServingStack(app, "dev", deployer=SP))

    with pytest.raises(ValidationError, match=message):
        synth(build)


def test_grant_deployer_needs_a_deployer(synth):
    with pytest.raises(ValidationError, match=r"dev: deployer: grant_deployer\(...\) grants to the deployer"):
        synth(lambda app: ServingStack(app, "dev").grant_deployer(catalog="ml", privileges=["MANAGE"]))
