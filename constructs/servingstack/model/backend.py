"""Where Terraform keeps a stack's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BACKEND_KINDS = ("s3", "azurerm", "gcs", "local", "remote", "cloud")


@dataclass(frozen=True)
class Backend:
    """Where Terraform keeps the stack's state: `Backend("s3", bucket=..., key=..., region=...)`,
    with the settings of the matching cdktf backend (`S3Backend`, `AzurermBackend`, `GcsBackend`,
    `LocalBackend`, `RemoteBackend`, `CloudBackend`)."""

    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, kind: str, **settings: Any) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "settings", settings)
