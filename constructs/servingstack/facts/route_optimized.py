"""Route-optimized endpoints: where they take queries and with what credentials. The checker
(`client.data_plane`) and the emulator both read these facts.

Databricks docs, "Query route-optimized serving endpoints"
(https://docs.databricks.com/aws/machine-learning/model-serving/query-route-optimization).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

# "Starting September 22, 2025, all newly created route-optimized endpoints must be queried exclusively
# through the route-optimized URL. Endpoints created after this date do not support querying through
# the workspace URL." Older ones "continue to support both invocations URLs".
WORKSPACE_URL_CUTOFF = datetime(2025, 9, 22, tzinfo=UTC)
WORKSPACE_URL_CUTOFF_MS = int(WORKSPACE_URL_CUTOFF.timestamp() * 1000)

# "Querying route-optimized endpoints only support using OAuth tokens. Personal access tokens are not supported."
OAUTH_ONLY = True

# "https://<unique-id>.serving.cloud.databricks.com/<workspace-id>/serving-endpoints/<endpoint-name>/invocations"
# (the same page); `GET /api/2.0/serving-endpoints/{name}` shows it as `endpoint_url`, which "is only populated
# if the endpoint is route-optimized" (the page's REST API section).
INVOCATIONS_PATH = "/{workspace_id}/serving-endpoints/{name}/invocations"

# What a data-plane token is scoped to: `data_plane_info.query_info.authorization_details` (SDK 0.162
# `DataPlaneInfo.authorization_details`: "Authorization details as a string."), sent verbatim in the
# token exchange (`databricks.sdk.data_plane.DataPlaneEndpointTokenSource.refresh`). Its content is
# not in the docs found: this shape is the one clients are seen to request (a workspace permission
# to query one endpoint, by id); UNCONFIRMED beyond that.
QUERY_ACTION = "query_inference_endpoint"


def authorization_details(endpoint_id: str) -> str:
    return json.dumps(
        [
            {
                "type": "workspace_permission",
                "object_type": "serving-endpoints",
                "object_path": f"/serving-endpoints/{endpoint_id}",
                "actions": [QUERY_ACTION],
            }
        ]
    )


def endpoint_ids_in(details: Any) -> set[str] | None:
    """The endpoint ids that authorization details (as sent, a JSON string) allow querying;
    None when they are not that shape at all."""
    try:
        parsed = json.loads(details) if isinstance(details, str) else None
    except (ValueError, RecursionError):  # not JSON, a number too long to read, or nested past any shape
        return None
    if not isinstance(parsed, list) or not parsed:
        return None
    ids = set()
    for item in parsed:
        if not isinstance(item, dict) or item.get("type") != "workspace_permission":
            return None
        path = item.get("object_path")
        actions = item.get("actions")
        if item.get("object_type") != "serving-endpoints" or not isinstance(path, str):
            return None
        if not isinstance(actions, list) or QUERY_ACTION not in actions:
            return None
        prefix = "/serving-endpoints/"
        if not path.startswith(prefix) or not path[len(prefix) :]:
            return None
        ids.add(path[len(prefix) :])
    return ids


def workspace_url_answers(created_ms: int | None) -> bool:
    """Whether a route-optimized endpoint created then still takes queries on the workspace URL."""
    return created_ms is not None and created_ms < WORKSPACE_URL_CUTOFF_MS
