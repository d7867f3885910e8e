"""What a stack names that must exist in the workspace for its apply to succeed (models and versions,
secrets, principals, inference-table catalogs and schemas), and the reads that find out: `wanted_for`
turns a stack and what it owns into the `live.Wanted` of one concurrent read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from servingstack.facts.provider_updates import APP, uc_securable_type
from servingstack.facts.secrets import secret_uses
from servingstack.facts.stackfile import DeclaredStack
from servingstack.plan.live import Wanted
from servingstack.plan.ownership import ENDPOINT_TYPES, OwnedResources

PrincipalKind = Literal["user", "group", "service_principal"]
_UC_MODEL = re.compile(r"^[^.\s]+\.[^.\s]+\.[^.\s]+$")
# A service principal is named by its application id, a UUID (provider docs: permissions.md
# "service_principal_name - Application ID"; grant.md "service principal application ID").
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Unity Catalog's account-wide group: no workspace lists it (grants only).
ACCOUNT_PRINCIPALS = ("account users",)
# AI Gateway rate-limit keys that name a principal (SDK AiGatewayRateLimitKey).
_RATE_LIMIT_KINDS: dict[str, PrincipalKind] = {
    "user": "user",
    "user_group": "group",
    "service_principal": "service_principal",
}
_ACL_KINDS: dict[str, PrincipalKind] = {
    "user_name": "user",
    "group_name": "group",
    "service_principal_name": "service_principal",
}


@dataclass(frozen=True)
class ModelUse:
    address: str
    endpoint: str
    entity: str
    registry: Literal["uc", "workspace"]
    name: str
    version: str


@dataclass(frozen=True)
class PrincipalUse:
    kind: PrincipalKind
    name: str
    address: str
    where: str  # "endpoint permissions", "secret ACL", "Unity Catalog grant", "rate limit"
    how: str  # the update path of the resource that sends it (a grant that is not sent cannot fail)
    workspace_only: bool = True  # False for UC grants, which also take account-level principals


@dataclass(frozen=True)
class SecretRef:
    address: str
    endpoint: str
    scope: str
    key: str
    field: str


@dataclass(frozen=True)
class TableUse:
    address: str
    endpoint: str
    catalog: str
    schema: str
    what: str  # "AI Gateway inference table", "legacy inference table", "telemetry table"
    how: str  # the update path that sends it: ai_gateway | config | telemetry_config


@dataclass
class Targets:
    models: list[ModelUse] = field(default_factory=list)
    principals: list[PrincipalUse] = field(default_factory=list)
    secrets: list[SecretRef] = field(default_factory=list)
    tables: list[TableUse] = field(default_factory=list)


def infer_kind(name: str) -> PrincipalKind:
    """A grant or ACL principal without its kind: an application id, an email (user) or a group name."""
    if _UUID.match(name):
        return "service_principal"
    return "user" if "@" in name else "group"


def targets_of(stack: DeclaredStack) -> Targets:
    found = Targets()
    for endpoint in stack.endpoints:
        address = f"{endpoint.resource_type}.{endpoint.logical_id}"
        request = endpoint.request
        for entity in (request.get("config") or {}).get("served_entities") or []:
            name, version = str(entity.get("entity_name") or ""), entity.get("entity_version")
            if entity.get("external_model") or not name or version in (None, ""):
                continue  # external models and feature specs (no version) are not registered models
            if name.startswith("system."):
                continue  # Databricks' own foundation models (system.ai): not looked up
            registry: Literal["uc", "workspace"] = "uc" if _UC_MODEL.match(name) else "workspace"
            entity_name = str(entity.get("name") or name)
            found.models.append(ModelUse(address, endpoint.name, entity_name, registry, name, str(version)))
        for use in secret_uses(request):
            found.secrets.append(SecretRef(address, endpoint.name, use.scope, use.key, use.field))
        gateway = request.get("ai_gateway") or {}
        table = gateway.get("inference_table_config") or {}
        if table.get("enabled", True) and table.get("catalog_name") and table.get("schema_name"):
            found.tables.append(
                TableUse(
                    address,
                    endpoint.name,
                    table["catalog_name"],
                    table["schema_name"],
                    "AI Gateway inference table",
                    "ai_gateway",
                )
            )
        capture = (request.get("config") or {}).get("auto_capture_config") or {}
        if capture.get("catalog_name") and capture.get("schema_name"):
            found.tables.append(
                TableUse(
                    address,
                    endpoint.name,
                    capture["catalog_name"],
                    capture["schema_name"],
                    "legacy inference table",
                    "config",
                )
            )
        for table_name in ((request.get("telemetry_config") or {}).get("table_names") or {}).values():
            parts = str(table_name).split(".")
            if len(parts) == 3:
                found.tables.append(
                    TableUse(address, endpoint.name, parts[0], parts[1], "telemetry table", "telemetry_config")
                )
        for limit in gateway.get("rate_limits") or []:
            kind = _RATE_LIMIT_KINDS.get(str(limit.get("key")))
            if kind and limit.get("principal"):
                found.principals.append(
                    PrincipalUse(kind, str(limit["principal"]), address, "AI Gateway rate limit", "ai_gateway")
                )
    for permissions in stack.permissions:
        address = f"databricks_permissions.{permissions.logical_id}"
        for entry in permissions.access_control:
            for key, kind in _ACL_KINDS.items():
                # A principal named by reference (an app's, `${databricks_app.X.service_principal_client_id}`)
                # is made by the app: `endpoints.permissions_change` resolves it.
                if entry.get(key) and "${" not in str(entry[key]):
                    found.principals.append(
                        PrincipalUse(kind, str(entry[key]), address, "endpoint permissions", "access_control")
                    )
    for acl in stack.secret_acls:
        if "${" in acl.principal:
            continue  # named by reference: made by this apply
        found.principals.append(
            PrincipalUse(
                infer_kind(acl.principal),
                acl.principal,
                f"databricks_secret_acl.{acl.logical_id}",
                "secret ACL",
                "create",
            )
        )
    for grant in stack.grants:
        if grant.principal.lower() in ACCOUNT_PRINCIPALS or "${" in grant.principal:
            continue
        found.principals.append(
            PrincipalUse(
                infer_kind(grant.principal),
                grant.principal,
                f"databricks_grant.{grant.logical_id}",
                "Unity Catalog grant",
                "privileges",
                workspace_only=False,
            )
        )
    return found


def wanted_for(stack: DeclaredStack, targets: Targets, owned: OwnedResources) -> Wanted:
    """Every read the plan of `stack` needs, given what the stack owns."""
    wanted = Wanted(endpoint_list=True, me=True)
    wanted.endpoints = {e.name for e in stack.endpoints}
    for endpoint in stack.endpoints:  # the previous name of a renamed endpoint: what runs today
        previous = owned.name_of(f"{endpoint.resource_type}.{endpoint.logical_id}")
        if previous:
            wanted.endpoints.add(previous)
    wanted.endpoints |= set(owned.names(*ENDPOINT_TYPES))  # those the apply would delete
    by_logical_id = {e.logical_id: e.name for e in stack.endpoints}
    for permissions in stack.permissions:
        if permissions.endpoint_logical_id in by_logical_id:
            wanted.endpoint_permissions.add(by_logical_id[permissions.endpoint_logical_id])
        elif not permissions.serving_endpoint_id.startswith("${"):
            wanted.permissions_by_id.add(permissions.serving_endpoint_id)
    for use in targets.models:
        if use.registry == "uc":
            wanted.uc_models.add(use.name)
            wanted.uc_versions.add((use.name, use.version))
        else:
            wanted.registry_versions.add((use.name, use.version))
    for table in targets.tables:
        wanted.catalogs.add(table.catalog)
        wanted.schemas.add(f"{table.catalog}.{table.schema}")
    wanted.principals = {(use.kind, use.name) for use in targets.principals}
    scopes = {ref.scope for ref in targets.secrets} | {s.name for s in stack.secret_scopes}
    scopes |= {acl.scope for acl in stack.secret_acls} | set(owned.names("databricks_secret_scope"))
    for scope in stack.secret_scopes:
        previous = owned.name_of(f"databricks_secret_scope.{scope.logical_id}")
        if previous:
            scopes.add(previous)
    wanted.scope_list = bool(scopes)
    wanted.secret_scopes = scopes
    wanted.apps = {app.name for app in stack.apps} | set(owned.names(APP))  # and those the apply would delete
    for app in stack.apps:
        previous = owned.name_of(f"{APP}.{app.logical_id}")
        if previous:
            wanted.apps.add(previous)
        # An endpoint named by a reference the stack file does not resolve (not a literal) cannot be read.
        wanted.endpoints |= {
            str(e["name"]) for e in app.serving_endpoints if e.get("name") and "${" not in str(e["name"])
        }
    wanted.uc_grants = {
        (uc_securable_type(grant.securable_type), grant.full_name, grant.principal) for grant in stack.grants
    }
    return wanted
