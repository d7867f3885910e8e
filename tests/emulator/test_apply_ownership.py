"""`emulator apply` behaves as Terraform does with its state: what the state does not hold is not
taken over. An endpoint, secret scope or app of the stack's name made by another stack or by hand
makes its create fail with the service's "already exists" (exit 1); what does not depend on it is
applied, what does is skipped; an import block adopts it on purpose."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from click.testing import CliRunner

from emu_support import TOKEN, create_custom, wait_ready
from servingstack.cli import main
from servingstack.deploy.state import default_state_path
from test_apply import stack_document, write_stack


def apply(emu, stack: Path, *extra: str):
    return CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, *extra],
        catch_exceptions=False,
    )


def with_scope(document: dict) -> dict:
    """The stack plus a secret scope, an ACL on it, and an endpoint reading a key of it."""
    document = copy.deepcopy(document)
    resources = document["resource"]
    resources["databricks_secret_scope"] = {"keys": {"name": "test-keys"}}
    resources["databricks_secret_acl"] = {"keys_acl": {"scope": "test-keys", "principal": "ds", "permission": "READ"}}
    resources["databricks_model_serving"]["bot"] = {
        "name": "test-bot",
        "config": {
            "served_entities": [
                {
                    "name": "claude",
                    "external_model": {
                        "name": "claude-sonnet",
                        "provider": "anthropic",
                        "task": "llm/v1/chat",
                        "anthropic_config": {"anthropic_api_key": "{{secrets/test-keys/anthropic}}"},
                    },
                }
            ]
        },
    }
    return document


def recorded(stack: Path) -> dict:
    (entry,) = json.loads(default_state_path(stack, "test").read_text())["workspaces"].values()
    return entry


def test_an_endpoint_made_by_hand_is_not_taken_over_and_the_rest_is_applied(emu, w, tmp_path):
    theirs = create_custom(w, "test-chat", "7", tags=None)  # same name as the stack's chat endpoint
    stack = write_stack(tmp_path / "test", stack_document())

    result = apply(emu, stack)

    assert result.exit_code == 1, result.output
    assert "! failed    databricks_model_serving.chat" in result.output
    assert (
        "Error: databricks_model_serving.chat: RESOURCE_ALREADY_EXISTS: Endpoint with name 'test-chat' already exists."
        in result.output
    )
    assert "import it: call .adopt() on its ServingEndpoint" in result.output
    assert 'import { to = databricks_model_serving.chat, id = "test-chat" }' in result.output
    # What does not depend on it is applied; its permissions are not.
    assert "+ created   databricks_model_serving.scorer" in result.output
    assert "+ created   databricks_permissions.scorer_permissions" in result.output
    assert "/ skipped   databricks_permissions.chat_permissions" in result.output
    assert "(databricks_model_serving.chat failed)" in result.output
    assert result.output.strip().endswith("Apply complete: 2 created, 0 updated, 0 unchanged, 1 failed, 1 skipped.")
    # Theirs is untouched: its config, its grants, and it is not in this stack's state.
    live = w.serving_endpoints.get("test-chat")
    assert live.id == theirs.id and [e.entity_version for e in live.config.served_entities] == ["7"]
    assert not live.ai_gateway
    groups = {a.group_name for a in w.serving_endpoints.get_permissions(theirs.id).access_control_list}
    assert "users" not in groups
    assert recorded(stack)["endpoints"] == {"test-scorer": "databricks_model_serving.scorer"}

    # Run again: still refused (nothing was adopted by the failure), and never deleted.
    again = apply(emu, stack)
    assert again.exit_code == 1 and "RESOURCE_ALREADY_EXISTS" in again.output
    emptied = apply(emu, write_stack(tmp_path / "test", {"resource": {}}))
    assert emptied.exit_code == 0, emptied.output
    assert {e.name for e in w.serving_endpoints.list()} == {"test-chat"}


def test_two_stacks_declaring_one_endpoint_the_second_is_refused(emu, w, tmp_path):
    first = write_stack(tmp_path / "one" / "test", stack_document())
    assert apply(emu, first).exit_code == 0
    wait_ready(w, "test-chat")
    # Another stack (its own state) declares the same chat endpoint with another rate limit.
    second = write_stack(tmp_path / "two" / "test", stack_document(calls=5))
    refused = apply(emu, second)
    assert refused.exit_code == 1
    assert "Endpoint with name 'test-chat' already exists" in refused.output
    assert w.serving_endpoints.get("test-chat").ai_gateway.rate_limits[0].calls == 60  # not "updated" to 5
    # The first stack's own state is intact: its next apply changes nothing.
    assert apply(emu, first).output.strip().splitlines()[-1] == "No changes: 4 resources unchanged."


def test_a_scope_made_by_hand_is_refused_and_what_needs_it_is_skipped(emu, w, tmp_path):
    w.secrets.create_scope("test-keys")
    stack = write_stack(tmp_path / "test", with_scope(stack_document()))

    result = apply(emu, stack)

    assert result.exit_code == 1
    assert (
        "Error: databricks_secret_scope.keys: RESOURCE_ALREADY_EXISTS: Scope test-keys already exists!" in result.output
    )
    assert "call .adopt() on its SecretScope, or declare it with SecretScope.from_name(...)" in result.output
    assert "/ skipped   databricks_secret_acl.keys_acl" in result.output
    assert "/ skipped   databricks_model_serving.bot" in result.output
    assert "(its secret scope test-keys failed)" in result.output
    assert "+ created   databricks_model_serving.chat" in result.output
    assert {a.principal for a in w.secrets.list_acls("test-keys")} == {"dev@servingstack.local"}  # no ACL for ds
    assert "test-bot" not in {e.name for e in w.serving_endpoints.list()}
    assert recorded(stack)["secret_scopes"] == {}


def test_an_import_block_adopts_what_runs_and_from_then_on_it_is_the_stacks(emu, w, tmp_path):
    theirs = create_custom(w, "test-chat", "7")
    w.secrets.create_scope("test-keys")
    w.secrets.put_secret("test-keys", "anthropic", string_value="sk-not-shown")
    document = with_scope(stack_document())
    document["import"] = [
        {"to": "databricks_model_serving.chat", "id": "test-chat"},
        {"to": "databricks_secret_scope.keys", "id": "test-keys"},
    ]
    stack = write_stack(tmp_path / "test", document)

    adopted = apply(emu, stack)

    assert adopted.exit_code == 0, adopted.output
    assert (
        "~ updated   databricks_model_serving.chat" in adopted.output
        and "(imported, config, ai_gateway)" in adopted.output
    )
    assert "= unchanged databricks_secret_scope.keys" in adopted.output and "test-keys (imported)" in adopted.output
    assert adopted.output.strip().endswith(", 2 imported into the state.")
    live = wait_ready(w, "test-chat")
    assert live.id == theirs.id and live.config.served_entities[0].external_model.name == "gpt-4o"
    assert recorded(stack)["endpoints"]["test-chat"] == "databricks_model_serving.chat"
    assert recorded(stack)["secret_scopes"] == {"test-keys": "databricks_secret_scope.keys"}

    # The import blocks have done their work: the next apply changes nothing, imports nothing.
    wait_ready(w, "test-bot")
    again = apply(emu, stack)
    assert again.output.strip().splitlines()[-1] == "No changes: 7 resources unchanged.", again.output
    # Adopted, it is the stack's: leaving the stack, it is deleted.
    gone = apply(emu, write_stack(tmp_path / "test", {"resource": {}}))
    assert gone.exit_code == 0 and "- deleted   databricks_model_serving.chat" in gone.output
    assert "- deleted   databricks_secret_scope.keys" in gone.output
    assert {e.name for e in w.serving_endpoints.list()} == set() and list(w.secrets.list_scopes()) == []


def test_an_import_block_for_something_that_does_not_exist_fails_as_terraforms_does(emu, w, tmp_path):
    document = stack_document()
    document["import"] = [{"to": "databricks_model_serving.chat", "id": "test-chat"}]
    result = apply(emu, write_stack(tmp_path / "test", document))
    assert result.exit_code == 1
    assert "Error: databricks_model_serving.chat: Cannot import non-existent remote object" in result.output
    assert "test-chat" not in {e.name for e in w.serving_endpoints.list()}
    assert "+ created   databricks_model_serving.scorer" in result.output


def test_a_state_written_before_scopes_were_recorded_takes_the_stacks_scopes_once(emu, w, tmp_path):
    """State files once recorded endpoints and permissions only: the scopes their applies made cannot
    be told apart, so the first apply that records scopes takes the declared ones it finds."""
    stack = write_stack(tmp_path / "test", with_scope(stack_document()))
    w.secrets.create_scope("test-keys")  # made by an earlier apply, which could not record it
    w.secrets.put_secret("test-keys", "anthropic", string_value="sk-not-shown")
    state = default_state_path(stack, "test")
    state.write_text(json.dumps({"version": 1, "workspaces": {emu.url: {"endpoints": {}, "permissions": {}}}}))

    result = apply(emu, stack)

    assert result.exit_code == 0, result.output
    assert "= unchanged databricks_secret_scope.keys" in result.output
    written = json.loads(state.read_text())["workspaces"][emu.url]
    assert written["secret_scopes"] == {"test-keys": "databricks_secret_scope.keys"}
    # Once recorded, the rule holds again: a scope made by hand is not taken.
    w.secrets.create_scope("test-other")
    document = with_scope(stack_document())
    document["resource"]["databricks_secret_scope"]["other"] = {"name": "test-other"}
    refused = apply(emu, write_stack(tmp_path / "test", document))
    assert refused.exit_code == 1 and "Scope test-other already exists!" in refused.output


def with_app(document: dict) -> dict:
    """The stack plus an app querying its chat endpoint, whose service principal the endpoint's
    permissions grant CAN_QUERY (as `ServingApp` writes them)."""
    document = copy.deepcopy(document)
    resources = document["resource"]
    resources["databricks_app"] = {
        "bot": {
            "name": "test-bot-app",
            "description": "answers questions",
            "resources": [
                {
                    "name": "llm",
                    "serving_endpoint": {"name": "${databricks_model_serving.chat.name}", "permission": "CAN_QUERY"},
                }
            ],
        }
    }
    resources["databricks_permissions"]["chat_permissions"]["access_control"].append(
        {
            "service_principal_name": "${databricks_app.bot.service_principal_client_id}",
            "permission_level": "CAN_QUERY",
        }
    )
    return document


def test_an_app_made_by_hand_is_not_taken_over_and_what_grants_to_its_principal_is_skipped(emu, w, tmp_path):
    from databricks.sdk.service.apps import App

    emu.set_app_seconds(start=0, delete=0)
    theirs = w.apps.create(App(name="test-bot-app", description="made by hand")).response
    stack = write_stack(tmp_path / "test", with_app(stack_document()))

    result = apply(emu, stack)

    assert result.exit_code == 1, result.output
    assert "! failed    databricks_app.bot" in result.output
    assert (
        "Error: databricks_app.bot: RESOURCE_ALREADY_EXISTS: An app with the same name already exists: test-bot-app"
        in result.output
    )
    assert "call .adopt() on its ServingApp" in result.output
    assert "/ skipped   databricks_permissions.chat_permissions" in result.output
    assert "(databricks_app.bot failed)" in result.output
    assert "+ created   databricks_model_serving.chat" in result.output  # what does not depend on it is applied
    live = w.apps.get("test-bot-app")
    assert live.description == "made by hand" and live.service_principal_client_id == theirs.service_principal_client_id
    assert recorded(stack)["apps"] == {}
    # Leaving the stack, it is not this stack's to delete.
    apply(emu, write_stack(tmp_path / "test", {"resource": {}}))
    assert w.apps.get("test-bot-app").description == "made by hand"


def test_an_app_whose_endpoint_failed_is_skipped(emu, w, tmp_path):
    create_custom(w, "test-chat", "7")  # the stack's chat endpoint, made by hand: its create fails
    result = apply(emu, write_stack(tmp_path / "test", with_app(stack_document())))
    assert result.exit_code == 1, result.output
    assert "/ skipped   databricks_app.bot" in result.output and "(its endpoint test-chat failed)" in result.output
    assert "/ skipped   databricks_permissions.chat_permissions" in result.output
    assert "test-bot-app" not in {a.name for a in w.apps.list()}


def test_an_import_block_adopts_an_app_and_from_then_on_it_is_the_stacks(emu, w, tmp_path):
    from databricks.sdk.service.apps import App

    emu.set_app_seconds(start=0, delete=0)
    theirs = w.apps.create(App(name="test-bot-app", description="made by hand")).response
    document = with_app(stack_document())
    document["import"] = [{"to": "databricks_app.bot", "id": "test-bot-app"}]
    stack = write_stack(tmp_path / "test", document)

    adopted = apply(emu, stack)

    assert adopted.exit_code == 0, adopted.output
    assert "~ updated   databricks_app.bot" in adopted.output and "(imported, description, resources)" in adopted.output
    assert adopted.output.strip().endswith(", 1 imported into the state.")
    live = w.apps.get("test-bot-app")
    assert live.description == "answers questions" and live.id == theirs.id
    assert recorded(stack)["apps"] == {"test-bot-app": "databricks_app.bot"}
    wait_ready(w, "test-chat")
    wait_ready(w, "test-scorer")
    assert apply(emu, stack).output.strip().splitlines()[-1] == "No changes: 5 resources unchanged."
    gone = apply(emu, write_stack(tmp_path / "test", {"resource": {}}))
    assert "- deleted   databricks_app.bot" in gone.output, gone.output


def test_an_import_block_for_an_app_that_does_not_exist_fails_as_terraforms_does(emu, w, tmp_path):
    document = with_app(stack_document())
    document["import"] = [{"to": "databricks_app.bot", "id": "test-bot-app"}]
    result = apply(emu, write_stack(tmp_path / "test", document))
    assert result.exit_code == 1
    assert "Error: databricks_app.bot: Cannot import non-existent remote object" in result.output
    assert "test-bot-app" not in {a.name for a in w.apps.list()}
