"""Databricks Apps, as the Apps REST API answers them (`/api/2.0/apps...`), for apps that query
serving endpoints: create (`?no_compute=true` too), get, list (paged), update (`PATCH`, a full
replacement) and the asynchronous update (`POST/GET .../update`), delete (asynchronous), start,
stop and deployments; shapes are the SDK's (`databricks.sdk.service.apps`).

Each app has its own service principal (SCIM `applicationId` = `service_principal_client_id`, SCIM
`id` = `service_principal_id`), registered in the workspace's identities (`identities.py`) when the
app is created and removed with the app, so SCIM lists it as the service's does;
`AppStore.service_principals()` lists them too. A `serving_endpoint`
resource grants that principal the declared permission on the endpoint, in the endpoint's access
control list ("Set the permissions for the app service principal on the resource", docs: Add
resources to a Databricks app); the grant goes when the resource or the app goes.

Lifecycle (SDK waiters: `create`/`start` wait for compute ACTIVE and fail on STOPPED or ERROR, `stop`
waits for STOPPED): compute is STARTING for `start_seconds`, then ACTIVE with the application
RUNNING; with `no_compute` it is STOPPED (application UNAVAILABLE) until started. Delete is
asynchronous as the service's is (CLI bundle/direct/dresources/app.go: "returns success while the app
sits in ComputeState=DELETING ... a GET during that window returns the app (not 404) ... A second
DELETE while DELETING is rejected with 400"), for `delete_seconds`.
"""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from databricks.sdk.service.apps import App, AppDeployment, AppsAPI, AppUpdate

from servingstack.emulator import apierrors, bodies
from servingstack.emulator.auth import CURRENT_USER
from servingstack.emulator.identities import Identities
from servingstack.emulator.permissions import PermissionBook, Principal
from servingstack.emulator.state import EndpointStore
from servingstack.errors import Problem
from servingstack.facts import apps as app_facts

T = TypeVar("T")
PREFIX = "/api/2.0/apps"
DEFAULT_PAGE_SIZE = 50  # the SDK's docstring sets no default ("Upper bound for items returned")
MAX_PAGE_SIZE = 1000
# State messages as the CLI's test workspace words them (libs/testserver/apps.go).
RUNNING = ("RUNNING", "Application is running.")
UNAVAILABLE = ("UNAVAILABLE", "App status is unavailable.")
ACTIVE = ("ACTIVE", "App compute is active.")
STARTING = ("STARTING", "App compute is starting.")
STOPPED = ("STOPPED", "App compute is stopped.")
DELETING = ("DELETING", "App is being deleted.")


def _stamp(seconds: float) -> str:
    """SDK App.create_time: "Formatted timestamp in ISO 6801" [sic]."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def app_not_found(name: str) -> apierrors.ApiError:
    # Wording of the Databricks CLI's own tests (cmd/workspace/apps/errors_test.go).
    return apierrors.ApiError(404, "NOT_FOUND", f"App with name {name} does not exist or is deleted.")


def app_exists(name: str) -> apierrors.ApiError:
    return apierrors.ApiError(409, "RESOURCE_ALREADY_EXISTS", f"An app with the same name already exists: {name}")


def _being_deleted(name: str) -> apierrors.ApiError:
    # The service's answer to a second DELETE (quoted by the CLI's test workspace, libs/testserver/apps.go).
    return apierrors.ApiError(
        400,
        "BAD_REQUEST",
        f"Cannot delete app {name} as it is not terminal with state DELETING, and was updated less than "
        "20 minutes ago. Please wait before trying again.",
    )


@dataclass
class AppRecord:
    spec: dict[str, Any]  # the settable fields, as sent (SDK `App.as_dict()` shape)
    id: str
    principal_id: int
    principal_client_id: str
    principal_name: str
    created: float
    updated: float
    compute: tuple[str, str]
    status: tuple[str, str]
    active_at: float | None = None  # when a STARTING compute becomes ACTIVE
    deleting_until: float | None = None
    active_deployment: dict[str, Any] | None = None
    deployments: list[dict[str, Any]] = field(default_factory=list)
    granted: dict[str, str] = field(default_factory=dict)  # endpoint id -> level given to its principal
    last_update: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def principal(self) -> Principal:
        # In an access control list a service principal is named by its application id
        # (provider docs, resources/permissions.md: "Application ID (not service principal name!)").
        return ("service_principal_name", self.principal_client_id)


class AppStore:
    """Every app of the workspace, by name. Thread-safe."""

    def __init__(
        self,
        *,
        endpoints: EndpointStore,
        permissions: PermissionBook,
        seed: int | None = None,
        start_seconds: float = 0.0,
        delete_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        creator: str = CURRENT_USER,
        identities: Identities | None = None,
    ):
        self._endpoints = endpoints
        self._permissions = permissions
        self._identities = identities
        self._rng = random.Random(None if seed is None else f"apps/{seed}")
        self.start_seconds = start_seconds
        self.delete_seconds = delete_seconds
        self._clock = clock
        self._creator = creator
        self._lock = threading.RLock()
        self._apps: dict[str, AppRecord] = {}

    # -- reads -------------------------------------------------------------------------
    def get(self, name: str) -> AppRecord:
        with self._lock:
            self._settle()
            record = self._apps.get(name)
            if record is None:
                raise app_not_found(name)
            return record

    def all(self) -> list[AppRecord]:
        with self._lock:
            self._settle()
            return [self._apps[name] for name in sorted(self._apps)]

    def service_principals(self) -> list[dict[str, Any]]:
        """The apps' service principals, as SCIM shows a service principal (`id`, `applicationId`,
        `displayName`, `active`); an app's principal goes with the app."""
        with self._lock:
            self._settle()
            return [
                {
                    "id": str(r.principal_id),
                    "applicationId": r.principal_client_id,
                    "displayName": r.principal_name,
                    "active": True,
                }
                for r in self.all()
            ]

    def settle(self) -> None:
        """Carry out the starts and deletions that are due (reads do it by themselves)."""
        with self._lock:
            self._settle()

    def view(self, record: AppRecord) -> dict[str, Any]:
        """The app as the service shows it (SDK `App`), also after it is gone (a DELETE's answer)."""
        with self._lock:
            self._settle()
            return self._view(record)

    # -- writes ------------------------------------------------------------------------
    def create(self, body: Any, no_compute: bool) -> AppRecord:
        spec = _spec(body)
        with self._lock:
            self._settle()
            if spec["name"] in self._apps:
                raise app_exists(spec["name"])
            self._require_endpoints(spec)
            now = self._clock()
            client_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            record = AppRecord(
                spec=spec,
                id=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
                principal_id=self._rng.randrange(10**14, 10**15),
                principal_client_id=client_id,
                # The real naming is unconfirmed; the CLI's test workspace uses "app-" + name.
                principal_name=f"app-{spec['name']}",
                created=now,
                updated=now,
                compute=STOPPED,
                status=UNAVAILABLE,
            )
            self._apps[record.name] = record
            if self._identities is not None:
                self._identities.add_service_principal(
                    record.principal_client_id,
                    display_name=record.principal_name,
                    owner=_owner(record.name),
                    record_id=str(record.principal_id),
                )
            if not no_compute:
                self._start(record, now)
            self._grant(record)
            return record

    def update(self, name: str, body: Any) -> AppRecord:
        """`PATCH /apps/{name}`: "a full replacement: fields omitted from the request are cleared"."""
        spec = _spec(body)
        if spec["name"] != name:
            raise apierrors.invalid_problems([Problem("name", f"must be {name!r}, the app's name (it cannot change)")])
        with self._lock:
            record = self._writable(name)
            self._require_endpoints(spec)
            record.spec = spec
            record.updated = self._clock()
            self._grant(record)
            return record

    def create_update(self, name: str, body: Any) -> dict[str, Any]:
        """`POST /apps/{name}/update`: the fields named by `update_mask` ("*": all) take the
        request's values; it succeeds at once."""
        if not isinstance(body, dict):
            raise apierrors.invalid("Request body must be a JSON object")
        mask = body.get("update_mask")
        given = body.get("app") if body.get("app") is not None else {}
        if not isinstance(mask, str) or not mask.strip():
            raise apierrors.invalid_problems([Problem("update_mask", "is required")])
        if not isinstance(given, dict):
            raise apierrors.invalid_problems([Problem("app", "must be an object")])
        fields = app_facts.SETTABLE_FIELDS if mask.strip() == "*" else [f.strip() for f in mask.split(",")]
        unknown = [f for f in fields if f not in app_facts.SETTABLE_FIELDS or f == "name"]
        if unknown:
            raise apierrors.invalid_problems([Problem("update_mask", f"cannot update {', '.join(unknown)}")])
        with self._lock:
            record = self._writable(name)
            merged = {k: v for k, v in record.spec.items() if k not in fields}
            merged.update({k: given[k] for k in fields if given.get(k) is not None})
            spec = _spec({**merged, "name": name})
            self._require_endpoints(spec)
            record.spec = spec
            record.updated = self._clock()
            self._grant(record)
            shown = {k: v for k, v in spec.items() if k != "name"}
            record.last_update = _shaped_update(
                {**shown, "status": {"state": "SUCCEEDED", "message": "App update succeeded."}}
            )
            return record.last_update

    def last_update(self, name: str) -> dict[str, Any]:
        record = self.get(name)
        return record.last_update or _shaped_update({"status": {"state": "NOT_UPDATED"}})

    def delete(self, name: str) -> AppRecord:
        with self._lock:
            record = self.get(name)
            if record.deleting_until is not None:
                raise _being_deleted(name)
            record.compute, record.status = DELETING, UNAVAILABLE
            record.deleting_until = self._clock() + self.delete_seconds
            record.active_at = None
            self._settle()
            return record

    def start(self, name: str) -> AppRecord:
        with self._lock:
            record = self._writable(name)
            if record.compute[0] not in ("ACTIVE", "STARTING"):
                self._start(record, self._clock())
            return record

    def stop(self, name: str) -> AppRecord:
        with self._lock:
            record = self._writable(name)
            record.compute, record.status = STOPPED, UNAVAILABLE
            record.active_at = None
            # The CLI's test workspace: "The backend clears both deployments on stop".
            record.active_deployment = None
            return record

    def deploy(self, name: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise apierrors.invalid("Request body must be a JSON object")
        with self._lock:
            record = self._writable(name)
            if record.compute[0] != "ACTIVE":
                # The CLI's test workspace words a stopped app's compute so.
                raise apierrors.ApiError(400, "INVALID_STATE", "Start the app compute to deploy the app.")
            deployment = self._deployment(record, body)
            return deployment

    def deployment(self, name: str, deployment_id: str) -> dict[str, Any]:
        record = self.get(name)
        for deployment in record.deployments:
            if deployment["deployment_id"] == deployment_id:
                return deployment
        raise apierrors.ApiError(
            404, "NOT_FOUND", f"Deployment {deployment_id} of app {name} does not exist or is deleted."
        )

    # -- internals ---------------------------------------------------------------------
    def _writable(self, name: str) -> AppRecord:
        record = self.get(name)
        if record.deleting_until is not None:
            raise apierrors.ApiError(400, "BAD_REQUEST", f"App {name} is being deleted.")
        return record

    def _require_endpoints(self, spec: dict[str, Any]) -> None:
        # The service checks an app's resources when the app is created ("Endpoint with name '...' does
        # not exist." answers an app create naming a missing endpoint; a public test records it).
        for endpoint in app_facts.serving_endpoints(spec.get("resources")):
            if self._endpoints.peek(endpoint) is None:
                raise apierrors.endpoint_not_found(endpoint)

    def _start(self, record: AppRecord, now: float) -> None:
        record.compute, record.status = STARTING, UNAVAILABLE
        record.active_at = now + self.start_seconds
        self._settle()

    def _grant(self, record: AppRecord) -> None:
        """The app's principal holds what its `serving_endpoint` resources declare, nothing more."""
        wanted: dict[str, str] = {}
        for endpoint_name, level in app_facts.serving_endpoints(record.spec.get("resources")).items():
            endpoint = self._endpoints.peek(endpoint_name)
            if endpoint is not None:
                wanted[endpoint.id] = level
        for endpoint_id in set(record.granted) - set(wanted):
            self._permissions.revoke(endpoint_id, record.principal)
        record.granted = {
            endpoint_id: level
            for endpoint_id, level in wanted.items()
            if self._permissions.grant(endpoint_id, record.principal, level)
        }

    def _deployment(self, record: AppRecord, body: dict[str, Any]) -> dict[str, Any]:
        now = self._clock()
        source = body.get("source_code_path") or f"/Workspace/Users/{self._creator}/{record.name}"
        kept = ("source_code_path", "mode", "command", "env_vars", "git_source")
        given = {k: v for k, v in body.items() if k in kept}
        deployment = _shaped(
            lambda: AppDeployment.from_dict(
                {
                    **given,
                    "deployment_id": f"{self._rng.getrandbits(128):032x}",
                    "source_code_path": source,
                    "mode": body.get("mode") or "SNAPSHOT",
                    "deployment_artifacts": {"source_code_path": source},
                    "create_time": _stamp(now),
                    "update_time": _stamp(now),
                    "creator": self._creator,
                    "status": {"state": "SUCCEEDED", "message": "App started successfully"},
                }
            ).as_dict()
        )
        record.deployments.append(deployment)
        record.active_deployment = deployment
        record.status = RUNNING
        return deployment

    def _settle(self) -> None:
        """Starts and deletions that are due."""
        now = self._clock()
        for name, record in list(self._apps.items()):
            if record.deleting_until is not None and now >= record.deleting_until:
                for endpoint_id in record.granted:
                    self._permissions.revoke(endpoint_id, record.principal)
                del self._apps[name]  # its service principal goes with it
                if self._identities is not None:
                    self._identities.remove_owned(_owner(name))
            elif record.active_at is not None and now >= record.active_at:
                record.active_at = None
                record.compute, record.status = ACTIVE, RUNNING
                if record.active_deployment is None:
                    # The CLI's test workspace: "when an app is created, it is deployed with the default
                    # source code path".
                    self._deployment(record, {})

    def _view(self, record: AppRecord) -> dict[str, Any]:
        shown: dict[str, Any] = {
            **record.spec,
            "id": record.id,
            "compute_size": record.spec.get("compute_size") or "MEDIUM",  # the service's default
            "compute_status": {"state": record.compute[0], "message": record.compute[1]},
            "app_status": {"state": record.status[0], "message": record.status[1]},
            "service_principal_id": record.principal_id,
            "service_principal_client_id": record.principal_client_id,
            "service_principal_name": record.principal_name,
            "create_time": _stamp(record.created),
            "update_time": _stamp(record.updated),
            "creator": self._creator,
            "updater": self._creator,
            # A name that resolves nowhere: the emulator serves no app code.
            "url": f"https://{record.name}.apps.emulator.invalid",
            "default_source_code_path": f"/Workspace/Users/{self._creator}/{record.name}",
        }
        if record.compute[0] == "ACTIVE":
            shown["compute_status"]["active_instances"] = 1
            shown["app_status"]["running_instances"] = 1
        if record.active_deployment is not None:
            shown["active_deployment"] = record.active_deployment
        return App.from_dict(shown).as_dict()


def _owner(name: str) -> str:
    """Who registered an app's service principal in the workspace's identities."""
    return f"app:{name}"


def _spec(body: Any) -> dict[str, Any]:
    """The settable fields of a create or update body, checked (every problem at once)."""
    if not isinstance(body, dict):
        raise apierrors.invalid("Request body must be a JSON object")
    problems = app_facts.validate_app_request(body)
    if problems:
        raise apierrors.invalid_problems(problems)
    settable = {k: v for k, v in body.items() if k in app_facts.SETTABLE_FIELDS and v is not None}
    return _shaped(
        lambda: {k: v for k, v in App.from_dict(settable).as_dict().items() if k in app_facts.SETTABLE_FIELDS}
    )


def _shaped_update(update: dict[str, Any]) -> dict[str, Any]:
    return _shaped(lambda: AppUpdate.from_dict(update).as_dict())


def _shaped(build: Callable[[], T]) -> T:
    """A from_dict on a body of the wrong shape trips over its types: a 400, never a 500."""
    try:
        return build()
    except (AttributeError, TypeError, KeyError, ValueError) as error:
        raise apierrors.invalid(
            f"Request body does not match the API schema ({type(error).__name__}: {error})"
        ) from None


def _page(items: list[Any], request: web.Request) -> tuple[list[Any], str | None]:
    """One page of `items` by the SDK's `page_size` / `page_token` query parameters."""
    raw_size = request.query.get("page_size")
    token = request.query.get("page_token") or ""
    try:
        size = DEFAULT_PAGE_SIZE if raw_size in (None, "", "0") else int(raw_size)
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise apierrors.invalid("page_size must be a whole number and page_token one this API returned") from None
    if size < 0 or start < 0:
        raise apierrors.invalid("page_size and page_token must not be negative")
    size = min(size, MAX_PAGE_SIZE)
    page = items[start : start + size]
    following = start + size
    next_token = base64.urlsafe_b64encode(str(following).encode()).decode() if following < len(items) else None
    return page, next_token


def add_routes(app: web.Application, workspace_key: web.AppKey) -> None:
    def store(request: web.Request) -> AppStore:
        return request.app[workspace_key].apps

    def shown(request: web.Request, record: AppRecord) -> web.Response:
        return web.json_response(store(request).view(record))

    async def body(request: web.Request, shape: type) -> Any:
        """The body, each field of the JSON type the SDK's dataclass `shape` gives it."""
        return bodies.check_fields(bodies.read_json(await request.read()), shape)

    async def create(request: web.Request) -> web.Response:
        # SDK `create(..., no_compute=True)` sends `?no_compute=true`: "the app will not be started after creation".
        no_compute = (request.query.get("no_compute") or "").lower() == "true"
        return shown(request, store(request).create(await body(request, App), no_compute))

    async def list_apps(request: web.Request) -> web.Response:
        records = store(request).all()
        space = request.query.get("space")
        if space:
            records = [r for r in records if r.spec.get("space") == space]
        page, token = _page(records, request)
        answer: dict[str, Any] = {"apps": [store(request).view(r) for r in page]}
        if token:
            answer["next_page_token"] = token
        return web.json_response(answer)

    async def get(request: web.Request) -> web.Response:
        return shown(request, store(request).get(request.match_info["app_name"]))

    async def update(request: web.Request) -> web.Response:
        return shown(request, store(request).update(request.match_info["app_name"], await body(request, App)))

    async def create_update(request: web.Request) -> web.Response:
        # `{"update_mask": ..., "app": {...}}`: the parameters of `AppsAPI.create_update` but the path's.
        update = bodies.check_types(bodies.read_json(await request.read()), AppsAPI.create_update, "app_name")
        return web.json_response(store(request).create_update(request.match_info["app_name"], update))

    async def get_update(request: web.Request) -> web.Response:
        return web.json_response(store(request).last_update(request.match_info["app_name"]))

    async def delete(request: web.Request) -> web.Response:
        return shown(request, store(request).delete(request.match_info["app_name"]))

    async def start(request: web.Request) -> web.Response:
        return shown(request, store(request).start(request.match_info["app_name"]))

    async def stop(request: web.Request) -> web.Response:
        return shown(request, store(request).stop(request.match_info["app_name"]))

    async def deploy(request: web.Request) -> web.Response:
        deployment = await body(request, AppDeployment)
        return web.json_response(store(request).deploy(request.match_info["app_name"], deployment))

    async def list_deployments(request: web.Request) -> web.Response:
        record = store(request).get(request.match_info["app_name"])
        page, token = _page(list(reversed(record.deployments)), request)  # the newest first
        answer: dict[str, Any] = {"app_deployments": page}
        if token:
            answer["next_page_token"] = token
        return web.json_response(answer)

    async def get_deployment(request: web.Request) -> web.Response:
        name, deployment_id = request.match_info["app_name"], request.match_info["deployment_id"]
        return web.json_response(store(request).deployment(name, deployment_id))

    r = app.router
    r.add_post(PREFIX, create)
    r.add_get(PREFIX, list_apps)
    r.add_get(f"{PREFIX}/{{app_name}}", get)
    r.add_patch(f"{PREFIX}/{{app_name}}", update)
    r.add_delete(f"{PREFIX}/{{app_name}}", delete)
    r.add_post(f"{PREFIX}/{{app_name}}/update", create_update)
    r.add_get(f"{PREFIX}/{{app_name}}/update", get_update)
    r.add_post(f"{PREFIX}/{{app_name}}/start", start)
    r.add_post(f"{PREFIX}/{{app_name}}/stop", stop)
    r.add_post(f"{PREFIX}/{{app_name}}/deployments", deploy)
    r.add_get(f"{PREFIX}/{{app_name}}/deployments", list_deployments)
    r.add_get(f"{PREFIX}/{{app_name}}/deployments/{{deployment_id}}", get_deployment)
