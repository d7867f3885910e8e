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

import re
from typing import Any

from . import _cdk
from .endpoint import _path_of, _serving_stack_of
from .errors import Problem, ValidationError
from .secret_references import NAME, STACK_ATTRIBUTE, scopes_used
from .secrets import SecretRef

# SDK `SecretsAPI.put_acl` docstring: MANAGE > WRITE > READ.
ACL_LEVELS = ("READ", "WRITE", "MANAGE")  # weakest first
_ATTRIBUTE = STACK_ATTRIBUTE
MIN_REASON = 10


def declared_scopes(stack: Any) -> dict[str, Any]:
    """The scopes a stack declares or names as external, by scope name."""
    return getattr(stack, _ATTRIBUTE, None) or {}


def _principal(user: str | None, group: str | None, service_principal: str | None) -> tuple[str, str]:
    given = [(kind, value) for kind, value in
             (("user", user), ("group", group), ("service_principal", service_principal)) if value is not None]
    if len(given) != 1:
        raise ValueError("a grant names exactly one of user=, group= or service_principal=")
    kind, principal = given[0]
    if not isinstance(principal, str) or not principal.strip():
        raise ValueError(f"grant {kind}= must be a non-empty string")
    return kind, principal


class _ScopeBase(_cdk.Construct):
    path: str
    scope_name: str

    def _init_acls(self) -> None:
        self._acl_levels: dict[str, str] = {}
        self._acls: dict[str, Any] = {}

    def secret(self, key: str) -> SecretRef:
        """The reference providers accept for one key of this scope: `{{secrets/<scope>/<key>}}`."""
        if not (isinstance(key, str) and NAME.match(key)):
            raise ValidationError(self.path, [Problem("secret", f"key {key!r} must be 1-128 letters, digits, "
                                                                "'-', '_' or '.'")])
        return SecretRef(self.scope_name, key)

    def grant_read(self, *, user: str | None = None, group: str | None = None,
                   service_principal: str | None = None) -> "_ScopeBase":
        return self._grant("READ", user, group, service_principal)

    def grant_write(self, *, user: str | None = None, group: str | None = None,
                    service_principal: str | None = None) -> "_ScopeBase":
        return self._grant("WRITE", user, group, service_principal)

    def grant_manage(self, *, user: str | None = None, group: str | None = None,
                     service_principal: str | None = None) -> "_ScopeBase":
        return self._grant("MANAGE", user, group, service_principal)

    @property
    def acls(self) -> dict[str, str]:
        """principal -> permission, as synthesized (one `databricks_secret_acl` each, highest level)."""
        return dict(self._acl_levels)

    def _grant(self, level: str, user: str | None, group: str | None, service_principal: str | None) -> "_ScopeBase":
        try:
            kind, principal = _principal(user, group, service_principal)
        except ValueError as error:
            raise ValidationError(self.path, [Problem("grant", str(error))]) from None
        current = self._acl_levels.get(principal)
        if current is not None and ACL_LEVELS.index(current) >= ACL_LEVELS.index(level):
            return self
        self._acl_levels[principal] = level
        if principal in self._acls:
            self._acls[principal].permission = level
        else:
            # The provider's `principal` is a user name, a group's display name or an application id.
            id = f"acl-{kind}-{re.sub(r'[^A-Za-z0-9_-]', '_', principal)}"
            self._acls[principal] = _cdk.secret_acl(self, id, scope_name=self.scope_name, principal=principal,
                                                    permission=level, depends_on=self._dependency())
        return self

    def _dependency(self) -> Any:
        return None

    @staticmethod
    def _name_problems(stack: Any, name: Any) -> list[Problem]:
        """The scope name's problems: its shape, and a second scope of that name in the stack."""
        problems = []
        # SDK `SecretsAPI.create_scope` docstring: the scope-name characters and length.
        if not (isinstance(name, str) and NAME.match(name)):
            problems.append(Problem("name", f"{name!r} must be 1-128 letters, digits, '-', '_' or '.'"))
        if stack is not None and isinstance(name, str) and name in declared_scopes(stack):
            problems.append(Problem("name", f"scope {name!r} is already declared in this stack"))
        return problems

    def _declare(self, stack: Any) -> None:
        """Record this scope in its stack, by name (for the duplicate check and policy rule SS15)."""
        if stack is not None:
            setattr(stack, _ATTRIBUTE, {**declared_scopes(stack), self.scope_name: self})


@_cdk.implements_aspect
class _LinkEndpoints:
    """At synth, makes every endpoint of the stack that references the scope depend on it.
    Added to the scope construct itself, so cdktf calls it for the scope's few nodes only."""

    def __init__(self, owner: "SecretScope") -> None:
        self.owner = owner

    def visit(self, node: Any) -> None:
        if node is not self.owner:
            return
        for endpoint in getattr(self.owner.stack, "endpoints", []):
            if self.owner.scope_name in scopes_used(endpoint.request):
                _cdk.add_depends_on(endpoint.resource, [self.owner.resource])


class SecretScope(_ScopeBase):
    """A Databricks-backed secret scope (`databricks_secret_scope`, child id `Default`).

    - `name`: the scope name: letters, digits, '-', '_' and '.', at most 128 characters.
    - `initial_manage_principal`: default unset (the creator gets MANAGE); the only value the
      API supports is `"users"`.
    """

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str,
                 initial_manage_principal: str | None = None) -> None:
        self.path = f"{_path_of(scope)}/{id}"
        stack = _serving_stack_of(scope)
        problems = self._name_problems(stack, name)
        # SDK `SecretsAPI.create_scope` docstring: "The only supported principal for this option is the group users".
        if initial_manage_principal is not None and initial_manage_principal != "users":
            problems.append(Problem("initial_manage_principal", f"{initial_manage_principal!r}: the only "
                                                                "supported value is 'users'"))
        if problems:
            raise ValidationError(self.path, problems)
        super().__init__(scope, id)
        self.scope_name = name
        self.stack = stack
        self.initial_manage_principal = initial_manage_principal
        self._init_acls()
        self.resource = _cdk.secret_scope(self, "Default", name=name, initial_manage_principal=initial_manage_principal)
        self._declare(stack)
        if stack is not None:
            _cdk.add_aspect(self, _LinkEndpoints(self))

    def _dependency(self) -> Any:
        return self.resource

    @staticmethod
    def from_name(scope: _cdk.Construct, id: str, *, name: str, reason: str) -> "ExternalSecretScope":
        """A scope made outside this stack (say, by a security team): its keys and grants, no scope resource.
        `reason` (at least 10 characters) says why it lives elsewhere; policy rule SS15 accepts it."""
        return ExternalSecretScope(scope, id, name=name, reason=reason)


class ExternalSecretScope(_ScopeBase):
    """A secret scope this stack uses but does not create; see `SecretScope.from_name`."""

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, reason: str) -> None:
        self.path = f"{_path_of(scope)}/{id}"
        stack = _serving_stack_of(scope)
        problems = self._name_problems(stack, name)
        if not (isinstance(reason, str) and len(reason.strip()) >= MIN_REASON):
            problems.append(Problem("reason", f"say why the scope lives elsewhere (at least {MIN_REASON} characters)"))
        if problems:
            raise ValidationError(self.path, problems)
        super().__init__(scope, id)
        self.scope_name = name
        self.reason = reason
        self._init_acls()
        self._declare(stack)
