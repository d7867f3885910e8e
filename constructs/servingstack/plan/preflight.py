"""What will fail at apply time, found before it, each with its fix: a model or model version that does
not exist or is not READY, a secret scope or key that does not exist, an unknown user, group or service
principal, an inference-table catalog or schema that does not exist, and the workspace's endpoint limits.
(Names already taken, updates already running and missing securables are found where the change is
planned: `endpoints`, `around`; a workspace other than the one the stack declares is refused before any
read, by the rule every tool shares: `client/workspace.py`.)

A problem with something the apply sends is an error; the same problem on an endpoint whose config the
apply leaves alone is a warning (nothing fails now, the next config change will).
"""

from __future__ import annotations

from servingstack.facts.rules import MAX_ENDPOINTS_PER_WORKSPACE
from servingstack.plan.context import PlanContext
from servingstack.plan.live import Read
from servingstack.plan.results import ResourceChange, Severity
from servingstack.plan.targets import Targets

# Product docs, "Model Serving limits and regions": "Create/update operations | Per workspace | 50 in 5 minutes."
OPERATIONS_PER_5_MINUTES = 50
# SDK ModelVersionInfo.status: "Only model versions in READY status can be loaded for inference or served."
READY = "READY"


def _sends(change: ResourceChange | None, how: str) -> bool:
    """Does the apply send this part of the resource (on create or replacement everything is sent)?"""
    if change is None:
        return True
    if change.action in ("create", "replace"):
        return True
    return change.action == "update" and any(f.how == how for f in change.fields)


def _severity(change: ResourceChange | None, how: str) -> Severity:
    return "error" if _sends(change, how) else "warning"


def _later(severity: Severity) -> str:
    return "" if severity == "error" else " (the apply leaves this part as it is; its next change fails)"


def check_models(ctx: PlanContext, targets: Targets, changes: dict[str, ResourceChange]) -> None:
    for use in targets.models:
        change = changes.get(use.address)
        severity = _severity(change, "config")
        subject = f"{use.name} {use.version}"
        where = f"served entity {use.entity} of {use.endpoint}"
        if use.registry == "uc":
            model, version = (
                ctx.live.uc_models.get(use.name) or Read(),
                ctx.live.uc_versions.get((use.name, use.version)),
            )
            if model.missing:
                ctx.add(
                    "preflight",
                    severity,
                    "model_missing",
                    use.address,
                    use.name,
                    f"{where}: Unity Catalog model {use.name} does not exist{_later(severity)}",
                    "register the model (mlflow.register_model with registry_uri 'databricks-uc'), or correct its "
                    "name; the deployer needs EXECUTE on it",
                )
                continue
            _version(ctx, use.address, subject, where, version or Read(), severity, "Unity Catalog")
        else:
            read = ctx.live.registry_versions.get((use.name, use.version)) or Read()
            _version(ctx, use.address, subject, where, read, severity, "Workspace Model Registry")


def _version(
    ctx: PlanContext, address: str, subject: str, where: str, read: Read, severity: Severity, registry: str
) -> None:
    if read.missing:
        ctx.add(
            "preflight",
            severity,
            "model_version_missing",
            address,
            subject,
            f"{where}: {registry} model version {subject} does not exist{_later(severity)}",
            "register that version first (the deploy fails until it exists), or serve an existing version",
        )
    elif ctx.unread(read, address, subject, f"{registry} model version {subject}"):
        return
    else:
        status = str((read.value or {}).get("status") or "")
        if status != READY:
            ctx.add(
                "preflight",
                severity,
                "model_version_not_ready",
                address,
                subject,
                f"{where}: {registry} model version {subject} is {status or 'of unknown status'}, not READY: "
                f'"only model versions in READY status can be ... served"{_later(severity)}',
                "wait until its registration finishes (PENDING_REGISTRATION), or register it again "
                "(FAILED_REGISTRATION)",
            )


def check_secrets(ctx: PlanContext, targets: Targets, changes: dict[str, ResourceChange]) -> None:
    scopes = ctx.live.scope_list
    scope_actions = {c.name: c.action for c in changes.values() if c.resource_type == "databricks_secret_scope"}
    for ref in targets.secrets:
        change = changes.get(ref.address)
        how = "config" if ref.field.startswith("config") else "ai_gateway"
        severity = _severity(change, how)
        subject = f"{ref.scope}/{ref.key}"
        where = f"{ref.endpoint} ({ref.field})"
        if scope_actions.get(ref.scope) in ("create", "replace"):
            ctx.add(
                "preflight",
                severity,
                "secret_in_new_scope",
                ref.address,
                subject,
                f"{where} reads secret {subject}, but this apply creates scope {ref.scope} empty: the deployment "
                'cannot read the key ("Secret does not exist")',
                f"apply the scope first (terraform apply -target=...), put the key (databricks secrets put-secret "
                f"{ref.scope} {ref.key}), then apply the rest",
            )
            continue
        if not scopes.found:
            ctx.unread(scopes, ref.address, ref.scope, "the workspace's secret scopes")
            continue
        if ref.scope not in (scopes.value or []):
            ctx.add(
                "preflight",
                severity,
                "scope_missing",
                ref.address,
                ref.scope,
                f"{where} reads secret {subject}, but scope {ref.scope} does not exist{_later(severity)}",
                f"create the scope (or declare it: SecretScope), then put the key: databricks secrets put-secret "
                f"{ref.scope} {ref.key}",
            )
            continue
        keys = ctx.live.secret_keys.get(ref.scope) or Read()
        if not keys.found:
            ctx.add(
                "read",
                "warning",
                "unread",
                ref.address,
                ref.scope,
                f"could not list the keys of scope {ref.scope} ({keys.error or 'not read'}): whether {subject} "
                "exists is unknown; the endpoint's creator must be able to read it",
                f"grant READ on {ref.scope} to whoever plans and deploys",
            )
        elif ref.key not in (keys.value or []):
            ctx.add(
                "preflight",
                severity,
                "secret_missing",
                ref.address,
                subject,
                f'{where} reads secret {subject}, which does not exist: the deployment fails ("Secret does not '
                f'exist with scope: {ref.scope} and key: {ref.key}"){_later(severity)}',
                f"databricks secrets put-secret {ref.scope} {ref.key} (the value is never read by the plan)",
            )


_KIND_NAMES = {"user": "user", "group": "group", "service_principal": "service principal"}


def check_principals(ctx: PlanContext, targets: Targets, changes: dict[str, ResourceChange]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for use in targets.principals:
        if (use.kind, use.name, use.address) in seen:
            continue
        seen.add((use.kind, use.name, use.address))
        read = ctx.live.principals.get((use.kind, use.name)) or Read()
        kind = _KIND_NAMES[use.kind]
        if read.missing:
            severity = _severity(changes.get(use.address), use.how)
            if use.workspace_only:
                ctx.add(
                    "preflight",
                    severity,
                    "principal_unknown",
                    use.address,
                    f"{kind} {use.name}",
                    f"{use.where}: {kind} {use.name!r} does not exist in the workspace"
                    + (": the apply fails" if severity == "error" else _later(severity)),
                    f"create the {kind} (or add it to the workspace), or correct the name"
                    + (
                        "; a service principal is named by its application id"
                        if use.kind == "service_principal"
                        else ""
                    ),
                )
            else:
                ctx.add(
                    "preflight",
                    "warning",
                    "principal_unknown",
                    use.address,
                    f"{kind} {use.name}",
                    f"{use.where}: no {kind} {use.name!r} in the workspace's identities; Unity Catalog also takes "
                    "account-level principals that the workspace does not list, so it may still exist",
                    "check the name in the account console",
                )
        else:
            ctx.unread(read, use.address, f"{kind} {use.name}", f"whether {kind} {use.name!r} exists")


def check_tables(ctx: PlanContext, targets: Targets, changes: dict[str, ResourceChange]) -> None:
    for use in targets.tables:
        severity = _severity(changes.get(use.address), use.how)
        catalog = ctx.live.catalogs.get(use.catalog) or Read()
        schema = ctx.live.schemas.get(f"{use.catalog}.{use.schema}") or Read()
        if catalog.missing:
            ctx.add(
                "preflight",
                severity,
                "catalog_missing",
                use.address,
                use.catalog,
                f"{use.endpoint}: the {use.what}'s catalog {use.catalog} does not exist{_later(severity)}",
                f"create catalog {use.catalog}, or point the table at an existing one",
            )
        elif schema.missing:
            ctx.add(
                "preflight",
                severity,
                "schema_missing",
                use.address,
                f"{use.catalog}.{use.schema}",
                f"{use.endpoint}: the {use.what}'s schema {use.catalog}.{use.schema} does not exist{_later(severity)}",
                f"create schema {use.catalog}.{use.schema} (the deployer needs USE_SCHEMA and CREATE_TABLE on it)",
            )
        else:
            if not ctx.unread(catalog, use.address, use.catalog, f"catalog {use.catalog}"):
                ctx.unread(schema, use.address, f"{use.catalog}.{use.schema}", f"schema {use.catalog}.{use.schema}")


def check_quota(ctx: PlanContext, changes: list[ResourceChange]) -> None:
    endpoints = [c for c in changes if c.resource_type.startswith("databricks_model_serving")]
    created = sum(1 for c in endpoints if c.action == "create")
    deleted = sum(1 for c in endpoints if c.action == "delete")
    listed = ctx.live.endpoint_list
    if ctx.unread(listed, "", "serving endpoints", "the workspace's endpoint list (for its limit)"):
        return
    live = len(listed.value or [])
    after = live + created - deleted
    # Product docs, "Model Serving limits and regions": "Endpoints | Per workspace | 1000" (facts/rules.py).
    if created and after > MAX_ENDPOINTS_PER_WORKSPACE:
        ctx.add(
            "preflight",
            "error",
            "endpoint_quota",
            "",
            "serving endpoints",
            f"the workspace has {live} serving endpoints; {created} more makes {after}, over its limit of "
            f"{MAX_ENDPOINTS_PER_WORKSPACE}: creates beyond it fail",
            "delete unused endpoints, or ask the Databricks account team to raise the limit",
        )
    operations = sum(
        1 + (c.action == "replace")
        for c in endpoints
        if c.action in ("create", "replace", "update") and _sends(c, "config")
    )
    if operations > OPERATIONS_PER_5_MINUTES:
        ctx.add(
            "preflight",
            "warning",
            "operation_rate",
            "",
            "serving endpoints",
            f"the apply sends {operations} endpoint create/update operations; a workspace takes "
            f"{OPERATIONS_PER_5_MINUTES} in 5 minutes (product docs, Model Serving limits), so some will be refused "
            "and retried",
            "apply in smaller batches (terraform apply -parallelism or -target)",
        )
