"""What happens to every request before its handler, outermost first: turn errors into the
Databricks error shape; check the bearer token, then count the request; apply injected faults.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from servingstack.emulator import admin, apierrors
from servingstack.emulator.faults import DROP, SERVER_ERRORS, THROTTLE, Fault
from servingstack.emulator.workspace import Workspace

log = logging.getLogger("servingstack.emulator")

WORKSPACE_KEY = web.AppKey("workspace", Workspace)
DATA_PLANE_KEY = web.AppKey("data_plane", bool)  # set on the data plane's app: every request is a query
API = "/api/2.0/serving-endpoints"
WELL_KNOWN = "/.well-known/databricks-config"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except apierrors.ApiError as error:
        return error_response(error)
    except web.HTTPNotFound:
        return error_response(apierrors.no_such_route(request.method, request.path))
    except web.HTTPMethodNotAllowed:
        return error_response(apierrors.method_not_allowed(request.method, request.path))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(apierrors.ApiError(error.status, error.reason.upper().replace(" ", "_"), error.reason))
    except RecursionError:
        # json (and anything walking a body) recurses per level: a body nested that deep is the
        # client's mistake, not the server's.
        return error_response(apierrors.malformed("Request body is nested too deeply to be parsed."))
    except ConnectionError:
        # The client went away mid-request (a reset, a closed connection while its body was read):
        # nobody is left to answer, and nothing failed here.
        log.debug("client disconnected during %s %s", request.method, request.path)
        raise asyncio.CancelledError() from None
    except Exception:
        log.exception("internal error answering %s %s", request.method, request.path)
        return error_response(apierrors.ApiError(500, "INTERNAL_ERROR", "The emulator failed to answer this request."))


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only requests with a valid token (or a public one that succeeds: discovery, a token issued)
    are counted: a request without a valid credential leaves nothing behind, whatever its path."""
    workspace = request.app[WORKSPACE_KEY]
    if _is_public(request.path):
        response = await handler(request)
        if response.status < 400:
            workspace.requests.record(request.method, request.path)
        return response
    if not workspace.authorizes(request.headers.get("Authorization")):
        raise apierrors.unauthenticated()
    if not request.path.startswith(admin.PREFIX):
        workspace.requests.record(request.method, request.path)
    return await handler(request)


@web.middleware
async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    workspace = request.app[WORKSPACE_KEY]
    if not workspace.faults or _is_public(request.path) or request.path.startswith(admin.PREFIX):
        return await handler(request)
    is_query = request.path.startswith("/serving-endpoints/") or request.app.get(DATA_PLANE_KEY, False)
    scope = "query" if is_query else "control"
    planned = workspace.faults.take(await _endpoint_of(request, workspace), scope)
    if planned.delay:
        # The whole request has arrived: it is answered even if its client leaves meanwhile, as a
        # slow server would (aiohttp keeps the body it read for the handler).
        await request.read()
        await asyncio.sleep(planned.delay)
    if planned.action is not None:
        act_on_fault(request, planned.action)
    return await handler(request)


def _is_public(path: str) -> bool:
    """Discovery and the OAuth token endpoint: reachable without a bearer token."""
    return path == WELL_KNOWN or path.startswith("/oidc/")


async def _endpoint_of(request: web.Request, workspace: Workspace) -> str | None:
    """The endpoint a request is about, for faults aimed at one endpoint."""
    if "name" in request.match_info:
        return request.match_info["name"]
    if "id" in request.match_info:
        return workspace.endpoints.name_of(request.match_info["id"])
    if request.method == "POST" and request.path in (API, f"{API}/pt"):
        try:  # aiohttp keeps the body, so the handler can still read it
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return None
        return body.get("name") if isinstance(body, dict) else None
    return None


def act_on_fault(request: web.Request, fault: Fault) -> None:
    if fault.kind == DROP:
        # Close the connection without a response, like a proxy or a crashed worker would.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError()
    if fault.kind == THROTTLE:
        raise apierrors.ApiError(
            429,
            "REQUEST_LIMIT_EXCEEDED",
            "Too many requests: the request rate limit was exceeded. Retry later.",
            headers={"Retry-After": str(fault.retry_after)},
        )
    if fault.kind == SERVER_ERRORS:
        if fault.status == 503:
            raise apierrors.ApiError(503, "TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable.")
        raise apierrors.ApiError(fault.status, "INTERNAL_ERROR", "Internal error while handling the request.")


def error_response(error: apierrors.ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


MIDDLEWARES = [errors_middleware, auth_middleware, faults_middleware]
