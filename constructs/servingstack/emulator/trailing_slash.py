"""Every route also answers with a trailing slash (`/api/2.0/serving-endpoints/`), as the service
does: clients of the REST API other than `databricks-sdk` build paths by joining parts, and some
keep the slash."""

from __future__ import annotations

from aiohttp import web


def add_twins(app: web.Application) -> None:
    """Register `<path>/` for every route `<path>` of the app, with the same handler."""
    router = app.router
    known = {resource.canonical for resource in router.resources()}
    twins = []
    for resource in router.resources():
        path = resource.canonical
        if path.endswith("/") or f"{path}/" in known:
            continue
        twins += [(route.method, f"{path}/", route.handler) for route in resource if route.method != "HEAD"]
    for method, path, handler in twins:
        router.add_route(method, path, handler)
