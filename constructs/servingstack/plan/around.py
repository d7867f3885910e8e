"""The change to what surrounds the endpoints: secret scopes and their ACLs, Unity Catalog grants and
apps; with what those changes take away and the names a create would find taken.

Provider semantics (`facts.provider_updates`): a scope has no Update (any change replaces it, and
deleting a scope deletes every secret in it), an ACL is replaced when its permission changes, a
`databricks_grant` sets exactly the declared privileges of its one principal on its securable, an
app is updated by one PATCH of the whole app and replaced when renamed.
"""

from __future__ import annotations

import json
from typing import Any

from servingstack.deploy import owned as ownership_rule
from servingstack.facts.apps import app_differences
from servingstack.facts.provider_updates import (
    APP,
    APP_FACTS,
    GRANT,
    GRANT_FACTS,
    SECRET_ACL,
    SECRET_SCOPE,
    uc_securable_type,
)
from servingstack.facts.stackfile import DeclaredApp, DeclaredGrant, DeclaredSecretAcl, DeclaredSecretScope
from servingstack.plan.context import PlanContext
from servingstack.plan.live import Read
from servingstack.plan.results import FieldChange, ResourceChange
from servingstack.plan.wording import ARROW


def _privilege(name: str) -> str:
    # catalog/permissions/permissions.go: privileges are compared upper-case with '_' for ' '.
    return name.strip().upper().replace(" ", "_")


# -- secret scopes ---------------------------------------------------------------------


def scope_change(ctx: PlanContext, scope: DeclaredSecretScope) -> ResourceChange:
    address = f"{SECRET_SCOPE}.{scope.logical_id}"
    change = ResourceChange(
        address, SECRET_SCOPE, scope.name, "unchanged", construct_path=ctx.settings.paths.get(address)
    )
    previous = ctx.owned.name_of(address) if ctx.owned.known else None
    scopes = ctx.live.scope_list
    if previous and previous != scope.name:
        change.action, change.owned = "replace", True
        change.fields.append(
            FieldChange("name", previous, scope.name, f"name: {previous} {ARROW} {scope.name}", "replace")
        )
        _scope_gone(ctx, address, previous, "replaced (a scope has no update: every field forces a new one)")
    if ctx.unread(scopes, address, scope.name, "the workspace's secret scopes"):
        return change
    exists = scope.name in (scopes.value or [])
    if change.action == "replace":
        if exists:
            _scope_taken(ctx, change)
        return change
    owns = ctx.owned.owns((SECRET_SCOPE,), scope.name)
    if not exists:
        ctx.ownership(change, "secret scope", owns, exists=False)
        change.action = "create"
        manage = scope.initial_manage_principal or "the caller"
        change.effects.append(
            f"create (POST /api/2.0/secrets/scopes/create): MANAGE goes to {manage}; the scope starts empty"
        )
        return change
    change.owned = owns
    verdict = ctx.ownership(change, "secret scope", owns, exists=True)
    if verdict == ownership_rule.TAKEN:
        change.action = "create"
        _scope_taken(ctx, change)
    elif verdict == ownership_rule.IMPORT_MISMATCH:
        change.action = "create"
    elif verdict is None:
        ctx.unknown_ownership.append(("secret scope", scope.name))
    if scope.initial_manage_principal:
        change.notes.append("initial_manage_principal is not compared: the Secrets API does not show it")
    return change


def _scope_taken(ctx: PlanContext, change: ResourceChange) -> None:
    ctx.add(
        "preflight",
        "error",
        "name_taken",
        change.address,
        change.name,
        f"a secret scope named {change.name!r} already exists and this stack does not own it: the create fails "
        '(SDK create_scope: "Throws RESOURCE_ALREADY_EXISTS if a scope with the given name already exists")',
        f"adopt it (terraform import {change.address} {change.name}), use SecretScope.from_name(...) for a scope "
        "kept elsewhere, or rename it",
    )


def _scope_gone(ctx: PlanContext, address: str, name: str, why: str) -> None:
    keys = ctx.live.secret_keys.get(name) or Read()
    count = f" and its {len(keys.value or [])} secret(s)" if keys.found else " and every secret in it"
    ctx.add(
        "takeaway",
        "warning",
        "scope_deleted",
        address,
        name,
        f"secret scope {name}{count} are deleted ({why}): endpoints that reference them fail their next deployment",
        "keep the scope's name, or move its secrets first",
    )


def deleted_scopes(ctx: PlanContext) -> list[ResourceChange]:
    declared = {f"{SECRET_SCOPE}.{s.logical_id}" for s in ctx.stack.secret_scopes}
    declared_names = {s.name for s in ctx.stack.secret_scopes}
    changes = []
    for name, address in sorted(ctx.owned.names(SECRET_SCOPE).items()):
        if address in declared or name in declared_names:
            continue
        if ctx.live.scope_list.found and name not in (ctx.live.scope_list.value or []):
            continue  # gone already
        change = ResourceChange(address, SECRET_SCOPE, name, "delete", owned=True)
        change.effects.append("delete (POST /api/2.0/secrets/scopes/delete): with every secret in it")
        _scope_gone(ctx, address, name, "no longer declared")
        changes.append(change)
    return changes


# -- secret ACLs -----------------------------------------------------------------------


def acl_change(ctx: PlanContext, declared: DeclaredSecretAcl, scopes: dict[str, ResourceChange]) -> ResourceChange:
    address = f"{SECRET_ACL}.{declared.logical_id}"
    name = f"{declared.scope}/{declared.principal}"
    change = ResourceChange(address, SECRET_ACL, name, "unchanged", construct_path=ctx.settings.paths.get(address))
    scope = scopes.get(declared.scope)
    wanted = f"{declared.principal} {declared.permission}"
    if scope is not None and scope.action in ("create", "replace"):
        change.action = "create"
        change.fields.append(FieldChange("permission", None, declared.permission, f"+ {wanted}", "create"))
        return change
    acls = ctx.live.secret_acls.get(declared.scope) or Read()
    if acls.missing:
        change.action = "create"
        if scope is None:
            ctx.add(
                "preflight",
                "error",
                "scope_missing",
                address,
                declared.scope,
                f"secret scope {declared.scope!r} does not exist and the stack does not create it: the ACL fails",
                "declare the scope (SecretScope), or create it first",
            )
        return change
    if not acls.found:
        change.action = "create"
        change.notes.append(f"the scope's ACLs could not be read ({acls.error}): listing them needs MANAGE")
        ctx.add(
            "read",
            "warning",
            "unread",
            address,
            declared.scope,
            f"could not read the ACLs of scope {declared.scope!r}: {acls.error}",
            "plan as a principal with MANAGE on the scope",
        )
        return change
    have = (acls.value or {}).get(declared.principal)
    if have is None:
        change.action = "create"
        change.fields.append(FieldChange("permission", None, declared.permission, f"+ {wanted}", "create"))
        change.effects.append("create (POST /api/2.0/secrets/acls/put)")
    elif have != declared.permission:
        change.action = "replace"  # permission is ForceNew (secrets/resource_secret_acl.go)
        text = f"{declared.principal}: {have} {ARROW} {declared.permission} (forces replacement)"
        change.fields.append(FieldChange("permission", have, declared.permission, text, "replace"))
        change.effects.append(
            "replacement (permission is ForceNew: secrets/resource_secret_acl.go): acls/delete, then acls/put"
        )
    return change


# -- Unity Catalog grants --------------------------------------------------------------


def grant_change(ctx: PlanContext, grant: DeclaredGrant) -> ResourceChange:
    address = f"{GRANT}.{grant.logical_id}"
    name = f"{grant.securable_type} {grant.full_name}: {grant.principal}"
    change = ResourceChange(address, GRANT, name, "unchanged", construct_path=ctx.settings.paths.get(address))
    securable = uc_securable_type(grant.securable_type)
    read = ctx.live.uc_grants.get((securable, grant.full_name, grant.principal)) or Read()
    wanted = sorted({_privilege(p) for p in grant.privileges})
    previous = (ctx.owned.by_address.get(address) or {}).get("id") if ctx.owned.known else None
    current = f"{grant.securable_type}/{grant.full_name}/{grant.principal}"  # resource_grant.go, toSecurableId
    if previous and previous != current:
        change.action = "replace"
        change.fields.append(FieldChange("id", previous, current, f"{previous} {ARROW} {current}", "replace"))
        ctx.add(
            "takeaway",
            "warning",
            "privileges_removed",
            address,
            previous,
            f"the privileges of the grant {previous} are revoked (its principal or securable changed, which forces "
            f"a new grant: {GRANT_FACTS.force_new_source})",
        )
    if read.missing:
        change.action = "create"
        ctx.add(
            "preflight",
            "error",
            "securable_missing",
            address,
            f"{grant.securable_type} {grant.full_name}",
            f"{grant.securable_type} {grant.full_name} does not exist in Unity Catalog: the grant fails",
            f"create the {grant.securable_type} first, or correct its name",
        )
        return change
    if ctx.unread(read, address, name, f"the grants of {grant.principal} on {grant.securable_type} {grant.full_name}"):
        return change
    have = set(read.value or [])
    added = [p for p in wanted if p not in have]
    removed = sorted(have - set(wanted))
    for privilege in added:
        change.fields.append(FieldChange(privilege, None, privilege, f"+ {privilege}", "privileges"))
    for privilege in removed:
        change.fields.append(
            FieldChange(privilege, privilege, None, f"- {privilege} (held outside the stack)", "privileges")
        )
    if change.action == "replace":
        return change
    if not have:
        change.action = "create"
    elif added or removed:
        change.action = "update"
    if change.action != "unchanged":
        update = GRANT_FACTS.updates["privileges"]
        change.effects.append(update.describe())
    if removed:
        ctx.add(
            "takeaway",
            "warning",
            "privileges_removed",
            address,
            grant.principal,
            f"{grant.principal} loses {', '.join(removed)} on {grant.securable_type} {grant.full_name}: "
            "databricks_grant is authoritative for its principal on the securable (provider docs, grant.md)",
            "add them to the grant to keep them",
        )
    return change


# -- apps ------------------------------------------------------------------------------


def _app_resources(live: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    found = {}
    for resource in live.get("resources") or []:
        endpoint = resource.get("serving_endpoint") or {}
        if endpoint:
            found[str(resource.get("name"))] = (endpoint.get("name"), endpoint.get("permission"))
    return found


def _value(value: Any) -> str:
    if value in (None, "", [], {}):
        return "none"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def app_change(ctx: PlanContext, app: DeclaredApp, declared_endpoints: set[str]) -> ResourceChange:
    address = f"{APP}.{app.logical_id}"
    change = ResourceChange(address, APP, app.name, "unchanged", construct_path=ctx.settings.paths.get(address))
    for entry in app.serving_endpoints:
        endpoint = str(entry.get("name") or "")
        read = ctx.live.endpoints.get(endpoint) or Read()
        if endpoint not in declared_endpoints and read.missing:
            ctx.add(
                "preflight",
                "error",
                "endpoint_missing",
                address,
                endpoint,
                f"the app's resource {entry.get('resource')!r} names serving endpoint {endpoint!r}, which does not "
                "exist and the stack does not declare: the app's create or update fails",
                "declare the endpoint in the stack, or name an existing one",
            )
    previous = ctx.owned.name_of(address) if ctx.owned.known else None
    read = ctx.live.apps.get(app.name) or Read()
    if previous and previous != app.name:
        change.action, change.owned = "replace", True
        change.fields.append(FieldChange("name", previous, app.name, f"name: {previous} {ARROW} {app.name}", "replace"))
        change.effects.append(
            f"replacement: app {previous} is deleted and {app.name} created ({APP_FACTS.force_new_source})"
        )
        ctx.add("takeaway", "warning", "app_replaced", address, previous, f"app {previous} is deleted, its URL with it")
        return change
    if ctx.unread(read, address, app.name, f"the app {app.name!r}"):
        return change
    owns = ctx.owned.owns((APP,), app.name)
    if read.missing:
        ctx.ownership(change, "app", owns, exists=False)
        change.action = "create"
        change.effects.append("create (POST /api/2.0/apps): Terraform waits for the app's compute to be ACTIVE")
        for entry in app.serving_endpoints:
            text = f"+ resource {entry.get('resource')}: serving endpoint {entry.get('name')} {entry.get('permission')}"
            change.fields.append(
                FieldChange(f"resources[{entry.get('resource')}]", None, entry.get("name"), text, "create")
            )
        return change
    change.owned = owns
    verdict = ctx.ownership(change, "app", owns, exists=True)
    if verdict == ownership_rule.IMPORT_MISMATCH:
        change.action = "create"
        return change
    if verdict == ownership_rule.TAKEN:
        change.action = "create"
        ctx.add(
            "preflight",
            "error",
            "name_taken",
            address,
            app.name,
            f"an app named {app.name!r} already exists and this stack does not own it: the create fails "
            '("An app with the same name already exists", 409 ALREADY_EXISTS)',
            f"adopt it (terraform import {address} {app.name}), or rename the app",
        )
        return change
    if verdict is None:
        ctx.unknown_ownership.append(("app", app.name))
    live = read.value or {}
    have = _app_resources(live)
    for entry in app.serving_endpoints:
        key = str(entry.get("resource"))
        want = (entry.get("name"), entry.get("permission"))
        if have.get(key) != want:
            before = have.get(key)
            text = (
                f"resource {key}: {before[0]} {before[1]} {ARROW} {want[0]} {want[1]}"
                if before
                else f"+ resource {key}: serving endpoint {want[0]} {want[1]}"
            )
            change.fields.append(FieldChange(f"resources[{key}]", before, want, text, "*"))
    for key, before in have.items():
        if key not in {str(e.get("resource")) for e in app.serving_endpoints}:
            text = f"- resource {key}: serving endpoint {before[0]} {before[1]}"
            change.fields.append(FieldChange(f"resources[{key}]", before, None, text, "*"))
            ctx.add("takeaway", "warning", "app_resource_removed", address, key, f"the app loses {text[2:]}")
    # The app's other fields, as the apply and the checker compare them (facts/apps.py).
    for field, want, before in app_differences(app.request, live):
        if field != "resources":  # compared resource by resource above
            text = f"{field}: {_value(before)} {ARROW} {_value(want)}"
            change.fields.append(FieldChange(field, before, want, text, "*"))
    if change.fields:
        change.action = "update"
        update = APP_FACTS.updates["*"]
        change.effects.append(update.describe(name=app.name))
    state = ((live.get("compute_status") or {}).get("state")) or None
    if state and state != "ACTIVE":
        change.notes.append(f"its compute is {state}")
    return change


def deleted_apps(ctx: PlanContext) -> list[ResourceChange]:
    """Apps the state holds that the stack no longer declares: the apply deletes them (provider
    Delete: DELETE /api/2.0/apps/{name}), and with them their URL, service principal and its grants."""
    declared_addresses = {f"{APP}.{app.logical_id}" for app in ctx.stack.apps}
    declared_names = {app.name for app in ctx.stack.apps}
    changes = []
    for name, address in sorted(ctx.owned.names(APP).items()):
        if address in declared_addresses or name in declared_names:
            continue
        read = ctx.live.apps.get(name) or Read()
        if ctx.unread(read, address, name, f"the app {name!r}"):
            continue
        if read.missing:
            continue  # gone already: Terraform drops it from its state
        change = ResourceChange(address, APP, name, "delete", owned=True)
        change.effects.append(
            f"delete (DELETE /api/2.0/apps/{name}): the service deletes the app in the background, its service "
            "principal and that principal's grants with it"
        )
        ctx.add(
            "takeaway",
            "warning",
            "app_deleted",
            address,
            name,
            f"app {name} is deleted: it is in the stack's state but no longer declared; its URL stops answering and "
            "its service principal loses every grant",
            "keep declaring it, or `terraform state rm` it to leave it in the workspace",
        )
        changes.append(change)
    return changes
