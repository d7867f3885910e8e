"""SS14 (warning): a workload type the SDK does not list may not exist in every cloud."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.facts.rules import WORKLOAD_TYPES
from servingstack.policy.rule import Severity, rule
from servingstack.policy.view import EndpointView


@rule(
    "SS14",
    "Workload types the SDK lists",
    severity=Severity.WARNING,
    why="The GPU workload types differ per cloud (product docs, GPU workload types); a type outside "
    "the SDK's ServingModelWorkloadType enum (e.g. GPU_MEDIUM_8) may not exist in this workspace's "
    "cloud, and the service would refuse it in the middle of an apply.",
    fix="Check the type against the GPU workload types of your cloud, then suppress this finding.",
)
def workload_type(endpoint: EndpointView) -> Iterator[Problem]:
    for index, entity in enumerate(endpoint.served_entities):
        wtype = entity.get("workload_type")
        if wtype is not None and wtype not in WORKLOAD_TYPES:
            yield Problem(
                f"config.served_entities[{index}].workload_type",
                f"{wtype!r} is not one of the SDK's {', '.join(WORKLOAD_TYPES)}",
            )
