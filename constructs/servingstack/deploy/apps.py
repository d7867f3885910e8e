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
"""

from __future__ import annotations

import time

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceAlreadyExists
from databricks.sdk.service.apps import App

from servingstack.deploy.changes import CREATED, FAILED, UNCHANGED, UPDATED, Change
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
) -> tuple[list[Change], dict[str, App]]:
    """Create or update every app of the stack; the live apps by logical id (for the grants that name
    their service principals)."""
    changes: list[Change] = []
    live_apps: dict[str, App] = {}
    for declared in stack.apps:
        change, live = _apply_app(client, declared, wait, timeout, poll_seconds)
        changes.append(change)
        if live is not None:
            live_apps[declared.logical_id] = live
        if state is not None and change.action != FAILED:
            state.remember("apps", declared.name, f"databricks_app.{declared.logical_id}")
    return changes, live_apps


def _apply_app(
    client: WorkspaceClient, declared: DeclaredApp, wait: bool, timeout: float, poll_seconds: float
) -> tuple[Change, App | None]:
    resource = f"databricks_app.{declared.logical_id}"
    request = declared.request
    try:
        live = client.apps.get(declared.name)
    except NotFound:
        return _create(client, declared, resource, wait, timeout, poll_seconds)
    compute = _compute(live)
    if compute == "DELETING":
        why = "an earlier delete is still under way: apply again later"
        return Change(FAILED, resource, declared.name, [why]), None
    shown = live.as_dict()
    differing = [field for field, _, _ in app_differences(request, shown)]
    if not differing:
        notes = [] if compute == "ACTIVE" else [f"compute {compute}: Terraform does not start it"]
        return Change(UNCHANGED, resource, declared.name, notes), live
    body = {**{f: shown[f] for f in OPTIONAL_COMPUTED if f not in request and shown.get(f) is not None}, **request}
    updated = client.apps.update(declared.name, App.from_dict(body))
    return Change(UPDATED, resource, declared.name, differing), updated


def _create(
    client: WorkspaceClient, declared: DeclaredApp, resource: str, wait: bool, timeout: float, poll_seconds: float
) -> tuple[Change, App | None]:
    no_compute = declared.no_compute
    try:
        created = client.apps.create(App.from_dict(declared.request), no_compute=no_compute or None).response
    except ResourceAlreadyExists as error:  # e.g. an app of this name still being deleted
        return Change(FAILED, resource, declared.name, [str(error)]), None
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
