"""What the Apps service accepts of an app that queries serving endpoints, on API-shaped dicts
(`databricks.sdk.service.apps.App.as_dict()`): the constructs and the emulator read the same rules."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from servingstack.errors import Problem
from servingstack.facts.newer_fields import validate_app_compute

# SDK apps.App.name: "The name must contain only lowercase alphanumeric characters and hyphens. It must be
# unique within the workspace." (Older SDKs added "between 2 and 30 characters long"; the current
# docstring sets no length, so neither do we.)
APP_NAME = re.compile(r"^[a-z0-9-]+$")
# TF-GO AppResources.name is required; the docs set no character or length rule for it: any non-empty string.
RESOURCE_NAME = re.compile(r"^.+$", re.DOTALL)
# SDK enum AppResourceServingEndpointServingEndpointPermission.
SERVING_ENDPOINT_PERMISSIONS = ("CAN_MANAGE", "CAN_QUERY", "CAN_VIEW")
# SDK apps.AppResource: one sub-object per kind; the provider's resource_app.go enforces "Exactly one of"
# them (`objectvalidator.ExactlyOneOf(paths...)`, docs resources/app.md).
RESOURCE_KINDS = (
    "app",
    "database",
    "experiment",
    "genie_space",
    "job",
    "postgres",
    "secret",
    "serving_endpoint",
    "sql_warehouse",
    "uc_securable",
)
# SDK enum apps.ComputeSize (provider docs list MEDIUM and LARGE).
COMPUTE_SIZES = ("MEDIUM", "LARGE", "XLARGE")
# The fields of apps.App a request sets; the others (status, ids, service principal, url, times,
# deployments) are the service's (provider apps_tf/model.go marks them Computed only).
SETTABLE_FIELDS = (
    "name",
    "budget_policy_id",
    "compute_max_instances",
    "compute_min_instances",
    "compute_size",
    "description",
    "forward_user_access_token",
    "git_repository",
    "git_source",
    "resources",
    "source_code_path",
    "space",
    "telemetry_export_destinations",
    "usage_policy_id",
    "user_api_scopes",
)
# Ranks of the serving-endpoint permission levels, weakest first (serving-endpoint ACL docs:
# CAN_MANAGE includes CAN_QUERY, which includes CAN_VIEW).
LEVEL_ORDER = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")


def app_name_problems(name: Any, prefix: str = "") -> list[Problem]:
    """The app name rule, on the name as the workspace gets it (`prefix` is the part a stack put in front)."""
    if isinstance(name, str) and APP_NAME.match(name):
        return []
    if prefix and isinstance(name, str) and not APP_NAME.match(prefix):
        return [
            Problem(
                "name",
                f"{name!r} may contain only lowercase letters, digits and '-': the stack's name_prefix {prefix!r} "
                "does not fit an app name; give the stack a name_prefix of lowercase letters, digits and '-'",
            )
        ]
    return [Problem("name", f"{name!r} may contain only lowercase letters, digits and '-'")]


def validate_app_request(body: Mapping[str, Any]) -> list[Problem]:
    """Every problem of an app create or update body (its shape and the documented rules)."""
    problems = app_name_problems(body.get("name"))
    for field in ("description", "budget_policy_id", "usage_policy_id", "source_code_path", "space"):
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(field, "must be a string"))
    size = body.get("compute_size")
    if size is not None and size not in COMPUTE_SIZES:
        problems.append(Problem("compute_size", f"{size!r} is not one of {', '.join(COMPUTE_SIZES)}"))
    problems += validate_app_compute(body.get("compute_min_instances"), body.get("compute_max_instances"))
    scopes = body.get("user_api_scopes")
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        problems.append(Problem("user_api_scopes", "must be a list of strings"))
    forward = body.get("forward_user_access_token")
    if forward is not None and not isinstance(forward, bool):
        problems.append(Problem("forward_user_access_token", "must be true or false"))
    resources = body.get("resources")
    if resources is None:
        return problems
    if not isinstance(resources, list):
        return problems + [Problem("resources", "must be a list")]
    for index, resource in enumerate(resources):
        problems += resource_problems(resource, f"resources[{index}]")
    return problems


def resource_problems(resource: Any, where: str) -> list[Problem]:
    if not isinstance(resource, Mapping):
        return [Problem(where, "must be an object")]
    problems = []
    if not (isinstance(resource.get("name"), str) and RESOURCE_NAME.match(resource["name"])):
        problems.append(Problem(f"{where}.name", "is required: a non-empty string without surrounding spaces"))
    kinds = [kind for kind in RESOURCE_KINDS if resource.get(kind) is not None]
    if len(kinds) != 1:
        problems.append(Problem(where, f"needs exactly one of {', '.join(RESOURCE_KINDS)}"))
        return problems
    block = resource[kinds[0]]
    if not isinstance(block, Mapping):
        return problems + [Problem(f"{where}.{kinds[0]}", "must be an object")]
    if kinds[0] == "serving_endpoint":
        if not (isinstance(block.get("name"), str) and block["name"]):
            problems.append(Problem(f"{where}.serving_endpoint.name", "is required"))
        if block.get("permission") not in SERVING_ENDPOINT_PERMISSIONS:
            problems.append(
                Problem(
                    f"{where}.serving_endpoint.permission",
                    f"must be one of {', '.join(SERVING_ENDPOINT_PERMISSIONS)}, got {block.get('permission')!r}",
                )
            )
    return problems


def serving_endpoints(resources: Any) -> dict[str, str]:
    """Endpoint name -> permission that an app's `resources` grant (the strongest, when named twice)."""
    granted: dict[str, str] = {}
    for resource in resources or []:
        block = resource.get("serving_endpoint") if isinstance(resource, Mapping) else None
        if not isinstance(block, Mapping) or block.get("permission") not in LEVEL_ORDER:
            continue
        name, level = str(block.get("name")), str(block["permission"])
        if name not in granted or LEVEL_ORDER.index(level) > LEVEL_ORDER.index(granted[name]):
            granted[name] = level
    return granted


def covers(live_level: str | None, declared_level: str) -> bool:
    """True when a live endpoint permission includes the declared one."""
    if live_level not in LEVEL_ORDER or declared_level not in LEVEL_ORDER:
        return live_level == declared_level
    return LEVEL_ORDER.index(live_level) >= LEVEL_ORDER.index(declared_level)


# Provider apps_tf/model.go marks these settable fields Optional+Computed (`SetComputed()`): the service
# fills them in, and leaving them out of a configuration changes nothing. Every other optional field
# left out is cleared by the next apply (the provider's update sends the whole app: `w.Apps.Update`).
OPTIONAL_COMPUTED = ("compute_size", "forward_user_access_token", "git_source", "source_code_path")


def app_differences(declared: Mapping[str, Any], live: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, declared, live) for each settable field the next apply would change, in field order."""
    found = []
    for name in SETTABLE_FIELDS:
        if name == "name" or (name not in declared and name in OPTIONAL_COMPUTED):
            continue
        want, have = declared.get(name), live.get(name)
        if name == "resources":
            if _comparable(want) != _comparable(have):
                found.append((name, want, have))
        elif _empty(want) != _empty(have) or (not _empty(want) and want != have):
            found.append((name, want, have))
    return found


def _empty(value: Any) -> bool:
    return value in (None, [], {}, "")


def _comparable(resources: Any) -> list[str]:
    """Resources independent of their order, which means nothing to the service."""
    return sorted(json.dumps(r, sort_keys=True) for r in resources or [])
