"""`Policy`: rule packs applied to a `ServingStack` as a cdktf Aspect.

The rules run in Python over the stack's endpoints (all of them known to the stack), so a
visit costs no jsii traffic beyond one annotation per finding. The aspect sits on a leaf
construct of its own, so cdktf visits it once per synth, not once per construct. On that visit the
policy annotates each finding on its endpoint (an error annotation fails `app.synth()`),
prints warnings on stderr and writes the findings report into the stack's directory.
`synthesize()` checks every policy of the app before synthesis, so all findings of all
stacks are listed at once.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from .. import _cdk
from ..endpoint import ServingEndpoint
from ..stack import ServingStack
from .errors import PolicyError
from .evaluate import evaluate
from .findings import PolicyResult
from .packs import Pack, combine
from .report import annotation, format_warning, write_report
from .rule import Rule
from .suppressions import suppressions_of
from .view import EndpointView

_ATTRIBUTE = "_servingstack_policy"
_ANCHOR_ID = "ServingstackPolicy"


@_cdk.implements_aspect
class Policy:
    """The rules that hold for one stack. Create it with `Policy.apply`:

    ```python
    Policy.apply(stack, ProductionPack(owner_tag="owner", cost_tag="cost-center"))
    ```
    Applying again to the same stack adds rules to the same policy.
    """

    def __init__(self, stack: ServingStack) -> None:
        self.stack = stack
        self.rules: tuple[Rule, ...] = ()
        self.packs: tuple[str, ...] = ()
        self.result: PolicyResult | None = None
        self._sources: list[Pack | Rule] = []
        self._printed: set[str] = set()
        self._annotated = False
        self._anchor: Any = None

    @classmethod
    def apply(cls, stack: ServingStack, *packs: Pack | Rule) -> "Policy":
        """Enforce `packs` (and loose rules) on every endpoint of `stack` at synth time."""
        if not isinstance(stack, ServingStack):
            raise PolicyError(f"a policy applies to a ServingStack, got {type(stack).__name__} "
                              f"{getattr(stack, 'path', '')}".rstrip())
        if not packs:
            raise PolicyError(f"{stack.path}: name at least one pack or rule, e.g. Policy.apply(stack, BaselinePack())")
        policy = cls.of(stack)
        rules, names = combine([*(policy._sources if policy else []), *packs])  # fails before anything changes
        if policy is None:
            policy = cls(stack)
            setattr(stack, _ATTRIBUTE, policy)
            # cdktf calls an aspect on every construct below the one it is added to: one round trip
            # to Python per node (about 1 ms per endpoint). On a leaf of its own it runs once.
            policy._anchor = _cdk.Construct(stack, _ANCHOR_ID)
            _cdk.add_aspect(policy._anchor, policy)
        policy._sources += packs
        policy.rules, policy.packs = rules, names
        return policy

    @staticmethod
    def of(stack: Any) -> "Policy | None":
        """The policy applied to `stack`, if any."""
        return getattr(stack, _ATTRIBUTE, None)

    def evaluate(self) -> PolicyResult:
        """Run the rules now (pure Python) and keep the result in `self.result`."""
        endpoints = list(self.stack.endpoints)
        suppressions = suppressions_of(self.stack) + [s for e in endpoints for s in suppressions_of(e)]
        self.result = evaluate([EndpointView.of(e, self.stack) for e in endpoints], self.rules, suppressions,
                               stack=self.stack.path, environment=self.stack.environment, packs=self.packs)
        return self.result

    def announce(self, stream: TextIO | None = None) -> None:
        """Print warnings (each once, however often the stack is synthesized)."""
        stream = stream or sys.stderr
        result = self.result or self.evaluate()
        lines = [format_warning(f) for f in result.warnings]
        lines += [f"warning: policy: {s.scope}: a suppression names {s.rule_id}, which no applied pack has"
                  for s in result.unknown_suppressions()]
        for line in lines:
            if line not in self._printed:
                self._printed.add(line)
                print(line, file=stream)

    def visit(self, node: Any) -> None:
        if node is not self._anchor:
            return  # every endpoint of the stack is checked on this one visit
        result = self.evaluate()
        self.announce()
        write_report(result, Path(_cdk.app_outdir(self.stack)) / "stacks" / self.stack.path)
        if self._annotated:
            return  # a second synth of the same app must not repeat the annotations
        self._annotated = True
        endpoints: dict[str, ServingEndpoint] = {e.path: e for e in self.stack.endpoints}
        for finding in result.findings:
            level = "info" if finding.suppression else finding.severity.value
            _cdk.annotate(endpoints[finding.path], level, annotation(finding))
