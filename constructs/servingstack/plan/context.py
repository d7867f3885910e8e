"""What every part of a plan reads from, and where its findings go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servingstack.deploy import owned as ownership_rule
from servingstack.facts.stackfile import DeclaredStack
from servingstack.plan.live import LiveWorkspace, Read
from servingstack.plan.ownership import OwnedResources, StackSettings
from servingstack.plan.results import Category, Finding, ResourceChange, Severity


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

    def ownership(self, change: ResourceChange, kind: str, owns: bool | None, exists: bool) -> str | None:
        """What the apply does with the declared resource `change` plans, by the rule `emulator apply`
        applies (`deploy.owned.decide`): what the state holds, else what the stack's import block for it
        adopts, else a live namesake is another's. None when no state says and no import block adopts it.
        An import block that cannot work is an error here, in the apply's words; one that adopts is noted."""
        address, name = change.address, change.name
        import_id = self.stack.imports.get(address)
        if owns is None and import_id is None:
            return None
        verdict = ownership_rule.decide(owns=bool(owns), import_id=import_id, name=name, exists=exists)
        if verdict == ownership_rule.IMPORT_MISMATCH and import_id is not None:
            message = ownership_rule.import_mismatch(kind, address, import_id, name)
            self.add("preflight", "error", "import_mismatch", address, name, message, "make the import id the name")
        elif verdict == ownership_rule.IMPORT_MISSING and import_id is not None:
            message = ownership_rule.missing_import(kind, address, import_id)
            self.add("preflight", "error", "import_missing", address, name, message, "remove the import block")
        elif verdict == ownership_rule.IMPORT:
            change.notes.append("imported: the stack's import block adopts the live one")
            change.effects.insert(
                0, f"import (import block): Terraform takes the live {kind} into its state, then applies what differs"
            )
        change.owned = verdict in (ownership_rule.MANAGE, ownership_rule.IMPORT)
        return verdict

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
