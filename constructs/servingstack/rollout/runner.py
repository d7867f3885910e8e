"""`run_rollout`: carry out the rollout a stack declares for one endpoint, step by step.

1. Wait out a config update already in progress (the service refuses a second one and cannot cancel
   one); read the live split: the run resumes from it (the step that is live is baked again: a run that
   stopped mid-bake proved nothing).
2. Pre-flight: the candidate answers its own queries and meets the declared expectations on its own
   route, at whatever share it has (0% on a first run).
3. Each step: one config update with the live served entities and the step's split; wait until it is
   done (READY, NOT_UPDATING, no pending config: `check.readiness`) and the split serves; then bake,
   evaluating every gate at each interval. An evaluation where a gate fails on new evidence is a breach.
   When breaches reach the failure limit, the stable split (candidate 0%) is requested at once, in the
   same evaluation, and waited for: outcome `rolled_back`, exit 1. A step is proven when its bake is
   over, every gate has passed in it and none failed last; a gate that could not judge extends the bake
   up to twice its length, then the rollout rolls back (no proof, no promotion).
4. The last step proven: `completed`, exit 0, the final split left in place.

Ctrl-C or SIGTERM (and the timeout) restore the last proven step's split (the stable one before any)
and say where the endpoint is; a second signal stops waiting for that. Someone else changing the
traffic meanwhile stops the run and leaves the endpoint as it is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient

from servingstack.check import smoke
from servingstack.check.channel import QueryChannel
from servingstack.check.readiness import PollPolicy
from servingstack.client.auth import Connection, connect
from servingstack.client.connect import check_host_url, check_timeout
from servingstack.client.errors import UsageError
from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline, call_with_retry, describe_error
from servingstack.client.workspace import DeclaredWorkspace, connect_to
from servingstack.errors import StackFileError
from servingstack.facts.ignore_changes import covers
from servingstack.facts.rules import default_entity_name
from servingstack.facts.stackfile import DeclaredEndpoint, load_stack
from servingstack.model.rollout import Gate, Rollout
from servingstack.rollout import gates as gate_checks
from servingstack.rollout.live import Busy, LiveEndpoint, LiveState
from servingstack.rollout.metrics import DEFAULT_ENTITY_LABEL, Freshness, snapshot
from servingstack.rollout.results import Evaluation, GateResult, RolloutReport, SplitChange, Step

READ_SECONDS = 30.0  # one read of the endpoint, retried within this
DEFAULT_METRICS_WINDOW_SECONDS = 60.0  # "within a minute" (product docs): used when samples carry no stamp
DEFAULT_RESTORE_SECONDS = 120.0  # how long a stopped run waits for the last proven split to serve
DEFAULT_ROLLBACK_SECONDS = 2700.0  # how long a rollback waits for its update (the provider's update timeout)
UPDATE_BUDGET_SECONDS = 1200.0  # per config update, for the default timeout (the SDK waiter's 20 minutes)
_MARK = {"pass": "✓", "fail": "✗", "inconclusive": "?"}


@dataclass(frozen=True)
class RolloutOptions:
    timeout: float | None = None  # None: from the declaration (`default_timeout`)
    metrics_window: float = DEFAULT_METRICS_WINDOW_SECONDS
    entity_label: str = DEFAULT_ENTITY_LABEL
    restore_seconds: float = DEFAULT_RESTORE_SECONDS
    rollback_seconds: float = DEFAULT_ROLLBACK_SECONDS
    poll: PollPolicy = PollPolicy(initial=0.1, share_of_elapsed=0.1, cap=2.0, jitter=0.1)


def default_timeout(rollout: Rollout) -> float:
    """Every step baked up to twice its bake after a config update of up to 20 minutes, and one more update."""
    steps = len(rollout.step_list())
    return steps * (2 * rollout.bake_seconds() + UPDATE_BUDGET_SECONDS) + UPDATE_BUDGET_SECONDS


class _Done(Exception):
    """The run reached its outcome (recorded in the report)."""


class _TimedOut(Exception):
    pass


class _UpdateFailed(Exception):
    def __init__(self, state: LiveState):
        self.state = state
        super().__init__(state.readiness.summary)


class _StillUpdating(Exception):
    def __init__(self, state: LiveState):
        self.state = state
        super().__init__(state.readiness.summary)


def _epoch_ms() -> int:
    return int(time.time() * 1000)


class RolloutRun:
    """One run of a rollout against the live endpoint; fills `report` as it goes."""

    def __init__(
        self,
        declared: DeclaredEndpoint,
        rollout: Rollout,
        client: WorkspaceClient,
        report: RolloutReport,
        options: RolloutOptions,
        deadline: Deadline,
        echo: Callable[[str], None],
        redactor: Redactor,
        started: float,
    ):
        self.declared = declared
        self.rollout = rollout
        self.client = client
        self.report = report
        self.options = options
        self.deadline = deadline
        self.echo = echo
        self.redactor = redactor
        self.started = started
        self.live = LiveEndpoint(client, declared.name)
        self.stop = threading.Event()
        self.gates = rollout.gate_list()
        self.context = gate_checks.Context(rollout.candidate, rollout.stable, 0)
        self.entities: tuple[str, ...] = ()
        self.probes: gate_checks.Probes | None = None
        self._request_sent_at: float | None = None
        self._warned_endpoint_metrics = False

    # Plumbing -----------------------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self.started

    def say(self, text: str) -> None:
        text = self.redactor.clean(text)
        at = self._now()
        self.report.events.append((at, text))
        self.echo(f"[{at:7.1f}s] {text}")

    def warn(self, text: str) -> None:
        text = self.redactor.clean(text)
        self.report.warnings.append(text)
        self.say(f"warning: {text}")

    def split(self, percent: int) -> dict[str, int]:
        return self.rollout.split(percent, self.entities)

    def _saw(self, percent: int) -> None:
        if not self.report.timeline or self.report.timeline[-1][1] != percent:
            self.report.timeline.append((self._now(), percent))

    def _read(self) -> LiveState:
        return call_with_retry(self.live.read, Deadline(READ_SECONDS), stop=self.stop)

    def _sleep_until(self, monotonic_at: float) -> None:
        """Sleep to `monotonic_at`, or raise `_TimedOut` when the run's deadline comes first."""
        wait = monotonic_at - time.monotonic()
        if wait > self.deadline.remaining():
            time.sleep(max(0.0, self.deadline.remaining()))
            raise _TimedOut()
        if wait > 0:
            time.sleep(wait)

    def _wait(self, until: Deadline, done: Callable[[LiveState], bool]) -> LiveState:
        """Poll until `done(state)`; `_UpdateFailed` when an update fails, `_StillUpdating` at `until`."""
        began = time.monotonic()
        while True:
            state = self._read()
            if done(state):
                return state
            if state.readiness.phase == "failed" and state.readiness.config_update != "IN_PROGRESS":
                raise _UpdateFailed(state)
            if until.expired():
                raise _StillUpdating(state)
            time.sleep(min(self.options.poll.interval(time.monotonic() - began), max(until.remaining(), 0.01)))

    def _wait_not_updating(self, until: Deadline, why: str) -> tuple[LiveState, bool]:
        """The endpoint once no update is in progress (one cannot be cancelled: it is waited out)."""
        state = self._read()
        if state.readiness.config_update != "IN_PROGRESS":
            return state, False
        version = state.readiness.pending_version
        self.say(
            f"a config update is in progress{f' (config v{version})' if version else ''}: the service cannot "
            f"cancel it and refuses another meanwhile, so {why} waits for it"
        )
        return self._wait(until, lambda s: s.readiness.config_update != "IN_PROGRESS"), True

    def _put(self, state: LiveState, wanted: dict[str, int], until: Deadline) -> LiveState:
        return call_with_retry(lambda: self.live.set_traffic(state, wanted), until, stop=self.stop)

    def _request(self, percent: int, until: Deadline, why: str) -> tuple[LiveState, bool]:
        """Start the config update to the candidate at `percent`; (the state it answered, whether it
        first had to wait for another update)."""
        wanted = self.split(percent)
        waited = False
        while True:
            state, waited_now = self._wait_not_updating(until, why)
            waited = waited or waited_now
            self._request_sent_at = self._now()
            try:
                return self._put(state, wanted, until), waited
            except Busy:
                again = self._read()
                if dict(again.pending_routes) == wanted:  # an earlier attempt went through
                    return again, waited
                waited = True
                if until.expired():
                    raise _StillUpdating(again) from None

    # The run --------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            try:
                self._start()
                for step in self.report.steps:
                    self._step(step)
                self._complete()
            except _TimedOut:
                self._restore(f"the timeout ({self.report.timeout_seconds:g} s) passed", "timed_out")
            except KeyboardInterrupt:
                self._restore("interrupted", "interrupted")
        except _Done:
            pass
        finally:
            self._final_split()

    def _finish(self, outcome: Any, message: str, advice: list[str] | None = None) -> None:
        self.report.outcome = outcome
        self.report.message = self.redactor.clean(message)
        self.report.advice = [self.redactor.clean(a) for a in advice or []]
        self.say(message)
        raise _Done()

    def _final_split(self) -> None:
        try:
            state = call_with_retry(self.live.read, Deadline(5.0))
        except BaseException:  # noqa: BLE001 - the report keeps what was last seen
            return
        self.report.final_split = state.split

    def _start(self) -> None:
        rollout, report = self.rollout, self.report
        state, _ = self._wait_not_updating(self.deadline, "the rollout")
        self.entities = state.entities
        missing = [n for n in (rollout.stable, rollout.candidate) if n not in state.entities]
        if missing:
            self._finish(
                "failed",
                f"the live config does not serve {', '.join(missing)} "
                f"(it serves {', '.join(state.entities) or 'none'}): apply the stack first",
            )
        if state.readiness.ready != "READY":
            self._finish("failed", f"the endpoint is not ready: {state.readiness.summary}")
        if state.readiness.config_update == "UPDATE_FAILED":
            self.warn(f"the last config update failed; the config that serves is v{state.config_version}")
        others = {n: p for n, p in state.split.items() if n not in (rollout.stable, rollout.candidate) and p}
        pair = state.percent(rollout.stable) + state.percent(rollout.candidate)
        if others or pair != 100:
            shown = ", ".join(f"{n} {p}%" for n, p in state.split.items())
            self._finish(
                "failed",
                f"the live split is {shown}: a rollout moves traffic between {rollout.stable} and "
                f"{rollout.candidate} only, every other entity at 0%",
            )
        self._notice(state)
        percent = state.percent(rollout.candidate)
        report.resumed_from = percent
        self._saw(percent)
        steps = rollout.step_list()
        if percent == 0:
            report.steps = [Step(p) for p in steps]
        else:
            report.steps = [Step(percent, resumed=True)] + [Step(p) for p in steps if p > percent]
            self.say(f"resuming: {rollout.candidate} serves {percent}% live; that step is baked again first")
        self._preflight(state, percent)

    def _notice(self, state: LiveState) -> None:
        """What may make the rollout see less than it should, said before it starts."""
        if state.fallback:
            self.warn(
                "AI Gateway fallback is enabled: a request the candidate fails is retried on another entity, so "
                "callers (and perhaps the metrics) do not see its errors; the probes ask it on its own route"
            )
        if not covers(self.declared.ignore_changes, "config[0].traffic_config"):
            self.warn(
                "the stack's resource does not ignore the live traffic (synthesize it again with this "
                "version): the next apply would reset the split"
            )
        declared = [
            r.get("served_model_name") or r.get("served_entity_name")
            for r in ((self.declared.request.get("config") or {}).get("traffic_config") or {}).get("routes") or []
        ]
        live = [name for name, _ in state.routes]
        if declared and live and declared != live:
            self.warn(
                f"the live routes are in the order {', '.join(live)}, the stack's in {', '.join(map(str, declared))}: "
                "Terraform keeps ignored routes by position, so keep the order of served_entities"
            )

    def _preflight(self, state: LiveState, percent: int) -> None:
        rollout = self.rollout
        task = smoke.choose_task(state.raw, self.declared.task)

        def openapi() -> dict[str, Any] | None:
            try:
                return call_with_retry(lambda: smoke.fetch_openapi(self.client, self.declared.name), Deadline(10.0))
            except Exception:  # noqa: BLE001 - no schema: no derived request
                return None

        plan = smoke.plan(task, self.declared.sample_request, openapi)
        channel = QueryChannel(self.client)
        route, _, cannot = channel.route(self.declared.name, state.raw)
        if cannot is None and not route.per_entity:
            cannot = (
                f"{rollout.candidate} cannot be queried on its own: a route-optimized endpoint's URL has no "
                "documented per-entity route (client/data_plane.py)"
            )
        self.probes = gate_checks.Probes(
            channel,
            route,
            rollout.candidate,
            task,
            plan.body if plan else None,
            list(self.declared.expectations),
            self.redactor.clean,
            unreachable=cannot,
        )
        gate = next((g for g in self.gates if g.kind == "probes"), Gate.probes())
        evaluation = Evaluation(self._now(), percent)
        self.report.preflight = evaluation
        nothing = self.probes.nothing_to_send()
        if nothing and not any(g.kind == "probes" for g in self.gates):
            self.warn(f"no pre-flight: {nothing}")
            evaluation.results.append(GateResult(gate.name, "inconclusive", nothing))
        else:
            self.say(f"pre-flight: {rollout.candidate} on its own route ({percent}% of the traffic)")
            result = self.probes.evaluate(gate, self.stop)
            evaluation.results.append(result)
            evaluation.ended_at = self._now()
            self.say(f"pre-flight: {_MARK[result.status]} {result.message}")
            if result.status != "pass":
                evaluation.breach = result.status == "fail"
                reason = f"{rollout.candidate} failed its own queries before any traffic moved: {result.message}"
                if percent > 0:
                    self._rollback(reason, self._now())
                self._finish(
                    "failed",
                    f"{reason}; nothing was moved",
                    [f"Fix {rollout.candidate}, apply, and run servingstack rollout again."],
                )
        if percent == 0 and any(g.kind != "probes" for g in self.gates):
            read = self._read_metrics(None)
            if read.snapshot is not None and read.snapshot.endpoint.requests > 0:
                self.context.baseline = read.snapshot.endpoint

    # A step ----------------------------------------------------------------------------------------

    def _step(self, step: Step) -> None:
        rollout = self.rollout
        percent = step.percent
        self.context.percent = percent
        if step.resumed:
            state = self._read()
            step.live_at = self._now()
            step.config_version = state.config_version
        else:
            step.status = "updating"
            self.say(
                f"{percent}%: moving {rollout.candidate} to {percent}% ({rollout.stable} {100 - percent}%): "
                "one config update, the served entities unchanged"
            )
            state, waited = self._request(percent, self.deadline, f"step {percent}%")
            step.requested_at = self._request_sent_at
            step.waited_for_other_update = waited
            step.config_version = state.readiness.pending_version or state.config_version
            try:
                state = self._wait(self.deadline, lambda s: s.done)
            except _UpdateFailed as failed:
                step.status = "failed"
                step.message = f"its config update failed: {failed.state.readiness.summary}"
                self._rollback(f"step {percent}%: {step.message}", self._now())
            except _StillUpdating:
                raise _TimedOut() from None
            if state.split != self.split(percent):
                self._interfered(step, state)
            step.live_at = self._now()
            self.say(
                f"{percent}%: live (config v{state.config_version}) {step.update_seconds or 0:.1f} s after the request"
            )
        self._saw(percent)
        step.status = "baking"
        self._bake(step)

    def _interfered(self, step: Step, state: LiveState) -> None:
        shown = ", ".join(f"{n} {p}%" for n, p in state.split.items())
        pending = ", ".join(f"{n} {p}%" for n, p in state.pending_routes)
        step.status = "failed"
        step.message = f"someone else changed the traffic: live {shown}" + (f", pending {pending}" if pending else "")
        self._finish(
            "failed",
            f"{step.message}; the rollout stops and leaves the endpoint as it is",
            ["Find who changed it (an apply of a stack without the rollout?), then run servingstack rollout again."],
        )

    def _bake(self, step: Step) -> None:
        rollout = self.rollout
        bake, interval = rollout.bake_seconds(), max(rollout.interval_seconds(), 0.05)
        freshness = Freshness(live_at_ms=_epoch_ms(), window_seconds=self.options.metrics_window)
        live_since = time.monotonic()
        passed: set[str] = set()
        latest: dict[str, str] = {}
        extended = False
        rounds = 0
        self.say(f"{step.percent}%: baking {bake:g} s, the gates every {interval:g} s")
        while True:
            rounds += 1
            self._sleep_until(live_since + rounds * interval)
            evaluation = self._evaluate(step, freshness)
            for result in evaluation.results:
                if result.status == "pass":
                    passed.add(result.gate)
                if result.new:
                    latest[result.gate] = result.status
            if evaluation.breach:
                self.report.breaches += 1
                failing = "; ".join(r.message for r in evaluation.results if r.status == "fail" and r.new)
                self.say(f"{step.percent}%: breach {self.report.breaches}/{rollout.failure_limit}: {failing}")
                if self.report.breaches >= rollout.failure_limit:
                    step.status = "failed"
                    step.ended_at = self._now()
                    step.message = f"breach {self.report.breaches} of {rollout.failure_limit}: {failing}"
                    self._rollback(f"step {step.percent}%: {step.message}", evaluation.ended_at or self._now())
            elapsed = time.monotonic() - live_since
            if elapsed + 1e-6 < bake:
                continue
            unproven = [g.name for g in self.gates if g.name not in passed or latest.get(g.name) == "fail"]
            if not unproven:
                step.status = "proven"
                step.ended_at = self._now()
                self.report.last_proven = step.percent
                step.message = f"proven: {len(step.evaluations)} evaluations"
                self.say(f"{step.percent}%: proven after {elapsed:.1f} s")
                return
            if elapsed + 1e-6 >= 2 * bake:
                step.status = "failed"
                step.ended_at = self._now()
                step.message = f"not proven after {elapsed:.0f} s: {', '.join(unproven)} never passed"
                self._rollback(
                    f"step {step.percent}%: {step.message} (no proof, no promotion)", evaluation.ended_at or self._now()
                )
            if not extended:
                extended = True
                self.say(
                    f"{step.percent}%: baked {bake:g} s but {', '.join(unproven)} has not passed yet: "
                    f"baking on, up to {2 * bake:g} s"
                )

    def _evaluate(self, step: Step, freshness: Freshness) -> Evaluation:
        evaluation = Evaluation(self._now(), step.percent)
        step.evaluations.append(evaluation)
        state = self._read()
        wanted = self.split(step.percent)
        if state.split != wanted or (state.pending_routes and dict(state.pending_routes) != wanted):
            self._interfered(step, state)
        read: gate_checks.MetricsRead | None = None
        assert self.probes is not None  # set by the pre-flight
        for gate in self.gates:
            if gate.kind == "probes":
                evaluation.results.append(self.probes.evaluate(gate, self.stop))
                continue
            if read is None:
                read = self._read_metrics(freshness)
            judge = gate_checks.error_rate if gate.kind == "error_rate" else gate_checks.latency
            evaluation.results.append(judge(gate, read, self.context))
        evaluation.breach = any(r.status == "fail" and r.new for r in evaluation.results)
        evaluation.ended_at = self._now()
        marks = "  ".join(f"{r.gate} {_MARK[r.status]}" for r in evaluation.results)
        self.say(f"{step.percent}%: {marks}")
        return evaluation

    def _read_metrics(self, freshness: Freshness | None) -> gate_checks.MetricsRead:
        try:
            text = call_with_retry(self.live.metrics_text, Deadline(min(10.0, READ_SECONDS)), stop=self.stop)
        except Exception as error:  # noqa: BLE001 - an unreadable sample is inconclusive, never a breach
            return gate_checks.MetricsRead(None, error=self.redactor.clean(describe_error(error)))
        snap = snapshot(text, self.options.entity_label)
        if self.report.metrics_source is None:
            self.report.metrics_source = "per entity" if snap.per_entity else "endpoint"
        if not snap.per_entity and not self._warned_endpoint_metrics:
            self._warned_endpoint_metrics = True
            self.warn(
                f"the endpoint's metrics have no {self.options.entity_label} label: the gates judge "
                f"{self.rollout.candidate} from the whole endpoint's figures (its error rate estimated against the "
                "rate before the rollout)"
            )
        if freshness is None:
            return gate_checks.MetricsRead(snap, fresh=True, new=True)
        fresh, new = freshness.verdict(snap.stamp_ms, _epoch_ms())
        theirs = snap.entities.get(self.rollout.stable)
        if fresh and theirs is not None and theirs.requests > 0:
            self.context.stable_reference = theirs
        return gate_checks.MetricsRead(snap, fresh=fresh, new=new)

    # Endings ---------------------------------------------------------------------------------------

    def _complete(self) -> None:
        rollout = self.rollout
        final = self.report.steps[-1].percent if self.report.steps else 0
        self._finish(
            "completed",
            f"completed: {rollout.candidate} serves {final}%, every step proven",
            [
                f"In the stack, remove {rollout.stable} from served_entities and the rollout= of this endpoint, in "
                f"one apply: the split it then declares ({rollout.candidate} 100%) is the live one.",
                "Declare the next rollout (stable=the new version) in a later apply.",
            ]
            if final == 100
            else [],
        )

    def _rollback(self, reason: str, breach_at: float) -> None:
        """The stable split at once, waited for; the run ends `rolled_back` (or `failed` if it cannot)."""
        rollout = self.rollout
        change = SplitChange("rollback", self.redactor.clean(reason), 0, breach_at=breach_at)
        self.report.change = change
        self.say(f"rolling back: {reason}")
        until = Deadline(self.options.rollback_seconds)
        try:
            state, waited = self._request(0, until, "the rollback")
            change.requested_at = self._request_sent_at
            change.waited_for_update = waited
            change.config_version = state.readiness.pending_version or state.config_version
            change.status = "requested"
            self.say(
                f"rollback requested {change.request_seconds or 0:.2f} s after the breach "
                f"(config v{change.config_version}): {rollout.stable} 100%"
            )
            state = self._wait(until, lambda s: s.done and s.split == self.split(0))
        except (_UpdateFailed, _StillUpdating) as stuck:
            change.status = "failed"
            change.message = f"the rollback did not serve within {until.seconds:g} s: {stuck}"
            self._finish("failed", f"rollback failed: {change.message}", ["Look at the endpoint now."])
        except KeyboardInterrupt:
            requested = change.requested_at is not None
            change.message = "interrupted while " + (
                "waiting for the rollback" if requested else "waiting to roll back"
            )
            self._finish(
                "interrupted",
                f"{change.message}: "
                + (
                    f"{rollout.stable} 100% was requested (config v{change.config_version}) and the service finishes "
                    "it on its own"
                    if requested
                    else "it was not requested yet (an update in progress had to finish first); the endpoint serves "
                    "what it served"
                ),
                [
                    f"Make sure {rollout.stable} serves 100%; run servingstack rollout again only once "
                    f"{rollout.candidate} is fixed."
                ],
            )
        change.live_at = self._now()
        change.status = "live"
        self._saw(0)
        self._finish(
            "rolled_back",
            f"rolled back: {rollout.stable} serves 100% again (config v{state.config_version}), "
            f"{change.live_seconds or 0:.1f} s after the breach",
            [
                f"Fix {rollout.candidate} (or remove it and the rollout= from the stack), apply, and run "
                "servingstack rollout again."
            ],
        )

    def _restore(self, reason: str, outcome: Any) -> None:
        """After a signal or the timeout: the last proven split, requested and waited for a while."""
        rollout, report = self.rollout, self.report
        target = report.last_proven
        where = f"{rollout.candidate} {target}%" if target else f"{rollout.stable} 100% (no step was proven yet)"
        change = SplitChange("restore", reason, target)
        report.change = change
        for step in report.steps:
            if step.status in ("updating", "baking"):
                step.status = "interrupted"
                step.ended_at = self._now()
        until = Deadline(self.options.restore_seconds)
        try:
            state = self._read()
            if state.split == self.split(target) and not state.pending_routes:
                change.status = "not_needed"
                self._finish(
                    outcome,
                    f"{reason}: the endpoint is at the last proven step, {where} (config v{state.config_version})",
                    ["Run servingstack rollout again to resume from the live split."],
                )
            self.say(f"{reason}: back to the last proven step, {where}")
            state, waited = self._request(target, until, "the restore")
            change.requested_at = self._request_sent_at
            change.waited_for_update = waited
            change.config_version = state.readiness.pending_version or state.config_version
            change.status = "requested"
            state = self._wait(until, lambda s: s.done and s.split == self.split(target))
            change.live_at = self._now()
            change.status = "live"
            self._saw(target)
            message = (
                f"{reason}: the endpoint is back at the last proven step, {where} (config v{state.config_version})"
            )
        except KeyboardInterrupt:
            message = f"{reason}; stopped waiting (a second signal): " + (
                f"the update back to {where} was requested (config v{change.config_version}) and the service "
                "finishes it on its own"
                if change.requested_at is not None
                else f"nothing was requested; the endpoint serves what it served, not {where}"
            )
        except (_UpdateFailed, _StillUpdating) as stuck:
            message = (
                f"{reason}: the update back to {where} did not serve within {until.seconds:g} s ({stuck}); the service "
                "goes on with it"
            )
        self._finish(outcome, message, ["Run servingstack rollout again to resume from the live split."])


def _select(stack_endpoints: list[DeclaredEndpoint], name: str) -> DeclaredEndpoint:
    for endpoint in stack_endpoints:
        if endpoint.name == name:
            return endpoint
    with_rollout = [e.name for e in stack_endpoints if e.rollout]
    raise UsageError(
        f"--endpoint {name}: not in the stack (endpoints with a rollout: {', '.join(with_rollout) or 'none'})"
    )


def run_rollout(
    stack_dir: str | Path,
    endpoint: str,
    *,
    host: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    timeout: float | None = None,
    options: RolloutOptions | None = None,
    echo: Callable[[str], None] = print,
    redactor: Redactor | None = None,
) -> RolloutReport:
    """Carry out the rollout the stack declares for `endpoint` against the live workspace.

    Connection as `run_check`'s. Returns the report (`exit_code`: 0 completed, 1 rolled back or
    failed, 130 interrupted); raises a `SetupError` (exit code 2) for a bad stack, options, an
    endpoint without a rollout, configuration or credentials. Ctrl-C (a `KeyboardInterrupt`) during
    the run restores the last proven step and returns the report, outcome `interrupted`."""
    options = options or RolloutOptions()
    if host is not None:
        host = check_host_url(host)
    try:
        stack = load_stack(stack_dir)
    except StackFileError as error:
        raise UsageError(str(error)) from None
    # Which workspace: the rule every tool shares (`client/workspace.py`): the stack's own when none
    # is given, and one for another workspace refused before any request.
    workspace = DeclaredWorkspace(stack.name, stack.host, stack.profile)
    host, profile = connect_to(workspace, host, profile)
    declared = _select(stack.endpoints, endpoint)
    if not declared.rollout:
        raise UsageError(
            f"{declared.name} declares no rollout: add rollout=Rollout(stable=..., candidate=...) to its "
            "ServingEndpoint and synthesize again"
        )
    rollout = Rollout.from_json(declared.rollout)
    problems = rollout.problems([str(n) for n in _declared_entities(declared)])
    if problems:
        raise UsageError(f"{declared.name}: the declared rollout is not usable: " + "; ".join(map(str, problems)))
    seconds = check_timeout(timeout if timeout is not None else options.timeout or default_timeout(rollout))
    redactor = redactor if redactor is not None else Redactor()
    redactor.add(token)
    started = time.monotonic()
    report = RolloutReport(
        stack=stack.name,
        stack_dir=str(stack.path),
        endpoint=declared.name,
        host=host,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        declared=rollout.to_json(),
        timeout_seconds=seconds,
    )
    deadline = Deadline(seconds)
    client = connect(
        Connection(host=host, token=token, profile=profile, declared=workspace), seconds, redactor, deadline
    )
    report.host = client.config.host
    run = RolloutRun(declared, rollout, client, report, options, deadline, echo, redactor, started)
    try:
        run.run()
    finally:
        report.seconds = time.monotonic() - started
    return report


def _declared_entities(declared: DeclaredEndpoint) -> list[str]:
    entities = (declared.request.get("config") or {}).get("served_entities") or []
    return [e.get("name") or default_entity_name(e) or "" for e in entities]
