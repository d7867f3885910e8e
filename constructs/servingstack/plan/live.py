"""Read the live workspace: everything a plan (or a rollout) compares a stack with, concurrently.

`read_live(client, wanted, deadline)` reads what `Wanted` names (serving endpoints and their
permissions, the endpoint list, the caller, Unity Catalog models, versions, catalogs, schemas and
grants, registry model versions, users, groups and service principals, secret scopes with their keys
and ACLs, apps) on the tools' bounded worker pool (`client/scheduler.py`), every call through the one
retry loop (`client/retry.py`) inside ONE deadline, and returns a `LiveWorkspace` of `Read`s: each a
value, "missing" (the service answered 404) or an error saying why it could not be read. A read that
needs another's answer (an endpoint's permissions need its id) is scheduled when that answer comes.

Secret values are never read: only scope names, key names (`secrets/list`, metadata) and ACLs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, PermissionDenied, Unauthenticated

from servingstack.client.retry import Deadline, Interrupted, RetriesExhausted, call_with_retry, describe_error
from servingstack.client.scheduler import Scheduler

T = TypeVar("T")
WORKERS = 10  # requests in flight at once: the checker's bound (the SDK's connection pool holds 10)
HARD_STOP_SLACK_SECONDS = 0.5
PRINCIPAL_KINDS = ("user", "group", "service_principal")
# SCIM attribute that names each kind in grants, as the provider looks them up (scim/data_user.go
# `userName eq`, scim/groups.go `displayName eq`, scim/data_service_principal.go `applicationId eq`).
_SCIM = {
    "user": ("users", "userName"),
    "group": ("groups", "displayName"),
    "service_principal": (
        "service_principals",
        "applicationId",
    ),
}


@dataclass
class Read(Generic[T]):
    """One read: its value, or `missing` (404), or why it could not be read (`error`); `done` once answered."""

    value: T | None = None
    missing: bool = False
    error: str | None = None
    done: bool = False

    @property
    def found(self) -> bool:
        return self.done and self.error is None and not self.missing


@dataclass
class Wanted:
    """What to read. Endpoint names in `endpoint_permissions` get their access control list read too."""

    endpoints: set[str] = field(default_factory=set)
    endpoint_permissions: set[str] = field(default_factory=set)
    permissions_by_id: set[str] = field(default_factory=set)  # endpoints known only by id (made elsewhere)
    endpoint_list: bool = False
    me: bool = False
    uc_models: set[str] = field(default_factory=set)
    uc_versions: set[tuple[str, str]] = field(default_factory=set)
    registry_versions: set[tuple[str, str]] = field(default_factory=set)
    catalogs: set[str] = field(default_factory=set)
    schemas: set[str] = field(default_factory=set)
    principals: set[tuple[str, str]] = field(default_factory=set)  # (user | group | service_principal, name)
    scope_list: bool = False
    secret_scopes: set[str] = field(default_factory=set)  # their key names and ACLs
    apps: set[str] = field(default_factory=set)
    uc_grants: set[tuple[str, str, str]] = field(default_factory=set)  # (API securable type, full name, principal)


@dataclass
class LiveWorkspace:
    host: str | None
    endpoints: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)  # name -> ServingEndpointDetailed
    permissions: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)  # name -> ServingEndpointPermissions
    permissions_by_id: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)  # endpoint id -> the same
    endpoint_list: Read[list[dict[str, Any]]] = field(default_factory=Read)  # ServingEndpoint summaries
    me: Read[dict[str, Any]] = field(default_factory=Read)  # SCIM User
    uc_models: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)
    uc_versions: dict[tuple[str, str], Read[dict[str, Any]]] = field(default_factory=dict)  # ModelVersionInfo
    registry_versions: dict[tuple[str, str], Read[dict[str, Any]]] = field(default_factory=dict)  # ModelVersion
    catalogs: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)
    schemas: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)
    principals: dict[tuple[str, str], Read[dict[str, Any]]] = field(default_factory=dict)  # SCIM record
    scope_list: Read[list[str]] = field(default_factory=Read)
    secret_keys: dict[str, Read[list[str]]] = field(default_factory=dict)  # scope -> key names
    secret_acls: dict[str, Read[dict[str, str]]] = field(default_factory=dict)  # scope -> principal -> permission
    apps: dict[str, Read[dict[str, Any]]] = field(default_factory=dict)
    uc_grants: dict[tuple[str, str, str], Read[list[str]]] = field(default_factory=dict)  # -> privileges
    calls: int = 0  # requests sent, retries included
    started: float = 0.0  # monotonic
    last_answer: float = 0.0  # monotonic time of the last answer

    @property
    def seconds(self) -> float:
        return max(0.0, self.last_answer - self.started)


def _scim_filter(attribute: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{escaped}"'


class _Reader:
    def __init__(self, client: WorkspaceClient, deadline: Deadline, stop: threading.Event, workers: int):
        self.client = client
        self.deadline = deadline
        self.stop = stop
        self.scheduler = Scheduler(workers, stop)
        self.lock = threading.Lock()
        self.live = LiveWorkspace(host=client.config.host, started=time.monotonic())
        self.pending: list[Read[Any]] = []

    def submit(self, target: Read[T], call: Callable[[], T], then: Callable[[T], None] | None = None) -> None:
        with self.lock:
            self.pending.append(target)

        def counted() -> T:
            with self.lock:
                self.live.calls += 1
            return call()

        def step() -> None:
            value: T | None = None
            missing, error = False, None
            try:
                value = call_with_retry(counted, self.deadline, stop=self.stop)
            except Interrupted:
                return  # the run is stopping: `close_pending` says so
            except NotFound:
                missing = True
            except (Unauthenticated, PermissionDenied) as denied:
                error = f"not allowed to read it: {describe_error(denied)}"
            except RetriesExhausted as exhausted:
                error = str(exhausted)
            except Exception as surprise:  # noqa: BLE001 - one read's surprise must not sink the others
                error = describe_error(surprise)
            with self.lock:
                if target.done:
                    return  # cut off at the deadline meanwhile: that verdict stands
                target.value, target.missing, target.error, target.done = value, missing, error, True
                self.live.last_answer = time.monotonic()
            if then is not None and target.found and value is not None:
                then(value)

        self.scheduler.at(time.monotonic(), step)

    def close_pending(self, why: str) -> None:
        with self.lock:
            for read in self.pending:
                if not read.done:
                    read.error, read.done = why, True


def read_live(
    client: WorkspaceClient,
    wanted: Wanted,
    deadline: Deadline,
    *,
    workers: int = WORKERS,
    stop: threading.Event | None = None,
) -> LiveWorkspace:
    """Everything `wanted` names, read concurrently on at most `workers` threads within `deadline`.
    Reads still running shortly after the deadline are cut off and marked as not read in time;
    Ctrl-C marks the unfinished ones interrupted and re-raises (the caller decides what to report)."""
    reader = _Reader(client, deadline, stop or threading.Event(), workers)
    live, c = reader.live, client
    for name in sorted(wanted.endpoints | wanted.endpoint_permissions):
        live.endpoints[name] = Read()
        then = None
        if name in wanted.endpoint_permissions:
            live.permissions[name] = Read()
            then = _permissions_after(reader, name)
        reader.submit(live.endpoints[name], _get_endpoint(c, name), then)
    for endpoint_id in sorted(wanted.permissions_by_id):
        live.permissions_by_id[endpoint_id] = Read()
        reader.submit(
            live.permissions_by_id[endpoint_id],
            _bind(lambda i: c.serving_endpoints.get_permissions(i).as_dict(), endpoint_id),
        )
    if wanted.endpoint_list:
        reader.submit(live.endpoint_list, lambda: [e.as_dict() for e in c.serving_endpoints.list()])
    if wanted.me:
        reader.submit(live.me, lambda: c.current_user.me().as_dict())
    for full_name in sorted(wanted.uc_models):
        live.uc_models[full_name] = Read()
        reader.submit(live.uc_models[full_name], _bind(lambda n: c.registered_models.get(n).as_dict(), full_name))
    for full_name, version in sorted(wanted.uc_versions):
        live.uc_versions[(full_name, version)] = Read()
        reader.submit(
            live.uc_versions[(full_name, version)],
            _bind(lambda n, v: c.model_versions.get(n, int(v)).as_dict(), full_name, version),
        )
    for name, version in sorted(wanted.registry_versions):
        live.registry_versions[(name, version)] = Read()
        reader.submit(
            live.registry_versions[(name, version)],
            _bind(
                lambda n, v: c.model_registry.get_model_version(n, v).as_dict().get("model_version") or {},
                name,
                version,
            ),
        )
    for catalog in sorted(wanted.catalogs):
        live.catalogs[catalog] = Read()
        reader.submit(live.catalogs[catalog], _bind(lambda n: c.catalogs.get(n).as_dict(), catalog))
    for schema in sorted(wanted.schemas):
        live.schemas[schema] = Read()
        reader.submit(live.schemas[schema], _bind(lambda n: c.schemas.get(n).as_dict(), schema))
    for kind, name in sorted(wanted.principals):
        live.principals[(kind, name)] = Read()
        reader.submit(live.principals[(kind, name)], _find_principal(c, kind, name))
    if wanted.scope_list:
        reader.submit(live.scope_list, lambda: [s.name or "" for s in c.secrets.list_scopes()])
    for scope in sorted(wanted.secret_scopes):
        live.secret_keys[scope], live.secret_acls[scope] = Read(), Read()
        # Key names only (SecretMetadata): a secret's value is never asked for.
        reader.submit(live.secret_keys[scope], _bind(lambda s: [m.key or "" for m in c.secrets.list_secrets(s)], scope))
        reader.submit(
            live.secret_acls[scope],
            _bind(
                lambda s: {
                    a.principal or "": a.permission.value if a.permission else "" for a in c.secrets.list_acls(s)
                },
                scope,
            ),
        )
    for app in sorted(wanted.apps):
        live.apps[app] = Read()
        reader.submit(live.apps[app], _bind(lambda n: c.apps.get(n).as_dict(), app))
    for securable_type, full_name, principal in sorted(wanted.uc_grants):
        key = (securable_type, full_name, principal)
        live.uc_grants[key] = Read()
        reader.submit(live.uc_grants[key], _bind(_grants_of, c, securable_type, full_name, principal))
    _run(reader, deadline)
    return live


def _bind(function: Callable[..., T], *args: Any) -> Callable[[], T]:
    return lambda: function(*args)


def _get_endpoint(client: WorkspaceClient, name: str) -> Callable[[], dict[str, Any]]:
    return lambda: client.serving_endpoints.get(name).as_dict()


def _permissions_after(reader: _Reader, name: str) -> Callable[[dict[str, Any]], None]:
    """Once an endpoint is read, its access control list (by the endpoint's id, never its name)."""

    def then(endpoint: dict[str, Any]) -> None:
        endpoint_id = endpoint.get("id")
        target = reader.live.permissions[name]
        if not endpoint_id:
            target.error, target.done = "the endpoint has no id to read its permissions by", True
            return
        reader.submit(target, lambda: reader.client.serving_endpoints.get_permissions(endpoint_id).as_dict())

    return then


def _find_principal(client: WorkspaceClient, kind: str, name: str) -> Callable[[], dict[str, Any]]:
    api_name, attribute = _SCIM[kind]

    def find() -> dict[str, Any]:
        api = getattr(client, api_name)
        # The first page holds the match, if any: `next` stops the SDK's paging after one request.
        record = next(iter(api.list(filter=_scim_filter(attribute, name), attributes=f"id,{attribute}")), None)
        if record is None:
            raise NotFound(f"no {kind.replace('_', ' ')} {name!r} in the workspace")
        return record.as_dict()

    return find


def _grants_of(client: WorkspaceClient, securable_type: str, full_name: str, principal: str) -> list[str]:
    """The privileges `principal` holds directly on the securable (`databricks_grant` manages exactly these)."""
    answer = client.grants.get(securable_type, full_name, principal=principal)
    privileges: set[str] = set()
    for assignment in answer.privilege_assignments or []:
        if (assignment.principal or "").lower() == principal.lower():
            privileges |= {p.value if hasattr(p, "value") else str(p) for p in assignment.privileges or []}
    return sorted(privileges)


def _run(reader: _Reader, deadline: Deadline) -> None:
    """Dispatch every read; cut off what still runs just after the deadline (a hung request)."""
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        reader.stop.set()
        reader.scheduler.at(time.monotonic(), lambda: None)  # wakes the dispatcher now

    watchdog = threading.Timer(deadline.remaining() + HARD_STOP_SLACK_SECONDS, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        reader.scheduler.run()
        if cut_off.is_set():
            reader.scheduler.close(wait=False)  # requests in flight end on their own; nobody waits
            reader.close_pending(f"not read within the {deadline.seconds:g} s timeout")
        else:
            reader.scheduler.close(wait=True)
    except KeyboardInterrupt:
        reader.stop.set()
        reader.scheduler.close(wait=False)
        reader.close_pending("interrupted")
        raise
    finally:
        watchdog.cancel()
        if not reader.live.last_answer:
            reader.live.last_answer = time.monotonic()
