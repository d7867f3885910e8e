"""`Policy`: rule packs applied to a `ServingStack` as a cdktf Aspect, and `enforce`, which checks
every policy of an app before it is synthesized.

The rules run in Python over the stack's endpoints (all of them known to the stack), so a
visit costs no jsii traffic beyond one annotation per finding. The aspect sits on a leaf
construct of its own, so cdktf visits it once per synth, not once per construct. On that visit the
policy annotates each finding on its endpoint (an error annotation fails `app.synth()`),
prints warnings on stderr and writes the findings report into the stack's directory.
`synthesize()` calls `enforce` first, so all findings of all stacks are listed at once.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO, cast, runtime_checkable

from servingstack.cdk import engine as _cdk
from servingstack.policy.errors import PolicyError
from servingstack.policy.evaluate import evaluate
from servingstack.policy.findings import PolicyResult
from servingstack.policy.packs import Pack, combine
from servingstack.policy.report import PolicyFailed, annotation, format_warning, write_report
from servingstack.policy.rule import Rule
from servingstack.policy.suppressions import Suppression
from servingstack.policy.view import EndpointView

_ANCHOR_ID = "ServingstackPolicy"


@runtime_checkable
class PolicyHost(Protocol):
    """What a policy applies to: a `ServingStack` (named by what the policy reads of it).

    A host is a construct too (the policy's anchor and the app's output directory hang off it);
    Python's types cannot say "a PolicyHost that is a Construct", so those two uses cast.
    """

    path: str
    environment: str | None
    name_prefix: str
    endpoints: Sequence[Any]
    secret_scopes: dict[str, Any]
    policy_suppressions: list[Suppression]
    policy: Policy | None


@_cdk.implements_aspect
class Policy:
    """The rules that hold for one stack. Create it with `Policy.apply`:

    ```python
    Policy.apply(stack, ProductionPack(owner_tag="owner", cost_tag="cost-center"))
    ```
    Applying again to the same stack adds rules to the same policy.
    """

    def __init__(self, stack: PolicyHost) -> None:
        self.stack = stack
        self.rules: tuple[Rule, ...] = ()
        self.packs: tuple[str, ...] = ()
        self.result: PolicyResult | None = None
        self._sources: list[Pack | Rule] = []
        self._printed: set[str] = set()
        self._annotated = False
        self._anchor: Any = None

    @classmethod
    def apply(cls, stack: Any, *packs: Pack | Rule) -> Policy:
        """Enforce `packs` (and loose rules) on every endpoint of `stack` at synth time."""
        if not isinstance(stack, PolicyHost):
            raise PolicyError(
                f"a policy applies to a ServingStack, got {type(stack).__name__} {getattr(stack, 'path', '')}".rstrip()
            )
        if not packs:
            raise PolicyError(f"{stack.path}: name at least one pack or rule, e.g. Policy.apply(stack, BaselinePack())")
        policy = stack.policy
        rules, names = combine([*(policy._sources if policy else []), *packs])  # fails before anything changes
        if policy is None:
            policy = cls(stack)
            if getattr(stack, "stand_in", False) is True:
                return policy  # a stack refused while synthesize() collects problems: nothing is evaluated
            stack.policy = policy
            # cdktf calls an aspect on every construct below the one it is added to: one round trip
            # to Python per node (about 1 ms per endpoint). On a leaf of its own it runs once.
            policy._anchor = _cdk.Construct(cast(_cdk.Construct, stack), _ANCHOR_ID)  # see PolicyHost
            _cdk.add_aspect(policy._anchor, policy)
        policy._sources += packs
        policy.rules, policy.packs = rules, names
        return policy

    @staticmethod
    def of(stack: Any) -> Policy | None:
        """The policy applied to `stack`, if any."""
        return stack.policy if isinstance(stack, PolicyHost) else None

    def evaluate(self) -> PolicyResult:
        """Run the rules now (pure Python) and keep the result in `self.result`."""
        endpoints = list(self.stack.endpoints)
        suppressions = self.stack.policy_suppressions + [s for e in endpoints for s in e.policy_suppressions]
        self.result = evaluate(
            [view_of(e, self.stack) for e in endpoints],
            self.rules,
            suppressions,
            stack=self.stack.path,
            environment=self.stack.environment,
            packs=self.packs,
        )
        return self.result

    def announce(self, stream: TextIO | None = None) -> None:
        """Print warnings (each once, however often the stack is synthesized)."""
        stream = stream or sys.stderr
        result = self.result or self.evaluate()
        lines = [format_warning(f) for f in result.warnings]
        lines += [
            f"warning: policy: {s.scope}: a suppression names {s.rule_id}, which no applied pack has"
            for s in result.unknown_suppressions()
        ]
        for line in lines:
            if line not in self._printed:
                self._printed.add(line)
                print(line, file=stream)

    def visit(self, node: Any) -> None:
        if node is not self._anchor:
            return  # every endpoint of the stack is checked on this one visit
        result = self.evaluate()
        self.announce()
        outdir = _cdk.app_outdir(cast(_cdk.Construct, self.stack))  # see PolicyHost
        write_report(result, Path(outdir) / "stacks" / self.stack.path)
        if self._annotated:
            return  # a second synth of the same app must not repeat the annotations
        self._annotated = True
        endpoints = {e.path: e for e in self.stack.endpoints}
        for finding in result.findings:
            level = "info" if finding.suppression else finding.severity.value
            _cdk.annotate(endpoints[finding.path], level, annotation(finding))


def view_of(endpoint: Any, stack: PolicyHost) -> EndpointView:
    """What the policy sees of one endpoint. Copies: a rule (maybe a team's own) must not be able to
    change what is synthesized."""
    scopes = stack.secret_scopes
    return EndpointView(
        path=endpoint.path,
        request=copy.deepcopy(endpoint.request),
        grants=tuple(dict(g) for g in endpoint.grants),
        environment=stack.environment,
        name_prefix=stack.name_prefix,
        stack=stack.path,
        spec=endpoint.spec,
        secret_scopes=frozenset(scopes),
        secret_scope_acls={name: scope.declared_acls for name, scope in scopes.items()},
        engine=_cdk.ENGINE.name,
        declared_at=getattr(endpoint, "declared_at", None),
    )


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
