"""The plan's parts on their own: the picture's Mermaid source, the ownership read from a Terraform
state (identifying attributes only), the stack's own backend found by default, and the exit codes."""

from __future__ import annotations

import json

from plan_support import baseline, deploy, plan, write_stack
from servingstack.plan import picture
from servingstack.plan.ownership import read_ownership, read_settings
from servingstack.plan.results import Finding, PlanReport, ResourceChange, TrafficLine


def _report(*changes: ResourceChange) -> PlanReport:
    return PlanReport("demo", "cdktf.out/stacks/demo", "http://h", "now", 10, changes=list(changes))


def test_the_picture_draws_each_changed_endpoint_with_traffic_before_and_after():
    endpoint = ResourceChange("databricks_model_serving.fraud", "databricks_model_serving", 'demo "fraud"', "update")
    endpoint.traffic = [
        TrafficLine("v3", "ml.fraud.scorer 3", 90, 50),
        TrafficLine("v4", "ml.fraud.scorer 4", 10, None),
        TrafficLine("v5", "ml.fraud.scorer 5", None, 50),
        TrafficLine("v6", "ml.fraud.scorer 6", 0, 0),
    ]
    unchanged = ResourceChange("databricks_model_serving.chat", "databricks_model_serving", "demo-chat", "unchanged")
    source = picture.render(_report(endpoint, unchanged))
    assert source is not None and source.startswith("flowchart LR\n")
    assert 'e0["demo #quot;fraud#quot;<br/>update"]:::update' in source  # quotes cannot break the label
    assert 'e0 ==>|"90% → 50%"| e0_0' in source
    assert 'e0 -.->|"10% → –"| e0_1' in source and 'e0_1("v4<br/>ml.fraud.scorer 4"):::delete' in source
    assert 'e0 ==>|"– → 50%"| e0_2' in source and "e0_2(" in source and ":::create" in source
    assert 'e0 -->|"0%"| e0_3' in source and 'e0_3("v6<br/>ml.fraud.scorer 6"):::same' in source
    assert "demo-chat" not in source
    assert "classDef delete" in source and "stroke-dasharray" in source
    assert picture.render(_report(unchanged)) is None


def test_a_large_change_is_drawn_for_its_first_endpoints_only():
    changes = [
        ResourceChange(f"databricks_model_serving.e{i}", "databricks_model_serving", f"e{i}", "create")
        for i in range(picture.MAX_ENDPOINTS + 3)
    ]
    assert "and 3 more endpoints" in (picture.render(_report(*changes)) or "")


def test_a_terraform_state_is_read_for_names_and_ids_only(tmp_path):
    stack = write_stack(tmp_path, baseline())
    state = tmp_path / "terraform.tfstate"
    secret = "sk-proj-" + "A" * 40
    state.write_text(
        json.dumps(
            {
                "version": 4,
                "lineage": "l",
                "resources": [
                    {
                        "mode": "managed",
                        "type": "databricks_model_serving",
                        "name": "chat",
                        "instances": [
                            {
                                "attributes": {
                                    "id": "demo-chat",
                                    "name": "demo-chat",
                                    "config": [{"served_entities": [{"openai_api_key_plaintext": secret}]}],
                                }
                            }
                        ],
                    },
                    {
                        "mode": "data",
                        "type": "databricks_current_user",
                        "name": "me",
                        "instances": [{"attributes": {}}],
                    },
                ],
            }
        )
    )
    owned = read_ownership(
        state, use_state=True, stack_name="demo", stack_dir=stack, settings=read_settings(stack), host="http://h"
    )
    assert owned.by_address == {"databricks_model_serving.chat": {"id": "demo-chat", "name": "demo-chat"}}
    assert secret not in repr(owned)
    assert owned.owns(("databricks_model_serving",), "demo-chat") is True
    assert owned.owns(("databricks_model_serving",), "demo-fraud") is False


def test_the_stacks_own_local_backend_is_found_without_an_option(emu, tmp_path):
    doc = baseline()
    backend = tmp_path / "terraform.demo.tfstate"
    doc["terraform"] = {"backend": {"local": {"path": str(backend)}}}
    deploy(emu, tmp_path, doc)
    backend.write_text(
        json.dumps(
            {
                "version": 4,
                "lineage": "l",
                "resources": [
                    {
                        "mode": "managed",
                        "type": "databricks_model_serving",
                        "name": "fraud",
                        "instances": [{"attributes": {"id": "demo-fraud", "name": "demo-fraud"}}],
                    }
                ],
            }
        )
    )
    report = plan(emu, tmp_path, doc)
    assert report.ownership.kind == "terraform" and report.ownership.source == str(backend)
    assert {f.subject for f in report.findings if f.code == "name_taken"} == {"demo-chat", "demo-search", "llm-keys"}
    remote = dict(doc, terraform={"backend": {"s3": {"bucket": "b", "key": "k"}}})
    (tmp_path / "servingstack-emulator.demo.json").unlink()
    blind = plan(emu, tmp_path, remote)
    assert blind.ownership.kind == "none" and "terraform state pull" in blind.ownership.detail


def test_exit_codes():
    report = _report(ResourceChange("a.b", "a", "b", "unchanged"))
    assert (report.exit_code(), report.exit_code(detailed=True)) == (0, 0)
    report.changes.append(ResourceChange("a.c", "a", "c", "create"))
    assert (report.exit_code(), report.exit_code(detailed=True)) == (0, 5)
    report.findings.append(Finding("takeaway", "warning", "grant_removed", "a.c", "x", "y"))
    assert report.exit_code(detailed=True) == 5
    report.findings.append(Finding("preflight", "error", "secret_missing", "a.c", "x", "y"))
    assert (report.exit_code(), report.exit_code(detailed=True)) == (1, 1)


def test_an_emulator_state_with_scopes_acls_grants_and_apps_owns_them_too(tmp_path):
    stack = write_stack(tmp_path, baseline())
    state = tmp_path / "emulator-state.json"
    entry = {
        "endpoints": {"demo-fraud": "databricks_model_serving.fraud"},
        "permissions": {"fraud_Permissions_0000": "demo-fraud"},
        "apps": {"demo-bot": "databricks_app.bot"},
        "secret_scopes": {"llm-keys": "databricks_secret_scope.llm-keys"},
        "secret_acls": {"llm-keys_acl": ["llm-keys", "ml-platform"]},
        "grants": {"grant-schema": ["schema", "ml.fraud_serving", "ci-deployer"]},
    }
    state.write_text(json.dumps({"version": 1, "workspaces": {"http://h": entry}}))
    owned = read_ownership(
        state, use_state=True, stack_name="demo", stack_dir=stack, settings=read_settings(stack), host="http://h/"
    )
    assert owned.owns(("databricks_secret_scope",), "llm-keys") is True
    assert owned.owns(("databricks_secret_scope",), "team-keys") is False
    assert owned.owns(("databricks_app",), "demo-bot") is True
    assert owned.by_address["databricks_grant.grant-schema"]["id"] == "schema/ml.fraud_serving/ci-deployer"
    assert owned.by_address["databricks_secret_acl.llm-keys_acl"]["id"] == "llm-keys|||ml-platform"
    # An older state (endpoints and permissions only) says nothing about the other kinds.
    del entry["apps"], entry["secret_scopes"], entry["secret_acls"], entry["grants"]
    state.write_text(json.dumps({"version": 1, "workspaces": {"http://h": entry}}))
    older = read_ownership(
        state, use_state=True, stack_name="demo", stack_dir=stack, settings=read_settings(stack), host="http://h"
    )
    assert older.owns(("databricks_secret_scope",), "llm-keys") is None
    assert older.owns(("databricks_model_serving",), "demo-fraud") is True
