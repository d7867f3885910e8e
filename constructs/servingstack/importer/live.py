"""Read the live endpoints and their access control lists through databricks-sdk.

The connection is the checker's (unified auth, bounded retries); every call goes through
its retry loop, so throttling and dropped connections are retried within the deadline.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.service.serving import ServedEntityInput, ServingEndpointsAPI

from servingstack.client.errors import AuthenticationError, ConfigurationError, SetupError
from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline, RetriesExhausted, call_with_retry, describe_error

T = TypeVar("T")
# Endpoints read at once: enough to hide round trips, few enough not to trip a workspace's rate limits.
READ_CONCURRENCY = 8

# The fields a create request takes (the SDK's own signature of `serving_endpoints.create`):
# what the importer must reproduce of an endpoint. Everything else (id, state, creator, ...) is
# the service's.
CREATE_FIELDS = tuple(p for p in inspect.signature(ServingEndpointsAPI.create).parameters if p != "self")
ENTITY_INPUT_FIELDS = tuple(f.name for f in dataclasses.fields(ServedEntityInput))


class UnknownEndpoint(SetupError):
    """An endpoint named on the command line does not exist."""


@dataclass
class LiveEndpoint:
    """One endpoint as the workspace shows it, with its access control list."""

    name: str
    id: str
    creator: str | None
    state: dict[str, Any]
    # The create request that would make this endpoint, as API dicts (`config` from the active
    # config, or the pending one when none is active yet).
    request: dict[str, Any]
    config_source: str  # "config", "pending_config", or "none" (created without a config)
    task: str | None = None  # what the endpoint answers, as the service reports it
    access_control: list[dict[str, Any]] = field(default_factory=list)


def as_request(detailed: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The create-request view of a `GET /serving-endpoints/{name}` answer."""
    source = next((key for key in ("config", "pending_config") if detailed.get(key)), "none")
    shown = detailed.get(source) or {}
    entities = [{k: v for k, v in e.items() if k in ENTITY_INPUT_FIELDS} for e in shown.get("served_entities") or []]
    if not entities and shown.get("served_models"):
        # The legacy shape: served models name their model `model_name` / `model_version`.
        for model in shown["served_models"]:
            entity = {k: v for k, v in model.items() if k in ENTITY_INPUT_FIELDS}
            entity.update(entity_name=model.get("model_name"), entity_version=model.get("model_version"))
            entities.append(entity)
    config: dict[str, Any] = {"served_entities": entities} if entities else {}
    for key in ("traffic_config", "auto_capture_config"):
        if shown.get(key):
            config[key] = shown[key]
    request: dict[str, Any] = {"name": detailed["name"]}
    if config:  # an endpoint may be created without one (provider docs: added after creation)
        request["config"] = config
    for key in CREATE_FIELDS:
        if key not in ("name", "config") and detailed.get(key) not in (None, [], {}):
            request[key] = detailed[key]
    return request, source


class Call(Protocol):
    def __call__(self, what: str, fn: Callable[[], T]) -> T: ...


def make_call(client: WorkspaceClient, deadline: Deadline, redactor: Redactor) -> Call:
    """`call(what, fn)`: `fn()` with the run's retries; a refusal or no answer stops the import with a
    clear message naming `what` (a `SetupError`); `NotFound` is the caller's to handle."""
    host = client.config.host

    def call(what: str, fn: Callable[[], T]) -> T:
        try:
            return call_with_retry(fn, deadline)
        except (Unauthenticated, PermissionDenied) as error:
            raise AuthenticationError(redactor.clean(f"{host} refused to {what}: {describe_error(error)}")) from None
        except NotFound:
            raise
        except RetriesExhausted as error:
            raise ConfigurationError(redactor.clean(f"{host} did not answer ({what}): {error}")) from None
        except Exception as error:  # noqa: BLE001 - anything else stops the import with a clear message
            raise ConfigurationError(redactor.clean(f"cannot {what} at {host}: {describe_error(error)}")) from None

    return call


def read_endpoints(
    client: WorkspaceClient, names: Sequence[str] | None, deadline: Deadline, redactor: Redactor
) -> list[LiveEndpoint]:
    """Every endpoint (or the named ones, in the order given), with permissions."""
    host = client.config.host
    call = make_call(client, deadline, redactor)

    if names:
        wanted = list(dict.fromkeys(names))
    else:
        wanted = sorted(
            e.name for e in call("list serving endpoints", lambda: list(client.serving_endpoints.list())) if e.name
        )

    def read(name: str) -> LiveEndpoint:
        try:
            detailed = call(f"read endpoint {name!r}", lambda: client.serving_endpoints.get(name)).as_dict()
        except NotFound:
            raise UnknownEndpoint(f"no serving endpoint named {name!r} at {host}") from None
        request, source = as_request(detailed)
        endpoint_id = detailed.get("id") or ""
        acl = call(
            f"read the permissions of {name!r}", lambda: client.serving_endpoints.get_permissions(endpoint_id)
        ).as_dict()
        return LiveEndpoint(
            name=name,
            id=endpoint_id,
            creator=detailed.get("creator"),
            state=detailed.get("state") or {},
            request=request,
            config_source=source,
            task=detailed.get("task"),
            access_control=list(acl.get("access_control_list") or []),
        )

    # Two calls per endpoint, each a network round trip: a few at a time (results keep their order,
    # and the first failure in that order is the one reported).
    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, max(1, len(wanted)))) as pool:
        return list(pool.map(read, wanted))
