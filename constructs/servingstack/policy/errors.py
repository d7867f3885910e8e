"""Errors of the policy layer: a policy used wrongly, and a policy that fails the synth."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from .findings import Finding


class PolicyError(ValueError):
    """A rule, pack or suppression declared wrongly, or a rule that crashed."""


class PolicyFailed(PolicyError):
    """Error findings that no suppression covers: the synth must not go on.

    The message lists every one of them (rule id, construct path, field, message, how to fix),
    across every stack, so a user fixes them in one pass.
    """

    def __init__(self, findings: Sequence["Finding"]):
        from .report import format_failure

        self.findings = list(findings)
        super().__init__(format_failure(self.findings))
