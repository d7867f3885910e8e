"""SS16: the secret scope that holds an endpoint's keys is not open to broad groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from servingstack.errors import Problem
from servingstack.facts.secrets import scope_key, secret_uses
from servingstack.policy.rule import rule
from servingstack.policy.rules._groups import BROAD_GROUPS, is_broad_group
from servingstack.policy.view import EndpointView


@rule(
    "SS16",
    "Scopes holding endpoint keys are not open to broad groups",
    why="READ on a secret scope lets a principal read its values from any notebook or job: a broad "
    "group with access to the scope holds every provider key the endpoints use.",
    fix="Grant the scope to the deploying service principal and the owning team only "
    "(grant_read(service_principal=...), grant_manage(group=...)); do not create it with "
    "initial_manage_principal='users'.",
)
def broad_secret_access(endpoint: EndpointView, *, broad_groups: Sequence[str] = BROAD_GROUPS) -> Iterator[Problem]:
    if not endpoint.secret_scope_acls:
        return  # a view built without its stack, or a stack that declares no scope
    seen = set()
    for use in secret_uses(dict(endpoint.request.get("config") or {}), "config"):
        acls = endpoint.secret_scope_acls.get(scope_key(use.scope)) or {}
        for principal, permission in sorted(acls.items()):
            if (use.scope, principal) not in seen and is_broad_group(principal, broad_groups):
                seen.add((use.scope, principal))
                yield Problem(use.field, f"its secret scope {use.scope!r} gives {principal!r} {permission}")
