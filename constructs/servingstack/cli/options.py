"""Options and callbacks the workspace commands share (`check`, `plan`, `rollout`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from servingstack.client.errors import UsageError
from servingstack.client.urls import check_host_url, check_timeout


def seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """A positive, finite number of seconds."""
    try:
        return check_timeout(value, "")
    except UsageError:
        raise click.BadParameter(f"{value!r} is not a positive, finite number of seconds") from None


def host_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A workspace URL with its scheme, or None when not given."""
    if value is None:
        return None
    try:
        return check_host_url(value)
    except UsageError as error:
        raise click.BadParameter(str(error).removeprefix("--host: ")) from None


HOST_HELP = (
    "Workspace URL with its scheme, e.g. https://<workspace>.cloud.databricks.com "
    "(default: DATABRICKS_HOST, the profile, else the host the stack declares)."
)

F = TypeVar("F", bound=Callable[..., Any])

# `--stack DIR`: the synthesized stack a command reads.
stack = click.option(
    "--stack",
    "stack_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="The synthesized stack directory, e.g. cdktf.out/stacks/prod.",
)


def workspace(command: F) -> F:
    """`--profile`, `--host` and `--token`: how the command reaches the workspace (unified auth)."""
    command = click.option("--token", help="Personal access token (default: DATABRICKS_TOKEN or the profile).")(command)
    command = click.option("--host", callback=host_url, help=HOST_HELP)(command)
    return click.option("--profile", help="A profile of ~/.databrickscfg.")(command)
