"""`emulator apply` behaves as Terraform would: it deletes what left the stack (and only what it
created), applies nothing when the stack has a mistake, reports an endpoint still deploying,
and never shows a token, even one a build log carries."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from emu_support import TOKEN, create_custom
from servingstack.cli import main
from servingstack.deploy.state import default_state_path
from test_apply import stack_document, write_stack


def apply(emu, stack: Path, *extra: str):
    return CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, *extra],
        catch_exceptions=False,
    )


def without(document: dict, kind: str, logical_id: str) -> dict:
    document = copy.deepcopy(document)
    del document["resource"][kind][logical_id]
    return document


def names(w) -> set[str]:
    return {e.name for e in w.serving_endpoints.list()}


def test_endpoints_and_permissions_removed_from_the_stack_are_deleted(emu, w, tmp_path):
    create_custom(w, "someone-elses")  # not this stack's: never touched
    document = stack_document()
    stack = write_stack(tmp_path / "test", document)
    assert apply(emu, stack).exit_code == 0
    chat_id = w.serving_endpoints.get("test-chat").id

    # The chat endpoint leaves the stack, with its permissions; the scorer keeps its endpoint, loses its grants.
    smaller = without(
        without(document, "databricks_model_serving", "chat"), "databricks_permissions", "chat_permissions"
    )
    smaller = without(smaller, "databricks_permissions", "scorer_permissions")
    result = apply(emu, write_stack(tmp_path / "test", smaller))
    assert result.exit_code == 0, result.output
    assert "- deleted   databricks_model_serving.chat" in result.output
    assert "- deleted   databricks_permissions.chat_permissions" in result.output
    assert "- deleted   databricks_permissions.scorer_permissions" in result.output
    assert "Apply complete: 0 created, 0 updated, 3 deleted, 1 unchanged." in result.output
    assert names(w) == {"test-scorer", "someone-elses"}
    scorer = w.serving_endpoints.get("test-scorer")
    acl = w.serving_endpoints.get_permissions(scorer.id).access_control_list
    direct = {
        (a.group_name or a.service_principal_name or a.user_name)
        for a in acl
        for p in a.all_permissions
        if not p.inherited
    }
    assert direct == {"dev@servingstack.local"}  # only the caller's own CAN_MANAGE is left
    assert chat_id not in json.dumps(json.loads(default_state_path(stack, "test").read_text()))

    again = apply(emu, write_stack(tmp_path / "test", smaller))
    assert "No changes: 1 resources unchanged." in again.output and "deleted" not in again.output


def test_the_state_lives_beside_cdktf_out_and_survives_a_new_synth(emu, w, tmp_path):
    project = tmp_path / "project"
    stack = write_stack(project / "cdktf.out" / "stacks" / "test", stack_document())
    state = default_state_path(stack, "test")
    assert state == project.resolve() / "servingstack-emulator.test.json"
    assert apply(emu, stack).exit_code == 0
    recorded = json.loads(state.read_text())["workspaces"][emu.url]
    assert recorded["endpoints"] == {
        "test-scorer": "databricks_model_serving.scorer",
        "test-chat": "databricks_model_serving.chat",
    }
    # A new synth replaces cdktf.out: the state is outside it, so the removal is still seen.
    import shutil

    shutil.rmtree(project / "cdktf.out")
    smaller = without(
        without(stack_document(), "databricks_model_serving", "chat"), "databricks_permissions", "chat_permissions"
    )
    result = apply(emu, write_stack(project / "cdktf.out" / "stacks" / "test", smaller))
    assert "- deleted   databricks_model_serving.chat" in result.output
    assert names(w) == {"test-scorer"}


def test_a_dangling_reference_applies_nothing(emu, w, tmp_path):
    document = stack_document()
    document["resource"]["databricks_permissions"]["chat_permissions"]["serving_endpoint_id"] = (
        "${databricks_model_serving.removed.serving_endpoint_id}"
    )
    emu.reset_request_count()
    result = apply(emu, write_stack(tmp_path / "test", document))
    assert result.exit_code == 1
    assert (
        "databricks_permissions.chat_permissions: serving_endpoint_id "
        "${databricks_model_serving.removed.serving_endpoint_id} refers to no databricks_model_serving"
    ) in result.output
    assert "Nothing was applied: 1 problem in the stack." in result.output
    assert names(w) == set()
    assert emu.request_count("POST") == emu.request_count("PUT") == emu.request_count("PATCH") == 0
    assert not default_state_path(tmp_path / "test", "test").exists()


def test_a_request_the_service_would_refuse_applies_nothing(emu, w, tmp_path):
    document = stack_document(v2_percent=10)
    routes = document["resource"]["databricks_model_serving"]["scorer"]["config"]["traffic_config"]["routes"]
    routes[1]["traffic_percentage"] = 30  # 90 + 30: the service refuses it, after chat was created
    result = apply(emu, write_stack(tmp_path / "test", document))
    assert result.exit_code == 1
    assert "databricks_model_serving.scorer: config.traffic_config" in result.output
    assert "Nothing was applied" in result.output and names(w) == set()


def test_an_endpoint_stuck_mid_update_is_reported_not_no_changes(emu, w, tmp_path):
    stack = write_stack(tmp_path / "test", stack_document())
    assert apply(emu, stack).exit_code == 0
    emu.never_ready(endpoint="test-scorer")
    changed = write_stack(tmp_path / "test", stack_document(v2_percent=20))
    assert apply(emu, changed, "--no-wait").exit_code == 0  # the update starts, and never ends

    waited = apply(emu, changed, "--timeout", "0.5")
    assert waited.exit_code == 1
    assert "No changes" not in waited.output
    assert (
        "! failed" in waited.output and "test-scorer" in waited.output and "still deploying after 0.5s" in waited.output
    )
    not_waited = apply(emu, changed, "--no-wait")
    assert not_waited.exit_code == 0 and "No changes" not in not_waited.output
    assert "still deploying: test-scorer" in not_waited.output


def test_tokens_in_build_logs_and_server_messages_are_redacted(emu, tmp_path):
    leaked = "dapi" + "fedcba9876543210" * 2
    emu.fail_deployment(
        endpoint="test-scorer", message=f"pip: 401 from https://ci:{leaked}@pypi.corp (Bearer {leaked})"
    )
    result = apply(emu, write_stack(tmp_path / "test", stack_document()))
    assert result.exit_code == 1
    assert "pip: 401 from https://ci:***@pypi.corp" in result.output
    assert leaked not in result.output and TOKEN not in result.output


@pytest.mark.parametrize(
    "host, shown",
    [
        ("http://admin:pw-secret-9@127.0.0.1:1", "credentials in the URL are refused"),
        ("127.0.0.1:8080", "needs a scheme, e.g. https://127.0.0.1:8080"),
    ],
)
def test_apply_refuses_a_host_that_is_not_a_plain_url(host, shown, tmp_path):
    result = CliRunner().invoke(
        main, ["emulator", "apply", "--stack", str(write_stack(tmp_path, {"resource": {}})), "--host", host]
    )
    assert result.exit_code == 2
    assert shown in result.output and "pw-secret-9" not in result.output


def test_grants_on_an_endpoint_made_elsewhere_apply_and_are_removed_with_the_stack(emu, w, tmp_path):
    shared = create_custom(w, "shared-llm")
    document = {
        "resource": {
            "databricks_permissions": {
                "shared_permissions": {
                    "serving_endpoint_id": shared.id,  # ExistingEndpoint: a literal id, not a reference
                    "access_control": [{"group_name": "analysts", "permission_level": "CAN_QUERY"}],
                }
            }
        }
    }
    granted = apply(emu, write_stack(tmp_path / "test", document))
    assert granted.exit_code == 0, granted.output
    assert f"~ updated   databricks_permissions.shared_permissions  shared-llm (id {shared.id})" in granted.output
    groups = lambda: {  # noqa: E731
        a.group_name
        for a in w.serving_endpoints.get_permissions(shared.id).access_control_list
        if a.group_name and any(not p.inherited for p in a.all_permissions)
    }
    assert groups() == {"analysts"}
    removed = apply(emu, write_stack(tmp_path / "test", {"resource": {}}))
    assert "- deleted   databricks_permissions.shared_permissions" in removed.output
    assert groups() == set() and "shared-llm" in names(w)  # the endpoint itself was never this stack's
