"""What a plan found, as plain dataclasses: a `PlanReport` with one `ResourceChange` per declared
resource (and per live resource the apply would delete), and `Finding`s in three kinds: what the
change takes away, what Terraform will not apply, and what will fail (preflight). Every renderer
(terminal table, JSON, Markdown with its picture) reads these; `PlanReport.to_dict()` is the JSON
report (schema in `report_json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Action = Literal["create", "update", "replace", "delete", "unchanged"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete", "unchanged")
# takeaway: what the change takes away (access, privileges, traffic, tags). not_applied: a declared
# difference Terraform will not send. preflight: what will fail at apply time. read: something the plan
# could not read, so its verdict is incomplete.
Category = Literal["takeaway", "not_applied", "preflight", "read"]
CATEGORIES: tuple[Category, ...] = ("preflight", "takeaway", "not_applied", "read")
Severity = Literal["error", "warning", "note"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_SETUP = 2
# With --detailed-exitcode: no problem found, but the apply would change something (terraform plan
# -detailed-exitcode says 2; 2 is servingstack's usage error, and 3 and 4 say a report was not written).
EXIT_CHANGES = 5


@dataclass
class FieldChange:
    """One declared difference, in serving terms: `traffic v4: 10% -> 50%`."""

    field: str  # the API field path: traffic[v4], served_entities[v5], ai_gateway.rate_limits[endpoint], ...
    before: Any  # live
    after: Any  # declared
    text: str
    how: str  # the update path: config | tags | ai_gateway | replace | not_applied | access_control | ...


@dataclass
class TrafficLine:
    """One served entity of an endpoint before and after the change (for the picture)."""

    entity: str
    model: str  # "ml.fraud.scorer 5", "gpt-4o (openai)"
    before: int | None  # percent of traffic live (None: not served live)
    after: int | None  # percent declared (None: removed)
    changed: bool = False  # anything else of the entity changes (size, version, ...)


@dataclass
class ResourceChange:
    address: str  # Terraform address: databricks_model_serving.fraud
    resource_type: str
    name: str  # what it is called in the workspace: endpoint name, scope, "scope/principal", ...
    action: Action
    fields: list[FieldChange] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)  # what the update does at the service
    notes: list[str] = field(default_factory=list)
    owned: bool | None = None  # by this stack's state; None when no state says
    construct_path: str | None = None
    traffic: list[TrafficLine] = field(default_factory=list)  # endpoints only


@dataclass
class Finding:
    category: Category
    severity: Severity
    code: str  # stable id: model_version_missing, grant_removed, ...
    address: str  # the resource it is about ("" for the workspace as a whole)
    subject: str  # what exactly: "ml.fraud.scorer 5", "group data-scientists"
    message: str
    fix: str | None = None

    def line(self) -> str:
        where = f"{self.address}: " if self.address else ""
        return f"{where}{self.message}" + (f" (fix: {self.fix})" if self.fix else "")


@dataclass
class Ownership:
    """Where the plan learned which live resources this stack owns."""

    kind: Literal["terraform", "emulator", "none"] = "none"
    source: str | None = None  # the file read
    detail: str = ""


@dataclass
class PlanReport:
    stack: str
    stack_dir: str
    host: str | None
    started_at: str
    timeout_seconds: float
    seconds: float = 0.0
    ownership: Ownership = field(default_factory=Ownership)
    changes: list[ResourceChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    reads: int = 0  # API calls made
    read_seconds: float = 0.0
    interrupted: bool = False
    # Monotonic time of the last answer from the workspace (not in the JSON: only this process can use it).
    last_answer: float = field(default=0.0, repr=False)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {action: 0 for action in ACTIONS}
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def severities(self) -> dict[str, int]:
        counts = {"error": 0, "warning": 0, "note": 0}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def changes_present(self) -> bool:
        return any(change.action != "unchanged" for change in self.changes)

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        return "problems" if self.problems else "ok"

    def exit_code(self, detailed: bool = False) -> int:
        if self.problems or self.interrupted:
            return EXIT_PROBLEMS
        if detailed and self.changes_present:
            return EXIT_CHANGES
        return EXIT_OK

    def by_category(self, category: Category) -> list[Finding]:
        return [f for f in self.findings if f.category == category]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "stack": self.stack,
            "stack_dir": self.stack_dir,
            "host": self.host,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "timeout_seconds": self.timeout_seconds,
            "status": self.status,
            "interrupted": self.interrupted,
            "ownership": asdict(self.ownership),
            "counts": self.counts(),
            "severities": self.severities(),
            "changes_present": self.changes_present,
            "reads": {"calls": self.reads, "seconds": round(self.read_seconds, 3)},
            "changes": [asdict(change) for change in self.changes],
            "findings": [asdict(finding) for finding in self.findings],
        }
