"""Which workspace a tool works on when the stack names one: the one rule `check`, `plan`, `rollout`
and `emulator apply` share.

A stack may declare its workspace (`ServingStack(host=..., profile=...)`, written to
`cdk.tf.json` as `provider.databricks[0].host` / `.profile`, read by `facts.stackfile`). Terraform
then deploys there whatever the environment says: the provider sets the attributes of its block on
the SDK's config first (terraform-provider-databricks `internal/providers/sdkv2/sdkv2.go`,
`ConfigureDatabricksClient`), and the SDK's environment loader only fills attributes still unset
(databricks-sdk `Config._load_from_env`: `if attr.name in self._inner: continue`). So:

- nothing given (no `--host`, no host variable, no `--profile` or profile variable): the stack's
  host, and its profile, are used, as Terraform used them;
- a host given (option or variable) that names the same workspace (scheme, name and port, case
  and a trailing slash aside): fine;
- one that names another workspace: refused with one line, before any request (exit 2), rather
  than every field of every endpoint reported as drift against the wrong workspace.

A host given through a profile is compared once the profile is read, still before any request.
A stack whose host is a Terraform expression (`${var.host}`) names no workspace here.
`servingstack import` reads no stack: it reads the workspace it is given, and the program it
writes declares that host (`ServingStack(host=...)`), so what is imported is checked and applied
where it was read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from servingstack.client.errors import UsageError

_DEFAULT_PORTS = {"https": 443, "http": 80}


class WorkspaceMismatch(UsageError):
    """The workspace given is not the one the stack declares."""


def same_workspace(a: str, b: str) -> bool:
    """Whether two workspace URLs name one workspace (scheme, host name and port; no path)."""
    return _key(a) == _key(b)


def _key(url: str) -> tuple[str, str, int | None]:
    text = url.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")  # the SDK adds https:// too
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower().rstrip("."), port or _DEFAULT_PORTS.get(scheme)


@dataclass(frozen=True)
class DeclaredWorkspace:
    """What a stack says about its workspace."""

    stack: str
    host: str | None = None
    profile: str | None = None

    def describe(self) -> str:
        return f"the stack {self.stack} declares host {self.host} (cdk.tf.json provider.databricks)"


@dataclass(frozen=True)
class Workspace:
    """Where to connect: the host and profile to pass on (None: the environment's), and why."""

    host: str | None
    profile: str | None
    from_stack: bool = False


def choose(declared: DeclaredWorkspace | None, host: str | None, host_from: str, profile: str | None) -> Workspace:
    """The rule above, for a host and profile given as options or variables (`host_from` names
    where the host came from, e.g. `--host` or `DATABRICKS_HOST`)."""
    if declared is None or declared.host is None:
        if declared is not None and declared.profile and host is None and profile is None:
            return Workspace(None, declared.profile, from_stack=True)
        return Workspace(host, profile)
    if host is not None:
        refuse_mismatch(declared, host, host_from)
        return Workspace(host, profile)
    if profile is not None:
        return Workspace(None, profile)  # compared with `refuse_mismatch` once the profile is read
    return Workspace(declared.host, declared.profile, from_stack=True)


def refuse_mismatch(declared: DeclaredWorkspace | None, host: str, host_from: str) -> None:
    if declared is not None and declared.host is not None and not same_workspace(declared.host, host):
        raise WorkspaceMismatch(
            f"{declared.describe()}, but {host_from} names {host}: Terraform deploys it to {declared.host}; "
            f"point {host_from} at that workspace (or unset it), or synthesize the stack for this one"
        )


def connect_to(declared: DeclaredWorkspace, host: str | None, profile: str | None) -> tuple[str | None, str | None]:
    """The host and profile a tool connects with, given its options (None: not given) and the
    environment: the stack's own when neither names a workspace; a host for another workspace is
    refused (`WorkspaceMismatch`) before any request. The environment's values stay the SDK's to read."""
    given_host, host_from = (host, "--host") if host else (os.environ.get("DATABRICKS_HOST"), "DATABRICKS_HOST")
    workspace = choose(declared, given_host, host_from, profile or os.environ.get("DATABRICKS_CONFIG_PROFILE"))
    return (workspace.host, workspace.profile) if workspace.from_stack else (host, profile)
