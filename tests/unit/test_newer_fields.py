"""The newer provider's serving fields (provider 1.138, the cdktn engine): their shapes, their
service facts, and their refusal, field by field, on the cdktf engine. Pure Python, no Node."""

from __future__ import annotations

import pytest

from servingstack import (
    AmazonBedrock,
    EndpointSpec,
    ExternalModel,
    FoundationModel,
    ProvisionedThroughput,
    Telemetry,
    ValidationError,
    secret,
)
from servingstack.check.drift import compare
from servingstack.facts import newer_fields, rules

TELEMETRY = Telemetry(
    logs_table="ml.obs.logs",
    metrics_table="ml.obs.metrics",
    traces_table="ml.obs.traces",
    features=["TELEMETRY_FEATURE_LOGS", "TELEMETRY_FEATURE_TRACES"],
    inference_table="ml.obs.payloads",
    sampling_fraction=0.25,
)
BEDROCK = AmazonBedrock(region="us-east-1", bedrock_provider="anthropic", uc_service_credential_name="bedrock-access")


def newer_spec(**overrides) -> EndpointSpec:
    props = dict(
        name="chat",
        served_entities=[
            ProvisionedThroughput(
                "system.ai.llama", "1", provisioned_model_units=50, name="pt", burst_scaling_enabled=False
            ),
            ExternalModel("anthropic.claude-3", BEDROCK, name="bedrock"),
        ],
        traffic={"pt": 50, "bedrock": 50},
        telemetry=TELEMETRY,
        workspace_id="1234567890",
    )
    return EndpointSpec(**{**props, **overrides})


def test_the_newer_fields_render_in_the_api_request_shape():
    request = newer_spec().request()
    entities = request["config"]["served_entities"]
    assert entities[0]["burst_scaling_enabled"] is False
    assert entities[1]["external_model"]["amazon_bedrock_config"] == {
        "aws_region": "us-east-1",
        "bedrock_provider": "anthropic",
        "uc_service_credential_name": "bedrock-access",
    }
    assert request["telemetry_config"] == {
        "enabled_telemetry_features": ["TELEMETRY_FEATURE_LOGS", "TELEMETRY_FEATURE_TRACES"],
        "inference_table_config": {"name": "ml.obs.payloads", "sampling_fraction": 0.25},
        "table_names": {
            "logs_table": "ml.obs.logs",
            "metrics_table": "ml.obs.metrics",
            "traces_table": "ml.obs.traces",
        },
    }
    assert "provider_config" not in request and "workspace_id" not in request  # Terraform's, not the API's


def test_the_sdk_reads_the_telemetry_shape_back_unchanged():
    from databricks.sdk.service.serving import TelemetryConfig

    telemetry = newer_spec().request()["telemetry_config"]
    assert TelemetryConfig.from_dict(telemetry).as_dict() == telemetry


def test_on_cdktn_they_are_accepted():
    request = newer_spec().validate("dev/chat", engine="cdktn")
    assert request["telemetry_config"]["table_names"]["logs_table"] == "ml.obs.logs"


def test_on_cdktf_each_newer_field_is_refused_by_name_with_the_other_problems():
    with pytest.raises(ValidationError) as caught:
        newer_spec(traffic={"pt": 50, "bedrock": 40}).validate("dev/chat", engine="cdktf")
    message = str(caught.value)
    assert message.startswith("dev/chat: 5 problems")
    for field in (
        "config.served_entities[0].burst_scaling_enabled",
        "config.served_entities[1].external_model.amazon_bedrock_config.uc_service_credential_name",
        "telemetry_config",
        "provider_config.workspace_id",
    ):
        assert f"  - {field}: needs the cdktn engine (Terraform provider 1.138); this app builds with cdktf" in message
    assert "traffic routes sum to 90" in message
    assert "TypeError" not in message


def test_endpoints_without_newer_fields_are_the_same_on_both_engines():
    spec = EndpointSpec(name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
    assert spec.validate("dev/chat", engine="cdktf") == spec.validate("dev/chat", engine="cdktn")


def test_telemetry_service_facts():
    bad = Telemetry(logs_table="logs", traces_table="ml.obs.traces", features=["LOGS"], sampling_fraction=1.5)
    problems = {(p.field, p.message) for p in rules.validate_endpoint(newer_spec(telemetry=bad).request())}
    assert (
        "telemetry_config.table_names.logs_table",
        "'logs' is not a full Unity Catalog table name catalog.schema.table",
    ) in problems
    # The features and the sampling fraction are the rules' (rules.validate_telemetry); each is named once.
    assert {field for field, _ in problems} == {
        "telemetry_config.table_names.logs_table",
        "telemetry_config.enabled_telemetry_features[0]",
        "telemetry_config.inference_table_config.sampling_fraction",
    }
    assert (
        newer_fields.validate_telemetry_tables({"table_names": {"metric_table": "a.b.c"}})[0].message
        == "is not one of logs_table, metrics_table, traces_table, annotations_table"
    )
    assert newer_fields.validate_telemetry_tables({"telemetry_profile_id": "p-1"}) == []


def test_burst_scaling_and_the_credential_are_typed():
    request = newer_spec().request()
    request["config"]["served_entities"][0]["burst_scaling_enabled"] = "no"
    request["config"]["served_entities"][1]["external_model"]["amazon_bedrock_config"]["uc_service_credential_name"] = (
        " "
    )
    fields = {p.field for p in newer_fields.validate(request)}
    assert fields == {
        "config.served_entities[0].burst_scaling_enabled",
        "config.served_entities[1].external_model.amazon_bedrock_config.uc_service_credential_name",
    }


def test_bedrock_may_authenticate_with_a_unity_catalog_service_credential_alone():
    request = EndpointSpec(name="b", served_entities=[ExternalModel("anthropic.claude-3", BEDROCK)]).request()
    assert rules.validate_endpoint(request) == []
    keyless = AmazonBedrock(region="us-east-1", bedrock_provider="anthropic")
    problems = rules.validate_endpoint(
        EndpointSpec(name="b", served_entities=[ExternalModel("anthropic.claude-3", keyless)]).request()
    )
    assert [p.message for p in problems] == [
        "needs aws_access_key_id and aws_secret_access_key, instance_profile_arn or uc_service_credential_name"
    ]
    with_keys = AmazonBedrock(
        region="us-east-1",
        bedrock_provider="anthropic",
        access_key_id=secret("aws", "id"),
        secret_access_key=secret("aws", "key"),
    )
    assert (
        rules.validate_endpoint(
            EndpointSpec(name="b", served_entities=[ExternalModel("anthropic.claude-3", with_keys)]).request()
        )
        == []
    )


def test_workspace_id_is_a_string():
    with pytest.raises(ValidationError, match=r"provider_config.workspace_id: 123 must be a workspace id string"):
        newer_spec(workspace_id=123).validate("dev/chat", engine="cdktn")


def test_app_compute_instances_are_whole_numbers_set_together_and_need_cdktn():
    assert newer_fields.validate_app_compute(1, 3) == []
    assert [p.field for p in newer_fields.validate_app_compute(1, None)] == ["compute_min_instances"]
    assert [p.field for p in newer_fields.validate_app_compute(-1, 2.5)] == [
        "compute_min_instances",
        "compute_max_instances",
    ]
    assert newer_fields.app_engine_problems("cdktn", compute_min_instances=1, compute_max_instances=2) == []
    assert [
        p.field for p in newer_fields.app_engine_problems("cdktf", compute_min_instances=1, compute_max_instances=2)
    ] == ["compute_min_instances", "compute_max_instances"]


def test_drift_compares_the_newer_fields():
    declared = newer_spec().request()
    live = {
        "config": {
            "served_entities": [
                {**declared["config"]["served_entities"][0], "burst_scaling_enabled": True},
                {
                    "name": "bedrock",
                    "external_model": {
                        **declared["config"]["served_entities"][1]["external_model"],
                        "amazon_bedrock_config": {"uc_service_credential_name": "other"},
                    },
                },
            ],
            "traffic_config": declared["config"]["traffic_config"],
        },
        "telemetry_config": {
            "table_names": {"logs_table": "ml.obs.logs", "metrics_table": "ml.obs.metrics"},
            "enabled_telemetry_features": ["TELEMETRY_FEATURE_TRACES", "TELEMETRY_FEATURE_LOGS"],
            "inference_table_config": {"name": "ml.obs.payloads", "sampling_fraction": 0.5},
        },
    }
    differences = {d.field: (d.declared, d.live) for d in compare(declared, live)}
    assert differences == {
        "served_entities[pt].burst_scaling_enabled": (False, True),
        "served_entities[bedrock].external_model.amazon_bedrock_config.uc_service_credential_name": (
            "bedrock-access",
            "other",
        ),
        "telemetry_config.table_names.traces_table": ("ml.obs.traces", None),
        "telemetry_config.inference_table_config.sampling_fraction": (0.25, 0.5),
    }
