"""Which Databricks secrets a serving request names: every `{{secrets/<scope>/<key>}}` string in it.

Pure Python, shared by the constructs (Terraform dependencies on declared scopes), the policy
(SS15) and the emulator (a deployment whose secret does not exist fails).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

# SDK `SecretsAPI.create_scope` / `put_secret` docstrings: scope and key names consist of
# alphanumeric characters, dashes, underscores and periods, at most 128 characters.
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_REFERENCE = re.compile(r"^\{\{secrets/([^/{}\s]+)/([^/{}\s]+)\}\}$")


@dataclass(frozen=True)
class SecretUse:
    scope: str
    key: str
    field: str  # where in the request, e.g. config.served_entities[0].external_model.openai_config.openai_api_key


def secret_uses(value: Any, where: str = "") -> Iterator[SecretUse]:
    """Every secret reference in a request (dicts and lists walked; other values ignored)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from secret_uses(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from secret_uses(item, f"{where}[{index}]")
    elif isinstance(value, str):
        match = _REFERENCE.match(value)
        if match:
            yield SecretUse(match.group(1), match.group(2), where)


def scopes_used(request: Any) -> set[str]:
    return {use.scope for use in secret_uses(request)}


# Where a stack keeps the scopes it declares or names as external (set by `SecretScope`), by name.
STACK_ATTRIBUTE = "_servingstack_secret_scopes"


def declared_scope_names(stack: Any) -> frozenset[str]:
    return frozenset(getattr(stack, STACK_ATTRIBUTE, None) or {})


def declared_scope_acls(stack: Any) -> dict[str, dict[str, str]]:
    """scope name -> principal -> permission, as the stack's scopes declare them; a scope created with
    `initial_manage_principal` gives that principal MANAGE (SDK `SecretsAPI.create_scope` docstring)."""
    result = {}
    for name, scope in (getattr(stack, STACK_ATTRIBUTE, None) or {}).items():
        acls = dict(getattr(scope, "acls", {}) or {})
        initial = getattr(scope, "initial_manage_principal", None)
        if initial:
            acls[initial] = "MANAGE"
        result[name] = acls
    return result
