"""SS7 (production): a production endpoint grants nothing to broad groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.rules._groups import BROAD_GROUPS, is_broad_group
from servingstack.policy.view import EndpointView


@rule(
    "SS7",
    "Production endpoints grant nothing to broad groups",
    why="In production every caller is a named team or service principal, so that usage and "
    "incidents can be traced and access taken away from one team without breaking another.",
    fix="Grant to the groups or service principals that need the endpoint instead of a broad group.",
)
def broad_grants(endpoint: EndpointView, *, broad_groups: Sequence[str] = BROAD_GROUPS) -> Iterator[Problem]:
    for index, entry in enumerate(endpoint.grants):
        group = entry.get("group_name")
        if is_broad_group(group, broad_groups):
            yield Problem(f"grants[{index}]", f"group {group!r} has {entry.get('permission_level')}")
