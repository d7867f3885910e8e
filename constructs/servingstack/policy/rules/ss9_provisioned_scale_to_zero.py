"""SS9: provisioned throughput never scales to zero."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView

_PROVISIONED = ("min_provisioned_throughput", "max_provisioned_throughput", "provisioned_model_units")


@rule(
    "SS9",
    "Provisioned throughput does not scale to zero",
    why="Reserved throughput is bought for steady latency; scaled to zero, the first requests after a "
    "quiet spell wait for capacity to come back. The provider allows it (its foundation-model example "
    "does it), so this is a preference, not a service rule.",
    fix="Drop scale to zero from provisioned throughput entities, suppress this finding where cold starts "
    "are fine, or serve the model pay-per-token (FoundationModel).",
)
def provisioned_scale_to_zero(endpoint: EndpointView) -> Iterator[Problem]:
    for index, entity in enumerate(endpoint.served_entities):
        provisioned = any(entity.get(key) is not None for key in _PROVISIONED)
        if provisioned and entity.get("scale_to_zero_enabled"):
            yield Problem(
                f"config.served_entities[{index}].scale_to_zero_enabled", "provisioned throughput with scale to zero"
            )
