"""The smoke query: a request fitted to what the endpoint serves, and a check of the answer's shape.

The task comes from the live endpoint first (`task`), else its external model, else what the
stack declared; without one the endpoint is a custom model, queried with the declared
`sample_request`, else one made from its OpenAPI document, else not at all (a warning).

Queries are sent by `check.channel` (where the endpoint takes them: its workspace route or its
route-optimized URL). Streaming goes over plain HTTP: the SDK parses a Server-Sent Events body as
JSON and fails.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, cast

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    BadRequest,
    DatabricksError,
    InternalError,
    NotFound,
    PermissionDenied,
    TemporarilyUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from databricks.sdk.errors.platform import STATUS_CODE_MAPPING

from servingstack.check.openapi_sample import sample_request as openapi_sample_request
from servingstack.client.answers import not_json

PROMPT = "Reply with one word: ready?"
CHAT_TASKS = ("llm/v1/chat", "agent/v1/chat")
STREAMING_TASKS = CHAT_TASKS + ("llm/v1/completions",)

_BUILT_IN_REQUESTS: dict[str, dict[str, Any]] = {
    "llm/v1/chat": {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 16},
    "agent/v1/chat": {"messages": [{"role": "user", "content": PROMPT}], "max_tokens": 16},
    "llm/v1/completions": {"prompt": PROMPT, "max_tokens": 16},
    "llm/v1/embeddings": {"input": ["servingstack smoke check"]},
    "agent/v2/chat": {"messages": [{"role": "user", "content": PROMPT}]},
    "agent/v1/responses": {"input": [{"role": "user", "content": PROMPT}]},
}


def choose_task(live: dict[str, Any], declared_task: str | None) -> str | None:
    """Live `task`, else the external models' task, else the declared one; None: a custom model."""
    if live.get("task"):
        return str(live["task"])
    for entity in (live.get("config") or {}).get("served_entities") or []:
        task = (entity.get("external_model") or {}).get("task")
        if task:
            return str(task)
    return declared_task


@dataclass(frozen=True)
class QueryPlan:
    task: str | None
    body: dict[str, Any]
    source: str  # built-in | sample_request | openapi


def plan(
    task: str | None, sample_request: dict[str, Any] | None, fetch_openapi: Callable[[], dict[str, Any] | None]
) -> QueryPlan | None:
    """What to send, or None when there is nothing sensible to send."""
    if sample_request:
        return QueryPlan(task, dict(sample_request), "sample_request")
    if task in _BUILT_IN_REQUESTS:
        return QueryPlan(task, json.loads(json.dumps(_BUILT_IN_REQUESTS[task])), "built-in")
    if task is None:
        document = fetch_openapi()
        body = openapi_sample_request(document) if document else None
        if body:
            return QueryPlan(None, body, "openapi")
    return None


def _keys(value: Any) -> str:
    return ", ".join(sorted(map(str, value))) if isinstance(value, dict) else type(value).__name__


def _first_choice(response: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None, f"no choices[0] in the answer (has: {_keys(response)})"
    return choices[0], None


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def shape_problems(task: str | None, response: Any) -> list[str]:
    """What is wrong with an answer's shape for its task (empty: fine)."""
    if not isinstance(response, dict):
        return [f"the answer is a JSON {type(response).__name__}, not an object"]
    if task in CHAT_TASKS:
        choice, problem = _first_choice(response)
        if problem:
            return [problem]
        assert choice is not None  # no problem: there is a first choice
        content = (choice.get("message") or {}).get("content") if isinstance(choice.get("message"), dict) else None
        return [] if isinstance(content, str) else ["choices[0].message.content is missing or not text"]
    if task == "llm/v1/completions":
        choice, problem = _first_choice(response)
        if problem:
            return [problem]
        assert choice is not None  # no problem: there is a first choice
        return [] if isinstance(choice.get("text"), str) else ["choices[0].text is missing or not text"]
    if task == "llm/v1/embeddings":
        data = response.get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            return [f"no data[0] in the answer (has: {_keys(response)})"]
        vector = data[0].get("embedding")
        if not isinstance(vector, list) or not vector:
            return ["data[0].embedding is missing or empty"]
        return [] if all(_is_number(v) for v in vector) else ["data[0].embedding holds values that are not numbers"]
    if task == "agent/v2/chat":
        messages = response.get("messages")
        ok = isinstance(messages, list) and messages and isinstance(messages[-1], dict)
        return [] if ok else [f"no messages in the answer (has: {_keys(response)})"]
    if task == "agent/v1/responses":
        output = response.get("output")
        return [] if isinstance(output, list) and output else [f"no output in the answer (has: {_keys(response)})"]
    if task is None:
        if "predictions" in response or "outputs" in response:
            return []
        return [f"no predictions in the answer (has: {_keys(response)})"]
    return []  # a task this checker does not know: any JSON object will do


@dataclass
class Answer:
    body: Any
    served_by: str | None
    latency_ms: float


def fetch_openapi(client: WorkspaceClient, endpoint: str) -> dict[str, Any] | None:
    contents = client.serving_endpoints.get_open_api(endpoint).contents
    if contents is None:
        return None
    document = json.loads(contents.read() or b"null")
    return document if isinstance(document, dict) else None


def advice(error: BaseException) -> str:
    """What a query error most likely means, for the person reading the report."""
    if isinstance(error, NotFound):
        return (
            "404: the endpoint does not take queries yet (a new endpoint answers 404 while it provisions), "
            "or the name is wrong"
        )
    if isinstance(error, PermissionDenied):
        return (
            "403: the caller lacks CAN_QUERY on the endpoint (for a Databricks App, declare the endpoint "
            "as an app resource with CAN_QUERY)"
        )
    if isinstance(error, Unauthenticated):
        return "401: the workspace rejected the token"
    if isinstance(error, TooManyRequests):
        return "429: an AI Gateway rate limit (or the workspace's) refused the query: raise the limit or send fewer"
    if isinstance(error, BadRequest):
        return "400: the endpoint rejected the request: check the declared sample_request against the model"
    if isinstance(error, (InternalError, TemporarilyUnavailable)):
        return "the model server failed to answer: read the endpoint's logs"
    return ""


# Streaming --------------------------------------------------------------------------------


@dataclass
class StreamOutcome:
    chunks: int = 0
    done: bool = False
    text: str = ""
    first_chunk_ms: float | None = None
    total_ms: float = 0.0
    problems: list[str] = field(default_factory=list)


def _http_error(response: requests.Response) -> Exception:
    """The SDK's error class for a failed plain-HTTP call, so retries and advice treat it alike
    (a body that is not JSON is described as what it is)."""
    not_json_body = not_json(response)
    if not_json_body is not None:
        return not_json_body
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    retry_after = response.headers.get("Retry-After")
    kind = STATUS_CODE_MAPPING.get(response.status_code, DatabricksError)
    return kind(
        payload.get("message") or f"HTTP {response.status_code}",
        error_code=payload.get("error_code"),
        retry_after_secs=int(retry_after)
        if retry_after and retry_after.isdigit()
        else (1 if response.status_code in (429, 503) else None),
    )


def stream(
    url: str,
    headers: dict[str, str],
    auth: Callable[[requests.PreparedRequest], requests.PreparedRequest] | None,
    body: dict[str, Any],
    timeout: float,
) -> StreamOutcome:
    """Ask for a streamed answer and read it to `data: [DONE]`, checking each chunk."""
    headers = {**headers, "Content-Type": "application/json", "Accept": "text/event-stream"}
    started = time.perf_counter()
    outcome = StreamOutcome()
    with requests.post(
        url, json={**body, "stream": True}, headers=headers, auth=auth, stream=True, timeout=timeout
    ) as response:
        if response.status_code >= 400:
            raise _http_error(response)
        for raw in response.iter_lines(decode_unicode=True):
            # Text: requests decodes a text/* answer (text/event-stream); it yields bytes only without an encoding.
            line = cast(str, raw or "").strip()
            if not line.startswith("data:"):
                continue  # blank separators, comments, event names
            payload = line[len("data:") :].strip()
            if payload == "[DONE]":
                outcome.done = True
                break
            try:
                chunk = json.loads(payload)
            except ValueError:
                outcome.problems.append(f"chunk {outcome.chunks + 1} is not JSON")
                break
            if outcome.first_chunk_ms is None:
                outcome.first_chunk_ms = (time.perf_counter() - started) * 1000
            outcome.chunks += 1
            choices = chunk.get("choices") if isinstance(chunk, dict) else None
            if not isinstance(choices, list) or not choices:
                outcome.problems.append(f"chunk {outcome.chunks} has no choices")
                break
            delta = choices[0].get("delta") or {}
            outcome.text += str(delta.get("content") or choices[0].get("text") or "")
    outcome.total_ms = (time.perf_counter() - started) * 1000
    if outcome.chunks == 0 and not outcome.problems:
        outcome.problems.append("no data chunks in the stream")
    if not outcome.done and not outcome.problems:
        outcome.problems.append("the stream ended without data: [DONE]")
    return outcome


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share in 0..1)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
