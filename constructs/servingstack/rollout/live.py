"""The few live reads and writes a rollout needs: the endpoint as the service shows it, its traffic
moved by a config update that keeps the live served entities, and its metrics.

A traffic change is `PUT /api/2.0/serving-endpoints/{name}/config` ("Updates any combination of the
serving endpoint's served entities, the compute configuration of those served entities, and the
endpoint's traffic config", REST reference). Whether a body with `traffic_config` alone keeps the
served entities is unconfirmed, and every known client (the Terraform provider, Databricks' bundles)
sends the whole config, so this one does too: the live served entities, read back and sent unchanged
(output fields dropped), the live `auto_capture_config`, and the new routes in the live routes' order.
"An endpoint that already has an update in progress can not be updated until the current update
completes or fails" (same reference), and the API has no way to cancel one (SDK 0.162: no cancel
method; `UPDATE_CANCELED` is a state only): a refused update is `Busy`, to wait out, never a verdict.

The endpoint is read raw (`api_client`), not through the SDK's dataclasses, so that fields they do
not know survive the round trip.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, ResourceConflict
from databricks.sdk.service.serving import AutoCaptureConfigInput, ServedEntityInput

from servingstack.check.readiness import Readiness, assess

_ENTITY_INPUT_FIELDS = {f.name for f in dataclasses.fields(ServedEntityInput)}
_CAPTURE_INPUT_FIELDS = {f.name for f in dataclasses.fields(AutoCaptureConfigInput)}
# SDK ServedEntityInput.workload_size: not to be set with min/max provisioned concurrency.
_SIZED_BY_CONCURRENCY = ("min_provisioned_concurrency", "max_provisioned_concurrency")
_BUSY_CODES = ("RESOURCE_CONFLICT", "INVALID_STATE")


class Busy(Exception):
    """The service refused the update because another one is in progress."""


@dataclass(frozen=True)
class LiveState:
    """One look at the endpoint: how far its deployment is, and the split that serves."""

    raw: dict[str, Any]
    readiness: Readiness
    routes: tuple[tuple[str, int], ...]  # the serving config's routes, in their order
    entities: tuple[str, ...]  # the serving config's served entities
    fallback: bool = False  # AI Gateway fallback enabled
    pending_routes: tuple[tuple[str, int], ...] = field(default=())

    @property
    def split(self) -> dict[str, int]:
        return dict(self.routes)

    def percent(self, entity: str) -> int:
        return self.split.get(entity, 0)

    @property
    def config_version(self) -> int | None:
        return self.readiness.config_version

    @property
    def updating(self) -> bool:
        return self.readiness.config_update == "IN_PROGRESS" or self.raw.get("pending_config") is not None

    @property
    def done(self) -> bool:
        """READY, NOT_UPDATING and nothing pending (`check.readiness`)."""
        return self.readiness.phase == "ready"


def _routes(config: dict[str, Any] | None) -> tuple[tuple[str, int], ...]:
    routes = ((config or {}).get("traffic_config") or {}).get("routes") or []
    return tuple(
        (str(r.get("served_entity_name") or r.get("served_model_name") or ""), int(r.get("traffic_percentage") or 0))
        for r in routes
    )


def state_of(raw: dict[str, Any]) -> LiveState:
    config = raw.get("config") or {}
    fallback = bool((((raw.get("ai_gateway") or {}).get("fallback_config")) or {}).get("enabled"))
    return LiveState(
        raw=raw,
        readiness=assess(raw),
        routes=_routes(config),
        entities=tuple(str(e.get("name")) for e in config.get("served_entities") or [] if e.get("name")),
        fallback=fallback,
        pending_routes=_routes(raw.get("pending_config")),
    )


def entity_input(output: dict[str, Any]) -> dict[str, Any]:
    """A served entity as the service shows it, as the input that keeps it as it is."""
    entity = {k: v for k, v in output.items() if k in _ENTITY_INPUT_FIELDS and v is not None}
    if any(entity.get(k) is not None for k in _SIZED_BY_CONCURRENCY):
        entity.pop("workload_size", None)
    return entity


def config_body(state: LiveState, split: dict[str, int]) -> dict[str, Any]:
    """The PUT body that keeps the serving config's entities and sets `split`, routes in the live order."""
    config = state.raw.get("config") or {}
    order = [name for name, _ in state.routes] + [n for n in split if n not in dict(state.routes)]
    body: dict[str, Any] = {
        "served_entities": [entity_input(e) for e in config.get("served_entities") or []],
        "traffic_config": {
            "routes": [{"served_model_name": name, "traffic_percentage": split.get(name, 0)} for name in order]
        },
    }
    capture = config.get("auto_capture_config")
    if capture:
        body["auto_capture_config"] = {k: v for k, v in capture.items() if k in _CAPTURE_INPUT_FIELDS}
    return body


class LiveEndpoint:
    """One serving endpoint of the workspace, through the SDK's client (each call is one request;
    the caller retries)."""

    def __init__(self, client: WorkspaceClient, name: str):
        self.client = client
        self.name = name

    def read(self) -> LiveState:
        raw = self.client.api_client.do("GET", f"/api/2.0/serving-endpoints/{self.name}")
        assert isinstance(raw, dict)  # the API answers an object
        return state_of(raw)

    def set_traffic(self, state: LiveState, split: dict[str, int]) -> LiveState:
        """Start the config update that moves the traffic to `split`; `Busy` when one is in progress."""
        try:
            raw = self.client.api_client.do(
                "PUT", f"/api/2.0/serving-endpoints/{self.name}/config", body=config_body(state, split)
            )
        except ResourceConflict as error:
            raise Busy(str(error)) from None
        except DatabricksError as error:
            if error.error_code in _BUSY_CODES:
                raise Busy(str(error)) from None
            raise
        assert isinstance(raw, dict)
        return state_of(raw)

    def metrics_text(self) -> str:
        """The endpoint's metrics exposition (SDK `export_metrics`: Prometheus or OpenMetrics text)."""
        contents = self.client.serving_endpoints.export_metrics(self.name).contents
        return (contents.read() if contents is not None else b"").decode("utf-8", errors="replace")
