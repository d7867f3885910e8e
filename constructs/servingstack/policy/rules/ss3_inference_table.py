"""SS3 (production): production endpoints keep an inference table."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS3",
    "Production endpoints keep an inference table",
    why="The requests and responses of production traffic are the audit trail, and the data for "
    "monitoring and retraining; without an inference table they are lost.",
    fix="Set ai_gateway=AiGateway(inference_table=InferenceTable(catalog, schema, table_prefix=...)) "
    "with a Unity Catalog schema the endpoint may write to.",
)
def inference_table(endpoint: EndpointView) -> Iterator[Problem]:
    if not (endpoint.ai_gateway.get("inference_table_config") or {}).get("enabled"):
        yield Problem("ai_gateway.inference_table_config.enabled", "no inference table is enabled")
