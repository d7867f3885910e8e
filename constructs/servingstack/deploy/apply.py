"""Apply a synthesized stack to a workspace through databricks-sdk, the way Terraform would.

First the whole plan is checked (every reference resolves, every request passes the service's
rules): a stack with a mistake changes nothing. Then each `databricks_model_serving` is
created, or updated where its config, AI gateway or tags differ from what runs (the only
fields the Terraform provider sends on update); each `databricks_app` is created or updated
(`deploy/apps.py`), and each `databricks_permissions` replaces the endpoint's grants when they
differ (a grant to an app's service principal names it by reference to the app). Nothing is
sent for what already matches, so a second apply changes nothing. With an `ApplyState` (what an
earlier apply created, as Terraform's state file records it), what was removed from the stack is
removed from the workspace: `-` lines, for every kind of resource (`deploy/leaving.py`); and an
endpoint, secret scope or app of the same name that the state does not hold is not taken over:
its create fails as Terraform's does, unless an import block adopts it (`deploy/owned.py`). A
resource that fails does not stop the apply: the resources that do not depend on it are applied,
those that do are skipped (`/` lines), and the apply fails, as Terraform's does. An endpoint
still deploying is waited for (or reported), never "No changes".
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, NotFound, ResourceConflict
from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EmailNotifications,
    EndpointCoreConfigInput,
    EndpointTag,
    RateLimit,
    ServingEndpointAccessControlRequest,
    ServingEndpointDetailed,
    TelemetryConfig,
)

from servingstack.deploy import around, leaving, owned
from servingstack.deploy.apps import apply_apps
from servingstack.deploy.changes import (
    CREATED,
    DELETED,
    FAILED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    ApplyResult,
    Change,
    PlanError,
    service_error,
)
from servingstack.deploy.state import ApplyState
from servingstack.facts import ignore_changes
from servingstack.facts.provider_updates import FACTS
from servingstack.facts.rules import default_entity_name, validate_endpoint
from servingstack.facts.secrets import scope_key, scopes_used
from servingstack.facts.stackfile import (
    PT_RESOURCE,
    DeclaredEndpoint,
    DeclaredPermissions,
    DeclaredStack,
    app_principal_reference,
)

_PRINCIPALS = ("user_name", "group_name", "service_principal_name")


def apply_stack(
    stack: DeclaredStack,
    client: WorkspaceClient,
    *,
    wait: bool = True,
    timeout: float = 600.0,
    poll_seconds: float = 0.25,
    echo: Callable[[str], None] = print,
    state: ApplyState | None = None,
) -> ApplyResult:
    """Create, update (and, with `state`, delete) every resource of a stack; report each change.

    Raises `PlanError` before any change when the stack cannot be applied as a whole. `state`
    records what this stack manages in this workspace, after every change; without it (a
    scratch workspace, as in tests) nothing is deleted and what exists is taken as the stack's."""
    validate_plan(stack)
    result = ApplyResult()
    result.changes += around.apply_secret_scopes(client, stack, state)
    failed_scopes = around.failed_scopes(result.changes)
    endpoints: dict[str, ServingEndpointDetailed] = {}
    created: set[str] = set()
    failed: dict[str, Change] = {}  # logical id -> the change of an endpoint that was not applied
    deploying: dict[str, Change] = {}
    for declared in stack.endpoints:
        resource = f"{declared.resource_type}.{declared.logical_id}"
        blocked = sorted(s for s in scopes_used(declared.request) if scope_key(s) in failed_scopes)
        if blocked:
            change = Change(SKIPPED, resource, declared.name, [f"its secret scope {', '.join(blocked)} failed"])
        else:
            change, live = _apply_endpoint(client, declared, timeout, poll_seconds, state, stack.imports)
            if live is not None:
                endpoints[declared.logical_id] = live
        if change.action in (FAILED, SKIPPED):
            failed[declared.logical_id] = change
        if change.action == CREATED:
            created.add(declared.logical_id)
        if wait and (change.deploys or change.deploying_already):
            deploying[declared.name] = change
        result.changes.append(change)
    if deploying:
        echo(f"Waiting for {len(deploying)} deployment(s) to finish...")
        _wait_for(client, deploying, timeout, poll_seconds)
    app_changes, apps = apply_apps(
        client,
        stack,
        wait=wait,
        timeout=timeout,
        poll_seconds=poll_seconds,
        state=state,
        failed_endpoints={c.target for c in failed.values()},
    )
    result.changes += app_changes
    failed_apps = {c.resource.removeprefix("databricks_app."): c for c in app_changes if c.action in (FAILED, SKIPPED)}
    principals = {logical_id: app.service_principal_client_id for logical_id, app in apps.items()}
    for permissions in stack.permissions:
        resource = f"databricks_permissions.{permissions.logical_id}"
        needed = [failed[permissions.endpoint_logical_id]] if permissions.endpoint_logical_id in failed else []
        needed += [failed_apps[app] for app in _apps_granted(permissions) if app in failed_apps]
        if needed:
            why = [f"{c.resource} {'failed' if c.action == FAILED else 'was skipped'}" for c in needed]
            result.changes.append(Change(SKIPPED, resource, permissions.serving_endpoint_id, why))
            continue
        result.changes.append(
            _apply_permissions(client, permissions, endpoints, created, principals, state, stack.imports)
        )
    if state is not None:
        result.changes += leaving.delete_apps(client, stack, state)
        result.changes += _delete_removed(client, stack, state)
        result.changes += leaving.delete_secrets(client, stack, state)
        result.changes += leaving.delete_grants(client, stack, state)
    result.changes += around.apply_grants(client, stack, state)
    for line in result.lines():
        echo(line)
    echo(result.summary())
    return result


def validate_plan(stack: DeclaredStack) -> None:
    """Every problem that would stop the apply halfway, found before anything is sent."""
    problems: list[str] = []
    logical_ids = {e.logical_id for e in stack.endpoints}
    names: dict[str, str] = {}
    for declared in stack.endpoints:
        resource = f"{declared.resource_type}.{declared.logical_id}"
        if declared.name in names:
            problems.append(f"{resource}: endpoint name {declared.name!r} is also used by {names[declared.name]}")
        names.setdefault(declared.name, resource)
        if declared.resource_type == "databricks_model_serving":
            # The service's own rules (servingstack.facts.rules, shared with the emulator's create handler).
            problems += [f"{resource}: {problem}" for problem in validate_endpoint(declared.request)]
    for permissions in stack.permissions:
        resource = f"databricks_permissions.{permissions.logical_id}"
        # A `${...}` reference must resolve in this stack; a literal id names an endpoint made elsewhere.
        if permissions.serving_endpoint_id.startswith("${") and permissions.endpoint_logical_id not in logical_ids:
            problems.append(
                f"{resource}: serving_endpoint_id {permissions.serving_endpoint_id} refers to no "
                "databricks_model_serving of this stack (a dangling reference)"
            )
        for index, entry in enumerate(permissions.access_control):
            if sum(1 for kind in _PRINCIPALS if entry.get(kind)) != 1:
                problems.append(f"{resource}: access_control[{index}] needs exactly one of {', '.join(_PRINCIPALS)}")
            app = app_principal_reference(entry.get("service_principal_name"))
            if app is not None and app not in {a.logical_id for a in stack.apps}:
                problems.append(
                    f"{resource}: access_control[{index}] names the service principal of databricks_app.{app}, "
                    "which this stack does not declare (a dangling reference)"
                )
    if problems:
        raise PlanError(problems)


def _apps_granted(permissions: DeclaredPermissions) -> list[str]:
    """The apps whose service principals `permissions` grants to, by logical id."""
    apps = (app_principal_reference(e.get("service_principal_name")) for e in permissions.access_control)
    return [app for app in apps if app is not None]


def _delete_removed(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    """What an earlier apply of this stack created and the stack no longer declares goes, as with
    Terraform: permissions of a kept endpoint are reset, endpoints are deleted (their grants with them)."""
    changes: list[Change] = []
    declared_names = {e.name for e in stack.endpoints}
    declared_permissions = {p.logical_id for p in stack.permissions}
    leaving = set(state.endpoints()) - declared_names
    for logical_id, endpoint_name in state.permissions().items():
        if logical_id in declared_permissions:
            continue
        resource = f"databricks_permissions.{logical_id}"
        if endpoint_name in leaving:
            changes.append(Change(DELETED, resource, endpoint_name, ["with its endpoint"]))
        else:
            # The provider's delete leaves only the caller's own CAN_MANAGE.
            try:
                live = client.serving_endpoints.get(endpoint_name)
                assert live.id is not None  # the service answers every endpoint with its id
                client.serving_endpoints.set_permissions(live.id, access_control_list=[])
                changes.append(Change(DELETED, resource, f"{endpoint_name} (id {live.id})", ["grants removed"]))
            except NotFound:
                changes.append(Change(DELETED, resource, endpoint_name, ["its endpoint is already gone"]))
        state.forget_permissions(logical_id)
    for endpoint_name, resource in state.endpoints().items():
        if endpoint_name in declared_names:
            continue
        try:
            client.serving_endpoints.delete(endpoint_name)
            details = []
        except NotFound:
            details = ["already gone"]
        changes.append(Change(DELETED, resource, endpoint_name, details))
        state.forget_endpoint(endpoint_name)
    return changes


# -- endpoints -------------------------------------------------------------------------


def _apply_endpoint(
    client: WorkspaceClient,
    declared: DeclaredEndpoint,
    timeout: float,
    poll_seconds: float,
    state: ApplyState | None,
    imports: dict[str, str],
) -> tuple[Change, ServingEndpointDetailed | None]:
    """Create the endpoint, or bring the one this state holds (or imports) to its declaration."""
    resource = f"{declared.resource_type}.{declared.logical_id}"
    owns = state is None or state.owns_endpoint(declared.name)
    import_id = imports.get(resource)
    live: ServingEndpointDetailed | None
    try:
        live = client.serving_endpoints.get(declared.name)
    except NotFound:
        live = None
    verdict = owned.decide(owns=owns, import_id=import_id, name=declared.name, exists=live is not None)
    if verdict == owned.IMPORT_MISMATCH:
        assert import_id is not None
        return _failed(resource, declared.name, owned.import_mismatch("endpoint", resource, import_id, declared.name))
    if verdict == owned.IMPORT_MISSING:
        assert import_id is not None
        return _failed(resource, declared.name, owned.missing_import("endpoint", resource, import_id))
    if verdict in (owned.CREATE, owned.TAKEN):
        # TAKEN: not this state's; the create is sent as Terraform would send it, and the service refuses it.
        return _create_endpoint(client, declared, resource, state)
    assert live is not None
    try:
        change, live = _converge_endpoint(client, declared, resource, live, timeout, poll_seconds)
    except DatabricksError as error:
        return _failed(resource, declared.name, service_error(error))
    if verdict == owned.IMPORT:
        assert state is not None  # import blocks matter only to a state
        state.remember_endpoint(declared.name, resource)
        change.imported = True
        change.details.insert(0, "imported")
    return change, live


def _create_endpoint(
    client: WorkspaceClient, declared: DeclaredEndpoint, resource: str, state: ApplyState | None
) -> tuple[Change, ServingEndpointDetailed | None]:
    def create() -> ServingEndpointDetailed:
        if declared.resource_type == PT_RESOURCE:  # its own create route
            return around.create_pt_endpoint(client, declared)
        return _create_request(client, declared)

    try:
        if state is None:
            live = create()
        else:
            live = owned.create_recorded(
                lambda: state.remember_endpoint(declared.name, resource),
                lambda: state.forget_endpoint(declared.name),
                create,
            )
    except ResourceConflict as error:
        how = "call .adopt() on its ServingEndpoint (as `servingstack import` writes it)"
        return _failed(resource, declared.name, owned.already_exists(error, "endpoint", resource, declared.name, how))
    except DatabricksError as error:
        return _failed(resource, declared.name, service_error(error))
    return Change(CREATED, resource, declared.name, deploys=True), live


def _failed(resource: str, target: str, error: str) -> tuple[Change, None]:
    return Change(FAILED, resource, target, error=error), None


def _create_request(client: WorkspaceClient, declared: DeclaredEndpoint) -> ServingEndpointDetailed:
    request = declared.request
    return client.serving_endpoints.create(
        name=declared.name,
        config=_config(request, declared.name) if request.get("config") else None,  # optional (provider docs)
        ai_gateway=AiGatewayConfig.from_dict(request["ai_gateway"]) if request.get("ai_gateway") else None,
        tags=[EndpointTag.from_dict(t) for t in request.get("tags") or []] or None,
        route_optimized=request.get("route_optimized"),
        description=request.get("description"),
        email_notifications=(
            EmailNotifications.from_dict(request["email_notifications"]) if request.get("email_notifications") else None
        ),
        budget_policy_id=request.get("budget_policy_id"),
        rate_limits=[RateLimit.from_dict(r) for r in request.get("rate_limits") or []] or None,
        telemetry_config=_telemetry(request),
    ).response


def _converge_endpoint(
    client: WorkspaceClient,
    declared: DeclaredEndpoint,
    resource: str,
    live: ServingEndpointDetailed,
    timeout: float,
    poll_seconds: float,
) -> tuple[Change, ServingEndpointDetailed]:
    """Send what differs from the declaration (the fields the provider sends on update)."""
    provisioned = declared.resource_type == PT_RESOURCE  # its own config route, the rest shared
    details = []
    deploys = False
    # As Terraform plans an update: what `lifecycle.ignore_changes` names keeps its live value (the
    # prior state is the refreshed endpoint), e.g. a rollout's traffic split.
    ignored_notes = _ignored_notes(declared, live)
    if declared.ignore_changes:
        declared = dataclasses.replace(
            declared, request=ignore_changes.planned(declared.request, _prior(live), declared.ignore_changes)
        )
    request = declared.request
    live_state = live.state.config_update.value if live.state and live.state.config_update else None
    # Provider docs: a config left out of a later apply changes nothing.
    if request.get("config") and (not _config_matches(request["config"], live) or live_state == "UPDATE_FAILED"):
        if live_state == "IN_PROGRESS":  # an update started elsewhere: a second one would conflict
            _wait_for(client, {declared.name: Change(UPDATED, resource, declared.name)}, timeout, poll_seconds)
        live = around.update_pt_config(client, declared) if provisioned else _update_config(client, declared)
        details.append("config" if live_state != "UPDATE_FAILED" else "config, retrying a failed deployment")
        deploys = True
    if request.get("ai_gateway") and not _covers(
        (live.ai_gateway.as_dict() if live.ai_gateway else {}), request["ai_gateway"]
    ):
        client.serving_endpoints.put_ai_gateway(declared.name, **_gateway_kwargs(request["ai_gateway"]))
        details.append("ai_gateway")
    add, delete = _tag_changes(request.get("tags") or [], live.tags or [])
    if add or delete:
        client.serving_endpoints.patch(declared.name, add_tags=add or None, delete_tags=delete or None)
        details.append("tags")
    if details:
        return Change(UPDATED, resource, declared.name, details + ignored_notes, deploys=deploys), live
    drift = _not_sent_differences(declared, live)
    notes = (
        [f"{', '.join(drift)} {'differs' if len(drift) == 1 else 'differ'}: Terraform never sends it on update"]
        if drift
        else []
    ) + ignored_notes
    if live_state == "IN_PROGRESS":  # the declared config is deploying (started earlier, or stuck)
        version = live.pending_config.config_version if live.pending_config else None
        notes.append(f"config{f' v{version}' if version else ''} still deploying (IN_PROGRESS)")
        return Change(UNCHANGED, resource, declared.name, notes, deploying_already=True), live
    return Change(UNCHANGED, resource, declared.name, notes), live


def _ignored_notes(declared: DeclaredEndpoint, live: ServingEndpointDetailed) -> list[str]:
    """A note when an ignored part of the declaration differs from what runs: the live value stays."""
    if not declared.ignore_changes:
        return []
    prior = _prior(live)
    planned = ignore_changes.planned(declared.request, prior, declared.ignore_changes)
    if planned == declared.request:
        return []
    if ignore_changes.covers(declared.ignore_changes, "config[0].traffic_config"):
        routes = ((prior.get("config") or {}).get("traffic_config") or {}).get("routes") or []
        split = ", ".join(
            f"{r.get('served_entity_name') or r.get('served_model_name')} {r.get('traffic_percentage', 0)}%"
            for r in routes
        )
        return [f"live traffic kept ({split}): lifecycle.ignore_changes"]
    return ["live values kept where lifecycle.ignore_changes says"]


def _prior(live: ServingEndpointDetailed) -> dict[str, Any]:
    """The endpoint as the last apply left it: the config it deploys (a rollout's step still
    deploying, say) or else the one it serves."""
    prior = live.as_dict()
    if live.pending_config is not None:
        prior["config"] = live.pending_config.as_dict()
    return prior


def _update_config(client: WorkspaceClient, declared: DeclaredEndpoint) -> ServingEndpointDetailed:
    config = _config(declared.request, declared.name)
    return client.serving_endpoints.update_config(
        declared.name,
        served_entities=config.served_entities,
        traffic_config=config.traffic_config,
        auto_capture_config=config.auto_capture_config,
    ).response


def _telemetry(request: dict[str, Any]) -> TelemetryConfig | None:
    return TelemetryConfig.from_dict(request["telemetry_config"]) if request.get("telemetry_config") else None


def _config(request: dict[str, Any], name: str) -> EndpointCoreConfigInput:
    return EndpointCoreConfigInput.from_dict({**(request.get("config") or {}), "name": name})


def _gateway_kwargs(gateway: dict[str, Any]) -> dict[str, Any]:
    parsed = AiGatewayConfig.from_dict(gateway)
    return {
        "fallback_config": parsed.fallback_config,
        "guardrails": parsed.guardrails,
        "inference_table_config": parsed.inference_table_config,
        "rate_limits": parsed.rate_limits,
        "usage_tracking_config": parsed.usage_tracking_config,
    }


def _not_sent_differences(declared: DeclaredEndpoint, live: ServingEndpointDetailed) -> list[str]:
    """Declared fields that differ from what runs and that the provider never sends after create
    (`facts.provider_updates`): Terraform plans them as changes and applies nothing, so they stay
    drift. A field no read shows (legacy `rate_limits`) cannot be compared."""
    request = declared.request
    return [
        field
        for field in FACTS[declared.resource_type].not_sent
        if request.get(field) is not None
        and hasattr(live, field)
        and not _covers(_live_field(live, field), request[field])
    ]


def _live_field(live: ServingEndpointDetailed, name: str) -> Any:
    value: Any = getattr(live, name, None)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return value


def _config_matches(declared: dict[str, Any], live: ServingEndpointDetailed) -> bool:
    """True when the config that runs (or deploys) is the declared one."""
    shown = live.pending_config or live.config
    if shown is None:
        return False
    live_config = shown.as_dict()
    live_entities = {e.get("name"): e for e in live_config.get("served_entities") or []}
    declared_entities = list(declared.get("served_entities") or [])
    if len(declared_entities) != len(live_entities):
        return False
    for entity in declared_entities:
        name = entity.get("name") or default_entity_name(entity)
        if name not in live_entities or not _covers(live_entities[name], entity):
            return False
    declared_routes = (declared.get("traffic_config") or {}).get("routes")
    if declared_routes:
        if _routes(declared_routes) != _routes((live_config.get("traffic_config") or {}).get("routes") or []):
            return False
    if declared.get("auto_capture_config") and not _covers(
        live_config.get("auto_capture_config") or {}, declared["auto_capture_config"]
    ):
        return False
    return True


def _routes(routes: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted(
        (r.get("served_model_name") or r.get("served_entity_name") or "", r.get("traffic_percentage", 0))
        for r in routes
    )


def _covers(live: Any, declared: Any) -> bool:
    """True when every declared value is in `live` (which may hold more: ids, states, defaults).

    `*_plaintext` secrets are skipped: the service never echoes them.
    """
    if isinstance(declared, dict):
        if not isinstance(live, dict):
            return False
        return all(
            _covers(live.get(key), value)
            for key, value in declared.items()
            if value is not None and not key.endswith("_plaintext")
        )
    if isinstance(declared, list):
        return isinstance(live, list) and len(live) == len(declared) and all(map(_covers, live, declared))
    return live == declared


def _tag_changes(declared: list[dict[str, Any]], live: list[EndpointTag]) -> tuple[list[EndpointTag], list[str]]:
    wanted = {t["key"]: t.get("value") for t in declared}
    have = {t.key: t.value for t in live}
    add = [EndpointTag(key=k, value=v) for k, v in wanted.items() if k not in have or have[k] != v]
    delete = [k for k in have if k not in wanted]
    return add, delete


def _wait_for(client: WorkspaceClient, changes: dict[str, Change], timeout: float, poll_seconds: float) -> None:
    """Poll until every endpoint stops updating; mark the ones that fail or time out."""
    deadline = time.monotonic() + timeout
    waiting = dict(changes)
    while waiting:
        for name in list(waiting):
            live = client.serving_endpoints.get(name)
            state = live.state.config_update.value if live.state and live.state.config_update else None
            if state == "IN_PROGRESS":
                continue
            change = waiting.pop(name)
            if state != "NOT_UPDATING":
                change.action = FAILED
                change.details.append(f"{state}: {_failure_reason(live)}")
            elif change.deploying_already:
                change.deploying_already = False
                change.details[-1] = "a deployment already under way finished"
        if waiting and time.monotonic() >= deadline:
            for change in waiting.values():
                change.action = FAILED
                change.details.append(f"still deploying after {timeout:g}s")
            return
        if waiting:
            time.sleep(poll_seconds)


def _failure_reason(live: ServingEndpointDetailed) -> str:
    config = live.pending_config or live.config
    for entity in (config.served_entities or []) if config else []:
        if entity.state and entity.state.deployment_state_message:
            if entity.state.deployment and entity.state.deployment.value != "DEPLOYMENT_READY":
                return f"{entity.name}: {entity.state.deployment_state_message}"
    return "deployment did not succeed"


# -- permissions -----------------------------------------------------------------------


def _apply_permissions(
    client: WorkspaceClient,
    declared: DeclaredPermissions,
    endpoints: dict[str, ServingEndpointDetailed],
    created: set[str],
    principals: dict[str, str | None],
    state: ApplyState | None,
    imports: dict[str, str],
) -> Change:
    resource = f"databricks_permissions.{declared.logical_id}"
    # An import block takes the permissions into the state; the provider's create would set them all the same.
    imported = state is not None and resource in imports and declared.logical_id not in state.permissions()
    try:
        change = _set_permissions(client, declared, resource, endpoints, created, principals, state)
    except DatabricksError as error:
        return Change(FAILED, resource, declared.serving_endpoint_id, error=service_error(error))
    change.imported = imported and change.action != FAILED
    return change


def _set_permissions(
    client: WorkspaceClient,
    declared: DeclaredPermissions,
    resource: str,
    endpoints: dict[str, ServingEndpointDetailed],
    created: set[str],
    principals: dict[str, str | None],
    state: ApplyState | None,
) -> Change:
    endpoint = endpoints.get(declared.endpoint_logical_id or "") or _existing(client, declared.serving_endpoint_id)
    if endpoint is None:
        return Change(FAILED, resource, declared.serving_endpoint_id, ["no endpoint with this id in the workspace"])
    target = f"{endpoint.name} (id {endpoint.id})"
    assert endpoint.id is not None and endpoint.name is not None  # the service answers every endpoint with both
    access_control: list[dict[str, str]] = []
    for declared_entry in declared.access_control:
        app = app_principal_reference(declared_entry.get("service_principal_name"))
        client_id = principals.get(app) if app is not None else None
        if app is not None and not client_id:
            why = f"databricks_app.{app} has no service principal (it was not applied)"
            return Change(FAILED, resource, target, [why])
        access_control.append({**declared_entry, "service_principal_name": client_id} if client_id else declared_entry)
    if state is not None:  # recorded before the grants change, so a kill halfway still knows them
        state.remember_permissions(declared.logical_id, endpoint.name)
    wanted: set[tuple[str, str | None, str]] = {_grant(entry) for entry in access_control}
    wanted.add(("user_name", endpoint.creator, "CAN_MANAGE"))  # the caller keeps CAN_MANAGE
    live = client.serving_endpoints.get_permissions(endpoint.id)
    have = set()
    for entry in live.access_control_list or []:
        principal = next(
            (k, v)
            for k, v in (
                ("user_name", entry.user_name),
                ("group_name", entry.group_name),
                ("service_principal_name", entry.service_principal_name),
            )
            if v
        )
        for permission in entry.all_permissions or []:
            if not permission.inherited and permission.permission_level is not None:
                have.add((*principal, permission.permission_level.value))
    if have == wanted:
        return Change(UNCHANGED, resource, target, endpoint=endpoint.name)
    client.serving_endpoints.set_permissions(
        endpoint.id,
        access_control_list=[ServingEndpointAccessControlRequest.from_dict(e) for e in access_control],
    )
    action = CREATED if declared.endpoint_logical_id in created else UPDATED
    return Change(action, resource, target, [f"{len(access_control)} grants"], endpoint=endpoint.name)


def _existing(client: WorkspaceClient, endpoint_id: str) -> ServingEndpointDetailed | None:
    """An endpoint made elsewhere, named by its literal id (`ExistingEndpoint`)."""
    for listed in client.serving_endpoints.list():
        if listed.id == endpoint_id and listed.name:
            return client.serving_endpoints.get(listed.name)
    return None


def _grant(entry: dict[str, Any]) -> tuple[str, str, str]:
    for kind in ("user_name", "group_name", "service_principal_name"):
        if entry.get(kind):
            return kind, entry[kind], entry["permission_level"]
    raise ValueError(f"access control entry without a principal: {sorted(entry)}")
