"""The emulated workspace: everything the server answers from, in one object.

The server's handlers, the in-process `Emulator` API and the admin routes all go
through it, so a fault injected from a test and one injected over HTTP behave alike.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from servingstack.emulator import apierrors
from servingstack.emulator.apps import AppStore
from servingstack.emulator.auth import CURRENT_USER, is_authorized
from servingstack.emulator.defaults import DEFAULT_DEPLOY_SECONDS
from servingstack.emulator.faults import BROKEN_ENTITY, DROP, SERVER_ERRORS, THROTTLE, Fault, FaultBook
from servingstack.emulator.identities import Identities
from servingstack.emulator.metrics import DEFAULT_WINDOW_SECONDS, QueryMetrics, RequestLog
from servingstack.emulator.oauth import IssuedTokens
from servingstack.emulator.permissions import PermissionBook
from servingstack.emulator.secrets_api import SecretStore
from servingstack.emulator.state import Endpoint, EndpointStore, ServedConfig
from servingstack.emulator.uc_permissions import GrantBook
from servingstack.emulator.unity_catalog import UnityCatalog

NOT_SCOPED = "the token is not scoped to this endpoint"


class Workspace:
    def __init__(
        self,
        *,
        token: str,
        deploy_seconds: float = DEFAULT_DEPLOY_SECONDS,
        update_seconds: float | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
        metrics_window_seconds: float = DEFAULT_WINDOW_SECONDS,
        metrics_per_entity: bool = False,
    ):
        self.token = token
        self.issued = IssuedTokens()
        self.faults = FaultBook()
        # Separate generators, so creating an endpoint never shifts the traffic draws.
        self._traffic_rng = random.Random(seed)
        self._fault_rng = random.Random(None if seed is None else f"faults/{seed}")
        self._caller_rng = random.Random(None if seed is None else f"callers/{seed}")
        id_rng = random.Random(None if seed is None else f"ids/{seed}")
        # A numeric workspace id, as the service's (`/.well-known/databricks-config`, route-optimized URLs).
        self.workspace_id = str(random.Random(None if seed is None else f"workspace/{seed}").randrange(10**15, 10**16))
        # Where route-optimized endpoints take queries: the data plane's listener (set when it listens).
        self.data_plane_url: str | None = None
        self.endpoints = EndpointStore(
            new_id=lambda: f"{id_rng.getrandbits(128):032x}",
            deployment_fault=self._deployment_fault,
            deploy_seconds=deploy_seconds,
            update_seconds=update_seconds,
            clock=clock,
        )
        self.permissions = PermissionBook()
        self.metrics = QueryMetrics(metrics_window_seconds, metrics_per_entity, clock)
        # Simulated callers: endpoint name -> queries per second (see `simulate_call`).
        self.callers: dict[str, float] = {}
        self.requests = RequestLog()
        self.signatures: dict[str, dict[str, str]] = {}
        self.secrets = SecretStore()
        self.uc_permissions = GrantBook()
        self.identities = Identities(CURRENT_USER)
        self.unity_catalog = UnityCatalog()
        # Apps start and are deleted in a deployment's time; each has its own service principal,
        # registered in the identities while the app exists.
        self.apps = AppStore(
            endpoints=self.endpoints,
            permissions=self.permissions,
            seed=seed,
            start_seconds=deploy_seconds,
            delete_seconds=deploy_seconds,
            clock=clock,
            identities=self.identities,
        )

    def _deployment_fault(self, endpoint: str) -> Fault | None:
        """An injected deployment fault, else a failure for a secret that does not exist."""
        fault = self.faults.deployment_fault(endpoint)
        if fault is not None:
            return fault
        deploying = self.endpoints.peek(endpoint)
        if deploying is None or deploying.deployment is None:
            return None
        return self.secrets.deployment_fault(endpoint, deploying.deployment.config.entities)

    def current_identities(self) -> Identities:
        """The identities as SCIM lists them now: an app whose deletion is done took its principal along."""
        self.apps.settle()
        return self.identities

    def accepts(self, token: str) -> bool:
        """The emulator's token, or one its OAuth token endpoint issued."""
        return is_authorized(f"Bearer {token}", self.token) or token in self.issued

    def authorizes(self, header: str | None) -> bool:
        """True for an `Authorization: Bearer <token>` header with an accepted token."""
        if is_authorized(header, self.token):
            return True
        scheme, _, presented = (header or "").partition(" ")
        return scheme.lower() == "bearer" and presented.strip() in self.issued

    def data_plane_refusal(self, header: str | None, endpoint_id: str) -> str | None:
        """Why the data plane refuses a query of the endpoint with this `Authorization` header
        (None: it takes it): only a data-plane token exchanged for this endpoint will do."""
        scheme, _, presented = (header or "").partition(" ")
        token = presented.strip() if scheme.lower() == "bearer" else ""
        scope = self.issued.data_plane_scope(token) if token else None
        if scope is not None:
            return None if endpoint_id in scope else NOT_SCOPED
        if token and is_authorized(f"Bearer {token}", self.token):
            return "personal access tokens are not supported: route-optimized endpoints take only OAuth tokens"
        if token in self.issued:
            return (
                "a workspace OAuth token is not a data-plane token: exchange it at /oidc/v1/token with the "
                "endpoint's data_plane_info.query_info.authorization_details"
            )
        return "credential was not sent or was not a valid data-plane token"

    def add_fault(self, fault: Fault) -> None:
        # Deployments already due finish before the fault exists: faults act from now on.
        self.endpoints.settle_all()
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.endpoints.settle_all()
        self.faults.clear()

    def set_model_signature(self, entity_name: str, columns: Mapping[str, str]) -> None:
        self.signatures[entity_name] = dict(columns)

    def draw_entity(self, config: ServedConfig, rng: random.Random | None = None) -> str:
        """The served entity that answers a query, drawn by the traffic split."""
        routes = [(name, percent) for name, percent in config.routes() if percent > 0]
        if not routes:
            name = config.entities[0].name
            assert name is not None  # a stored config's entities are all named (`build_config`)
            return name
        point = (rng or self._traffic_rng).randrange(sum(percent for _, percent in routes))
        for name, percent in routes:
            if point < percent:
                return name
            point -= percent
        return routes[-1][0]

    def _settled(self, endpoint: str) -> Endpoint | None:
        try:
            return self.endpoints.get(endpoint)
        except apierrors.ApiError:
            return None

    def share(self, endpoint: str, entity: str) -> int:
        """The served entity's percentage of the endpoint's traffic in the config that serves (0 if none)."""
        found = self._settled(endpoint)
        if found is None or found.active is None:
            return 0
        return sum(percent for name, percent in found.active.routes() if name == entity)

    def degradation(self, endpoint: str, entity: str) -> tuple[float, apierrors.ApiError | None]:
        """What a `degrade` fault does to one query the entity answers: extra seconds, and the error it
        answers with instead (drawn at the fault's error rate), while the entity takes its share."""
        fault = self.faults.degradation(endpoint, entity)
        if fault is None or self.share(endpoint, entity) < max(fault.from_percent, 1):
            return 0.0, None
        failed = fault.error_rate > 0 and self._fault_rng.random() < fault.error_rate
        error = (
            apierrors.ApiError(fault.status, "INTERNAL_ERROR", fault.message, headers={"served-model-name": entity})
            if failed
            else None
        )
        return fault.seconds, error

    def simulate_call(self, endpoint: str) -> None:
        """One query from the endpoint's simulated callers, answered as an HTTP query would be (drawn by
        the split; the served entity's faults and degradation apply) and counted in the metrics, without
        any HTTP. Dropped connections are not counted; a caller of a missing or unready endpoint is idle."""
        found = self._settled(endpoint)
        if found is None or found.active is None:
            return
        entity = self.draw_entity(found.active, self._caller_rng)
        latency = 0.0025 + 0.005 * self._fault_rng.random()  # a few milliseconds, as locally answered queries
        status = 200
        planned = self.faults.take(endpoint, "query", entity=entity)
        latency += planned.delay
        fault = planned.action
        if fault is not None and fault.kind == DROP:
            return
        if fault is not None and fault.kind == THROTTLE:
            status = 429
        elif fault is not None and fault.kind in (SERVER_ERRORS, BROKEN_ENTITY):
            status = fault.status
        else:
            delay, error = self.degradation(endpoint, entity)
            latency += delay
            status = error.status if error is not None else 200
        self.metrics.record(endpoint, entity, status, latency)
