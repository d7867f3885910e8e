"""Helpers for the emulator conformance suite: clients, configs, bounded polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    Route,
    ServedEntityInput,
    ServingEndpointDetailed,
    TrafficConfig,
)

from servingstack.emulator import Emulator

TOKEN = "test-token"
RETRY_SECONDS = 5


def client_for(emulator: Emulator, token: str = TOKEN, retry_seconds: int = RETRY_SECONDS) -> WorkspaceClient:
    return WorkspaceClient(
        config=Config(host=emulator.url, token=token, auth_type="pat", retry_timeout_seconds=retry_seconds)
    )


def custom_config(name: str, *versions: str, routes: dict[str, int] | None = None) -> EndpointCoreConfigInput:
    """A custom-model config serving `ml.models.scorer` at the given versions (entities `v<version>`)."""
    entities = [
        ServedEntityInput(
            entity_name="ml.models.scorer",
            entity_version=v,
            name=f"v{v}",
            workload_size="Small",
            scale_to_zero_enabled=True,
        )
        for v in versions or ("1",)
    ]
    traffic = None
    if routes:
        traffic = TrafficConfig(routes=[Route(served_model_name=k, traffic_percentage=p) for k, p in routes.items()])
    return EndpointCoreConfigInput(name=name, served_entities=entities, traffic_config=traffic)


def create_custom(w: WorkspaceClient, name: str, *versions: str, **kwargs: Any) -> ServingEndpointDetailed:
    routes = kwargs.pop("routes", None)
    return w.serving_endpoints.create(
        name=name, config=custom_config(name, *versions, routes=routes), **kwargs
    ).response


def create_foundation(
    w: WorkspaceClient, name: str, entity: str = "system.ai.meta_llama_3_3_70b_instruct"
) -> ServingEndpointDetailed:
    config = EndpointCoreConfigInput(
        name=name, served_entities=[ServedEntityInput(entity_name=entity, entity_version="1", name="llm")]
    )
    return w.serving_endpoints.create(name=name, config=config).response


def wait_until(
    w: WorkspaceClient, name: str, done: Callable[[ServingEndpointDetailed], bool], timeout: float = 10.0
) -> ServingEndpointDetailed:
    """Poll `get` (bounded) until `done(endpoint)`; fail the test if it never happens."""
    deadline = time.monotonic() + timeout
    while True:
        endpoint = w.serving_endpoints.get(name)
        if done(endpoint):
            return endpoint
        if time.monotonic() > deadline:
            pytest.fail(f"endpoint {name} did not reach the expected state: {endpoint.state}")
        time.sleep(0.05)


def is_ready(endpoint: ServingEndpointDetailed) -> bool:
    return (
        endpoint.state.ready.value == "READY"
        and endpoint.state.config_update.value == "NOT_UPDATING"
        and endpoint.pending_config is None
    )


def wait_ready(w: WorkspaceClient, name: str, timeout: float = 10.0) -> ServingEndpointDetailed:
    return wait_until(w, name, is_ready, timeout)
