"""`emulator apply` applies a `databricks_grant` as the provider does: authoritative for its one
principal on its securable (provider docs, grant.md: it "will OVERWRITE any existing grants for the
principal"), so privileges the stack does not declare are taken away and other principals are kept."""

from __future__ import annotations

import pytest
from databricks.sdk.service.catalog import PermissionsChange, Privilege

from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack

SP = "deploy-sp"


def held(w, securable_type: str, name: str) -> dict[str, set[str]]:
    assignments = w.grants.get(securable_type, name).privilege_assignments or []
    return {a.principal: {p.value for p in a.privileges or []} for a in assignments}


@pytest.mark.synth
def test_apply_takes_away_what_the_grant_does_not_list_and_keeps_other_principals(w, tmp_path):
    from servingstack import CustomModel, ServingEndpoint, ServingStack
    from servingstack.cdk import engine as _cdk

    app = _cdk.App(outdir=str(tmp_path / "cdktf.out"))
    stack = ServingStack(app, "prod", environment="prod", deployer=SP)
    ServingEndpoint(stack, "fraud", name="fraud", served_entities=[CustomModel("ml.fraud.scorer", 3)])
    stack.grant_deployer(catalog="ml", privileges=["MANAGE"])  # what the deployer must keep
    app.synth()
    declared = load_stack(tmp_path / "cdktf.out" / "stacks" / "prod")

    # Before: the deployer holds more on the catalog than the stack declares; another principal holds SELECT.
    w.grants.update(
        "catalog",
        "ml",
        changes=[
            PermissionsChange(principal=SP, add=[Privilege.MANAGE, Privilege.CREATE_SCHEMA, Privilege.SELECT]),
            PermissionsChange(principal="analysts", add=[Privilege.SELECT]),
        ],
    )
    first = apply_stack(declared, w, timeout=10, poll_seconds=0.05, echo=lambda line: None)
    assert not first.failed
    catalog = next(c for c in first.changes if c.resource.startswith("databricks_grant.") and "catalog ml" in c.target)
    assert catalog.action == "updated" and catalog.details == [
        "USE_CATALOG",
        "takes away CREATE_SCHEMA",
        "takes away SELECT",
    ]
    assert held(w, "catalog", "ml") == {SP: {"MANAGE", "USE_CATALOG"}, "analysts": {"SELECT"}}
    assert held(w, "function", "ml.fraud.scorer") == {SP: {"EXECUTE"}}

    again = apply_stack(declared, w, timeout=10, poll_seconds=0.05, echo=lambda line: None)
    assert [c.action for c in again.changes if c.resource.startswith("databricks_grant.")] == ["unchanged"] * 3
