"""Answers to queries, by endpoint task.

Chat, completions and embeddings answer in the OpenAI-compatible shapes; custom models
answer `{"predictions": [...]}` with one prediction per input row. Answers are
deterministic functions of the input, so tests can compare them.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from databricks.sdk.service.serving import ServingEndpointsAPI

from servingstack.emulator import apierrors, bodies, tasks
from servingstack.errors import Problem

CUSTOM_INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
EMBEDDING_DIMENSIONS = 16

CHAT = "chat"
COMPLETIONS = "completions"
EMBEDDINGS = "embeddings"
CUSTOM = "custom"


@dataclass(frozen=True)
class Query:
    kind: str
    body: dict[str, Any]

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


def query_kind(task: str | None) -> str:
    if task is None:
        return CUSTOM
    if task == tasks.EMBEDDINGS:
        return EMBEDDINGS
    if task == tasks.COMPLETIONS:
        return COMPLETIONS
    return CHAT  # llm/v1/chat and the agent chat tasks


def parse_query(task: str | None, body: Any) -> Query:
    """Check a query body against the endpoint's task; 400 INVALID_PARAMETER_VALUE naming the field."""
    if not isinstance(body, dict):
        raise apierrors.invalid("query body must be a JSON object")
    # The JSON types of the SDK's `query`; a chat message's content may also be a list of parts.
    bodies.check_types(body, ServingEndpointsAPI.query, "name", loose=("messages[].content",))
    query = Query(query_kind(task), body)
    problems = _CHECKS[query.kind](body)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        problems.append(Problem("stream", "must be a boolean"))
    elif stream and query.kind not in (CHAT, COMPLETIONS):
        problems.append(Problem("stream", f"streaming is only supported for chat and completions, not {query.kind}"))
    if problems:
        raise apierrors.invalid_problems(problems)
    return query


def _check_chat(body: dict[str, Any]) -> list[Problem]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [Problem("messages", "a chat query needs a non-empty list of messages")] + _check_sampling(body)
    problems = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            problems.append(Problem(f"messages[{i}].role", "every message needs a role"))
        elif not isinstance(message.get("content"), (str, list)):
            problems.append(Problem(f"messages[{i}].content", "every message needs a content"))
    return problems + _check_sampling(body)


def _check_completions(body: dict[str, Any]) -> list[Problem]:
    problems = []
    prompt = body.get("prompt")
    if not (
        isinstance(prompt, str) or (isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt))
    ):
        problems.append(Problem("prompt", "a completions query needs a prompt string or a list of strings"))
    return problems + _check_sampling(body)


def _check_sampling(body: dict[str, Any]) -> list[Problem]:
    problems = []
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        problems.append(Problem("max_tokens", "must be a positive integer"))
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 5):
        problems.append(Problem("n", "must be an integer between 1 and 5"))
    temperature = body.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2
    ):
        problems.append(Problem("temperature", "must be a number between 0.0 and 2.0"))
    return problems


def _check_embeddings(body: dict[str, Any]) -> list[Problem]:
    value = body.get("input")
    if isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        return []
    return [Problem("input", "an embeddings query needs an input string or a list of strings")]


def _check_custom(body: dict[str, Any]) -> list[Problem]:
    present = [key for key in CUSTOM_INPUT_KEYS if key in body]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        return [Problem("", f"exactly one of {', '.join(CUSTOM_INPUT_KEYS)} must be present (found: {found})")]
    key = present[0]
    value = body[key]
    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            return [Problem("dataframe_split.data", "must be a list of rows")]
        columns = value.get("columns")
        if columns is not None and not isinstance(columns, list):
            return [Problem("dataframe_split.columns", "must be a list of column names")]
    elif key in ("dataframe_records", "instances") and not isinstance(value, list):
        return [Problem(key, "must be a list")]
    return []


_CHECKS = {CHAT: _check_chat, COMPLETIONS: _check_completions, EMBEDDINGS: _check_embeddings, CUSTOM: _check_custom}


# -- answers ---------------------------------------------------------------------------


def answer(query: Query, model: str) -> dict[str, Any]:
    """The JSON answer of `model` (the served entity's model name) to a query."""
    return _ANSWERS[query.kind](query.body, model)


def _chat(body: dict[str, Any], model: str) -> dict[str, Any]:
    reply = _reply_text(body, model)
    n = body.get("n") or 1
    prompt_tokens = sum(_tokens(_content_text(m.get("content"))) for m in body["messages"])
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"} for i in range(n)
        ],
        "usage": _usage(prompt_tokens, _tokens(reply) * n),
    }


def _completions(body: dict[str, Any], model: str) -> dict[str, Any]:
    prompts = [body["prompt"]] if isinstance(body["prompt"], str) else body["prompt"]
    n = body.get("n") or 1
    choices: list[dict[str, Any]] = []
    for prompt in prompts:
        text = _limit(f"completion of '{prompt}' by {model}", body.get("max_tokens"))
        choices += [{"index": len(choices), "text": text, "finish_reason": "stop", "logprobs": None} for _ in range(n)]
    return {
        "id": f"cmpl-{uuid.uuid4().hex}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": _usage(sum(map(_tokens, prompts)), sum(_tokens(c["text"]) for c in choices)),
    }


def _embeddings(body: dict[str, Any], model: str) -> dict[str, Any]:
    texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
    tokens = sum(map(_tokens, texts))
    return {
        "object": "list",
        "model": model,
        "data": [{"object": "embedding", "index": i, "embedding": embedding(text)} for i, text in enumerate(texts)],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _custom(body: dict[str, Any], model: str) -> dict[str, Any]:
    return {"predictions": [_prediction(model, row) for row in input_rows(body)]}


_ANSWERS = {CHAT: _chat, COMPLETIONS: _completions, EMBEDDINGS: _embeddings, CUSTOM: _custom}


def input_rows(body: dict[str, Any]) -> list[Any]:
    """The rows of a custom-model query, whichever of the four input formats it uses."""
    if "dataframe_split" in body:
        return list(body["dataframe_split"]["data"])
    if "dataframe_records" in body:
        return list(body["dataframe_records"])
    if "instances" in body:
        return list(body["instances"])
    inputs = body["inputs"]
    if isinstance(inputs, list):
        return inputs
    if isinstance(inputs, dict):  # columnar tensors: {"column": [v1, v2, ...], ...}
        columns = [v for v in inputs.values() if isinstance(v, list)]
        if columns:
            return [[column[i] for column in columns if i < len(column)] for i in range(max(map(len, columns)))]
    return [inputs]


def embedding(text: str) -> list[float]:
    """A unit vector that depends only on the text."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(EMBEDDING_DIMENSIONS)]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    return [round(v / norm, 6) for v in raw]


def _prediction(model: str, row: Any) -> float:
    digest = hashlib.sha256(f"{model}|{json.dumps(row, sort_keys=True, default=str)}".encode()).digest()
    return round(int.from_bytes(digest[:4], "big") / 2**32, 6)


def _reply_text(body: dict[str, Any], model: str) -> str:
    last_user = next(
        (m for m in reversed(body["messages"]) if isinstance(m, dict) and m.get("role") == "user"), body["messages"][-1]
    )
    said = _content_text(last_user.get("content")).strip() or "(empty)"
    return _limit(f"Hello from {model}. You said: {said}", body.get("max_tokens"))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _limit(text: str, max_tokens: int | None) -> str:
    return " ".join(text.split()[:max_tokens]) if max_tokens else text


def _tokens(text: str) -> int:
    """A whitespace token count: close enough for usage figures and quotas."""
    return max(1, len(text.split()))


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


# -- streaming -------------------------------------------------------------------------


def stream_events(query: Query, model: str) -> Iterator[bytes]:
    """Server-Sent Events for a streamed chat or completions answer, ending `data: [DONE]`."""
    full = answer(query, model)
    words = (full["choices"][0]["message"]["content"] if query.kind == CHAT else full["choices"][0]["text"]).split(" ")
    chunk_object = "chat.completion.chunk" if query.kind == CHAT else "text_completion"
    for i, word in enumerate(words):
        piece = word if i == len(words) - 1 else word + " "
        if query.kind == CHAT:
            delta = {"content": piece} if i else {"role": "assistant", "content": piece}
            choice = {"index": 0, "delta": delta, "finish_reason": None}
        else:
            choice = {"index": 0, "text": piece, "finish_reason": None}
        yield _event(
            {"id": full["id"], "object": chunk_object, "created": full["created"], "model": model, "choices": [choice]}
        )
    last = (
        {"index": 0, "delta": {}, "finish_reason": "stop"}
        if query.kind == CHAT
        else {"index": 0, "text": "", "finish_reason": "stop"}
    )
    yield _event(
        {
            "id": full["id"],
            "object": chunk_object,
            "created": full["created"],
            "model": model,
            "choices": [last],
            "usage": full["usage"],
        }
    )
    yield b"data: [DONE]\n\n"


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"
