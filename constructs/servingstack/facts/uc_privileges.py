"""The Unity Catalog privileges that creating a serving endpoint needs, from its API request, and what a
`databricks_grant` does with them.

Facts of the service's and the provider's docs, on API-shaped dicts: the constructs turn them into
grants for the stack's deployer (`cdk/uc_grants.py`), and a plan can compare them with what is granted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from servingstack.errors import Problem
from servingstack.facts.rules import FOUNDATION_MODEL_PREFIX

# Securable kind (the `databricks_grant` attribute: catalog, schema, model) -> full name -> privileges.
Privileges = dict[tuple[str, str], set[str]]
# The securable type in the grants API path (`/api/2.1/unity-catalog/permissions/{type}/{name}`) where it is
# not the attribute's name: provider catalog/permissions/permissions.go `Mappings`
# ("model": catalog.SecurableType("function"), "foreign_connection": catalog.SecurableType("connection")).
API_SECURABLE_TYPES = {"model": "function", "foreign_connection": "connection"}


def api_securable_type(kind: str) -> str:
    return API_SECURABLE_TYPES.get(kind, kind)


_UC_MODEL = re.compile(r"^([^.\s]+)\.([^.\s]+)\.([^.\s]+)$")

# Provider docs, resources/grant.md: "This resource is _authoritative_ for grants on securables for a given
# _singular_ principal. Configuring this resource for a securable will **OVERWRITE** any existing grants for
# the principal and changes made outside of Terraform will be reset." Its code (catalog/resource_grant.go,
# replacePermissionsForPrincipal) removes, on create and every update, each direct privilege of the principal
# on the securable that `privileges` does not list, and on delete all of them. So one principal on one
# securable is ONE resource: two would take each other's privileges away on every apply.
GRANT_IS_AUTHORITATIVE_FOR_ITS_PRINCIPAL = True
# The securables a deployer's grants name here: the `databricks_grant` attributes (provider docs, grant.md)
# and how many dot-separated parts a full name has (Unity Catalog's three-level namespace, catalog.schema.object).
SECURABLE_PARTS = {"catalog": 1, "schema": 2, "model": 3}
# SDK 0.162 `catalog.Privilege` (the enum the grants API takes). The provider docs list a subset per
# securable (grants.md; `CREATE_MODEL` is in the enum but not in those lists): any enum value is accepted.
PRIVILEGES = (
    "ACCESS", "ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE", "CREATE_CATALOG", "CREATE_CLEAN_ROOM",
    "CREATE_CONNECTION", "CREATE_EXTERNAL_LOCATION", "CREATE_EXTERNAL_TABLE", "CREATE_EXTERNAL_VOLUME",
    "CREATE_FEATURE", "CREATE_FOREIGN_CATALOG", "CREATE_FOREIGN_SECURABLE", "CREATE_FUNCTION",
    "CREATE_MANAGED_STORAGE", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL", "CREATE_PROVIDER", "CREATE_RECIPIENT",
    "CREATE_SCHEMA", "CREATE_SERVICE_CREDENTIAL", "CREATE_SHARE", "CREATE_STORAGE_CREDENTIAL", "CREATE_TABLE",
    "CREATE_VIEW", "CREATE_VOLUME", "EXECUTE", "EXECUTE_CLEAN_ROOM_TASK", "EXTERNAL_USE_LOCATION",
    "EXTERNAL_USE_SCHEMA", "MANAGE", "MANAGE_ALLOWLIST", "MODIFY", "MODIFY_CLEAN_ROOM", "READ_FEATURE",
    "READ_FILES", "READ_METADATA", "READ_PRIVATE_FILES", "READ_VOLUME", "REFRESH", "SELECT",
    "SET_SHARE_PERMISSION", "USAGE", "USE_CATALOG", "USE_CONNECTION", "USE_MARKETPLACE_ASSETS", "USE_PROVIDER",
    "USE_RECIPIENT", "USE_SCHEMA", "USE_SHARE", "WRITE_FILES", "WRITE_PRIVATE_FILES", "WRITE_VOLUME",
)  # fmt: skip


def normalize_privilege(privilege: str) -> str:
    """As the provider compares them (catalog/permissions/permissions.go NormalizePrivilege): upper case,
    spaces as '_' (grants.md: "`CREATE_TABLE` and not `CREATE TABLE`")."""
    return privilege.strip().upper().replace(" ", "_")


def securable_problems(kind: Any, name: Any) -> list[Problem]:
    """A securable named as `databricks_grant` names it: one of SECURABLE_PARTS, and a full name of that
    many non-empty parts."""
    if kind not in SECURABLE_PARTS:
        return [Problem("securable", f"{kind!r} is not one of {', '.join(SECURABLE_PARTS)}")]
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) != SECURABLE_PARTS[kind] or not all(p.strip() and p == p.strip() for p in parts):
        shape = ".".join(["catalog", "schema", "model"][: SECURABLE_PARTS[kind]])
        return [Problem(kind, f"{name!r} is not a {kind} name {shape}")]
    return []


def privilege_problems(field: str, privileges: Any) -> list[Problem]:
    """Privileges of one grant: at least one (grant.md: "`privileges` - One or more privileges"), each a
    value of the SDK's `Privilege` enum (as normalize_privilege writes it)."""
    if isinstance(privileges, str) or not isinstance(privileges, (list, tuple, set, frozenset)) or not privileges:
        return [Problem(field, "name one or more privileges, e.g. ['USE_CATALOG']")]
    problems = []
    for privilege in privileges:
        if not isinstance(privilege, str) or normalize_privilege(privilege) not in PRIVILEGES:
            problems.append(Problem(field, f"{privilege!r} is not a Unity Catalog privilege (SDK catalog.Privilege)"))
    return problems


def required_privileges(requests: Iterable[Mapping[str, Any]]) -> Privileges:
    """What the deploying principal needs for these endpoint requests, folded per securable."""
    needed: Privileges = {}

    def add(kind: str, name: str, *privileges: str) -> None:
        needed.setdefault((kind, name), set()).update(privileges)

    for request in requests:
        for entity in (request.get("config") or {}).get("served_entities") or []:
            name = str(entity.get("entity_name") or "")
            match = _UC_MODEL.match(name)
            if entity.get("external_model") or not match or name.startswith(FOUNDATION_MODEL_PREFIX):
                continue  # system.ai models are open to all users by default; registry models are not in UC
            catalog, schema, _ = match.groups()
            # docs.databricks.com/security/auth-authz/access-control/serving-endpoint-acl.html: the creator
            # of the endpoint must have EXECUTE on the registered model, plus USE CATALOG and USE SCHEMA
            # on its parent catalog and schema.
            add("model", name, "EXECUTE")
            add("schema", f"{catalog}.{schema}", "USE_SCHEMA")
            add("catalog", catalog, "USE_CATALOG")
        table = (request.get("ai_gateway") or {}).get("inference_table_config") or {}
        if table.get("enabled", True) and table.get("catalog_name") and table.get("schema_name"):
            catalog, schema = table["catalog_name"], table["schema_name"]
            # docs.databricks.com/ai-gateway/inference-tables (requirements): USE CATALOG on the catalog,
            # USE SCHEMA on the schema and CREATE TABLE in the schema, for the endpoint's creator.
            add("catalog", catalog, "USE_CATALOG")
            add("schema", f"{catalog}.{schema}", "USE_SCHEMA", "CREATE_TABLE")
    return needed
