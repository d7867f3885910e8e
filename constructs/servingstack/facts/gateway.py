"""The AI Gateway of a serving endpoint: where the sources say each feature applies, the limits they
document, and what they leave open (accepted here; docs/limits.md says so).

Sources named below:
  SDK  = databricks-sdk 0.162 service/serving.py (docstrings and enums)
  REST = REST reference, PUT /api/2.0/serving-endpoints/{name}/ai-gateway
         (docs.databricks.com/api/model-serving/v1/put-inference-endpoint-ai-gateway.md)
  TF   = terraform-provider-databricks docs/resources/model_serving.md and serving/resource_model_serving.go
  DOCS = product docs "Mosaic AI Gateway introduction", Supported features (docs.databricks.com/aws/ai-gateway)

Rate limit keys, periods, the principal a group or service principal limit names, and the PII
behaviours stay in rules.py beside the rest of the create request's rules; what is specific to the
gateway's features and their kinds of endpoint is here. The emulator reads the service rules too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servingstack.errors import Problem

# SDK AiGatewayConfig: the five features of a gateway.
FEATURES = ("rate_limits", "usage_tracking_config", "inference_table_config", "guardrails", "fallback_config")

# SDK `put_ai_gateway` and `ServingEndpointDetailed.ai_gateway` (REST the same): "External model, provisioned
# throughput, and pay-per-token endpoints are fully supported; agent endpoints currently only support inference
# tables." DOCS agrees for agents ("Permission and rate limiting: Not supported"; payload logging supported).
# Custom-model endpoints are not in the SDK's note; DOCS lists rate limiting and payload logging as supported
# there and the rest is not documented either way: accepted.
AGENT_FEATURES = ("inference_table_config",)
# Tasks that make an endpoint an agent endpoint (rules.TASKS; product docs, agent serving).
AGENT_TASK_PREFIX = "agent/"

# SDK AiGatewayInferenceTableConfig.catalog_name / schema_name / table_name_prefix: "NOTE: On update, you have to
# disable inference table first in order to change the catalog name" (schema name, prefix name alike).
INFERENCE_TABLE_LOCATION = ("catalog_name", "schema_name", "table_name_prefix")

# Sources that disagree, or are silent; each is accepted (a false refusal stops a user cold):
# - TF model_serving.md says `ai_gateway`: "only external model endpoints are supported as of now", against the
#   SDK note above (the provider's own example sets it on a provisioned-throughput endpoint): the SDK wins.
# - TF says a guardrail's pii `behavior`: "Currently only `BLOCK` value is supported"; the SDK enum
#   AiGatewayGuardrailPiiBehaviorBehavior has BLOCK, MASK and NONE: all three are accepted (rules.PII_BEHAVIORS).
# - TF marks a rate limit's `calls` "(Required)" (the legacy block); SDK AiGatewayRateLimit.calls is optional.
# - No source gives a maximum number of rate limits, says whether two limits may share a key and principal,
#   which endpoint kinds take token limits or fallback, nor a length or character rule for table_name_prefix.
# - TF resource_model_serving.go marks guardrail `invalid_keywords` and `valid_topics` Deprecated ("Please use
#   'pii' and 'safety' instead."): still accepted; policy rule SS17 warns.
DEPRECATED_GUARDRAIL_FIELDS = ("invalid_keywords", "valid_topics")


def is_agent_task(task: Any) -> bool:
    return isinstance(task, str) and task.startswith(AGENT_TASK_PREFIX)


def kind_problems(gateway: Any, task: Any) -> list[Problem]:
    """Features an endpoint of this kind does not support. Only agent endpoints are documented as limited;
    an endpoint is one when its task is an agent task."""
    if not isinstance(gateway, Mapping) or not is_agent_task(task):
        return []
    return [
        Problem(
            f"ai_gateway.{feature}",
            f"agent endpoints (task {task!r}) support only inference tables in the AI Gateway",
        )
        for feature in FEATURES
        if feature not in AGENT_FEATURES and gateway.get(feature) not in (None, [], {})
    ]


def validate_fallback(gateway: Mapping[str, Any]) -> list[Problem]:
    """SDK FallbackConfig.enabled: a bool without a default (TF-GO: required)."""
    fallback = gateway.get("fallback_config")
    if fallback is None:
        return []
    if not isinstance(fallback, Mapping) or not isinstance(fallback.get("enabled"), bool):
        return [Problem("ai_gateway.fallback_config.enabled", "is required: true or false")]
    return []


def inference_table_change_problems(before: Any, after: Any, where: str = "inference_table_config") -> list[Problem]:
    """An update that moves an enabled inference table (catalog, schema or prefix) without disabling it first."""
    if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
        return []
    if not (before.get("enabled") and after.get("enabled")):
        return []
    return [
        Problem(
            f"{where}.{field}",
            f"cannot change from {before.get(field)!r} to {after.get(field)!r} while the inference table is "
            "enabled: disable it first",
        )
        for field in INFERENCE_TABLE_LOCATION
        if after.get(field) is not None and before.get(field) != after.get(field)
    ]
