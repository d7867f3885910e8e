"""The emulated workspace: everything the server answers from, in one object.

The server's handlers, the in-process `Emulator` API and the admin routes all go
through it, so a fault injected from a test and one injected over HTTP behave alike.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from servingstack.emulator.auth import CURRENT_USER, is_authorized
from servingstack.emulator.defaults import DEFAULT_DEPLOY_SECONDS
from servingstack.emulator.faults import Fault, FaultBook
from servingstack.emulator.identities import Identities
from servingstack.emulator.metrics import QueryMetrics, RequestLog
from servingstack.emulator.oauth import IssuedTokens
from servingstack.emulator.permissions import PermissionBook
from servingstack.emulator.secrets_api import SecretStore
from servingstack.emulator.state import EndpointStore, ServedConfig
from servingstack.emulator.uc_permissions import GrantBook
from servingstack.emulator.unity_catalog import UnityCatalog


class Workspace:
    def __init__(
        self,
        *,
        token: str,
        deploy_seconds: float = DEFAULT_DEPLOY_SECONDS,
        seed: int | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.token = token
        self.issued = IssuedTokens()
        self.faults = FaultBook()
        # Separate generators, so creating an endpoint never shifts the traffic draws.
        self._traffic_rng = random.Random(seed)
        id_rng = random.Random(None if seed is None else f"ids/{seed}")
        self.endpoints = EndpointStore(
            new_id=lambda: f"{id_rng.getrandbits(128):032x}",
            deployment_fault=self._deployment_fault,
            deploy_seconds=deploy_seconds,
            clock=clock,
        )
        self.permissions = PermissionBook()
        self.metrics = QueryMetrics()
        self.requests = RequestLog()
        self.signatures: dict[str, dict[str, str]] = {}
        self.secrets = SecretStore()
        self.uc_permissions = GrantBook()
        self.identities = Identities(CURRENT_USER)
        self.unity_catalog = UnityCatalog()

    def _deployment_fault(self, endpoint: str) -> Fault | None:
        """An injected deployment fault, else a failure for a secret that does not exist."""
        fault = self.faults.deployment_fault(endpoint)
        if fault is not None:
            return fault
        deploying = self.endpoints.peek(endpoint)
        if deploying is None or deploying.deployment is None:
            return None
        return self.secrets.deployment_fault(endpoint, deploying.deployment.config.entities)

    def accepts(self, token: str) -> bool:
        """The emulator's token, or one its OAuth token endpoint issued."""
        return is_authorized(f"Bearer {token}", self.token) or token in self.issued

    def authorizes(self, header: str | None) -> bool:
        """True for an `Authorization: Bearer <token>` header with an accepted token."""
        if is_authorized(header, self.token):
            return True
        scheme, _, presented = (header or "").partition(" ")
        return scheme.lower() == "bearer" and presented.strip() in self.issued

    def add_fault(self, fault: Fault) -> None:
        # Deployments already due finish before the fault exists: faults act from now on.
        self.endpoints.settle_all()
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.endpoints.settle_all()
        self.faults.clear()

    def set_model_signature(self, entity_name: str, columns: Mapping[str, str]) -> None:
        self.signatures[entity_name] = dict(columns)

    def draw_entity(self, config: ServedConfig) -> str:
        """The served entity that answers a query, drawn by the traffic split."""
        routes = [(name, percent) for name, percent in config.routes() if percent > 0]
        if not routes:
            name = config.entities[0].name
            assert name is not None  # a stored config's entities are all named (`build_config`)
            return name
        point = self._traffic_rng.randrange(sum(percent for _, percent in routes))
        for name, percent in routes:
            if point < percent:
                return name
            point -= percent
        return routes[-1][0]
