"""What a check found, as plain dataclasses: one `CheckReport` holding an `EndpointResult` per
endpoint, each with six steps (`ready`, `drift`, `query`, `entities`, `expectations`,
`permissions`), a line per served entity and per expectation run on an entity, and the
permission findings; and an `AppResult` per app, with three steps (`running`, `drift`, `grants`).
Every renderer (table, JSON, JUnit, Markdown) reads these; `CheckReport.to_dict()` is the JSON
report (schema in `report_json`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from servingstack.check.drift import Difference
from servingstack.errors import StackFileError
from servingstack.facts.stackfile import load_stack

# pass: checked and fine. fail: checked and wrong. skip: not applicable or not asked for (a
# reason says which). pending: not finished when the run was interrupted.
StepStatus = Literal["pass", "fail", "skip", "pending"]
STEP_NAMES = ("ready", "drift", "query", "entities", "expectations", "permissions")
APP_STEP_NAMES = ("running", "drift", "grants")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SETUP = 2
EXIT_INTERRUPTED = 130
DEFAULT_TIMEOUT_SECONDS = 1200.0  # the whole run's deadline, by default


@dataclass
class StepResult:
    status: StepStatus = "pending"
    message: str = ""
    details: list[str] = field(default_factory=list)
    seconds: float | None = None

    @property
    def failed(self) -> bool:
        return self.status == "fail"


@dataclass
class QueryStats:
    """The smoke queries of one endpoint."""

    task: str | None = None
    request_source: str | None = None  # built-in | sample_request | openapi
    sent: int = 0
    succeeded: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    p50_ms: float | None = None
    p95_ms: float | None = None
    served_by: dict[str, int] = field(default_factory=dict)
    stream: StepResult | None = None


@dataclass
class EntityResult:
    """The smoke query sent straight to one served entity (whatever its share of the traffic)."""

    name: str
    traffic_percent: int | None = None
    status: StepStatus = "pending"
    message: str = ""
    details: list[str] = field(default_factory=list)
    latency_ms: float | None = None
    shape: str | None = None  # "ok", or what is wrong with the answer's shape
    served_by: str | None = None  # the `served-model-name` header of the answer


@dataclass
class ExpectationResult:
    """One declared expectation, run against one served entity."""

    name: str
    entity: str
    status: StepStatus = "pending"
    message: str = ""
    details: list[str] = field(default_factory=list)  # expected-vs-got lines, one per unmet check
    queries: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    seconds: float | None = None


@dataclass
class PermissionFinding:
    """A difference between the declared grants and the live access control list."""

    principal: str  # "group_name:data-scientists"
    declared: str | None  # the declared level, None: not declared
    live: str | None  # the live direct level, None: not granted
    verdict: Literal["will_be_removed", "missing", "level_differs"]
    severity: Literal["warning", "error"]

    def __str__(self) -> str:
        if self.verdict == "will_be_removed":
            return f"{self.principal} holds {self.live} live but is not declared: will be removed by the next apply"
        if self.verdict == "missing":
            return f"{self.principal}: declared {self.declared}, not granted live"
        return f"{self.principal}: declared {self.declared}, live {self.live} (the next apply resets it)"


@dataclass
class EndpointResult:
    name: str
    logical_id: str
    ready: StepResult = field(default_factory=StepResult)
    drift: StepResult = field(default_factory=StepResult)
    query: StepResult = field(default_factory=StepResult)
    entities: StepResult = field(default_factory=StepResult)
    expectations: StepResult = field(default_factory=StepResult)
    permissions: StepResult = field(default_factory=StepResult)
    entity_results: list[EntityResult] = field(default_factory=list)
    expectation_results: list[ExpectationResult] = field(default_factory=list)
    permission_findings: list[PermissionFinding] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    query_stats: QueryStats | None = None
    last_state: str | None = None
    config_version: int | None = None
    ready_after_seconds: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def steps(self) -> dict[str, StepResult]:
        return {name: getattr(self, name) for name in STEP_NAMES}

    @property
    def status(self) -> Literal["pass", "fail", "pending"]:
        return _status(self.steps.values())


@dataclass
class AppGrant:
    """What an app declares on one endpoint, and what its service principal holds there live."""

    endpoint: str
    declared: str  # CAN_QUERY, ...
    live: str | None  # the principal's strongest live level, None: not granted (or no endpoint)
    verdict: Literal["granted", "missing", "too_weak", "no_endpoint"]

    @property
    def ok(self) -> bool:
        return self.verdict == "granted"

    def __str__(self) -> str:
        if self.verdict == "granted":
            return f"{self.endpoint}: {self.live} (declared {self.declared})"
        if self.verdict == "no_endpoint":
            return f"{self.endpoint}: no such serving endpoint"
        if self.verdict == "missing":
            return f"{self.endpoint}: declared {self.declared}, the app's service principal holds nothing"
        return f"{self.endpoint}: declared {self.declared}, the app's service principal holds only {self.live}"


@dataclass
class AppResult:
    """One app of the stack: it runs, it is as declared, its service principal holds what it declares."""

    name: str
    logical_id: str
    running: StepResult = field(default_factory=StepResult)
    drift: StepResult = field(default_factory=StepResult)
    grants: StepResult = field(default_factory=StepResult)
    service_principal: str | None = None  # its application id (`service_principal_client_id`)
    compute_state: str | None = None
    app_state: str | None = None
    url: str | None = None
    running_after_seconds: float | None = None
    differences: list[Difference] = field(default_factory=list)
    endpoint_grants: list[AppGrant] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def steps(self) -> dict[str, StepResult]:
        return {name: getattr(self, name) for name in APP_STEP_NAMES}

    @property
    def status(self) -> Literal["pass", "fail", "pending"]:
        return _status(self.steps.values())


def _status(steps: Any) -> Literal["pass", "fail", "pending"]:
    statuses = [step.status for step in steps]
    if "fail" in statuses:
        return "fail"
    if "pending" in statuses:
        return "pending"
    return "pass"


@dataclass
class CheckReport:
    stack: str
    stack_dir: str
    host: str | None
    started_at: str
    timeout_seconds: float
    seconds: float = 0.0
    interrupted: bool = False
    endpoints: list[EndpointResult] = field(default_factory=list)
    apps: list[AppResult] = field(default_factory=list)

    @property
    def status(self) -> Literal["pass", "fail", "interrupted"]:
        if self.interrupted:
            return "interrupted"
        endpoints_pass = all(e.status == "pass" for e in self.endpoints)
        return "pass" if endpoints_pass and all(a.status == "pass" for a in self.apps) else "fail"

    @property
    def exit_code(self) -> int:
        return {"pass": EXIT_OK, "fail": EXIT_FAILED, "interrupted": EXIT_INTERRUPTED}[self.status]

    def counts(self) -> dict[str, int]:
        """Endpoints by status."""
        counts = {"pass": 0, "fail": 0, "pending": 0}
        for endpoint in self.endpoints:
            counts[endpoint.status] += 1
        return counts

    def app_counts(self) -> dict[str, int]:
        counts = {"pass": 0, "fail": 0, "pending": 0}
        for app in self.apps:
            counts[app.status] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON report; `report_json.SCHEMA` describes it."""
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
            "counts": self.counts(),
            "endpoints": [_endpoint_dict(e) for e in self.endpoints],
            "apps": [_app_dict(a) for a in self.apps],
        }


def _step_dict(step: StepResult) -> dict[str, Any]:
    return {
        "status": step.status,
        "message": step.message,
        "details": list(step.details),
        "seconds": None if step.seconds is None else round(step.seconds, 3),
    }


def _endpoint_dict(endpoint: EndpointResult) -> dict[str, Any]:
    stats = None
    if endpoint.query_stats is not None:
        stats = asdict(endpoint.query_stats)
        stats["stream"] = _step_dict(endpoint.query_stats.stream) if endpoint.query_stats.stream else None
    return {
        "name": endpoint.name,
        "logical_id": endpoint.logical_id,
        "status": endpoint.status,
        "steps": {name: _step_dict(step) for name, step in endpoint.steps.items()},
        "differences": [
            {"field": d.field, "declared": d.declared, "live": d.live, "severity": d.severity}
            for d in endpoint.differences
        ],
        "query": stats,
        "last_state": endpoint.last_state,
        "config_version": endpoint.config_version,
        "ready_after_seconds": None if endpoint.ready_after_seconds is None else round(endpoint.ready_after_seconds, 3),
        "warnings": list(endpoint.warnings),
        "entities": [{**asdict(e), "latency_ms": _round(e.latency_ms)} for e in endpoint.entity_results],
        "expectations": [
            {**asdict(e), "p50_ms": _round(e.p50_ms), "p95_ms": _round(e.p95_ms), "seconds": _round(e.seconds)}
            for e in endpoint.expectation_results
        ],
        "permissions": [asdict(f) for f in endpoint.permission_findings],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _app_dict(app: AppResult) -> dict[str, Any]:
    return {
        "name": app.name,
        "logical_id": app.logical_id,
        "status": app.status,
        "steps": {name: _step_dict(step) for name, step in app.steps.items()},
        "service_principal": app.service_principal,
        "compute_state": app.compute_state,
        "app_state": app.app_state,
        "url": app.url,
        "running_after_seconds": _round(app.running_after_seconds),
        "differences": [
            {"field": d.field, "declared": d.declared, "live": d.live, "severity": d.severity} for d in app.differences
        ],
        "endpoints": [asdict(g) for g in app.endpoint_grants],
        "warnings": list(app.warnings),
    }


def not_checked(name: str, logical_id: str, why: str) -> EndpointResult:
    """An endpoint the run never got to: every step pending, saying why."""
    result = EndpointResult(name=name, logical_id=logical_id)
    for step in STEP_NAMES:
        getattr(result, step).message = f"not checked: {why}"
    return result


def app_not_checked(name: str, logical_id: str, why: str) -> AppResult:
    """An app the run never got to: every step pending, saying why."""
    result = AppResult(name=name, logical_id=logical_id)
    for step in APP_STEP_NAMES:
        getattr(result, step).message = f"not checked: {why}"
    return result


def interrupted_before_start(
    stack_dir: str | Path, names: Sequence[str] | None, timeout: float, started_at: str, seconds: float
) -> CheckReport:
    """The report of a run stopped before it read the workspace (while it started): every
    endpoint of the stack (or those named) `not checked: interrupted`; none when the stack
    cannot be read."""
    report = CheckReport(
        stack=Path(stack_dir).name,
        stack_dir=str(stack_dir),
        host=None,
        started_at=started_at,
        timeout_seconds=timeout,
        seconds=seconds,
        interrupted=True,
    )
    try:
        stack = load_stack(stack_dir)
    except StackFileError:
        return report
    report.stack, report.stack_dir = stack.name, str(stack.path)
    wanted = set(names or [])
    report.endpoints = [
        not_checked(e.name, e.logical_id, "interrupted") for e in stack.endpoints if not wanted or e.name in wanted
    ]
    report.apps = [] if wanted else [app_not_checked(a.name, a.logical_id, "interrupted") for a in stack.apps]
    return report
