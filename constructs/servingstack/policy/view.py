"""What a rule sees of one endpoint: plain values, no jsii, so every rule is testable without Node."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from ..secret_references import declared_scope_acls, declared_scope_names

if TYPE_CHECKING:
    from ..endpoint import ServingEndpoint
    from ..spec import EndpointSpec
    from ..stack import ServingStack


@dataclass(frozen=True)
class EndpointView:
    """One endpoint as the policy sees it.

    - `path`: the construct path (`prod/fraud`), where findings point.
    - `request`: the API create request it makes (`name`, `config`, `ai_gateway`, `tags`, ...).
    - `grants`: its access control list (`{"group_name": ..., "permission_level": ...}`).
    - `environment`, `name_prefix`: of its stack. `stack`: the stack's path.
    - `spec`: the typed props when built by a `ServingEndpoint`; None for a raw request.
    - `secret_scopes`: names of the secret scopes its stack declares or names as external
      (`SecretScope`, `SecretScope.from_name`); None when unknown (a view built by hand).
    - `secret_scope_acls`: for those scopes, principal -> READ | WRITE | MANAGE as declared; None when unknown.
    """

    path: str
    request: Mapping[str, Any]
    grants: tuple[Mapping[str, str], ...] = ()
    environment: str | None = None
    name_prefix: str = ""
    stack: str = ""
    spec: "EndpointSpec | None" = None
    secret_scopes: frozenset[str] | None = None
    secret_scope_acls: Mapping[str, Mapping[str, str]] | None = None

    @classmethod
    def of(cls, endpoint: "ServingEndpoint", stack: "ServingStack") -> "EndpointView":
        # Copies: a rule (maybe a team's own) must not be able to change what is synthesized.
        return cls(path=endpoint.path, request=copy.deepcopy(endpoint.request),
                   grants=tuple(dict(g) for g in endpoint.grants), environment=stack.environment,
                   name_prefix=stack.name_prefix, stack=stack.path, spec=endpoint.spec,
                   secret_scopes=declared_scope_names(stack), secret_scope_acls=declared_scope_acls(stack))

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
