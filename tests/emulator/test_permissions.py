"""Permissions of serving endpoints, addressed by endpoint id."""

from __future__ import annotations

import pytest
import requests
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

from emu_support import TOKEN, create_custom

CREATOR = "dev@servingstack.local"


def grants(permissions) -> set[tuple[str, str, bool]]:
    found = set()
    for entry in permissions.access_control_list:
        principal = entry.user_name or entry.group_name or entry.service_principal_name
        for permission in entry.all_permissions:
            found.add((principal, permission.permission_level.value, bool(permission.inherited)))
    return found


def acl(**levels: str) -> list[ServingEndpointAccessControlRequest]:
    return [
        ServingEndpointAccessControlRequest(group_name=group, permission_level=ServingEndpointPermissionLevel(level))
        for group, level in levels.items()
    ]


def test_new_endpoint_is_managed_by_its_creator(w):
    endpoint = create_custom(w, "p")
    permissions = w.serving_endpoints.get_permissions(endpoint.id)
    assert permissions.object_id == f"/serving-endpoints/{endpoint.id}"
    assert permissions.object_type == "serving-endpoint"
    assert grants(permissions) == {(CREATOR, "CAN_MANAGE", False), ("admins", "CAN_MANAGE", True)}


def test_put_replaces_and_the_creator_keeps_manage(w):
    endpoint = create_custom(w, "p")
    w.serving_endpoints.set_permissions(endpoint.id, access_control_list=acl(readers="CAN_VIEW"))
    replaced = w.serving_endpoints.set_permissions(endpoint.id, access_control_list=acl(users="CAN_QUERY"))
    assert {g for g in grants(replaced) if not g[2]} == {(CREATOR, "CAN_MANAGE", False), ("users", "CAN_QUERY", False)}
    assert grants(w.serving_endpoints.get_permissions(endpoint.id)) == grants(replaced)


def test_patch_merges(w):
    endpoint = create_custom(w, "p")
    w.serving_endpoints.set_permissions(endpoint.id, access_control_list=acl(readers="CAN_VIEW"))
    merged = w.serving_endpoints.update_permissions(
        endpoint.id,
        access_control_list=acl(readers="CAN_QUERY")
        + [
            ServingEndpointAccessControlRequest(
                service_principal_name="6f2a1c9e", permission_level=ServingEndpointPermissionLevel.CAN_QUERY
            )
        ],
    )
    assert {g for g in grants(merged) if not g[2]} == {
        (CREATOR, "CAN_MANAGE", False),
        ("readers", "CAN_QUERY", False),
        ("6f2a1c9e", "CAN_QUERY", False),
    }


def test_permission_levels(w):
    endpoint = create_custom(w, "p")
    levels = w.serving_endpoints.get_permission_levels(endpoint.id).permission_levels
    assert [level.permission_level.value for level in levels] == ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"]
    assert all(level.description for level in levels)


def test_permissions_use_the_id_not_the_name(w):
    create_custom(w, "p")
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.get_permissions("p")


def test_permissions_of_a_deleted_endpoint_are_gone(w):
    endpoint = create_custom(w, "p")
    w.serving_endpoints.delete("p")
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.get_permissions(endpoint.id)
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.get_permission_levels(endpoint.id)


def test_invalid_permission_level_is_rejected(emu, w):
    endpoint = create_custom(w, "p")
    response = requests.put(
        f"{emu.url}/api/2.0/permissions/serving-endpoints/{endpoint.id}",
        json={"access_control_list": [{"group_name": "g", "permission_level": "CAN_OWN"}]},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert "access_control_list[0].permission_level" in response.json()["message"]
    with pytest.raises(InvalidParameterValue):
        w.serving_endpoints.set_permissions(
            endpoint.id,
            access_control_list=[
                ServingEndpointAccessControlRequest(permission_level=ServingEndpointPermissionLevel.CAN_VIEW)
            ],
        )
