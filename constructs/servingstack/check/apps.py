"""The checks of one app of the stack (`databricks_app`), as steps on the run's scheduler:

- `running`: the app exists, its compute is ACTIVE and its application RUNNING (SDK `ComputeState`,
  `ApplicationState`); a compute STARTING or UPDATING, or an application still DEPLOYING, is waited
  for within the run's deadline; STOPPED, ERROR, DELETING or CRASHED fail at once;
- `drift`: every field the next apply would change (`facts.apps.app_differences`: declared fields,
  and optional fields left out that the provider would clear), resources by resource name;
- `grants`: for every endpoint the app declares, its service principal (named by application id,
  `service_principal_client_id`, in the endpoint's access control list) holds at least the declared
  permission live (`GET /api/2.0/permissions/serving-endpoints/{id}`).

What is not proven: that the app itself can query. The checker holds no credential of the app's
principal; the service would let a workspace admin mint one (`ServicePrincipalSecretsProxyAPI.create`,
`POST /api/2.0/accounts/servicePrincipals/{id}/credentials/secrets`, then OAuth M2M as that principal),
which a read-only check does not do. The endpoints' own checks prove that they are ready and answer.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from servingstack.check.drift import Difference
from servingstack.check.results import APP_STEP_NAMES, AppGrant, AppResult, StepResult, StepStatus
from servingstack.client.retry import Interrupted, call_with_retry, describe_error, unwrap
from servingstack.facts.apps import LEVEL_ORDER, app_differences, covers, serving_endpoints
from servingstack.facts.stackfile import DeclaredApp

if TYPE_CHECKING:
    from servingstack.check.runner import _Run

WAITING_COMPUTE = ("STARTING", "UPDATING")
WAITING_APPLICATION = ("DEPLOYING", "UNAVAILABLE")  # while an ACTIVE compute brings the app up


class AppPrincipals:
    """The application ids of the stack's apps' service principals, looked up once each, for the
    endpoint grants that name them by reference (`${databricks_app.<id>.service_principal_client_id}`)."""

    def __init__(self, client: WorkspaceClient, apps: list[DeclaredApp]):
        self._client = client
        self._names = {app.logical_id: app.name for app in apps}
        self._lock = threading.Lock()
        self._known: dict[str, str | None] = {}

    def name(self, logical_id: str) -> str:
        return self._names.get(logical_id, logical_id)

    def resolve(self, logical_id: str) -> str | None:
        """The principal's application id, None when the app is not in the stack or not in the workspace."""
        with self._lock:
            if logical_id not in self._known:
                name = self._names.get(logical_id)
                client_id = None
                if name is not None:
                    try:
                        client_id = self._client.apps.get(name).service_principal_client_id
                    except NotFound:
                        client_id = None
                self._known[logical_id] = client_id
            return self._known[logical_id]


class AppCheck:
    def __init__(self, declared: DeclaredApp, run: _Run):
        self.declared = declared
        self.run = run
        self.label = f"app {declared.name}"
        self.result = AppResult(name=declared.name, logical_id=declared.logical_id)
        self.done = False
        self._lock = threading.Lock()
        self._shown: str | None = None

    def poll(self) -> None:
        try:
            self._poll()
        except Interrupted:
            pass
        except Exception as error:  # noqa: BLE001 - one app's surprise must not sink the others
            self._fail_pending(f"unexpected error: {describe_error(error)}")

    def _poll(self) -> None:
        run = self.run
        now = time.monotonic()
        try:
            live = call_with_retry(
                lambda: run.client.apps.get(self.declared.name), run.deadline, stop=run.stop
            ).as_dict()
        except Interrupted:
            raise
        except Exception as raw:  # noqa: BLE001 - sorted below
            error = unwrap(getattr(raw, "last_error", None) or raw)
            if isinstance(error, NotFound):
                self._set("running", StepResult("fail", "not found: has the stack been deployed?"))
            else:
                self._set("running", StepResult("fail", f"cannot read the app: {describe_error(raw)}"))
            for step in APP_STEP_NAMES[1:]:
                self._set(step, StepResult("skip", "no app to check"))
            self._finish()
            return
        compute = (live.get("compute_status") or {}).get("state") or "UNKNOWN"
        application = (live.get("app_status") or {}).get("state") or "UNKNOWN"
        result = self.result
        result.compute_state, result.app_state = compute, application
        result.service_principal = live.get("service_principal_client_id")
        result.url = live.get("url")
        seen = f"compute {compute}, application {application}"
        if compute in WAITING_COMPUTE or (compute == "ACTIVE" and application in WAITING_APPLICATION):
            if now < run.deadline.at:
                self._show(seen)
                when = min(now + run.options.poll.interval(now - run.started), run.deadline.at)
                (run.schedule or _inline)(when, self.poll)
                return
            self._set("running", StepResult("fail", f"not running after {run.options.timeout:g} s; last seen: {seen}"))
        elif compute == "ACTIVE" and application == "RUNNING":
            result.running_after_seconds = now - run.started
            self._set("running", StepResult("pass", f"RUNNING, compute ACTIVE ({live.get('url') or 'no url'})"))
        else:
            self._set("running", StepResult("fail", f"not running: {seen}", _why_not(live, self.declared.name)))
        self._show(seen)
        self._set("drift", self._drift(live))
        self._set("grants", self._grants(live))
        self._finish()

    # -- drift -----------------------------------------------------------------------------
    def _drift(self, live: dict[str, Any]) -> StepResult:
        differences = []
        for field, declared, shown in app_differences(self.declared.request, live):
            if field == "resources":
                differences += _resource_differences(declared, shown)
            else:
                differences.append(Difference(field, declared, shown))
        self.result.differences = differences
        details = [self.run.redactor.clean(str(d)) for d in differences]
        if differences:
            count = f"{len(differences)} difference{'s' if len(differences) != 1 else ''}"
            return StepResult("fail", f"{count} from the declaration: {differences[0]}", details)
        return StepResult("pass", "matches the declaration")

    # -- grants ----------------------------------------------------------------------------
    def _grants(self, live: dict[str, Any]) -> StepResult:
        wanted = serving_endpoints(self.declared.request.get("resources"))
        if not wanted:
            return StepResult("skip", "the app declares no serving endpoint")
        principal = live.get("service_principal_client_id")
        if not principal:
            return StepResult("fail", "the app shows no service principal")
        grants = [self._grant(endpoint, level, principal) for endpoint, level in wanted.items()]
        self.result.endpoint_grants = grants
        lines = [str(g) for g in grants]
        missing = [g for g in grants if not g.ok]
        if missing:
            count = f"{len(missing)} of {len(grants)} endpoint{'s' if len(grants) != 1 else ''}"
            return StepResult("fail", f"{count} not granted to its service principal {principal}: {missing[0]}", lines)
        count = f"{len(grants)} endpoint{'s' if len(grants) != 1 else ''}"
        return StepResult("pass", f"{count} granted to its service principal {principal}", lines)

    def _grant(self, endpoint: str, level: str, principal: str) -> AppGrant:
        run = self.run
        try:
            endpoint_id = call_with_retry(
                lambda: run.client.serving_endpoints.get(endpoint), run.deadline, stop=run.stop
            ).id
        except Interrupted:
            raise
        except Exception as raw:  # noqa: BLE001 - only a missing endpoint is a verdict; the rest propagate
            if isinstance(unwrap(getattr(raw, "last_error", None) or raw), NotFound):
                return AppGrant(endpoint, level, None, "no_endpoint")
            raise
        acl = call_with_retry(
            lambda: run.client.serving_endpoints.get_permissions(endpoint_id or ""), run.deadline, stop=run.stop
        ).as_dict()
        held = [
            str(p.get("permission_level"))
            for entry in acl.get("access_control_list") or []
            if entry.get("service_principal_name") == principal
            for p in entry.get("all_permissions") or []
            if p.get("permission_level")
        ]
        strongest = max(held, key=lambda v: LEVEL_ORDER.index(v) if v in LEVEL_ORDER else -1) if held else None
        if strongest is None:
            return AppGrant(endpoint, level, None, "missing")
        return AppGrant(endpoint, level, strongest, "granted" if covers(strongest, level) else "too_weak")

    # -- bookkeeping -----------------------------------------------------------------------
    def _show(self, text: str) -> None:
        if text != self._shown:
            self._shown = text
            self.run.progress.state(self.label, self.run.redactor.clean(text))

    def _set(self, step: str, outcome: StepResult) -> None:
        outcome.message = self.run.redactor.clean(outcome.message)
        outcome.details = [self.run.redactor.clean(line) for line in outcome.details]
        with self._lock:
            if not self.done:
                setattr(self.result, step, outcome)

    def _finish(self) -> None:
        with self._lock:
            if self.done:
                return
            self.done = True
        self.run.progress.finished(self.result)

    def _fail_pending(self, message: str) -> None:
        for step in APP_STEP_NAMES:
            if getattr(self.result, step).status == "pending":
                self._set(step, StepResult("fail", message))
                message = "not run after the failure above"
        self._finish()

    def close_pending(self, reason: str, status: StepStatus | None = None) -> bool:
        """Mark every step still pending (the run's deadline passed, or it was interrupted), once."""
        with self._lock:
            if self.done:
                return False
            self.done = True
            for step in APP_STEP_NAMES:
                outcome = getattr(self.result, step)
                if outcome.status == "pending":
                    if status is not None:
                        outcome.status = status
                    outcome.message = reason
            return True


def _inline(when: float, step: Any) -> None:
    """Without a scheduler: wait here, then take the next look."""
    time.sleep(max(0.0, when - time.monotonic()))
    step()


def _why_not(live: dict[str, Any], name: str) -> list[str]:
    details = [
        message
        for message in (
            (live.get("compute_status") or {}).get("message"),
            (live.get("app_status") or {}).get("message"),
        )
        if message
    ]
    if (live.get("compute_status") or {}).get("state") == "STOPPED":
        details.append(f"start it: databricks apps start {name}")
    return details


def _resource_differences(declared: Any, live: Any) -> list[Difference]:
    """One difference per resource name (an app's resources are named)."""
    mine = {str(r.get("name")): r for r in declared or []}
    theirs = {str(r.get("name")): r for r in live or []}
    found = []
    for name in list(mine) + [n for n in theirs if n not in mine]:
        if mine.get(name) != theirs.get(name):
            found.append(Difference(f"resources[{name}]", _resource(mine.get(name)), _resource(theirs.get(name))))
    return found


def _resource(resource: dict[str, Any] | None) -> str | None:
    if resource is None:
        return None
    for kind, block in resource.items():
        if kind in ("name", "description") or not isinstance(block, dict):
            continue
        if kind == "serving_endpoint":
            return f"serving_endpoint {block.get('name')} {block.get('permission')}"
        return f"{kind} {', '.join(f'{k}={v}' for k, v in sorted(block.items()))}"
    return "no resource"
