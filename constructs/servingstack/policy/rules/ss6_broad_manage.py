"""SS6: no broad group may manage an endpoint."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.rules._groups import BROAD_GROUPS, is_broad_group
from servingstack.policy.view import EndpointView


@rule(
    "SS6",
    "No CAN_MANAGE for broad groups",
    why="CAN_MANAGE lets every member of the group change the endpoint's models, traffic and "
    "permissions, or delete it; 'users' is everyone in the workspace.",
    fix="Grant CAN_MANAGE only to the owning group (grant_manage(group=...)); give broad groups CAN_QUERY at most.",
)
def broad_manage(endpoint: EndpointView, *, broad_groups: Sequence[str] = BROAD_GROUPS) -> Iterator[Problem]:
    for index, entry in enumerate(endpoint.grants):
        group = entry.get("group_name")
        if is_broad_group(group, broad_groups) and entry.get("permission_level") == "CAN_MANAGE":
            yield Problem(f"grants[{index}]", f"group {group!r} has CAN_MANAGE")
