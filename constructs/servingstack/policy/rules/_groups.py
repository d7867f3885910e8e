"""Groups that stand for (nearly) everyone, shared by SS6 and SS7."""

from __future__ import annotations

from collections.abc import Sequence

# `users` holds every workspace user, `account users` every user of the account.
BROAD_GROUPS: tuple[str, ...] = ("users", "account users")


def is_broad_group(group: str | None, broad_groups: Sequence[str]) -> bool:
    if not group:
        return False
    return " ".join(group.split()).casefold() in {" ".join(g.split()).casefold() for g in broad_groups}
