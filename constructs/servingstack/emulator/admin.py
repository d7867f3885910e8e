"""Admin routes under `/_emulator/`: control a running emulator from another process.

They need the same bearer token as the API, are never subject to faults and are not
counted as API calls.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from servingstack.emulator import apierrors, bodies
from servingstack.emulator.callers import check_traffic
from servingstack.emulator.defaults import MAX_DEPLOY_SECONDS
from servingstack.emulator.faults import Fault, FaultSpecError, check_seconds

PREFIX = "/_emulator/"


def add_routes(app: web.Application, workspace_key: web.AppKey) -> None:
    def workspace(request: web.Request):
        return request.app[workspace_key]

    async def list_faults(request: web.Request) -> web.Response:
        return web.json_response({"faults": workspace(request).faults.describe()})

    async def add_fault(request: web.Request) -> web.Response:
        body = bodies.read_json(await request.read())
        try:
            fault = Fault.from_dict(body)
        except FaultSpecError as error:
            raise apierrors.invalid(f"Invalid fault: {error}") from None
        workspace(request).add_fault(fault)
        return web.json_response({"faults": workspace(request).faults.describe()})

    async def clear_faults(request: web.Request) -> web.Response:
        workspace(request).clear_faults()
        return web.json_response({"faults": []})

    async def set_deploy_seconds(request: web.Request) -> web.Response:
        body = bodies.read_json(await request.read())
        seconds = body.get("seconds") if isinstance(body, dict) else None
        endpoint = body.get("endpoint") if isinstance(body, dict) else None
        try:
            seconds = check_seconds(seconds, "seconds", maximum=MAX_DEPLOY_SECONDS)
        except FaultSpecError as error:
            raise apierrors.invalid(str(error)) from None
        if endpoint is not None and not isinstance(endpoint, str):
            raise apierrors.invalid("endpoint: must be an endpoint name")
        workspace(request).endpoints.set_deploy_seconds(float(seconds), endpoint)
        return web.json_response({"seconds": seconds, "endpoint": endpoint})

    async def set_update_seconds(request: web.Request) -> web.Response:
        body = bodies.read_json(await request.read())
        seconds = body.get("seconds") if isinstance(body, dict) else None
        endpoint = body.get("endpoint") if isinstance(body, dict) else None
        try:
            seconds = check_seconds(seconds, "seconds", maximum=MAX_DEPLOY_SECONDS)
        except FaultSpecError as error:
            raise apierrors.invalid(str(error)) from None
        if endpoint is not None and not isinstance(endpoint, str):
            raise apierrors.invalid("endpoint: must be an endpoint name")
        workspace(request).endpoints.set_update_seconds(float(seconds), endpoint)
        return web.json_response({"seconds": seconds, "endpoint": endpoint})

    async def list_traffic(request: web.Request) -> web.Response:
        return web.json_response({"callers": workspace(request).callers})

    async def set_traffic(request: web.Request) -> web.Response:
        body = bodies.read_json(await request.read())
        try:
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            wanted = check_traffic(body.get("endpoint"), body.get("per_second"))
        except ValueError as error:
            raise apierrors.invalid(str(error)) from None
        callers = workspace(request).callers
        for endpoint, per_second in wanted.items():
            if per_second:
                callers[endpoint] = per_second
            else:
                callers.pop(endpoint, None)
        return web.json_response({"callers": callers})

    async def request_count(request: web.Request) -> web.Response:
        count = workspace(request).requests.count(request.query.get("method"), request.query.get("path_prefix"))
        return web.json_response({"count": count})

    async def set_signature(request: web.Request) -> web.Response:
        body: Any = bodies.read_json(await request.read())
        entity_name = body.get("entity_name") if isinstance(body, dict) else None
        columns = body.get("columns") if isinstance(body, dict) else None
        if not isinstance(entity_name, str) or not entity_name:
            raise apierrors.invalid("entity_name: must be a model name")
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise apierrors.invalid("columns: must map column names to types")
        workspace(request).set_model_signature(entity_name, columns)
        return web.json_response({"entity_name": entity_name, "columns": columns})

    r = app.router
    r.add_get(f"{PREFIX}faults", list_faults)
    r.add_post(f"{PREFIX}faults", add_fault)
    r.add_delete(f"{PREFIX}faults", clear_faults)
    r.add_put(f"{PREFIX}deploy-seconds", set_deploy_seconds)
    r.add_put(f"{PREFIX}update-seconds", set_update_seconds)
    r.add_get(f"{PREFIX}traffic", list_traffic)
    r.add_put(f"{PREFIX}traffic", set_traffic)
    r.add_get(f"{PREFIX}requests", request_count)
    r.add_put(f"{PREFIX}signatures", set_signature)
