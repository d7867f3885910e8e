"""`servingstack emulator ...`: serve the emulator, apply a stack to it, inject faults."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from servingstack.emulator.auth import DEFAULT_TOKEN, TOKEN_ENV, resolve_token
from servingstack.emulator.background import DEFAULT_PID_FILE, BackgroundError, start_background, stop_background
from servingstack.emulator.defaults import DEFAULT_DEPLOY_SECONDS, MAX_DEPLOY_SECONDS
from servingstack.emulator.faults import (
    BROKEN_ENTITY,
    CLI_NAMES,
    DEGRADE,
    DROP,
    FAIL_DEPLOYMENT,
    MAX_RETRY_AFTER_SECONDS,
    NEVER_READY,
    SCOPES,
    SERVER_ERRORS,
    SLOW,
    THROTTLE,
    Fault,
    FaultSpecError,
    check_seconds,
    cli_name,
    parse_spec,
)

URL_ENV = "SERVINGSTACK_EMULATOR_URL"

_TOKEN_HELP = (
    f"Bearer token; default: ${TOKEN_ENV}, else the built-in development token (servingstack.emulator.DEFAULT_TOKEN)."
)
_HOST_HELP = f"URL of the running emulator, e.g. http://127.0.0.1:8080 (default: ${URL_ENV})."
_FAULT_HELP = (
    "Inject a fault from the start, as NAME[:key=value,...]; repeatable. The names and keys of `emulator fault`: "
    "throttle (count, retry-after), errors (count, status), slow (seconds, count), drop (count), "
    "fail-deployment (message), never-ready, broken-entity (entity, status, count, message; needs endpoint), "
    "degrade (entity, error-rate, seconds, from-percent, status, message; needs endpoint). "
    "Every fault takes endpoint=NAME and, for request faults, "
    "scope=control|query|all. Example: --fault throttle:count=3,retry-after=2,scope=query"
)


def _examples(*lines: str) -> str:
    """The epilog every command's --help ends with."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@click.group(
    epilog=_examples(
        "servingstack emulator serve --port 8080 --background",
        "servingstack emulator apply --stack cdktf.out/stacks/dev --host http://127.0.0.1:8080",
    )
)
def emulator() -> None:
    """A local Databricks workspace for Model Serving: serve it, apply stacks to it, inject faults."""


# -- serve -----------------------------------------------------------------------------


def _deploy_seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    try:
        return check_seconds(value, "--deploy-seconds", maximum=MAX_DEPLOY_SECONDS)
    except FaultSpecError as error:
        raise click.BadParameter(str(error).removeprefix("--deploy-seconds: ")) from None


def _no_host_on_serve(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.BadParameter(
            f"serve listens on --bind ADDRESS (e.g. --bind {value}); --host is the "
            "emulator's URL in the other commands",
            param_hint="--host",
        )


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface


@emulator.command(
    epilog=_examples(
        "servingstack emulator serve --port 8080 --deploy-seconds 2",
        "servingstack emulator serve --port 8080 --background   # then: emulator stop",
    )
)
@click.option(
    "--bind",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Beyond loopback (e.g. 0.0.0.0) a token of your own is required.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option(
    "--data-plane-port",
    type=click.IntRange(0, 65535),
    metavar="PORT",
    default=0,
    show_default=True,
    help="Port of the data plane, where route-optimized endpoints take queries (their endpoint_url); 0 picks one.",
)
@click.option("--host", hidden=True, expose_value=False, callback=_no_host_on_serve)
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
@click.option(
    "--deploy-seconds",
    type=float,
    callback=_deploy_seconds,
    default=DEFAULT_DEPLOY_SECONDS,
    show_default=True,
    help=f"How long a deployment takes before the endpoint is READY (0 to {MAX_DEPLOY_SECONDS:g}).",
)
@click.option(
    "--update-seconds",
    type=float,
    callback=lambda ctx, param, value: None if value is None else _seconds_option(value, "--update-seconds"),
    default=None,
    help="How long a config update of an endpoint that serves already takes (default: --deploy-seconds).",
)
@click.option(
    "--metrics-window",
    type=float,
    callback=lambda ctx, param, value: _positive_seconds(value, "--metrics-window"),
    default=60.0,
    show_default=True,
    help="Seconds each metrics sample counts over (the service's: a minute); shorter for quick demos.",
)
@click.option(
    "--metrics-per-entity",
    is_flag=True,
    help="Label the metrics by served entity (served_entity_name); whether the service does is unconfirmed.",
)
@click.option("--seed", type=int, default=None, help="Seed for the traffic split and endpoint ids (reproducible runs).")
@click.option("--fault", "fault_specs", multiple=True, metavar="NAME[:key=value,...]", help=_FAULT_HELP)
@click.option(
    "--seed-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A JSON seed document of workspace objects to start with: users, groups, service principals, "
    "catalogs, schemas, models and their versions, registry models, secret keys (see `emulator seed`).",
)
@click.option(
    "--background",
    "--detach",
    "background",
    is_flag=True,
    help="Start in the background: print the URL, write the pid file, return. Stop it with `emulator stop`.",
)
@click.option(
    "--pid-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Write the server's pid here (with --background: default {DEFAULT_PID_FILE}).",
)
def serve(
    bind: str,
    port: int,
    data_plane_port: int,
    token: str | None,
    deploy_seconds: float,
    update_seconds: float | None,
    metrics_window: float,
    metrics_per_entity: bool,
    seed: int | None,
    fault_specs: tuple[str, ...],
    seed_file: Path | None,
    background: bool,
    pid_file: Path | None,
) -> None:
    """Run the emulator until SIGINT or SIGTERM, printing the URL it listens on."""
    seeded = _seed_document(seed_file) if seed_file is not None else None
    faults = []
    for spec in fault_specs:
        try:
            faults.append(parse_spec(spec))
        except FaultSpecError as error:
            raise click.BadParameter(f"{spec!r}: {error}", param_hint="--fault") from None
    if not is_loopback(bind) and resolve_token(token) == DEFAULT_TOKEN:
        raise click.BadParameter(
            f"{bind} is reachable beyond this machine, and the development token is public: pass --token or "
            f"set ${TOKEN_ENV}",
            param_hint="--bind",
        )
    if background:
        args = ["--bind", bind, "--port", str(port), "--data-plane-port", str(data_plane_port)]
        args += ["--deploy-seconds", repr(deploy_seconds)]
        args += ["--update-seconds", repr(update_seconds)] if update_seconds is not None else []
        args += ["--metrics-window", repr(metrics_window)] + (["--metrics-per-entity"] if metrics_per_entity else [])
        args += ["--seed", str(seed)] if seed is not None else []
        args += ["--seed-file", str(seed_file.resolve())] if seed_file is not None else []
        for spec in fault_specs:
            args += ["--fault", spec]
        try:
            started = start_background(args, token=token, pid_file=pid_file or Path(DEFAULT_PID_FILE))
        except BackgroundError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"servingstack emulator listening on {started.url}")
        click.echo(f"  in the background: pid {started.pid}, pid file {started.pid_file}, log {started.log_file}")
        click.echo(f"  stop it with: servingstack emulator stop --pid-file {started.pid_file}")
        return
    timing = {
        "deploy_seconds": deploy_seconds,
        "update_seconds": update_seconds,
        "metrics_window_seconds": metrics_window,
        "metrics_per_entity": metrics_per_entity,
    }
    asyncio.run(
        _serve(
            bind,
            port,
            resolve_token(token),
            timing,
            seed,
            faults,
            token_source(token),
            pid_file,
            data_plane_port,
            seeded,
        )
    )


@emulator.command(
    epilog=_examples("servingstack emulator stop", "servingstack emulator stop --pid-file /tmp/emulator.pid")
)
@click.option(
    "--pid-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(DEFAULT_PID_FILE),
    show_default=True,
    help="The pid file `serve --background` wrote.",
)
def stop(pid_file: Path) -> None:
    """Stop an emulator started with `serve --background` (SIGTERM, then wait for it)."""
    try:
        pid = stop_background(pid_file)
    except BackgroundError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"servingstack emulator stopped (pid {pid})")


def token_source(token: str | None) -> str:
    if token:
        return "--token or $" + TOKEN_ENV
    return f"the development token (set --token or ${TOKEN_ENV} to change it)"


async def _serve(
    host: str,
    port: int,
    token: str,
    timing: dict[str, Any],
    seed: int | None,
    faults: list[Fault],
    source: str,
    pid_file: Path | None = None,
    data_plane_port: int = 0,
    seeded: dict[str, Any] | None = None,
) -> None:
    # Imported when used, as below: aiohttp and databricks-sdk cost a second of every command's start-up.
    from servingstack.emulator.server import start_server
    from servingstack.emulator.workspace import Workspace

    workspace = Workspace(token=token, seed=seed, **timing)
    for fault in faults:
        workspace.add_fault(fault)
    if seeded is not None:
        from servingstack.emulator.objects import add

        add(workspace, seeded)  # checked whole when the option was read
    try:
        server = await start_server(workspace, host, port, data_plane_port)
    except OSError as error:
        raise click.BadParameter(
            f"cannot listen on {host}:{port} and :{data_plane_port}: {error.strerror or error}",
            param_hint="--bind/--port/--data-plane-port",
        ) from None
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_event.set)
    if pid_file is not None:
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{os.getpid()}\n")
    click.echo(f"servingstack emulator listening on {server.url}")
    click.echo(f"  auth: Authorization: Bearer <token>, token from {source}")
    click.echo(f"  data plane (route-optimized endpoints, OAuth tokens only): {server.data_plane_url}")
    if faults:
        click.echo(f"  faults: {', '.join(cli_name(f.kind) for f in faults)}")
    sys.stdout.flush()
    try:
        await stop_event.wait()
    finally:
        await server.close()
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)
        click.echo("servingstack emulator stopped")


# -- apply -----------------------------------------------------------------------------


@emulator.command(
    epilog=_examples(
        "servingstack emulator apply --stack cdktf.out/stacks/dev --host http://127.0.0.1:8080",
        "SERVINGSTACK_EMULATOR_URL=http://127.0.0.1:8080 "
        "servingstack emulator apply --stack cdktf.out/stacks/dev --no-wait",
    )
)
@click.option(
    "--stack", "stack_dir", required=True, type=click.Path(), help="A synthesized stack: cdktf.out/stacks/<stack>."
)
@click.option(
    "--host",
    envvar=URL_ENV,
    show_envvar=True,
    default=None,
    help="Emulator URL, e.g. http://127.0.0.1:8080 (default: the host the stack's provider declares).",
)
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
@click.option(
    "--wait/--no-wait", default=True, show_default=True, help="Wait until deployments finish, like Terraform."
)
@click.option(
    "--timeout",
    type=float,
    callback=lambda ctx, param, value: _seconds_option(value, "--timeout"),
    default=600.0,
    show_default=True,
    help="Seconds to wait for deployments.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="What this stack's applies created, so that what leaves the stack is deleted (default: "
    "servingstack-emulator.<stack>.json beside cdktf.out, as terraform.<stack>.tfstate).",
)
@click.pass_context
def apply(
    ctx: click.Context,
    stack_dir: str,
    host: str | None,
    token: str | None,
    wait: bool,
    timeout: float,
    state_file: Path | None,
) -> None:
    """Create, update or delete the stack's resources through databricks-sdk, as Terraform would.

    The whole stack is checked first (references, the service's rules): a stack with a mistake
    changes nothing. What an earlier apply created and the stack no longer declares is deleted
    (`-` lines); others in the workspace are left alone, and an endpoint, secret scope or app of
    the same name that this state does not hold is not taken over (its create fails) unless an
    import block adopts it. The state is saved after every resource and locked while the apply
    runs. A stack whose provider declares its host is applied there; a --host for another
    workspace is refused.
    """
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config
    from databricks.sdk.errors import DatabricksError

    from servingstack.client.redact import Redactor
    from servingstack.client.signals import SignalWatch
    from servingstack.deploy.apply import PlanError, apply_stack
    from servingstack.deploy.lock import StateLocked
    from servingstack.deploy.state import ApplyState, StateError, default_state_path
    from servingstack.errors import StackFileError
    from servingstack.facts.stackfile import load_stack

    if host is not None:
        host = _check_url(host)
    token = resolve_token(token)
    redactor = Redactor([token])  # and anything token-shaped a server message or build log carries

    def echo(line: str) -> None:
        click.echo(redactor.clean(line))

    try:
        stack = load_stack(stack_dir)
    except StackFileError as error:
        raise click.BadParameter(str(error), param_hint="--stack") from None
    host = _workspace_of(ctx, stack, host)
    try:
        state = ApplyState(state_file or default_state_path(stack_dir, stack.name), host)
    except StateError as error:
        raise click.BadParameter(str(error), param_hint="--state") from None
    except StateLocked as error:
        raise click.ClickException(f"{error} Nothing was applied.") from None
    watch = SignalWatch()  # SIGTERM stops the apply as Ctrl-C does: the state already holds every change
    try:
        _probe(host)
        with watch.installed(), watch.arm():
            client = WorkspaceClient(config=Config(host=host, token=token, auth_type="pat", retry_timeout_seconds=30))
            echo(f"Applying stack {stack.name} to {host}")
            result = apply_stack(stack, client, wait=wait, timeout=timeout, echo=echo, state=state)
    except KeyboardInterrupt:
        echo(f"Interrupted: what was applied so far is recorded in {state.path}; apply again to finish.")
        sys.exit(watch.exit_code)
    except PlanError as error:
        for problem in error.problems:
            echo(f"Error: {problem}")
        echo(
            f"Nothing was applied: {len(error.problems)} problem{'s' if len(error.problems) != 1 else ''} in the stack."
        )
        sys.exit(1)
    except (DatabricksError, TimeoutError, OSError, ValueError) as error:
        raise click.ClickException(redactor.clean(f"apply failed: {error}")) from None
    finally:
        state.close()  # every change was saved as it was made; the lock goes
    if result.failed:
        sys.exit(1)


def _positive_seconds(value: float, option: str) -> float:
    try:
        return check_seconds(value, option, maximum=MAX_DEPLOY_SECONDS, positive=True)
    except FaultSpecError as error:
        raise click.BadParameter(str(error).removeprefix(f"{option}: ")) from None


def _seconds_option(value: float, option: str) -> float:
    try:
        return check_seconds(value, option, maximum=MAX_DEPLOY_SECONDS)
    except FaultSpecError as error:
        raise click.BadParameter(str(error).removeprefix(f"{option}: ")) from None


# -- seed ------------------------------------------------------------------------------


def _seed_document(path: Path) -> dict[str, Any]:
    """A seed file read and checked now, so `serve` refuses a bad one before it listens (exit 2)."""
    from servingstack.emulator.objects import ObjectsError, check, load_file

    try:
        document = load_file(str(path))
        check(document)
    except ObjectsError as error:
        raise click.BadParameter("; ".join(error.problems), param_hint="--seed-file") from None
    return document


def _versions_spec(spec: str, option: str) -> tuple[str, dict[str, str]]:
    """`NAME:3,4,5=PENDING_REGISTRATION` -> (NAME, {"3": "READY", "4": "READY", "5": "PENDING_REGISTRATION"})."""
    name, colon, versions = spec.rpartition(":")
    if not colon or not name or not versions:
        raise click.BadParameter(f"{spec!r}: expected NAME:VERSION[=STATUS][,VERSION...]", param_hint=option)
    parsed = {}
    for item in versions.split(","):
        version, _, status = item.partition("=")
        parsed[version.strip()] = status.strip() or "READY"
    return name, parsed


def seed_document(
    users: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    service_principals: tuple[str, ...] = (),
    catalogs: tuple[str, ...] = (),
    schemas: tuple[str, ...] = (),
    models: tuple[str, ...] = (),
    registry_models: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The seed document the options of `emulator seed` describe."""
    document: dict[str, Any] = {"users": list(users), "catalogs": list(catalogs), "schemas": list(schemas)}
    document["groups"] = []
    for spec in groups:
        name, _, members = spec.partition("=")
        document["groups"].append({"name": name, "members": [m for m in members.split(",") if m]})
    document["service_principals"] = []
    for spec in service_principals:
        application_id, _, display_name = spec.partition("=")
        entry = {"application_id": application_id}
        document["service_principals"].append({**entry, "display_name": display_name} if display_name else entry)
    document["models"] = dict(_versions_spec(spec, "--model") for spec in models)
    document["registry_models"] = dict(_versions_spec(spec, "--registry-model") for spec in registry_models)
    document["secrets"] = {}
    for spec in secrets:
        scope, slash, key = spec.partition("/")
        if not slash or not scope or not key:
            raise click.BadParameter(f"{spec!r}: expected SCOPE/KEY", param_hint="--secret")
        document["secrets"].setdefault(scope, []).append(key)
    return {k: v for k, v in document.items() if v}


@emulator.command(
    epilog=_examples(
        "servingstack emulator seed workspace.json --host http://127.0.0.1:8080",
        "servingstack emulator seed --group data-scientists --model ml.fraud.scorer:3,4,5=PENDING_REGISTRATION "
        "--secret fraud/feature-store-token --host http://127.0.0.1:8080",
    )
)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "users", multiple=True, metavar="USER_NAME", help="A workspace user (email). Repeatable.")
@click.option(
    "--group", "groups", multiple=True, metavar="NAME[=MEMBER,...]", help="A workspace group, with members. Repeatable."
)
@click.option(
    "--service-principal",
    "service_principals",
    multiple=True,
    metavar="APPLICATION_ID[=DISPLAY_NAME]",
    help="A service principal, by application id. Repeatable.",
)
@click.option("--catalog", "catalogs", multiple=True, metavar="NAME", help="A Unity Catalog catalog. Repeatable.")
@click.option("--schema", "schemas", multiple=True, metavar="CATALOG.SCHEMA", help="A schema (and its catalog).")
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="CATALOG.SCHEMA.MODEL:VERSION[=STATUS],...",
    help="A Unity Catalog model and versions (status READY unless given: PENDING_REGISTRATION, "
    "FAILED_REGISTRATION, MODEL_VERSION_STATUS_UNKNOWN). Repeatable.",
)
@click.option(
    "--registry-model",
    "registry_models",
    multiple=True,
    metavar="NAME:VERSION[=STATUS],...",
    help="A Workspace Model Registry model and versions. Repeatable.",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="SCOPE/KEY",
    help="A secret key (and its scope), with a placeholder value no route returns. Repeatable.",
)
@click.option("--host", envvar=URL_ENV, show_envvar=True, required=True, help=_HOST_HELP)
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
def seed(
    file: Path | None,
    users: tuple[str, ...],
    groups: tuple[str, ...],
    service_principals: tuple[str, ...],
    catalogs: tuple[str, ...],
    schemas: tuple[str, ...],
    models: tuple[str, ...],
    registry_models: tuple[str, ...],
    secrets: tuple[str, ...],
    host: str,
    token: str | None,
) -> None:
    """Add workspace objects to a running emulator: identities, Unity Catalog catalogs, schemas and models
    with their versions, registry models and secret keys, from FILE (a JSON seed document) and the options.
    Everything is checked first: a mistake adds nothing."""
    document = _seed_document(file) if file is not None else {}
    extra = seed_document(users, groups, service_principals, catalogs, schemas, models, registry_models, secrets)
    for key, value in extra.items():
        if isinstance(value, dict):
            document[key] = {**(document.get(key) or {}), **value}
        else:
            document[key] = [*(document.get(key) or []), *value]
    if not document:
        raise click.UsageError("nothing to seed: name a FILE or at least one of --user, --group, ..., --secret")
    added = _admin((_check_url(host).rstrip("/"), resolve_token(token)), "POST", "objects", document)["added"]
    shown = ", ".join(f"{count} {key.replace('_', ' ')}" for key, count in added.items() if count)
    click.echo(f"seeded: {shown}")


# -- fault -----------------------------------------------------------------------------


@emulator.group(
    epilog=_examples(
        "servingstack emulator fault --host http://127.0.0.1:8080 throttle 3 --retry-after 2",
        "servingstack emulator fault never-ready --endpoint dev-chat --host http://127.0.0.1:8080",
    )
)
@click.option("--host", envvar=URL_ENV, show_envvar=True, help=_HOST_HELP + " Also accepted after the subcommand.")
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
@click.pass_context
def fault(ctx: click.Context, host: str | None, token: str | None) -> None:
    """Inject faults into a running emulator (or list or clear them)."""
    # Checked when a fault is sent, not here, so `fault throttle --help` works without a URL.
    if host is not None:
        _check_url(host)
    ctx.obj = (host.rstrip("/") if host else None, resolve_token(token))


def _targeted(command: Any) -> Any:
    """`--host`/`--token` after the subcommand too (`fault throttle 3 --host URL`); they win over the group's."""

    @click.option("--host", "sub_host", default=None, metavar="URL", help=_HOST_HELP)
    @click.option("--token", "sub_token", default=None, help="Bearer token (as before the subcommand).")
    @click.pass_context
    @functools.wraps(command)
    def with_target(ctx: click.Context, sub_host: str | None, sub_token: str | None, **kwargs: Any) -> Any:
        host, token = ctx.obj
        if sub_host is not None:
            _check_url(sub_host)
            host = sub_host.rstrip("/")
        return command((host, sub_token or token), **kwargs)

    return with_target


_endpoint_option = click.option("--endpoint", default=None, help="Only this endpoint (default: every endpoint).")
_scope_option = click.option(
    "--scope", type=click.Choice(SCOPES), default="all", show_default=True, help="Control plane, queries or both."
)
_URL = "--host http://127.0.0.1:8080"


@fault.command(
    CLI_NAMES[THROTTLE],
    epilog=_examples(
        f"servingstack emulator fault throttle 3 --retry-after 2 {_URL}",
        f"servingstack emulator fault throttle 5 --scope query {_URL}",
    ),
)
@click.argument("count", type=click.IntRange(min=1))
@click.option(
    "--retry-after",
    type=click.IntRange(min=0, max=MAX_RETRY_AFTER_SECONDS),
    default=1,
    show_default=True,
    help="Retry-After seconds.",
)
@_endpoint_option
@_scope_option
@_targeted
def throttle(target: tuple[str, str], count: int, retry_after: int, endpoint: str | None, scope: str) -> None:
    """Answer the next COUNT requests with 429 and Retry-After."""
    _add_fault(
        target, {"kind": THROTTLE, "count": count, "retry_after": retry_after, "endpoint": endpoint, "scope": scope}
    )


@fault.command(
    CLI_NAMES[SERVER_ERRORS],
    epilog=_examples(
        f"servingstack emulator fault errors 2 {_URL}", f"servingstack emulator fault errors 1 --status 500 {_URL}"
    ),
)
@click.argument("count", type=click.IntRange(min=1))
@click.option("--status", type=click.Choice(["500", "503"]), default="503", show_default=True)
@_endpoint_option
@_scope_option
@_targeted
def errors(target: tuple[str, str], count: int, status: str, endpoint: str | None, scope: str) -> None:
    """Answer the next COUNT requests with a server error."""
    _add_fault(
        target, {"kind": SERVER_ERRORS, "count": count, "status": int(status), "endpoint": endpoint, "scope": scope}
    )


@fault.command(
    CLI_NAMES[SLOW],
    epilog=_examples(
        f"servingstack emulator fault slow 0.5 --scope query {_URL}",
        f"servingstack emulator fault slow 2 --count 3 {_URL}",
    ),
)
@click.argument("seconds", type=float)
@click.option(
    "--count", type=click.IntRange(min=1), default=None, help="Only the next COUNT requests (default: until cleared)."
)
@_endpoint_option
@_scope_option
@_targeted
def slow(target: tuple[str, str], seconds: float, count: int | None, endpoint: str | None, scope: str) -> None:
    """Delay answers by SECONDS (more than 0, at most an hour)."""
    _add_fault(target, {"kind": SLOW, "seconds": seconds, "count": count, "endpoint": endpoint, "scope": scope})


@fault.command(
    CLI_NAMES[DROP],
    epilog=_examples(
        f"servingstack emulator fault drop 2 {_URL}",
        f"servingstack emulator fault drop 1 --scope query --endpoint dev-chat {_URL}",
    ),
)
@click.argument("count", type=click.IntRange(min=1))
@_endpoint_option
@_scope_option
@_targeted
def drop(target: tuple[str, str], count: int, endpoint: str | None, scope: str) -> None:
    """Close the connection of the next COUNT requests without answering."""
    _add_fault(target, {"kind": DROP, "count": count, "endpoint": endpoint, "scope": scope})


@fault.command(
    CLI_NAMES[FAIL_DEPLOYMENT],
    epilog=_examples(
        f"servingstack emulator fault fail-deployment --endpoint dev-chat {_URL}",
        f"servingstack emulator fault fail-deployment --message 'CUDA out of memory' {_URL}",
    ),
)
@_endpoint_option
@click.option("--message", default=None, help="Why the deployment fails (shown in the state and the build logs).")
@_targeted
def fail_deployment(target: tuple[str, str], endpoint: str | None, message: str | None) -> None:
    """Make running and future deployments fail (UPDATE_FAILED)."""
    _add_fault(target, {"kind": FAIL_DEPLOYMENT, "endpoint": endpoint, "message": message})


@fault.command(
    CLI_NAMES[NEVER_READY],
    epilog=_examples(
        f"servingstack emulator fault never-ready --endpoint dev-chat {_URL}",
        f"servingstack emulator fault never-ready {_URL}",
    ),
)
@_endpoint_option
@_targeted
def never_ready(target: tuple[str, str], endpoint: str | None) -> None:
    """Make deployments never finish (NOT_READY, IN_PROGRESS) until cleared."""
    _add_fault(target, {"kind": NEVER_READY, "endpoint": endpoint})


@fault.command(
    CLI_NAMES[BROKEN_ENTITY],
    epilog=_examples(
        f"servingstack emulator fault broken-entity dev-fraud-scoring v4 {_URL}",
        f"servingstack emulator fault broken-entity dev-fraud-scoring v4 --status 503 --count 3 {_URL}",
    ),
)
@click.argument("endpoint")
@click.argument("entity")
@click.option("--status", type=click.Choice(["500", "503"]), default="500", show_default=True)
@click.option(
    "--count", type=click.IntRange(min=1), default=None, help="Only the next COUNT queries (default: until cleared)."
)
@click.option("--message", default=None, help="The error message the entity answers with.")
@_targeted
def broken_entity(
    target: tuple[str, str], endpoint: str, entity: str, status: str, count: int | None, message: str | None
) -> None:
    """Make one served ENTITY of ENDPOINT answer queries with a server error (a broken canary)."""
    _add_fault(
        target,
        {
            "kind": BROKEN_ENTITY,
            "endpoint": endpoint,
            "entity": entity,
            "status": int(status),
            "count": count,
            "message": message,
        },
    )


@fault.command(
    CLI_NAMES[DEGRADE],
    epilog=_examples(
        f"servingstack emulator fault degrade dev-fraud-scoring v4 --error-rate 0.3 {_URL}",
        f"servingstack emulator fault degrade dev-fraud-scoring v4 --seconds 0.4 --from-percent 25 {_URL}",
    ),
)
@click.argument("endpoint")
@click.argument("entity")
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="The share of its queries that fail (0.3: 30%).",
)
@click.option("--seconds", type=float, default=None, help="How much slower every query it answers is.")
@click.option(
    "--from-percent",
    type=click.IntRange(0, 100),
    default=1,
    show_default=True,
    help="Only while the traffic split gives it at least this share (at 0% it answers well).",
)
@click.option("--status", type=click.Choice(["500", "503"]), default="500", show_default=True)
@click.option("--message", default=None, help="The error message of a failed query.")
@_targeted
def degrade(
    target: tuple[str, str],
    endpoint: str,
    entity: str,
    error_rate: float,
    seconds: float | None,
    from_percent: int,
    status: str,
    message: str | None,
) -> None:
    """Make one served ENTITY of ENDPOINT fail a share of its queries and answer slower, once it takes real
    traffic (a candidate that passes on its own and fails under load)."""
    _add_fault(
        target,
        {
            "kind": DEGRADE,
            "endpoint": endpoint,
            "entity": entity,
            "error_rate": error_rate,
            "seconds": seconds,
            "from_percent": from_percent,
            "status": int(status),
            "message": message,
        },
    )


@fault.command(
    "clear",
    epilog=_examples(
        f"servingstack emulator fault clear {_URL}",
        "SERVINGSTACK_EMULATOR_URL=http://127.0.0.1:8080 servingstack emulator fault clear",
    ),
)
@_targeted
def clear(target: tuple[str, str]) -> None:
    """Remove every fault."""
    _admin(target, "DELETE", "faults")
    click.echo("faults cleared")


@fault.command(
    "list",
    epilog=_examples(
        f"servingstack emulator fault list {_URL}",
        "SERVINGSTACK_EMULATOR_URL=http://127.0.0.1:8080 servingstack emulator fault list",
    ),
)
@_targeted
def list_faults(target: tuple[str, str]) -> None:
    """Show the active faults as JSON."""
    click.echo(json.dumps(_admin(target, "GET", "faults")["faults"], indent=2, allow_nan=False))


# -- traffic ---------------------------------------------------------------------------


@emulator.command(
    epilog=_examples(
        "servingstack emulator traffic dev-fraud-scoring 50 --host http://127.0.0.1:8080",
        "servingstack emulator traffic dev-fraud-scoring 0 --host http://127.0.0.1:8080   # stop",
    )
)
@click.argument("endpoint")
@click.argument("per_second", type=click.FloatRange(0, 10_000))
@click.option("--host", envvar=URL_ENV, show_envvar=True, help=_HOST_HELP)
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
def traffic(endpoint: str, per_second: float, host: str | None, token: str | None) -> None:
    """Simulated callers send ENDPOINT PER_SECOND queries (0 stops them), counted in its metrics.

    They are drawn by the live traffic split and meet the served entities' faults (broken-entity,
    degrade) as HTTP queries would, without HTTP: production traffic for a rollout to watch.
    """
    if host is not None:
        host = _check_url(host).rstrip("/")
    callers = _admin((host, resolve_token(token)), "PUT", "traffic", {"endpoint": endpoint, "per_second": per_second})
    shown = ", ".join(f"{name} {rate:g}/s" for name, rate in callers["callers"].items()) or "none"
    click.echo(f"simulated callers: {shown}")


def _add_fault(target: tuple[str, str], spec: dict[str, Any]) -> None:
    spec = {k: v for k, v in spec.items() if v is not None}
    try:
        kind = Fault.from_dict(spec).kind  # fail here, with exit 2, rather than at the server
    except FaultSpecError as error:
        raise click.UsageError(str(error)) from None
    faults = _admin(target, "POST", "faults", spec)["faults"]
    click.echo(f"fault added: {cli_name(kind)} ({len(faults)} active)")


def _admin(
    target: tuple[str | None, str], method: str, route: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    url, token = target
    if url is None:
        raise click.UsageError(f"Missing option '--host' (env var: '{URL_ENV}'): the URL of the running emulator.")
    request = urllib.request.Request(
        f"{url}/_emulator/{route}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("message", error.reason)
        except ValueError:
            message = error.reason
        if error.code == 401:
            message = "the emulator refused the token"
        raise click.ClickException(f"{method} /_emulator/{route}: {error.code} {message}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise click.ClickException(f"cannot reach the emulator at {url}: {reason}") from None


def _probe(url: str) -> None:
    """Fail at once when nothing listens at `url` (the SDK would retry for its whole budget)."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/.well-known/databricks-config", timeout=10):
            pass
    except urllib.error.HTTPError:
        pass  # something answers: the SDK will report what
    except (urllib.error.URLError, OSError) as error:
        raise click.ClickException(f"cannot reach the emulator at {url}: {getattr(error, 'reason', error)}") from None


def _workspace_of(ctx: click.Context, stack: Any, host: str | None) -> str:
    """The emulator to apply to: `--host` (or its variable), else the host the stack declares
    (`client.workspace`, the rule `check` follows too); one for another workspace is refused."""
    from servingstack.client.workspace import DeclaredWorkspace, WorkspaceMismatch, choose

    source = ctx.get_parameter_source("host")
    given_as = f"${URL_ENV}" if source == click.core.ParameterSource.ENVIRONMENT else "--host"
    try:
        chosen = choose(DeclaredWorkspace(stack.name, stack.host, stack.profile), host, given_as, None)
    except WorkspaceMismatch as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    if chosen.host is None:
        raise click.UsageError(
            f"Missing option '--host' (env var: '{URL_ENV}'): the emulator's URL (the stack declares no host)."
        )
    return chosen.host if chosen.host == host else _check_url(chosen.host)


def _check_url(url: str) -> str:
    """The emulator's URL: with a scheme, without credentials (the same rules as `check --host`)."""
    from servingstack.client.connect import check_host_url
    from servingstack.client.errors import UsageError

    try:
        return check_host_url(url, "")
    except UsageError as error:
        raise click.BadParameter(
            str(error).removeprefix(": ") + " (the emulator's URL, e.g. http://127.0.0.1:8080)", param_hint="--host"
        ) from None
