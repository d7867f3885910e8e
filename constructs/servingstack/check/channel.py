"""The checker's queries, sent where each endpoint takes them (`client.data_plane` decides where).

A workspace route (`/serving-endpoints/{name}/invocations`, and `/served-models/{entity}/invocations`
for one entity) goes through the SDK's `ApiClient` with the run's credentials; a route-optimized
endpoint's queries go to its route-optimized URL with a data-plane token from the SDK's token
exchange. Either way the raw answer is kept (a `Capture`), so an answer that is not JSON is
reported as what it is, and the body comes back as the server sent it, with the
`served-model-name` header that says who answered.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from databricks.sdk import WorkspaceClient

from servingstack.check import smoke
from servingstack.client.answers import Capture, not_json
from servingstack.client.data_plane import (
    Authorize,
    DataPlaneCredentials,
    QueryRoute,
    oauth_required_message,
)
from servingstack.facts.route_optimized import WORKSPACE_URL_CUTOFF


class QueryChannel:
    def __init__(self, client: WorkspaceClient):
        self.client = client
        self.credentials = DataPlaneCredentials(client.config)

    def route(self, name: str, live: dict[str, Any]) -> tuple[QueryRoute, str | None, str | None]:
        """Where `live`'s queries go, a note on the choice, and why they cannot be sent (None: they can)."""
        route = QueryRoute.of(name, live)
        if not route.on_data_plane or self.credentials.oauth_available():
            return route, None, None
        if route.created_before_cutoff:
            return (
                route.to_workspace(),
                f"route-optimized, created before {WORKSPACE_URL_CUTOFF:%Y-%m-%d}: queried on the workspace URL, "
                "which it still answers (its route-optimized URL needs an OAuth token)",
                None,
            )
        return route, None, oauth_required_message(self.client.config.auth_type)

    def _auth(self, route: QueryRoute, capture: Capture) -> tuple[Authorize, dict[str, str]]:
        if route.on_data_plane:
            authorize, headers = self.credentials.authorize(route)
            return (lambda request: capture.attach(authorize(request))), headers

        def workspace(request: requests.PreparedRequest) -> requests.PreparedRequest:
            request.headers.update(self.client.config.authenticate())  # what the SDK's own auth does
            return capture.attach(request)

        return workspace, {}

    def send(self, route: QueryRoute, body: dict[str, Any], entity: str | None = None) -> smoke.Answer:
        """One query (to one served entity's own route when `entity` is given), timed."""
        if entity is not None and not route.per_entity:
            raise ValueError(f"{route.endpoint} takes no per-entity query on its route-optimized URL")
        capture = Capture()
        auth, extra = self._auth(route, capture)
        url, path = None, None
        if route.on_data_plane:
            url = str(route.url)
        else:
            path = route.entity_path(entity) if entity else route.workspace_path
        started = time.perf_counter()
        try:
            response = self.client.api_client.do(
                "POST",
                path=path,
                url=url,
                body=body,
                headers={"Accept": "application/json", "Content-Type": "application/json", **extra},
                response_headers=["served-model-name"],
                auth=auth,
            )
        except Exception:
            # An answer that is not JSON (a gateway's page) is described as what it is, whatever
            # the SDK made of it; anything else (a JSON error, a dropped connection) as it was raised.
            described = not_json(capture.response)
            if described is not None:
                raise described from None
            raise
        latency = (time.perf_counter() - started) * 1000
        described = not_json(capture.response)
        if described is not None:  # e.g. an empty 200
            raise described
        served_by = None
        if isinstance(response, dict):
            response = dict(response)
            served_by = response.pop("served-model-name", None)
        return smoke.Answer(body=response, served_by=served_by, latency_ms=latency)

    def stream(self, route: QueryRoute, body: dict[str, Any], timeout: float) -> smoke.StreamOutcome:
        capture = Capture()
        auth, extra = self._auth(route, capture)
        url = str(route.url) if route.on_data_plane else f"{self.client.config.host}{route.workspace_path}"
        return smoke.stream(url, extra, auth, body, timeout)
