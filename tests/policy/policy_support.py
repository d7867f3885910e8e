"""Endpoints for policy tests, built through the public typed API and seen as the policy sees them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from servingstack import AiGateway, EndpointSpec, ExternalModel, Guardrail, InferenceTable, OpenAI, RateLimit, secret
from servingstack.policy import EndpointView

TAGS = {"owner": "ml-platform", "cost-center": "cc-4711"}
GATEWAY = AiGateway(
    usage_tracking=True,
    rate_limits=[RateLimit(calls=100)],
    inference_table=InferenceTable("ml", "serving", table_prefix="chat"),
    input_guardrail=Guardrail(pii="BLOCK"),
    output_guardrail=Guardrail(pii="MASK"),
)
GRANTS = (
    {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
    {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"},
)


def spec(**changes: Any) -> EndpointSpec:
    """An endpoint that complies with every rule of the production pack, with `changes`."""
    good = EndpointSpec(
        name="chat",
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))],
        ai_gateway=GATEWAY,
        tags=TAGS,
    )
    return replace(good, **changes)


def gateway(**changes: Any) -> AiGateway:
    return replace(GATEWAY, **changes)


def view(
    endpoint: EndpointSpec | None = None,
    *,
    request: dict | None = None,
    grants=GRANTS,
    environment: str | None = "prod",
    name_prefix: str | None = None,
    path: str = "prod/chat",
) -> EndpointView:
    """The policy's view of `endpoint` (default: the compliant one) in a `prod` stack, or of a raw request."""
    prefix = f"{environment}-" if name_prefix is None and environment else (name_prefix or "")
    endpoint = endpoint if endpoint is not None else spec()
    return EndpointView(
        path=path,
        request=request if request is not None else endpoint.request(prefix),
        grants=tuple(grants),
        environment=environment,
        name_prefix=prefix,
        stack=path.split("/")[0],
        spec=None if request is not None else endpoint,
    )
