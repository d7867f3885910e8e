"""`emulator apply` for what stands around the endpoints: provisioned-throughput endpoints
(their own create and config routes), secret scopes and their ACLs, and Unity Catalog grants.

Each is applied as Terraform would: created when missing, changed where it differs, left
alone when it matches, so a second apply changes nothing. `databricks_grant` is not
authoritative: it adds the declared privileges and never removes anyone else's.
"""

from __future__ import annotations

from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import ResourceAlreadyExists
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EmailNotifications,
    EndpointTag,
    PtEndpointCoreConfig,
    ServingEndpointDetailed,
)
from databricks.sdk.service.workspace import AclPermission

from servingstack.deploy.changes import CREATED, UNCHANGED, UPDATED, Change
from servingstack.facts.stackfile import DeclaredEndpoint, DeclaredStack

# Note on the SDK's `RegisteredModelsAPI`: "The securable type for models is FUNCTION" in the grants API.
_SECURABLE_TYPES = {"model": "function"}


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


def apply_secret_scopes(client: WorkspaceClient, stack: DeclaredStack) -> list[Any]:
    """Scopes first (endpoints that use them depend on them), then their ACLs."""
    changes = []
    existing = {s.name for s in client.secrets.list_scopes()}
    for scope in stack.secret_scopes:
        resource = f"databricks_secret_scope.{scope.logical_id}"
        if scope.name in existing:
            changes.append(_change(UNCHANGED, resource, scope.name))
            continue
        try:
            client.secrets.create_scope(scope.name, initial_manage_principal=scope.initial_manage_principal)
        except ResourceAlreadyExists:
            changes.append(_change(UNCHANGED, resource, scope.name))
            continue
        changes.append(_change(CREATED, resource, scope.name, ["put its secrets: databricks secrets put-secret"]))
    for acl in stack.secret_acls:
        resource = f"databricks_secret_acl.{acl.logical_id}"
        target = f"{acl.scope} {acl.principal}"
        live = {
            item.principal: item.permission.value
            for item in client.secrets.list_acls(acl.scope)
            if item.permission is not None
        }
        if live.get(acl.principal) == acl.permission:
            changes.append(_change(UNCHANGED, resource, target))
            continue
        client.secrets.put_acl(acl.scope, acl.principal, AclPermission(acl.permission))
        changes.append(_change(UPDATED if acl.principal in live else CREATED, resource, target, [acl.permission]))
    return changes


# -- Unity Catalog grants --------------------------------------------------------------


def apply_grants(client: WorkspaceClient, stack: DeclaredStack) -> list[Any]:
    """As the provider applies `databricks_grant`, authoritative for its one principal on its securable
    (facts/uc_privileges.py): the declared privileges are added, every other direct privilege of that
    principal there is removed, other principals are left alone."""
    changes = []
    for grant in stack.grants:
        resource = f"databricks_grant.{grant.logical_id}"
        securable_type = _SECURABLE_TYPES.get(grant.securable_type, grant.securable_type)
        target = f"{grant.securable_type} {grant.full_name} {grant.principal}"
        live = client.grants.get(securable_type, grant.full_name)
        held = {
            p.value
            for a in live.privilege_assignments or []
            if a.principal == grant.principal
            for p in a.privileges or []
        }
        missing = [p for p in grant.privileges if p not in held]
        extra = sorted(held - set(grant.privileges))
        if not missing and not extra:
            changes.append(_change(UNCHANGED, resource, target))
            continue
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
        changes.append(_change(UPDATED if held else CREATED, resource, target, details))
    return changes
