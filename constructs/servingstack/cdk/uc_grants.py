"""Unity Catalog privileges for the principal that deploys, as `databricks_grant` resources: opt-in with
`ServingStack(..., deployer="<user, group or service principal application id>")`.

`databricks_grant` is authoritative for its one principal on one securable (facts/uc_privileges.py,
GRANT_IS_AUTHORITATIVE_FOR_ITS_PRINCIPAL): whatever it does not list, the next apply takes away from that
principal there. So the app holds ONE resource per (workspace, securable, principal), with every
privilege that any stack deploying to that workspace needs or declares for that principal there: the
first stack (in the order the app declares them) that needs it holds it; the others add to it. Two
resources never fight over one principal's privileges.

What is needed comes from `facts/uc_privileges.py` (pure Python); the resources are built when the
holding stack synthesizes, each with one constructor call and its final privileges.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.names import Workspace
from servingstack.facts.uc_privileges import normalize_privilege, required_privileges
from servingstack.model.grants import distinct_ids

_ANCHOR_ID = "UnityCatalogGrants"


@dataclass
class _Grant:
    """One (workspace, securable, principal): the stack that holds its resource, the privileges, and
    which stacks need or declare them."""

    holder: Any
    kind: str
    full_name: str
    principal: str
    privileges: set[str] = field(default_factory=set)
    stacks: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class UcGrants:
    """The app's register of deployer grants: `UcGrants.of(scope)`."""

    _grants: dict[tuple[Workspace, str, str, str], _Grant] = field(default_factory=dict)
    _built: set[int] = field(default_factory=set)
    # Per holding stack (by id): the resources built for it, and whether they adopt live grants.
    _resources: dict[int, list[tuple[_Grant, Any]]] = field(default_factory=dict)
    _adopted: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, scope: Any) -> UcGrants:
        root = scope.node.root
        register = _REGISTERS.get(root)
        if register is None:
            register = _REGISTERS[root] = cls()
        return register

    def add(self, stack: Any, principal: str, privileges: Mapping[tuple[str, str], Iterable[str]]) -> None:
        """`stack` needs `privileges` ((kind, full name) -> privileges) for `principal`."""
        for (kind, full_name), wanted in privileges.items():
            key = (stack.workspace, kind, full_name, principal)
            grant = self._grants.get(key)
            if grant is None:
                grant = self._grants[key] = _Grant(stack, kind, full_name, principal)
                if id(stack) not in self._built:
                    self._built.add(id(stack))
                    stack.at_synth(lambda stack=stack: self._build(stack))
            normalized = {normalize_privilege(p) for p in wanted}
            grant.privileges |= normalized
            grant.stacks.setdefault(stack.path, set()).update(normalized)

    def held_by(self, stack: Any) -> list[_Grant]:
        return [g for g in self._grants.values() if g.holder is stack]

    def needed_by(self, stack: Any) -> list[_Grant]:
        return [g for g in self._grants.values() if stack.path in g.stacks]

    def _build(self, stack: Any) -> None:
        """The resources `stack` holds, once, with their final privileges."""
        held = self.held_by(stack)
        if not held or id(stack) in self._resources:
            return
        anchor = _cdk.Construct(stack, _ANCHOR_ID)
        built = self._resources[id(stack)] = []
        # One principal per stack (its deployer): the securable alone names the resource, as before.
        ids = distinct_ids({id(g): f"{g.kind}-{g.full_name}" for g in held})
        for grant in sorted(held, key=lambda g: (g.kind, g.full_name)):
            resource = _cdk.uc_grant(
                anchor,
                ids[id(grant)],
                securable=grant.kind,
                full_name=grant.full_name,
                principal=grant.principal,
                privileges=sorted(grant.privileges),
            )
            built.append((grant, resource))
            if id(stack) in self._adopted:
                _cdk.import_existing(resource, _import_id(grant))

    def adopt(self, stack: Any) -> None:
        """Import blocks for the grants `stack` holds, now for those built, at build for the others."""
        self._adopted.add(id(stack))
        for grant, resource in self._resources.get(id(stack), []):
            _cdk.import_existing(resource, _import_id(grant))


def _import_id(grant: _Grant) -> str:
    # The first part is the resource's attribute name (`model`, not the API's `function`):
    # provider catalog/resource_grant.go `toSecurableId`.
    return f"{grant.kind}/{grant.full_name}/{grant.principal}"


_REGISTERS: weakref.WeakKeyDictionary[Any, UcGrants] = weakref.WeakKeyDictionary()


class DeployerGrants:
    """What one stack needs and declares for its deployer (`ServingStack.deployer_grants`)."""

    def __init__(self, stack: Any, deployer: str, register: UcGrants) -> None:
        self.stack = stack
        self.deployer = deployer
        self._register = register
        self._own: dict[tuple[str, str], set[str]] = {}

    def add(self, request: Mapping[str, Any]) -> None:
        """What one endpoint's create request needs."""
        self.declare(required_privileges([request]))

    def declare(self, privileges: Mapping[tuple[str, str], Iterable[str]]) -> None:
        """Privileges the stack declares for its deployer ((kind, full name) -> privileges)."""
        for key, wanted in privileges.items():
            self._own.setdefault(key, set()).update(normalize_privilege(p) for p in wanted)
        self._register.add(self.stack, self.deployer, privileges)

    def adopt(self) -> None:
        """Adopt the live grants instead of creating them: a Terraform import block for each grant this
        stack holds, made when they are built (`<securable>/<full name>/<principal>`, provider docs
        resources/grant.md "Import")."""
        self._register.adopt(self.stack)

    @property
    def grants(self) -> dict[tuple[str, str], list[str]]:
        """(securable kind, full name) -> privileges this stack needs or declares for its deployer."""
        return {key: sorted(value) for key, value in self._own.items()}

    @property
    def held(self) -> dict[tuple[str, str], list[str]]:
        """(kind, full name) -> privileges of the resources this stack holds (what its JSON declares,
        including what other stacks on the workspace need)."""
        return {(g.kind, g.full_name): sorted(g.privileges) for g in self._register.held_by(self.stack)}

    @property
    def held_elsewhere(self) -> dict[tuple[str, str], str]:
        """(kind, full name) -> the stack whose resource grants what this stack needs."""
        return {
            (g.kind, g.full_name): g.holder.path
            for g in self._register.needed_by(self.stack)
            if g.holder is not self.stack
        }
