"""What every part of a plan reads from, and where its findings go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servingstack.facts.stackfile import DeclaredStack
from servingstack.plan.live import LiveWorkspace, Read
from servingstack.plan.ownership import OwnedResources, StackSettings
from servingstack.plan.results import Category, Finding, Severity


@dataclass
class PlanContext:
    stack: DeclaredStack
    live: LiveWorkspace
    owned: OwnedResources
    settings: StackSettings
    caller: set[str] = field(default_factory=set)  # who runs the plan (SCIM Me): Terraform's caller
    findings: list[Finding] = field(default_factory=list)
    # Live namesakes of declared resources, when no state says who owns them: (kind, name).
    unknown_ownership: list[tuple[str, str]] = field(default_factory=list)

    def add(
        self,
        category: Category,
        severity: Severity,
        code: str,
        address: str,
        subject: str,
        message: str,
        fix: str | None = None,
    ) -> Finding:
        finding = Finding(category, severity, code, address, subject, message, fix)
        self.findings.append(finding)
        return finding

    def unread(self, read: Read[Any], address: str, subject: str, what: str) -> bool:
        """True (and a finding) when `read` has no answer: the plan cannot say what it depends on."""
        if read.done and read.error is None:
            return False
        self.add(
            "read",
            "error",
            "unread",
            address,
            subject,
            f"could not read {what}: {read.error or 'not read'}; the plan for it is incomplete",
            "run the plan again with a longer --timeout, or as a principal allowed to read it",
        )
        return True

    def report_unknown_ownership(self) -> None:
        """One warning for every live namesake no state accounts for (not one per resource: a fleet has hundreds)."""
        if not self.unknown_ownership:
            return
        names = [f"{kind} {name}" for kind, name in self.unknown_ownership]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        self.add(
            "preflight",
            "warning",
            "ownership_unknown",
            "",
            f"{len(names)} live resource(s)",
            f"{len(names)} declared resource(s) already exist in the workspace ({shown}) and no state says whether "
            "this stack created them: they are planned as the stack's; any it did not create makes Terraform's "
            'create fail with "already exists"',
            "pass --state (the stack's Terraform state) so the plan knows what the stack owns",
        )
