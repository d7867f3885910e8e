"""The emulator answers with the AI Gateway's and the endpoint limit's documented rules
(facts/gateway.py, facts/rules.py), through the unmodified databricks-sdk over HTTP."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import BadRequest, InvalidParameterValue
from databricks.sdk.service.serving import (
    AiGatewayInferenceTableConfig,
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    FallbackConfig,
    OpenAiConfig,
    ServedEntityInput,
)

from servingstack.facts import rules


def external(w, name: str):
    entity = ServedEntityInput(
        name="gpt",
        external_model=ExternalModel(
            name="gpt-4o",
            provider=ExternalModelProvider.OPENAI,
            task="llm/v1/chat",
            openai_config=OpenAiConfig(openai_api_key="{{secrets/k/openai}}"),
        ),
    )
    return w.serving_endpoints.create(name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity]))


def custom(w, name: str):
    entity = ServedEntityInput(entity_name="ml.fraud.scorer", entity_version="1", workload_size="Small")
    return w.serving_endpoints.create(name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity]))


def test_an_enabled_inference_table_is_not_moved_without_disabling_it_first(w):
    external(w, "chat")
    table = AiGatewayInferenceTableConfig(catalog_name="ml", schema_name="logs", table_name_prefix="chat", enabled=True)
    w.serving_endpoints.put_ai_gateway("chat", inference_table_config=table)
    moved = AiGatewayInferenceTableConfig(
        catalog_name="audit", schema_name="logs", table_name_prefix="chat", enabled=True
    )
    with pytest.raises(InvalidParameterValue, match="inference_table_config.catalog_name") as error:
        w.serving_endpoints.put_ai_gateway("chat", inference_table_config=moved)
    assert "disable it first" in str(error.value)
    assert w.serving_endpoints.get("chat").ai_gateway.inference_table_config.catalog_name == "ml"  # nothing stored
    disabled = AiGatewayInferenceTableConfig(
        catalog_name="ml", schema_name="logs", table_name_prefix="chat", enabled=False
    )
    w.serving_endpoints.put_ai_gateway("chat", inference_table_config=disabled)
    w.serving_endpoints.put_ai_gateway("chat", inference_table_config=moved)
    assert w.serving_endpoints.get("chat").ai_gateway.inference_table_config.catalog_name == "audit"


def test_fallback_without_enabled_is_refused_naming_the_field(w):
    external(w, "chat")
    with pytest.raises(InvalidParameterValue, match="fallback_config.enabled"):
        w.serving_endpoints.put_ai_gateway("chat", fallback_config=FallbackConfig(enabled=None))  # type: ignore[arg-type]


def test_the_endpoint_limit_counts_custom_model_endpoints_only(w, monkeypatch):
    monkeypatch.setattr(rules, "MAX_ENDPOINTS_PER_WORKSPACE", 2)
    custom(w, "a")
    custom(w, "b")
    external(w, "chat")  # an external model endpoint does not count
    with pytest.raises(BadRequest, match="at most 2 custom model and agent serving endpoints") as error:
        custom(w, "c")
    assert error.value.error_code == "RESOURCE_LIMIT_EXCEEDED"
