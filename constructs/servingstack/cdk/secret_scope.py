"""`SecretScope`: the Databricks secret scope that holds an endpoint's keys, and who may use it.

```python
keys = SecretScope(stack, "llm-keys", name="llm-keys")   # "prod-llm-keys" in a stack with environment="prod"
ServingEndpoint(stack, "chat", name="chat",
                served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai")))])
keys.grant_read(service_principal="6f2a...")      # databricks_secret_acl, READ
```
The values never appear in code or state: put them with `databricks secrets put-secret`.
Every endpoint of the stack that references the scope depends on it in the Terraform graph,
so Terraform creates the scope first. `SecretScope.from_name(...)` names a scope made elsewhere
(by its literal name). A declared scope's name is unique in its workspace across every stack of the
app, without regard to case (facts/secrets.py: scope names are case-insensitive).
"""

from __future__ import annotations

from typing import Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import Refusable, construct, is_stand_in, path_of
from servingstack.cdk.problems import refuse, refuse_problems
from servingstack.cdk.stack import ServingStack
from servingstack.errors import Problem, ValidationError
from servingstack.facts import secrets as secret_facts
from servingstack.model.grants import SECRET_ACL_LEVELS, Grant, Principal, construct_ids, highest
from servingstack.model.secrets import SecretRef

MIN_REASON = 10


class ScopeBase(_cdk.Construct, metaclass=Refusable):
    """What a declared scope and an external one share: keys, grants, and their place in the stack."""

    path: str
    scope_name: str
    stack: ServingStack | None
    # A declared scope's name gets the stack's name prefix and is claimed in its workspace.
    declared: bool = True
    initial_manage_principal: str | None = None

    def _start(self, scope: _cdk.Construct, id: str, name: Any) -> list[Problem]:
        """Path and stack known in Python; the name's problems: its shape, a second scope of that name
        (in any case) in the stack, and for a declared scope, one of any stack on the same workspace."""
        self.path = f"{path_of(scope)}/{id}"
        self.stack = ServingStack.of(scope)
        self.scope_name = self._final_name(name)
        problems = secret_facts.name_problems("name", self.scope_name, "scope")
        if self.stack is None or not isinstance(name, str):
            return problems
        key = secret_facts.scope_key(self.scope_name)
        other = self.stack.secret_scopes.get(key)
        if other is not None and other.path != self.path:
            same = "" if other.scope_name == self.scope_name else f" as {other.scope_name!r} (names ignore case)"
            problems.append(
                Problem("name", f"scope {self.scope_name!r} is already declared in this stack{same}, by {other.path}")
            )
        elif self.declared:
            # Product docs "Secret scopes": "Must be unique within a workspace"; names are "case insensitive".
            problems += self.stack.claim_name("secret scope", self.scope_name, self.path, key=key)
        return problems

    def _final_name(self, name: Any) -> Any:
        """The scope's name in the workspace: the stack's name prefix, then `name` (declared scopes)."""
        if self.declared and self.stack is not None and isinstance(name, str):
            return f"{self.stack.name_prefix}{name}"
        return name

    def _finish(self, scope: _cdk.Construct, id: str) -> None:
        _cdk.Construct.__init__(self, scope, id)
        self._grants: list[Grant] = []
        self._acls: dict[Principal, Any] = {}
        self._acls_built = False
        self._adopted = False
        if self.stack is not None:
            self.stack.secret_scopes[secret_facts.scope_key(self.scope_name)] = self

    def _become_stand_in(self, scope: Any, props: Any) -> None:
        """Refused while synthesize() collects problems: it still hands out references (its name made
        valid), so the endpoints that use it are checked for their own problems; it builds nothing."""
        self.stack = ServingStack.of(scope)
        self.scope_name = secret_facts.valid_name_like(self._final_name(props.get("name")))
        self._grants = []
        self._acls_built = True
        self.initial_manage_principal = None

    def secret(self, key: str) -> SecretRef:
        """The reference providers accept for one key of this scope: `{{secrets/<scope>/<key>}}`.
        The key follows the same one name rule as `secret(scope, key)` (facts/secrets.py)."""
        if refuse_problems(self.path, secret_facts.name_problems("secret", key, "key")):
            key = secret_facts.valid_name_like(key, "key")  # collecting problems: go on with a stand-in key
        return SecretRef(self.scope_name, key)

    def grant_read(
        self, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> ScopeBase:
        """READ on the scope for exactly one user, group or service principal (application id)."""
        return self._grant("READ", user, group, service_principal)

    def grant_write(
        self, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> ScopeBase:
        """WRITE (and READ) on the scope."""
        return self._grant("WRITE", user, group, service_principal)

    def grant_manage(
        self, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> ScopeBase:
        """MANAGE (and WRITE, READ) on the scope."""
        return self._grant("MANAGE", user, group, service_principal)

    @property
    def acls(self) -> dict[str, str]:
        """principal -> permission, as synthesized (one `databricks_secret_acl` each, highest level)."""
        return {p.name: level for p, level in highest(self._grants, SECRET_ACL_LEVELS).items()}

    @property
    def declared_acls(self) -> dict[str, str]:
        """principal -> permission, as this stack leaves the scope: its ACLs, and MANAGE for an
        `initial_manage_principal` (SDK `SecretsAPI.create_scope` docstring)."""
        return self.acls

    def _grant(self, level: str, user: str | None, group: str | None, service_principal: str | None) -> ScopeBase:
        try:
            principal = Principal.one_of(user=user, group=group, service_principal=service_principal)
        except ValueError as error:
            refuse(ValidationError(self.path, [Problem("grant", str(error))]))
            return self  # while synthesize() collects problems: the next call is checked too
        first = not self._grants
        self._grants.append(Grant(principal, level))
        if first and not is_stand_in(self):
            # Built when the app synthesizes, from every grant at once: one resource per principal at its
            # highest level, and construct ids that depend on the set of principals, not on their order.
            if self.stack is not None:
                self.stack.at_synth(self._build_acls)
            else:
                _cdk.at_synth(self, "AclsAtSynth", self._build_acls)
        return self

    def _build_acls(self) -> None:
        if self._acls_built:
            return
        self._acls_built = True
        levels = highest(self._grants, SECRET_ACL_LEVELS)
        # The provider's `principal` is a user name, a group's display name or an application id.
        ids = construct_ids("acl", levels)
        for principal, level in sorted(levels.items()):
            self._acls[principal] = _cdk.secret_acl(
                self,
                ids[principal],
                scope_name=self.scope_name,
                principal=principal.name,
                permission=level,
                depends_on=self._dependency(),
            )
            if self._adopted:
                _cdk.import_existing(self._acls[principal], _acl_import_id(self.scope_name, principal.name))

    def adopt(self) -> ScopeBase:
        """Adopt the live ACLs instead of creating them: a Terraform import block for each, made
        when the ACLs are built at synth (`<scope>|||<principal>`, provider docs resources/secret_acl.md
        "Import"). `servingstack import` writes it."""
        self._adopted = True
        for principal, acl in self._acls.items():
            _cdk.import_existing(acl, _acl_import_id(self.scope_name, principal.name))
        return self

    def _dependency(self) -> Any:
        return None


def _acl_import_id(scope: str, principal: str) -> str:
    # Provider secrets/resource_secret_acl.go: `common.NewPairSeparatedID("scope", "principal", "|||")`.
    return f"{scope}|||{principal}"


@_cdk.implements_aspect
class _LinkEndpoints:
    """At synth, makes every endpoint of the stack that references the scope depend on it.
    Added to the scope construct itself, so cdktf calls it for the scope's few nodes only."""

    def __init__(self, owner: SecretScope) -> None:
        self.owner = owner

    def visit(self, node: Any) -> None:
        if node is not self.owner or self.owner.stack is None:
            return
        for endpoint in self.owner.stack.endpoints:
            if secret_facts.uses_scope(endpoint.request, self.owner.scope_name):
                _cdk.add_depends_on(endpoint.resource, [self.owner.resource])


@construct
class SecretScope(ScopeBase):
    """A Databricks-backed secret scope (`databricks_secret_scope`, child id `Default`).

    - `name`: the scope's name after the stack's `name_prefix` (as endpoint names are): letters,
      digits, '-', '_', '.' and '@', at most 128 characters in all; unique in the workspace without
      regard to case, across every stack of the app that deploys there.
    - `initial_manage_principal`: default unset (the creator gets MANAGE); the only value the
      API supports is `"users"`.
    """

    def __init__(
        self, scope: _cdk.Construct, id: str, *, name: str, initial_manage_principal: str | None = None
    ) -> None:
        problems = self._start(scope, id, name)
        # SDK `SecretsAPI.create_scope` docstring: "The only supported principal for this option is the group users".
        if initial_manage_principal is not None and initial_manage_principal != "users":
            problems.append(
                Problem(
                    "initial_manage_principal", f"{initial_manage_principal!r}: the only supported value is 'users'"
                )
            )
        if problems:
            raise ValidationError(self.path, problems)
        self.initial_manage_principal = initial_manage_principal
        self._finish(scope, id)
        self.resource = _cdk.secret_scope(
            self, "Default", name=self.scope_name, initial_manage_principal=initial_manage_principal
        )
        if self.stack is not None:
            _cdk.add_aspect(self, _LinkEndpoints(self))

    @property
    def declared_acls(self) -> dict[str, str]:
        acls = self.acls
        if self.initial_manage_principal:
            acls[self.initial_manage_principal] = "MANAGE"
        return acls

    def _dependency(self) -> Any:
        return self.resource

    def adopt(self) -> SecretScope:
        """Adopt the live scope of this name and its ACLs instead of creating them: Terraform import
        blocks (the scope by name, provider docs resources/secret_scope.md "Import"; each ACL as
        `<scope>|||<principal>`). For a scope another stack or someone by hand made, that this stack
        should manage from now on. The scope's secrets are not Terraform's here: put them by hand."""
        _cdk.import_existing(self.resource, self.scope_name)
        super().adopt()
        return self

    @staticmethod
    def from_name(scope: _cdk.Construct, id: str, *, name: str, reason: str) -> ExternalSecretScope:
        """A scope made outside this stack (say, by a security team): its keys and grants, no scope resource.
        `name` is its literal name (no prefix). `reason` (at least 10 characters) says why it lives
        elsewhere; policy rule SS15 accepts it."""
        return ExternalSecretScope(scope, id, name=name, reason=reason)


@construct
class ExternalSecretScope(ScopeBase):
    """A secret scope this stack uses but does not create; see `SecretScope.from_name`."""

    declared = False

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, reason: str) -> None:
        problems = self._start(scope, id, name)
        if not (isinstance(reason, str) and len(reason.strip()) >= MIN_REASON):
            problems.append(Problem("reason", f"say why the scope lives elsewhere (at least {MIN_REASON} characters)"))
        if problems:
            raise ValidationError(self.path, problems)
        self.reason = reason
        self._finish(scope, id)
