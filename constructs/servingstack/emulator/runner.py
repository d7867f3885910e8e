"""`Emulator`: the server in a background thread, with a Python API for tests.

The thread owns its own asyncio loop; the API methods only touch thread-safe parts of
the workspace, so tests can inject faults while requests are being answered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

from servingstack.emulator import objects
from servingstack.emulator.auth import resolve_token
from servingstack.emulator.callers import check_traffic
from servingstack.emulator.defaults import DEFAULT_DEPLOY_SECONDS, MAX_DEPLOY_SECONDS
from servingstack.emulator.faults import (
    BROKEN_ENTITY,
    DEFAULT_FAILURE_MESSAGE,
    DEGRADE,
    DROP,
    FAIL_DEPLOYMENT,
    NEVER_READY,
    SERVER_ERRORS,
    SLOW,
    THROTTLE,
    Fault,
    check_seconds,
)
from servingstack.emulator.metrics import DEFAULT_WINDOW_SECONDS
from servingstack.emulator.server import RunningServer, start_server
from servingstack.emulator.workspace import Workspace


async def _cancel_leftovers() -> None:
    """Cancel handlers still waiting (e.g. on a slow fault), so stop() never hangs on them."""
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


class Emulator:
    """A local Databricks workspace that serves the model-serving REST API.

    >>> with Emulator(token="t", deploy_seconds=0.3, seed=0) as emu:
    ...     emu.url  # "http://127.0.0.1:PORT"
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        deploy_seconds: float = DEFAULT_DEPLOY_SECONDS,
        update_seconds: float | None = None,
        seed: int | None = None,
        metrics_window_seconds: float = DEFAULT_WINDOW_SECONDS,
        metrics_per_entity: bool = False,
        data_plane_port: int = 0,
    ):
        """`deploy_seconds`: how long a deployment takes; `update_seconds`: a config update of an endpoint
        that serves already (default: as deployments). `metrics_window_seconds`: the window the metrics
        count over (the service's is a minute); `metrics_per_entity`: label the series by served entity
        (whether the service does is unconfirmed; see `emulator/metrics.py`)."""
        check_seconds(deploy_seconds, "deploy_seconds", maximum=MAX_DEPLOY_SECONDS)
        if update_seconds is not None:
            check_seconds(update_seconds, "update_seconds", maximum=MAX_DEPLOY_SECONDS)
        check_seconds(metrics_window_seconds, "metrics_window_seconds", maximum=MAX_DEPLOY_SECONDS, positive=True)
        self.token = resolve_token(token)
        self.host = host
        self.port = port
        self.data_plane_port = data_plane_port
        self.workspace = Workspace(
            token=self.token,
            deploy_seconds=deploy_seconds,
            update_seconds=update_seconds,
            seed=seed,
            metrics_window_seconds=metrics_window_seconds,
            metrics_per_entity=metrics_per_entity,
        )
        self.url: str | None = None
        self.data_plane_url: str | None = None  # where route-optimized endpoints take queries
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Emulator:
        with self._lock:
            if self._thread is not None:
                return self
            started = threading.Event()
            failure: list[BaseException] = []
            self._thread = threading.Thread(
                target=self._serve, args=(started, failure), name="servingstack-emulator", daemon=True
            )
            self._thread.start()
            started.wait()
            if failure:
                self._thread.join()
                self._thread = None
                raise failure[0]
            return self

    def _serve(self, started: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server: RunningServer = loop.run_until_complete(
                start_server(self.workspace, self.host, self.port, self.data_plane_port)
            )
        except BaseException as error:  # reported to start()'s caller
            failure.append(error)
            loop.close()
            started.set()
            return
        self.url = server.url
        self.data_plane_url = server.data_plane_url
        self._loop = loop
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(server.close())
            loop.run_until_complete(_cancel_leftovers())
            loop.close()

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call more than once."""
        with self._lock:
            thread, loop = self._thread, self._loop
            self._thread = self._loop = None
        if thread is None:
            return
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        thread.join()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- timing ------------------------------------------------------------------------
    def set_deploy_seconds(self, seconds: float, endpoint: str | None = None) -> None:
        """How long deployments take, for one endpoint or by default (running ones too)."""
        check_seconds(seconds, "seconds", maximum=MAX_DEPLOY_SECONDS)
        self.workspace.endpoints.set_deploy_seconds(seconds, endpoint)

    def set_app_seconds(self, *, start: float | None = None, delete: float | None = None) -> None:
        """How long an app's compute takes to start, and an app to be deleted (default: the deploy seconds)."""
        for value, name in ((start, "start"), (delete, "delete")):
            if value is not None:
                check_seconds(value, name, maximum=MAX_DEPLOY_SECONDS)
        if start is not None:
            self.workspace.apps.start_seconds = float(start)
        if delete is not None:
            self.workspace.apps.delete_seconds = float(delete)

    def set_update_seconds(self, seconds: float, endpoint: str | None = None) -> None:
        """How long a config update of a serving endpoint takes, for one endpoint or by default."""
        check_seconds(seconds, "seconds", maximum=MAX_DEPLOY_SECONDS)
        self.workspace.endpoints.set_update_seconds(seconds, endpoint)

    # -- simulated callers -------------------------------------------------------------
    def simulate_traffic(self, endpoint: str, per_second: float) -> None:
        """Simulated callers send the endpoint `per_second` queries (0 stops them): drawn by the split,
        meeting the entities' faults, counted in its metrics, without HTTP (`emulator/callers.py`)."""
        for name, rate in check_traffic(endpoint, per_second).items():
            if rate:
                self.workspace.callers[name] = rate
            else:
                self.workspace.callers.pop(name, None)

    # -- faults ------------------------------------------------------------------------
    def fail_deployment(self, endpoint: str | None = None, message: str = DEFAULT_FAILURE_MESSAGE) -> None:
        """Deployments of the endpoint (or all) that are running or start later fail with `message`."""
        self._add(kind=FAIL_DEPLOYMENT, endpoint=endpoint, message=message)

    def never_ready(self, endpoint: str | None = None) -> None:
        """Deployments of the endpoint (or all) never finish: NOT_READY / IN_PROGRESS until cleared."""
        self._add(kind=NEVER_READY, endpoint=endpoint)

    def throttle(
        self,
        count: int,
        retry_after: int = 1,
        endpoint: str | None = None,
        scope: str = "all",
        entity: str | None = None,
    ) -> None:
        """The next `count` matching requests get 429 with `Retry-After: retry_after`.
        With `entity` (and `endpoint`): only queries that served entity answers."""
        self._add(kind=THROTTLE, count=count, retry_after=retry_after, endpoint=endpoint, scope=scope, entity=entity)

    def server_errors(
        self, count: int, status: int = 503, endpoint: str | None = None, scope: str = "all", entity: str | None = None
    ) -> None:
        """The next `count` matching requests get a 5xx answer (503 or 500); `entity` as for throttle."""
        self._add(kind=SERVER_ERRORS, count=count, status=status, endpoint=endpoint, scope=scope, entity=entity)

    def slow(
        self,
        seconds: float,
        endpoint: str | None = None,
        scope: str = "all",
        count: int | None = None,
        entity: str | None = None,
    ) -> None:
        """Matching requests wait `seconds` before being answered (the next `count`, or all until cleared);
        `entity` as for throttle (a slow canary)."""
        self._add(kind=SLOW, seconds=seconds, endpoint=endpoint, scope=scope, count=count, entity=entity)

    def drop_connections(self, count: int, endpoint: str | None = None, scope: str = "all") -> None:
        """The next `count` matching requests see their connection closed without an answer."""
        self._add(kind=DROP, count=count, endpoint=endpoint, scope=scope)

    def break_entity(
        self, endpoint: str, entity: str, status: int = 500, count: int | None = None, message: str | None = None
    ) -> None:
        """Queries answered by one served entity (asked directly or drawn by the traffic split) get a
        `status` error: the next `count`, or all until cleared. A broken canary, for one."""
        self._add(kind=BROKEN_ENTITY, endpoint=endpoint, entity=entity, status=status, count=count, message=message)

    def degrade(
        self,
        endpoint: str,
        entity: str,
        *,
        error_rate: float = 0.0,
        seconds: float = 0.0,
        from_percent: int = 1,
        status: int = 500,
        message: str | None = None,
    ) -> None:
        """While the traffic split gives one served entity at least `from_percent` percent, a share
        `error_rate` of its queries fail with `status` and every one takes `seconds` longer; below
        that share (at 0%, asked on its own route) it answers well. A candidate that fails under load."""
        self._add(
            kind=DEGRADE,
            endpoint=endpoint,
            entity=entity,
            error_rate=error_rate,
            seconds=seconds or None,
            from_percent=from_percent,
            status=status,
            message=message,
        )

    def clear_faults(self) -> None:
        self.workspace.clear_faults()

    def faults(self) -> list[dict[str, Any]]:
        return self.workspace.faults.describe()

    def _add(self, **spec: Any) -> None:
        self.workspace.add_fault(Fault.from_dict({k: v for k, v in spec.items() if v is not None}))

    # -- workspace objects -------------------------------------------------------------
    def add_objects(self, document: Mapping[str, Any]) -> dict[str, int]:
        """Add identities, Unity Catalog objects, registry models and secrets (the seed document of
        `servingstack.emulator.objects`); checked whole first, so a mistake adds nothing."""
        return objects.add(self.workspace, dict(document))

    # -- models and counters -----------------------------------------------------------
    def set_model_signature(self, entity_name: str, columns: Mapping[str, str]) -> None:
        """Input columns (name -> type) of a custom model, as its OpenAPI document shows them."""
        self.workspace.set_model_signature(entity_name, columns)

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests received (admin routes excluded), optionally by method and path prefix."""
        return self.workspace.requests.count(method, path_prefix)

    def reset_request_count(self) -> None:
        self.workspace.requests.reset()

    def queries_served(self, endpoint: str, entity: str | None = None) -> int:
        """Queries answered by the endpoint's entities (or one entity)."""
        return self.workspace.metrics.served(endpoint, entity)

    def set_creation_time(self, endpoint: str, when_ms: int) -> None:
        """Date an endpoint's creation (ms since the epoch), for rules that depend on it: a
        route-optimized endpoint created before 2025-09-22 still answers on the workspace URL."""
        with self.workspace.endpoints.lock:
            self.workspace.endpoints.get(endpoint).created_ms = when_ms

    def oauth_settings(self) -> dict[str, str]:
        """The Config fields (or, upper-cased with DATABRICKS_, environment variables) of an OAuth
        machine-to-machine identity of this emulator: any client id, its token as the secret."""
        return {"client_id": "servingstack-emulator", "client_secret": self.token}

    def client(self, *, oauth: bool = False, **config: Any):
        """A databricks-sdk WorkspaceClient for this emulator; extra Config fields are passed on.

        PAT auth by default; `oauth=True` uses OAuth machine-to-machine (the client secret is
        the emulator's token), found as the SDK finds it (`/.well-known/databricks-config`), which
        `serving_endpoints_data_plane` (route-optimized endpoints) needs.
        """
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.core import Config

        if self.url is None:
            raise RuntimeError("the emulator is not running: call start() or use it as a context manager")
        auth: dict[str, Any]  # Config fields: str here, other types among the caller's `config`
        if oauth:
            auth = dict(**self.oauth_settings(), auth_type="oauth-m2m")
        else:
            auth = dict(token=self.token, auth_type="pat")
        return WorkspaceClient(config=Config(host=self.url, **auth, **config))
