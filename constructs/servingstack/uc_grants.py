"""Unity Catalog privileges the deploying principal needs for serving, as non-authoritative
`databricks_grant` resources (never `databricks_grants`, which would revoke everyone else's).

Opt-in: `ServingStack(..., deployer="<user, group or service principal application id>")`.
`required_privileges` is pure Python (no jsii); `on_register` adds the resources.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from . import _cdk
from .entities import FOUNDATION_MODEL_PREFIX

# Securable kind (the `databricks_grant` attribute) -> full name -> privileges.
Privileges = dict[tuple[str, str], set[str]]
_UC_MODEL = re.compile(r"^([^.\s]+)\.([^.\s]+)\.([^.\s]+)$")
_ANCHOR_ID = "UnityCatalogGrants"
_STATE = "_servingstack_uc_grants"


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


def valid_deployer(deployer: Any) -> bool:
    return isinstance(deployer, str) and bool(deployer.strip())


def on_register(stack: Any, endpoint: Any) -> None:
    """Called as each endpoint joins a stack with a deployer: add or widen its grants."""
    deployer = getattr(stack, "deployer", None)
    if not deployer:
        return
    state = getattr(stack, _STATE, None)
    if state is None:
        state = {"anchor": None, "resources": {}, "needed": {}}
        setattr(stack, _STATE, state)
    for key, privileges in required_privileges([endpoint.request]).items():
        have = state["needed"].setdefault(key, set())
        if privileges <= have:
            continue
        have |= privileges
        ordered = sorted(have)
        if key in state["resources"]:
            _cdk.set_privileges(state["resources"][key], ordered)
            continue
        if state["anchor"] is None:
            state["anchor"] = _cdk.Construct(stack, _ANCHOR_ID)
        kind, name = key
        id = f"{kind}-{re.sub(r'[^A-Za-z0-9_-]', '_', name)}"
        state["resources"][key] = _cdk.uc_grant(state["anchor"], id, securable=kind, full_name=name,
                                                principal=deployer, privileges=ordered)


def grants_of(stack: Any) -> dict[tuple[str, str], list[str]]:
    """The grants a stack declares for its deployer, as synthesized."""
    state = getattr(stack, _STATE, None) or {"needed": {}}
    return {key: sorted(value) for key, value in state["needed"].items()}
