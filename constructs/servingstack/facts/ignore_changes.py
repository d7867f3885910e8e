"""Terraform's `lifecycle.ignore_changes`, on API-shaped dicts: what an update plans for an ignored attribute.

Terraform docs, "The lifecycle Meta-Argument": the ignored arguments "are considered when planning a
create operation, but are ignored when planning an update"; "Map and list elements can be referenced
using index notation, like `tags["Name"]` and `list[0]`"; the keyword `all` ignores every attribute.
On update, Terraform walks the configuration and, at each ignored path that it can also follow through
the prior state, plans the prior value; where the prior state has no such element (a list grew), the
configured value stays. (Tested with Terraform 1.11.4: a list of blocks, `override[0]` and `override[1]`
ignored, a prior of one element: the first element is kept from the prior state, the second planned from
the configuration; a prior with the same elements in another order: no change at all.)

A block the provider declares as a list of at most one item (`config`, `traffic_config`) is written
`config[0]` in the path, and is a plain object in the synthesized JSON and in the API's dicts: `[0]`
on an object is the object itself.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

ALL = "all"
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")


def parse_path(path: str) -> list[str | int]:
    """`config[0].traffic_config[0].routes[1]` -> ["config", 0, "traffic_config", 0, "routes", 1]."""
    segments: list[str | int] = []
    for name, index, key in _SEGMENT.findall(path.replace(".", " ")):
        if name:
            segments.append(name)
        elif index:
            segments.append(int(index))
        else:
            segments.append(key)
    return segments


_MISSING = object()


def _step(value: Any, segment: str | int) -> Any:
    if isinstance(segment, int):
        if isinstance(value, Mapping):  # a max-1 block written as an object
            return value if segment == 0 else _MISSING
        if isinstance(value, list) and 0 <= segment < len(value):
            return value[segment]
        return _MISSING
    if isinstance(value, Mapping) and segment in value:
        return value[segment]
    return _MISSING


def value_at(document: Any, path: Sequence[str | int]) -> Any:
    """The value at `path`, or `MISSING`."""
    current = document
    for segment in path:
        current = _step(current, segment)
        if current is _MISSING:
            return _MISSING
    return current


MISSING = _MISSING


def _replace(document: Any, path: Sequence[str | int], value: Any) -> bool:
    """Set the value at `path` (which exists in `document`); False when it does not."""
    *head, last = path
    parent = value_at(document, head) if head else document
    if parent is _MISSING:
        return False
    if isinstance(last, int):
        if isinstance(parent, list) and 0 <= last < len(parent):
            parent[last] = copy.deepcopy(value)
            return True
        if isinstance(parent, dict) and last == 0 and head:  # the object itself is the element
            parent.clear()
            parent.update(copy.deepcopy(value))
            return True
        return False
    if isinstance(parent, dict) and last in parent:
        parent[last] = copy.deepcopy(value)
        return True
    return False


def planned(declared: Mapping[str, Any], prior: Mapping[str, Any] | None, ignored: Sequence[str]) -> dict[str, Any]:
    """What Terraform plans for an update of a resource declared as `declared`, whose prior state is
    `prior`, with `ignore_changes = ignored`: the declaration, with each ignored path that both have
    taken from the prior state. `all` plans the prior state for every attribute."""
    result = copy.deepcopy(dict(declared))
    if prior is None or not ignored:
        return result
    if ALL in ignored:
        return copy.deepcopy(dict(prior))
    for path in ignored:
        segments = parse_path(path)
        if not segments:
            continue
        if value_at(result, segments) is _MISSING:
            continue  # the configuration has no such element: nothing to plan for it
        before = value_at(prior, segments)
        if before is not _MISSING:
            _replace(result, segments, before)
    return result


def covers(ignored: Sequence[str], prefix: str) -> bool:
    """True when some ignored path is `prefix` or lies under it (`config[0].traffic_config` covers
    `config[0].traffic_config[0].routes[1]`), or `all` is ignored."""
    if ALL in ignored:
        return True
    wanted = parse_path(prefix)
    return any(parse_path(path)[: len(wanted)] == wanted for path in ignored)


def traffic_route_paths(routes: int) -> list[str]:
    """The paths of each route of a `databricks_model_serving` traffic split, for `ignore_changes`.

    Provider schema (resource_model_serving.go, from the SDK's structs): `config` and `traffic_config`
    are lists of at most one block (`reflect_resource.go`: a pointer becomes `TypeList`, `MaxItems = 1`),
    `routes` a list of blocks; so `config[0].traffic_config[0].routes[N]` (Terraform refuses
    `config.traffic_config`: a list block "must be indexed using a numeric key").

    Each route, not the whole `traffic_config`: ignoring the whole block would keep the prior routes
    when an apply adds a served entity, and the provider docs say "Each served_entity block needs to
    have a corresponding routes block". Route by route, a new entity's route (a new position) is planned
    from the configuration while the routes already live keep their names and percentages."""
    return [f"config[0].traffic_config[0].routes[{index}]" for index in range(routes)]
