"""SS8 (warning): `scale_to_zero_enabled = false` is not sent by current Terraform providers."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import Severity, rule
from servingstack.policy.view import EndpointView


@rule(
    "SS8",
    "scale_to_zero_enabled = false is not sent by the Terraform provider",
    severity=Severity.WARNING,
    why="Current Databricks providers drop a false scale_to_zero_enabled (terraform-provider-databricks "
    "issue #3946): the service default applies and every plan shows a diff.",
    fix="Leave scale to zero unset (CustomModel(..., scale_to_zero=None)): the service default is off.",
)
def scale_to_zero_false(endpoint: EndpointView) -> Iterator[Problem]:
    for index, entity in enumerate(endpoint.served_entities):
        if entity.get("scale_to_zero_enabled") is False:
            yield Problem(f"config.served_entities[{index}].scale_to_zero_enabled", "is false")
