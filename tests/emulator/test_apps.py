"""Databricks Apps as the emulator answers them, through the unmodified databricks-sdk over HTTP:
the lifecycle the SDK's waiters expect, paging, a full-replacement update, the asynchronous delete,
and each app's service principal, granted on the endpoints its resources name."""

from __future__ import annotations

import time

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    NotFound,
    OperationFailed,
    ResourceAlreadyExists,
)
from databricks.sdk.service.apps import (
    App,
    AppDeployment,
    ApplicationState,
    AppResource,
    AppResourceSecret,
    AppResourceSecretSecretPermission,
    AppResourceServingEndpoint,
    AppResourceServingEndpointServingEndpointPermission,
    ComputeState,
)
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

from emu_support import TOKEN, create_foundation

QUERY = AppResourceServingEndpointServingEndpointPermission.CAN_QUERY


def querying(name: str, *endpoints: str, **fields) -> App:
    resources = [
        AppResource(name=f"endpoint-{index}", serving_endpoint=AppResourceServingEndpoint(name=e, permission=QUERY))
        for index, e in enumerate(endpoints)
    ]
    return App(name=name, resources=resources or None, **fields)


def principal_levels(w: WorkspaceClient, endpoint: str, client_id: str) -> list[str]:
    live = w.serving_endpoints.get_permissions(w.serving_endpoints.get(endpoint).id)
    return [
        p.permission_level.value
        for entry in live.access_control_list
        if entry.service_principal_name == client_id
        for p in entry.all_permissions
    ]


def test_an_app_is_created_started_and_running_as_the_sdk_waits_for_it(emu, w):
    create_foundation(w, "chat")
    app = w.apps.create_and_wait(querying("support-bot", "chat", description="answers questions"))
    assert (app.compute_status.state, app.app_status.state) == (ComputeState.ACTIVE, ApplicationState.RUNNING)
    assert app.description == "answers questions" and app.compute_size.value == "MEDIUM"
    assert app.service_principal_client_id and app.service_principal_id and app.id and app.url
    assert app.active_deployment.status.state.value == "SUCCEEDED"
    with pytest.raises(ResourceAlreadyExists, match="support-bot"):
        w.apps.create(querying("support-bot"))
    # Each app has its own service principal, as SCIM would show it.
    (principal,) = emu.workspace.apps.service_principals()
    assert principal == {
        "id": str(app.service_principal_id),
        "applicationId": app.service_principal_client_id,
        "displayName": app.service_principal_name,
        "active": True,
    }
    # ... and as SCIM lists it: the workspace's identities hold it while the app exists.
    (listed,) = w.service_principals.list(filter=f'applicationId eq "{app.service_principal_client_id}"')
    assert (listed.id, listed.display_name) == (str(app.service_principal_id), app.service_principal_name)
    assert w.service_principals.get(str(app.service_principal_id)).application_id == app.service_principal_client_id


def test_no_compute_leaves_the_app_stopped_until_started(emu, w):
    app = w.apps.create(querying("idle"), no_compute=True).response
    assert app.compute_status.state is ComputeState.STOPPED
    with pytest.raises(OperationFailed, match="STOPPED"):  # the SDK's waiter fails on STOPPED, as documented
        w.apps.create(querying("idle-too"), no_compute=True).result()
    emu.set_app_seconds(start=0.3)
    started = w.apps.start("idle").response
    assert started.compute_status.state is ComputeState.STARTING
    assert w.apps.start("idle").result().app_status.state is ApplicationState.RUNNING
    stopped = w.apps.stop_and_wait("idle")
    assert (stopped.compute_status.state, stopped.app_status.state) == (
        ComputeState.STOPPED,
        ApplicationState.UNAVAILABLE,
    )
    assert stopped.active_deployment is None
    with pytest.raises(Exception, match="Start the app compute"):
        w.apps.deploy("idle", AppDeployment(source_code_path="/Workspace/app"))


def test_list_pages_and_deployments(emu, w):
    emu.set_app_seconds(start=0)
    for name in ("a-app", "b-app", "c-app"):
        w.apps.create(querying(name))
    assert [a.name for a in w.apps.list(page_size=1)] == ["a-app", "b-app", "c-app"]
    first = w.api_client.do("GET", "/api/2.0/apps", query={"page_size": 2})
    assert [a["name"] for a in first["apps"]] == ["a-app", "b-app"] and first["next_page_token"]
    deployment = w.apps.deploy_and_wait("a-app", AppDeployment(source_code_path="/Workspace/Shared/bot"))
    assert w.apps.get_deployment("a-app", deployment.deployment_id).source_code_path == "/Workspace/Shared/bot"
    deployments = list(w.apps.list_deployments("a-app", page_size=1))
    assert deployments[0].deployment_id == deployment.deployment_id and len(deployments) == 2
    with pytest.raises(NotFound):
        w.apps.get_deployment("a-app", "no-such-deployment")


def test_update_is_a_full_replacement_and_moves_the_grants(emu, w):
    create_foundation(w, "chat")
    create_foundation(w, "embed")
    app = w.apps.create_and_wait(querying("bot", "chat", description="first"))
    client_id = app.service_principal_client_id
    assert principal_levels(w, "chat", client_id) == ["CAN_QUERY"]
    updated = w.apps.update("bot", querying("bot", "embed"))
    assert updated.description is None  # omitted, so cleared
    assert principal_levels(w, "chat", client_id) == [] and principal_levels(w, "embed", client_id) == ["CAN_QUERY"]
    # The asynchronous update changes the fields of its mask only.
    update = w.apps.create_update_and_wait("bot", "description", app=App(name="bot", description="second"))
    assert update.status.state.value == "SUCCEEDED"
    live = w.apps.get("bot")
    assert live.description == "second" and [r.serving_endpoint.name for r in live.resources] == ["embed"]
    assert w.apps.get_update("bot").status.state.value == "SUCCEEDED"


def test_a_grant_removed_by_hand_is_gone_from_the_endpoint(emu, w):
    chat = create_foundation(w, "chat")
    client_id = w.apps.create_and_wait(querying("bot", "chat")).service_principal_client_id
    # An authoritative replace of the endpoint's grants (what databricks_permissions does) takes it away.
    w.serving_endpoints.set_permissions(
        chat.id,
        access_control_list=[
            ServingEndpointAccessControlRequest(
                group_name="users", permission_level=ServingEndpointPermissionLevel.CAN_VIEW
            )
        ],
    )
    assert principal_levels(w, "chat", client_id) == []


def test_delete_is_asynchronous_and_takes_the_principal_and_its_grants(emu, w):
    create_foundation(w, "chat")
    emu.set_app_seconds(start=0, delete=0.3)
    client_id = w.apps.create_and_wait(querying("bot", "chat")).service_principal_client_id
    assert w.apps.delete("bot").compute_status.state is ComputeState.DELETING
    assert w.apps.get("bot").compute_status.state is ComputeState.DELETING  # still there, not 404
    with pytest.raises(BadRequest, match="not terminal with state DELETING"):
        w.apps.delete("bot")
    with pytest.raises(ResourceAlreadyExists):
        w.apps.create(querying("bot"))
    by_client_id = f'applicationId eq "{client_id}"'
    assert len(list(w.service_principals.list(filter=by_client_id))) == 1  # until the deletion is done
    time.sleep(0.35)
    # SCIM first: the deletion that came due meanwhile took the principal along.
    assert list(w.service_principals.list(filter=by_client_id)) == []
    with pytest.raises(NotFound, match="bot does not exist"):
        w.apps.get("bot")
    assert principal_levels(w, "chat", client_id) == []
    assert emu.workspace.apps.service_principals() == []


def test_bad_apps_are_refused_naming_the_field(emu, w):
    with pytest.raises(InvalidParameterValue, match="name"):
        w.apps.create(App(name="Not_Valid"))
    with pytest.raises(NotFound, match="Endpoint with name 'missing' does not exist"):
        w.apps.create(querying("bot", "missing"))
    both = AppResource(
        name="two",
        serving_endpoint=AppResourceServingEndpoint(name="x", permission=QUERY),
        secret=AppResourceSecret(scope="s", key="k", permission=AppResourceSecretSecretPermission.READ),
    )
    with pytest.raises(InvalidParameterValue, match=r"resources\[0\]: needs exactly one of"):
        w.apps.create(App(name="bot", resources=[both]))
    for body, field in (
        ({"name": "bot", "description": 5}, "description"),
        ({"name": "bot", "compute_size": "HUGE"}, "compute_size"),
        ({"name": "bot", "resources": {"not": "a list"}}, "resources"),
        (
            {"name": "bot", "resources": [{"name": "r", "serving_endpoint": {"name": "x", "permission": "OWN"}}]},
            "permission",
        ),
        ({"name": "bot", "compute_min_instances": 1}, "compute_min_instances"),
    ):
        with pytest.raises(InvalidParameterValue, match=field):
            w.api_client.do("POST", "/api/2.0/apps", body=body)
    assert list(w.apps.list()) == []  # nothing of them was stored


def test_the_workspace_id_header_the_sdk_may_send_is_accepted(emu):
    w = WorkspaceClient(
        config=Config(host=emu.url, token=TOKEN, auth_type="pat", workspace_id="1234567890", retry_timeout_seconds=5)
    )
    w.apps.create(querying("bot"), no_compute=True)
    assert [a.name for a in w.apps.list()] == ["bot"]
