"""`servingstack emulator ...`: serve the emulator, apply a stack to it, inject faults."""
from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request
from typing import Any

import click

from .auth import DEFAULT_TOKEN, TOKEN_ENV, resolve_token
from .defaults import DEFAULT_DEPLOY_SECONDS
from .faults import SCOPES, Fault, FaultSpecError, parse_spec

URL_ENV = "SERVINGSTACK_EMULATOR_URL"
LOOPBACK = ("127.0.0.1", "localhost", "::1")

_TOKEN_HELP = f"Bearer token; default: ${TOKEN_ENV}, else the built-in development token (servingstack.emulator.DEFAULT_TOKEN)."
_FAULT_HELP = (
    "Inject a fault from the start, as KIND[:key=value,...]; repeatable. Kinds: throttle (count, retry_after), "
    "server_errors (count, status), slow (seconds, count), drop (count), fail_deployment (message), never_ready, "
    "broken_entity (entity, status, count, message; needs endpoint). "
    "Every kind takes endpoint=NAME and, for request faults, scope=control|query|all. "
    "Example: --fault throttle:count=3,retry_after=2,scope=query"
)


@click.group()
def emulator() -> None:
    """A local Databricks workspace for Model Serving: serve it, apply stacks to it, inject faults."""


# -- serve -----------------------------------------------------------------------------


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port; 0 picks a free one.")
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
@click.option(
    "--deploy-seconds",
    type=click.FloatRange(min=0),
    default=DEFAULT_DEPLOY_SECONDS,
    show_default=True,
    help="How long a deployment takes before the endpoint is READY.",
)
@click.option("--seed", type=int, default=None, help="Seed for the traffic split and endpoint ids (reproducible runs).")
@click.option("--fault", "fault_specs", multiple=True, metavar="KIND[:key=value,...]", help=_FAULT_HELP)
def serve(host: str, port: int, token: str | None, deploy_seconds: float, seed: int | None, fault_specs: tuple[str, ...]) -> None:
    """Run the emulator until SIGINT or SIGTERM, printing the URL it listens on."""
    faults = []
    for spec in fault_specs:
        try:
            faults.append(parse_spec(spec))
        except FaultSpecError as error:
            raise click.BadParameter(f"{spec!r}: {error}", param_hint="--fault") from None
    asyncio.run(_serve(host, port, resolve_token(token), deploy_seconds, seed, faults, token_source(token)))


def token_source(token: str | None) -> str:
    if token:
        return "--token or $" + TOKEN_ENV
    return f"the development token (set --token or ${TOKEN_ENV} to change it)"


async def _serve(host: str, port: int, token: str, deploy_seconds: float, seed: int | None, faults: list[Fault], source: str) -> None:
    from .server import start_server
    from .workspace import Workspace

    workspace = Workspace(token=token, deploy_seconds=deploy_seconds, seed=seed)
    for fault in faults:
        workspace.add_fault(fault)
    try:
        server = await start_server(workspace, host, port)
    except OSError as error:
        raise click.BadParameter(f"cannot listen on {host}:{port}: {error.strerror or error}", param_hint="--host/--port") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    click.echo(f"servingstack emulator listening on {server.url}")
    click.echo(f"  auth: Authorization: Bearer <token>, token from {source}")
    if host not in LOOPBACK and token == DEFAULT_TOKEN:
        click.echo("  warning: listening beyond loopback with the public development token; set --token", err=True)
    if faults:
        click.echo(f"  faults: {', '.join(f.kind for f in faults)}")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await server.close()
        click.echo("servingstack emulator stopped")


# -- apply -----------------------------------------------------------------------------


@emulator.command()
@click.option("--stack", "stack_dir", required=True, type=click.Path(), help="A synthesized stack: cdktf.out/stacks/<stack>.")
@click.option("--host", envvar=URL_ENV, show_envvar=True, required=True, help="Emulator URL, e.g. http://127.0.0.1:8080.")
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until deployments finish, like Terraform.")
@click.option("--timeout", type=click.FloatRange(min=0), default=600.0, show_default=True, help="Seconds to wait for deployments.")
def apply(stack_dir: str, host: str, token: str | None, wait: bool, timeout: float) -> None:
    """Create or update the stack's endpoints and permissions through databricks-sdk."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config
    from databricks.sdk.errors import DatabricksError

    from servingstack.errors import StackFileError
    from servingstack.stackfile import load_stack

    from .apply import apply_stack

    _check_url(host)
    try:
        stack = load_stack(stack_dir)
    except StackFileError as error:
        raise click.BadParameter(str(error), param_hint="--stack") from None
    _probe(host)
    try:
        client = WorkspaceClient(
            config=Config(host=host, token=resolve_token(token), auth_type="pat", retry_timeout_seconds=30)
        )
        click.echo(f"Applying stack {stack.name} to {host}")
        result = apply_stack(stack, client, wait=wait, timeout=timeout, echo=click.echo)
    except (DatabricksError, TimeoutError, OSError, ValueError) as error:
        raise click.ClickException(f"apply failed: {error}") from None
    if result.failed:
        sys.exit(1)


# -- fault -----------------------------------------------------------------------------


@emulator.group()
@click.option("--host", envvar=URL_ENV, show_envvar=True, help="URL of the running emulator (required).")
@click.option("--token", envvar=TOKEN_ENV, show_envvar=True, default=None, help=_TOKEN_HELP)
@click.pass_context
def fault(ctx: click.Context, host: str | None, token: str | None) -> None:
    """Inject faults into a running emulator (or list or clear them)."""
    # Checked when a fault is sent, not here, so `fault throttle --help` works without a URL.
    if host is not None:
        _check_url(host)
    ctx.obj = (host.rstrip("/") if host else None, resolve_token(token))


_endpoint_option = click.option("--endpoint", default=None, help="Only this endpoint (default: every endpoint).")
_scope_option = click.option(
    "--scope", type=click.Choice(SCOPES), default="all", show_default=True, help="Control plane, queries or both."
)


@fault.command()
@click.argument("count", type=click.IntRange(min=1))
@click.option("--retry-after", type=click.IntRange(min=0), default=1, show_default=True, help="Retry-After seconds.")
@_endpoint_option
@_scope_option
@click.pass_obj
def throttle(target: tuple[str, str], count: int, retry_after: int, endpoint: str | None, scope: str) -> None:
    """Answer the next COUNT requests with 429 and Retry-After."""
    _add_fault(target, {"kind": "throttle", "count": count, "retry_after": retry_after, "endpoint": endpoint, "scope": scope})


@fault.command()
@click.argument("count", type=click.IntRange(min=1))
@click.option("--status", type=click.Choice(["500", "503"]), default="503", show_default=True)
@_endpoint_option
@_scope_option
@click.pass_obj
def errors(target: tuple[str, str], count: int, status: str, endpoint: str | None, scope: str) -> None:
    """Answer the next COUNT requests with a server error."""
    _add_fault(target, {"kind": "server_errors", "count": count, "status": int(status), "endpoint": endpoint, "scope": scope})


@fault.command()
@click.argument("seconds", type=click.FloatRange(min=0, min_open=True))
@click.option("--count", type=click.IntRange(min=1), default=None, help="Only the next COUNT requests (default: until cleared).")
@_endpoint_option
@_scope_option
@click.pass_obj
def slow(target: tuple[str, str], seconds: float, count: int | None, endpoint: str | None, scope: str) -> None:
    """Delay answers by SECONDS."""
    _add_fault(target, {"kind": "slow", "seconds": seconds, "count": count, "endpoint": endpoint, "scope": scope})


@fault.command()
@click.argument("count", type=click.IntRange(min=1))
@_endpoint_option
@_scope_option
@click.pass_obj
def drop(target: tuple[str, str], count: int, endpoint: str | None, scope: str) -> None:
    """Close the connection of the next COUNT requests without answering."""
    _add_fault(target, {"kind": "drop", "count": count, "endpoint": endpoint, "scope": scope})


@fault.command("fail-deployment")
@_endpoint_option
@click.option("--message", default=None, help="Why the deployment fails (shown in the state and the build logs).")
@click.pass_obj
def fail_deployment(target: tuple[str, str], endpoint: str | None, message: str | None) -> None:
    """Make running and future deployments fail (UPDATE_FAILED)."""
    _add_fault(target, {"kind": "fail_deployment", "endpoint": endpoint, "message": message})


@fault.command("never-ready")
@_endpoint_option
@click.pass_obj
def never_ready(target: tuple[str, str], endpoint: str | None) -> None:
    """Make deployments never finish (NOT_READY, IN_PROGRESS) until cleared."""
    _add_fault(target, {"kind": "never_ready", "endpoint": endpoint})


@fault.command("broken-entity")
@click.argument("endpoint")
@click.argument("entity")
@click.option("--status", type=click.Choice(["500", "503"]), default="500", show_default=True)
@click.option("--count", type=click.IntRange(min=1), default=None, help="Only the next COUNT queries (default: until cleared).")
@click.option("--message", default=None, help="The error message the entity answers with.")
@click.pass_obj
def broken_entity(target: tuple[str, str], endpoint: str, entity: str, status: str, count: int | None,
                  message: str | None) -> None:
    """Make one served ENTITY of ENDPOINT answer queries with a server error (a broken canary)."""
    _add_fault(target, {"kind": "broken_entity", "endpoint": endpoint, "entity": entity, "status": int(status),
                        "count": count, "message": message})


@fault.command("clear")
@click.pass_obj
def clear(target: tuple[str, str]) -> None:
    """Remove every fault."""
    _admin(target, "DELETE", "faults")
    click.echo("faults cleared")


@fault.command("list")
@click.pass_obj
def list_faults(target: tuple[str, str]) -> None:
    """Show the active faults as JSON."""
    click.echo(json.dumps(_admin(target, "GET", "faults")["faults"], indent=2))


def _add_fault(target: tuple[str, str], spec: dict[str, Any]) -> None:
    spec = {k: v for k, v in spec.items() if v is not None}
    try:
        Fault.from_dict(spec)  # fail here, with exit 2, rather than at the server
    except FaultSpecError as error:
        raise click.UsageError(str(error)) from None
    faults = _admin(target, "POST", "faults", spec)["faults"]
    click.echo(f"fault added: {spec['kind']} ({len(faults)} active)")


def _admin(target: tuple[str | None, str], method: str, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
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


def _check_url(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{url!r} is not a URL: use e.g. http://127.0.0.1:8080", param_hint="--host")
