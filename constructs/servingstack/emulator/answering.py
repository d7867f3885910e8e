"""One served entity answering a query: its faults, the answer (JSON or streamed events), the
`served-model-name` header and the metrics. The endpoint's own route and the OpenAI-compatible
routes differ only in how they find the endpoint and the entity."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from databricks.sdk.service.serving import ServedEntityInput

from servingstack.emulator import apierrors, queries
from servingstack.emulator.faults import BROKEN_ENTITY
from servingstack.emulator.middleware import act_on_fault
from servingstack.emulator.workspace import Workspace


async def answer(
    request: web.Request,
    workspace: Workspace,
    endpoint: str,
    entity: ServedEntityInput,
    query: queries.Query,
    started: float,
) -> web.StreamResponse:
    name = entity.name
    assert name is not None  # a stored config's entities are all named (`build_config`)
    try:
        await _entity_faults(request, workspace, endpoint, name)
        delay, degraded = workspace.degradation(endpoint, name)
        if delay:
            await asyncio.sleep(delay)
        if degraded is not None:
            raise degraded
    except apierrors.ApiError as error:  # the entity's own failure: the endpoint's metrics count it
        workspace.metrics.record(endpoint, name, error.status, time.perf_counter() - started)
        raise
    model = entity.external_model.name if entity.external_model else (entity.entity_name or name)
    headers = {"served-model-name": name}
    if query.stream:
        response = web.StreamResponse(
            headers={**headers, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        for event in queries.stream_events(query, model):
            await response.write(event)
        await response.write_eof()
    else:
        response = web.json_response(queries.answer(query, model), headers=headers)
    workspace.metrics.record(endpoint, name, 200, time.perf_counter() - started)
    return response


async def _entity_faults(request: web.Request, workspace: Workspace, endpoint: str, entity: str) -> None:
    """Faults aimed at the served entity that answers this query (asked directly or drawn)."""
    planned = workspace.faults.take(endpoint, "query", entity=entity)
    if planned.delay:
        await asyncio.sleep(planned.delay)
    fault = planned.action
    if fault is None:
        return
    if fault.kind == BROKEN_ENTITY:
        code = "TEMPORARILY_UNAVAILABLE" if fault.status == 503 else "INTERNAL_ERROR"
        raise apierrors.ApiError(fault.status, code, fault.message, headers={"served-model-name": entity})
    act_on_fault(request, fault)
