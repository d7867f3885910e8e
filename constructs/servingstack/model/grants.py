"""The one grant vocabulary: a `Principal` (a user, a group or a service principal) and what it is
granted, for endpoint permissions, secret scope ACLs and Unity Catalog grants alike."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from servingstack.facts.permissions import ACL_FIELDS, ENDPOINT_LEVELS, PRINCIPAL_KINDS, SECRET_ACL_LEVELS

__all__ = [
    "ENDPOINT_LEVELS",
    "SECRET_ACL_LEVELS",
    "Grant",
    "Principal",
    "access_control",
    "distinct_ids",
    "highest",
]

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, order=True)
class Principal:
    """Who is granted: `kind` is `user` (a user name, their email), `group` (a group's display name)
    or `service_principal` (its application id)."""

    kind: str
    name: str

    @classmethod
    def user(cls, email: str) -> Principal:
        return cls("user", email)

    @classmethod
    def group(cls, name: str) -> Principal:
        return cls("group", name)

    @classmethod
    def service_principal(cls, application_id: str) -> Principal:
        return cls("service_principal", application_id)

    @classmethod
    def one_of(
        cls, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> Principal:
        """The principal of a `grant_*(user=... | group=... | service_principal=...)` call;
        `ValueError` unless exactly one is a non-empty string."""
        given = [
            (kind, value) for kind, value in zip(PRINCIPAL_KINDS, (user, group, service_principal)) if value is not None
        ]
        if len(given) != 1:
            raise ValueError("a grant names exactly one of user=, group= or service_principal=")
        kind, name = given[0]
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"grant {kind}= must be a non-empty string")
        return cls(kind, name)

    @property
    def acl_field(self) -> str:
        """The field that names it in an endpoint's access control list (`user_name`, ...)."""
        return ACL_FIELDS[self.kind]

    def construct_id(self, prefix: str, others: Iterable[Principal] = ()) -> str:
        """The construct id of a resource that grants to this principal, among resources that grant
        to `others` beside it: see `construct_ids`."""
        return construct_ids(prefix, [self, *others])[self]


def construct_ids(prefix: str, principals: Iterable[Principal]) -> dict[Principal, str]:
    """One construct id per principal: `<prefix>-<kind>-<name>`, made unique by `distinct_ids` (so
    `a.b` and `a_b` get two ids, whichever was granted first)."""
    return distinct_ids({p: f"{prefix}-{p.kind}-{p.name}" for p in principals})


K = TypeVar("K")


def distinct_ids(wanted: Mapping[K, str]) -> dict[K, str]:
    """Construct ids from wanted ids of any characters. Each keeps its readable form (the characters an
    id cannot keep made '_') unless another's readable form is the same: then each of those whose
    wanted id is not already that readable form gets a short digest of its wanted id as well. The
    result depends on the set, never on the order: the same grants always make the same ids."""
    readable = {key: _ID_UNSAFE.sub("_", want) for key, want in wanted.items()}
    counts = Counter(readable.values())
    return {
        key: form
        if counts[form] == 1 or wanted[key] == form
        else f"{form}-{hashlib.sha256(wanted[key].encode()).hexdigest()[:8]}"
        for key, form in readable.items()
    }


@dataclass(frozen=True)
class Grant:
    """`level` granted to `principal` (`CAN_QUERY`, `READ`, ...)."""

    principal: Principal
    level: str


def highest(grants: Iterable[Grant], levels: Sequence[str]) -> dict[Principal, str]:
    """One level per principal: the highest granted, in `levels`' order (weakest first)."""
    best: dict[Principal, str] = {}
    for grant in grants:
        if grant.level not in levels:
            raise ValueError(f"permission level {grant.level!r} is not one of {', '.join(levels)}")
        current = best.get(grant.principal)
        if current is None or levels.index(grant.level) > levels.index(current):
            best[grant.principal] = grant.level
    return best


def access_control(grants: Iterable[Grant]) -> list[dict[str, str]]:
    """An endpoint's access control list: one entry per principal at its highest level, in a stable order."""
    return [
        {principal.acl_field: principal.name, "permission_level": level}
        for principal, level in sorted(
            highest(grants, ENDPOINT_LEVELS).items(), key=lambda item: (item[0].acl_field, item[0].name)
        )
    ]
