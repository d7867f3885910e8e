"""Secret scopes for `servingstack import`: the scopes the imported endpoints read their keys from
(or those named with `--scopes`), each a `SecretScope` with its ACLs as grants and, with import
blocks, `.adopt()`.

Only metadata is read (`GET /api/2.0/secrets/scopes/list`, `GET /api/2.0/secrets/acls/list`): never a
secret's value. The secrets themselves stay out of Terraform: they are put by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from servingstack.client.errors import UsageError
from servingstack.facts.secrets import secret_uses
from servingstack.importer.live import Call
from servingstack.importer.shapes import Note
from servingstack.importer.source import INDENT, Raw, comment_lines, identifier, literal, text
from servingstack.importer.source import Call as CallNode

# `--scopes` values beside a list of names.
USED, NONE = "used", "none"
# SDK ScopeBackendType; a Key Vault-backed scope needs `keyvault_metadata`, which `SecretScope` does not declare.
DATABRICKS_BACKEND = "DATABRICKS"
_GRANT_METHODS = {"READ": "grant_read", "WRITE": "grant_write", "MANAGE": "grant_manage"}
_APPLICATION_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass
class LiveScope:
    name: str
    backend_type: str
    acls: dict[str, str]  # principal -> READ | WRITE | MANAGE


@dataclass
class ImportedScope:
    live: LiveScope
    construct_id: str
    variable: str
    grants: list[tuple[str, str, str]]  # (method, argument, principal)
    notes: list[Note] = field(default_factory=list)
    kept: str | None = None  # the caller's own MANAGE, which the provider leaves alone
    # The name to declare: a declared scope gets the stack's name prefix, so it is the live name without it.
    declared_name: str | None = None
    # Why it is named as made elsewhere (`SecretScope.from_name`) rather than declared; None: declared.
    elsewhere: str | None = None

    def lines(self, import_blocks: bool) -> list[str]:
        live = self.live
        lines = comment_lines(f"secret scope {live.name} ({live.backend_type}): put its secrets by hand", INDENT)
        for note in self.notes:
            lines += comment_lines(("NOTE: " if note.warn else "") + note.text, INDENT)
        if self.elsewhere is None:
            name = self.declared_name or live.name
            call = CallNode("SecretScope", [Raw("stack"), literal(self.construct_id)], [("name", literal(name))])
        else:
            reason = self.elsewhere
            call = CallNode(
                "SecretScope.from_name",
                [Raw("stack"), literal(self.construct_id)],
                [("name", literal(live.name)), ("reason", literal(reason))],
            )
        uses_variable = bool(self.grants) or import_blocks
        head = f"{INDENT}{self.variable} = " if uses_variable else INDENT
        lines.append(head + call.layout(INDENT, len(head)))
        for method, argument, principal in self.grants:
            lines.append(f"{INDENT}{self.variable}.{method}({argument}={text(principal)})")
        if import_blocks:
            lines.append(f"{INDENT}{self.variable}.adopt()")
        return lines


def chosen_scopes(option: str, requests: Iterable[dict[str, Any]]) -> tuple[list[str], bool]:
    """The scope names `--scopes` asks for, and whether they were named (not derived from the endpoints)."""
    value = option.strip()
    if value == NONE:
        return [], False
    if value == USED:
        return sorted({use.scope for request in requests for use in secret_uses(request)}), False
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise UsageError(f"--scopes {option!r}: say {USED}, {NONE} or scope names separated by ','")
    return list(dict.fromkeys(names)), True


def read_scopes(client: WorkspaceClient, call: Call, names: Sequence[str], named: bool) -> list[LiveScope]:
    """The scopes of `names` that exist, with their ACLs; a scope named on the command line must exist."""
    if not names:
        return []
    listed = {s.name: s for s in call("list secret scopes", lambda: list(client.secrets.list_scopes())) if s.name}
    missing = [n for n in names if n not in listed]
    if named and missing:
        raise UsageError(f"--scopes: no secret scope named {', '.join(missing)} at {client.config.host}")
    scopes = []
    for name in names:
        if name not in listed:
            continue  # made outside this workspace's scopes (or not yet): the endpoints name it all the same
        backend = listed[name].backend_type
        try:
            items = _acls(client, call, name)
        except NotFound:
            continue  # deleted between the two calls
        acls = {a.principal: a.permission.value for a in items if a.principal and a.permission is not None}
        scopes.append(LiveScope(name, backend.value if backend is not None else DATABRICKS_BACKEND, acls))
    return scopes


def _acls(client: WorkspaceClient, call: Call, scope: str) -> list[Any]:
    return call(f"read the ACLs of secret scope {scope!r}", lambda: list(client.secrets.list_acls(scope)))


def principal_argument(principal: str) -> str:
    """`user`, `group` or `service_principal` for an ACL's bare principal: the provider's `principal` is a
    user name, a group's display name or an application id (docs resources/secret_acl.md); an email is a
    user, a UUID an application id, anything else a group."""
    if _APPLICATION_ID.match(principal):
        return "service_principal"
    return "user" if "@" in principal else "group"


def plan_scopes(
    scopes: Sequence[LiveScope], caller: str | None, taken: set[str], construct_ids: set[str], prefix: str = ""
) -> list[ImportedScope]:
    """`taken`: variable names in use; `construct_ids`: the stack's construct ids in use (both grow);
    `prefix`: the stack's name prefix, which a declared scope's name gets."""
    planned = []
    for scope in sorted(scopes, key=lambda s: s.name):
        grants, kept = [], None
        for principal, permission in sorted(scope.acls.items()):
            if principal == caller and permission == "MANAGE":
                # The scope's creator holds MANAGE ("If initial_manage_principal is not specified, the initial
                # ACL with MANAGE permission ... is assigned to the API request issuer's user identity", SDK
                # create_scope), and whoever applies keeps it.
                kept = principal
                continue
            if permission not in _GRANT_METHODS:
                continue
            grants.append((_GRANT_METHODS[permission], principal_argument(principal), principal))
        short = scope.name[len(prefix) :] if prefix and scope.name.startswith(prefix) else scope.name
        construct_id = short if short not in construct_ids else f"{short}-scope"
        construct_ids.add(construct_id)
        imported = ImportedScope(scope, construct_id, identifier(short, taken), grants, kept=kept, declared_name=short)
        if scope.backend_type != DATABRICKS_BACKEND:
            imported.elsewhere = f"a {scope.backend_type} scope: servingstack creates Databricks-backed scopes only"
            imported.notes.append(
                Note(f"scope {scope.name} is {scope.backend_type}-backed: declared as made elsewhere, with its ACLs")
            )
        elif prefix and not scope.name.startswith(prefix):
            # A declared scope's name gets the stack's prefix: one without it is this stack's to name, not to make.
            imported.elsewhere = f"its name has no {prefix!r} prefix: it is not this environment's to create"
            imported.notes.append(
                Note(f"scope {scope.name} has no {prefix!r} prefix: named as made elsewhere, with its ACLs")
            )
        if kept:
            imported.notes.append(
                Note(f"not granted here: MANAGE of {kept}, who imports it (whoever applies keeps MANAGE)", warn=False)
            )
        planned.append(imported)
    return planned
