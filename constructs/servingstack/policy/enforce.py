"""Check every policy of an app before it is synthesized: `synthesize()` calls this, so a
failing policy lists the findings of every stack at once and nothing is written."""
from __future__ import annotations

from typing import Any, TextIO

from .. import _cdk
from .aspect import Policy
from .errors import PolicyFailed
from .findings import PolicyResult


def enforce(app: Any, stream: TextIO | None = None) -> list[PolicyResult]:
    """Evaluate the policies of the app's stacks, print warnings, and raise `PolicyFailed`
    with every unsuppressed error finding."""
    policies = [p for p in (Policy.of(stack) for stack in _cdk.children(app)) if p is not None]
    results = [policy.evaluate() for policy in policies]
    for policy in policies:
        policy.announce(stream)
    errors = [finding for result in results for finding in result.errors]
    if errors:
        raise PolicyFailed(errors)
    return results
