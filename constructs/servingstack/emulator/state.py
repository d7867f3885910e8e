"""Endpoints and their state machine, computed lazily from timestamps.

A create or config update starts a deployment of a new config version. The deployment
finishes `deploy_seconds` after it started (a config update of an endpoint that already serves:
`update_seconds`, by default the same): it becomes the active `config` (READY,
NOT_UPDATING), or, under a fail_deployment fault, stays as a failed `pending_config`
(UPDATE_FAILED), or, under never_ready, never finishes. Nothing runs in the
background: every read settles deployments whose time has come.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk.service.serving import (
    AiGatewayConfig,
    AutoCaptureConfigInput,
    EmailNotifications,
    EndpointCoreConfigInput,
    EndpointTag,
    RateLimit,
    Route,
    ServedEntityInput,
    TrafficConfig,
)

from servingstack.emulator import apierrors
from servingstack.emulator.auth import CURRENT_USER
from servingstack.emulator.defaults import DEFAULT_DEPLOY_SECONDS
from servingstack.emulator.faults import FAIL_DEPLOYMENT, NEVER_READY, Fault
from servingstack.emulator.tasks import infer_task
from servingstack.facts import rules


def now_ms(clock: Callable[[], float] = time.time) -> int:
    return int(clock() * 1000)


def default_entity_name(entity: ServedEntityInput) -> str:
    """The service's default (SDK `ServedEntityInput.name`): the external model's name, else
    `entity_name-entity_version`, with '.' and ':' as '-'."""
    return rules.default_entity_name(entity.as_dict()) or "entity"


# Product docs (custom model serving): an entity created without a workload size runs as Small.
DEFAULT_WORKLOAD_SIZE = "Small"
_SIZED_ELSEWHERE = (
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
)


@dataclass
class ServedConfig:
    """One config version: its served entities (names filled in) and traffic split."""

    version: int
    entities: list[ServedEntityInput]
    traffic: TrafficConfig
    auto_capture: AutoCaptureConfigInput | None = None
    # The request's own entity dicts, in the same order: fields the SDK dataclasses drop (newer
    # fields, enum values the SDK does not list yet) are shown back from these.
    raw_entities: list[dict[str, Any]] = field(default_factory=list)

    def entity(self, name: str) -> ServedEntityInput | None:
        return next((e for e in self.entities if e.name == name), None)

    def routes(self) -> list[tuple[str, int]]:
        return [
            (r.served_entity_name or r.served_model_name or "", r.traffic_percentage) for r in self.traffic.routes or []
        ]


def build_config(version: int, config: EndpointCoreConfigInput, raw: Mapping[str, Any] | None = None) -> ServedConfig:
    entities = [ServedEntityInput.from_dict(e.as_dict()) for e in config.served_entities or []]
    raw_entities = [dict(e) for e in (raw or {}).get("served_entities") or [] if isinstance(e, Mapping)]
    for legacy in config.served_models or []:  # deprecated served_models: same thing, older names
        d = legacy.as_dict()
        d["entity_name"] = d.pop("model_name", None)
        d["entity_version"] = d.pop("model_version", None)
        entities.append(ServedEntityInput.from_dict(d))
    for legacy in (raw or {}).get("served_models") or []:
        if isinstance(legacy, Mapping):
            raw_entities.append({k: v for k, v in legacy.items() if k not in ("model_name", "model_version")})
    if len(raw_entities) != len(entities):
        raw_entities = [{} for _ in entities]
    names: list[str] = []
    for entity in entities:
        entity.name = name = entity.name or default_entity_name(entity)
        names.append(name)
        if _needs_default_size(entity):
            entity.workload_size = DEFAULT_WORKLOAD_SIZE
    traffic = config.traffic_config
    if not traffic or not traffic.routes:
        traffic = _even_split(names)
    # The service answers every route with both names (served_model_name is the older spelling).
    traffic = TrafficConfig(
        routes=[
            Route(
                traffic_percentage=r.traffic_percentage,
                served_model_name=r.served_model_name or r.served_entity_name,
                served_entity_name=r.served_entity_name or r.served_model_name,
            )
            for r in traffic.routes or []
        ]
    )
    return ServedConfig(version, entities, traffic, config.auto_capture_config, raw_entities)


def _needs_default_size(entity: ServedEntityInput) -> bool:
    """A custom model or feature spec without any sizing: not external, not a foundation model."""
    if entity.workload_size or entity.external_model is not None:
        return False
    if str(entity.entity_name or "").startswith("system.ai."):
        return False
    return all(getattr(entity, key) is None for key in _SIZED_ELSEWHERE)


def _even_split(names: list[str]) -> TrafficConfig:
    """Without a traffic config every entity gets an equal share (one entity: all of it)."""
    if not names:
        return TrafficConfig(routes=[])
    share, rest = divmod(100, len(names))
    return TrafficConfig(
        routes=[
            Route(served_model_name=n, served_entity_name=n, traffic_percentage=share + (rest if i == 0 else 0))
            for i, n in enumerate(names)
        ]
    )


@dataclass
class CreateRequest:
    """A parsed create request (the SDK has no dataclass for the whole body)."""

    name: str
    config: EndpointCoreConfigInput | None
    ai_gateway: AiGatewayConfig | None = None
    tags: list[EndpointTag] = field(default_factory=list)
    route_optimized: bool | None = None
    description: str | None = None
    email_notifications: EmailNotifications | None = None
    budget_policy_id: str | None = None
    rate_limits: list[RateLimit] = field(default_factory=list)
    raw_config: dict[str, Any] | None = None  # the request's config as sent
    extras: dict[str, Any] = field(default_factory=dict)  # top-level fields the SDK's dataclasses drop


@dataclass
class Deployment:
    """A config version being deployed, or one whose deployment failed."""

    config: ServedConfig
    start_ms: int
    failure: str | None = None  # why it failed; None while it runs
    update: bool = False  # an update of an endpoint that serves already (timed by update_seconds)

    @property
    def failed(self) -> bool:
        return self.failure is not None


@dataclass
class Endpoint:
    name: str
    id: str
    creator: str
    created_ms: int
    updated_ms: int
    task: str | None
    tags: list[EndpointTag]
    ai_gateway: AiGatewayConfig | None
    route_optimized: bool | None
    description: str | None
    email_notifications: EmailNotifications | None
    budget_policy_id: str | None
    rate_limits: list[RateLimit]
    active: ServedConfig | None = None  # the config that serves queries
    active_since_ms: int | None = None
    deployment: Deployment | None = None  # shown as pending_config
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. telemetry_config, stored and shown back

    @property
    def ready(self) -> bool:
        return self.active is not None

    @property
    def updating(self) -> bool:
        return self.deployment is not None and not self.deployment.failed

    @property
    def config_update(self) -> str:
        if self.deployment is None:
            return "NOT_UPDATING"
        return "UPDATE_FAILED" if self.deployment.failed else "IN_PROGRESS"

    @property
    def latest_version(self) -> int:
        versions = [c.version for c in (self.active, self.deployment and self.deployment.config) if c]
        return max(versions, default=0)


def _entities(endpoint: Endpoint) -> list[dict[str, Any]]:
    """The served entities of an endpoint, as API dicts (the active config, else the one deploying)."""
    config = endpoint.active or (endpoint.deployment.config if endpoint.deployment else None)
    return [entity.as_dict() for entity in config.entities] if config is not None else []


class EndpointStore:
    """Every endpoint of the workspace, by name and by id. Thread-safe."""

    def __init__(
        self,
        *,
        new_id: Callable[[], str],
        deployment_fault: Callable[[str], Fault | None] = lambda name: None,
        deploy_seconds: float = DEFAULT_DEPLOY_SECONDS,
        update_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
        creator: str = CURRENT_USER,
    ):
        self._new_id = new_id
        self._deployment_fault = deployment_fault
        self._default_deploy_seconds = deploy_seconds
        self._deploy_seconds: dict[str, float] = {}
        self._default_update_seconds = update_seconds  # None: as deployments
        self._update_seconds: dict[str, float] = {}
        self._clock = clock
        self._creator = creator
        self.lock = threading.RLock()  # held by readers that render an endpoint
        self._endpoints: dict[str, Endpoint] = {}
        self._names_by_id: dict[str, str] = {}

    # -- reads -------------------------------------------------------------------------
    def get(self, name: str) -> Endpoint:
        with self.lock:
            endpoint = self._endpoints.get(name)
            if endpoint is None:
                raise apierrors.endpoint_not_found(name)
            self._settle(endpoint, now_ms(self._clock))
            return endpoint

    def get_by_id(self, endpoint_id: str) -> Endpoint:
        with self.lock:
            name = self._names_by_id.get(endpoint_id)
            if name is None:
                raise apierrors.endpoint_id_not_found(endpoint_id)
            return self.get(name)

    def peek(self, name: str) -> Endpoint | None:
        """The endpoint as stored, without settling deployments (for the deployment-fault hook)."""
        return self._endpoints.get(name)

    def name_of(self, endpoint_id: str) -> str | None:
        return self._names_by_id.get(endpoint_id)

    def all(self) -> list[Endpoint]:
        with self.lock:
            self.settle_all()
            return list(self._endpoints.values())

    # -- writes ------------------------------------------------------------------------
    def create(self, request: CreateRequest) -> Endpoint:
        with self.lock:
            if request.name in self._endpoints:
                raise apierrors.endpoint_exists(request.name)
            # LIMITS: at most 1000 custom model and agent endpoints per workspace (rules.counts_toward_endpoint_limit).
            counted = [e for e in self._endpoints.values() if rules.counts_toward_endpoint_limit(_entities(e))]
            if len(counted) >= rules.MAX_ENDPOINTS_PER_WORKSPACE and rules.counts_toward_endpoint_limit(
                [entity.as_dict() for entity in (request.config.served_entities or [])] if request.config else []
            ):
                raise apierrors.ApiError(
                    400,
                    "RESOURCE_LIMIT_EXCEEDED",
                    f"A workspace has at most {rules.MAX_ENDPOINTS_PER_WORKSPACE} custom model and agent "
                    "serving endpoints.",
                )
            now = now_ms(self._clock)
            # A create without a config is accepted (the config can be added later): no deployment yet.
            config = build_config(1, request.config, request.raw_config) if request.config is not None else None
            endpoint = Endpoint(
                name=request.name,
                id=self._new_id(),
                creator=self._creator,
                created_ms=now,
                updated_ms=now,
                task=infer_task(e.as_dict() for e in config.entities) if config else None,
                tags=list(request.tags),
                ai_gateway=request.ai_gateway,
                route_optimized=request.route_optimized,
                description=request.description,
                email_notifications=request.email_notifications,
                budget_policy_id=request.budget_policy_id,
                rate_limits=list(request.rate_limits),
                deployment=Deployment(config, now) if config else None,
                extras=dict(request.extras),
            )
            self._endpoints[endpoint.name] = endpoint
            self._names_by_id[endpoint.id] = endpoint.name
            return endpoint

    def delete(self, name: str) -> Endpoint:
        with self.lock:
            endpoint = self._endpoints.pop(name, None)
            if endpoint is None:
                raise apierrors.endpoint_not_found(name)
            self._names_by_id.pop(endpoint.id, None)
            return endpoint

    def update_config(
        self, name: str, config: EndpointCoreConfigInput, raw: Mapping[str, Any] | None = None
    ) -> Endpoint:
        """Start deploying a new config version; the active config keeps serving meanwhile."""
        with self.lock:
            endpoint = self.get(name)
            if endpoint.updating:
                assert endpoint.deployment is not None  # updating: a deployment is running
                raise apierrors.update_in_progress(name, endpoint.deployment.config.version)
            now = now_ms(self._clock)
            # Everything is computed before the endpoint changes: a failure leaves it as it was.
            new_config = build_config(endpoint.latest_version + 1, config, raw)
            task = infer_task(e.as_dict() for e in new_config.entities) or endpoint.task
            endpoint.deployment = Deployment(new_config, now, update=endpoint.active is not None)
            endpoint.task = task
            endpoint.updated_ms = now
            return endpoint

    def touch(self, endpoint: Endpoint) -> None:
        endpoint.updated_ms = max(endpoint.updated_ms, now_ms(self._clock))

    # -- deployment timing -------------------------------------------------------------
    def set_deploy_seconds(self, seconds: float, endpoint: str | None = None) -> None:
        """Deployment time for one endpoint, or the default for all; applies to running deployments too."""
        if seconds < 0:
            raise ValueError("deploy seconds must be >= 0")
        with self.lock:
            self.settle_all()  # deployments already due finish under the old timing
            if endpoint is None:
                self._default_deploy_seconds = float(seconds)
            else:
                self._deploy_seconds[endpoint] = float(seconds)

    def deploy_seconds(self, endpoint: str) -> float:
        return self._deploy_seconds.get(endpoint, self._default_deploy_seconds)

    def set_update_seconds(self, seconds: float, endpoint: str | None = None) -> None:
        """How long a config update of an endpoint that serves already takes (one endpoint, or by default)."""
        if seconds < 0:
            raise ValueError("update seconds must be >= 0")
        with self.lock:
            self.settle_all()
            if endpoint is None:
                self._default_update_seconds = float(seconds)
            else:
                self._update_seconds[endpoint] = float(seconds)

    def update_seconds(self, endpoint: str) -> float:
        if endpoint in self._update_seconds:
            return self._update_seconds[endpoint]
        if self._default_update_seconds is not None:
            return self._default_update_seconds
        return self.deploy_seconds(endpoint)

    def settle_all(self) -> None:
        with self.lock:
            now = now_ms(self._clock)
            for endpoint in self._endpoints.values():
                self._settle(endpoint, now)

    def _settle(self, endpoint: Endpoint, now: int) -> None:
        deployment = endpoint.deployment
        if deployment is None or deployment.failed:
            return
        fault = self._deployment_fault(endpoint.name)
        if fault is not None and fault.kind == NEVER_READY:
            return
        seconds = self.update_seconds(endpoint.name) if deployment.update else self.deploy_seconds(endpoint.name)
        due = deployment.start_ms + int(seconds * 1000)
        if now < due:
            return
        endpoint.updated_ms = max(endpoint.updated_ms, due)
        if fault is not None and fault.kind == FAIL_DEPLOYMENT:
            deployment.failure = fault.message
            return
        endpoint.active = deployment.config
        endpoint.active_since_ms = due
        endpoint.deployment = None
