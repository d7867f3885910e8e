"""`run_plan`: read a synthesized stack and the live workspace, and say, before any apply, what the
apply will change (in serving terms), what it takes away, what Terraform will not apply, and what will
fail.

One deadline bounds the whole run from the first connection attempt (`connect.reach`, as `check`):
the stack is read first (a bad one is a usage error, nothing is read), then the client is made and
its credentials tried with one call, then every live read runs at once on the bounded worker pool
(`plan/live.py`), then the comparison and the preflight run on what was read, in memory.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from servingstack.client.auth import Connection, connect
from servingstack.client.connect import check_host_url, check_timeout
from servingstack.client.errors import UsageError
from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline
from servingstack.client.workspace import DeclaredWorkspace, connect_to
from servingstack.errors import StackFileError
from servingstack.facts.stackfile import DeclaredStack, load_stack
from servingstack.plan import around, endpoints, preflight
from servingstack.plan.context import PlanContext
from servingstack.plan.live import WORKERS, LiveWorkspace, read_live
from servingstack.plan.ownership import OwnershipError, read_ownership, read_settings
from servingstack.plan.results import PlanReport, ResourceChange
from servingstack.plan.targets import Targets, targets_of, wanted_for

DEFAULT_TIMEOUT_SECONDS = 120.0


def _load(stack_dir: str | Path) -> DeclaredStack:
    try:
        stack = load_stack(stack_dir)
    except StackFileError as error:
        raise UsageError(str(error)) from None
    except (KeyError, TypeError, AttributeError, ValueError) as error:  # a JSON document of another shape
        raise UsageError(
            f"{stack_dir}: not a synthesized servingstack stack ({type(error).__name__}: {error})"
        ) from None
    if not (
        stack.endpoints or stack.secret_scopes or stack.secret_acls or stack.grants or stack.apps or stack.permissions
    ):
        raise UsageError(
            f"{stack.path}: the stack declares no serving endpoint, permission, secret scope, grant or app"
        )
    return stack


def plan_changes(ctx: PlanContext, targets: Targets) -> list[ResourceChange]:
    """Every change, in the order an apply makes them: scopes and ACLs, endpoints, permissions, grants,
    apps, then what is deleted; and the preflight over all of them."""
    stack = ctx.stack
    scopes = [around.scope_change(ctx, scope) for scope in stack.secret_scopes]
    scope_by_name = {change.name: change for change in scopes}
    acls = [around.acl_change(ctx, acl, scope_by_name) for acl in stack.secret_acls]
    endpoint_changes = {e.logical_id: endpoints.endpoint_change(ctx, e) for e in stack.endpoints}
    declared_names = {e.name for e in stack.endpoints}
    app_changes = {app.logical_id: around.app_change(ctx, app, declared_names) for app in stack.apps}
    permissions = [endpoints.permissions_change(ctx, p, endpoint_changes, app_changes) for p in stack.permissions]
    grants = [around.grant_change(ctx, grant) for grant in stack.grants]
    apps = list(app_changes.values())
    deletes = (
        endpoints.deleted_endpoints(ctx)
        + endpoints.deleted_permissions(ctx)
        + around.deleted_scopes(ctx)
        + around.deleted_apps(ctx)
    )
    changes = scopes + acls + list(endpoint_changes.values()) + permissions + grants + apps + deletes
    by_address = {change.address: change for change in changes}
    preflight.check_models(ctx, targets, by_address)
    preflight.check_secrets(ctx, targets, by_address)
    preflight.check_principals(ctx, targets, by_address)
    preflight.check_tables(ctx, targets, by_address)
    preflight.check_quota(ctx, changes)
    ctx.report_unknown_ownership()
    return changes


_ORDER = {"preflight": 0, "read": 1, "takeaway": 2, "not_applied": 3}
_SEVERITY = {"error": 0, "warning": 1, "note": 2}


def run_plan(
    stack_dir: str | Path,
    *,
    host: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    state: str | Path | None = None,
    use_state: bool = True,
    redactor: Redactor | None = None,
    workers: int = WORKERS,
) -> PlanReport:
    """Plan a synthesized stack against the live workspace (unified auth, or `host`/`token`/`profile`).

    The workspace is chosen as `check` chooses it (`client/workspace.py`): the stack's declared host
    when none is given. Raises a `SetupError` (exit code 2) for a bad stack, state file or options, a host
    for another workspace than the stack declares, no usable workspace or rejected credentials, before
    anything is compared. Ctrl-C during the reads returns the report of
    what was read, marked `interrupted`."""
    timeout = check_timeout(timeout, "timeout")
    if host is not None:
        host = check_host_url(host)
    stack = _load(stack_dir)
    settings = read_settings(stack.path)
    # Which workspace: the one rule every tool shares (`client/workspace.py`): the stack's own when
    # none is given, and one for another workspace refused before any request.
    declared = DeclaredWorkspace(stack.name, stack.host, stack.profile)
    host, profile = connect_to(declared, host, profile)
    state_path = Path(state) if state is not None else None
    if state_path is not None and not state_path.is_file():
        raise UsageError(f"--state {state_path}: no such file")
    redactor = redactor if redactor is not None else Redactor()
    redactor.add(token)
    started = time.monotonic()
    report = PlanReport(
        stack=stack.name,
        stack_dir=str(stack.path),
        host=host,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        timeout_seconds=timeout,
    )
    deadline = Deadline(timeout)
    client = connect(
        Connection(host=host, token=token, profile=profile, declared=declared),
        timeout,
        redactor,
        deadline,
    )
    report.host = client.config.host
    try:
        owned = read_ownership(
            state_path,
            use_state=use_state,
            stack_name=stack.name,
            stack_dir=stack.path,
            settings=settings,
            host=report.host,
        )
    except OwnershipError as error:
        raise UsageError(f"--state: {error}") from None
    report.ownership = owned.ownership
    targets = targets_of(stack)
    try:
        live = read_live(client, wanted_for(stack, targets, owned), deadline, workers=workers)
    except KeyboardInterrupt:
        report.interrupted = True
        live = LiveWorkspace(host=report.host)
    report.reads, report.read_seconds, report.last_answer = live.calls, live.seconds, live.last_answer
    ctx = PlanContext(stack, live, owned, settings)
    me = live.me.value or {}
    ctx.caller = {str(me["userName"])} if me.get("userName") else set()
    if not report.interrupted:
        report.changes = plan_changes(ctx, targets)
    report.findings = sorted(ctx.findings, key=lambda f: (_ORDER[f.category], _SEVERITY[f.severity], f.address))
    _clean(report, redactor)
    report.seconds = time.monotonic() - started
    return report


def _clean(report: PlanReport, redactor: Redactor) -> None:
    """Nothing leaves the plan unredacted (a server message may echo anything)."""
    for finding in report.findings:
        finding.message = redactor.clean(finding.message)
        finding.fix = redactor.clean(finding.fix) if finding.fix else finding.fix
    for change in report.changes:
        change.notes = [redactor.clean(n) for n in change.notes]
        for field in change.fields:
            field.text = redactor.clean(field.text)
