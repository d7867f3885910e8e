"""`emulator apply` for `databricks_app`, as the provider applies it (provider 1.128
`internal/providers/pluginfw/products/app/resource_app.go`):

- create: `POST /api/2.0/apps` (with `?no_compute=true` when declared), then wait until the compute
  is ACTIVE, or STOPPED with `no_compute`, failing on ERROR ("Wait for the app to be created. If
  no_compute is specified, the terminal state is STOPPED, otherwise it is ACTIVE."); no deployment;
- update: `PATCH /api/2.0/apps/{name}` with the whole app ("a full replacement: fields omitted from the
  request are cleared", SDK `AppsAPI.update`), when a declared field differs from what runs. An
  optional field left undeclared is cleared on update, except those the provider marks
  Optional+Computed (`compute_size`, `forward_user_access_token`, `git_source`, `source_code_path`),
  which keep their live value;
- delete (`leaving.py`): `DELETE /api/2.0/apps/{name}`, not waited for.

Apps are owned as endpoints and scopes are (`deploy/owned.py`): an app of the stack's name that the
state does not hold is not taken over (its create fails as the service refuses it) unless an import
block adopts it, and a create is recorded in the state before it is sent. An app that names an
endpoint of the stack that failed is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, NotFound, ResourceConflict
from databricks.sdk.service.apps import App

from servingstack.deploy import owned
from servingstack.deploy.changes import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, Change, service_error
from servingstack.deploy.state import ApplyState
from servingstack.facts.apps import OPTIONAL_COMPUTED, app_differences
from servingstack.facts.stackfile import DeclaredApp, DeclaredStack


def apply_apps(
    client: WorkspaceClient,
    stack: DeclaredStack,
    *,
    wait: bool,
    timeout: float,
    poll_seconds: float,
    state: ApplyState | None,
    failed_endpoints: Collection[str] = (),
) -> tuple[list[Change], dict[str, App]]:
    """Create or update every app of the stack; the live apps by logical id (for the grants that name
    their service principals). `failed_endpoints`: names of the stack's endpoints that were not applied."""
    changes: list[Change] = []
    live_apps: dict[str, App] = {}
    for declared in stack.apps:
        resource = f"databricks_app.{declared.logical_id}"
        # An endpoint named by reference is one the app depends on, as in Terraform's graph.
        blocked = sorted({e["name"] for e in declared.serving_endpoints if e.get("reference")} & set(failed_endpoints))
        if blocked:
            changes.append(Change(SKIPPED, resource, declared.name, [f"its endpoint {', '.join(blocked)} failed"]))
            continue
        try:
            change, live = _apply_app(client, declared, resource, wait, timeout, poll_seconds, state, stack.imports)
        except DatabricksError as error:
            change, live = Change(FAILED, resource, declared.name, error=service_error(error)), None
        changes.append(change)
        if live is not None:
            live_apps[declared.logical_id] = live
    return changes, live_apps


def _apply_app(
    client: WorkspaceClient,
    declared: DeclaredApp,
    resource: str,
    wait: bool,
    timeout: float,
    poll_seconds: float,
    state: ApplyState | None,
    imports: Mapping[str, str],
) -> tuple[Change, App | None]:
    """Create the app, or bring the one this state holds (or imports) to its declaration."""
    owns = state is None or declared.name in state.records("apps")
    import_id = imports.get(resource)
    found: App | None
    try:
        found = client.apps.get(declared.name)
    except NotFound:
        found = None
    verdict = owned.decide(owns=owns, import_id=import_id, name=declared.name, exists=found is not None)
    if verdict == owned.IMPORT_MISMATCH:
        assert import_id is not None
        return Change(
            FAILED, resource, declared.name, error=owned.import_mismatch("app", resource, import_id, declared.name)
        ), None
    if verdict == owned.IMPORT_MISSING:
        assert import_id is not None
        return Change(FAILED, resource, declared.name, error=owned.missing_import("app", resource, import_id)), None
    if found is None:
        return _create(client, declared, resource, wait, timeout, poll_seconds, state)
    live = found
    compute = _compute(live)
    if compute == "DELETING":  # e.g. this stack's, deleted by an earlier apply that dropped it
        why = "an earlier delete is still under way: apply again later"
        return Change(FAILED, resource, declared.name, [why]), None
    if verdict == owned.TAKEN:
        # Not this state's: the create is sent as Terraform would send it, and the service refuses it.
        return _create(client, declared, resource, wait, timeout, poll_seconds, state)
    change, live = _converge(client, declared, resource, live)
    if verdict == owned.IMPORT:
        assert state is not None  # import blocks matter only to a state
        state.remember("apps", declared.name, resource)
        change.imported = True
        change.details.insert(0, "imported")
    return change, live


def _converge(client: WorkspaceClient, declared: DeclaredApp, resource: str, live: App) -> tuple[Change, App]:
    """Send the whole app when a declared field differs from what runs."""
    request = declared.request
    compute = _compute(live)
    shown = live.as_dict()
    differing = [field for field, _, _ in app_differences(request, shown)]
    if not differing:
        notes = [] if compute == "ACTIVE" else [f"compute {compute}: Terraform does not start it"]
        return Change(UNCHANGED, resource, declared.name, notes), live
    body = {**{f: shown[f] for f in OPTIONAL_COMPUTED if f not in request and shown.get(f) is not None}, **request}
    updated = client.apps.update(declared.name, App.from_dict(body))
    return Change(UPDATED, resource, declared.name, differing), updated


def _create(
    client: WorkspaceClient,
    declared: DeclaredApp,
    resource: str,
    wait: bool,
    timeout: float,
    poll_seconds: float,
    state: ApplyState | None,
) -> tuple[Change, App | None]:
    def create() -> App:
        app = App.from_dict(declared.request)
        return client.apps.create(app, no_compute=declared.no_compute or None).response

    try:
        if state is None:
            created = create()
        else:
            created = owned.create_recorded(
                lambda: state.remember("apps", declared.name, resource),
                lambda: state.forget("apps", declared.name),
                create,
            )
    except ResourceConflict as error:  # the Apps API: RESOURCE_ALREADY_EXISTS
        how = "call .adopt() on its ServingApp (as `servingstack import` writes it)"
        return Change(
            FAILED, resource, declared.name, error=owned.already_exists(error, "app", resource, declared.name, how)
        ), None
    if not wait:
        return Change(CREATED, resource, declared.name, [f"compute {_compute(created)}"]), created
    deadline = time.monotonic() + timeout
    live: App = created
    while _compute(live) not in ("ACTIVE", "STOPPED", "ERROR") and time.monotonic() < deadline:
        time.sleep(poll_seconds)
        live = client.apps.get(declared.name)
    compute = _compute(live)
    if compute in ("ACTIVE", "STOPPED"):
        return Change(CREATED, resource, declared.name, [f"compute {compute}"]), live
    message = live.compute_status.message if live.compute_status else None
    reason = f"compute {compute}: {message}" if compute == "ERROR" else f"compute still {compute} after {timeout:g}s"
    return Change(FAILED, resource, declared.name, [reason]), live


def _compute(app: App) -> str:
    state = app.compute_status.state if app.compute_status else None
    return state.value if state is not None else "UNKNOWN"
