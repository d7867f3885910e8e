"""Differences in serving terms: `traffic v4: 10% -> 50%`, `+ served entity v5 (ml.fraud.scorer 5,
Small)`, `rate limit endpoint: calls 600 -> 6000`. One line per field path of `check.drift`."""

from __future__ import annotations

import re
from typing import Any

from servingstack.check.drift import Difference
from servingstack.facts.secrets import parse_reference

ARROW = "→"
_PATH = re.compile(r"^(?P<head>[a-z_]+)(?:\[(?P<key>[^\]]*)\])?(?:\.(?P<rest>.+))?$")
_SECTIONS = {
    "usage_tracking_config": "usage tracking",
    "fallback_config": "fallback",
    "inference_table_config": "inference table",
}


def show(value: Any) -> str:
    if value is None:
        return "none"
    reference = parse_reference(value)
    if reference is not None:
        return f"secret {reference[0]}/{reference[1]}"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k} {show(v)}" for k, v in value.items())
    return str(value)


def entity_model(entity: dict[str, Any]) -> str:
    """What an entity serves: `ml.fraud.scorer 5`, `gpt-4o (openai)`."""
    external = entity.get("external_model") or {}
    if external:
        return f"{external.get('name')} ({external.get('provider')})"
    version = entity.get("entity_version")
    return f"{entity.get('entity_name')}{f' {version}' if version not in (None, '') else ''}"


def entity_summary(entity: dict[str, Any]) -> str:
    """`ml.fraud.scorer 5, Small` (model, then its size)."""
    parts = [entity_model(entity)]
    for key in ("workload_size", "workload_type"):
        if entity.get(key):
            parts.append(str(entity[key]))
    if entity.get("provisioned_model_units"):
        parts.append(f"{entity['provisioned_model_units']} model units")
    elif entity.get("max_provisioned_throughput"):
        parts.append(f"{entity.get('min_provisioned_throughput', 0)}-{entity['max_provisioned_throughput']} tokens/s")
    return ", ".join(parts)


def _percent(value: Any) -> str:
    return "0%" if value is None else f"{value}%"


def _limit(key: str, want: dict[str, Any] | None, have: dict[str, Any] | None) -> str:
    def values(limit: dict[str, Any]) -> str:
        shown = {k: v for k, v in limit.items() if k != "renewal_period"}
        return f"{show(shown)}/{limit.get('renewal_period') or 'minute'}"

    if want is None and have is not None:
        return f"- rate limit {key} ({values(have)})"
    if have is None and want is not None:
        return f"+ rate limit {key} ({values(want)})"
    assert want is not None and have is not None
    changed = [
        f"{field} {show(have.get(field))} {ARROW} {show(want.get(field))}"
        for field in ("calls", "tokens", "renewal_period")
        if have.get(field) != want.get(field)
    ]
    return f"rate limit {key}: {', '.join(changed)}"


def entity_key(entity: dict[str, Any]) -> str:
    """An entity's name, or the default `check.drift` compares it by (external model name, else
    `entity_name-entity_version` with '.' as '-')."""
    if entity.get("name"):
        return str(entity["name"])
    external = entity.get("external_model") or {}
    if external.get("name"):
        return str(external["name"])
    parts = [entity.get("entity_name"), entity.get("entity_version")]
    return "-".join(str(p) for p in parts if p is not None).replace(".", "-")


def describe(difference: Difference, declared_entities: dict[str, dict[str, Any]]) -> str:
    """One line for a difference between what runs (`live`) and what the stack declares."""
    path, before, after = difference.field, difference.live, difference.declared
    match = _PATH.match(path)
    head, key, rest = (match.group("head"), match.group("key"), match.group("rest")) if match else (path, None, None)
    if head == "served_entities" and key is not None:
        if rest is None:
            if before is None:
                entity = declared_entities.get(key) or {}
                return f"+ served entity {key} ({entity_summary(entity) if entity else show(after)})"
            return f"- served entity {key} ({show(before)})"
        if rest.startswith("external_model.") and rest.count(".") == 2:
            rest = rest.rsplit(".", 1)[1]  # external_model.openai_config.openai_api_key -> openai_api_key
        elif rest.startswith("environment_vars."):
            rest = "env " + rest[len("environment_vars.") :]
        return f"served entity {key} {rest}: {show(before)} {ARROW} {show(after)}"
    if head == "traffic" and key is not None:
        return f"traffic {key}: {_percent(before)} {ARROW} {_percent(after)}"
    if head == "tags" and key is not None:
        if after is None:
            return f"- tag {key}={show(before)} (not declared: the tag update deletes it)"
        if before is None:
            return f"+ tag {key}={show(after)}"
        return f"tag {key}: {show(before)} {ARROW} {show(after)}"
    if path.startswith("ai_gateway.rate_limits[") and key is None:
        limit = path[len("ai_gateway.rate_limits[") : -1]
        return _limit(limit, after, before)
    if path.startswith("ai_gateway."):
        section, _, field = path[len("ai_gateway.") :].partition(".")
        name = _SECTIONS.get(section, section.replace("_", " "))
        if section == "guardrails":
            direction, _, field = field.partition(".")
            name = f"{direction} guardrail"
            if not field:
                return f"- {name} ({show(before)})"
        if field == "enabled":
            return f"{name}: {show(before)} {ARROW} {show(after)}"
        return f"{name} {field}: {show(before)} {ARROW} {show(after)}"
    return f"{path}: {show(before)} {ARROW} {show(after)}"
