"""What a policy found: one `Finding` per violation, and a `PolicyResult` per stack."""

from __future__ import annotations

from dataclasses import dataclass, field

from servingstack.policy.rule import Rule, Severity
from servingstack.policy.suppressions import Suppression
from servingstack.policy.view import SourceLocation


@dataclass(frozen=True)
class Finding:
    """`rule` is broken by the endpoint at construct path `path`, in `field`.

    `suppression` is set when a suppression with a reason covers it: it is then recorded,
    and neither fails the synth nor is printed. `declared_at` is where the app declared the endpoint.
    """

    rule: Rule
    path: str
    endpoint: str
    field: str
    message: str
    suppression: Suppression | None = None
    declared_at: SourceLocation | None = None

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def fails(self) -> bool:
        return self.suppression is None and self.severity is Severity.ERROR

    def headline(self) -> str:
        where = f"{self.path} {self.field}" if self.field else self.path
        return f"{self.rule.id} {where}: {self.message}"


@dataclass
class PolicyResult:
    """Every finding of the rules applied to one stack, and every suppression declared in it."""

    stack: str
    environment: str | None
    packs: tuple[str, ...]
    rules: tuple[Rule, ...]
    endpoints: list[str]
    findings: list[Finding] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.fails]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.suppression is None and f.severity is Severity.WARNING]

    @property
    def suppressed(self) -> list[Finding]:
        return [f for f in self.findings if f.suppression is not None]

    @property
    def passed(self) -> bool:
        return not self.errors

    def matches(self, suppression: Suppression) -> int:
        """How many findings a suppression covers: 0 means it is stale or misspelt."""
        return sum(1 for f in self.findings if f.suppression == suppression)

    def unknown_suppressions(self) -> list[Suppression]:
        """Suppressions of a rule id that no applied pack has (most likely a typo)."""
        ids = {r.id for r in self.rules}
        return [s for s in self.suppressions if s.rule_id not in ids]
