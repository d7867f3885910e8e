"""The AI Gateway's documented restrictions (facts/gateway.py) and the sweep of earlier rules against
their sources: what is refused names the field; what the sources leave open is accepted."""

from __future__ import annotations

import pytest

from servingstack import (
    AiGateway,
    CustomModel,
    EndpointSpec,
    ExternalModel,
    FoundationModel,
    Guardrail,
    InferenceTable,
    OpenAI,
    RateLimit,
    ValidationError,
    secret,
)
from servingstack.facts import gateway, rules

AGENT = CustomModel("ml.agents.support", 1)


def problems(**props) -> list[str]:
    try:
        EndpointSpec(**props).validate("dev/x")
    except ValidationError as error:
        return [str(p) for p in error.problems]
    return []


def test_agent_endpoints_take_only_inference_tables():
    """SDK put_ai_gateway: "agent endpoints currently only support inference tables"."""
    everything = AiGateway(
        rate_limits=[RateLimit(calls=10)],
        usage_tracking=True,
        inference_table=InferenceTable("ml", "agent_logs"),
        input_guardrail=Guardrail(safety=True),
        fallback=True,
    )
    found = problems(name="agent", served_entities=[AGENT], task="agent/v1/responses", ai_gateway=everything)
    assert found == [
        f"ai_gateway.{feature}: agent endpoints (task 'agent/v1/responses') support only inference tables in the "
        "AI Gateway"
        for feature in ("rate_limits", "usage_tracking_config", "guardrails", "fallback_config")
    ]
    tables_only = AiGateway(inference_table=InferenceTable("ml", "agent_logs"))
    assert problems(name="agent", served_entities=[AGENT], task="agent/v2/chat", ai_gateway=tables_only) == []


@pytest.mark.parametrize(
    "entities",
    [
        [ExternalModel("gpt-4o", OpenAI(api_key=secret("k", "openai")))],
        [FoundationModel("system.ai.llama", "1")],
        [CustomModel("ml.fraud.scorer", 1)],  # not in the SDK's note; the docs list rate limits as supported
    ],
)
def test_other_endpoint_kinds_take_every_feature(entities):
    everything = AiGateway(
        rate_limits=[RateLimit(calls=10), RateLimit(calls=10)],  # no documented maximum, nor uniqueness
        usage_tracking=True,
        inference_table=InferenceTable("ml", "logs", table_prefix="any prefix!"),  # no documented prefix rule
        output_guardrail=Guardrail(pii="MASK"),  # SDK enum; the provider docs' "only BLOCK" is not followed
        fallback=True,
    )
    assert problems(name="x", served_entities=entities, ai_gateway=everything) == []


def test_fallback_names_whether_it_is_enabled():
    """SDK FallbackConfig.enabled: a bool without a default (the emulator reads the same rule)."""
    assert [str(p) for p in rules.validate_ai_gateway({"fallback_config": {}})] == [
        "ai_gateway.fallback_config.enabled: is required: true or false"
    ]
    assert rules.validate_ai_gateway({"fallback_config": {"enabled": False}}) == []


def test_an_enabled_inference_table_moves_only_after_it_is_disabled():
    """SDK AiGatewayInferenceTableConfig: "On update, you have to disable inference table first in order to
    change the catalog name" (schema and prefix alike)."""
    before = {"enabled": True, "catalog_name": "ml", "schema_name": "logs", "table_name_prefix": "chat"}
    moved = {**before, "catalog_name": "audit", "table_name_prefix": "bot"}
    assert [p.field for p in gateway.inference_table_change_problems(before, moved)] == [
        "inference_table_config.catalog_name",
        "inference_table_config.table_name_prefix",
    ]
    assert gateway.inference_table_change_problems(before, {**moved, "enabled": False}) == []  # disabling first
    assert gateway.inference_table_change_problems({**before, "enabled": False}, moved) == []  # then moving
    assert gateway.inference_table_change_problems(before, dict(before)) == []


def test_the_endpoint_limit_counts_custom_model_and_agent_endpoints_only():
    """LIMITS: the per-workspace limits "apply to custom model and AI agent endpoints only"."""
    assert rules.counts_toward_endpoint_limit([{"entity_name": "ml.fraud.scorer", "entity_version": "1"}])
    assert rules.counts_toward_endpoint_limit([{"entity_name": "ads-model", "entity_version": "1"}])
    assert not rules.counts_toward_endpoint_limit([{"entity_name": "system.ai.llama", "entity_version": "1"}])
    assert not rules.counts_toward_endpoint_limit([{"external_model": {"name": "gpt-4o"}}])
    assert not rules.counts_toward_endpoint_limit([])


def test_the_sweep_keeps_the_rules_their_sources_back():
    # Product docs (create custom model serving endpoints): "Endpoint names cannot use the `databricks-` prefix."
    assert [p.field for p in rules.validate_endpoint_name("databricks-chat")] == ["name"]
    # 15 served entities: the SDK docstring says ten, the service takes 15 (sdk-py #1496, provider PR #5898).
    fifteen = {"served_entities": [{"entity_name": f"m{i}", "entity_version": "1", "name": f"e{i}"} for i in range(15)]}
    assert rules.validate_config(fifteen) == []
    sixteen = {"served_entities": [*fifteen["served_entities"], {"entity_name": "m", "entity_version": "1"}]}
    assert [p.field for p in rules.validate_config(sixteen)] == ["config.served_entities"]
