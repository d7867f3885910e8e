"""A sample request for a custom model, made from the endpoint's OpenAPI document
(`GET /api/2.0/serving-endpoints/{name}/openapi`, derived from the model's MLflow signature).

An example given in the document wins; otherwise one is built from the request schema:
the first string of an enum, 1 for numbers, "text" for strings, one item per array.
"""

from __future__ import annotations

from typing import Any

CUSTOM_INPUT_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_MAX_DEPTH = 12


def _resolve(document: dict[str, Any], schema: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < _MAX_DEPTH:
        seen += 1
        node: Any = document
        for part in str(schema["$ref"]).lstrip("#/").split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        schema = node
    return schema


def example_for(document: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """A value that fits a JSON schema (best effort)."""
    schema = _resolve(document, schema)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        examples = schema["examples"]
        return examples[0] if isinstance(examples, list) else next(iter(examples.values()), None)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("oneOf", "anyOf"):
        if schema.get(combinator):
            return example_for(document, schema[combinator][0], depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_for(document, part, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or (kind is None and "properties" in schema):
        return {name: example_for(document, sub, depth + 1) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        if schema.get("prefixItems"):
            return [example_for(document, item, depth + 1) for item in schema["prefixItems"]]
        return [example_for(document, schema.get("items") or {"type": "string"}, depth + 1)]
    return {"string": "text", "integer": 1, "number": 1.0, "boolean": True}.get(kind or "", None)


def _is_custom_request(value: Any) -> bool:
    return isinstance(value, dict) and sum(1 for f in CUSTOM_INPUT_FORMATS if f in value) == 1


def _request_media(document: dict[str, Any]) -> dict[str, Any] | None:
    """The request of the endpoint's own invocations path (before any one entity's)."""
    paths = [
        (p, item) for p, item in (document.get("paths") or {}).items() if str(p).rstrip("/").endswith("invocations")
    ]
    paths.sort(key=lambda pair: "/served-models/" in str(pair[0]))
    for _, item in paths:
        body = _resolve(document, ((item or {}).get("post") or {}).get("requestBody")) or {}
        content = body.get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        if media:
            return media
    return None


def sample_request(document: dict[str, Any]) -> dict[str, Any] | None:
    """A request body for the model, or None if the document describes none."""
    media = _request_media(document)
    if not media:
        return None
    candidates: list[Any] = []
    if "example" in media:
        candidates.append(media["example"])
    for example in (media.get("examples") or {}).values():
        candidates.append(example.get("value") if isinstance(example, dict) else None)
    schema = _resolve(document, media.get("schema"))
    if isinstance(schema, dict):
        alternatives = schema.get("oneOf") or schema.get("anyOf") or [schema]
        candidates += [example_for(document, option) for option in alternatives]
    for candidate in candidates:
        if _is_custom_request(candidate):
            return candidate
    return None
