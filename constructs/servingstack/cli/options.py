"""Option callbacks the workspace commands share (`check`, `plan`, `rollout`)."""

from __future__ import annotations

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
