"""The HTTP server: routes and handlers of the serving-endpoints REST API, on aiohttp.

Every request first goes through `middleware` (counting, errors, auth, faults); the
handlers here then read and change the `Workspace`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from databricks.sdk.service.serving import (
    BuildLogsResponse,
    EndpointTags,
    PutAiGatewayResponse,
    PutResponse,
    ServerLogsResponse,
    UpdateInferenceEndpointNotificationsResponse,
)

from servingstack.emulator import (
    admin,
    answering,
    apierrors,
    apps,
    bodies,
    callers,
    data_plane,
    identities,
    oauth,
    objects,
    openai_routes,
    openapi,
    permissions,
    queries,
    secrets_api,
    trailing_slash,
    uc_permissions,
    unity_catalog,
    views,
)
from servingstack.emulator.auth import CURRENT_USER
from servingstack.emulator.metrics import PROMETHEUS_CONTENT_TYPE
from servingstack.emulator.middleware import API, MIDDLEWARES, WELL_KNOWN, WORKSPACE_KEY
from servingstack.emulator.state import Endpoint
from servingstack.emulator.workspace import Workspace
from servingstack.facts import gateway as gateway_facts

PERMISSIONS = "/api/2.0/permissions/serving-endpoints"
MAX_BODY_BYTES = 16 * 1024 * 1024  # the service's payload limit


# -- helpers ---------------------------------------------------------------------------


def _workspace(request: web.Request) -> Workspace:
    return request.app[WORKSPACE_KEY]


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def _json(request: web.Request) -> Any:
    return bodies.read_json(await request.read())


def _endpoint(request: web.Request) -> Endpoint:
    return _workspace(request).endpoints.get(request.match_info["name"])


def _detailed(request: web.Request, endpoint: Endpoint) -> web.Response:
    # Under the store's lock: a test thread may settle deployments while this one renders.
    workspace = _workspace(request)
    with workspace.endpoints.lock:
        return web.json_response(views.detailed(endpoint, _data_plane_base(request), workspace.workspace_id))


def _data_plane_base(request: web.Request) -> str:
    """Where route-optimized endpoints take queries: the data plane's listener (the workspace's own
    address when it has none, as in a bare `build_app`)."""
    return _workspace(request).data_plane_url or _base_url(request)


# -- control plane ---------------------------------------------------------------------


async def well_known(request: web.Request) -> web.Response:
    """Host metadata: where the OAuth server is (SDK 0.162 `HostMetadata.oidc_endpoint`: its
    `oauth-m2m` client finds the token endpoint only through it) and the workspace id, which the
    SDK then sends as `X-Databricks-Workspace-Id`."""
    return web.json_response(
        {"oidc_endpoint": f"{_base_url(request)}/oidc", "workspace_id": _workspace(request).workspace_id}
    )


async def current_user(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "id": "1",
            "userName": CURRENT_USER,
            "displayName": "servingstack developer",
            "active": True,
            "emails": [{"value": CURRENT_USER, "primary": True}],
        }
    )


async def create_endpoint(request: web.Request) -> web.Response:
    return _created(request, bodies.parse_create(await _json(request)))


async def create_pt_endpoint(request: web.Request) -> web.Response:
    return _created(request, bodies.parse_pt_create(await _json(request)))


def _created(request: web.Request, create: Any) -> web.Response:
    workspace = _workspace(request)
    endpoint = workspace.endpoints.create(create)
    workspace.permissions.open(endpoint.id, endpoint.creator)
    return _detailed(request, endpoint)


async def list_endpoints(request: web.Request) -> web.Response:
    store = _workspace(request).endpoints
    with store.lock:
        return web.json_response({"endpoints": [views.summary(e) for e in store.all()]})


async def get_endpoint(request: web.Request) -> web.Response:
    return _detailed(request, _endpoint(request))


async def delete_endpoint(request: web.Request) -> web.Response:
    workspace = _workspace(request)
    endpoint = workspace.endpoints.delete(request.match_info["name"])
    workspace.permissions.close(endpoint.id)
    workspace.metrics.forget(endpoint.name)
    return web.json_response({})


async def update_config(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    body = await _json(request)
    config = bodies.parse_config(body, name)
    return _detailed(request, _workspace(request).endpoints.update_config(name, config, body))


async def update_pt_config(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    body = await _json(request)
    config = bodies.parse_pt_config(body, name)
    return _detailed(request, _workspace(request).endpoints.update_config(name, config, body.get("config")))


async def put_ai_gateway(request: web.Request) -> web.Response:
    gateway = bodies.parse_ai_gateway(await _json(request))
    endpoint = _endpoint(request)
    before = endpoint.ai_gateway.inference_table_config if endpoint.ai_gateway else None
    after = gateway.inference_table_config
    moved = gateway_facts.inference_table_change_problems(
        before.as_dict() if before else None, after.as_dict() if after else None
    )
    if moved:
        raise apierrors.invalid_problems(moved)
    endpoint.ai_gateway = gateway
    _workspace(request).endpoints.touch(endpoint)
    shown = views.gateway(endpoint)
    assert shown is not None  # the gateway just stored
    return web.json_response(PutAiGatewayResponse.from_dict(shown.as_dict()).as_dict())


async def put_rate_limits(request: web.Request) -> web.Response:
    limits = bodies.parse_rate_limits(await _json(request))
    endpoint = _endpoint(request)
    endpoint.rate_limits = limits
    _workspace(request).endpoints.touch(endpoint)
    return web.json_response(PutResponse(rate_limits=limits).as_dict())


async def patch_tags(request: web.Request) -> web.Response:
    add, delete = bodies.parse_tags_patch(await _json(request))
    endpoint = _endpoint(request)
    tags = {tag.key: tag for tag in endpoint.tags}
    for key in delete:
        tags.pop(key, None)
    for tag in add:
        tags[tag.key] = tag
    endpoint.tags = list(tags.values())
    _workspace(request).endpoints.touch(endpoint)
    return web.json_response(EndpointTags(tags=endpoint.tags).as_dict())


async def patch_notifications(request: web.Request) -> web.Response:
    notifications = bodies.parse_notifications(await _json(request))
    endpoint = _endpoint(request)
    endpoint.email_notifications = notifications
    _workspace(request).endpoints.touch(endpoint)
    return web.json_response(
        UpdateInferenceEndpointNotificationsResponse(name=endpoint.name, email_notifications=notifications).as_dict()
    )


async def patch_telemetry_config(request: web.Request) -> web.Response:
    """`PATCH .../telemetry-config` (SDK `patch_telemetry_config`): replaces it; an empty body removes it."""
    telemetry = bodies.parse_telemetry(await _json(request))
    endpoint = _endpoint(request)
    if telemetry is None:
        endpoint.extras.pop("telemetry_config", None)
    else:
        endpoint.extras["telemetry_config"] = telemetry
    _workspace(request).endpoints.touch(endpoint)
    return _detailed(request, endpoint)


async def build_logs(request: web.Request) -> web.Response:
    endpoint, entity, failure = _entity_of(request)
    lines = [
        f"Resolving environment of {entity.entity_name or entity.name} for served entity {entity.name}",
        "Building container image",
    ]
    if failure is not None:
        lines += ["ERROR: container image build failed", f"ERROR: {failure}"]
    else:
        lines += ["Container image built", "Pushing image to the serving registry: done"]
    return web.json_response(BuildLogsResponse(logs=_log_text(endpoint, lines)).as_dict())


async def server_logs(request: web.Request) -> web.Response:
    endpoint, entity, failure = _entity_of(request)
    if failure is not None:
        lines = [f"Served entity {entity.name} did not start: {failure}"]
    elif endpoint.active is not None and endpoint.active.entity(entity.name) is not None:
        lines = [f"Starting served entity {entity.name}", "Listening for requests"]
    else:
        lines = [f"Served entity {entity.name} is still deploying"]
    return web.json_response(ServerLogsResponse(logs=_log_text(endpoint, lines)).as_dict())


def _entity_of(request: web.Request):
    """The served entity named in the path (pending config first), and why it failed, if it did."""
    endpoint = _endpoint(request)
    entity_name = request.match_info["entity"]
    deployment = endpoint.deployment
    if deployment is not None and deployment.config.entity(entity_name) is not None:
        return endpoint, deployment.config.entity(entity_name), deployment.failure
    if endpoint.active is not None and endpoint.active.entity(entity_name) is not None:
        return endpoint, endpoint.active.entity(entity_name), None
    raise apierrors.entity_not_found(endpoint.name, entity_name)


def _log_text(endpoint: Endpoint, lines: list[str]) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(endpoint.updated_ms / 1000))
    return "".join(f"{stamp} {line}\n" for line in lines)


async def export_metrics(request: web.Request) -> web.Response:
    endpoint = _endpoint(request)
    # Every entity of a stored config is named (`build_config`): the filter only tells the type checker.
    names = [e.name for e in endpoint.active.entities if e.name is not None] if endpoint.active else []
    text = _workspace(request).metrics.prometheus(endpoint.name, names)
    return web.Response(body=text.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})


async def get_openapi(request: web.Request) -> web.Response:
    endpoint = _endpoint(request)
    document = openapi.document(endpoint, _base_url(request), _workspace(request).signatures)
    return web.json_response(document)


# -- permissions -----------------------------------------------------------------------


async def get_permissions(request: web.Request) -> web.Response:
    endpoint = _workspace(request).endpoints.get_by_id(request.match_info["id"])
    return web.json_response(_workspace(request).permissions.view(endpoint.id))


async def set_permissions(request: web.Request) -> web.Response:
    return await _change_permissions(request, replace=True)


async def update_permissions(request: web.Request) -> web.Response:
    return await _change_permissions(request, replace=False)


async def _change_permissions(request: web.Request, *, replace: bool) -> web.Response:
    workspace = _workspace(request)
    endpoint = workspace.endpoints.get_by_id(request.match_info["id"])
    grants = permissions.parse_access_control(await _json(request))
    (workspace.permissions.replace if replace else workspace.permissions.merge)(endpoint.id, grants)
    return web.json_response(workspace.permissions.view(endpoint.id))


async def permission_levels(request: web.Request) -> web.Response:
    _workspace(request).endpoints.get_by_id(request.match_info["id"])
    return web.json_response(permissions.levels_view())


# -- queries ---------------------------------------------------------------------------


async def invocations(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    workspace = _workspace(request)
    endpoint = _endpoint(request)
    try:
        data_plane.refuse_workspace_query(endpoint)
        config = endpoint.active  # during an update the old config keeps answering
        if config is None:
            raise apierrors.endpoint_not_ready(endpoint.name)
        query = queries.parse_query(endpoint.task, await _json(request))
        entity_name = request.match_info.get("entity") or workspace.draw_entity(config)
        entity = config.entity(entity_name)
        if entity is None:
            raise apierrors.entity_not_found(endpoint.name, entity_name)
    except apierrors.ApiError as error:  # refused before any entity saw it: the endpoint's metrics count it
        workspace.metrics.record(endpoint.name, None, error.status, time.perf_counter() - started)
        raise
    return await answering.answer(request, workspace, endpoint.name, entity, query, started)


# -- application -----------------------------------------------------------------------


def build_app(workspace: Workspace) -> web.Application:
    app = web.Application(middlewares=MIDDLEWARES, client_max_size=MAX_BODY_BYTES)
    app[WORKSPACE_KEY] = workspace
    r = app.router
    r.add_get(WELL_KNOWN, well_known)
    r.add_get("/api/2.0/preview/scim/v2/Me", current_user)
    # Provisioned throughput first: `/pt` must not be read as an endpoint called "pt".
    r.add_post(f"{API}/pt", create_pt_endpoint)
    r.add_put(f"{API}/pt/{{name}}/config", update_pt_config)
    r.add_post(API, create_endpoint)
    r.add_get(API, list_endpoints)
    r.add_get(f"{API}/{{name}}", get_endpoint)
    r.add_delete(f"{API}/{{name}}", delete_endpoint)
    r.add_put(f"{API}/{{name}}/config", update_config)
    r.add_put(f"{API}/{{name}}/ai-gateway", put_ai_gateway)
    r.add_put(f"{API}/{{name}}/rate-limits", put_rate_limits)
    r.add_patch(f"{API}/{{name}}/tags", patch_tags)
    r.add_patch(f"{API}/{{name}}/notifications", patch_notifications)
    r.add_patch(f"{API}/{{name}}/telemetry-config", patch_telemetry_config)
    r.add_get(f"{API}/{{name}}/served-models/{{entity}}/build-logs", build_logs)
    r.add_get(f"{API}/{{name}}/served-models/{{entity}}/logs", server_logs)
    r.add_get(f"{API}/{{name}}/metrics", export_metrics)
    r.add_get(f"{API}/{{name}}/openapi", get_openapi)
    r.add_get(f"{PERMISSIONS}/{{id}}", get_permissions)
    r.add_put(f"{PERMISSIONS}/{{id}}", set_permissions)
    r.add_patch(f"{PERMISSIONS}/{{id}}", update_permissions)
    r.add_get(f"{PERMISSIONS}/{{id}}/permissionLevels", permission_levels)
    r.add_post("/serving-endpoints/{name}/invocations", invocations)
    r.add_post("/serving-endpoints/{name}/served-models/{entity}/invocations", invocations)
    admin.add_routes(app, WORKSPACE_KEY)
    secrets_api.add_routes(app, WORKSPACE_KEY)
    uc_permissions.add_routes(app, WORKSPACE_KEY)
    apps.add_routes(app, WORKSPACE_KEY)
    identities.add_routes(app, lambda request: _workspace(request).current_identities())
    unity_catalog.add_routes(app, lambda request: _workspace(request).unity_catalog)
    objects.add_routes(app, _workspace)
    oauth.add_routes(app, WORKSPACE_KEY)
    openai_routes.add_routes(app, WORKSPACE_KEY)
    callers.add_to(app, WORKSPACE_KEY)
    trailing_slash.add_twins(app)
    return app


@dataclass
class RunningServer:
    runner: web.AppRunner
    url: str
    data_plane_runner: web.AppRunner | None = None
    data_plane_url: str | None = None

    async def close(self) -> None:
        if self.data_plane_runner is not None:
            await self.data_plane_runner.cleanup()
        await self.runner.cleanup()


async def _listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.25)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"


async def start_server(
    workspace: Workspace, host: str = "127.0.0.1", port: int = 0, data_plane_port: int = 0
) -> RunningServer:
    """Listen on host:port (0: any free port), and for the data plane (route-optimized endpoints'
    queries, `data_plane.py`) on host:data_plane_port; return the URLs actually bound."""
    runner, url = await _listen(build_app(workspace), host, port)
    try:
        plane, plane_url = await _listen(data_plane.build_app(workspace), host, data_plane_port)
    except BaseException:
        await runner.cleanup()
        raise
    workspace.data_plane_url = plane_url
    return RunningServer(runner, url, plane, plane_url)
