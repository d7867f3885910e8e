"""How endpoints look on the wire, built from the SDK's own response dataclasses."""

from __future__ import annotations

from typing import Any

from databricks.sdk.service.serving import (
    AiGatewayConfig,
    AutoCaptureConfigOutput,
    DataPlaneInfo,
    EndpointCoreConfigOutput,
    EndpointCoreConfigSummary,
    EndpointPendingConfig,
    EndpointState,
    EndpointStateConfigUpdate,
    EndpointStateReady,
    FoundationModel,
    ModelDataPlaneInfo,
    ServedEntityInput,
    ServedEntityOutput,
    ServedEntitySpec,
    ServedModelState,
    ServedModelStateDeployment,
    ServingEndpoint,
    ServingEndpointDetailed,
    ServingEndpointDetailedPermissionLevel,
)

from servingstack.emulator.state import Endpoint, ServedConfig
from servingstack.emulator.tasks import is_foundation_model
from servingstack.facts.route_optimized import INVOCATIONS_PATH, authorization_details


def invocations_url(base_url: str, workspace_id: str, name: str) -> str:
    """A route-optimized endpoint's URL on the data plane."""
    return base_url + INVOCATIONS_PATH.format(workspace_id=workspace_id, name=name)


READY_MESSAGE = "Served entity is ready to serve traffic."
CREATING_MESSAGE = "Building the serving container and provisioning compute."


def detailed(endpoint: Endpoint, data_plane_url: str, workspace_id: str) -> dict[str, Any]:
    """The `GET /api/2.0/serving-endpoints/{name}` answer (`data_plane_url`: where route-optimized
    endpoints take queries)."""
    pending = None
    if endpoint.deployment is not None:
        deployment = endpoint.deployment
        entity_state: tuple[ServedModelStateDeployment, str]
        if deployment.failure is not None:  # `deployment.failed`, with the failure's message known to be there
            entity_state = (ServedModelStateDeployment.DEPLOYMENT_FAILED, deployment.failure)
        else:
            entity_state = (ServedModelStateDeployment.DEPLOYMENT_CREATING, CREATING_MESSAGE)
        pending = EndpointPendingConfig(
            config_version=deployment.config.version,
            start_time=deployment.start_ms,
            served_entities=_entities(deployment.config, endpoint, deployment.start_ms, *entity_state),
            traffic_config=deployment.config.traffic,
            auto_capture_config=_auto_capture(deployment.config),
        )
    config = None
    if endpoint.active is not None:
        config = EndpointCoreConfigOutput(
            config_version=endpoint.active.version,
            served_entities=_entities(
                endpoint.active,
                endpoint,
                endpoint.active_since_ms,
                ServedModelStateDeployment.DEPLOYMENT_READY,
                READY_MESSAGE,
            ),
            traffic_config=endpoint.active.traffic,
            auto_capture_config=_auto_capture(endpoint.active),
        )
    answer = ServingEndpointDetailed(
        **_shared_fields(endpoint),
        config=config,
        pending_config=pending,
        route_optimized=endpoint.route_optimized,
        # "This field is only populated if the endpoint is route-optimized" (facts.route_optimized).
        endpoint_url=invocations_url(data_plane_url, workspace_id, endpoint.name) if endpoint.route_optimized else None,
        data_plane_info=_data_plane_info(endpoint, data_plane_url, workspace_id),
        permission_level=ServingEndpointDetailedPermissionLevel.CAN_MANAGE,
        description=endpoint.description,
        email_notifications=endpoint.email_notifications,
        budget_policy_id=endpoint.budget_policy_id,
    ).as_dict()
    if endpoint.active is not None:
        _overlay_entities(answer["config"], endpoint.active)
    if endpoint.deployment is not None:
        _overlay_entities(answer["pending_config"], endpoint.deployment.config)
    return _overlay(answer, _redact(endpoint.extras))


def _overlay(shown: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """`shown` plus the fields of `raw` it lacks: what the request sent that the SDK's dataclasses
    dropped (newer fields, enum values such as GPU_MEDIUM_8 that the SDK does not list) is stored
    and shown back, as the service does."""
    for key, value in raw.items():
        if key not in shown:
            shown[key] = value
        elif isinstance(shown[key], dict) and isinstance(value, dict):
            _overlay(shown[key], value)
    return shown


def _overlay_entities(config: dict[str, Any], served: ServedConfig) -> None:
    for shown, raw in zip(config.get("served_entities") or [], served.raw_entities):
        _overlay(shown, _redact(raw))


def _data_plane_info(endpoint: Endpoint, data_plane_url: str, workspace_id: str) -> ModelDataPlaneInfo | None:
    """Route-optimized endpoints are queried on the data plane with an exchanged OAuth token."""
    if not endpoint.route_optimized:
        return None
    return ModelDataPlaneInfo(
        query_info=DataPlaneInfo(
            endpoint_url=invocations_url(data_plane_url, workspace_id, endpoint.name),
            authorization_details=authorization_details(endpoint.id),
        )
    )


def summary(endpoint: Endpoint) -> dict[str, Any]:
    """One element of the list answer: no pending config, entities named only."""
    shown = endpoint.active or (endpoint.deployment.config if endpoint.deployment is not None else None)
    config = None
    if shown is not None:
        config = EndpointCoreConfigSummary(
            served_entities=[
                ServedEntitySpec(
                    name=e.name,
                    entity_name=e.entity_name,
                    entity_version=e.entity_version,
                    external_model=e.external_model,
                    foundation_model=_foundation_model(e),
                )
                for e in shown.entities
            ]
        )
    answer = _redact(
        ServingEndpoint(
            **_shared_fields(endpoint),
            config=config,
            description=endpoint.description,
            budget_policy_id=endpoint.budget_policy_id,
        ).as_dict()
    )
    if shown is not None:
        names = ("name", "entity_name", "entity_version", "external_model")
        raws = [{k: v for k, v in raw.items() if k in names} for raw in shown.raw_entities]
        _overlay_entities(answer["config"], ServedConfig(shown.version, shown.entities, shown.traffic, None, raws))
    return _overlay(answer, _redact({k: v for k, v in endpoint.extras.items() if k in _LISTED}))


# Stored fields that the list answer shows too (SDK ServingEndpoint has them).
_LISTED = {"usage_policy_id", "telemetry_config"}


def _shared_fields(endpoint: Endpoint) -> dict[str, Any]:
    """What the detailed answer (get) and the summary (list) both show of an endpoint."""
    return dict(
        name=endpoint.name,
        id=endpoint.id,
        creator=endpoint.creator,
        creation_timestamp=endpoint.created_ms,
        last_updated_timestamp=endpoint.updated_ms,
        state=_state(endpoint),
        task=endpoint.task,
        tags=endpoint.tags or None,
        ai_gateway=gateway(endpoint),
    )


def gateway(endpoint: Endpoint) -> AiGatewayConfig | None:
    """The AI gateway as the service shows it: an inference table without a table prefix gets the
    endpoint's name (the service's default, as MLflow's deployments client documents in its
    `update_endpoint_ai_gateway` example answer)."""
    shown = endpoint.ai_gateway
    if shown is None:
        return None
    table = shown.inference_table_config
    if table is None or table.table_name_prefix or not table.enabled:
        return shown
    shown = AiGatewayConfig.from_dict(shown.as_dict())
    assert shown.inference_table_config is not None  # a copy of the gateway above, which has a table
    shown.inference_table_config.table_name_prefix = endpoint.name
    return shown


def _state(endpoint: Endpoint) -> EndpointState:
    return EndpointState(
        ready=EndpointStateReady.READY if endpoint.ready else EndpointStateReady.NOT_READY,
        config_update=EndpointStateConfigUpdate(endpoint.config_update),
    )


def _entities(
    config: ServedConfig,
    endpoint: Endpoint,
    since_ms: int | None,
    deployment: ServedModelStateDeployment,
    message: str,
) -> list[ServedEntityOutput]:
    outputs = []
    for entity in config.entities:
        out = ServedEntityOutput.from_dict(_redact(entity.as_dict()))
        out.creator = endpoint.creator
        out.creation_timestamp = since_ms
        out.foundation_model = _foundation_model(entity)
        out.state = ServedModelState(deployment=deployment, deployment_state_message=message)
        outputs.append(out)
    return outputs


def _foundation_model(entity: ServedEntityInput) -> FoundationModel | None:
    name = entity.entity_name
    if entity.external_model is not None or name is None or not is_foundation_model(name):
        return None
    return FoundationModel(name=name, display_name=name.rsplit(".", 1)[-1])


def _auto_capture(config: ServedConfig) -> AutoCaptureConfigOutput | None:
    if config.auto_capture is None:
        return None
    return AutoCaptureConfigOutput.from_dict(config.auto_capture.as_dict())


def _redact(value: Any) -> Any:
    """Drop `*_plaintext` secrets: the service never echoes them back."""
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items() if not k.endswith("_plaintext")}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value
