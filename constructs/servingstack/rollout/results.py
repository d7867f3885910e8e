"""What a rollout did, as plain dataclasses: the pre-flight at 0%, each step with every gate evaluation,
the rollback or the restore, and the live split over time. Every report (terminal, JSON, JUnit,
Markdown with its pictures) reads these; `RolloutReport.to_dict()` is the JSON report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

GateStatus = Literal["pass", "fail", "inconclusive"]
# proven: baked with its gates passing. failed: a breach rolled the rollout back during it, or it
# could not be proven. interrupted: stopped by a signal or the timeout before it was proven.
StepStatus = Literal["pending", "updating", "baking", "proven", "failed", "interrupted"]
# completed: the candidate serves the last step. rolled_back: the stable entity serves everything
# again after a breach. failed: it could not go on (the candidate failed at 0%, an update failed,
# someone else changed the traffic). interrupted: a signal. timed_out: the timeout.
Outcome = Literal["running", "completed", "rolled_back", "failed", "interrupted", "timed_out"]

EXIT_COMPLETED = 0
EXIT_NOT_COMPLETED = 1
EXIT_INTERRUPTED = 130


@dataclass
class GateResult:
    gate: str  # probes | error_rate | latency_p99 ...
    status: GateStatus
    message: str
    figures: dict[str, Any] = field(default_factory=dict)
    new: bool = True  # judged on evidence this step had not judged before (a new metrics window)


@dataclass
class Evaluation:
    """One evaluation of every gate, `at` seconds after the run started."""

    at: float
    percent: int
    results: list[GateResult] = field(default_factory=list)
    breach: bool = False  # a gate failed on new evidence: counts towards the failure limit
    ended_at: float | None = None  # when its verdict was known (a breach is seen then)

    @property
    def verdict(self) -> GateStatus:
        statuses = [r.status for r in self.results]
        if "fail" in statuses:
            return "fail"
        return "inconclusive" if "inconclusive" in statuses else "pass"


@dataclass
class Step:
    percent: int
    status: StepStatus = "pending"
    message: str = ""
    resumed: bool = False  # already live when the run started: baked again, not moved to
    requested_at: float | None = None
    live_at: float | None = None
    ended_at: float | None = None
    config_version: int | None = None
    waited_for_other_update: bool = False
    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def update_seconds(self) -> float | None:
        if self.requested_at is None or self.live_at is None:
            return None
        return self.live_at - self.requested_at

    @property
    def bake_seconds(self) -> float | None:
        if self.live_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.live_at


@dataclass
class SplitChange:
    """Back to an earlier split: after a breach (`rollback`) or after a signal or the timeout (`restore`)."""

    kind: Literal["rollback", "restore"]
    reason: str
    to_percent: int
    breach_at: float | None = None  # the end of the evaluation that tripped the failure limit
    requested_at: float | None = None
    live_at: float | None = None
    waited_for_update: bool = False  # an update in progress first had to finish (it cannot be cancelled)
    config_version: int | None = None
    status: Literal["pending", "live", "requested", "failed", "not_needed"] = "pending"
    message: str = ""

    @property
    def request_seconds(self) -> float | None:
        """From the breach to the request for the stable split."""
        if self.breach_at is None or self.requested_at is None:
            return None
        return self.requested_at - self.breach_at

    @property
    def live_seconds(self) -> float | None:
        """From the breach (or the request) until the split served."""
        start = self.breach_at if self.breach_at is not None else self.requested_at
        if start is None or self.live_at is None:
            return None
        return self.live_at - start


@dataclass
class RolloutReport:
    stack: str
    stack_dir: str
    endpoint: str
    host: str | None
    started_at: str
    declared: dict[str, Any]
    timeout_seconds: float
    outcome: Outcome = "running"
    message: str = ""
    seconds: float = 0.0
    resumed_from: int | None = None  # the candidate's live percentage when the run started
    preflight: Evaluation | None = None
    steps: list[Step] = field(default_factory=list)
    change: SplitChange | None = None  # a rollback or a restore
    breaches: int = 0
    last_proven: int = 0  # the candidate's percentage at the last proven step (0: none yet)
    final_split: dict[str, int] = field(default_factory=dict)
    metrics_source: str | None = None  # "per entity" | "endpoint" | None (not read)
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (seconds, candidate %) as seen live
    events: list[tuple[float, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    signal_exit_code: int | None = None

    @property
    def candidate(self) -> str:
        return str(self.declared.get("candidate", ""))

    @property
    def stable(self) -> str:
        return str(self.declared.get("stable", ""))

    @property
    def exit_code(self) -> int:
        if self.outcome == "completed":
            return EXIT_COMPLETED
        if self.outcome == "interrupted":
            return self.signal_exit_code or EXIT_INTERRUPTED
        return EXIT_NOT_COMPLETED

    def evaluations(self) -> list[Evaluation]:
        return ([self.preflight] if self.preflight else []) + [e for s in self.steps for e in s.evaluations]

    def to_dict(self) -> dict[str, Any]:
        """The JSON report; `report_json.SCHEMA` describes it."""
        return {
            "schema_version": 1,
            "kind": "rollout",
            "stack": self.stack,
            "stack_dir": self.stack_dir,
            "endpoint": self.endpoint,
            "host": self.host,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "timeout_seconds": self.timeout_seconds,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "message": self.message,
            "declared": self.declared,
            "resumed_from": self.resumed_from,
            "metrics_source": self.metrics_source,
            "breaches": self.breaches,
            "last_proven_percent": self.last_proven,
            "final_split": dict(self.final_split),
            "preflight": _evaluation(self.preflight) if self.preflight else None,
            "steps": [_step(s) for s in self.steps],
            "change": _change(self.change) if self.change else None,
            "timeline": [{"at": round(at, 3), "candidate_percent": p} for at, p in self.timeline],
            "events": [{"at": round(at, 3), "text": text} for at, text in self.events],
            "warnings": list(self.warnings),
            "advice": list(self.advice),
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _evaluation(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "at": round(evaluation.at, 3),
        "ended_at": _r(evaluation.ended_at),
        "percent": evaluation.percent,
        "verdict": evaluation.verdict,
        "breach": evaluation.breach,
        "gates": [asdict(r) for r in evaluation.results],
    }


def _step(step: Step) -> dict[str, Any]:
    return {
        "percent": step.percent,
        "status": step.status,
        "message": step.message,
        "resumed": step.resumed,
        "requested_at": _r(step.requested_at),
        "live_at": _r(step.live_at),
        "ended_at": _r(step.ended_at),
        "update_seconds": _r(step.update_seconds),
        "bake_seconds": _r(step.bake_seconds),
        "config_version": step.config_version,
        "waited_for_other_update": step.waited_for_other_update,
        "evaluations": [_evaluation(e) for e in step.evaluations],
    }


def _change(change: SplitChange) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "reason": change.reason,
        "to_percent": change.to_percent,
        "status": change.status,
        "message": change.message,
        "breach_at": _r(change.breach_at),
        "requested_at": _r(change.requested_at),
        "live_at": _r(change.live_at),
        "request_seconds": _r(change.request_seconds),
        "live_seconds": _r(change.live_seconds),
        "waited_for_update": change.waited_for_update,
        "config_version": change.config_version,
    }
