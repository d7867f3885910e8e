"""SS10: several served entities come with an explicit traffic split.

`ServingEndpoint` already refuses this; the rule keeps the pack complete for endpoints
checked from raw requests."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS10",
    "Several served entities have an explicit traffic split",
    why="Without routes the split across served entities is not declared, so a canary could "
    "receive any share of the traffic.",
    fix="Pass traffic={...} (or canary(...) / blue_green(...)) naming every served entity, summing to 100.",
)
def traffic_split(endpoint: EndpointView) -> Iterator[Problem]:
    count = len(endpoint.served_entities)
    if count > 1 and not endpoint.routes:
        yield Problem("config.traffic_config", f"{count} served entities and no traffic split")
