"""The newer provider's fields reach cdk.tf.json on cdktn, and are refused by name on cdktf
(a ValidationError before any jsii call, never a jsii TypeError)."""

from __future__ import annotations

import pytest

from servingstack import (
    AmazonBedrock,
    ExternalModel,
    ProvisionedThroughput,
    ServingApp,
    ServingEndpoint,
    Telemetry,
    ValidationError,
)
from servingstack.cdk import engine as _cdk
from servingstack.facts.stackfile import load_stack

NEWER = dict(
    served_entities=[
        ProvisionedThroughput(
            "system.ai.llama", "1", provisioned_model_units=50, name="pt", burst_scaling_enabled=False
        ),
        ExternalModel(
            "anthropic.claude-3",
            AmazonBedrock(
                region="us-east-1", bedrock_provider="anthropic", uc_service_credential_name="bedrock-access"
            ),
            name="bedrock",
        ),
    ],
    traffic={"pt": 50, "bedrock": 50},
    telemetry=Telemetry(
        logs_table="ml.obs.logs",
        metrics_table="ml.obs.metrics",
        traces_table="ml.obs.traces",
        features=["TELEMETRY_FEATURE_LOGS"],
        inference_table="ml.obs.payloads",
        sampling_fraction=0.25,
    ),
    workspace_id="1234567890",
)

on_cdktn = pytest.mark.skipif(_cdk.ENGINE.name != "cdktn", reason="the cdktn engine's provider has these fields")
on_cdktf = pytest.mark.skipif(_cdk.ENGINE.name != "cdktf", reason="the cdktf engine's provider lacks these fields")


@on_cdktn
def test_on_cdktn_the_newer_fields_reach_the_terraform_json(one_stack, tmp_path):
    def fill(stack):
        endpoint = ServingEndpoint(stack, "chat", name="chat", **NEWER)
        ServingApp(
            stack,
            "bot",
            name="support-bot",
            query_endpoints={"llm": endpoint},
            compute_min_instances=1,
            compute_max_instances=3,
        )

    doc = one_stack(fill)
    body = doc["resource"]["databricks_model_serving"]["chat"]
    entities = body["config"]["served_entities"]
    assert entities[0]["burst_scaling_enabled"] is False
    assert entities[1]["external_model"]["amazon_bedrock_config"]["uc_service_credential_name"] == "bedrock-access"
    assert body["telemetry_config"] == {
        "enabled_telemetry_features": ["TELEMETRY_FEATURE_LOGS"],
        "inference_table_config": {"name": "ml.obs.payloads", "sampling_fraction": 0.25},
        "table_names": {
            "logs_table": "ml.obs.logs",
            "metrics_table": "ml.obs.metrics",
            "traces_table": "ml.obs.traces",
        },
    }
    assert body["provider_config"] == {"workspace_id": "1234567890"}
    app = doc["resource"]["databricks_app"]["bot"]
    assert (app["compute_min_instances"], app["compute_max_instances"]) == (1, 3)
    assert doc["terraform"]["required_providers"]["databricks"]["version"] == "1.138.0"


@on_cdktn
def test_the_stack_reader_keeps_telemetry_and_drops_the_provider_config(synth, tmp_path):
    from servingstack import ServingStack

    def build(app):
        ServingEndpoint(ServingStack(app, "dev", environment="dev"), "chat", name="chat", **NEWER)

    synth(build)
    declared = load_stack(tmp_path / "cdktf.out" / "stacks" / "dev").endpoint("dev-chat").request
    assert "provider_config" not in declared
    assert declared["telemetry_config"]["table_names"]["logs_table"] == "ml.obs.logs"


@on_cdktf
def test_on_cdktf_each_newer_field_is_refused_before_any_resource_is_built(one_stack):
    built = []

    def fill(stack):
        with pytest.raises(ValidationError) as caught:
            ServingEndpoint(stack, "chat", name="chat", **NEWER)
        built.append(str(caught.value))
        with pytest.raises(ValidationError) as caught:
            ServingApp(
                stack, "bot", name="support-bot", query_endpoints={}, compute_min_instances=1, compute_max_instances=3
            )
        built.append(str(caught.value))

    doc = one_stack(fill)
    endpoint, app = built
    assert endpoint.startswith("dev/chat: 4 problems")
    for field in (
        "config.served_entities[0].burst_scaling_enabled",
        "telemetry_config",
        "config.served_entities[1].external_model.amazon_bedrock_config.uc_service_credential_name",
        "provider_config.workspace_id",
    ):
        assert f"  - {field}: needs the cdktn engine" in endpoint
    assert "compute_min_instances: needs the cdktn engine" in app and "query_endpoints" in app
    assert "databricks_model_serving" not in doc.get("resource", {})
