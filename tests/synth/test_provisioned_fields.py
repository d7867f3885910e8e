"""`ProvisionedThroughputEndpoint` takes exactly what `databricks_model_serving_provisioned_throughput`
takes (facts/provisioned.py): a missing or unsupported field is a ValidationError naming it, never a
raw TypeError or KeyError from the provider binding; every field of its provider 1.138 schema is
accepted on the cdktn engine and refused by name on cdktf (provider 1.99)."""

from __future__ import annotations

import pytest

from servingstack import (
    CustomModel,
    FoundationModel,
    ProvisionedThroughput,
    ProvisionedThroughputEndpoint,
    ValidationError,
)
from servingstack.cdk import engine as _cdk

PT = "databricks_model_serving_provisioned_throughput"
CDKTN = _cdk.ENGINE.name == "cdktn"


def refused(one_stack, **props) -> str:
    def fill(stack):
        ProvisionedThroughputEndpoint(stack, "pt", **{"name": "pt", **props})

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    assert not isinstance(error.value.__cause__, (TypeError, KeyError))
    return str(error.value)


def test_an_entity_without_a_version_is_refused_by_name(one_stack):
    text = refused(
        one_stack, served_entities=[ProvisionedThroughput("system.ai.llama-4-maverick", provisioned_model_units=50)]
    )
    assert text == (
        "dev/pt: config.served_entities[0].entity_version: is required by "
        "databricks_model_serving_provisioned_throughput"
    )


@pytest.mark.parametrize("entities", [[], ()])
def test_an_endpoint_without_served_entities_is_refused_by_name(one_stack, entities):
    assert refused(one_stack, served_entities=entities) == (
        "dev/pt: served_entities: is required: databricks_model_serving_provisioned_throughput serves at least "
        "one entity"
    )


def test_fields_the_resource_lacks_are_refused_each_by_name(one_stack):
    text = refused(
        one_stack,
        served_entities=[
            ProvisionedThroughput("system.ai.llama", "1", provisioned_model_units=50, scale_to_zero=True),
            ProvisionedThroughput("system.ai.llama", "2", max_provisioned_throughput=100, name="bounds"),
            FoundationModel("system.ai.llama", "3"),
            CustomModel("ml.fraud.scorer", 1),
        ],
        traffic={"system-ai-llama-1": 100, "bounds": 0, "system-ai-llama-3": 0, "ml-fraud-scorer-1": 0},
    )
    for expected in (
        "config.served_entities[0].scale_to_zero_enabled: is not a field of "
        f"{PT}: provisioned model units do not scale to zero",
        f"config.served_entities[1].provisioned_model_units: is required by {PT}",
        f"config.served_entities[1].max_provisioned_throughput: is not a field of {PT}: use provisioned_model_units",
        "config.served_entities[2]: FoundationModel is not a ProvisionedThroughput entity",
        "config.served_entities[3]: CustomModel is not a ProvisionedThroughput entity",
    ):
        assert expected in text, text
    # One word per field: not also the general "set provisioned_model_units, or max_provisioned_throughput".
    assert "or max_provisioned_throughput" not in text


def test_the_newer_fields_of_its_1_138_resource(one_stack):
    entity = ProvisionedThroughput("system.ai.llama", "1", provisioned_model_units=50, burst_scaling_enabled=False)

    def fill(stack):
        ProvisionedThroughputEndpoint(stack, "pt", name="pt", served_entities=[entity], workspace_id="1234567890")

    if CDKTN:
        body = one_stack(fill)["resource"][PT]["pt"]
        assert body["config"]["served_entities"][0]["burst_scaling_enabled"] is False
        assert body["provider_config"] == {"workspace_id": "1234567890"}
        return
    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    text = str(error.value)
    assert "config.served_entities[0].burst_scaling_enabled: needs the cdktn engine (Terraform provider 1.138)" in text
    assert "provider_config.workspace_id: needs the cdktn engine" in text


def test_a_workspace_id_that_is_not_a_workspace_id_string_is_refused(one_stack):
    entity = ProvisionedThroughput("system.ai.llama", "1", provisioned_model_units=50)
    assert "provider_config.workspace_id: '  ' must be a workspace id string" in refused(
        one_stack, served_entities=[entity], workspace_id="  "
    )


def test_props_the_resource_does_not_have_are_refused_by_name(one_stack):
    entity = ProvisionedThroughput("system.ai.llama", "1", provisioned_model_units=50)
    text = refused(one_stack, served_entities=[entity], telemetry=None, description="x")
    assert f"description: is not supported by {PT}" in text and f"telemetry: is not supported by {PT}" in text
