"""Permissions drift: the live access control list of an endpoint against its declared grants.

`databricks_permissions` is authoritative: "only admins, authenticated principal and those declared
within access_control blocks would have specified access" (provider docs, resources/permissions.md),
so a grant made outside the stack is removed by the next apply.
The live list comes from `GET /api/2.0/permissions/serving-endpoints/{id}` (by id, never name),
as the SDK's `ServingEndpointPermissions`: `access_control_list[]` of a principal with
`all_permissions[]` of `permission_level`, `inherited`, `inherited_from_object`.

Not drift: inherited entries (the workspace `admins` group's CAN_MANAGE, inherited from
`/serving-endpoints/`), any grant of the `admins` group, and the caller's own CAN_MANAGE: "it is not
possible to lower permissions for admins or your own user anywhere from CAN_MANAGE" (same page).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from databricks.sdk import WorkspaceClient

from servingstack.check.results import PermissionFinding, StepResult

PRINCIPAL_KINDS = ("user_name", "group_name", "service_principal_name")
# ServingEndpointPermissionLevel (SDK enum), weakest first.
LEVELS = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")
ADMINS = ("group_name", "admins")  # the provider cannot take management rights from it


class Caller:
    """Who the checker runs as (SCIM `Me`), looked up once per run, on first need."""

    def __init__(self, client: WorkspaceClient):
        self._client = client
        self._lock = threading.Lock()
        self._names: set[str] | None = None

    def names(self) -> set[str]:
        with self._lock:
            if self._names is None:
                try:
                    me = self._client.current_user.me()
                    self._names = {me.user_name} if me.user_name else set()
                except Exception:  # noqa: BLE001 - unknown caller: its grant is then reported like any other
                    self._names = set()
            return self._names


def _principal(entry: dict[str, Any]) -> tuple[str, str] | None:
    for kind in PRINCIPAL_KINDS:
        if entry.get(kind):
            return kind, str(entry[kind])
    return None


def _strongest(levels: list[str]) -> str | None:
    known = [level for level in levels if level in LEVELS]
    return max(known, key=LEVELS.index) if known else (levels[0] if levels else None)


def declared_grants(access_control: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    grants: dict[tuple[str, str], str] = {}
    for entry in access_control:
        principal = _principal(entry)
        if principal is not None:
            level = str(entry.get("permission_level"))
            if principal in grants:
                strongest = _strongest([grants[principal], level])
                assert strongest is not None  # the strongest of two levels is one of them
                level = strongest
            grants[principal] = level
    return grants


def live_grants(live: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The direct (not inherited) grants of the live list, strongest level per principal."""
    grants: dict[tuple[str, str], str] = {}
    for entry in live.get("access_control_list") or []:
        principal = _principal(entry)
        direct = [
            str(p.get("permission_level"))
            for p in entry.get("all_permissions") or []
            if not p.get("inherited") and p.get("permission_level")
        ]
        if principal is not None and direct:
            grants[principal] = _strongest(direct) or direct[0]
    return grants


def compare(
    access_control: list[dict[str, str]], live: dict[str, Any], caller: set[str], strict: bool = False
) -> list[PermissionFinding]:
    declared = declared_grants(access_control)
    actual = live_grants(live)
    findings: list[PermissionFinding] = []
    for (kind, name), level in declared.items():
        got = actual.get((kind, name))
        if got is None:
            findings.append(PermissionFinding(f"{kind}:{name}", level, None, "missing", "error"))
        elif got != level:
            findings.append(PermissionFinding(f"{kind}:{name}", level, got, "level_differs", "error"))
    for (kind, name), level in actual.items():
        if (kind, name) in declared or (kind, name) == ADMINS:
            continue
        if level == "CAN_MANAGE" and kind != "group_name" and name in caller:
            continue  # the caller keeps CAN_MANAGE: the provider never removes it
        findings.append(
            PermissionFinding(f"{kind}:{name}", None, level, "will_be_removed", "error" if strict else "warning")
        )
    return findings


def check(
    client: WorkspaceClient,
    endpoint_id: str | None,
    access_control: list[dict[str, str]] | None,
    caller: Caller,
    strict: bool,
    fetch: Callable[[Callable[[], Any]], Any],
) -> tuple[StepResult, list[PermissionFinding]]:
    """The `permissions` step of one endpoint; `fetch` runs a call with the run's retries."""
    if access_control is None:
        return StepResult("skip", "no databricks_permissions declared: the grants are not managed here"), []
    if not endpoint_id:
        return StepResult("fail", "the live endpoint has no id to read its permissions by"), []
    live = fetch(lambda: client.serving_endpoints.get_permissions(endpoint_id).as_dict())
    findings = compare(access_control, live, caller.names(), strict)
    errors = [f for f in findings if f.severity == "error"]
    lines = [str(f) for f in findings]
    if errors:
        count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
        return StepResult("fail", f"{count} with the grants: {errors[0]}", lines), findings
    declared = len(declared_grants(access_control))
    message = f"{declared} declared grant{'s' if declared != 1 else ''} in effect"
    removed = [f for f in findings if f.verdict == "will_be_removed"]
    if removed:
        message += (
            f"; {len(removed)} undeclared grant{'s' if len(removed) != 1 else ''} will be removed by the next apply"
        )
    return StepResult("pass", message, lines), findings
