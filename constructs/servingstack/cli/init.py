"""`servingstack init DIR`: a project of one's own (see `servingstack/scaffold/`)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys
from pathlib import Path

import click

from servingstack import __version__
from servingstack.scaffold.kinds import KINDS
from servingstack.scaffold.render import ENGINE_CLIS, ScaffoldError, Settings, write_project

EPILOG = """\b
Examples:
  servingstack init demo-fleet
  servingstack init fraud-serving --kinds custom --engine cdktn --workspace-host https://adb-1.azuredatabricks.net
"""


def servingstack_requirement(extra: str) -> str:
    """Where this servingstack came from, as a pip requirement for the new project: its git URL and
    commit, or the URL of its wheel; else its version (served by the team's index or PIP_FIND_LINKS)."""
    try:
        direct = importlib.metadata.distribution("servingstack").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        direct = None
    info = json.loads(direct) if direct else {}
    url = str(info.get("url", ""))
    if "vcs_info" in info:
        vcs = info["vcs_info"]
        return f"servingstack[{extra}] @ {vcs['vcs']}+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}"
    if url and not url.startswith("file:"):
        return f"servingstack[{extra}] @ {url}"
    return f"servingstack[{extra}]=={__version__}"


def installed_engine() -> str:
    """The engine this servingstack can build with (cdktf first, as the constructs choose)."""
    for engine in ENGINE_CLIS:
        if importlib.util.find_spec(engine) is not None:
            return engine
    return "cdktf"


def _kinds(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise click.BadParameter(f"{', '.join(unknown) or 'none given'}: choose from {', '.join(KINDS)}")
    return kinds


def _host(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise click.BadParameter(f"{value!r}: a workspace URL starts with https://")
    return value.rstrip("/") if value else None


@click.command("init", epilog=EPILOG)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--engine",
    type=click.Choice(sorted(ENGINE_CLIS)),
    default=installed_engine,
    show_default="the one installed, cdktf first",
    help="The CDK engine: cdktf (CDKTF) or cdktn (CDK Terrain).",
)
@click.option("--workspace-host", callback=_host, help="The workspace the prod stack deploys to (https://...).")
@click.option(
    "--kinds",
    callback=_kinds,
    default=",".join(KINDS),
    show_default=True,
    help="The endpoints main.py declares, one of each: " + "; ".join(f"{k.name}: {k.what}" for k in KINDS.values()),
)
@click.option(
    "--requirement",
    help="How the project's pip gets servingstack (pyproject.toml); default: where this one came from "
    "(git URL, wheel URL), else servingstack[ENGINE]==VERSION.",
)
@click.option("--force", is_flag=True, help="Write into a directory that is not empty (same-named files are replaced).")
def init(
    directory: Path,
    engine: str,
    workspace_host: str | None,
    kinds: tuple[str, ...],
    requirement: str | None,
    force: bool,
) -> None:
    """Start a project of your own in DIRECTORY: main.py with an endpoint of each kind, cdktf.json,
    pyproject.toml, package.json (Node 22 and the engine's CLI), .gitignore, a Makefile with
    `make demo` and `make test`, an offline smoke test, and a GitHub Actions workflow."""
    settings = Settings(
        project=directory.resolve().name,
        engine=engine,
        workspace_host=workspace_host,
        kinds=kinds,
        requirement=requirement or servingstack_requirement(engine),
        version=__version__,
    )
    try:
        written = write_project(directory, settings, force=force)
    except (ScaffoldError, OSError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    click.echo(f"Wrote a servingstack project ({engine}; {', '.join(kinds)}) into {directory}:")
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"servingstack comes from: {settings.requirement} (pyproject.toml; see README.md)")
    click.echo("Next, in the virtualenv where servingstack is installed:")
    click.echo(f"  cd {directory}")
    click.echo("  make demo   # synthesize, deploy dev to a local emulator, check it")
    click.echo("  make test   # the smoke test")
