"""What a rule sees of one endpoint: plain values, no jsii, so every rule is testable without Node.

The constructs build views of their endpoints (`cdk/policy.py`); the policy never reaches into a
construct itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from servingstack.model.spec import EndpointSpec


@dataclass(frozen=True)
class SourceLocation:
    """Where a construct was declared: the file (relative to the working directory when inside it)
    and the line of the app's call that made it."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class EndpointView:
    """One endpoint as the policy sees it.

    - `path`: the construct path (`prod/fraud`), where findings point.
    - `request`: the API create request it makes (`name`, `config`, `ai_gateway`, `tags`, ...).
    - `grants`: its access control list (`{"group_name": ..., "permission_level": ...}`).
    - `environment`, `name_prefix`: of its stack. `stack`: the stack's path.
    - `spec`: the typed props when built by a `ServingEndpoint`; None for a raw request.
    - `secret_scopes`: names of the secret scopes its stack declares or names as external
      (`SecretScope`, `SecretScope.from_name`), as `facts.secrets.scope_key` writes them (scope names
      ignore case); None when unknown (a view built by hand).
    - `secret_scope_acls`: for those scopes (same keys), principal -> READ | WRITE | MANAGE as declared;
      None when unknown.
    - `engine`: the engine the stack builds with (`cdktf` or `cdktn`); None when unknown.
    - `declared_at`: the file and line of the app's code that declared the endpoint; None when unknown.
    """

    path: str
    request: Mapping[str, Any]
    grants: tuple[Mapping[str, str], ...] = ()
    environment: str | None = None
    name_prefix: str = ""
    stack: str = ""
    spec: EndpointSpec | None = None
    secret_scopes: frozenset[str] | None = None
    secret_scope_acls: Mapping[str, Mapping[str, str]] | None = None
    engine: str | None = None
    declared_at: SourceLocation | None = None

    @property
    def name(self) -> str:
        return str(self.request.get("name") or "")

    @property
    def served_entities(self) -> list[Mapping[str, Any]]:
        return list((self.request.get("config") or {}).get("served_entities") or [])

    @property
    def routes(self) -> list[Mapping[str, Any]]:
        return list(((self.request.get("config") or {}).get("traffic_config") or {}).get("routes") or [])

    @property
    def ai_gateway(self) -> Mapping[str, Any]:
        """The AI Gateway config; {} when the endpoint has none."""
        return self.request.get("ai_gateway") or {}

    @property
    def tags(self) -> dict[str, str]:
        return {t.get("key"): t.get("value") for t in self.request.get("tags") or []}
