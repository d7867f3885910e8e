"""A minimal OAuth server, so OAuth clients work too: machine-to-machine tokens and the
data-plane token exchange that `serving_endpoints_data_plane.query` performs.

- `GET /.well-known/databricks-config` (server.py) names `oidc_endpoint` (`<host>/oidc`) and the
  workspace id: databricks-sdk 0.162 finds the OAuth server only there (`Config._resolve_host_metadata`;
  without it an `oauth-m2m` client cannot be built).
- `GET /oidc/.well-known/oauth-authorization-server`: the discovery document.
- `POST /oidc/v1/token`, `grant_type=client_credentials`: any client id; the client secret is the
  emulator's token. A workspace (control-plane) token; with `authorization_details`, a data-plane
  token for the endpoints they name instead.
- `POST /oidc/v1/token`, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`: exchanges an
  OAuth token the emulator issued (`assertion`) for a data-plane token scoped to the endpoints
  the `authorization_details` name, as `databricks.sdk.data_plane.DataPlaneEndpointTokenSource`
  asks. A personal access token cannot be exchanged: route-optimized endpoints take "only OAuth
  tokens" (`facts.route_optimized`). Details that do not name an endpoint of this workspace are
  `invalid_authorization_details` (the error code of RFC 9396, OAuth Rich Authorization Requests,
  section 5, which `authorization_details` comes from).
Issued tokens are random and accepted until the emulator stops: workspace tokens by the workspace
API, data-plane tokens only by the data plane, for their endpoints.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading

from aiohttp import web

from servingstack.facts.route_optimized import endpoint_ids_in

DISCOVERY_PATH = "/oidc/.well-known/oauth-authorization-server"
TOKEN_PATH = "/oidc/v1/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME_SECONDS = 3600


class IssuedTokens:
    """Tokens handed out by the token endpoint: workspace tokens, and data-plane tokens with the
    endpoint ids they may query. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._data_plane: dict[str, frozenset[str]] = {}

    def issue(self, endpoints: frozenset[str] | None = None) -> str:
        """A workspace token, or (with `endpoints`) a data-plane token for those endpoint ids."""
        token = f"emu-oauth-{secrets.token_hex(16)}" if endpoints is None else f"emu-dp-{secrets.token_hex(16)}"
        with self._lock:
            if endpoints is None:
                self._tokens.add(token)
            else:
                self._data_plane[token] = endpoints
        return token

    def __contains__(self, token: str) -> bool:
        """A workspace token this server issued (a data-plane token is not one)."""
        with self._lock:
            return token in self._tokens

    def data_plane_scope(self, token: str) -> frozenset[str] | None:
        """The endpoint ids a data-plane token may query; None: not a data-plane token."""
        with self._lock:
            return self._data_plane.get(token)


def add_routes(app: web.Application, workspace_key: web.AppKey) -> None:
    async def discovery(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}/oidc"
        return web.json_response(
            {"issuer": base, "authorization_endpoint": f"{base}/v1/authorize", "token_endpoint": f"{base}/v1/token"}
        )

    async def token(request: web.Request) -> web.Response:
        workspace = request.app[workspace_key]
        form = await request.post()
        grant = form.get("grant_type")
        details = form.get("authorization_details")
        if grant == "client_credentials":
            if not _client_secret_matches(request.headers.get("Authorization"), form, workspace.token):
                return _oauth_error(401, "invalid_client", "Client authentication failed")
        elif grant == JWT_BEARER:
            assertion = str(form.get("assertion") or "")
            if workspace.accepts(assertion) and assertion not in workspace.issued:
                return _oauth_error(
                    400,
                    "invalid_grant",
                    "A personal access token cannot be exchanged: route-optimized endpoints take only OAuth tokens",
                )
            if assertion not in workspace.issued:
                return _oauth_error(401, "invalid_grant", "The assertion is not a valid token")
            if details is None:
                return _oauth_error(400, "invalid_request", "authorization_details is required for this exchange")
        else:
            return _oauth_error(400, "unsupported_grant_type", f"Grant type {grant!r} is not supported")
        scope: frozenset[str] | None = None
        if details is not None:
            ids = endpoint_ids_in(str(details))
            if not ids or any(workspace.endpoints.name_of(i) is None for i in ids):
                return _oauth_error(
                    400, "invalid_authorization_details", "User is not authorized to the requested authorizations"
                )
            scope = frozenset(ids)
        return web.json_response(
            {
                "access_token": workspace.issued.issue(scope),
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "scope": str(form.get("scope") or "all-apis"),
            }
        )

    app.router.add_get(DISCOVERY_PATH, discovery)
    app.router.add_post(TOKEN_PATH, token)


def _client_secret_matches(header: str | None, form, expected: str) -> bool:
    secret = form.get("client_secret")
    if header and header.lower().startswith("basic "):
        try:
            _, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
    return bool(secret) and hmac.compare_digest(str(secret).encode(), expected.encode())


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)
