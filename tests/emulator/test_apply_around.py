"""`emulator apply` for apps, and for every kind of resource leaving a stack: each deleted the way the
provider's Delete does it, only what this stack's applies created, never anyone else's."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from click.testing import CliRunner
from databricks.sdk.service.apps import App
from databricks.sdk.service.catalog import PermissionsChange, Privilege

from emu_support import TOKEN, create_foundation
from servingstack.cli import main
from servingstack.deploy.apply import PlanError, apply_stack
from servingstack.facts.stackfile import load_stack
from test_apply import write_stack

DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"
APP_PRINCIPAL = "${databricks_app.bot.service_principal_client_id}"


def document() -> dict:
    """A stack in the shape `cdktf synth` writes: a scope with two ACLs, an endpoint reading it with
    grants (the app's principal among them), an app querying it, and two deployer grants."""
    return {
        "resource": {
            "databricks_secret_scope": {"keys": {"name": "llm-keys"}},
            "databricks_secret_acl": {
                "keys_read": {"scope": "llm-keys", "principal": DEPLOYER, "permission": "READ"},
                "keys_manage": {"scope": "llm-keys", "principal": "ml-platform", "permission": "MANAGE"},
            },
            "databricks_model_serving": {
                "chat": {
                    "name": "test-chat",
                    "config": {
                        "served_entities": [
                            {
                                "name": "gpt",
                                "external_model": {
                                    "name": "gpt-4o",
                                    "provider": "openai",
                                    "task": "llm/v1/chat",
                                    "openai_config": {"openai_api_key": "{{secrets/llm-keys/openai}}"},
                                },
                            }
                        ]
                    },
                    "ai_gateway": {"inference_table_config": {"catalog_name": "ml", "schema_name": "logs"}},
                    "depends_on": ["databricks_secret_scope.keys"],
                }
            },
            "databricks_permissions": {
                "chat_permissions": {
                    "serving_endpoint_id": "${databricks_model_serving.chat.serving_endpoint_id}",
                    "access_control": [
                        {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
                        {"service_principal_name": APP_PRINCIPAL, "permission_level": "CAN_QUERY"},
                    ],
                }
            },
            "databricks_app": {
                "bot": {
                    "name": "test-bot",
                    "description": "answers questions",
                    "resources": [
                        {
                            "name": "llm",
                            "serving_endpoint": {
                                "name": "${databricks_model_serving.chat.name}",
                                "permission": "CAN_QUERY",
                            },
                        }
                    ],
                }
            },
            "databricks_grant": {
                "catalog_ml": {"catalog": "ml", "principal": DEPLOYER, "privileges": ["USE_CATALOG"]},
                "schema_logs": {
                    "schema": "ml.logs",
                    "principal": DEPLOYER,
                    "privileges": ["CREATE_TABLE", "USE_SCHEMA"],
                },
            },
        }
    }


def without(doc: dict, kind: str, *logical_ids: str) -> dict:
    doc = copy.deepcopy(doc)
    for logical_id in logical_ids:
        del doc["resource"][kind][logical_id]
    if not doc["resource"][kind]:
        del doc["resource"][kind]
    return doc


def apply(emu, stack: Path):
    return CliRunner().invoke(
        main, ["emulator", "apply", "--stack", str(stack), "--host", emu.url, "--token", TOKEN], catch_exceptions=False
    )


def app_levels(w, endpoint: str, client_id: str) -> list[str]:
    acl = w.serving_endpoints.get_permissions(w.serving_endpoints.get(endpoint).id).access_control_list
    return [p.permission_level.value for a in acl if a.service_principal_name == client_id for p in a.all_permissions]


def held(w, securable: str, name: str) -> dict[str, set[str]]:
    return {
        a.principal: {p.value for p in a.privileges} for a in w.grants.get(securable, name).privilege_assignments or []
    }


def prepared(emu, w, tmp_path) -> Path:
    """The stack applied once, its key put, applied again: everything in place."""
    emu.set_app_seconds(start=0.1, delete=0.2)
    stack = write_stack(tmp_path / "test", document())
    first = apply(emu, stack)
    assert "+ created   databricks_app.bot" in first.output, first.output
    w.secrets.put_secret("llm-keys", "openai", string_value="sk-put-by-hand")
    second = apply(emu, stack)
    assert second.exit_code == 0, second.output
    return stack


def test_an_app_is_created_with_its_principal_in_the_endpoints_grants_then_nothing_changes(emu, w, tmp_path):
    stack = prepared(emu, w, tmp_path)
    app = w.apps.get("test-bot")
    assert app.compute_status.state.value == "ACTIVE" and app.description == "answers questions"
    # Granted by the app's resource and listed by the endpoint's authoritative grants: applying them kept it.
    assert app_levels(w, "test-chat", app.service_principal_client_id) == ["CAN_QUERY"]
    again = apply(emu, stack)
    assert again.output.strip().splitlines()[-1].startswith("No changes"), again.output


def test_an_app_changed_by_hand_is_set_back_and_an_undeclared_computed_field_is_kept(emu, w, tmp_path):
    stack = prepared(emu, w, tmp_path)
    live = w.apps.get("test-bot").as_dict()
    w.api_client.do(
        "PATCH",
        "/api/2.0/apps/test-bot",
        body={**{k: live[k] for k in ("name", "resources")}, "description": "changed by hand", "compute_size": "LARGE"},
    )
    result = apply(emu, stack)
    assert "~ updated   databricks_app.bot" in result.output and "(description)" in result.output, result.output
    app = w.apps.get("test-bot")
    assert app.description == "answers questions"
    assert app.compute_size.value == "LARGE"  # Optional+Computed in the provider: not declared, not reset

    # A declared resource change moves the principal's grant with it.
    doc = document()
    doc["resource"]["databricks_app"]["bot"]["resources"] = []
    doc["resource"]["databricks_permissions"]["chat_permissions"]["access_control"].pop()
    result = apply(emu, write_stack(tmp_path / "test", doc))
    assert "~ updated   databricks_app.bot" in result.output and "(resources)" in result.output, result.output
    assert app_levels(w, "test-chat", app.service_principal_client_id) == []


def test_every_kind_of_resource_leaving_the_stack_is_deleted(emu, w, tmp_path):
    stack = prepared(emu, w, tmp_path)
    client_id = w.apps.get("test-bot").service_principal_client_id
    # Not this stack's: never touched.
    w.secrets.create_scope("platform-keys")
    w.grants.update("catalog", "ml", changes=[PermissionsChange(principal="someone-else", add=[Privilege.USE_CATALOG])])
    create_foundation(w, "someone-elses-endpoint")

    # One ACL and one grant leave.
    doc = without(document(), "databricks_secret_acl", "keys_manage")
    doc = without(doc, "databricks_grant", "catalog_ml")
    result = apply(emu, write_stack(stack, doc))
    assert result.exit_code == 0, result.output
    assert "- deleted   databricks_secret_acl.keys_manage" in result.output
    assert "- deleted   databricks_grant.catalog_ml" in result.output and "(revoked USE_CATALOG)" in result.output
    assert {a.principal for a in w.secrets.list_acls("llm-keys")} == {DEPLOYER, "dev@servingstack.local"}
    assert held(w, "catalog", "ml") == {"someone-else": {"USE_CATALOG"}}
    assert held(w, "schema", "ml.logs") == {DEPLOYER: {"CREATE_TABLE", "USE_SCHEMA"}}

    # The app leaves (with its principal's grant, which the endpoint's grants drop too).
    doc["resource"]["databricks_permissions"]["chat_permissions"]["access_control"].pop()
    doc = without(doc, "databricks_app", "bot")
    result = apply(emu, write_stack(stack, doc))
    assert "- deleted   databricks_app.bot" in result.output, result.output
    assert w.apps.get("test-bot").compute_status.state.value == "DELETING"  # the service's delete is asynchronous
    time.sleep(0.3)
    assert [a.name for a in w.apps.list()] == []
    assert app_levels(w, "test-chat", client_id) == []

    # The scope leaves with its last ACL, after the endpoint that reads it; the last grant goes too.
    doc = without(doc, "databricks_secret_acl", "keys_read")
    doc = without(doc, "databricks_secret_scope", "keys")
    doc = without(doc, "databricks_permissions", "chat_permissions")
    doc = without(doc, "databricks_model_serving", "chat")
    doc = without(doc, "databricks_grant", "schema_logs")
    result = apply(emu, write_stack(stack, doc))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    deleted = [line.split()[2] for line in lines if line.startswith("- deleted")]
    assert deleted == [
        "databricks_permissions.chat_permissions",
        "databricks_model_serving.chat",
        "databricks_secret_acl.keys_read",
        "databricks_secret_scope.keys",
        "databricks_grant.schema_logs",
    ]
    assert "(with its scope)" in result.output
    assert [s.name for s in w.secrets.list_scopes()] == ["platform-keys"]
    assert held(w, "schema", "ml.logs") == {}
    assert {e.name for e in w.serving_endpoints.list()} == {"someone-elses-endpoint"}
    assert "No changes" in apply(emu, write_stack(stack, doc)).output


def test_a_grant_naming_an_app_the_stack_does_not_declare_applies_nothing(emu, w, tmp_path):
    doc = without(document(), "databricks_app", "bot")
    stack = load_stack(write_stack(tmp_path / "test", doc))
    try:
        apply_stack(stack, w, echo=lambda line: None)
    except PlanError as error:
        assert "databricks_app.bot, which this stack does not declare" in str(error)
    else:
        raise AssertionError("a dangling reference to an app applied")
    assert list(w.secrets.list_scopes()) == [] and list(w.serving_endpoints.list()) == []


def test_an_app_still_being_deleted_is_reported_and_created_once_it_is_gone(emu, w, tmp_path):
    emu.set_app_seconds(start=0, delete=0.5)
    create_foundation(w, "test-chat")
    w.apps.create(App(name="test-bot"))
    w.apps.delete("test-bot")
    doc = {"resource": {"databricks_app": document()["resource"]["databricks_app"]}}
    doc["resource"]["databricks_app"]["bot"]["resources"][0]["serving_endpoint"]["name"] = "test-chat"
    stack = write_stack(tmp_path / "test", doc)
    result = apply(emu, stack)
    assert result.exit_code == 1, result.output
    assert "! failed    databricks_app.bot" in result.output and "delete is still under way" in result.output
    time.sleep(0.55)
    assert "+ created   databricks_app.bot" in apply(emu, stack).output


def test_the_state_remembers_each_kind_it_manages(emu, w, tmp_path):
    stack = prepared(emu, w, tmp_path)
    (state_file,) = stack.glob("servingstack-emulator.*.json")
    workspace = json.loads(state_file.read_text())["workspaces"][emu.url]
    assert workspace["apps"] == {"test-bot": "databricks_app.bot"}
    assert workspace["secret_scopes"] == {"llm-keys": "databricks_secret_scope.keys"}
    assert workspace["secret_acls"] == {"keys_read": ["llm-keys", DEPLOYER], "keys_manage": ["llm-keys", "ml-platform"]}
    assert workspace["grants"]["catalog_ml"] == ["catalog", "ml", DEPLOYER]


def test_an_acl_or_grant_given_to_another_principal_is_replaced(emu, w, tmp_path):
    stack = prepared(emu, w, tmp_path)
    doc = document()
    doc["resource"]["databricks_secret_acl"]["keys_manage"]["principal"] = "ml-admins"
    doc["resource"]["databricks_grant"]["catalog_ml"]["principal"] = "new-deployer"
    result = apply(emu, write_stack(stack, doc))
    assert result.exit_code == 0, result.output
    # Every argument of a secret ACL forces a new one: created for the new principal, deleted for the old.
    assert "+ created   databricks_secret_acl.keys_manage" in result.output
    assert "- deleted   databricks_secret_acl.keys_manage" in result.output
    assert {a.principal: a.permission.value for a in w.secrets.list_acls("llm-keys")}.get("ml-platform") is None
    assert held(w, "catalog", "ml") == {"new-deployer": {"USE_CATALOG"}}
    assert "No changes" in apply(emu, write_stack(stack, doc)).output
