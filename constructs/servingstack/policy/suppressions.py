"""Suppressions: a rule switched off for one endpoint or a whole stack, always with a reason.

The reason is recorded in the findings report next to every finding it covers, so a
reviewer sees each exception and why it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from servingstack.errors import Problem, ValidationError

MIN_REASON_LENGTH = 10


@dataclass(frozen=True)
class Suppression:
    """`rule_id` does not apply to `scope` (a construct path) or anything under it, because of `reason`."""

    rule_id: str
    scope: str
    reason: str

    def covers(self, rule_id: str, path: str) -> bool:
        return rule_id == self.rule_id and (path == self.scope or path.startswith(f"{self.scope}/"))


@runtime_checkable
class PolicyTarget(Protocol):
    """What suppressions go on: a construct that knows its path and keeps its suppressions
    (`ServingEndpoint`, `ProvisionedThroughputEndpoint`, `ServingStack`)."""

    path: str
    policy_suppressions: list[Suppression]


def suppress(construct: Any, *rule_ids: str, reason: str) -> list[Suppression]:
    """Switch rules off for a `ServingEndpoint` or for every endpoint of a `ServingStack`:

    `suppress(endpoint, "SS3", reason="embeddings of public docs: payloads are not kept")`.
    The reason is mandatory: say why the exception is safe, for the next reviewer.
    """
    if not isinstance(construct, PolicyTarget):
        raise ValidationError(
            str(getattr(construct, "path", type(construct).__name__)),
            [
                Problem(
                    "suppress",
                    "suppressions go on a ServingEndpoint, a ProvisionedThroughputEndpoint or a ServingStack",
                )
            ],
        )
    path = construct.path
    problems = []
    if not rule_ids:
        problems.append(Problem("suppress", "name at least one rule id, e.g. suppress(endpoint, 'SS3', reason=...)"))
    for rule_id in rule_ids:
        if not (isinstance(rule_id, str) and rule_id.strip()):
            problems.append(Problem("suppress", f"{rule_id!r} is not a rule id"))
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON_LENGTH:
        ids = ", ".join(map(str, rule_ids)) or "a rule"
        problems.append(
            Problem(
                f"suppress({ids})",
                f"needs a reason of at least {MIN_REASON_LENGTH} characters that says why the exception is safe",
            )
        )
    if problems:
        raise ValidationError(path, problems)
    added = [Suppression(rule_id.strip(), path, " ".join(reason.split())) for rule_id in rule_ids]
    construct.policy_suppressions.extend(added)
    return added
