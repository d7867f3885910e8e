"""The emulator's one credential: a bearer token (a personal access token stand-in)."""

from __future__ import annotations

import hmac
import os

TOKEN_ENV = "SERVINGSTACK_EMULATOR_TOKEN"

# A fixed, documented token for local development only: the emulator binds to
# loopback by default and holds no real data.
DEFAULT_TOKEN = "servingstack-emulator-dev-token"

# The user every request acts as: it creates endpoints and keeps CAN_MANAGE on them.
CURRENT_USER = "dev@servingstack.local"


def resolve_token(explicit: str | None = None) -> str:
    """The token to use: an explicit one, else the environment, else the dev token."""
    return explicit or os.environ.get(TOKEN_ENV) or DEFAULT_TOKEN


def is_authorized(header: str | None, token: str) -> bool:
    """True when `header` is exactly `Bearer <token>` (compared in constant time)."""
    if not header:
        return False
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())
