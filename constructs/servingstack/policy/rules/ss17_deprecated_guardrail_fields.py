"""SS17 (warning): guardrails use the fields the provider has not deprecated."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.facts.gateway import DEPRECATED_GUARDRAIL_FIELDS
from servingstack.policy.rule import Severity, rule
from servingstack.policy.view import EndpointView


@rule(
    "SS17",
    "Guardrails do not rely on deprecated keyword and topic lists",
    severity=Severity.WARNING,
    why="The provider marks a guardrail's `invalid_keywords` and `valid_topics` Deprecated (\"Please use "
    "'pii' and 'safety' instead.\"): the service still takes them today, but they may go away.",
    fix='Use Guardrail(safety=True, pii="BLOCK") (or MASK); suppress this finding while a keyword list is needed.',
)
def deprecated_guardrail_fields(endpoint: EndpointView) -> Iterator[Problem]:
    for direction in ("input", "output"):
        params = (endpoint.ai_gateway.get("guardrails") or {}).get(direction) or {}
        for field in DEPRECATED_GUARDRAIL_FIELDS:
            if params.get(field):
                yield Problem(f"ai_gateway.guardrails.{direction}.{field}", "is deprecated by the provider")
