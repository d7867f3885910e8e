"""The error of the policy layer: a policy used wrongly (a policy that fails the synth is
`report.PolicyFailed`)."""

from __future__ import annotations


class PolicyError(ValueError):
    """A rule, pack or suppression declared wrongly, or a rule that crashed."""
