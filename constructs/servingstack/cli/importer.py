"""`servingstack import`: write a servingstack program for the endpoints that already run."""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
from pathlib import Path

import click

from servingstack.client.auth import Connection, make_client, verify_access
from servingstack.client.connect import check_host_url, check_timeout
from servingstack.client.errors import SetupError, UsageError
from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline
from servingstack.importer.live import read_endpoints
from servingstack.importer.neighbours import read_around
from servingstack.importer.program import DEFAULT_STACK_ID, build_program
from servingstack.importer.scopes import USED
from servingstack.importer.target import ENGINE_MODULES, target_engine

EXIT_SETUP = 2
# Stack ids become directory names under cdktf.out/stacks.
_STACK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# The same rule as ServingStack's `environment`.
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


EPILOG = """\b
Examples:
  servingstack import --out adopted.py --environment prod --host https://my.cloud.databricks.com
  servingstack import --out chat.py --endpoint prod-chat --profile prod --no-import-blocks
"""


@click.command("import", epilog=EPILOG)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="The Python file to write (replaced only once it is complete).",
)
@click.option("--stack-id", default=DEFAULT_STACK_ID, show_default=True, help="Id of the generated stack.")
@click.option(
    "--environment",
    metavar="ENV",
    help="Import the endpoints named ENV-*, and make ENV the stack's environment (its name prefix).",
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="NAME",
    help="Import only this endpoint (repeatable). Default: every endpoint of the workspace.",
)
@click.option(
    "--scopes",
    default=USED,
    show_default=True,
    metavar="used|none|NAME[,NAME...]",
    help="Secret scopes to declare, with their ACLs: those the imported endpoints read their keys from, none, "
    "or the scopes named.",
)
@click.option(
    "--uc-grants",
    is_flag=True,
    help="Also declare the Unity Catalog grants serving needs (the stack's deployer=): EXECUTE on the models, "
    "USE_SCHEMA / CREATE_TABLE on the schemas, USE_CATALOG on the catalogs the endpoints use.",
)
@click.option(
    "--deployer",
    metavar="PRINCIPAL",
    help="Whose Unity Catalog grants to declare (implies --uc-grants). Default: the one principal that holds "
    "every privilege serving needs.",
)
@click.option(
    "--as-serving-endpoint",
    "serving_endpoints",
    multiple=True,
    metavar="NAME",
    help="Declare this provisioned-throughput endpoint as a ServingEndpoint (databricks_model_serving) rather than "
    "a ProvisionedThroughputEndpoint: the service does not say which resource made it (repeatable).",
)
@click.option(
    "--engine",
    type=click.Choice(sorted(ENGINE_MODULES)),
    help="The engine the program will build with (default: SERVINGSTACK_CDK_ENGINE, else the one installed); "
    "telemetry and app compute bounds are declared on cdktn only.",
)
@click.option(
    "--no-import-blocks",
    is_flag=True,
    help="Leave out the Terraform import blocks (the first apply would then create the endpoints).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=120,
    show_default=True,
    help="Seconds for the whole read, retries included.",
)
@click.option("--profile", help="A profile of ~/.databrickscfg.")
@click.option("--host", help="Workspace URL (default: DATABRICKS_HOST or the profile).")
@click.option("--token", help="Personal access token (default: DATABRICKS_TOKEN or the profile).")
def import_(
    out: Path,
    stack_id: str,
    environment: str | None,
    endpoints: tuple[str, ...],
    scopes: str,
    uc_grants: bool,
    deployer: str | None,
    serving_endpoints: tuple[str, ...],
    engine: str | None,
    no_import_blocks: bool,
    timeout: float,
    profile: str | None,
    host: str | None,
    token: str | None,
) -> None:
    """Write a servingstack program for the serving endpoints of a workspace.

    Reads the endpoints and their permissions through the Databricks SDK (unified auth:
    DATABRICKS_HOST / DATABRICKS_TOKEN, --profile, ~/.databrickscfg, or --host and --token)
    and writes one ServingEndpoint (ProvisionedThroughputEndpoint for provisioned throughput)
    per endpoint, with its grants and Terraform import blocks; beside them the secret scopes
    the endpoints read (SecretScope, with ACLs), the apps that query them (ServingApp) and,
    with --uc-grants, the Unity Catalog grants serving needs, each with its import blocks.
    Secrets stay secret references; a key the service hides (given in plaintext) becomes a
    placeholder reference with a comment. Whatever cannot be declared is a comment at the
    endpoint and a warning here. Then `python adopted.py` synthesizes cdktf.out/stacks/imported,
    where `terraform plan` adopts the endpoints (import blocks) instead of creating them.

    \b
    Exit codes:
      0  the program was written (warnings on stderr)
      2  bad options, unwritable --out, no workspace, credentials rejected, unknown endpoint
    """
    logging.getLogger("databricks.sdk").setLevel(logging.ERROR)
    redactor = Redactor([token])
    try:
        timeout = check_timeout(timeout)
        host = check_host_url(host) if host is not None else None
        _check_options(out, stack_id, environment, endpoints)
        if deployer is not None and not deployer.strip():
            raise UsageError("--deployer: name a user, a group or a service principal's application id")
        # One deadline from the first connection attempt on, as the checker keeps it.
        deadline = Deadline(timeout)
        client = make_client(Connection(host=host, token=token, profile=profile), timeout, redactor, deadline=deadline)
        verify_access(client, deadline, redactor)
        live = read_endpoints(client, list(endpoints) or None, deadline, redactor)
        live, skipped = _select(live, environment, bool(endpoints))
        around = read_around(
            client,
            live,
            deadline,
            redactor,
            scopes=scopes,
            uc_grants=uc_grants or deployer is not None,
            deployer=deployer,
            serving_endpoints=serving_endpoints,
        )
        program = build_program(
            live,
            stack_id=stack_id,
            environment=environment,
            import_blocks=not no_import_blocks,
            host=client.config.host,
            engine=engine or target_engine(),
            around=around,
        )
        _write_atomically(out, program.source)
    except SetupError as error:
        click.echo(redactor.clean(f"Error: {error}"), err=True)
        sys.exit(error.exit_code)
    for name in skipped:
        click.echo(f"skipped {name}: its name does not start with {environment}-", err=True)
    if not program.endpoints:
        click.echo("warning: no serving endpoint to import: the program declares an empty stack", err=True)
    for warning in program.warnings():
        click.echo(redactor.clean(f"warning: {warning}"), err=True)
    count = len(program.endpoints)
    beside = [
        f"{n} {what}{'s' if n != 1 else ''}"
        for n, what in ((len(program.scopes), "secret scope"), (len(program.apps), "app"))
        if n
    ]
    if program.deployer is not None:
        beside.append(f"the Unity Catalog grants of {program.deployer.deployer}")
    click.echo(
        f"Imported {count} endpoint{'s' if count != 1 else ''}{''.join(f', {b}' for b in beside)} into {out} "
        f"(stack {stack_id!r}); run `python {out}` to synthesize it.",
        err=True,
    )


def _check_options(out: Path, stack_id: str, environment: str | None, endpoints: tuple[str, ...]) -> None:
    if not _STACK_ID.match(stack_id):
        raise UsageError(f"--stack-id {stack_id!r}: use letters, digits, '-' and '_', starting with a letter or digit")
    if environment is not None:
        if not _ENVIRONMENT.match(environment):
            raise UsageError(
                f"--environment {environment!r}: lowercase letters, digits and '-', starting with a "
                "letter, at most 20 characters"
            )
        outside = [n for n in endpoints if not n.startswith(f"{environment}-")]
        if outside:
            raise UsageError(
                f"--endpoint {', '.join(outside)}: not named {environment}-*, so it cannot be in the "
                f"{environment!r} environment"
            )
    if out.is_dir():
        raise UsageError(f"--out {out}: is a directory")
    folder = out.parent
    if not folder.is_dir():
        raise UsageError(f"--out {out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UsageError(f"--out {out}: cannot write there")


def _select(live: list, environment: str | None, named: bool) -> tuple[list, list[str]]:
    if environment is None or named:
        return live, []
    prefix = f"{environment}-"
    return [e for e in live if e.name.startswith(prefix)], [e.name for e in live if not e.name.startswith(prefix)]


def _write_atomically(out: Path, text: str) -> None:
    """Write beside the target and rename over it: a reader never sees half a file."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot write there ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"--out {out}: cannot write there ({error.strerror})") from None
