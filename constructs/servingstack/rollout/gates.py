"""Evaluating a step's gates: the candidate's own queries, and its error rate and latency in the
endpoint's metrics. Each evaluation is pass, fail, or inconclusive (not enough to judge), with the
figures it judged on.

Probes go to the candidate's own route, whatever its share of the traffic ("While querying the
individual served model, the traffic settings are ignored": docs, "Serve multiple models to a model
serving endpoint"), through the checker's own entity query and expectation runs (`check.entities`),
each sent once: an error is a verdict, never retried away.

Metrics: when the series are per served entity, the candidate's figures are its own, compared with the
stable entity's in the same window (source "per entity"). When they are the endpoint's only (no
Databricks source says they are per entity), the candidate's error rate is estimated from the
endpoint's totals and its rate before the rollout (the stable entity's alone): with a share p of the
traffic,
`candidate = (errors - (1 - p) x requests x stable_rate) / (p x requests)` (source "endpoint, estimated");
without that baseline, the whole endpoint's rate is judged ("endpoint, diluted": the candidate's failures
diluted by its share). Latency percentiles cannot be separated so: the endpoint's are judged, against its
own before the rollout ("endpoint, diluted"; "endpoint" at 100%).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from servingstack.check import entities as entity_checks
from servingstack.check.channel import QueryChannel
from servingstack.check.results import EntityResult
from servingstack.client.data_plane import QueryRoute
from servingstack.client.retry import Deadline
from servingstack.model.rollout import Gate
from servingstack.rollout.metrics import Figures, Snapshot
from servingstack.rollout.results import GateResult


@dataclass
class Probes:
    """What to send to the candidate on its own route (`route`: where the endpoint takes queries;
    `unreachable`: why the candidate cannot be queried on its own, None when it can)."""

    channel: QueryChannel
    route: QueryRoute
    candidate: str
    task: str | None
    body: dict[str, Any] | None  # the smoke query; None: none for this endpoint
    expectations: list[dict[str, Any]]  # the declared expectations (JSON form)
    clean: Callable[[str], str]
    unreachable: str | None = None

    def nothing_to_send(self) -> str | None:
        applies = [e for e in self.expectations if entity_checks.applies_to(e, self.candidate)]
        if self.body is None and not any(e.get("request") is not None for e in applies):
            return (
                "nothing to send to the candidate: declare sample_request (a custom model) "
                "or an Expectation with a request"
            )
        return None

    def evaluate(self, gate: Gate, stop: Any) -> GateResult:
        if self.unreachable is not None:
            return GateResult(gate.name, "inconclusive", self.unreachable, {})
        entity = EntityResult(name=self.candidate)
        once = Deadline(0.0)  # one attempt per query: a failed answer is the verdict
        runs = entity_checks.check_entity(
            self.channel,
            self.route,
            entity,
            self.task,
            self.body,
            self.expectations,
            gate.queries,
            once,
            stop,
            self.clean,
        )
        figures: dict[str, Any] = {"latency_ms": entity.latency_ms, "expectations": len(runs)}
        failed = [r for r in runs if r.status == "fail"]
        if entity.status == "fail":
            return GateResult(gate.name, "fail", f"its own query: {entity.message}", figures)
        if failed:
            first = failed[0]
            figures["unmet"] = [f"'{r.name}': {line}" for r in failed for line in (r.details or [r.message])]
            return GateResult(gate.name, "fail", f"expectation '{first.name}': {first.message}", figures)
        met = [r for r in runs if r.status == "pass"]
        if entity.status != "pass" and not met:
            return GateResult(gate.name, "inconclusive", self.nothing_to_send() or entity.message, figures)
        parts = [f"answered in {entity.latency_ms:.0f} ms"] if entity.status == "pass" and entity.latency_ms else []
        if met:
            parts.append(f"{len(met)} expectation{'s' if len(met) != 1 else ''} met")
        return GateResult(gate.name, "pass", ", ".join(parts) or "answered", figures)


@dataclass
class MetricsRead:
    """One read of the metrics for a step's evaluation."""

    snapshot: Snapshot | None
    error: str | None = None
    fresh: bool = False  # a window wholly after the step went live
    new: bool = False  # not judged before in this step


@dataclass
class Context:
    candidate: str
    stable: str
    percent: int  # the candidate's share of the traffic now
    baseline: Figures | None = None  # the endpoint's figures before the rollout (candidate at 0%)
    stable_reference: Figures | None = None  # the stable entity's last figures with requests (per entity)


def _unjudgeable(gate: Gate, read: MetricsRead) -> GateResult | None:
    if read.error is not None:
        return GateResult(gate.name, "inconclusive", f"cannot read the endpoint's metrics: {read.error}", new=False)
    if read.snapshot is None or not read.fresh:
        return GateResult(
            gate.name,
            "inconclusive",
            "no metrics window wholly after the step went live yet (the service counts a minute at a time)",
            new=False,
        )
    return None


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def error_rate(gate: Gate, read: MetricsRead, ctx: Context) -> GateResult:
    early = _unjudgeable(gate, read)
    if early is not None:
        return early
    assert read.snapshot is not None  # judged fresh above
    snap = read.snapshot
    what = "5xx and 4xx" if gate.include_4xx else "5xx"
    share = ctx.percent / 100
    stable_rate: float | None = None
    if snap.per_entity:
        mine = snap.entities.get(ctx.candidate, Figures())
        requests, rate = mine.requests, mine.error_rate(gate.include_4xx)
        theirs = snap.entities.get(ctx.stable)
        reference = theirs if theirs is not None and theirs.requests > 0 else ctx.stable_reference
        stable_rate = reference.error_rate(gate.include_4xx) if reference is not None else None
        source = "per entity"
    else:
        total = snap.endpoint
        requests = total.requests * share
        total_rate = total.error_rate(gate.include_4xx)
        baseline_rate = ctx.baseline.error_rate(gate.include_4xx) if ctx.baseline is not None else None
        stable_rate = baseline_rate
        if share >= 1 or total_rate is None:
            rate, source = total_rate, "endpoint"
        elif baseline_rate is not None and share > 0:
            rate = min(1.0, max(0.0, (total_rate - (1 - share) * baseline_rate) / share))
            source = "endpoint, estimated"
        else:
            rate, source = total_rate, "endpoint, diluted"
    figures = {
        "candidate_requests": round(requests, 1),
        "candidate_rate": rate,
        "stable_rate": stable_rate,
        "source": source,
        "window_ms": snap.stamp_ms,
    }
    if requests < max(gate.min_requests, 1) or rate is None:
        return GateResult(
            gate.name,
            "inconclusive",
            f"{requests:.0f} requests of {ctx.candidate} in the window; {gate.min_requests} needed",
            figures,
            new=read.new,
        )
    broken = []
    if gate.max_rate is not None and rate > gate.max_rate:
        broken.append(f"above {_share(gate.max_rate)}")
    if gate.max_increase is not None:
        if stable_rate is None:
            if gate.max_rate is None:
                return GateResult(
                    gate.name,
                    "inconclusive",
                    f"{ctx.stable} has no figures to compare {ctx.candidate}'s with",
                    figures,
                    new=read.new,
                )
        elif rate - stable_rate > gate.max_increase:
            broken.append(f"more than {_share(gate.max_increase)} above {ctx.stable}'s {_share(stable_rate)}")
    said = f"{ctx.candidate}: {_share(rate)} of {requests:.0f} requests failed ({what}; {source})"
    if broken:
        return GateResult(gate.name, "fail", f"{said}: {', '.join(broken)}", figures, new=read.new)
    compared = f", {ctx.stable} {_share(stable_rate)}" if stable_rate is not None else ""
    return GateResult(gate.name, "pass", f"{said}{compared}", figures, new=read.new)


def latency(gate: Gate, read: MetricsRead, ctx: Context) -> GateResult:
    early = _unjudgeable(gate, read)
    if early is not None:
        return early
    assert read.snapshot is not None  # judged fresh above
    snap = read.snapshot
    if not snap.has_latency:
        return GateResult(
            gate.name, "inconclusive", "the endpoint exports no request_latency_ms histogram", new=read.new
        )
    share = gate.percentile / 100
    if snap.per_entity:
        mine = snap.entities.get(ctx.candidate, Figures())
        requests, value = mine.requests, mine.percentile(share)
        theirs = snap.entities.get(ctx.stable)
        reference = theirs if theirs is not None and theirs.requests > 0 else ctx.stable_reference
        stable_value = reference.percentile(share) if reference is not None else None
        source = "per entity"
    else:
        requests = snap.endpoint.requests * ctx.percent / 100
        value = snap.endpoint.percentile(share)
        stable_value = ctx.baseline.percentile(share) if ctx.baseline is not None else None
        source = "endpoint" if ctx.percent >= 100 else "endpoint, diluted"
    label = f"p{gate.percentile:g}"
    figures = {
        "candidate_requests": round(requests, 1),
        "candidate_ms": value,
        "stable_ms": stable_value,
        "source": source,
        "window_ms": snap.stamp_ms,
    }
    if requests < max(gate.min_requests, 1) or value is None:
        return GateResult(
            gate.name,
            "inconclusive",
            f"{requests:.0f} requests of {ctx.candidate} in the window; {gate.min_requests} needed",
            figures,
            new=read.new,
        )
    broken = []
    if gate.max_ms is not None and value > gate.max_ms:
        broken.append(f"above {gate.max_ms:g} ms")
    if gate.max_ratio is not None:
        if stable_value is None or stable_value <= 0:
            if gate.max_ms is None:
                return GateResult(
                    gate.name,
                    "inconclusive",
                    f"{ctx.stable} has no {label} to compare {ctx.candidate}'s with",
                    figures,
                    new=read.new,
                )
        elif value > gate.max_ratio * stable_value:
            broken.append(f"more than {gate.max_ratio:g} x {ctx.stable}'s {stable_value:.0f} ms")
    said = f"{ctx.candidate}: {label} {value:.0f} ms over {requests:.0f} requests ({source})"
    if broken:
        return GateResult(gate.name, "fail", f"{said}: {', '.join(broken)}", figures, new=read.new)
    compared = f", {ctx.stable} {stable_value:.0f} ms" if stable_value is not None else ""
    return GateResult(gate.name, "pass", f"{said}{compared}", figures, new=read.new)
