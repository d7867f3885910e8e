"""`servingstack emulator apply`: a synthesized stack applied through databricks-sdk, twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from emu_support import TOKEN, wait_ready
from servingstack.cli import main
from servingstack.deploy.apply import apply_stack
from servingstack.deploy.state import ApplyState
from servingstack.facts.stackfile import load_stack

REPO = Path(__file__).resolve().parents[2]


def stack_document(*, v2_percent: int = 10, tags: dict[str, str] | None = None, calls: int = 60) -> dict:
    """A hand-written stack in the shape `cdktf synth` writes."""
    tags = tags if tags is not None else {"owner": "ml-platform", "environment": "test"}
    return {
        "resource": {
            "databricks_model_serving": {
                "scorer": {
                    "//": {"metadata": {"path": "test/scorer/Default"}},
                    "name": "test-scorer",
                    "config": {
                        "served_entities": [
                            {
                                "name": "v1",
                                "entity_name": "ml.fraud.scorer",
                                "entity_version": "1",
                                "workload_size": "Small",
                                "scale_to_zero_enabled": False,
                                "environment_vars": {"FEATURE_TOKEN": "{{secrets/fraud/token}}"},
                            },
                            {
                                "name": "v2",
                                "entity_name": "ml.fraud.scorer",
                                "entity_version": "2",
                                "workload_size": "Small",
                                "scale_to_zero_enabled": True,
                            },
                        ],
                        "traffic_config": {
                            "routes": [
                                {"served_model_name": "v1", "traffic_percentage": 100 - v2_percent},
                                {"served_model_name": "v2", "traffic_percentage": v2_percent},
                            ]
                        },
                    },
                    "tags": [{"key": k, "value": v} for k, v in tags.items()],
                    "email_notifications": {"on_update_failure": ["oncall@example.com"]},
                    "timeouts": {"create": "60m"},
                },
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
                                    "openai_config": {"openai_api_key_plaintext": "sk-not-shown"},
                                },
                            }
                        ]
                    },
                    "ai_gateway": {
                        "usage_tracking_config": {"enabled": True},
                        "rate_limits": [{"calls": calls, "key": "endpoint", "renewal_period": "minute"}],
                    },
                },
            },
            "databricks_permissions": {
                "scorer_permissions": {
                    "serving_endpoint_id": "${databricks_model_serving.scorer.serving_endpoint_id}",
                    "access_control": [
                        {"group_name": "fraud-analysts", "permission_level": "CAN_QUERY"},
                        {"service_principal_name": "6f2a1c9e-1d3b", "permission_level": "CAN_MANAGE"},
                    ],
                },
                "chat_permissions": {
                    "serving_endpoint_id": "${databricks_model_serving.chat.serving_endpoint_id}",
                    "access_control": [{"group_name": "users", "permission_level": "CAN_QUERY"}],
                },
            },
        }
    }


def write_stack(directory: Path, document: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cdk.tf.json").write_text(json.dumps(document))
    return directory


def apply(emu, stack: Path, *extra: str):
    return CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, *extra],
        catch_exceptions=False,
    )


def test_apply_creates_everything_then_changes_nothing(emu, w, tmp_path):
    stack = write_stack(tmp_path / "test", stack_document())
    first = apply(emu, stack)
    assert first.exit_code == 0, first.output
    assert first.output.count("+ created") == 4
    assert "Apply complete: 4 created, 0 updated, 0 unchanged." in first.output
    assert "sk-not-shown" not in first.output and TOKEN not in first.output

    scorer = w.serving_endpoints.get("test-scorer")
    assert scorer.state.ready.value == "READY"  # apply waits, like Terraform
    assert [(r.served_model_name, r.traffic_percentage) for r in scorer.config.traffic_config.routes] == [
        ("v1", 90),
        ("v2", 10),
    ]
    assert {t.key: t.value for t in scorer.tags} == {"owner": "ml-platform", "environment": "test"}
    assert scorer.email_notifications.on_update_failure == ["oncall@example.com"]
    assert w.serving_endpoints.get("test-chat").ai_gateway.rate_limits[0].calls == 60
    acl = w.serving_endpoints.get_permissions(scorer.id).access_control_list
    direct = {
        (a.group_name or a.service_principal_name or a.user_name, p.permission_level.value)
        for a in acl
        for p in a.all_permissions
        if not p.inherited
    }
    assert direct == {
        ("fraud-analysts", "CAN_QUERY"),
        ("6f2a1c9e-1d3b", "CAN_MANAGE"),
        ("dev@servingstack.local", "CAN_MANAGE"),
    }

    writes_before = emu.request_count("POST") + emu.request_count("PUT") + emu.request_count("PATCH")
    second = apply(emu, stack)
    assert second.exit_code == 0, second.output
    assert "No changes: 4 resources unchanged." in second.output
    assert second.output.count("= unchanged") == 4
    assert emu.request_count("POST") + emu.request_count("PUT") + emu.request_count("PATCH") == writes_before


def test_apply_updates_only_what_changed(emu, w, tmp_path):
    apply(emu, write_stack(tmp_path / "test", stack_document()))
    before = w.serving_endpoints.get("test-scorer")
    changed = write_stack(tmp_path / "test", stack_document(v2_percent=50, tags={"owner": "ml-platform"}, calls=120))
    result = apply(emu, changed)
    assert result.exit_code == 0, result.output
    assert "~ updated   databricks_model_serving.scorer" in result.output and "(config, tags)" in result.output
    assert "databricks_model_serving.chat" in result.output and "(ai_gateway)" in result.output
    assert "Apply complete: 0 created, 2 updated, 2 unchanged." in result.output
    after = w.serving_endpoints.get("test-scorer")
    assert after.id == before.id
    assert after.config.config_version == 2
    assert [r.traffic_percentage for r in after.config.traffic_config.routes] == [50, 50]
    assert {t.key for t in after.tags} == {"owner"}
    assert w.serving_endpoints.get("test-chat").ai_gateway.rate_limits[0].calls == 120
    assert "No changes" in apply(emu, changed).output


def test_create_only_fields_show_as_drift_but_are_not_sent(emu, w, tmp_path):
    document = stack_document()
    apply(emu, write_stack(tmp_path / "test", document))
    document["resource"]["databricks_model_serving"]["scorer"]["email_notifications"] = {
        "on_update_failure": ["new@example.com"]
    }
    result = apply(emu, write_stack(tmp_path / "test", document))
    assert "= unchanged databricks_model_serving.scorer" in result.output
    assert "email_notifications differs: Terraform never sends it on update" in result.output
    assert w.serving_endpoints.get("test-scorer").email_notifications.on_update_failure == ["oncall@example.com"]
    # telemetry_config likewise (facts/provider_updates.py: no branch of the provider's Update sends it).
    document["resource"]["databricks_model_serving"]["scorer"]["telemetry_config"] = {
        "table_names": {"logs_table": "ml.obs.logs"}
    }
    result = apply(emu, write_stack(tmp_path / "test", document))
    assert "= unchanged databricks_model_serving.scorer" in result.output
    assert "email_notifications, telemetry_config differ: Terraform never sends it on update" in result.output
    assert w.serving_endpoints.get("test-scorer").telemetry_config is None


def test_apply_resets_permissions_changed_out_of_band(emu, w, tmp_path):
    from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

    stack = write_stack(tmp_path / "test", stack_document())
    apply(emu, stack)
    endpoint_id = w.serving_endpoints.get("test-chat").id
    w.serving_endpoints.update_permissions(
        endpoint_id,
        access_control_list=[
            ServingEndpointAccessControlRequest(
                group_name="intruders", permission_level=ServingEndpointPermissionLevel.CAN_MANAGE
            )
        ],
    )
    result = apply(emu, stack)
    assert "~ updated   databricks_permissions.chat_permissions" in result.output
    groups = {
        a.group_name for a in w.serving_endpoints.get_permissions(endpoint_id).access_control_list if a.group_name
    }
    assert "intruders" not in groups


def test_apply_reports_a_failed_deployment_and_exits_1(emu, w, tmp_path):
    emu.fail_deployment(endpoint="test-scorer", message="Container build failed: missing requirements.txt")
    result = apply(emu, write_stack(tmp_path / "test", stack_document()))
    assert result.exit_code == 1
    assert "! failed" in result.output
    assert "UPDATE_FAILED: v1: Container build failed: missing requirements.txt" in result.output
    # Once the cause is gone, apply retries the failed deployment.
    emu.clear_faults()
    retry = apply(emu, write_stack(tmp_path / "test", stack_document()))
    assert retry.exit_code == 0, retry.output
    assert "retrying a failed deployment" in retry.output
    wait_ready(w, "test-scorer")


def test_apply_gives_up_waiting_after_the_timeout(emu, tmp_path):
    emu.never_ready(endpoint="test-chat")
    result = apply(emu, write_stack(tmp_path / "test", stack_document()), "--timeout", "0.5")
    assert result.exit_code == 1
    assert "still deploying after 0.5s" in result.output


def test_apply_without_waiting(emu, w, tmp_path):
    emu.set_deploy_seconds(60)
    result = apply(emu, write_stack(tmp_path / "test", stack_document()), "--no-wait")
    assert result.exit_code == 0
    assert w.serving_endpoints.get("test-scorer").state.config_update.value == "IN_PROGRESS"
    # The pending config already matches the stack: nothing to send, but the deployments still run.
    again = apply(emu, write_stack(tmp_path / "test", stack_document()), "--no-wait").output
    assert "No changes" not in again
    assert "Nothing to send, but 2 endpoints are still deploying: test-scorer, test-chat" in again


def test_apply_python_api(emu, w, tmp_path):
    lines: list[str] = []
    result = apply_stack(
        load_stack(write_stack(tmp_path / "test", stack_document())), w, echo=lines.append, poll_seconds=0.05
    )
    assert result.count("created") == 4 and not result.failed
    assert lines[-1] == result.summary()


def test_apply_rejects_bad_input_with_exit_2(emu, tmp_path):
    missing = CliRunner().invoke(main, ["emulator", "apply", "--stack", str(tmp_path / "nothing"), "--host", emu.url])
    assert missing.exit_code == 2
    assert "cdk.tf.json" in missing.output and "Traceback" not in missing.output
    not_url = CliRunner().invoke(main, ["emulator", "apply", "--stack", str(tmp_path), "--host", "127.0.0.1:1"])
    assert not_url.exit_code == 2


@pytest.fixture(scope="module")
def example_stacks(tmp_path_factory) -> Path:
    """The example app (main.py), synthesized into a temporary directory."""
    outdir = tmp_path_factory.mktemp("cdktf.out")
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    subprocess.run([sys.executable, "main.py"], cwd=REPO, env=env, check=True, capture_output=True, timeout=240)
    return outdir / "stacks"


@pytest.mark.synth
@pytest.mark.e2e
@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_the_example_stacks_apply_then_change_nothing(emu, w, example_stacks, stack_name, tmp_path):
    stack = example_stacks / stack_name
    declared = load_stack(stack)
    state_file = tmp_path / "state.json"  # not beside the repository's terraform.<stack>.tfstate
    with ApplyState(state_file, emu.url) as recorded:
        for scope in declared.secret_scopes:  # an earlier apply made the scope, the platform team put its keys
            w.secrets.create_scope(scope.name)
            recorded.remember("secret_scopes", scope.name, f"databricks_secret_scope.{scope.logical_id}")
            for key in ("openai", "anthropic"):
                w.secrets.put_secret(scope.name, key, string_value=f"sk-{key}-not-shown")
    around = len(declared.secret_acls) + len(declared.grants) + len(declared.apps)
    state = ("--state", str(state_file))
    first = apply(emu, stack, *state)
    assert first.exit_code == 0, first.output
    assert f"{len(declared.endpoints) + len(declared.permissions) + around} created" in first.output
    for endpoint in declared.endpoints:
        assert wait_ready(w, endpoint.name).name == endpoint.name
    second = apply(emu, stack, *state)
    assert second.exit_code == 0, second.output
    total = len(declared.endpoints) + len(declared.permissions) + around + len(declared.secret_scopes)
    assert f"No changes: {total} resources unchanged." in second.output
    assert "sk-" not in first.output + second.output
