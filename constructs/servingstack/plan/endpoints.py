"""The change to every serving endpoint of the stack (both serving resources), to each endpoint's
`databricks_permissions`, and the owned endpoints the apply would delete; with what each change takes
away (traffic, tags, gateway features, access) and what Terraform will not apply.

The live endpoint is compared with the declaration field by field by `check.drift` (the checker's
own comparison), and each difference is sorted by the provider's update path
(`facts.provider_updates`): a config update, a tag or gateway update, a replacement, or a field the
provider never sends after create.
"""

from __future__ import annotations

from typing import Any

from servingstack.check import acl, drift
from servingstack.check.drift import Difference
from servingstack.deploy import owned as ownership_rule
from servingstack.facts.permissions import ENDPOINT_LEVELS
from servingstack.facts.provider_updates import FACTS, PERMISSIONS, PERMISSIONS_FACTS, ResourceFacts
from servingstack.facts.secrets import MASK, is_secret_reference
from servingstack.facts.stackfile import DeclaredEndpoint, DeclaredPermissions, app_principal_reference
from servingstack.plan import wording
from servingstack.plan.context import PlanContext
from servingstack.plan.live import Read
from servingstack.plan.ownership import ENDPOINT_TYPES
from servingstack.plan.results import FieldChange, ResourceChange, TrafficLine

# Top-level request fields compared here beside check.drift's (which leaves out the create-only ones).
_SCALARS = ("description", "budget_policy_id")


def address_of(declared: DeclaredEndpoint) -> str:
    return f"{declared.resource_type}.{declared.logical_id}"


def _timeout(ctx: PlanContext, address: str, facts: ResourceFacts, which: str) -> str:
    declared = ctx.settings.timeouts.get(address, {}).get(which)
    return declared or f"{facts.default_timeout_minutes}m"


def _routes(config: dict[str, Any] | None) -> dict[str, int]:
    routes = ((config or {}).get("traffic_config") or {}).get("routes") or []
    return {
        str(r.get("served_entity_name") or r.get("served_model_name")): int(r.get("traffic_percentage") or 0)
        for r in routes
    }


def _shares(config: dict[str, Any] | None) -> dict[str, int | None]:
    """Each entity's share of the traffic: the routes, or 100% for a lone entity without them."""
    entities = [wording.entity_key(e) for e in (config or {}).get("served_entities") or []]
    routes = _routes(config)
    if routes:
        return {name: routes.get(name, 0) for name in entities}
    return {name: (100 if len(entities) == 1 else None) for name in entities}


def traffic_lines(declared: dict[str, Any] | None, live: dict[str, Any] | None, changed: set[str]) -> list[TrafficLine]:
    """Every entity served before or after, with its share of the traffic on both sides."""
    live_entities = {wording.entity_key(e): e for e in (live or {}).get("served_entities") or []}
    declared_entities = {wording.entity_key(e): e for e in (declared or {}).get("served_entities") or []}
    before, after = _shares(live), _shares(declared) if declared is not None else _shares(live)
    if declared is None:
        declared_entities = live_entities
    lines = []
    for name in list(declared_entities) + [n for n in live_entities if n not in declared_entities]:
        entity = declared_entities.get(name) or live_entities[name]
        lines.append(
            TrafficLine(
                entity=name,
                model=wording.entity_model(entity),
                before=before.get(name) if name in live_entities else None,
                after=after.get(name) if name in declared_entities else None,
                changed=name in changed,
            )
        )
    return lines


def _how(path: str, facts: ResourceFacts) -> str:
    """The provider's update path for a difference at `path` (a check.drift field path)."""
    top = path.split("[", 1)[0].split(".", 1)[0]
    if top in ("served_entities", "traffic"):
        top = "config"
    if path.startswith("config.auto_capture_config."):
        top = "replace" if path in facts.force_new else "config"
    elif top in facts.force_new:
        top = "replace"
    elif top in facts.not_sent:
        top = "not_applied"
    return top


def _extra_differences(declared: dict[str, Any], live: dict[str, Any], facts: ResourceFacts) -> list[Difference]:
    """The fields check.drift leaves out: create-only ones and the legacy inference table's location."""
    found = []
    for key in _SCALARS:
        if key in facts.not_sent and declared.get(key) is not None and declared[key] != live.get(key):
            found.append(Difference(key, declared[key], live.get(key)))
    if "email_notifications" in facts.not_sent and declared.get("email_notifications") is not None:
        want, have = declared["email_notifications"] or {}, live.get("email_notifications") or {}
        for key in sorted(set(want) | set(have)):
            if sorted(want.get(key) or []) != sorted(have.get(key) or []):
                found.append(Difference(f"email_notifications.{key}", want.get(key), have.get(key)))
    want_capture = (declared.get("config") or {}).get("auto_capture_config")
    if want_capture:
        have_capture = (live.get("config") or {}).get("auto_capture_config") or {}
        for key in ("catalog_name", "schema_name", "table_name_prefix", "enabled"):
            if want_capture.get(key) is not None and want_capture.get(key) != have_capture.get(key):
                found.append(Difference(f"config.auto_capture_config.{key}", want_capture[key], have_capture.get(key)))
    return found


def _shown(value: Any) -> Any:
    """A secret reference is a name and may be shown; any other value of these fields is masked."""
    return value if value is None or is_secret_reference(value) else MASK


def _secret_differences(declared: dict[str, Any], live: dict[str, Any]) -> list[Difference]:
    """Changed secret references and environment variables of served entities (which check.drift leaves
    out): a new key reference is a config update the provider sends. Values that are not references are
    never shown."""
    found: list[Difference] = []
    live_entities = {wording.entity_key(e): e for e in (live.get("config") or {}).get("served_entities") or []}
    for entity in (declared.get("config") or {}).get("served_entities") or []:
        name = wording.entity_key(entity)
        twin = live_entities.get(name)
        if twin is None:
            continue
        external, live_external = entity.get("external_model") or {}, twin.get("external_model") or {}
        for block, settings in external.items():
            if not isinstance(settings, dict):
                continue
            for key, value in settings.items():
                have = (live_external.get(block) or {}).get(key)
                if is_secret_reference(value) and have is not None and have != value:
                    found.append(
                        Difference(f"served_entities[{name}].external_model.{block}.{key}", value, _shown(have))
                    )
        want_env, have_env = entity.get("environment_vars") or {}, twin.get("environment_vars") or {}
        for key in sorted(set(want_env) | set(have_env)):
            if want_env.get(key) != have_env.get(key):
                found.append(
                    Difference(
                        f"served_entities[{name}].environment_vars.{key}",
                        _shown(want_env.get(key)),
                        _shown(have_env.get(key)),
                    )
                )
    return found


def _differences(declared: DeclaredEndpoint, live: dict[str, Any], facts: ResourceFacts) -> list[Difference]:
    differences = drift.compare(declared.request, live) + _secret_differences(declared.request, live)
    if not declared.request.get("config"):
        # Provider: "Removing a config from an existing model serving endpoint is a no-op" (config is Computed).
        differences = [d for d in differences if _how(d.field, facts) != "config"]
    if "telemetry_config" not in facts.not_sent and "telemetry_config" not in declared.request:
        differences = [d for d in differences if not d.field.startswith("telemetry_config")]
    return differences + _extra_differences(declared.request, live, facts)


def _entity_fields(declared: DeclaredEndpoint) -> list[FieldChange]:
    config = declared.request.get("config") or {}
    fields = [
        FieldChange(
            f"served_entities[{wording.entity_key(e)}]",
            None,
            wording.entity_model(e),
            f"+ served entity {wording.entity_key(e)} ({wording.entity_summary(e)})",
            "create",
        )
        for e in config.get("served_entities") or []
    ]
    for name, share in _shares(config).items():
        if share is not None:
            fields.append(FieldChange(f"traffic[{name}]", None, share, f"traffic {name}: {share}%", "create"))
    return fields


def endpoint_change(ctx: PlanContext, declared: DeclaredEndpoint) -> ResourceChange:
    address = address_of(declared)
    facts = FACTS[declared.resource_type]
    change = ResourceChange(
        address, declared.resource_type, declared.name, "unchanged", construct_path=ctx.settings.paths.get(address)
    )
    read = ctx.live.endpoints.get(declared.name) or Read()
    previous = ctx.owned.name_of(address) if ctx.owned.known else None
    if previous and previous != declared.name:
        return _renamed(ctx, declared, change, facts, previous, read)
    if ctx.unread(read, address, declared.name, f"the live endpoint {declared.name!r}"):
        change.action = "update" if ctx.owned.owns(ENDPOINT_TYPES, declared.name) else "create"
        change.notes.append("the live endpoint could not be read: the change is a guess")
        return change
    owned = ctx.owned.owns(ENDPOINT_TYPES, declared.name)
    if read.missing:
        ctx.ownership(change, "endpoint", owned, exists=False)
        return _create(ctx, declared, change, facts)
    change.owned = owned
    verdict = ctx.ownership(change, "endpoint", owned, exists=True)
    if verdict == ownership_rule.TAKEN:
        _name_taken(ctx, declared, change, facts)
        return change
    if verdict == ownership_rule.IMPORT_MISMATCH:
        return _create(ctx, declared, change, facts)
    if verdict is None:
        ctx.unknown_ownership.append(("endpoint", declared.name))
    return _compare(ctx, declared, change, facts, read.value or {})


def _create(
    ctx: PlanContext, declared: DeclaredEndpoint, change: ResourceChange, facts: ResourceFacts
) -> ResourceChange:
    change.action = "create"
    change.fields = _entity_fields(declared)
    change.traffic = traffic_lines(declared.request.get("config"), None, set())
    create = "POST /api/2.0/serving-endpoints" + ("/pt" if declared.resource_type != "databricks_model_serving" else "")
    change.effects.append(
        f"create ({create}): Terraform waits up to {_timeout(ctx, change.address, facts, 'create')} for it to be "
        "ready; if the deployment fails or the wait times out, the provider deletes the endpoint and the apply "
        f"fails ({facts.force_new_source.split(',')[0]}, Create)"
    )
    return change


def _name_taken(ctx: PlanContext, declared: DeclaredEndpoint, change: ResourceChange, facts: ResourceFacts) -> None:
    change.action = "create"
    change.fields = _entity_fields(declared)
    change.traffic = traffic_lines(declared.request.get("config"), None, set())
    change.notes.append(
        f"the name is taken by an endpoint the stack's state ({ctx.owned.ownership.source}) does not hold"
    )
    ctx.add(
        "preflight",
        "error",
        "name_taken",
        change.address,
        declared.name,
        f"an endpoint named {declared.name!r} already exists and this stack does not own it: the create fails "
        'with "already exists"',
        f"adopt it (terraform import {change.address} {declared.name}; `servingstack import` writes import "
        "blocks), or rename the endpoint in the stack, or delete the live one",
    )


def _renamed(
    ctx: PlanContext,
    declared: DeclaredEndpoint,
    change: ResourceChange,
    facts: ResourceFacts,
    previous: str,
    read: Read[dict[str, Any]],
) -> ResourceChange:
    """The state holds this resource under another name: `name` is ForceNew, so it is replaced."""
    change.action, change.owned = "replace", True
    old = ctx.live.endpoints.get(previous) or Read()
    old_config = (old.value or {}).get("config") if old.found else None
    change.fields = [
        FieldChange("name", previous, declared.name, f"name: {previous} {wording.ARROW} {declared.name}", "replace")
    ]
    change.fields += _entity_fields(declared)
    change.traffic = traffic_lines(declared.request.get("config"), old_config, set())
    _replacement(ctx, change, facts, previous, reason=f"name is ForceNew: {facts.force_new_source}")
    if read.found:
        _name_taken(ctx, declared, change, facts)
        change.action = "replace"
    return change


def _replacement(ctx: PlanContext, change: ResourceChange, facts: ResourceFacts, name: str, reason: str) -> None:
    change.effects.append(
        f"replacement ({reason}): Terraform deletes {name} and creates it again (DELETE, then POST "
        f"/api/2.0/serving-endpoints), waiting up to {_timeout(ctx, change.address, facts, 'create')} for it"
    )
    ctx.add(
        "takeaway",
        "warning",
        "endpoint_replaced",
        change.address,
        name,
        f"{name} is deleted and created again: it answers no query until the new one is ready, its id and URL "
        "change, and its permissions are set again on the new id",
        "if the replacement is not intended, keep the field as it is live",
    )


def _compare(
    ctx: PlanContext, declared: DeclaredEndpoint, change: ResourceChange, facts: ResourceFacts, live: dict[str, Any]
) -> ResourceChange:
    differences = _differences(declared, live, facts)
    entities = {wording.entity_key(e): e for e in (declared.request.get("config") or {}).get("served_entities") or []}
    changed_entities = set()
    for difference in differences:
        how = _how(difference.field, facts)
        text = wording.describe(difference, entities)
        if how == "replace":
            text += " (forces replacement)"
        change.fields.append(FieldChange(difference.field, difference.live, difference.declared, text, how))
        if difference.field.startswith("served_entities[") and "]." in difference.field:
            changed_entities.add(difference.field[len("served_entities[") : difference.field.index("]")])
    hows = {f.how for f in change.fields}
    declared_config = declared.request.get("config") if declared.request.get("config") else None
    change.traffic = traffic_lines(declared_config, live.get("config"), changed_entities)
    if "replace" in hows:
        change.action = "replace"
        forced = ", ".join(f.field for f in change.fields if f.how == "replace")
        _replacement(ctx, change, facts, declared.name, reason=f"{forced} is ForceNew: {facts.force_new_source}")
    elif hows & set(facts.updates):
        change.action = "update"
        for how in ("config", "ai_gateway", "tags"):
            if how in hows:
                call = facts.updates[how]
                change.effects.append(call.describe(name=declared.name))
    for field in change.fields:
        if field.how == "not_applied":
            top = field.field.split(".", 1)[0]
            ctx.add(
                "not_applied",
                "warning",
                "not_applied",
                change.address,
                field.field,
                f"{field.text}: declared, but the provider never sends {top} after create "
                f"({facts.force_new_source.split(',')[0]}, Update): Terraform plans an update that calls nothing "
                "and shows it again on every plan",
                facts.not_sent[top].how_to_apply.format(name=declared.name, address=change.address),
            )
    if change.action != "unchanged":
        _takeaways(ctx, change)
    _updating(ctx, change, live)
    return change


def _takeaways(ctx: PlanContext, change: ResourceChange) -> None:
    for line in change.traffic:
        if line.before and (line.after is None or line.after < line.before):
            if line.after is None:
                gaining = [t.entity for t in change.traffic if (t.after or 0) > (t.before or 0)]
                where = f"; it moves to {', '.join(gaining)}" if gaining else ""
                message = (
                    f"served entity {line.entity} ({line.model}) is removed with its {line.before}% of the traffic"
                    + where
                )
            else:
                message = (
                    f"served entity {line.entity} ({line.model}) loses traffic: "
                    f"{line.before}% {wording.ARROW} {line.after}%"
                )
            ctx.add("takeaway", "warning", "traffic_leaves", change.address, line.entity, message)
    for field in change.fields:
        if field.how == "tags" and field.after is None:
            ctx.add(
                "takeaway",
                "note",
                "tag_removed",
                change.address,
                field.field,
                f"{field.text.lstrip('- ')}",
                "declare the tag in the stack to keep it",
            )
        elif field.how == "ai_gateway" and not field.after and field.before:
            ctx.add(
                "takeaway", "warning", "gateway_feature_removed", change.address, field.field, field.text.lstrip("- ")
            )


def _updating(ctx: PlanContext, change: ResourceChange, live: dict[str, Any]) -> None:
    state = live.get("state") or {}
    if state.get("config_update") == "IN_PROGRESS" and any(f.how == "config" for f in change.fields):
        version = (live.get("pending_config") or {}).get("config_version")
        ctx.add(
            "preflight",
            "error",
            "update_in_progress",
            change.address,
            change.name,
            f'{change.name} is updating{f" to config version {version}" if version else ""}: "another update can not '
            'be made until the update completes or fails" (SDK EndpointState.config_update): the config update '
            "fails",
            "wait until the endpoint is NOT_UPDATING (servingstack check waits for it), then apply",
        )
    elif state.get("config_update") == "UPDATE_FAILED":
        change.notes.append("its last config update failed: the previous config serves")


# -- deletes ---------------------------------------------------------------------------


def deleted_endpoints(ctx: PlanContext) -> list[ResourceChange]:
    """Endpoints the state holds that the stack no longer declares: the apply deletes them."""
    declared_addresses = {address_of(e) for e in ctx.stack.endpoints}
    declared_names = {e.name for e in ctx.stack.endpoints}
    previous_names = {ctx.owned.name_of(a) for a in declared_addresses}
    changes = []
    for name, address in sorted(ctx.owned.names(*ENDPOINT_TYPES).items()):
        if address in declared_addresses or name in declared_names or name in previous_names:
            continue
        read = ctx.live.endpoints.get(name) or Read()
        if ctx.unread(read, address, name, f"the live endpoint {name!r}"):
            continue
        if read.missing:
            continue  # gone already: Terraform drops it from its state
        live = read.value or {}
        change = ResourceChange(address, address.split(".", 1)[0], name, "delete", owned=True)
        change.traffic = [
            TrafficLine(t.entity, t.model, t.before, None) for t in traffic_lines(None, live.get("config"), set())
        ]
        change.effects.append(f"delete (DELETE /api/2.0/serving-endpoints/{name}): the endpoint and its permissions go")
        ctx.add(
            "takeaway",
            "warning",
            "endpoint_deleted",
            address,
            name,
            f"{name} is deleted: it is in the stack's state but no longer declared, so every query to it fails",
            "keep declaring it, or `terraform state rm` it to leave it in the workspace",
        )
        changes.append(change)
    return changes


# -- permissions -----------------------------------------------------------------------


def _grant_text(principal: str, level: str | None) -> str:
    kind, _, name = principal.partition(":")
    return f"{kind.removesuffix('_name').replace('_', ' ')} {name} {level}"


def _resolved_access_control(
    ctx: PlanContext, access_control: list[dict[str, str]], apps: dict[str, ResourceChange]
) -> list[dict[str, str]]:
    """The declared grants, a grant to an app's service principal (`ServingApp` names it by reference)
    with the principal's application id when the app runs and the apply keeps it; for an app the
    apply creates or replaces, its principal is new: named by its app, it matches no live grant."""
    resolved = []
    for entry in access_control:
        logical_id = app_principal_reference(entry.get("service_principal_name"))
        app = apps.get(logical_id or "")
        if logical_id is not None:
            read = ctx.live.apps.get(app.name) if app is not None else None
            client_id = (read.value or {}).get("service_principal_client_id") if read is not None else None
            if app is not None and app.action not in ("create", "replace") and client_id:
                shown = str(client_id)
            else:
                name = app.name if app is not None else logical_id
                shown = f"of app {name} (made by this apply)" if app is not None else f"of app {name} (not declared)"
            entry = {**entry, "service_principal_name": shown}
        resolved.append(entry)
    return resolved


def permissions_change(
    ctx: PlanContext,
    declared: DeclaredPermissions,
    endpoints: dict[str, ResourceChange],
    apps: dict[str, ResourceChange] | None = None,
) -> ResourceChange:
    address = f"{PERMISSIONS}.{declared.logical_id}"
    endpoint = endpoints.get(declared.endpoint_logical_id or "")
    target = endpoint.name if endpoint is not None else declared.serving_endpoint_id
    change = ResourceChange(address, PERMISSIONS, target, "unchanged", construct_path=ctx.settings.paths.get(address))
    access_control = _resolved_access_control(ctx, declared.access_control, apps or {})
    wanted = acl.declared_grants(access_control)
    if endpoint is not None and endpoint.action in ("create", "replace"):
        change.action = endpoint.action
        change.fields = [
            FieldChange(f"{kind}:{name}", None, level, "+ " + _grant_text(f"{kind}:{name}", level), "access_control")
            for (kind, name), level in wanted.items()
        ]
        change.effects.append(
            "grants set (PUT /api/2.0/permissions/serving-endpoints/{id}) once the endpoint exists"
            + (" (serving_endpoint_id is ForceNew: the new endpoint's id)" if endpoint.action == "replace" else "")
        )
        return change
    read = ctx.live.permissions.get(target) if endpoint is not None else ctx.live.permissions_by_id.get(target)
    if ctx.unread(read or Read(), address, target, f"the permissions of {target}"):
        change.action = "update"
        return change
    if read is not None and read.missing:
        if endpoint is None:
            ctx.add(
                "preflight",
                "error",
                "endpoint_missing",
                address,
                target,
                f"no serving endpoint has the id {target}: the permissions cannot be set",
                "name an existing endpoint (ServingEndpoint.from_name with its serving_endpoint_id)",
            )
        change.action = "create"
        return change
    live = (read.value if read is not None else None) or {}
    for finding in acl.compare(access_control, live, ctx.caller):
        principal = finding.principal
        if finding.verdict == "missing":
            text = "+ " + _grant_text(principal, finding.declared)
        elif finding.verdict == "level_differs":
            text = f"{_grant_text(principal, '').strip()}: {finding.live} {wording.ARROW} {finding.declared}"
            if _rank(finding.declared) < _rank(finding.live):
                ctx.add(
                    "takeaway",
                    "warning",
                    "access_lowered",
                    address,
                    principal,
                    f"{_grant_text(principal, '').strip()} drops from {finding.live} to {finding.declared} on {target}",
                )
        else:
            text = "- " + _grant_text(principal, finding.live) + " (granted outside the stack)"
            ctx.add(
                "takeaway",
                "warning",
                "grant_removed",
                address,
                principal,
                f"{_grant_text(principal, '').strip()} loses {finding.live} on {target}: it was granted outside the "
                "stack, and databricks_permissions replaces every direct grant of the endpoint",
                f"declare it (grant_{(finding.live or 'CAN_QUERY').removeprefix('CAN_').lower()}(...)) to keep it",
            )
        change.fields.append(FieldChange(principal, finding.live, finding.declared, text, "access_control"))
    if change.fields:
        change.action = "update"
        effect = PERMISSIONS_FACTS.updates["access_control"]
        change.effects.append(effect.describe())
    return change


def _rank(level: str | None) -> int:
    return ENDPOINT_LEVELS.index(level) if level in ENDPOINT_LEVELS else -1


def deleted_permissions(ctx: PlanContext) -> list[ResourceChange]:
    """Permission sets the state holds that the stack no longer declares: only admins and the caller keep access."""
    declared = {f"{PERMISSIONS}.{p.logical_id}" for p in ctx.stack.permissions}
    changes = []
    for address, attributes in sorted(ctx.owned.by_address.items()):
        if not address.startswith(f"{PERMISSIONS}.") or address in declared:
            continue
        target = str(attributes.get("endpoint") or attributes.get("serving_endpoint_id") or attributes.get("id") or "")
        change = ResourceChange(address, PERMISSIONS, target, "delete", owned=True)
        change.effects.append(
            "grants removed (PUT /api/2.0/permissions/serving-endpoints/{id}): only the admins' and the caller's "
            "CAN_MANAGE stay (permissions/resource_permissions.go, Delete)"
        )
        ctx.add(
            "takeaway",
            "warning",
            "grants_removed",
            address,
            target,
            f"every direct grant on {target} except the admins' and the caller's is removed",
        )
        changes.append(change)
    return changes
