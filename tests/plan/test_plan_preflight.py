"""Every preflight problem: what will fail at apply time, found by reading the workspace first, each
with its fix. Errors where the apply sends the part that fails; warnings where it leaves it alone."""

from __future__ import annotations

import copy
import json

import pytest
from databricks.sdk.service.serving import EndpointCoreConfigInput, ServedEntityInput

from plan_support import (
    CHAT,
    DEPLOYER,
    SEARCH,
    TOKEN,
    baseline,
    change,
    codes,
    deploy,
    document,
    finding,
    plan,
    state_file,
    texts,
    write_stack,
)
from servingstack.client.workspace import WorkspaceMismatch
from servingstack.plan.runner import run_plan


def _fraud(after: dict) -> dict:
    return after["resource"]["databricks_model_serving"]["fraud"]


def test_model_versions_that_do_not_exist_or_are_not_ready_fail_the_deploy(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    entities = _fraud(after)["config"]["served_entities"]
    entities += [
        {"name": "v5", "entity_name": "ml.fraud.scorer", "entity_version": "5", "workload_size": "Small"},
        {"name": "v9", "entity_name": "ml.fraud.scorer", "entity_version": "9", "workload_size": "Small"},
        {"name": "other", "entity_name": "ml.fraud.nothing", "entity_version": "1", "workload_size": "Small"},
        {"name": "ads1", "entity_name": "ads-model", "entity_version": "1", "workload_size": "Small"},
        {"name": "ads2", "entity_name": "ads-model", "entity_version": "2", "workload_size": "Small"},
        {"name": "ads3", "entity_name": "ads-model", "entity_version": "3", "workload_size": "Small"},
    ]
    _fraud(after)["config"]["traffic_config"]["routes"] += [
        {"served_model_name": name, "traffic_percentage": 0} for name in ("v5", "v9", "other", "ads1", "ads2", "ads3")
    ]
    report = plan(emu, tmp_path, after)
    not_ready = finding(report, "model_version_not_ready", "ml.fraud.scorer 5")
    assert not_ready.severity == "error" and "is PENDING_REGISTRATION, not READY" in not_ready.message
    assert "wait until its registration finishes" in not_ready.fix
    missing = finding(report, "model_version_missing", "ml.fraud.scorer 9")
    assert missing.message == (
        "served entity v9 of demo-fraud: Unity Catalog model version ml.fraud.scorer 9 does not exist"
    )
    assert missing.fix.startswith("register that version first")
    assert finding(report, "model_missing", "ml.fraud.nothing").severity == "error"
    registry = finding(report, "model_version_not_ready", "ads-model 2")
    assert "Workspace Model Registry model version ads-model 2 is FAILED_REGISTRATION" in registry.message
    assert finding(report, "model_version_missing", "ads-model 3").severity == "error"
    assert "ads-model 1" not in {f.subject for f in report.findings}  # READY
    assert report.exit_code() == 1


def test_a_version_that_vanished_under_an_unchanged_endpoint_is_a_warning(emu, tmp_path):
    seed = {"models": {"ml.fraud.scorer": [3, 4]}}
    deploy(emu, tmp_path, document({"fraud": _without_gateway()}), seed=seed)
    emu.workspace.unity_catalog._models["ml.fraud.scorer"].versions.pop("4")  # deleted since the last apply
    report = plan(emu, tmp_path, document({"fraud": _without_gateway()}))
    vanished = finding(report, "model_version_missing", "ml.fraud.scorer 4")
    assert vanished.severity == "warning" and "its next change fails" in vanished.message
    assert report.exit_code() == 0


def _without_gateway() -> dict:
    fraud = copy.deepcopy(baseline()["resource"]["databricks_model_serving"]["fraud"])
    del fraud["ai_gateway"]
    return fraud


def test_missing_secrets_scopes_and_keys_in_a_scope_this_apply_creates(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    endpoints = after["resource"]["databricks_model_serving"]
    key = endpoints["chat"]["config"]["served_entities"][0]["external_model"]["openai_config"]
    key["openai_api_key"] = "{{secrets/llm-keys/openai-2025}}"
    _fraud(after)["config"]["served_entities"][0]["environment_vars"] = {
        "TOKEN": "{{secrets/fraud/feature-store}}",
        "PASSWORD": "hunter2-literal",  # a literal value is a change too, and is never shown
    }
    fresh = copy.deepcopy(CHAT)
    fresh["name"] = "demo-chat-2"
    fresh["config"]["served_entities"][0]["external_model"]["openai_config"]["openai_api_key"] = (
        "{{secrets/new-keys/openai}}"
    )
    endpoints["chat2"] = fresh
    after["resource"]["databricks_secret_scope"]["new-keys"] = {"name": "new-keys"}
    emu.reset_request_count()
    report = plan(emu, tmp_path, after)
    # Metadata only: key names are listed, no secret's value is ever asked for.
    assert emu.request_count(path_prefix="/api/2.0/secrets/list") > 0
    assert emu.request_count(path_prefix="/api/2.0/secrets/get") == 0
    assert texts(report, "databricks_model_serving.chat") == [
        "served entity gpt-4o openai_api_key: secret llm-keys/openai → secret llm-keys/openai-2025"
    ]
    assert texts(report, "databricks_model_serving.fraud") == [
        "served entity v3 env PASSWORD: none → ***",
        "served entity v3 env TOKEN: none → secret fraud/feature-store",
    ]
    assert "hunter2-literal" not in json.dumps(report.to_dict())
    missing = finding(report, "secret_missing", "llm-keys/openai-2025")
    assert missing.severity == "error"
    assert "Secret does not exist with scope: llm-keys and key: openai-2025" in missing.message
    assert missing.fix == "databricks secrets put-secret llm-keys openai-2025 (the value is never read by the plan)"
    scope = finding(report, "scope_missing", "fraud")
    assert "scope fraud does not exist" in scope.message and scope.severity == "error"
    new = finding(report, "secret_in_new_scope", "new-keys/openai")
    assert "this apply creates scope new-keys empty" in new.message and "-target" in new.fix


def test_unknown_users_groups_and_service_principals(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    after["resource"]["databricks_permissions"]["fraud_Permissions_0000"]["access_control"] += [
        {"group_name": "fraud-analysts", "permission_level": "CAN_VIEW"},
        {"user_name": "mallory@example.com", "permission_level": "CAN_QUERY"},
        {"service_principal_name": "11111111-2222-3333-4444-555555555555", "permission_level": "CAN_QUERY"},
    ]
    _fraud(after)["ai_gateway"]["rate_limits"].append(
        {"key": "user_group", "principal": "ghost-team", "calls": 10, "renewal_period": "minute"}
    )
    after["resource"]["databricks_secret_acl"]["llm-keys_acl-bob"] = {
        "scope": "llm-keys",
        "principal": "bob@example.com",
        "permission": "READ",
    }
    after["resource"]["databricks_grant"]["grant-account"] = {
        "catalog": "ml",
        "principal": "platform-account-group",
        "privileges": ["USE_CATALOG"],
    }
    report = plan(emu, tmp_path, after)
    group = finding(report, "principal_unknown", "group fraud-analysts")
    assert group.severity == "error" and group.message == (
        "endpoint permissions: group 'fraud-analysts' does not exist in the workspace: the apply fails"
    )
    assert finding(report, "principal_unknown", "user mallory@example.com").severity == "error"
    principal = finding(report, "principal_unknown", "service principal 11111111-2222-3333-4444-555555555555")
    assert "named by its application id" in principal.fix
    assert finding(report, "principal_unknown", "group ghost-team").message.startswith("AI Gateway rate limit:")
    assert finding(report, "principal_unknown", "user bob@example.com").message.startswith("secret ACL:")
    account = finding(report, "principal_unknown", "group platform-account-group")
    assert account.severity == "warning" and "account-level principals" in account.message
    known = {f.subject for f in report.findings if f.code == "principal_unknown"}
    assert "group data-scientists" not in known and f"service principal {DEPLOYER}" not in known


def test_inference_table_catalogs_and_schemas_must_exist(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    _fraud(after)["ai_gateway"]["inference_table_config"]["schema_name"] = "fraud_logs"
    search = after["resource"]["databricks_model_serving"]["search"]
    search["ai_gateway"] = {"inference_table_config": {"enabled": True, "catalog_name": "finance", "schema_name": "x"}}
    report = plan(emu, tmp_path, after)
    schema = finding(report, "schema_missing", "ml.fraud_logs")
    assert schema.severity == "error" and "create schema ml.fraud_logs" in schema.fix
    catalog = finding(report, "catalog_missing", "finance")
    assert catalog.message == "demo-search: the AI Gateway inference table's catalog finance does not exist"


def test_a_grant_on_a_securable_that_does_not_exist(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    after["resource"]["databricks_grant"]["grant-schema"]["schema"] = "ml.does_not_exist"
    report = plan(emu, tmp_path, after)
    missing = finding(report, "securable_missing", "schema ml.does_not_exist")
    assert missing.severity == "error" and missing.message == (
        "schema ml.does_not_exist does not exist in Unity Catalog: the grant fails"
    )
    assert change(report, "databricks_grant.grant-schema").action == "create"


def test_an_update_already_running_makes_the_config_update_fail(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    w = emu.client()
    emu.never_ready("demo-search")
    w.serving_endpoints.update_config(
        "demo-search",
        served_entities=[ServedEntityInput(name="v1", entity_name="ml.search.ranker", entity_version="2")],
    )
    after = baseline()
    after["resource"]["databricks_model_serving"]["search"]["config"]["served_entities"][0]["workload_size"] = "Medium"
    report = plan(emu, tmp_path, after)
    running = finding(report, "update_in_progress", "demo-search")
    assert running.severity == "error" and "another update can not be made" in running.message


def test_the_stack_declaring_another_workspace_is_refused_before_any_read(emu, tmp_path):
    """The rule check and emulator apply share (client/workspace.py): a plan against another workspace
    than the stack's describes nothing Terraform would do there."""
    deploy(emu, tmp_path, baseline())
    after = baseline()
    after["provider"] = {"databricks": [{"host": "https://adb-123.azuredatabricks.net"}]}
    before = emu.workspace.requests.count()
    with pytest.raises(WorkspaceMismatch, match=r"declares host https://adb-123\.azuredatabricks\.net.*--host names"):
        plan(emu, tmp_path, after)
    assert emu.workspace.requests.count() == before  # refused before any request
    after["provider"] = {"databricks": [{"host": emu.url.upper() + "/"}]}  # the same workspace, spelt otherwise
    assert plan(emu, tmp_path, after).exit_code() == 0


def test_the_stack_declaring_its_workspace_is_planned_there_when_none_is_given(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    after["provider"] = {"databricks": [{"host": emu.url}]}
    stack = write_stack(tmp_path / "declared", after)
    report = run_plan(stack, token=TOKEN, state=state_file(tmp_path), timeout=30)
    assert report.host.rstrip("/") == emu.url.rstrip("/") and report.exit_code() == 0


def test_the_workspace_endpoint_limit_and_the_operation_rate(emu, tmp_path, monkeypatch):
    from servingstack.plan import preflight

    deploy(emu, tmp_path, baseline())
    after = baseline()
    for index in range(3):
        extra = copy.deepcopy(SEARCH)
        extra["name"] = f"demo-extra-{index}"
        after["resource"]["databricks_model_serving"][f"extra{index}"] = extra
    monkeypatch.setattr(preflight, "MAX_ENDPOINTS_PER_WORKSPACE", 5)
    monkeypatch.setattr(preflight, "OPERATIONS_PER_5_MINUTES", 2)
    report = plan(emu, tmp_path, after)
    quota = finding(report, "endpoint_quota")
    assert quota.severity == "error"
    assert quota.message == (
        "the workspace has 3 serving endpoints; 3 more makes 6, over its limit of 5: creates beyond it fail"
    )
    assert finding(report, "operation_rate").severity == "warning"


@pytest.mark.parametrize("kind", ["unreadable", "forbidden"])
def test_a_read_that_fails_makes_the_plan_incomplete_and_says_so(emu, tmp_path, kind):
    deploy(emu, tmp_path, baseline())
    if kind == "unreadable":
        emu.server_errors(1000, status=500, endpoint="demo-chat", scope="control")
        report = plan(emu, tmp_path, baseline(), timeout=3)
        unread = finding(report, "unread", "demo-chat")
        assert unread.severity == "error" and "could not read the live endpoint 'demo-chat'" in unread.message
        assert "gave up after" in unread.message
    else:
        w = emu.client()
        w.serving_endpoints.create(
            name="demo-elsewhere",
            config=EndpointCoreConfigInput(
                name="demo-elsewhere",
                served_entities=[ServedEntityInput(entity_name="ml.search.ranker", entity_version="1")],
            ),
        )
        report = plan(emu, tmp_path, baseline())
        assert "unread" not in codes(report)
    assert report.reads > 0
