"""`SecretScope`: the Databricks secret scope that holds an endpoint's keys, and who may use it.

```python
keys = SecretScope(stack, "llm-keys", name="llm-keys")
ServingEndpoint(stack, "chat", name="chat",
                served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai")))])
keys.grant_read(service_principal="6f2a...")      # databricks_secret_acl, READ
```
The values never appear in code or state: put them with `databricks secrets put-secret`.
Every endpoint of the stack that references the scope depends on it in the Terraform graph,
so Terraform creates the scope first. `SecretScope.from_name(...)` names a scope made elsewhere.
"""

from __future__ import annotations

from typing import Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import construct, path_of
from servingstack.cdk.stack import ServingStack
from servingstack.errors import Problem, ValidationError
from servingstack.facts import secrets as secret_facts
from servingstack.model.grants import SECRET_ACL_LEVELS, Grant, Principal, highest
from servingstack.model.secrets import SecretRef

MIN_REASON = 10


class ScopeBase(_cdk.Construct):
    """What a declared scope and an external one share: keys, grants, and their place in the stack."""

    path: str
    scope_name: str
    stack: ServingStack | None

    def _start(self, scope: _cdk.Construct, id: str, name: Any) -> list[Problem]:
        """Path and stack known in Python; the name's problems: its shape, and a second scope of
        that name in the stack."""
        self.path = f"{path_of(scope)}/{id}"
        self.stack = ServingStack.of(scope)
        problems = secret_facts.name_problems("name", name, "scope")
        if self.stack is not None and isinstance(name, str) and name in self.stack.secret_scopes:
            problems.append(Problem("name", f"scope {name!r} is already declared in this stack"))
        return problems

    def _finish(self, scope: _cdk.Construct, id: str, name: str) -> None:
        _cdk.Construct.__init__(self, scope, id)
        self.scope_name = name
        self._grants: list[Grant] = []
        self._acls: dict[Principal, Any] = {}
        self._acl_ids: set[str] = set()
        if self.stack is not None:
            self.stack.secret_scopes[name] = self

    def secret(self, key: str) -> SecretRef:
        """The reference providers accept for one key of this scope: `{{secrets/<scope>/<key>}}`."""
        problems = secret_facts.name_problems("secret", key, "key")
        if problems:
            raise ValidationError(self.path, problems)
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
            raise ValidationError(self.path, [Problem("grant", str(error))]) from None
        before = highest(self._grants, SECRET_ACL_LEVELS).get(principal)
        self._grants.append(Grant(principal, level))
        after = highest(self._grants, SECRET_ACL_LEVELS)[principal]
        if after == before:
            return self
        if principal in self._acls:
            self._acls[principal].permission = after
        else:
            # The provider's `principal` is a user name, a group's display name or an application id.
            id = principal.construct_id("acl", taken=self._acl_ids)
            self._acl_ids.add(id)
            self._acls[principal] = _cdk.secret_acl(
                self,
                id,
                scope_name=self.scope_name,
                principal=principal.name,
                permission=after,
                depends_on=self._dependency(),
            )
        return self

    def _dependency(self) -> Any:
        return None


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
            if self.owner.scope_name in secret_facts.scopes_used(endpoint.request):
                _cdk.add_depends_on(endpoint.resource, [self.owner.resource])


@construct
class SecretScope(ScopeBase):
    """A Databricks-backed secret scope (`databricks_secret_scope`, child id `Default`).

    - `name`: the scope name: letters, digits, '-', '_' and '.', at most 128 characters.
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
        self._finish(scope, id, name)
        self.resource = _cdk.secret_scope(self, "Default", name=name, initial_manage_principal=initial_manage_principal)
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
        """Adopt the live scope of this name instead of creating it: a Terraform import block (provider
        docs resources/secret_scope.md "Import": "can be imported using the scope name"). For a scope
        another stack or someone by hand made, that this stack should manage from now on."""
        _cdk.import_existing(self.resource, self.scope_name)
        return self

    @staticmethod
    def from_name(scope: _cdk.Construct, id: str, *, name: str, reason: str) -> ExternalSecretScope:
        """A scope made outside this stack (say, by a security team): its keys and grants, no scope resource.
        `reason` (at least 10 characters) says why it lives elsewhere; policy rule SS15 accepts it."""
        return ExternalSecretScope(scope, id, name=name, reason=reason)


@construct
class ExternalSecretScope(ScopeBase):
    """A secret scope this stack uses but does not create; see `SecretScope.from_name`."""

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, reason: str) -> None:
        problems = self._start(scope, id, name)
        if not (isinstance(reason, str) and len(reason.strip()) >= MIN_REASON):
            problems.append(Problem("reason", f"say why the scope lives elsewhere (at least {MIN_REASON} characters)"))
        if problems:
            raise ValidationError(self.path, problems)
        self.reason = reason
        self._finish(scope, id, name)
