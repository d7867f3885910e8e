"""The data plane: where route-optimized endpoints take queries, on a listener of its own.

The service gives a route-optimized endpoint a URL on another host
(`https://<unique-id>.serving.cloud.databricks.com/<workspace-id>/serving-endpoints/<name>/invocations`,
`facts.route_optimized`); the emulator's stands in for it: a second port on the same address,
`POST /<workspace-id>/serving-endpoints/<name>/invocations`, shown as the endpoint's `endpoint_url`
and `data_plane_info.query_info.endpoint_url`.

It takes only a data-plane token exchanged for that endpoint (`oauth.py`): a personal access token,
a workspace OAuth token that was not exchanged, or one exchanged for another endpoint is refused.
A route-optimized endpoint created from 2025-09-22 takes no query on the workspace URL
(`refuse_workspace_query`). Not documented, so decided here and marked UNCONFIRMED:
- the status of those refusals: 401 UNAUTHENTICATED for a token the data plane does not take, 403
  PERMISSION_DENIED for one scoped to another endpoint, 400 BAD_REQUEST for a query of such an
  endpoint on the workspace URL (a client's mistake that no retry mends);
- per-entity routes (`/served-models/<entity>/invocations`) on the data plane: not documented, not
  served (404 ENDPOINT_NOT_FOUND, like any unknown route), as the checker decides too
  (`client.data_plane.PER_ENTITY_ON_DATA_PLANE`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from aiohttp import web

from servingstack.emulator import answering, apierrors, bodies, queries, trailing_slash
from servingstack.emulator.middleware import (
    DATA_PLANE_KEY,
    WORKSPACE_KEY,
    Handler,
    errors_middleware,
    faults_middleware,
)
from servingstack.emulator.state import Endpoint
from servingstack.emulator.workspace import NOT_SCOPED, Workspace
from servingstack.facts.route_optimized import INVOCATIONS_PATH, workspace_url_answers

ROUTE = INVOCATIONS_PATH.format(workspace_id="{workspace_id}", name="{name}")


def refuse_workspace_query(endpoint: Endpoint) -> None:
    """A route-optimized endpoint created from 2025-09-22 takes no query on the workspace URL."""
    if endpoint.route_optimized and not workspace_url_answers(endpoint.created_ms):
        created = datetime.fromtimestamp(endpoint.created_ms / 1000, UTC).strftime("%Y-%m-%d")
        raise apierrors.ApiError(
            400,
            "BAD_REQUEST",
            f"Endpoint '{endpoint.name}' is route-optimized (created {created}): query it on its route-optimized "
            "URL (endpoint_url) with an OAuth token; the workspace URL does not take its queries.",
        )


@web.middleware
async def data_plane_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    workspace = request.app[WORKSPACE_KEY]
    name = request.match_info.get("name")
    endpoint = workspace.endpoints.peek(name) if name else None
    refusal = workspace.data_plane_refusal(request.headers.get("Authorization"), endpoint.id if endpoint else "")
    if refusal == NOT_SCOPED and endpoint is not None:
        raise apierrors.ApiError(403, "PERMISSION_DENIED", f"Not allowed to query '{name}': {refusal}.")
    if refusal is not None and refusal != NOT_SCOPED:
        raise apierrors.ApiError(401, "UNAUTHENTICATED", f"{refusal[0].upper()}{refusal[1:]}.")
    # Counted once its token is taken, as on the workspace API: a refused request leaves nothing behind.
    workspace.requests.record(request.method, request.path)
    return await handler(request)  # a data-plane token: an unknown endpoint or route is a 404


async def invocations(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    workspace = request.app[WORKSPACE_KEY]
    name = request.match_info["name"]
    endpoint = workspace.endpoints.get(name)
    if request.match_info["workspace_id"] != workspace.workspace_id or not endpoint.route_optimized:
        raise apierrors.no_such_route(request.method, request.path)  # no route-optimized URL of this workspace
    config = endpoint.active  # during an update the old config keeps answering
    if config is None:
        raise apierrors.endpoint_not_ready(endpoint.name)
    query = queries.parse_query(endpoint.task, bodies.read_json(await request.read()))
    entity = config.entity(workspace.draw_entity(config))
    if entity is None:
        raise apierrors.entity_not_found(endpoint.name, "")
    return await answering.answer(request, workspace, endpoint.name, entity, query, started)


def build_app(workspace: Workspace) -> web.Application:
    """The data plane's app, on the workspace API's `Workspace`."""
    app = web.Application(middlewares=[errors_middleware, data_plane_auth, faults_middleware])
    app[WORKSPACE_KEY] = workspace
    app[DATA_PLANE_KEY] = True
    app.router.add_post(ROUTE, invocations)
    trailing_slash.add_twins(app)
    return app
