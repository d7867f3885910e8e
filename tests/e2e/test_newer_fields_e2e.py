"""The newer provider's fields end to end: the emulator accepts and returns them through the real
databricks-sdk over HTTP, `emulator apply` deploys them, and the checker's drift compares them."""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.service.serving import (
    AmazonBedrockConfig,
    AmazonBedrockConfigBedrockProvider,
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    ServedEntityInput,
    TelemetryConfig,
)

from servingstack.cdk import engine as _cdk

TELEMETRY = {
    "enabled_telemetry_features": ["TELEMETRY_FEATURE_LOGS"],
    "inference_table_config": {"name": "ml.obs.payloads", "sampling_fraction": 0.25},
    "table_names": {"logs_table": "ml.obs.logs", "traces_table": "ml.obs.traces"},
}


def client(emu, token) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=emu.url, token=token, auth_type="pat", retry_timeout_seconds=5))


def test_the_emulator_accepts_and_returns_the_newer_fields(emu, emulator_token):
    w = client(emu, emulator_token)
    bedrock = ExternalModel(
        name="anthropic.claude-3",
        provider=ExternalModelProvider.AMAZON_BEDROCK,
        task="llm/v1/chat",
        amazon_bedrock_config=AmazonBedrockConfig(
            aws_region="us-east-1",
            bedrock_provider=AmazonBedrockConfigBedrockProvider.ANTHROPIC,
            uc_service_credential_name="bedrock-access",
        ),
    )
    w.serving_endpoints.create_and_wait(
        name="newer",
        config=EndpointCoreConfigInput(
            name="newer", served_entities=[ServedEntityInput(name="bedrock", external_model=bedrock)]
        ),
        telemetry_config=TelemetryConfig.from_dict(TELEMETRY),
    )
    live = w.serving_endpoints.get("newer")
    assert live.telemetry_config.as_dict() == TELEMETRY
    assert (
        live.config.served_entities[0].external_model.amazon_bedrock_config.uc_service_credential_name
        == "bedrock-access"
    )
    assert any(e.telemetry_config and e.telemetry_config.as_dict() == TELEMETRY for e in w.serving_endpoints.list())

    patched = w.serving_endpoints.patch_telemetry_config(
        "newer", telemetry_config=TelemetryConfig.from_dict({"telemetry_profile_id": "profile-7"})
    )
    assert patched.telemetry_config.as_dict() == {"telemetry_profile_id": "profile-7"}
    assert w.serving_endpoints.patch_telemetry_config("newer").telemetry_config is None


def test_the_emulator_refuses_a_sampling_fraction_out_of_range(emu, emulator_token):
    import requests

    response = requests.post(
        f"{emu.url}/api/2.0/serving-endpoints",
        timeout=10,
        headers={"Authorization": f"Bearer {emulator_token}"},
        json={
            "name": "bad",
            "config": {"served_entities": [{"name": "x", "entity_name": "system.ai.x", "entity_version": "1"}]},
            "telemetry_config": {"inference_table_config": {"sampling_fraction": 2}},
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "telemetry_config.inference_table_config.sampling_fraction" in body["message"]


@pytest.mark.skipif(_cdk.ENGINE.name != "cdktn", reason="declaring the newer fields needs the cdktn engine")
def test_apply_deploys_them_and_the_checker_sees_their_drift(emu, emulator_token, tmp_path):
    from servingstack import ProvisionedThroughput, ServingEndpoint, ServingStack, Telemetry, synthesize
    from servingstack.check import run_check
    from servingstack.deploy.apply import apply_stack
    from servingstack.facts.stackfile import load_stack

    def build(app):
        ServingEndpoint(
            ServingStack(app, "dev", environment="dev"),
            "pt",
            name="pt",
            served_entities=[
                ProvisionedThroughput(
                    "system.ai.llama", "1", provisioned_model_units=50, name="pt", burst_scaling_enabled=False
                )
            ],
            telemetry=Telemetry(logs_table="ml.obs.logs", sampling_fraction=0.25),
            workspace_id="1234567890",
        )

    assert synthesize(build, tmp_path / "out") == 0
    stack_dir = tmp_path / "out" / "stacks" / "dev"
    w = client(emu, emulator_token)
    apply_stack(load_stack(stack_dir), w, echo=lambda line: None, poll_seconds=0.05, timeout=30)
    live = w.serving_endpoints.get("dev-pt")
    assert live.config.served_entities[0].burst_scaling_enabled is False
    assert live.telemetry_config.as_dict() == {
        "inference_table_config": {"sampling_fraction": 0.25},
        "table_names": {"logs_table": "ml.obs.logs"},
    }
    report = run_check(stack_dir, host=emu.url, token=emulator_token, progress="none", query=False, timeout=30)
    assert report.endpoints[0].drift.status == "pass", report.endpoints[0].differences

    w.serving_endpoints.patch_telemetry_config(
        "dev-pt", telemetry_config=TelemetryConfig.from_dict({"table_names": {"logs_table": "ml.other.logs"}})
    )
    report = run_check(stack_dir, host=emu.url, token=emulator_token, progress="none", query=False, timeout=30)
    assert [(d.field, d.declared, d.live) for d in report.endpoints[0].differences] == [
        ("telemetry_config.table_names.logs_table", "ml.obs.logs", "ml.other.logs"),
        ("telemetry_config.inference_table_config.sampling_fraction", 0.25, None),
    ]
