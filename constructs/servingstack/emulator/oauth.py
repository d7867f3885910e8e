"""A minimal OAuth server, so OAuth clients work too: machine-to-machine tokens and the
data-plane token exchange that `serving_endpoints_data_plane.query` performs.

- `GET /oidc/.well-known/oauth-authorization-server`: the discovery document. The
  workspace's `/.well-known/databricks-config` stays `{}`, so clients pass it as
  `discovery_url` (see `Emulator.client(oauth=True)`).
- `POST /oidc/v1/token`, `grant_type=client_credentials`: any client id; the client
  secret is the emulator's token.
- `POST /oidc/v1/token`, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`:
  exchanges a token the emulator accepts for a data-plane token.
Issued tokens are random and accepted like the emulator's token until it stops.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading

from aiohttp import web

DISCOVERY_PATH = "/oidc/.well-known/oauth-authorization-server"
TOKEN_PATH = "/oidc/v1/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME_SECONDS = 3600


class IssuedTokens:
    """Tokens handed out by the token endpoint. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()

    def issue(self) -> str:
        token = f"emu-oauth-{secrets.token_hex(16)}"
        with self._lock:
            self._tokens.add(token)
        return token

    def __contains__(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens


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
        if grant == "client_credentials":
            if not _client_secret_matches(request.headers.get("Authorization"), form, workspace.token):
                return _oauth_error(401, "invalid_client", "Client authentication failed")
        elif grant == JWT_BEARER:
            if not workspace.accepts(str(form.get("assertion") or "")):
                return _oauth_error(401, "invalid_grant", "The assertion is not a valid token")
        else:
            return _oauth_error(400, "unsupported_grant_type", f"Grant type {grant!r} is not supported")
        return web.json_response(
            {
                "access_token": workspace.issued.issue(),
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
