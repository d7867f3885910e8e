"""Where an endpoint takes queries, and with which credentials: the one place that decides it.

The facts (`facts.route_optimized`, from the Databricks docs "Query route-optimized serving
endpoints"): route-optimized endpoints created from 2025-09-22 take queries only on their
route-optimized URL, and only with OAuth tokens; older ones still answer on the workspace URL.

The URL and what the token must be scoped to come with the endpoint (`GET
/api/2.0/serving-endpoints/{name}`: `data_plane_info.query_info.{endpoint_url, authorization_details}`,
SDK 0.162 `DataPlaneInfo`, the fields `ServingEndpointsDataPlaneAPI.query` reads). The token is the
SDK's own exchange (`databricks.sdk.data_plane.DataPlaneTokenSource`, built as `WorkspaceClient` builds
it for `serving_endpoints_data_plane`): `POST {host}/oidc/v1/token` with the jwt-bearer grant, those
authorization details and the run's OAuth token as the assertion. The query then goes to that URL
with the data-plane token, as `ServingEndpointsDataPlaneAPI.query` sends it (`X-Databricks-Workspace-Id`
when the workspace id is known), but through `ApiClient.do` so any body can be sent and the answer
is read as it came (the SDK's method takes typed fields and drops unknown ones of the answer).

Per served entity: the docs give the route-optimized URL of the endpoint only
(`.../serving-endpoints/<name>/invocations`). Nothing documents `/served-models/<entity>/invocations`
on it, nor says it is absent (SDK 0.162 never sends one; databricks-sdk-py issue #1043 asks for
per-entity queries). DECISION (unconfirmed, made here only: `PER_ENTITY_ON_DATA_PLANE`): the checker
sends no per-entity query to a route-optimized URL. An entity that takes all the traffic is answered
by the endpoint's own URL; the others are skipped with that reason, and expectations run on the
endpoint's URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from databricks.sdk.config import Config
from databricks.sdk.data_plane import DataPlaneTokenSource

from servingstack.facts.route_optimized import workspace_url_answers

PER_ENTITY_ON_DATA_PLANE = False  # see the module's docstring: undocumented, not used


class OAuthRequired(Exception):
    """The endpoint takes only OAuth tokens, and the run has none (a personal access token)."""


def oauth_required_message(auth_type: str | None) -> str:
    """The one line that says why a route-optimized endpoint cannot be queried, and what would do."""
    return (
        f"route-optimized: it takes queries only on its route-optimized URL and only with an OAuth token, "
        f"and this run authenticates with {auth_type or 'a non-OAuth method'}: run the check as a service "
        "principal with OAuth M2M (DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or a profile with "
        "client_id and client_secret) or as a user signed in with `databricks auth login`"
    )


@dataclass(frozen=True)
class QueryRoute:
    """Where one endpoint's queries go: its workspace path, or its route-optimized URL."""

    endpoint: str
    url: str | None = None  # the route-optimized invocations URL (data_plane_info.query_info.endpoint_url)
    authorization_details: str | None = None
    route_optimized: bool = False
    created_before_cutoff: bool = False  # the workspace URL answers too

    @classmethod
    def of(cls, name: str, live: dict[str, Any]) -> QueryRoute:
        info = (live.get("data_plane_info") or {}).get("query_info") or {}
        created = live.get("creation_timestamp")
        before = workspace_url_answers(int(created) if isinstance(created, (int, float)) else None)
        return cls(
            endpoint=name,
            url=info.get("endpoint_url") or live.get("endpoint_url") or None,
            authorization_details=info.get("authorization_details"),
            route_optimized=bool(live.get("route_optimized")),
            created_before_cutoff=before,
        )

    @property
    def workspace_path(self) -> str:
        return f"/serving-endpoints/{self.endpoint}/invocations"

    def entity_path(self, entity: str) -> str:
        """The workspace's per-entity route ("Query individual models behind an endpoint")."""
        return f"/serving-endpoints/{self.endpoint}/served-models/{entity}/invocations"

    def to_workspace(self) -> QueryRoute:
        return QueryRoute(self.endpoint)

    @property
    def on_data_plane(self) -> bool:
        return self.route_optimized

    @property
    def per_entity(self) -> bool:
        """Whether served entities can be queried one by one on this route."""
        return not self.on_data_plane or PER_ENTITY_ON_DATA_PLANE


Authorize = Callable[[requests.PreparedRequest], requests.PreparedRequest]


class DataPlaneCredentials:
    """The run's data-plane tokens: one SDK token source for the whole run (it keeps a token per
    endpoint URL and authorization details, refreshed before it expires), created on first use."""

    def __init__(self, config: Config):
        self._config = config
        self._source: DataPlaneTokenSource | None = None
        self._oauth: bool | None = None

    def oauth_available(self) -> bool:
        """Whether the run's credentials give OAuth tokens (a PAT does not: the SDK says so)."""
        if self._oauth is None:
            try:
                self._config.oauth_token()
                self._oauth = True
            except ValueError:
                self._oauth = False
        return self._oauth

    def authorize(self, route: QueryRoute) -> tuple[Authorize, dict[str, str]]:
        """The `auth` callable and extra headers of one query on `route`'s data plane."""
        if not self.oauth_available():
            raise OAuthRequired(oauth_required_message(self._config.auth_type))
        if not route.url or not route.authorization_details:
            raise ValueError(
                "the endpoint is route-optimized but the workspace gave no data_plane_info.query_info "
                "(endpoint_url, authorization_details) to query it with"
            )
        if self._source is None:
            self._source = DataPlaneTokenSource(self._config.host, self._config.oauth_token, disable_async=True)
        token = self._source.token(route.url, route.authorization_details)

        def authorize(request: requests.PreparedRequest) -> requests.PreparedRequest:
            request.headers["Authorization"] = f"{token.token_type} {token.access_token}"
            return request

        headers = {"X-Databricks-Workspace-Id": str(self._config.workspace_id)} if self._config.workspace_id else {}
        return authorize, headers
