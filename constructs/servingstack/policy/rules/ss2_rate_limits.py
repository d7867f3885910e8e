"""SS2: every endpoint has a rate limit."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS2",
    "Rate limits are set",
    why="Without a limit one runaway client can use up the endpoint's capacity, or an external "
    "provider's budget, for every other caller.",
    fix="Add ai_gateway=AiGateway(rate_limits=[RateLimit(calls=...)]): at least one limit, for the "
    "endpoint or per user, group or service principal.",
)
def rate_limits(endpoint: EndpointView) -> Iterator[Problem]:
    if not endpoint.ai_gateway.get("rate_limits"):
        yield Problem("ai_gateway.rate_limits", "no rate limit is set")
