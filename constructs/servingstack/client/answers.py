"""Answers that are not what the REST API speaks: a gateway's HTML error page, a proxy's plain-text
`upstream connect error`, a login page with status 200. Each is described as what it is (status,
content type, a short excerpt), never as a JSON decode error, and its HTTP status decides whether
it is worth another try.

Two ways in. A request the checker sends itself through `ApiClient.do` (the queries) carries a
`Capture`: a `requests` response hook, attached by the request's `auth` callable, that keeps the raw
response before the SDK parses it, so status, content type and body are all known. For the SDK's
typed calls (list, get, ...) only what the SDK's error keeps is left: `not_json_from_sdk` reads it.

Excerpts are short and whitespace-collapsed (tags dropped from HTML); whoever prints them passes
them through `Redactor.clean` like every other text.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

import requests
from databricks.sdk.errors import DatabricksError
from databricks.sdk.errors.platform import STATUS_CODE_MAPPING

EXCERPT_CHARS = 160
# The SDK's message for an error body none of its parsers understood, followed by its request log
# (databricks/sdk/errors/parser.py `_unknown_error`; the log's status line is `< 502 Bad Gateway`).
_UNPARSED = "unable to parse response."
_LOG_STATUS = re.compile(r"^< (\d{3}) ?([^\n]*)$", re.MULTILINE)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
_STATUS_OF_CLASS = {kind: status for status, kind in STATUS_CODE_MAPPING.items()}


class NotJsonAnswer(Exception):
    """An answer whose body is not JSON: `502 Bad Gateway (text/html), not JSON: "502 Bad Gateway nginx"`."""

    def __init__(self, status: int | None, reason: str, content_type: str | None, excerpt: str):
        self.status = status
        self.reason = reason
        self.content_type = content_type
        self.excerpt = excerpt
        head = " ".join(str(part) for part in (status, reason) if part) or "an answer"
        kind = f" ({content_type})" if content_type else ""
        shown = f': "{excerpt}"' if excerpt else " (empty body)"
        super().__init__(f"{head}{kind}, not JSON{shown}")

    @property
    def transient(self) -> bool:
        """A server error (a gateway's 502, a proxy's 503) may pass; 501 Not Implemented will not."""
        return self.status is not None and self.status >= 500 and self.status != 501


def excerpt(body: bytes | str, content_type: str | None = None, limit: int = EXCERPT_CHARS) -> str:
    """The start of a body, readable on one line."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if "html" in (content_type or "").lower() or text.lstrip()[:1] == "<":
        text = _TAGS.sub(" ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def not_json(response: requests.Response | None) -> NotJsonAnswer | None:
    """The description of `response` when its body is not JSON (an empty body included); else None."""
    if response is None:
        return None
    body = response.content or b""
    if body.strip() and _is_json(body):
        return None
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip() or None
    return NotJsonAnswer(response.status_code, response.reason or "", content_type, excerpt(body, content_type))


class Capture:
    """Keeps the raw response of one request (its `response` hook), before the SDK reads it."""

    def __init__(self) -> None:
        self.response: requests.Response | None = None

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.response = response
        return response

    def attach(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.register_hook("response", self._hook)
        return request


def http_status(error: BaseException) -> int | None:
    """The HTTP status behind an SDK error: its class (`InternalError` -> 500), else an error code
    that is a status name (the SDK makes `BAD_GATEWAY` of an HTML 502 page it could read)."""
    if isinstance(error, NotJsonAnswer):
        return error.status
    for kind in type(error).__mro__:
        if kind in _STATUS_OF_CLASS:
            return _STATUS_OF_CLASS[kind]
    code = getattr(error, "error_code", None)
    if isinstance(code, str) and code in HTTPStatus.__members__:
        return HTTPStatus[code].value
    if isinstance(error, DatabricksError) and str(error).startswith(_UNPARSED):
        found = _LOG_STATUS.search(str(error))
        return int(found.group(1)) if found else None
    return None


def not_json_from_sdk(error: BaseException) -> NotJsonAnswer | None:
    """What the SDK's own calls kept of an answer that was not JSON: a 2xx body that would not
    decode, or an error body none of its parsers read (its request log holds status and body)."""
    if isinstance(error, NotJsonAnswer):
        return error
    if isinstance(error, requests.exceptions.JSONDecodeError):
        return NotJsonAnswer(None, "a 2xx answer", None, excerpt(error.doc or ""))
    if isinstance(error, DatabricksError) and str(error).startswith(_UNPARSED):
        log = str(error)
        found = _LOG_STATUS.search(log)
        if found is None:
            return NotJsonAnswer(None, "", None, "")
        lines = log[found.end() :].strip().removesuffix("```").splitlines()
        body = "\n".join(line.removeprefix("< ").removeprefix("<") for line in lines)
        return NotJsonAnswer(int(found.group(1)), found.group(2).strip(), None, excerpt(body))
    return None
