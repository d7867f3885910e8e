"""What runs versus what was declared, field by field.

`compare(declared_request, live_endpoint)` takes the API-shaped create request read from
the stack and `ServingEndpointDetailed.as_dict()`, and returns one `Difference` per field
that differs, named like `served_entities[chat].workload_size` or `traffic[v2]`.

Only what the stack declares is held against the endpoint: fields the service fills in
(timestamps, states, defaults of undeclared fields) are not drift. Two exceptions, both
things someone changed by hand: served entities or AI Gateway features that are live but
not declared are drift; live tags that are not declared are reported as notes (severity
"note"), which do not fail the endpoint, since workspace policies add tags of their own.
Secrets and environment variables are never compared (or printed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from servingstack.facts.ignore_changes import covers

Severity = Literal["drift", "note"]

# Served entity fields compared when declared, in report order.
ENTITY_FIELDS = (
    "entity_name",
    "entity_version",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "instance_profile_arn",
    "burst_scaling_enabled",
)
EXTERNAL_MODEL_FIELDS = ("name", "provider", "task")
GUARDRAIL_FIELDS = ("safety", "invalid_keywords", "valid_topics")


@dataclass(frozen=True)
class Difference:
    field: str
    declared: Any
    live: Any
    severity: Severity = "drift"

    def __str__(self) -> str:
        return f"{self.field}: declared {_show(self.declared)}, live {_show(self.live)}"


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _same(declared: Any, live: Any) -> bool:
    if isinstance(declared, bool) or isinstance(live, bool):
        return bool(declared) == bool(live) if live is not None else declared is False
    if isinstance(declared, (int, float)) and isinstance(live, (int, float)):
        return float(declared) == float(live)
    if isinstance(declared, (list, tuple)) and isinstance(live, (list, tuple)):
        return sorted(map(str, declared)) == sorted(map(str, live))  # keyword and topic lists: order-free
    if declared is None or live is None:
        return declared == live
    return str(declared) == str(live)  # versions are "1" in one place and 1 in another


def _default_entity_name(entity: dict[str, Any]) -> str:
    external = entity.get("external_model") or {}
    if external.get("name"):
        return str(external["name"])
    parts = [entity.get("entity_name"), entity.get("entity_version")]
    return "-".join(str(p) for p in parts if p is not None).replace(".", "-")


def _by_name(entities: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e.get("name") or _default_entity_name(e): e for e in entities}


def _compare_fields(
    path: str, declared: dict[str, Any], live: dict[str, Any], fields: Iterable[str]
) -> list[Difference]:
    return [
        Difference(f"{path}.{key}", declared[key], live.get(key))
        for key in fields
        if declared.get(key) is not None and not _same(declared[key], live.get(key))
    ]


def compare_entities(declared: list[dict[str, Any]], live: list[dict[str, Any]]) -> list[Difference]:
    differences: list[Difference] = []
    declared_by_name, live_by_name = _by_name(declared), _by_name(live)
    for name, entity in declared_by_name.items():
        path = f"served_entities[{name}]"
        live_entity = live_by_name.get(name)
        if live_entity is None:
            model = (entity.get("external_model") or {}).get("name") or entity.get("entity_name")
            differences.append(Difference(path, model, None))
            continue
        differences += _compare_fields(path, entity, live_entity, ENTITY_FIELDS)
        if entity.get("external_model"):
            differences += _compare_fields(
                f"{path}.external_model",
                entity["external_model"],
                live_entity.get("external_model") or {},
                EXTERNAL_MODEL_FIELDS,
            )
            differences += _compare_fields(
                f"{path}.external_model.amazon_bedrock_config",
                entity["external_model"].get("amazon_bedrock_config") or {},
                (live_entity.get("external_model") or {}).get("amazon_bedrock_config") or {},
                ("uc_service_credential_name",),
            )
    for name, entity in live_by_name.items():
        if name not in declared_by_name:
            model = (entity.get("external_model") or {}).get("name") or entity.get("entity_name")
            differences.append(Difference(f"served_entities[{name}]", None, model))
    return differences


def _routes(config: dict[str, Any] | None) -> dict[str, Any]:
    routes = ((config or {}).get("traffic_config") or {}).get("routes") or []
    return {r.get("served_model_name") or r.get("served_entity_name"): r.get("traffic_percentage") for r in routes}


def compare_traffic(declared_config: dict[str, Any], live_config: dict[str, Any]) -> list[Difference]:
    declared, live = _routes(declared_config), _routes(live_config)
    if not declared:
        return []  # a single entity with no split declared gets 100% by default
    names = list(declared) + [n for n in live if n not in declared]
    return [
        Difference(f"traffic[{name}]", declared.get(name), live.get(name))
        for name in names
        if not _same(declared.get(name) or 0, live.get(name) or 0)
    ]


def _rate_limit_key(limit: dict[str, Any]) -> str:
    key = limit.get("key") or "endpoint"
    return f"{key}:{limit['principal']}" if limit.get("principal") else key


def _rate_limit_values(limit: dict[str, Any] | None) -> dict[str, Any] | None:
    if limit is None:
        return None
    values = {
        "calls": limit.get("calls"),
        "tokens": limit.get("tokens"),
        "renewal_period": limit.get("renewal_period") or "minute",
    }
    return {k: v for k, v in values.items() if v is not None}


def _enabled(section: dict[str, Any] | None) -> bool:
    return bool(section and section.get("enabled"))


def _guardrail_live(section: dict[str, Any] | None) -> bool:
    section = section or {}
    pii = (section.get("pii") or {}).get("behavior")
    return bool(
        section.get("safety")
        or section.get("invalid_keywords")
        or section.get("valid_topics")
        or (pii and pii != "NONE")
    )


def compare_ai_gateway(declared: dict[str, Any] | None, live: dict[str, Any] | None) -> list[Difference]:
    declared, live = declared or {}, live or {}
    differences: list[Difference] = []

    declared_limits = {_rate_limit_key(r): r for r in declared.get("rate_limits") or []}
    live_limits = {_rate_limit_key(r): r for r in live.get("rate_limits") or []}
    for key in list(declared_limits) + [k for k in live_limits if k not in declared_limits]:
        want, have = _rate_limit_values(declared_limits.get(key)), _rate_limit_values(live_limits.get(key))
        if want != have:
            differences.append(Difference(f"ai_gateway.rate_limits[{key}]", want, have))

    for section in ("usage_tracking_config", "fallback_config"):
        want_on, have_on = _enabled(declared.get(section)), _enabled(live.get(section))
        if want_on != have_on:
            differences.append(Difference(f"ai_gateway.{section}.enabled", want_on, have_on))

    want_table, have_table = declared.get("inference_table_config"), live.get("inference_table_config") or {}
    if want_table is not None and _enabled(want_table):
        differences += _compare_fields(
            "ai_gateway.inference_table_config",
            want_table,
            have_table,
            ("enabled", "catalog_name", "schema_name", "table_name_prefix"),
        )
    elif _enabled(have_table):
        differences.append(Difference("ai_gateway.inference_table_config.enabled", False, True))

    for direction in ("input", "output"):
        path = f"ai_gateway.guardrails.{direction}"
        want = (declared.get("guardrails") or {}).get(direction)
        have = (live.get("guardrails") or {}).get(direction) or {}
        if want:
            differences += _compare_fields(path, want, have, GUARDRAIL_FIELDS)
            want_pii = (want.get("pii") or {}).get("behavior")
            have_pii = (have.get("pii") or {}).get("behavior")
            if want_pii is not None and not _same(want_pii, have_pii or "NONE"):
                differences.append(Difference(f"{path}.pii.behavior", want_pii, have_pii))
        elif _guardrail_live(have):
            differences.append(Difference(path, None, {k: v for k, v in have.items() if v}))
    return differences


def compare_tags(declared: list[dict[str, Any]] | None, live: list[dict[str, Any]] | None) -> list[Difference]:
    want = {t["key"]: t.get("value") for t in declared or []}
    have = {t["key"]: t.get("value") for t in live or []}
    differences = [
        Difference(f"tags[{key}]", value, have.get(key))
        for key, value in want.items()
        if key not in have or not _same(value or "", have[key] or "")
    ]
    differences += [
        Difference(f"tags[{key}]", None, value, severity="note") for key, value in have.items() if key not in want
    ]
    return differences


def compare(declared: dict[str, Any], live: dict[str, Any]) -> list[Difference]:
    """Every difference between a declared create request and a live endpoint (both plain dicts)."""
    declared_config = declared.get("config") or {}
    live_config = live.get("config") or {}
    differences = compare_entities(
        declared_config.get("served_entities") or [], live_config.get("served_entities") or []
    )
    differences += compare_traffic(declared_config, live_config)
    differences += compare_ai_gateway(declared.get("ai_gateway"), live.get("ai_gateway"))
    differences += compare_tags(declared.get("tags"), live.get("tags"))
    if declared.get("route_optimized") is not None and not _same(
        declared["route_optimized"], live.get("route_optimized") or False
    ):
        differences.append(Difference("route_optimized", declared["route_optimized"], live.get("route_optimized")))
    differences += compare_telemetry(declared.get("telemetry_config"), live.get("telemetry_config"))
    return differences


def compare_telemetry(declared: dict[str, Any] | None, live: dict[str, Any] | None) -> list[Difference]:
    """`telemetry_config` (provider 1.138), field by field where declared."""
    if not declared:
        return []
    live = live or {}
    differences = _compare_fields(
        "telemetry_config", declared, live, ("telemetry_profile_id", "enabled_telemetry_features")
    )
    for block in ("table_names", "inference_table_config"):
        if declared.get(block):
            differences += _compare_fields(
                f"telemetry_config.{block}", declared[block], live.get(block) or {}, declared[block].keys()
            )
    return differences


def ignoring(differences: list[Difference], ignored: Sequence[str]) -> list[Difference]:
    """Differences in what the resource's `lifecycle.ignore_changes` leaves to the live endpoint (a
    rollout's traffic split) are notes: the next apply keeps them, so they are no drift."""
    if not covers(ignored, "config[0].traffic_config"):
        return differences
    return [replace(d, severity="note") if d.field.startswith("traffic[") else d for d in differences]
