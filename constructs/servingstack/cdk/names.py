"""Names that must be unique in a Databricks workspace, across every stack of one app that deploys
there: `WorkspaceNames.of(scope)` is the app's register of them."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from servingstack.errors import Problem

# A workspace as a stack names it: (host, profile); (None, None) is "the one the environment names".
Workspace = tuple[str | None, str | None]


@dataclass
class _Claim:
    name: str
    path: str
    stack: str


@dataclass
class WorkspaceNames:
    """Names claimed per workspace and kind (`serving endpoint`, ...), with the construct that claimed each."""

    _claims: dict[tuple[Workspace, str], dict[str, _Claim]] = field(default_factory=dict)

    @classmethod
    def of(cls, scope: Any) -> WorkspaceNames:
        """The register of the app that `scope` belongs to."""
        root = scope.node.root
        names = _REGISTERS.get(root)
        if names is None:
            names = _REGISTERS[root] = cls()
        return names

    def claim(
        self, workspace: Workspace, kind: str, name: str, path: str, stack: str, key: str | None = None
    ) -> Problem | None:
        """Record `name` for the construct at `path` (in `stack`), or the problem if another has it.
        `key` is what makes two names the same (default the name itself; a secret scope's, its name
        without case)."""
        claims = self._claims.setdefault((workspace, kind), {})
        other = claims.get(name if key is None else key)
        if other is None:
            claims[name if key is None else key] = _Claim(name, path, stack)
            return None
        if other.path == path:
            return None  # the same construct, claiming again
        where = ""
        if other.stack != stack:
            where = (
                f": stacks {other.stack!r} and {stack!r} deploy to the same workspace (same host and profile); "
                "give one a different name_prefix, host or profile"
            )
        same = "" if other.name == name else f" ({other.name!r}: {kind} names ignore case)"
        return Problem(
            "name", f"{name!r} is also the name of {other.path}{same}: {kind} names are unique in a workspace{where}"
        )


_REGISTERS: weakref.WeakKeyDictionary[Any, WorkspaceNames] = weakref.WeakKeyDictionary()
