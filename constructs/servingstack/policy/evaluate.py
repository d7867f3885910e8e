"""Run rules over endpoints and apply suppressions: pure Python, the heart of the policy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from servingstack.facts.secrets import redact
from servingstack.policy.errors import PolicyError
from servingstack.policy.findings import Finding, PolicyResult
from servingstack.policy.rule import Rule
from servingstack.policy.secret_scan import plaintext_values
from servingstack.policy.suppressions import Suppression
from servingstack.policy.view import EndpointView


def evaluate(
    endpoints: Iterable[EndpointView],
    rules: Sequence[Rule],
    suppressions: Sequence[Suppression] = (),
    *,
    stack: str = "",
    environment: str | None = None,
    packs: Sequence[str] = (),
) -> PolicyResult:
    """Every finding of `rules` on `endpoints`, each matched against the suppressions that cover it."""
    endpoints = list(endpoints)
    # The closest suppression wins: an endpoint's own reason says more than its stack's.
    by_specificity = sorted(suppressions, key=lambda s: len(s.scope), reverse=True)
    result = PolicyResult(
        stack=stack,
        environment=environment,
        packs=tuple(packs),
        rules=tuple(rules),
        endpoints=[e.path for e in endpoints],
        suppressions=list(suppressions),
    )
    for endpoint in endpoints:
        secrets = plaintext_values(endpoint.request)
        for rule in rules:
            try:
                problems = rule(endpoint)
            except PolicyError as error:
                raise PolicyError(redact(str(error), secrets)) from None
            for problem in problems:
                cover = next((s for s in by_specificity if s.covers(rule.id, endpoint.path)), None)
                # A team's rule may quote what it saw: no secret value leaves through a finding.
                result.findings.append(
                    Finding(
                        rule=rule,
                        path=endpoint.path,
                        endpoint=endpoint.name,
                        field=redact(problem.field, secrets),
                        message=redact(problem.message, secrets),
                        suppression=cover,
                        declared_at=endpoint.declared_at,
                    )
                )
    return result
