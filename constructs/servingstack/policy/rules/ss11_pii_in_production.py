"""SS11 (production): production guardrails never turn PII handling off."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS11",
    "Production guardrails do not turn PII handling off",
    why="A PII behavior of NONE lets personal data through to the model, into its answers and "
    "into the inference table.",
    fix='Use Guardrail(pii="BLOCK") or Guardrail(pii="MASK").',
)
def pii_in_production(endpoint: EndpointView) -> Iterator[Problem]:
    for direction in ("input", "output"):
        params = (endpoint.ai_gateway.get("guardrails") or {}).get(direction) or {}
        if (params.get("pii") or {}).get("behavior") == "NONE":
            yield Problem(f"ai_gateway.guardrails.{direction}.pii.behavior", "is NONE")
