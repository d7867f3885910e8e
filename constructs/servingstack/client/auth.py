"""A `WorkspaceClient` the way every Databricks tool gets one (unified auth: DATABRICKS_HOST /
DATABRICKS_TOKEN, `--profile`, `~/.databrickscfg`), tuned so nothing in it can hang a check."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import PermissionDenied, Unauthenticated

from servingstack.client.connect import check_host_url, reach
from servingstack.client.errors import AuthenticationError, ConfigurationError
from servingstack.client.redact import Redactor
from servingstack.client.retry import (
    Deadline,
    DeadlineReached,
    HandBackClock,
    RetriesExhausted,
    call_with_retry,
    describe_error,
    within,
)
from servingstack.client.workspace import DeclaredWorkspace, refuse_mismatch

# Per request; the check's own deadline bounds the whole.
MAX_HTTP_TIMEOUT_SECONDS = 30
# The SDK's budget for its few retries outside our control (the host-metadata probe at start).
MAX_SDK_RETRY_SECONDS = 10
CONNECT_GRACE_SECONDS = 0.25


@dataclass(frozen=True)
class Connection:
    """Where and as whom to connect; unset fields come from the environment or a profile."""

    host: str | None = None
    token: str | None = None
    profile: str | None = None
    declared: DeclaredWorkspace | None = None  # the workspace a stack names: another one is refused

    def __repr__(self) -> str:  # never show the token
        return f"Connection(host={self.host!r}, profile={self.profile!r}, token={'***' if self.token else None})"


def _version() -> str:
    try:
        return metadata.version("servingstack")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def _reached_config(before_first_request: Callable[[str], None], **settings: Any) -> Config:
    """A `Config` that, before the SDK's own first request (the host-metadata probe, with its own
    retry budget), hands the host to `before_first_request`. (Config cannot be subclassed: it
    collects its attributes from its own class only.)"""
    config = Config.__new__(Config)
    resolve = config._resolve_host_metadata

    def checked_first() -> None:
        if config.host:
            before_first_request(config.host)
        resolve()

    config._resolve_host_metadata = checked_first  # type: ignore[method-assign]
    Config.__init__(config, **settings)
    return config


@dataclass
class Progress:
    """How far connecting got: the host once known, and the step under way (for a message)."""

    host: str | None = None
    step: str = "reading the configuration"


def make_client(
    connection: Connection,
    timeout: float,
    redactor: Redactor,
    deadline: Deadline | None = None,
    progress: Progress | None = None,
) -> WorkspaceClient:
    """A client whose transient errors come straight back to the checker's retry loop.

    With a `deadline`, the host (from the options, the environment or a profile) is first
    reached by `connect.reach` inside it, and the SDK's timeouts fit in what is left."""
    progress = progress if progress is not None else Progress()
    settings: dict[str, object] = {"host": connection.host, "token": connection.token, "profile": connection.profile}
    settings = {k: v for k, v in settings.items() if v}
    if connection.token:
        # A token given explicitly wins over any OAuth settings in the environment.
        settings["auth_type"] = "pat"
    budget = min(timeout, deadline.remaining()) if deadline is not None else timeout
    settings["retry_timeout_seconds"] = int(max(1, min(budget, MAX_SDK_RETRY_SECONDS)))
    # A third of the budget per request, so a hung request still leaves time to retry it.
    settings["http_timeout_seconds"] = max(1.0, min(budget / 3, MAX_HTTP_TIMEOUT_SECONDS))
    redactor.add(connection.token)

    def before_first_request(host: str) -> None:
        if "@" in urlsplit(host).netloc:  # from the environment or a profile: --host was checked already
            check_host_url(host, "the workspace host (DATABRICKS_HOST or the profile)")
        refuse_mismatch(connection.declared, host, _host_source(connection))
        progress.host, progress.step = host, "the first connection"
        if deadline is not None:
            reach(host, deadline)
        progress.step = "the SDK's discovery (/.well-known/databricks-config) and sign-in"

    try:
        config = _reached_config(
            before_first_request, clock=HandBackClock(), product="servingstack", product_version=_version(), **settings
        )
    except ValueError as error:
        raise ConfigurationError(redactor.clean(f"cannot configure Databricks authentication: {error}")) from None
    redactor.add(config.token)
    redactor.add(config.client_secret)
    return WorkspaceClient(config=config)


def _host_source(connection: Connection) -> str:
    """Where the SDK took the host from, in the words a person would use to change it."""
    if connection.host:
        return "--host"
    if os.environ.get("DATABRICKS_HOST"):
        return "DATABRICKS_HOST"
    profile = connection.profile or os.environ.get("DATABRICKS_CONFIG_PROFILE")
    return f"the profile {profile}" if profile else "the DEFAULT profile of ~/.databrickscfg"


# The first, credential-trying call of a run may take this long at most (within the run's deadline).
PREFLIGHT_SECONDS = 30.0


def connect(
    connection: Connection,
    timeout: float,
    redactor: Redactor,
    deadline: Deadline,
    preflight_seconds: float = PREFLIGHT_SECONDS,
) -> WorkspaceClient:
    """`make_client` and `verify_access` inside the deadline however the host answers: each request
    has its own timeouts, but a server that sends one byte at a time keeps every socket read short,
    so the whole is waited for on a thread of its own and given up at the deadline."""
    progress = Progress()

    def setup() -> WorkspaceClient:
        client = make_client(connection, timeout, redactor, deadline=deadline, progress=progress)
        progress.step = "the first call (the serving endpoints list)"
        verify_access(client, Deadline(min(deadline.remaining(), preflight_seconds)), redactor)
        return client

    try:
        # The grace lets a step that ends at the deadline by itself (no answer at all) say so.
        return within(deadline, setup, "servingstack-check-connect", grace=CONNECT_GRACE_SECONDS)
    except DeadlineReached:
        host = progress.host or connection.host or "the workspace"
        raise ConfigurationError(
            redactor.clean(
                f"no complete answer from {host} within {deadline.seconds:g} s (during {progress.step}): "
                "it accepts the connection but its answer does not finish"
            )
        ) from None


def verify_access(client: WorkspaceClient, deadline: Deadline, redactor: Redactor) -> None:
    """One cheap authenticated call, so bad credentials fail the run at once (exit 2)."""
    try:
        call_with_retry(lambda: next(iter(client.serving_endpoints.list()), None), deadline)
    except (Unauthenticated, PermissionDenied) as error:
        raise AuthenticationError(
            redactor.clean(f"{client.config.host} rejected the credentials: {describe_error(error)}")
        ) from None
    except RetriesExhausted as error:
        raise ConfigurationError(redactor.clean(f"{client.config.host} did not answer: {error}")) from None
    except Exception as error:  # noqa: BLE001 - anything else here is a setup problem, not an endpoint's
        raise ConfigurationError(
            redactor.clean(f"{client.config.host} did not answer the serving endpoints list: {describe_error(error)}")
        ) from None
