"""Every kind of change a plan reports, in serving terms, against a stack applied to the emulator and
then changed: create, update (config, gateway, tags), replace (a ForceNew field, a rename), delete,
unchanged; permissions, secret scopes and ACLs, Unity Catalog grants; what each takes away, and what
Terraform will not apply. All reads go over HTTP through the unmodified databricks-sdk."""

from __future__ import annotations

import copy
import json

from databricks.sdk.service.serving import EndpointCoreConfigInput, EndpointTag, ServedEntityInput
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest as Grant
from databricks.sdk.service.serving import ServingEndpointPermissionLevel as Level

from plan_support import (
    CHAT,
    DEPLOYER,
    SEARCH,
    baseline,
    change,
    codes,
    deploy,
    document,
    finding,
    plan,
    texts,
)

ARROW = "→"


def test_a_stack_just_applied_plans_no_change(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    report = plan(emu, tmp_path, baseline())
    assert report.counts() == {"create": 0, "update": 0, "replace": 0, "delete": 0, "unchanged": 7}
    assert not report.changes_present and report.exit_code() == 0 and report.exit_code(detailed=True) == 0
    assert report.ownership.kind == "emulator" and report.ownership.source.endswith("servingstack-emulator.demo.json")
    assert codes(report, "error") == []


def test_a_traffic_shift_a_new_version_a_gateway_and_a_tag_change_are_one_update_each_path(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    w = emu.client()
    w.serving_endpoints.patch("demo-fraud", add_tags=[EndpointTag(key="on-call", value="team-b")])  # by hand
    after = baseline()
    fraud = after["resource"]["databricks_model_serving"]["fraud"]
    fraud["config"]["served_entities"].append(
        {"name": "v6", "entity_name": "ml.fraud.scorer", "entity_version": "6", "workload_size": "Small"}
    )
    fraud["config"]["traffic_config"]["routes"] = [
        {"served_model_name": "v3", "traffic_percentage": 50},
        {"served_model_name": "v4", "traffic_percentage": 40},
        {"served_model_name": "v6", "traffic_percentage": 10},
    ]
    fraud["config"]["served_entities"][1]["workload_size"] = "Medium"
    fraud["ai_gateway"]["rate_limits"][0]["calls"] = 6000
    fraud["tags"] = [{"key": "team", "value": "ml-platform"}]
    report = plan(emu, tmp_path, after)
    fraud_change = change(report, "databricks_model_serving.fraud")
    assert fraud_change.action == "update"
    lines = texts(report, "databricks_model_serving.fraud")
    assert "+ served entity v6 (ml.fraud.scorer 6, Small)" in lines
    assert f"traffic v3: 90% {ARROW} 50%" in lines and f"traffic v4: 10% {ARROW} 40%" in lines
    assert f"traffic v6: 0% {ARROW} 10%" in lines
    assert f"served entity v4 workload_size: Small {ARROW} Medium" in lines
    assert f"rate limit endpoint: calls 600 {ARROW} 6000" in lines
    assert f"tag team: ml {ARROW} ml-platform" in lines
    assert "- tag on-call=team-b (not declared: the tag update deletes it)" in lines
    effects = " ".join(fraud_change.effects)
    assert "zero-downtime config update (PUT /api/2.0/serving-endpoints/demo-fraud/config)" in effects
    assert "gateway update (PUT /api/2.0/serving-endpoints/demo-fraud/ai-gateway)" in effects
    assert "tag update (PATCH /api/2.0/serving-endpoints/demo-fraud/tags): immediate, nothing redeploys" in effects
    assert [(t.entity, t.before, t.after, t.changed) for t in fraud_change.traffic] == [
        ("v3", 90, 50, False),
        ("v4", 10, 40, True),
        ("v6", None, 10, False),
    ]
    # What it takes away: v3's traffic, the hand-made tag.
    assert finding(report, "traffic_leaves", "v3").message.endswith(f"loses traffic: 90% {ARROW} 50%")
    assert "on-call" in finding(report, "tag_removed").message
    assert report.exit_code() == 0 and report.exit_code(detailed=True) == 5


def test_a_removed_entity_says_where_its_traffic_goes(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    fraud = after["resource"]["databricks_model_serving"]["fraud"]
    fraud["config"]["served_entities"] = fraud["config"]["served_entities"][1:]
    fraud["config"]["traffic_config"]["routes"] = [{"served_model_name": "v4", "traffic_percentage": 100}]
    report = plan(emu, tmp_path, after)
    assert "- served entity v3 (ml.fraud.scorer)" in texts(report, "databricks_model_serving.fraud")
    assert finding(report, "traffic_leaves", "v3").message == (
        "served entity v3 (ml.fraud.scorer 3) is removed with its 90% of the traffic; it moves to v4"
    )


def test_a_forcenew_field_replaces_the_endpoint_and_its_permissions(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    after["resource"]["databricks_model_serving"]["fraud"]["route_optimized"] = True
    report = plan(emu, tmp_path, after)
    fraud = change(report, "databricks_model_serving.fraud")
    assert fraud.action == "replace"
    assert f"route_optimized: none {ARROW} on (forces replacement)" in texts(report, "databricks_model_serving.fraud")
    assert fraud.effects == [
        "replacement (route_optimized is ForceNew: serving/resource_model_serving.go, ResourceModelServing): "
        "Terraform deletes demo-fraud and creates it again (DELETE, then POST /api/2.0/serving-endpoints), "
        "waiting up to 60m for it"
    ]
    assert change(report, "databricks_permissions.fraud_Permissions_0000").action == "replace"
    assert "answers no query until the new one is ready" in finding(report, "endpoint_replaced").message


def test_a_renamed_endpoint_is_a_replacement_by_the_state_and_an_unowned_one_is_a_delete(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    after["resource"]["databricks_model_serving"]["search"]["name"] = "demo-search-v2"
    del after["resource"]["databricks_model_serving"]["chat"]
    report = plan(emu, tmp_path, after)
    search = change(report, "databricks_model_serving.search")
    assert search.action == "replace" and f"name: demo-search {ARROW} demo-search-v2" in texts(
        report, "databricks_model_serving.search"
    )
    assert [(t.entity, t.before, t.after) for t in search.traffic] == [("v1", 100, 100)]
    chat = change(report, "databricks_model_serving.chat")
    assert chat.action == "delete" and chat.name == "demo-chat"
    assert "every query to it fails" in finding(report, "endpoint_deleted").message
    # Without the state, nothing is known to be owned: no delete, no rename.
    blind = plan(emu, tmp_path, after, use_state=False)
    assert [c.action for c in blind.changes if c.address == "databricks_model_serving.search"] == ["create"]
    assert all(c.action != "delete" for c in blind.changes)


def test_a_new_endpoint_is_a_create_that_terraform_deletes_if_its_deployment_fails(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    extra = copy.deepcopy(SEARCH)
    extra["name"] = "demo-rank"
    after["resource"]["databricks_model_serving"]["rank"] = extra
    report = plan(emu, tmp_path, after)
    rank = change(report, "databricks_model_serving.rank")
    assert rank.action == "create" and texts(report, "databricks_model_serving.rank") == [
        "+ served entity v1 (ml.search.ranker 1, Small)",
        "traffic v1: 100%",
    ]
    assert "waits up to 45m" in rank.effects[0] and "the provider deletes the endpoint" in rank.effects[0]


def test_fields_the_provider_never_sends_after_create_are_reported_with_the_way_to_apply_them(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    endpoints = after["resource"]["databricks_model_serving"]
    endpoints["chat"]["description"] = "Support chat (GPT-4o)"
    endpoints["fraud"]["email_notifications"] = {"on_update_failure": ["oncall@example.com"]}
    report = plan(emu, tmp_path, after)
    assert change(report, "databricks_model_serving.chat").action == "unchanged"  # nothing is sent
    description = finding(report, "not_applied", "description")
    assert description.category == "not_applied" and description.severity == "warning"
    assert f"description: Support chat {ARROW} Support chat (GPT-4o)" in description.message
    assert "never sends description after create (serving/resource_model_serving.go, Update)" in description.message
    assert description.fix == (
        "terraform apply -replace=databricks_model_serving.chat "
        "(a replacement: the endpoint is deleted and created again)"
    )
    notifications = finding(report, "not_applied", "email_notifications.on_update_failure")
    assert "PATCH /api/2.0/serving-endpoints/demo-fraud/notifications" in notifications.fix
    assert report.exit_code() == 0 and report.exit_code(detailed=True) == 0  # no change at the service


def test_permissions_are_authoritative_a_grant_made_by_hand_is_taken_away(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    w = emu.client()
    endpoint_id = w.serving_endpoints.get("demo-fraud").id
    w.serving_endpoints.update_permissions(
        endpoint_id, access_control_list=[Grant(group_name="interns", permission_level=Level.CAN_QUERY)]
    )
    after = baseline()
    after["resource"]["databricks_permissions"]["fraud_Permissions_0000"]["access_control"] = [
        {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
        {"group_name": "ml-platform", "permission_level": "CAN_QUERY"},
        {"user_name": "alice@example.com", "permission_level": "CAN_VIEW"},
    ]
    report = plan(emu, tmp_path, after)
    permissions = change(report, "databricks_permissions.fraud_Permissions_0000")
    assert permissions.action == "update"
    assert sorted(texts(report, "databricks_permissions.fraud_Permissions_0000")) == [
        "+ user alice@example.com CAN_VIEW",
        "- group interns CAN_QUERY (granted outside the stack)",
        f"group ml-platform: CAN_MANAGE {ARROW} CAN_QUERY",
    ]
    removed = finding(report, "grant_removed", "group_name:interns")
    assert "loses CAN_QUERY on demo-fraud" in removed.message and removed.fix.startswith("declare it (grant_query")
    assert "drops from CAN_MANAGE to CAN_QUERY" in finding(report, "access_lowered").message
    # The caller's own CAN_MANAGE (the creator's) is never taken away: the provider keeps it.
    assert not any("dev@servingstack.local" in f.message for f in report.findings)


def test_scopes_acls_and_grants(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    w = emu.client()
    w.secrets.create_scope("team-keys")  # made by hand
    w.grants.update(
        "schema", "ml.fraud_serving", changes=[_change(DEPLOYER, ["CREATE_TABLE", "SELECT"])]
    )  # privileges held outside the stack
    after = baseline()
    after["resource"]["databricks_secret_scope"]["new-keys"] = {"name": "new-keys"}
    after["resource"]["databricks_secret_acl"]["llm-keys_acl-ml-platform"]["permission"] = "MANAGE"
    after["resource"]["databricks_secret_acl"]["new-keys_acl"] = {
        "scope": "new-keys",
        "principal": "data-scientists",
        "permission": "READ",
    }
    after["resource"]["databricks_grant"]["grant-schema"]["privileges"] = ["USE_SCHEMA", "CREATE_TABLE"]
    after["resource"]["databricks_grant"]["grant-model"] = {
        "model": "ml.fraud.scorer",
        "principal": DEPLOYER,
        "privileges": ["EXECUTE"],
    }
    report = plan(emu, tmp_path, after, use_state=False)
    assert change(report, "databricks_secret_scope.new-keys").action == "create"
    assert change(report, "databricks_secret_scope.llm-keys").action == "unchanged"
    acl = change(report, "databricks_secret_acl.llm-keys_acl-ml-platform")
    assert acl.action == "replace" and acl.fields[0].text == f"ml-platform: READ {ARROW} MANAGE (forces replacement)"
    assert change(report, "databricks_secret_acl.new-keys_acl").action == "create"
    grant = change(report, "databricks_grant.grant-schema")
    assert grant.action == "update" and [f.text for f in grant.fields] == ["- SELECT (held outside the stack)"]
    lost = finding(report, "privileges_removed", DEPLOYER)
    assert f"{DEPLOYER} loses SELECT on schema ml.fraud_serving" in lost.message
    assert change(report, "databricks_grant.grant-model").action == "create"
    # The grants API names a registered model's securable type FUNCTION (provider, permissions.go).
    assert change(report, "databricks_grant.grant-model").fields[0].text == "+ EXECUTE"


def _change(principal: str, add: list[str]):
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    return PermissionsChange(principal=principal, add=[Privilege(p) for p in add])


def test_provisioned_throughput_endpoints_take_their_own_update_path(emu, tmp_path):
    pt = {
        "name": "demo-maverick",
        "config": {
            "served_entities": [
                {
                    "name": "maverick",
                    "entity_name": "system.ai.llama-4-maverick",
                    "entity_version": "1",
                    "provisioned_model_units": 100,
                }
            ]
        },
        "budget_policy_id": "policy-a",
    }
    before = document({"chat": CHAT}, databricks_model_serving_provisioned_throughput={"maverick": pt})
    deploy(emu, tmp_path, before)
    after = copy.deepcopy(before)
    body = after["resource"]["databricks_model_serving_provisioned_throughput"]["maverick"]
    body["config"]["served_entities"][0]["provisioned_model_units"] = 200
    body["budget_policy_id"] = "policy-b"
    report = plan(emu, tmp_path, after)
    maverick = change(report, "databricks_model_serving_provisioned_throughput.maverick")
    assert maverick.action == "update"
    assert f"served entity maverick provisioned_model_units: 100 {ARROW} 200" in texts(
        report, "databricks_model_serving_provisioned_throughput.maverick"
    )
    assert maverick.effects[0].startswith(
        "zero-downtime config update (PUT /api/2.0/serving-endpoints/pt/demo-maverick/"
    )
    assert finding(report, "not_applied", "budget_policy_id").fix.startswith(
        "terraform apply -replace=databricks_model_serving_provisioned_throughput.maverick"
    )


def test_a_terraform_state_says_what_the_stack_owns(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    w = emu.client()
    chat_id = w.serving_endpoints.get("demo-chat").id
    state = {
        "version": 4,
        "lineage": "x",
        "resources": [
            {
                "mode": "managed",
                "type": "databricks_model_serving",
                "name": "fraud",
                "instances": [{"attributes": {"id": "demo-fraud", "name": "demo-fraud", "config": [{"x": 1}]}}],
            },
            {
                "mode": "managed",
                "type": "databricks_model_serving",
                "name": "chat",
                "instances": [{"attributes": {"id": "demo-chat", "name": "demo-chat"}}],
            },
            {
                "mode": "managed",
                "type": "databricks_permissions",
                "name": "chat_Permissions_0000",
                "instances": [{"attributes": {"id": f"/serving-endpoints/{chat_id}", "serving_endpoint_id": chat_id}}],
            },
            {
                "mode": "managed",
                "type": "databricks_secret_scope",
                "name": "old-keys",
                "instances": [{"attributes": {"id": "llm-keys-old", "name": "llm-keys-old"}}],
            },
        ],
    }
    w.secrets.create_scope("llm-keys-old")
    file = tmp_path / "terraform.demo.tfstate"
    file.write_text(json.dumps(state))
    report = plan(emu, tmp_path, baseline(), state=file)
    assert report.ownership.kind == "terraform" and report.ownership.source == str(file)
    # demo-search is live but not in the state: its create fails.
    taken = finding(report, "name_taken", "demo-search")
    assert taken.severity == "error" and "terraform import databricks_model_serving.search demo-search" in taken.fix
    assert change(report, "databricks_permissions.chat_Permissions_0000").action == "delete"
    assert "except the admins' and the caller's" in finding(report, "grants_removed").message
    assert change(report, "databricks_secret_scope.old-keys").action == "delete"
    assert finding(report, "scope_deleted").message.startswith(
        "secret scope llm-keys-old and its 0 secret(s) are deleted (no longer declared)"
    )
    assert report.exit_code() == 1


def test_a_hand_made_endpoint_with_a_declared_name_is_a_create_that_fails(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    w = emu.client()
    w.serving_endpoints.create(
        name="demo-rank",
        config=EndpointCoreConfigInput(
            name="demo-rank",
            served_entities=[
                ServedEntityInput(entity_name="ml.search.ranker", entity_version="1", workload_size="Small")
            ],
        ),
    )
    after = baseline()
    extra = copy.deepcopy(SEARCH)
    extra["name"] = "demo-rank"
    after["resource"]["databricks_model_serving"]["rank"] = extra
    report = plan(emu, tmp_path, after)
    taken = finding(report, "name_taken", "demo-rank")
    assert taken.severity == "error" and 'the create fails with "already exists"' in taken.message
    assert change(report, "databricks_model_serving.rank").action == "create"
    assert report.exit_code() == 1
    # Without a state the plan cannot tell: a warning that says so, naming the resource.
    blind = plan(emu, tmp_path, after, use_state=False)
    warning = finding(blind, "ownership_unknown")
    assert warning.severity == "warning" and "endpoint demo-rank" in warning.message
    assert "name_taken" not in codes(blind)


def test_grants_on_an_endpoint_made_elsewhere_are_read_by_its_id(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    endpoint_id = emu.client().serving_endpoints.get("demo-search").id
    after = baseline()
    after["resource"]["databricks_permissions"]["external"] = {
        "serving_endpoint_id": endpoint_id,
        "access_control": [{"group_name": "data-scientists", "permission_level": "CAN_QUERY"}],
    }
    after["resource"]["databricks_permissions"]["missing"] = {
        "serving_endpoint_id": "0123456789abcdef",
        "access_control": [{"group_name": "data-scientists", "permission_level": "CAN_QUERY"}],
    }
    report = plan(emu, tmp_path, after)
    assert texts(report, "databricks_permissions.external") == ["+ group data-scientists CAN_QUERY"]
    assert finding(report, "endpoint_missing", "0123456789abcdef").severity == "error"
