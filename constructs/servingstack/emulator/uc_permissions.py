"""Unity Catalog grants, as `/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}` has
them: GET lists `privilege_assignments`, PATCH applies `changes` (add/remove per principal).
Shapes are the SDK's (`databricks.sdk.service.catalog`); privileges are checked against its
`Privilege` enum and securable types against `SecurableType`. A schema or model of a catalog the
emulator knows (`unity_catalog.py`, seeded) must exist (404 otherwise); others are accepted, as
the emulator cannot know what exists outside it."""

from __future__ import annotations

import threading
from typing import Any

from aiohttp import web
from databricks.sdk.service.catalog import (
    GetPermissionsResponse,
    GrantsAPI,
    Privilege,
    PrivilegeAssignment,
    SecurableType,
    UpdatePermissionsResponse,
)

from servingstack.emulator import apierrors, bodies
from servingstack.errors import Problem

PREFIX = "/api/2.1/unity-catalog/permissions"
_PRIVILEGES = {p.value for p in Privilege}
_SECURABLES = {s.value.lower() for s in SecurableType}


class GrantBook:
    """(securable type, full name) -> principal -> privileges. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[tuple[str, str], dict[str, set[str]]] = {}

    def get(self, securable_type: str, full_name: str) -> dict[str, list[str]]:
        with self._lock:
            return {p: sorted(v) for p, v in self._grants.get((securable_type.lower(), full_name), {}).items() if v}

    def change(self, securable_type: str, full_name: str, principal: str, add: list[str], remove: list[str]) -> None:
        with self._lock:
            held = self._grants.setdefault((securable_type.lower(), full_name), {}).setdefault(principal, set())
            held |= set(add)
            held -= set(remove)


def _assignments(grants: dict[str, list[str]]) -> list[PrivilegeAssignment]:
    return [
        PrivilegeAssignment(principal=p, privileges=[Privilege(v) for v in privileges])
        for p, privileges in sorted(grants.items())
    ]


def _securable(request: web.Request) -> tuple[str, str]:
    securable_type = request.match_info["securable_type"]
    if securable_type.lower() not in _SECURABLES:
        raise apierrors.invalid_problems([Problem("securable_type", f"{securable_type!r} is not a securable type")])
    return securable_type, request.match_info["full_name"]


def _changes(body: Any) -> list[tuple[str, list[str], list[str]]]:
    bodies.check_types(body, GrantsAPI.update, "securable_type", "full_name")
    parsed, problems = [], []
    for index, change in enumerate(body.get("changes") or []):
        where = f"changes[{index}]"
        if not isinstance(change, dict) or not isinstance(change.get("principal"), str) or not change["principal"]:
            problems.append(Problem(f"{where}.principal", "is required"))
            continue
        lists = []
        for key in ("add", "remove"):
            values = change.get(key) or []
            unknown = [v for v in values if v not in _PRIVILEGES] if isinstance(values, list) else ["<not a list>"]
            if unknown:
                problems.append(Problem(f"{where}.{key}", f"unknown privileges: {', '.join(map(str, unknown))}"))
            lists.append(list(values) if isinstance(values, list) else [])
        parsed.append((change["principal"], lists[0], lists[1]))
    if problems:
        raise apierrors.invalid_problems(problems)
    return parsed


def add_routes(app: web.Application, workspace_key: web.AppKey) -> None:
    def book(request: web.Request) -> GrantBook:
        return request.app[workspace_key].uc_permissions

    def securable(request: web.Request) -> tuple[str, str]:
        securable_type, full_name = _securable(request)
        request.app[workspace_key].unity_catalog.check_securable(securable_type, full_name)
        return securable_type, full_name

    async def get_permissions(request: web.Request) -> web.Response:
        securable_type, full_name = securable(request)
        grants = book(request).get(securable_type, full_name)
        principal = request.query.get("principal")
        if principal:  # SDK GrantsAPI.get: "If provided, only the permissions for the specified principal"
            grants = {p: v for p, v in grants.items() if p == principal}
        return web.json_response(GetPermissionsResponse(privilege_assignments=_assignments(grants)).as_dict())

    async def update_permissions(request: web.Request) -> web.Response:
        securable_type, full_name = securable(request)
        for principal, add, remove in _changes(bodies.read_json(await request.read())):
            book(request).change(securable_type, full_name, principal, add, remove)
        grants = book(request).get(securable_type, full_name)
        return web.json_response(UpdatePermissionsResponse(privilege_assignments=_assignments(grants)).as_dict())

    app.router.add_get(f"{PREFIX}/{{securable_type}}/{{full_name}}", get_permissions)
    app.router.add_patch(f"{PREFIX}/{{securable_type}}/{{full_name}}", update_permissions)
