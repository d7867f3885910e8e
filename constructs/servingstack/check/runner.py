"""`run_check`: read a synthesized stack, then for every endpoint at once wait until it is ready,
compare it with the declaration and send it a smoke query.

A `FleetWatcher` waits on all endpoints with one list call per look; an endpoint that looks
done, failed or missing gets a full `get` on a worker of the shared `Scheduler`, and when that
confirms it is ready, the same worker verifies it (drift, query) at once, so a fleet is done
shortly after its slowest endpoint is ready.

One deadline bounds the whole run, from the first connection attempt (`connect.reach`) on:
a host that does not resolve, refuses or never answers ends the run inside it, and a
watchdog cuts off whatever still runs `HARD_STOP_SLACK_SECONDS` after it (a query retried in
its `QUERY_GRACE_SECONDS`, a hung request), reporting it as not finished within the timeout.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, PermissionDenied, Unauthenticated

from servingstack.check import acl, drift, smoke
from servingstack.check import entities as entity_checks
from servingstack.check import progress as progress_module
from servingstack.check.apps import AppCheck, AppPrincipals
from servingstack.check.channel import QueryChannel
from servingstack.check.fleet import FleetWatcher
from servingstack.check.readiness import PollPolicy, Readiness, assess, failure_details
from servingstack.check.results import (
    DEFAULT_TIMEOUT_SECONDS,
    STEP_NAMES,
    CheckReport,
    EndpointResult,
    EntityResult,
    QueryStats,
    StepResult,
    app_not_checked,
    not_checked,
)
from servingstack.client.auth import Connection, connect
from servingstack.client.connect import check_host_url, check_timeout
from servingstack.client.data_plane import QueryRoute
from servingstack.client.errors import UsageError
from servingstack.client.redact import Redactor
from servingstack.client.retry import (
    Deadline,
    Interrupted,
    RetriesExhausted,
    call_with_retry,
    describe_error,
    is_transient,
    retry_after,
    unwrap,
)
from servingstack.client.scheduler import Scheduler
from servingstack.client.workspace import DeclaredWorkspace, connect_to
from servingstack.errors import StackFileError
from servingstack.facts.stackfile import DeclaredApp, DeclaredEndpoint, app_principal_reference, load_stack

QUERY_GRACE_SECONDS = 10.0
HARD_STOP_SLACK_SECONDS = 0.5  # after the deadline, for the last looks to report what they saw
LOG_FETCH_SECONDS = 5.0
WORKERS = 10  # at most this many requests in flight (the SDK's plain-http connection pool holds 10)
ANSWER_EXCERPT_CHARS = 300
_SOURCES = {
    "built-in": "built-in request",
    "sample_request": "declared sample_request",
    "openapi": "request from the OpenAPI schema",
}


@dataclass(frozen=True)
class CheckOptions:
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    query: bool = True
    queries: int = 1
    stream: bool = False
    poll: PollPolicy = PollPolicy()
    workers: int = WORKERS
    strict_permissions: bool = False  # an undeclared live grant fails the endpoint, not just warns


@dataclass
class _Run:
    """What every endpoint's steps share."""

    client: WorkspaceClient
    options: CheckOptions
    deadline: Deadline
    started: float
    stop: threading.Event
    redactor: Redactor
    progress: progress_module.Progress
    watcher: FleetWatcher
    schedule: Callable[[float, Callable[[], None]], None] | None = None  # per-entity steps; None: inline
    caller: acl.Caller | None = None
    app_principals: AppPrincipals | None = None  # for grants that name an app's service principal
    channel: QueryChannel | None = None  # where queries go (None: made from `client` on first use)


class EndpointCheck:
    """The checks of one endpoint, as steps run by the scheduler."""

    def __init__(self, declared: DeclaredEndpoint, run: _Run):
        self.declared = declared
        self.name = declared.name
        self.run = run
        self.last_detail = run.started
        self.result = EndpointResult(name=declared.name, logical_id=declared.logical_id)
        self.done = False
        self._lock = threading.Lock()
        self._last_error: str | None = None
        self._shown_state: str | None = None
        self._plan: smoke.QueryPlan | None = None
        self._task: str | None = None
        self._entities_left = 0
        self._route = QueryRoute(declared.name)
        self._route_problem: str | None = None  # why its queries cannot be sent (a PAT, route-optimized)

    # Steps ---------------------------------------------------------------------------------

    def poll(self) -> None:
        self._guarded(self._poll)

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Interrupted:
            pass  # the run is stopping; `interrupt()` records where this endpoint was
        except Exception as error:  # noqa: BLE001 - one endpoint's surprise must not sink the others
            self._fail_current(f"unexpected error: {describe_error(error)}")

    def glance(self, text: str) -> None:
        # The list's short state; the last full look says more, so it wins while they agree.
        if not (self.result.last_state or "").startswith(text):
            self.result.last_state = text
        if not (self._shown_state or "").startswith(text):
            self._show(text)

    def note_error(self, text: str) -> None:
        self._last_error = text
        self._show(f"retrying: {text}")

    def _poll(self) -> None:
        name = self.declared.name
        now = self.last_detail = time.monotonic()
        try:
            live = self.run.client.serving_endpoints.get(name).as_dict()
        except Exception as raw:  # noqa: BLE001 - sorted below
            error = unwrap(raw)
            if isinstance(error, NotFound):
                self._finish_ready(
                    StepResult("fail", "not found: has the stack been deployed?", [describe_error(error)])
                )
            elif isinstance(error, (Unauthenticated, PermissionDenied)):
                self._finish_ready(StepResult("fail", f"the workspace refused to show it: {describe_error(error)}"))
            elif is_transient(error):
                self.note_error(describe_error(error))
                self._keep_waiting(now, at_least=retry_after(error) or 0.0)
            else:
                self._finish_ready(StepResult("fail", describe_error(error)))
            return
        readiness = assess(live)
        self._last_error = None
        self.result.last_state = readiness.summary
        self.result.config_version = readiness.config_version
        if readiness.phase == "ready":
            self.result.ready_after_seconds = now - self.run.started
            self._show("ready")
            self._set_step(
                "ready",
                StepResult(
                    "pass", f"READY, config v{readiness.config_version}", seconds=self.result.ready_after_seconds
                ),
            )
            self._verify(live)
        elif readiness.phase == "failed":
            self._show(readiness.summary)
            self._finish_ready(self._failure(readiness))
        else:
            self._show(readiness.summary)
            self._keep_waiting(now)

    def _keep_waiting(self, now: float, at_least: float = 0.0) -> None:
        if now >= self.run.deadline.at:
            self._finish_ready(self._timed_out())
        else:
            self.run.watcher.watch(self, at_least=at_least)

    def _timed_out(self) -> StepResult:
        seen = self.result.last_state or "nothing (every request failed)"
        message = f"not ready after {self.run.options.timeout:g} s; last state seen: {seen}"
        if self._last_error:
            message += f"; last error: {self._last_error}"
        return StepResult("fail", message)

    def _failure(self, readiness: Readiness) -> StepResult:
        if readiness.failed_entities:
            first = readiness.failed_entities[0]
            reason = f"served entity {first}"
        else:
            reason = f"config update {readiness.config_update}"
        details = failure_details(readiness, self._fetch_logs)
        return StepResult(
            "fail",
            f"deployment failed ({readiness.config_update}): {reason}",
            details=[self.run.redactor.clean(line) for line in details],
        )

    def _fetch_logs(self, entity: str, kind: str) -> str | None:
        api = self.run.client.serving_endpoints
        fetch = api.build_logs if kind == "build-logs" else api.logs
        try:
            return call_with_retry(
                lambda: fetch(self.declared.name, entity).logs, Deadline(LOG_FETCH_SECONDS), stop=self.run.stop
            )
        except Interrupted:
            raise
        except Exception:  # noqa: BLE001 - logs are a courtesy; the failure is reported without them
            return None

    def _verify(self, live: dict[str, Any]) -> None:
        differences = drift.ignoring(drift.compare(self.declared.request, live), self.declared.ignore_changes)
        self.result.differences = differences
        drifted = [d for d in differences if d.severity == "drift"]
        notes = [d for d in differences if d.severity == "note"]
        details = [self.run.redactor.clean(str(d)) for d in drifted]
        details += [self.run.redactor.clean(f"note: {d}") for d in notes]
        if drifted:
            count = f"{len(drifted)} difference{'s' if len(drifted) != 1 else ''}"
            self._set_step("drift", StepResult("fail", f"{count} from the declaration: {drifted[0]}", details))
        else:
            self._set_step("drift", StepResult("pass", "matches the declaration", details))
        self._set_step("permissions", self._permissions(live))
        if self.run.options.query:
            self._choose_route(live)
        self._set_step("query", self._query(live))
        self._fan_out(live)

    @property
    def channel(self) -> QueryChannel:
        if self.run.channel is None:
            self.run.channel = QueryChannel(self.run.client)
        return self.run.channel

    def _choose_route(self, live: dict[str, Any]) -> None:
        """Where this endpoint takes queries (`client.data_plane`): its workspace route or its
        route-optimized URL; with a PAT, the reason it cannot be queried there."""
        try:
            self._route, note, self._route_problem = call_with_retry(
                lambda: self.channel.route(self.name, live), self.run.deadline, stop=self.run.stop
            )
        except Interrupted:
            raise
        except Exception as error:  # noqa: BLE001 - the OAuth token could not be had: said on each query
            self._route = QueryRoute.of(self.name, live)
            self._route_problem = f"cannot get an OAuth token for the route-optimized URL: {describe_error(error)}"
            return
        if note:
            self.result.warnings.append(note)

    # Permissions, every served entity, expectations ---------------------------------------------

    def _permissions(self, live: dict[str, Any]) -> StepResult:
        run = self.run
        caller = run.caller or acl.Caller(run.client)
        access_control, apps = self._access_control()
        try:
            outcome, findings = acl.check(
                run.client,
                live.get("id"),
                access_control,
                caller,
                run.options.strict_permissions,
                lambda call: call_with_retry(call, run.deadline, stop=run.stop),
            )
        except Interrupted:
            raise
        except Exception as error:  # noqa: BLE001 - reported as this step's verdict
            return StepResult("fail", f"cannot read the live permissions: {describe_error(error)}")
        for client_id, app in apps.items():  # an app's principal is named by its app, too
            label, named = f"service_principal_name:{client_id}", f"service_principal_name:{client_id} (app {app})"
            outcome.message = outcome.message.replace(label, named)
            outcome.details = [line.replace(label, named) for line in outcome.details]
            for finding in findings:
                finding.principal = finding.principal.replace(label, named)
        self.result.permission_findings = findings
        self.result.warnings += [str(f) for f in findings if f.severity == "warning"]
        return outcome

    def _access_control(self) -> tuple[list[dict[str, str]] | None, dict[str, str]]:
        """The declared grants, a grant to an app's service principal with the principal's application id
        (`app <name> (not found)` when the app does not exist: never granted live, so reported missing);
        and application id -> app name for those."""
        declared = self.declared.access_control
        principals = self.run.app_principals
        if declared is None or principals is None:
            return declared, {}
        resolved, apps = [], {}
        for entry in declared:
            app = app_principal_reference(entry.get("service_principal_name"))
            if app is not None:
                client_id = principals.resolve(app)
                if client_id:
                    apps[client_id] = principals.name(app)
                shown = client_id or f"app {principals.name(app)} (not found)"
                entry = {**entry, "service_principal_name": shown}
            resolved.append(entry)
        return resolved, apps

    def _fan_out(self, live: dict[str, Any]) -> None:
        """A step per served entity (its own query, then the expectations on it), run concurrently
        on the shared workers; the endpoint is finished when the last one is."""
        if not self.run.options.query:
            self._set_step("entities", StepResult("skip", "not asked for (--no-query)"))
            self._set_step("expectations", StepResult("skip", "not asked for (--no-query)"))
            self._finish()
            return
        names = entity_checks.live_entities(live)
        self.result.entity_results = [EntityResult(name=name, traffic_percent=share) for name, share in names]
        if self._route_problem is not None:
            for entity in self.result.entity_results:
                entity.status, entity.message = "fail", "not queried: see the endpoint's query"
            self._set_step("entities", StepResult("fail", self._route_problem))
            self._set_step("expectations", StepResult("fail", self._route_problem))
            self._finish()
            return
        steps: list[Callable[[], None]] = []
        for index, entity in enumerate(self.result.entity_results):
            if self._route.per_entity or entity_checks.takes_all_traffic(entity, len(names)):
                steps.append(functools.partial(self._check_entity, index))
            else:
                entity.status, entity.message = "skip", entity_checks.NO_ENTITY_ROUTE
        if not self._route.per_entity and not any(
            entity_checks.takes_all_traffic(e, len(names)) for e in self.result.entity_results
        ):
            steps.append(self._check_endpoint_url)
        if not steps:
            self._conclude_entities()
            return
        self._entities_left = len(steps)
        for run_step in steps:

            def step(run_step: Callable[[], None] = run_step) -> None:
                self._guarded(run_step)

            if self.run.schedule is None:
                step()
            else:
                self.run.schedule(time.monotonic(), step)

    def _check_endpoint_url(self) -> None:
        """A route-optimized endpoint split between entities: its expectations on its own URL."""
        run = self.run
        self._collect(
            lambda: entity_checks.check_endpoint_url(
                self.channel,
                self._route,
                self._plan.body if self._plan else None,
                self.declared.expectations,
                run.options.queries,
                run.deadline,
                run.stop,
                run.redactor.clean,
            )
        )

    def _collect(self, produce: Callable[[], list]) -> None:
        results: list = []
        try:
            results = produce()
        finally:
            with self._lock:  # its results land before the count drops: the last one sees them all
                self.result.expectation_results += results
                self._entities_left -= 1
                last = self._entities_left == 0
        if last:
            self._conclude_entities()

    def _check_entity(self, index: int) -> None:
        run, entity = self.run, self.result.entity_results[index]
        self._collect(
            lambda: entity_checks.check_entity(
                self.channel,
                self._route,
                entity,
                self._task,
                self._plan.body if self._plan else None,
                self.declared.expectations,
                run.options.queries,
                run.deadline,  # retries end with the run: its watchdog cuts off whatever outlives it
                run.stop,
                run.redactor.clean,
            )
        )

    def _conclude_entities(self) -> None:
        result = self.result
        result.expectation_results = entity_checks.in_declared_order(
            result.expectation_results, self.declared.expectations, result.entity_results
        )
        self._set_step("entities", entity_checks.entities_step(result.entity_results))
        self._set_step(
            "expectations",
            entity_checks.expectations_step(
                self.declared.expectations, result.expectation_results, len(result.entity_results)
            ),
        )
        self._finish()

    # The smoke query -------------------------------------------------------------------------

    def _query(self, live: dict[str, Any]) -> StepResult:
        options = self.run.options
        if not options.query:
            return StepResult("skip", "not asked for (--no-query)")
        name, client = self.declared.name, self.run.client
        if self._route_problem is not None:
            return StepResult("fail", self._route_problem)
        deadline = Deadline(max(self.run.deadline.remaining(), min(options.timeout, QUERY_GRACE_SECONDS)))
        task = smoke.choose_task(live, self.declared.task)
        stats = QueryStats(task=task)
        self.result.query_stats = stats

        def openapi() -> dict[str, Any] | None:
            try:
                return call_with_retry(lambda: smoke.fetch_openapi(client, name), deadline, stop=self.run.stop)
            except Interrupted:
                raise
            except Exception:  # noqa: BLE001 - no schema: no derived request, said below
                return None

        plan = smoke.plan(task, self.declared.sample_request, openapi)
        self._plan, self._task = plan, task
        if plan is None:
            why = (
                f"no smoke query for task {task}"
                if task
                else "no smoke query: a custom model needs a declared sample_request (or an OpenAPI schema)"
            )
            self.result.warnings.append(why)
            return StepResult("skip", why)
        stats.request_source = plan.source
        started = time.monotonic()
        for _ in range(options.queries):
            stats.sent += 1
            try:
                answer = call_with_retry(
                    lambda: self.channel.send(self._route, plan.body), deadline, stop=self.run.stop
                )
            except Exception as error:  # noqa: BLE001 - every failure is a verdict with advice
                return self._query_failure(error, started)
            problems = smoke.shape_problems(task, answer.body)
            if problems:
                excerpt = self.run.redactor.clean(str(answer.body))[:ANSWER_EXCERPT_CHARS]
                return StepResult(
                    "fail",
                    f"unexpected answer for {task or 'a custom model'}: {problems[0]}",
                    details=problems + [f"answer: {excerpt}"],
                    seconds=time.monotonic() - started,
                )
            stats.succeeded += 1
            stats.latencies_ms.append(round(answer.latency_ms, 2))
            if answer.served_by:
                stats.served_by[answer.served_by] = stats.served_by.get(answer.served_by, 0) + 1
        stats.p50_ms = smoke.percentile(stats.latencies_ms, 0.50)
        stats.p95_ms = smoke.percentile(stats.latencies_ms, 0.95)
        served = ", ".join(f"{k} x{v}" if v > 1 else k for k, v in stats.served_by.items()) or "unnamed entity"
        message = f"{stats.succeeded}/{stats.sent} answered ({_SOURCES[plan.source]}), p50 {stats.p50_ms:.0f} ms"
        if self._route.on_data_plane:
            message = message.replace(" answered (", " answered on the route-optimized URL (", 1)
        if stats.sent > 1:
            message += f", p95 {stats.p95_ms:.0f} ms"
        message += f", served by {served}"
        if options.stream:
            stats.stream = self._stream(task, plan.body, deadline)
            if stats.stream.failed:
                return StepResult(
                    "fail",
                    f"streaming: {stats.stream.message}",
                    stats.stream.details,
                    seconds=time.monotonic() - started,
                )
            if stats.stream.status == "pass":
                message += f"; streaming: {stats.stream.message}"
            else:
                self.result.warnings.append(f"streaming not checked: {stats.stream.message}")
        return StepResult("pass", message, seconds=time.monotonic() - started)

    def _query_failure(self, error: BaseException, started: float) -> StepResult:
        if isinstance(error, Interrupted):
            raise error
        cause = error.last_error if isinstance(error, RetriesExhausted) else error
        hint = smoke.advice(cause)
        message = self.run.redactor.clean(f"query failed: {describe_error(error)}")
        return StepResult("fail", message, details=[hint] if hint else [], seconds=time.monotonic() - started)

    def _stream(self, task: str | None, body: dict[str, Any], deadline: Deadline) -> StepResult:
        if task not in smoke.STREAMING_TASKS:
            return StepResult("skip", f"streaming applies to chat and completions endpoints, not {task or 'custom'}")
        http_timeout = self.run.client.config.http_timeout_seconds or 30
        try:
            outcome = call_with_retry(
                lambda: self.channel.stream(self._route, body, http_timeout),
                deadline,
                stop=self.run.stop,
            )
        except Interrupted:
            raise
        except Exception as error:  # noqa: BLE001
            cause = error.last_error if isinstance(error, RetriesExhausted) else error
            hint = smoke.advice(cause)
            return StepResult("fail", self.run.redactor.clean(describe_error(error)), [hint] if hint else [])
        if outcome.problems:
            return StepResult("fail", outcome.problems[0], outcome.problems, seconds=outcome.total_ms / 1000)
        first = f", first chunk after {outcome.first_chunk_ms:.0f} ms" if outcome.first_chunk_ms is not None else ""
        return StepResult("pass", f"{outcome.chunks} chunks to [DONE]{first}", seconds=outcome.total_ms / 1000)

    # Bookkeeping -------------------------------------------------------------------------------

    def _show(self, text: str) -> None:
        if text != self._shown_state:
            self._shown_state = text
            self.run.progress.state(self.declared.name, self.run.redactor.clean(text))

    def _set_step(self, step: str, outcome: StepResult) -> None:
        outcome.message = self.run.redactor.clean(outcome.message)
        outcome.details = [self.run.redactor.clean(line) for line in outcome.details]
        with self._lock:
            if not self.done:
                setattr(self.result, step, outcome)

    def _finish_ready(self, outcome: StepResult) -> None:
        """The readiness step ended without READY: the other steps cannot run."""
        self._set_step("ready", outcome)
        for step in STEP_NAMES[1:]:
            self._set_step(step, StepResult("skip", "endpoint not ready"))
        self._finish()

    def _fail_current(self, message: str) -> None:
        for step in STEP_NAMES:
            if getattr(self.result, step).status == "pending":
                self._set_step(step, StepResult("fail", message))
                message = "not run after the failure above"
        self._finish()

    def _finish(self) -> None:
        with self._lock:
            if self.done:
                return
            self.done = True
        self.run.progress.finished(self.result)

    def time_out(self) -> None:
        """The run's hard deadline passed while this endpoint's steps still ran."""
        if self._close_pending(f"not finished within the {self.run.options.timeout:g} s timeout", status="fail"):
            self.run.progress.finished(self.result)

    def interrupt(self) -> None:
        """Record what is known when the run stops before this endpoint finished."""
        self._close_pending("interrupted")

    def _close_pending(self, reason: str, status: str | None = None) -> bool:
        """Mark every step still pending with `reason` (and `status`, where given), once;
        False when the endpoint had finished already."""
        with self._lock:
            if self.done:
                return False
            self.done = True
            seen = self.result.last_state or "nothing yet"
            for step in STEP_NAMES:
                outcome = getattr(self.result, step)
                if outcome.status == "pending":
                    if status is not None:
                        outcome.status = status
                    outcome.message = f"{reason}; last state seen: {seen}" if step == "ready" else reason
            return True


def _select(stack_endpoints: list[DeclaredEndpoint], names: Sequence[str] | None) -> list[DeclaredEndpoint]:
    if not names:
        return stack_endpoints
    known = {e.name: e for e in stack_endpoints}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"not in the stack: {', '.join(unknown)} (the stack declares: {', '.join(sorted(known)) or 'no endpoints'})"
        )
    return [known[n] for n in dict.fromkeys(names)]


def _select_apps(
    stack_apps: list[DeclaredApp], names: Sequence[str] | None, endpoints_named: bool
) -> list[DeclaredApp]:
    """Every app, unless endpoints or apps are named: then only the apps named."""
    if not names:
        return [] if endpoints_named else stack_apps
    known = {a.name: a for a in stack_apps}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"no app of the stack: {', '.join(unknown)} (the stack declares: {', '.join(sorted(known)) or 'no apps'})"
        )
    return [known[n] for n in dict.fromkeys(names)]


def run_check(
    stack_dir: str | Path,
    *,
    host: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    endpoints: Sequence[str] | None = None,
    apps: Sequence[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    query: bool = True,
    queries: int = 1,
    stream: bool = False,
    progress: str | progress_module.Progress = "auto",
    poll: PollPolicy | None = None,
    redactor: Redactor | None = None,
    strict_permissions: bool = False,
) -> CheckReport:
    """Check every endpoint of a synthesized stack (or those named) against the live workspace.

    Connection: `host` / `token` / `profile` when given, else Databricks unified auth from the
    environment and `~/.databrickscfg`; a stack that declares its workspace (its provider's host)
    is checked there when no host is given, and a host given for another workspace is refused
    (`client.workspace`, `WorkspaceMismatch`, a `UsageError`). `progress`: "auto" | "rich" |
    "plain" | "none" or an object implementing `progress.Progress`. Returns the report (see
    `CheckReport.exit_code`); raises a `SetupError` (exit code 2) for a bad stack, options,
    configuration or credentials. Ctrl-C
    returns the report so far with `interrupted=True`. `redactor` learns the token in use (also
    one found in the environment or a profile), for whoever renders the report afterwards.
    `strict_permissions`: a live grant the stack does not declare fails its endpoint (else a warning).
    """
    timeout = check_timeout(timeout, "timeout")
    if host is not None:
        host = check_host_url(host)
    if queries < 1:
        raise UsageError(f"queries must be at least 1, not {queries!r}")
    try:
        stack = load_stack(stack_dir)
    except StackFileError as error:
        raise UsageError(str(error)) from None
    if not stack.endpoints and not stack.apps:
        raise UsageError(f"{stack.path}: the stack declares no serving endpoints")
    selected = _select(stack.endpoints, endpoints) if endpoints or not apps else []
    selected_apps = _select_apps(stack.apps, apps, bool(endpoints))
    declared = DeclaredWorkspace(stack.name, stack.host, stack.profile)
    host, profile = connect_to(declared, host, profile)

    redactor = redactor if redactor is not None else Redactor()
    redactor.add(token)
    options = CheckOptions(
        timeout=float(timeout),
        query=query,
        queries=queries,
        stream=stream,
        poll=poll or PollPolicy(),
        strict_permissions=strict_permissions,
    )
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    report = CheckReport(
        stack=stack.name, stack_dir=str(stack.path), host=host, started_at=started_at, timeout_seconds=options.timeout
    )
    # One deadline for the whole run, from the first connection attempt on.
    deadline = Deadline(options.timeout)
    try:
        client = connect(
            Connection(host=host, token=token, profile=profile, declared=declared),
            options.timeout,
            redactor,
            deadline,
        )
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) before the first answer: still a report
        report.interrupted = True
        report.endpoints = [not_checked(declared.name, declared.logical_id, "interrupted") for declared in selected]
        report.apps = [app_not_checked(declared.name, declared.logical_id, "interrupted") for declared in selected_apps]
        report.seconds = time.monotonic() - started
        return report
    report.host = client.config.host

    shown = progress if not isinstance(progress, str) else progress_module.choose(progress, redactor=redactor)
    stop = threading.Event()
    scheduler = Scheduler(options.workers, stop)
    run_started = time.monotonic()
    watcher = FleetWatcher(client, deadline, run_started, options.poll, scheduler.at)
    run = _Run(
        client=client,
        options=options,
        deadline=deadline,
        started=run_started,
        stop=stop,
        redactor=redactor,
        progress=shown,
        watcher=watcher,
        schedule=scheduler.at,
        caller=acl.Caller(client),
        app_principals=AppPrincipals(client, stack.apps),
        channel=QueryChannel(client),
    )
    checks = [EndpointCheck(declared, run) for declared in selected]
    app_checks = [AppCheck(declared, run) for declared in selected_apps]
    report.endpoints = [check.result for check in checks]
    report.apps = [check.result for check in app_checks]
    shown.start(stack.name, [c.declared.name for c in checks] + [c.label for c in app_checks])
    # The hard stop: whatever still runs a moment after the deadline (a query in its grace time,
    # a request that hangs) is cut off; the moment lets the last full looks report the state seen.
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        stop.set()
        scheduler.at(time.monotonic(), lambda: None)  # wakes the dispatcher now, not at its next look

    watchdog = threading.Timer(deadline.remaining() + HARD_STOP_SLACK_SECONDS, cut)
    watchdog.daemon = True
    try:
        for check in checks:
            watcher.watch(check)
        for app_check in app_checks:
            scheduler.at(time.monotonic(), app_check.poll)
        watchdog.start()
        scheduler.run()
        if cut_off.is_set():
            scheduler.close(wait=False)  # requests still in flight end on their own; nobody waits
            for check in checks:
                check.time_out()
            for app_check in app_checks:
                if app_check.close_pending(f"not finished within the {options.timeout:g} s timeout", "fail"):
                    shown.finished(app_check.result)
        else:
            scheduler.close(wait=True)
    except KeyboardInterrupt:
        stop.set()
        scheduler.close(wait=False)
        report.interrupted = True
        for check in checks:
            check.interrupt()
        for app_check in app_checks:
            app_check.close_pending("interrupted")
    finally:
        watchdog.cancel()
        shown.stop()
        report.seconds = time.monotonic() - started
    return report
