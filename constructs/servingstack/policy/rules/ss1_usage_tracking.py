"""SS1: every endpoint tracks usage."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS1",
    "Usage tracking is enabled",
    why="Without usage tracking nobody can see who calls the endpoint or charge its cost back: "
    "the usage system tables stay empty for it.",
    fix="Set ai_gateway=AiGateway(usage_tracking=True, ...) on the endpoint.",
)
def usage_tracking(endpoint: EndpointView) -> Iterator[Problem]:
    if not (endpoint.ai_gateway.get("usage_tracking_config") or {}).get("enabled"):
        yield Problem("ai_gateway.usage_tracking_config.enabled", "usage tracking is off")
