"""Access control lists of serving endpoints, addressed by endpoint id.

PUT replaces the direct grants, PATCH merges them; either way the creator keeps
CAN_MANAGE, and the workspace `admins` group holds an inherited CAN_MANAGE.
"""

from __future__ import annotations

import threading
from typing import Any

from databricks.sdk.service.serving import (
    GetServingEndpointPermissionLevelsResponse,
    ServingEndpointAccessControlResponse,
    ServingEndpointPermission,
    ServingEndpointPermissionLevel,
    ServingEndpointPermissions,
    ServingEndpointPermissionsDescription,
    ServingEndpointsAPI,
)

from servingstack.emulator import apierrors, bodies
from servingstack.errors import Problem

LEVELS = {
    "CAN_VIEW": "Can view the endpoint and its configuration",
    "CAN_QUERY": "Can view the endpoint and query it",
    "CAN_MANAGE": "Can view, query, edit and delete the endpoint, and manage its permissions",
}
PRINCIPAL_KINDS = ("user_name", "group_name", "service_principal_name")
ADMINS_GROUP = "admins"
OBJECT_TYPE = "serving-endpoint"

Principal = tuple[str, str]  # (kind, name), e.g. ("group_name", "ml-team")


def object_id(endpoint_id: str) -> str:
    return f"/serving-endpoints/{endpoint_id}"


def parse_access_control(body: Any) -> list[tuple[Principal, str]]:
    """Check an `access_control_list` body and return (principal, level) pairs.

    Raw dicts are checked before any SDK parsing: the SDK's from_dict turns an unknown
    permission level into None silently.
    """
    # The JSON types of the SDK's set_permissions (update_permissions sends the same body).
    bodies.check_types(body, ServingEndpointsAPI.set_permissions, "serving_endpoint_id")
    entries = body.get("access_control_list") or []
    problems: list[Problem] = []
    grants: list[tuple[Principal, str]] = []
    for index, entry in enumerate(entries):
        where = f"access_control_list[{index}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "must be an object"))
            continue
        named = [k for k in PRINCIPAL_KINDS if entry.get(k)]
        if len(named) != 1:
            problems.append(Problem(where, f"needs exactly one of {', '.join(PRINCIPAL_KINDS)}"))
            continue
        level = entry.get("permission_level")
        if level not in LEVELS:
            problems.append(Problem(f"{where}.permission_level", f"must be one of {', '.join(LEVELS)}, got {level!r}"))
            continue
        grants.append(((named[0], entry[named[0]]), level))
    if problems:
        raise apierrors.invalid_problems(problems)
    return grants


class PermissionBook:
    """Direct grants per endpoint id. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, dict[Principal, str]] = {}
        self._creators: dict[str, str] = {}

    def open(self, endpoint_id: str, creator: str) -> None:
        with self._lock:
            self._creators[endpoint_id] = creator
            self._grants[endpoint_id] = {("user_name", creator): "CAN_MANAGE"}

    def close(self, endpoint_id: str) -> None:
        with self._lock:
            self._grants.pop(endpoint_id, None)
            self._creators.pop(endpoint_id, None)

    def replace(self, endpoint_id: str, grants: list[tuple[Principal, str]]) -> None:
        with self._lock:
            self._grants[endpoint_id] = dict(grants)
            self._keep_creator(endpoint_id)

    def merge(self, endpoint_id: str, grants: list[tuple[Principal, str]]) -> None:
        with self._lock:
            self._grants[endpoint_id].update(grants)
            self._keep_creator(endpoint_id)

    def grant(self, endpoint_id: str, principal: Principal, level: str) -> bool:
        """One direct grant, as a platform side effect (an app's resources); False when the
        endpoint has no access control list (it is gone)."""
        with self._lock:
            if endpoint_id not in self._grants:
                return False
            self._grants[endpoint_id][principal] = level
            return True

    def revoke(self, endpoint_id: str, principal: Principal) -> None:
        """Take a principal's direct grant away (its app no longer names the endpoint, or is gone)."""
        with self._lock:
            self._grants.get(endpoint_id, {}).pop(principal, None)

    def _keep_creator(self, endpoint_id: str) -> None:
        self._grants[endpoint_id][("user_name", self._creators[endpoint_id])] = "CAN_MANAGE"

    def view(self, endpoint_id: str) -> dict[str, Any]:
        """The permissions answer, as the SDK's ServingEndpointPermissions."""
        with self._lock:
            grants = list(self._grants.get(endpoint_id, {}).items())
        acl = [
            ServingEndpointAccessControlResponse(
                **{kind: name},
                display_name=name,
                all_permissions=[
                    ServingEndpointPermission(permission_level=ServingEndpointPermissionLevel(level), inherited=False)
                ],
            )
            for (kind, name), level in grants
        ]
        acl.append(
            ServingEndpointAccessControlResponse(
                group_name=ADMINS_GROUP,
                all_permissions=[
                    ServingEndpointPermission(
                        permission_level=ServingEndpointPermissionLevel.CAN_MANAGE,
                        inherited=True,
                        inherited_from_object=["/serving-endpoints/"],
                    )
                ],
            )
        )
        return ServingEndpointPermissions(
            object_id=object_id(endpoint_id), object_type=OBJECT_TYPE, access_control_list=acl
        ).as_dict()


def levels_view() -> dict[str, Any]:
    return GetServingEndpointPermissionLevelsResponse(
        permission_levels=[
            ServingEndpointPermissionsDescription(
                permission_level=ServingEndpointPermissionLevel(level), description=description
            )
            for level, description in LEVELS.items()
        ]
    ).as_dict()
