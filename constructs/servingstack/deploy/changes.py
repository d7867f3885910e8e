"""What an apply did, resource by resource: the lines `emulator apply` prints, as Terraform would."""

from __future__ import annotations

from dataclasses import dataclass, field

from databricks.sdk.errors import DatabricksError

CREATED, UPDATED, UNCHANGED, DELETED, FAILED = "created", "updated", "unchanged", "deleted", "failed"
SKIPPED = "skipped"  # not applied: it depends on a resource that failed (Terraform skips it too)
_MARKS = {CREATED: "+", UPDATED: "~", UNCHANGED: "=", DELETED: "-", FAILED: "!", SKIPPED: "/"}


def service_error(error: DatabricksError) -> str:
    """The service's refusal as a `Change.error`: its error code, then its message."""
    return f"{error.error_code}: {error}" if error.error_code else str(error)


class PlanError(ValueError):
    """The stack cannot be applied as it stands; nothing was changed. One line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Change:
    action: str
    resource: str  # e.g. databricks_model_serving.fraud
    target: str  # the endpoint name
    details: list[str] = field(default_factory=list)
    deploys: bool = False  # a new config version is deploying
    deploying_already: bool = False  # a deployment this apply did not start was still running
    endpoint: str | None = None  # for permissions: the endpoint's name
    error: str | None = None  # why it failed, in full: printed below the table as `Error: ...`
    imported: bool = False  # taken into the state by a Terraform import block

    def line(self, width: int = 0) -> str:
        detail = f" ({', '.join(self.details)})" if self.details else ""
        return f"{_MARKS[self.action]} {self.action:<9} {self.resource:<{width}}  {self.target}{detail}"


@dataclass
class ApplyResult:
    changes: list[Change] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def changed(self) -> bool:
        return any(c.action in (CREATED, UPDATED, DELETED) for c in self.changes)

    @property
    def still_deploying(self) -> list[str]:
        return [c.target for c in self.changes if c.deploying_already and c.action == UNCHANGED]

    @property
    def failed(self) -> bool:
        return self.count(FAILED) + self.count(SKIPPED) > 0

    def lines(self) -> list[str]:
        width = max((len(c.resource) for c in self.changes), default=0)
        errors = [f"Error: {c.resource}: {c.error}" for c in self.changes if c.error]
        return [c.line(width) for c in self.changes] + errors

    def summary(self) -> str:
        deploying = self.still_deploying
        if not self.changed and not self.failed:
            if deploying:
                return (
                    f"Nothing to send, but {len(deploying)} endpoint{'s are' if len(deploying) != 1 else ' is'} "
                    f"still deploying: {', '.join(deploying)} (apply with --wait to wait for "
                    f"{'them' if len(deploying) != 1 else 'it'})."
                )
            return f"No changes: {self.count(UNCHANGED)} resources unchanged{self._imported()}."
        text = (
            f"Apply complete: {self.count(CREATED)} created, {self.count(UPDATED)} updated, "
            + (f"{self.count(DELETED)} deleted, " if self.count(DELETED) else "")
            + f"{self.count(UNCHANGED)} unchanged"
        )
        text += f", {self.count(FAILED)} failed" if self.failed else ""
        text += f", {self.count(SKIPPED)} skipped" if self.count(SKIPPED) else ""
        text += self._imported() + "."
        if deploying:
            text += f" Still deploying: {', '.join(deploying)}."
        return text

    def _imported(self) -> str:
        imported = sum(1 for c in self.changes if c.imported)
        return f", {imported} imported into the state" if imported else ""
