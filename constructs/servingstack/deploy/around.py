"""`emulator apply` for what stands around the endpoints: provisioned-throughput endpoints
(their own create and config routes), secret scopes and their ACLs, and Unity Catalog grants.

Each is applied as Terraform would: created when missing, changed where it differs, left
alone when it matches, so a second apply changes nothing; each is recorded in the state before
it is changed. `databricks_grant` is authoritative for its one principal on its securable: the
declared privileges are added and that principal's others there taken away, other principals
are left alone; removed from the stack, it takes its principal's privileges on the securable
away, as the provider's delete does (`deploy/leaving.py`).
"""

from __future__ import annotations

from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, ResourceConflict
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EmailNotifications,
    EndpointTag,
    PtEndpointCoreConfig,
    ServingEndpointDetailed,
)
from databricks.sdk.service.workspace import AclPermission

from servingstack.deploy import owned
from servingstack.deploy.changes import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, Change, service_error
from servingstack.deploy.state import ApplyState, acl_record, grant_record
from servingstack.facts.secrets import scope_key
from servingstack.facts.stackfile import (
    DeclaredEndpoint,
    DeclaredGrant,
    DeclaredSecretAcl,
    DeclaredSecretScope,
    DeclaredStack,
)
from servingstack.facts.uc_privileges import api_securable_type


def _change(action: str, resource: str, target: str, details: list[str] | None = None, deploys: bool = False) -> Any:
    return Change(action, resource, target, details or [], deploys=deploys)


# -- provisioned throughput ------------------------------------------------------------


def _pt_config(request: dict[str, Any]) -> PtEndpointCoreConfig:
    return PtEndpointCoreConfig.from_dict(request.get("config") or {})


def create_pt_endpoint(client: WorkspaceClient, declared: DeclaredEndpoint) -> ServingEndpointDetailed:
    """`POST /serving-endpoints/pt`: a provisioned-throughput endpoint has its own create route."""
    request = declared.request
    return client.serving_endpoints.create_provisioned_throughput_endpoint(
        name=declared.name,
        config=_pt_config(request),
        ai_gateway=AiGatewayConfig.from_dict(request["ai_gateway"]) if request.get("ai_gateway") else None,
        tags=[EndpointTag.from_dict(t) for t in request.get("tags") or []] or None,
        budget_policy_id=request.get("budget_policy_id"),
        email_notifications=(
            EmailNotifications.from_dict(request["email_notifications"]) if request.get("email_notifications") else None
        ),
    ).response


def update_pt_config(client: WorkspaceClient, declared: DeclaredEndpoint) -> ServingEndpointDetailed:
    """`PUT /serving-endpoints/pt/{name}/config`."""
    return client.serving_endpoints.update_provisioned_throughput_endpoint_config(
        declared.name, _pt_config(declared.request)
    ).response


# -- secret scopes and ACLs ------------------------------------------------------------


SCOPE = "databricks_secret_scope"


def apply_secret_scopes(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState | None = None) -> list[Any]:
    """Scopes first (endpoints that use them depend on them), then their ACLs. A scope of the
    stack's name that the state does not hold is not taken over (`deploy/owned.py`); an ACL on a
    scope that failed is skipped."""
    changes = []
    existing = {scope_key(s.name) for s in client.secrets.list_scopes() if s.name}  # names ignore case
    for scope in stack.secret_scopes:
        changes.append(_apply_scope(client, stack, scope, scope_key(scope.name) in existing, state))
    failed = failed_scopes(changes)
    for acl in stack.secret_acls:
        resource = f"databricks_secret_acl.{acl.logical_id}"
        target = f"{acl.scope} {acl.principal}"
        if scope_key(acl.scope) in failed:
            changes.append(_change(SKIPPED, resource, target, [f"its scope {acl.scope} failed"]))
            continue
        imported = (
            state is not None and resource in stack.imports and acl.logical_id not in state.records("secret_acls")
        )
        try:
            changes.append(_apply_acl(client, acl, resource, target, state))
            changes[-1].imported = imported
        except DatabricksError as error:
            changes.append(Change(FAILED, resource, target, error=service_error(error)))
    return changes


def failed_scopes(changes: list[Change]) -> set[str]:
    """The scopes (by `scope_key`) whose resource failed: what reads them is skipped."""
    return {scope_key(c.target) for c in changes if c.action == FAILED and c.resource.startswith(f"{SCOPE}.")}


def _apply_scope(
    client: WorkspaceClient, stack: DeclaredStack, scope: DeclaredSecretScope, exists: bool, state: ApplyState | None
) -> Change:
    resource = f"{SCOPE}.{scope.logical_id}"
    # A version 1 state never recorded scopes: the stack's scopes that exist are taken as its own once.
    owns = state is None or scope.name in state.records("secret_scopes") or (exists and state.adopts_unrecorded_scopes)
    import_id = stack.imports.get(resource)
    verdict = owned.decide(owns=owns, import_id=import_id, name=scope.name, exists=exists)
    if verdict == owned.IMPORT_MISMATCH:
        assert import_id is not None
        return Change(
            FAILED, resource, scope.name, error=owned.import_mismatch("secret scope", resource, import_id, scope.name)
        )
    if verdict in (owned.MANAGE, owned.IMPORT):
        if state is not None:
            state.remember("secret_scopes", scope.name, resource)
        imported = verdict == owned.IMPORT
        return Change(UNCHANGED, resource, scope.name, ["imported"] if imported else [], imported=imported)
    if verdict == owned.IMPORT_MISSING:
        assert import_id is not None
        return Change(FAILED, resource, scope.name, error=owned.missing_import("secret scope", resource, import_id))

    def create() -> None:
        client.secrets.create_scope(scope.name, initial_manage_principal=scope.initial_manage_principal)

    try:
        if state is None:
            create()
        else:
            owned.create_recorded(
                lambda: state.remember("secret_scopes", scope.name, resource),
                lambda: state.forget("secret_scopes", scope.name),
                create,
            )
    except ResourceConflict as error:  # the Secrets API: RESOURCE_ALREADY_EXISTS "Scope <name> already exists!"
        how = "call .adopt() on its SecretScope, or declare it with SecretScope.from_name(...) to use it unmanaged"
        return Change(
            FAILED, resource, scope.name, error=owned.already_exists(error, "secret scope", resource, scope.name, how)
        )
    except DatabricksError as error:
        return Change(FAILED, resource, scope.name, error=service_error(error))
    return _change(CREATED, resource, scope.name, ["put its secrets: databricks secrets put-secret"])


def _apply_acl(
    client: WorkspaceClient, acl: DeclaredSecretAcl, resource: str, target: str, state: ApplyState | None
) -> Change:
    # The provider's create puts the ACL whether or not the principal held one (no "already exists").
    # Recorded before it is put; one that changed under the same address keeps its old record until
    # `leaving.delete_secrets` has deleted the old ACL.
    record = acl_record(acl.scope, acl.principal)
    if state is not None and state.records("secret_acls").get(acl.logical_id) in (None, record):
        state.remember("secret_acls", acl.logical_id, record)
    live = {
        item.principal: item.permission.value
        for item in client.secrets.list_acls(acl.scope)
        if item.permission is not None
    }
    if live.get(acl.principal) == acl.permission:
        return _change(UNCHANGED, resource, target)
    client.secrets.put_acl(acl.scope, acl.principal, AclPermission(acl.permission))
    return _change(UPDATED if acl.principal in live else CREATED, resource, target, [acl.permission])


# -- Unity Catalog grants --------------------------------------------------------------


def apply_grants(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState | None = None) -> list[Any]:
    """As the provider applies `databricks_grant`, authoritative for its one principal on its securable
    (facts/uc_privileges.py): the declared privileges are added, every other direct privilege of that
    principal there is removed, other principals are left alone."""
    changes = []
    for grant in stack.grants:
        resource = f"databricks_grant.{grant.logical_id}"
        target = f"{grant.securable_type} {grant.full_name} {grant.principal}"
        imported = state is not None and resource in stack.imports and grant.logical_id not in state.records("grants")
        try:
            changes.append(_apply_grant(client, grant, resource, target, state))
            changes[-1].imported = imported
        except DatabricksError as error:
            changes.append(Change(FAILED, resource, target, error=service_error(error)))
    return changes


def _apply_grant(
    client: WorkspaceClient, grant: DeclaredGrant, resource: str, target: str, state: ApplyState | None
) -> Change:
    securable_type = api_securable_type(grant.securable_type)
    record = grant_record(grant.securable_type, grant.full_name, grant.principal)
    if state is not None and state.records("grants").get(grant.logical_id) in (None, record):
        state.remember("grants", grant.logical_id, record)  # before the grant: a kill halfway still knows it
    live = client.grants.get(securable_type, grant.full_name)
    held = {
        p.value for a in live.privilege_assignments or [] if a.principal == grant.principal for p in a.privileges or []
    }
    missing = [p for p in grant.privileges if p not in held]
    extra = sorted(held - set(grant.privileges))
    if not missing and not extra:
        return _change(UNCHANGED, resource, target)
    client.grants.update(
        securable_type,
        grant.full_name,
        changes=[
            PermissionsChange(
                principal=grant.principal,
                add=[Privilege(p) for p in missing] or None,
                remove=[Privilege(p) for p in extra] or None,
            )
        ],
    )
    details = missing + [f"takes away {p}" for p in extra]
    return _change(UPDATED if held else CREATED, resource, target, details)
