"""The OpenAPI 3 document of an endpoint's query API (`GET .../{name}/openapi`).

Custom models describe a `dataframe_split` request with the columns of the model's
signature (recorded with `Emulator.set_model_signature`, else a default one); LLM
tasks describe their OpenAI-compatible request. Each operation carries an example,
which is a ready-made smoke query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servingstack.emulator import queries
from servingstack.emulator.state import Endpoint, ServedConfig

DEFAULT_SIGNATURE: Mapping[str, str] = {"feature_0": "double", "feature_1": "double", "feature_2": "double"}

_JSON_TYPES = {
    "double": "number",
    "float": "number",
    "long": "integer",
    "integer": "integer",
    "boolean": "boolean",
    "string": "string",
    "binary": "string",
    "datetime": "string",
}
_EXAMPLE_VALUES = {"number": 0.5, "integer": 1, "boolean": True, "string": "example"}


def document(endpoint: Endpoint, base_url: str, signatures: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    pending = endpoint.deployment.config if endpoint.deployment is not None else None
    config: ServedConfig | None = endpoint.active or pending
    entities = config.entities if config else []
    kind = queries.query_kind(endpoint.task)
    paths: dict[str, Any] = {}
    for index, entity in enumerate(entities):
        signature = signatures.get(entity.entity_name or "", DEFAULT_SIGNATURE)
        operation = _operation(kind, signature, f"Query served entity {entity.name}")
        if index == 0:
            paths["/invocations"] = {"post": _operation(kind, signature, f"Query endpoint {endpoint.name}")}
        paths[f"/served-models/{entity.name}/invocations"] = {"post": operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": endpoint.name,
            "version": str(config.version if config else 0),
            "description": f"Query API of serving endpoint {endpoint.name}",
        },
        "servers": [{"url": f"{base_url}/serving-endpoints/{endpoint.name}"}],
        "paths": paths,
    }


def _operation(kind: str, signature: Mapping[str, str], summary: str) -> dict[str, Any]:
    request, example, response = _SCHEMAS[kind](signature)
    return {
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": request, "example": example}}},
        "responses": {
            "200": {"description": "Successful response", "content": {"application/json": {"schema": response}}}
        },
    }


def _custom(signature: Mapping[str, str]) -> tuple[dict, dict, dict]:
    columns = list(signature)
    json_types = [_JSON_TYPES.get(str(t).lower(), "string") for t in signature.values()]
    request = {
        "type": "object",
        "properties": {
            "dataframe_split": {
                "type": "object",
                "properties": {
                    "columns": {"type": "array", "items": {"type": "string", "enum": columns}},
                    "data": {
                        "type": "array",
                        "items": {"type": "array", "prefixItems": [{"type": t} for t in json_types]},
                    },
                },
                "required": ["columns", "data"],
            }
        },
        "required": ["dataframe_split"],
    }
    example = {"dataframe_split": {"columns": columns, "data": [[_EXAMPLE_VALUES[t] for t in json_types]]}}
    response = {"type": "object", "properties": {"predictions": {"type": "array", "items": {"type": "number"}}}}
    return request, example, response


def _chat(_: Mapping[str, str]) -> tuple[dict, dict, dict]:
    request = {
        "type": "object",
        "properties": {
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role": {"type": "string", "enum": ["system", "user", "assistant"]},
                        "content": {"type": "string"},
                    },
                    "required": ["role", "content"],
                },
            },
            "max_tokens": {"type": "integer", "minimum": 1},
            "temperature": {"type": "number", "minimum": 0, "maximum": 2},
            "n": {"type": "integer", "minimum": 1, "maximum": 5},
            "stream": {"type": "boolean"},
        },
        "required": ["messages"],
    }
    example = {"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16}
    return request, example, _object_response("chat.completion")


def _completions(_: Mapping[str, str]) -> tuple[dict, dict, dict]:
    request = {
        "type": "object",
        "properties": {
            "prompt": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "max_tokens": {"type": "integer", "minimum": 1},
            "stream": {"type": "boolean"},
        },
        "required": ["prompt"],
    }
    return request, {"prompt": "Hello", "max_tokens": 16}, _object_response("text_completion")


def _embeddings(_: Mapping[str, str]) -> tuple[dict, dict, dict]:
    request = {
        "type": "object",
        "properties": {"input": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}},
        "required": ["input"],
    }
    return request, {"input": ["Hello"]}, _object_response("list")


def _object_response(object_name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"object": {"type": "string", "const": object_name}}}


_SCHEMAS = {
    queries.CUSTOM: _custom,
    queries.CHAT: _chat,
    queries.COMPLETIONS: _completions,
    queries.EMBEDDINGS: _embeddings,
}
