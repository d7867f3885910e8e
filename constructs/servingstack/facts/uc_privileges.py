"""The Unity Catalog privileges that creating a serving endpoint needs, from its API request.

Facts of the service's docs, on API-shaped dicts: the constructs turn them into grants for the
stack's deployer (`cdk/uc_grants.py`), and a plan can compare them with what is granted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

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
