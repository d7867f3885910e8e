"""Stacks and helpers for the checker's tests: synthesized-stack fixtures written by hand in
the shape synth produces, deployed to the emulator through the SDK."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from servingstack.deploy.apply import apply_stack
from servingstack.emulator import Emulator
from servingstack.facts.stackfile import load_stack

TOKEN = "chk-Secret-Token-4f9a2b7c"

CHAT = {
    "name": "demo-chat",
    "config": {
        "served_entities": [
            {"name": "llm", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}
        ],
        "traffic_config": {"routes": [{"served_model_name": "llm", "traffic_percentage": 100}]},
    },
    "ai_gateway": {
        "usage_tracking_config": {"enabled": True},
        "rate_limits": [{"key": "endpoint", "calls": 100, "renewal_period": "minute"}],
    },
    "tags": [{"key": "team", "value": "ml"}],
    "timeouts": {"create": "30m"},
    "//": {"metadata": {"path": "demo/chat/Default"}, "servingstack": {"task": "llm/v1/chat"}},
}
SCORER = {
    "name": "demo-scorer",
    "config": {
        "served_entities": [
            {
                "name": "v1",
                "entity_name": "ml.models.scorer",
                "entity_version": "1",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            },
            {
                "name": "v2",
                "entity_name": "ml.models.scorer",
                "entity_version": "2",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            },
        ],
        "traffic_config": {
            "routes": [
                {"served_model_name": "v1", "traffic_percentage": 90},
                {"served_model_name": "v2", "traffic_percentage": 10},
            ]
        },
    },
    "tags": [{"key": "team", "value": "ml"}, {"key": "cost-center", "value": "42"}],
    "//": {
        "servingstack": {
            "sample_request": {"dataframe_records": [{"feature_0": 1.0, "feature_1": 2.0, "feature_2": 3.0}]}
        }
    },
}
EMBEDDINGS = {
    "name": "demo-embed",
    "config": {"served_entities": [{"name": "gte", "entity_name": "system.ai.gte_large_en", "entity_version": "1"}]},
}


def stack_resources(**endpoints: dict[str, Any]) -> dict[str, Any]:
    return {"resource": {"databricks_model_serving": {k: copy.deepcopy(v) for k, v in endpoints.items()}}}


def write_stack(
    root: Path, name: str = "demo", provider: dict[str, Any] | None = None, **endpoints: dict[str, Any]
) -> Path:
    """A stack as synth writes it; `provider`: its Databricks provider block (host, profile), as
    `ServingStack(host=..., profile=...)` declares it."""
    directory = root / "cdktf.out" / "stacks" / name
    directory.mkdir(parents=True, exist_ok=True)
    document = stack_resources(**endpoints)
    document["provider"] = {"databricks": [provider or {}]}
    (directory / "cdk.tf.json").write_text(json.dumps(document, indent=2))
    return directory


def deploy(emu: Emulator, stack_dir: Path) -> None:
    """Create every endpoint of the stack (without waiting: the checker waits)."""
    apply_stack(load_stack(stack_dir), emu.client(retry_timeout_seconds=5), wait=False, echo=lambda line: None)


def all_text(*texts: str) -> str:
    return "\n".join(texts)


def schema_errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The parts of JSON Schema that `report_json.SCHEMA` uses: type, enum, const, required,
    properties, additionalProperties, items, anyOf, minimum, exclusiveMinimum."""
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "boolean": lambda v: isinstance(v, bool),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "null": lambda v: v is None,
        }
        if not any(checks[t](value) for t in allowed):
            return [f"{path}: {value!r} is not {types}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if "anyOf" in schema and all(schema_errors(value, option, path) for option in schema["anyOf"]):
        errors.append(f"{path}: matches none of anyOf")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{path}: {value} <= {schema['exclusiveMinimum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing {key}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: unexpected {key}")
            elif isinstance(extra, dict):
                errors += schema_errors(item, extra, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{index}]")
    return errors
