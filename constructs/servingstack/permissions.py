"""Grants on a serving endpoint, folded into one access control list."""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")  # weakest first
PRINCIPAL_FIELDS = {"user": "user_name", "group": "group_name", "service_principal": "service_principal_name"}


@dataclass(frozen=True)
class Grant:
    """`principal_field` is the API's name for the kind of principal (`user_name`, ...)."""

    principal_field: str
    principal: str
    level: str


def grant(level: str, *, user: str | None = None, group: str | None = None,
          service_principal: str | None = None) -> Grant:
    """A grant of `level` to exactly one user (email), group or service principal (application id)."""
    if level not in LEVELS:
        raise ValueError(f"permission level {level!r} is not one of {', '.join(LEVELS)}")
    given = {kind: value for kind, value in
             (("user", user), ("group", group), ("service_principal", service_principal)) if value is not None}
    if len(given) != 1:
        raise ValueError("a grant names exactly one of user=, group= or service_principal=")
    (kind, principal), = given.items()
    if not isinstance(principal, str) or not principal.strip():
        raise ValueError(f"grant {kind}= must be a non-empty string")
    return Grant(PRINCIPAL_FIELDS[kind], principal, level)


def access_control(grants: list[Grant]) -> list[dict[str, str]]:
    """One entry per principal at the highest level granted to it, in a stable order."""
    best: dict[tuple[str, str], str] = {}
    for g in grants:
        key = (g.principal_field, g.principal)
        if key not in best or LEVELS.index(g.level) > LEVELS.index(best[key]):
            best[key] = g.level
    return [{field: principal, "permission_level": level}
            for (field, principal), level in sorted(best.items())]
