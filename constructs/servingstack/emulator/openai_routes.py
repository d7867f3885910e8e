"""The OpenAI-compatible query routes of a workspace, under `/serving-endpoints`.

`WorkspaceClient().serving_endpoints.get_open_ai_client()` (databricks-sdk) builds an `openai.OpenAI`
client whose base URL is `<host>/serving-endpoints`: a query is then `POST /serving-endpoints/chat/completions`
(or `/completions`, `/embeddings`) with the endpoint's name as `model`, and `"stream": true` for
Server-Sent Events (product docs: "Query foundation models", OpenAI client). The endpoint answers as
its `/invocations` route does; a route that does not fit the endpoint's task is refused.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from servingstack.emulator import answering, apierrors, bodies, data_plane, queries
from servingstack.errors import Problem

BASE = "/serving-endpoints"
# OpenAI route -> the query kind it asks of the endpoint.
ROUTES = {
    f"{BASE}/chat/completions": queries.CHAT,
    f"{BASE}/completions": queries.COMPLETIONS,
    f"{BASE}/embeddings": queries.EMBEDDINGS,
}


def add_routes(app: web.Application, workspace_key: Any) -> None:
    """Register the routes; `workspace_key` is the app key under which the `Workspace` lives."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _query(request, request.app[workspace_key], ROUTES[request.path.rstrip("/")])

    for path in ROUTES:
        app.router.add_post(path, handle)


async def _query(request: web.Request, workspace: Any, kind: str) -> web.StreamResponse:
    started = time.perf_counter()
    body = bodies.read_json(await request.read())
    if not isinstance(body, dict):
        raise apierrors.invalid("query body must be a JSON object")
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise apierrors.invalid_problems([Problem("model", "is required: the name of the serving endpoint")])
    endpoint = workspace.endpoints.get(name)
    data_plane.refuse_workspace_query(endpoint)
    config = endpoint.active  # during an update the old config keeps answering
    if config is None:
        raise apierrors.endpoint_not_ready(endpoint.name)
    served = queries.query_kind(endpoint.task)
    if served != kind:
        raise apierrors.invalid(
            f"Endpoint {endpoint.name} serves {endpoint.task or 'a custom model'}: "
            f"it does not answer {request.path.rstrip('/')}."
        )
    # `model` names the endpoint here; everything else is the endpoint's own query.
    query = queries.parse_query(endpoint.task, {k: v for k, v in body.items() if k != "model"})
    entity = config.entity(workspace.draw_entity(config))
    if entity is None:
        raise apierrors.entity_not_found(endpoint.name, "")
    return await answering.answer(request, workspace, endpoint.name, entity, query, started)
