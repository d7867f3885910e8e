"""The checks of a workspace URL and of a number of seconds, before anything connects: plain
Python, so a command checks its options before it loads an HTTP library or the SDK."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from servingstack.client.errors import UsageError


def check_timeout(seconds: float, option: str = "--timeout") -> float:
    """A positive, finite number of seconds (`nan` and `inf` would never end a wait)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{option}: must be a positive, finite number of seconds, not {seconds!r}")
    return float(seconds)


def check_host_url(url: str, option: str = "--host") -> str:
    """A workspace URL with a scheme and without credentials in it (they would end up in logs)."""
    text = url.strip()
    parts = urlsplit(text)
    if "@" in parts.netloc:
        shown = f"{parts.scheme}://***@{parts.netloc.rpartition('@')[2]}" if parts.scheme else "***@..."
        raise UsageError(
            f"{option}: credentials in the URL are refused ({shown}); pass the token with --token "
            "or DATABRICKS_TOKEN instead"
        )
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # `host:443` parses as scheme "host": look at the text, not the parse.
        bare = text.split("://", 1)[-1].lstrip("/") or "<workspace>"
        raise UsageError(f"{option}: {text!r} is not a workspace URL: it needs a scheme, e.g. https://{bare}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise UsageError(f"{option}: {text!r} has a port that is not a number") from None
    return text.rstrip("/")
