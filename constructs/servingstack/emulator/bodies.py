"""Request bodies: JSON -> the SDK's request dataclasses, after their types and the shared
service rules.

Every body is checked in three steps before anything is stored: it is JSON (`read_json`), each
field has the JSON type the SDK's method annotates (`check_types`, `json_types`), and it passes
`servingstack.facts.rules`; only then does `from_dict` parse it. The SDK's `from_dict` keeps a
value of the wrong type as it is and turns unknown enum values into None without a word, so
checking after parsing would miss both. A body refused at any step is a 400 naming each field.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from databricks.sdk.service.serving import (
    AiGatewayConfig,
    EmailNotifications,
    EndpointCoreConfigInput,
    EndpointTag,
    PtEndpointCoreConfig,
    RateLimit,
    ServingEndpointDetailed,
    ServingEndpointsAPI,
    TelemetryConfig,
)

from servingstack.emulator import apierrors, json_types
from servingstack.emulator.state import CreateRequest
from servingstack.errors import Problem
from servingstack.facts import newer_fields, rules

T = TypeVar("T")

# TF rate_limits block (legacy): key "user" or "endpoint"; renewal_period "minute" only.
RATE_LIMIT_KEYS = ("user", "endpoint")
RATE_LIMIT_PERIODS = ("minute",)
# Create-request fields the emulator models itself; the other fields of the SDK's create request
# that the service shows back on the endpoint (telemetry_config, and usage_policy_id in the answer
# dataclasses) are stored as sent. Fields of neither kind are ignored, as the service ignores them.
_MODELLED = {
    "name",
    "config",
    "ai_gateway",
    "tags",
    "route_optimized",
    "description",
    "email_notifications",
    "budget_policy_id",
    "rate_limits",
}
_CREATE_FIELDS = set(inspect.signature(ServingEndpointsAPI.create).parameters) - {"self"}
_SHOWN = {f.name for f in dataclasses.fields(ServingEndpointDetailed)} & (_CREATE_FIELDS | {"usage_policy_id"})
# Deeper than any API body; protobuf's JSON parsers stop at 100 levels by default too.
MAX_DEPTH = 100


def read_json(raw: bytes) -> Any:
    """Decode a request body; an empty body is an empty object. What `json` would take but JSON
    is not (NaN, Infinity), numbers beyond a double or too long to read, and nesting deeper than
    `MAX_DEPTH` are refused here, before anything looks inside."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_not_a_number, parse_float=_finite_float)
    except RecursionError:
        raise apierrors.malformed(f"Request body is nested too deeply: more than {MAX_DEPTH} levels.") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, a number too long to read
        raise apierrors.malformed(f"Request body is not valid JSON: {error}") from None
    if _depth(body) > MAX_DEPTH:
        raise apierrors.malformed(f"Request body is nested too deeply: more than {MAX_DEPTH} levels.")
    return body


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of the range of a number")
    return value


def _depth(body: Any) -> int:
    """How deeply arrays and objects nest in a decoded body (without recursion)."""
    deepest, stack = 0, [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack += [(item, depth + 1) for item in value if isinstance(item, (dict, list))]
    return deepest


def check_types(body: Any, method: Callable[..., Any], *path: str, loose: Collection[str] = ()) -> dict[str, Any]:
    """The body as a JSON object whose fields have the JSON types of `method`'s parameters (an SDK
    method; `path`: its path parameters, which are not in the body); 400 naming every wrong field."""
    _require_object(body)
    found = json_types.check_object(body, json_types.parameters(method, path), loose=loose)
    if found:
        raise apierrors.invalid_problems(found)
    return body


def check_fields(body: Any, cls: type) -> dict[str, Any]:
    """The body as a JSON object whose fields have the JSON types of the SDK dataclass `cls`, for a
    route whose body is one object of the API (`apps.App` for `POST /api/2.0/apps`, as `AppsAPI.create`
    sends `app.as_dict()`); 400 naming every wrong field."""
    _require_object(body)
    found = json_types.check(body, cls, "")
    if found:
        raise apierrors.invalid_problems(found)
    return body


def parse_create(body: Any) -> CreateRequest:
    """`POST /api/2.0/serving-endpoints`."""
    check_types(body, ServingEndpointsAPI.create)
    _check(lambda: rules.validate_endpoint(body))
    config = body.get("config")
    if config is not None and not isinstance(config, dict):
        raise apierrors.invalid_problems([Problem("config", "must be an object")])
    # SDK CreateServingEndpoint.config is optional: an endpoint may be created without one.
    return _shaped(
        lambda: _create_request(
            body, EndpointCoreConfigInput.from_dict({**config, "name": body["name"]}) if config is not None else None
        )
    )


def parse_pt_create(body: Any) -> CreateRequest:
    """`POST /api/2.0/serving-endpoints/pt`: the config holds provisioned-throughput entities only."""
    check_types(body, ServingEndpointsAPI.create_provisioned_throughput_endpoint)
    config = body.get("config")
    if not isinstance(config, dict):
        raise apierrors.invalid_problems([Problem("config", "is required")])
    problems = _pt_problems(config, "config")
    _check(lambda: problems + rules.validate_endpoint(body))
    return _shaped(lambda: _create_request(body, _pt_config(config, body["name"])))


def parse_config(body: Any, name: str) -> EndpointCoreConfigInput:
    """`PUT /api/2.0/serving-endpoints/{name}/config`: the config itself, without a name.
    (The raw body is kept by the handler, for fields the SDK's dataclasses drop.)"""
    check_types(body, ServingEndpointsAPI.update_config, "name")
    _check(lambda: rules.validate_config(body))
    return _shaped(lambda: EndpointCoreConfigInput.from_dict({**body, "name": name}))


def parse_pt_config(body: Any, name: str) -> EndpointCoreConfigInput:
    """`PUT /api/2.0/serving-endpoints/pt/{name}/config`: `{"config": {...}}`."""
    check_types(body, ServingEndpointsAPI.update_provisioned_throughput_endpoint_config, "name")
    config = body.get("config")
    if not isinstance(config, dict):
        raise apierrors.invalid_problems([Problem("config", "is required")])
    _check(lambda: _pt_problems(config, "config") + rules.validate_config(config))
    return _shaped(lambda: _pt_config(config, name))


def parse_ai_gateway(body: Any) -> AiGatewayConfig:
    """`PUT /api/2.0/serving-endpoints/{name}/ai-gateway`."""
    check_types(body, ServingEndpointsAPI.put_ai_gateway, "name")
    _check(lambda: rules.validate_ai_gateway(body))
    return _shaped(lambda: AiGatewayConfig.from_dict(body))


def parse_rate_limits(body: Any) -> list[RateLimit]:
    """`PUT /api/2.0/serving-endpoints/{name}/rate-limits` (legacy: calls per minute, key user | endpoint)."""
    check_types(body, ServingEndpointsAPI.put, "name")
    limits = body.get("rate_limits") or []
    if not isinstance(limits, list):
        raise apierrors.invalid_problems([Problem("rate_limits", "must be a list")])
    problems = []
    for index, limit in enumerate(limits):
        where = f"rate_limits[{index}]"
        if not isinstance(limit, dict):
            problems.append(Problem(where, "must be an object"))
            continue
        if not _is_int(limit.get("calls")) or limit["calls"] <= 0:
            problems.append(Problem(f"{where}.calls", "must be a whole number above 0"))
        if limit.get("renewal_period") not in RATE_LIMIT_PERIODS:
            problems.append(Problem(f"{where}.renewal_period", "must be 'minute'"))
        if limit.get("key", "endpoint") not in RATE_LIMIT_KEYS:
            problems.append(Problem(f"{where}.key", f"must be one of {', '.join(RATE_LIMIT_KEYS)}"))
    _check(lambda: problems)
    return _shaped(lambda: [RateLimit.from_dict(limit) for limit in limits])


def parse_tags_patch(body: Any) -> tuple[list[EndpointTag], list[str]]:
    """`PATCH /api/2.0/serving-endpoints/{name}/tags`: tags to add and tag keys to delete."""
    check_types(body, ServingEndpointsAPI.patch, "name")
    add = body.get("add_tags") or []
    delete = body.get("delete_tags") or []
    if not isinstance(add, list) or not all(isinstance(t, dict) for t in add):
        raise apierrors.invalid_problems([Problem("add_tags", "must be a list of {key, value} objects")])
    if not isinstance(delete, list) or not all(isinstance(k, str) for k in delete):
        raise apierrors.invalid_problems([Problem("delete_tags", "must be a list of tag keys")])
    problems = [Problem("add_" + p.field, p.message) for p in rules.validate_tags(add)]
    _check(lambda: problems)
    return [EndpointTag.from_dict(t) for t in add], list(delete)


def parse_notifications(body: Any) -> EmailNotifications | None:
    """`PATCH /api/2.0/serving-endpoints/{name}/notifications`."""
    check_types(body, ServingEndpointsAPI.update_notifications, "name")
    notifications = body.get("email_notifications")
    if notifications is None:
        return None
    problems = []
    if not isinstance(notifications, dict):
        problems.append(Problem("email_notifications", "must be an object"))
    else:
        for key in ("on_update_failure", "on_update_success"):
            value = notifications.get(key)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                problems.append(Problem(f"email_notifications.{key}", "must be a list of email addresses"))
    _check(lambda: problems)
    return EmailNotifications.from_dict(notifications)


def parse_telemetry(body: Any) -> dict[str, Any] | None:
    """`PATCH .../telemetry-config` (SDK `patch_telemetry_config`): the new `telemetry_config`
    as the SDK reads it back, or None, which removes it."""
    check_types(body, ServingEndpointsAPI.patch_telemetry_config, "name")
    telemetry = body.get("telemetry_config")
    if telemetry is None:
        return None
    _check(lambda: rules.validate_telemetry(telemetry) + newer_fields.validate_telemetry_tables(telemetry))
    return _shaped(lambda: TelemetryConfig.from_dict(telemetry).as_dict())


# -- helpers ---------------------------------------------------------------------------


def _create_request(body: dict[str, Any], config: EndpointCoreConfigInput | None) -> CreateRequest:
    return CreateRequest(
        name=body["name"],
        config=config,
        ai_gateway=AiGatewayConfig.from_dict(body["ai_gateway"]) if body.get("ai_gateway") is not None else None,
        tags=[EndpointTag.from_dict(t) for t in body.get("tags") or []],
        route_optimized=body.get("route_optimized"),
        description=body.get("description"),
        email_notifications=(
            EmailNotifications.from_dict(body["email_notifications"]) if body.get("email_notifications") else None
        ),
        budget_policy_id=body.get("budget_policy_id"),
        rate_limits=[RateLimit.from_dict(r) for r in body.get("rate_limits") or []],
        raw_config=body.get("config"),
        extras={k: v for k, v in body.items() if k in _SHOWN and k not in _MODELLED and v is not None},
    )


def _pt_config(config: dict[str, Any], name: str) -> EndpointCoreConfigInput:
    """A provisioned-throughput config is a plain config whose entities carry model units."""
    pt = PtEndpointCoreConfig.from_dict(config)
    return EndpointCoreConfigInput.from_dict({**pt.as_dict(), "name": name})


def _pt_problems(config: dict[str, Any], where: str) -> list[Problem]:
    # SDK PtServedModel.provisioned_model_units has no default: a PT entity states its model units.
    problems = []
    for index, entity in enumerate(config.get("served_entities") or []):
        if isinstance(entity, dict) and not _is_int(entity.get("provisioned_model_units")):
            problems.append(
                Problem(
                    f"{where}.served_entities[{index}].provisioned_model_units",
                    "is required for provisioned throughput",
                )
            )
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_object(body: Any) -> None:
    if not isinstance(body, dict):
        raise apierrors.invalid("Request body must be a JSON object")


def _check(problems: Callable[[], list[Problem]]) -> None:
    found = _shaped(problems)
    if found:
        raise apierrors.invalid_problems(found)


def _shaped(build: Callable[[], T]) -> T:
    """Run a rules check or a from_dict; a body of the wrong shape makes them trip over types."""
    try:
        return build()
    except (AttributeError, TypeError, KeyError, ValueError) as error:
        raise apierrors.invalid(
            f"Request body does not match the API schema ({type(error).__name__}: {error})"
        ) from None
