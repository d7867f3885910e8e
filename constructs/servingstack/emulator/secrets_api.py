"""Secret scopes, secrets and their ACLs, as the Secrets API has them (`/api/2.0/secrets/...`),
and the one thing serving needs from them: a deployment whose secret does not exist fails.

Request and response shapes are the SDK's (`databricks.sdk.service.workspace`). Values are
stored to answer `secrets/get`-style questions of existence only; no route returns them.
A scope the emulator never saw is taken as provisioned outside it (the emulator cannot know
it), so only scopes created here are checked for missing keys.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from databricks.sdk.service.workspace import (
    AclItem,
    AclPermission,
    ScopeBackendType,
    SecretMetadata,
    SecretsAPI,
    SecretScope,
)

from servingstack.emulator import apierrors, bodies
from servingstack.emulator.auth import CURRENT_USER
from servingstack.emulator.faults import FAIL_DEPLOYMENT, Fault
from servingstack.errors import Problem
from servingstack.facts.secrets import (
    MAX_SCOPES_PER_WORKSPACE,
    MAX_SECRET_VALUE_BYTES,
    MAX_SECRETS_PER_SCOPE,
    name_problems,
    scope_key,
    secret_uses,
)

PREFIX = "/api/2.0/secrets"
# SDK `SecretsAPI.create_scope` docstring: "The only supported principal for this option is the group users".
INITIAL_MANAGE_PRINCIPALS = ("users",)


def missing_secret(scope: str, key: str) -> apierrors.ApiError:
    # The Secrets service's wording (as quoted by the provider's own acceptance tests).
    return apierrors.ApiError(
        404, "RESOURCE_DOES_NOT_EXIST", f"Secret does not exist with scope: {scope} and key: {key}"
    )


def missing_scope(scope: str) -> apierrors.ApiError:
    return apierrors.ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Scope {scope} does not exist!")


def limit_exceeded(message: str) -> apierrors.ApiError:
    # SDK `create_scope` / `put_secret` docstrings: "Throws RESOURCE_LIMIT_EXCEEDED if maximum number of ...".
    return apierrors.ApiError(400, "RESOURCE_LIMIT_EXCEEDED", message)


class SecretStore:
    """Scopes -> secrets (key -> last-updated ms) and ACLs (principal -> permission). Thread-safe.
    Scope names are case-insensitive (`facts.secrets.scope_key`): stored under that key, listed as created."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scopes: dict[str, dict[str, Any]] = {}

    def create_scope(self, name: str, creator: str, initial_manage_principal: str | None) -> None:
        with self._lock:
            if scope_key(name) in self._scopes:
                raise apierrors.ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Scope {name} already exists!")
            if len(self._scopes) >= MAX_SCOPES_PER_WORKSPACE:
                raise limit_exceeded(f"A workspace has at most {MAX_SCOPES_PER_WORKSPACE} secret scopes.")
            # SDK `create_scope` docstring: MANAGE goes to the principal given, else to the caller.
            self._scopes[scope_key(name)] = {
                "name": name,
                "secrets": {},
                "values": {},
                "acls": {initial_manage_principal or creator: AclPermission.MANAGE.value},
            }

    def delete_scope(self, name: str) -> None:
        with self._lock:
            if self._scopes.pop(scope_key(name), None) is None:
                raise missing_scope(name)

    def scopes(self) -> list[str]:
        with self._lock:
            return sorted(entry["name"] for entry in self._scopes.values())

    def knows(self, scope: str) -> bool:
        return scope_key(scope) in self._scopes

    def put_secret(self, scope: str, key: str, value: str) -> None:
        with self._lock:
            entry = self._scope(scope)
            if len(value.encode()) > MAX_SECRET_VALUE_BYTES:
                raise apierrors.invalid_problems(
                    [Problem("string_value", f"a secret value has at most {MAX_SECRET_VALUE_BYTES // 1024} KB")]
                )
            if key not in entry["secrets"] and len(entry["secrets"]) >= MAX_SECRETS_PER_SCOPE:
                raise limit_exceeded(f"A secret scope holds at most {MAX_SECRETS_PER_SCOPE} secrets.")
            entry["secrets"][key] = int(time.time() * 1000)
            entry["values"][key] = value  # kept, never returned

    def delete_secret(self, scope: str, key: str) -> None:
        with self._lock:
            entry = self._scope(scope)
            if entry["secrets"].pop(key, None) is None:
                raise missing_secret(scope, key)
            entry["values"].pop(key, None)

    def secrets(self, scope: str) -> dict[str, int]:
        with self._lock:
            return dict(self._scope(scope)["secrets"])

    def put_acl(self, scope: str, principal: str, permission: str) -> None:
        with self._lock:
            self._scope(scope)["acls"][principal] = permission

    def delete_acl(self, scope: str, principal: str) -> None:
        with self._lock:
            if self._scope(scope)["acls"].pop(principal, None) is None:
                raise apierrors.ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"No ACL for {principal} on scope {scope}")

    def acls(self, scope: str) -> dict[str, str]:
        with self._lock:
            return dict(self._scope(scope)["acls"])

    def exists(self, scope: str, key: str) -> bool:
        """False only for a key missing from a scope created here (see the module's note)."""
        with self._lock:
            entry = self._scopes.get(scope_key(scope))
            return entry is None or key in entry["secrets"]

    def deployment_fault(self, endpoint: str, entities: Iterable[Any]) -> Fault | None:
        """A failed deployment when an entity names a secret that does not exist: the service fetches
        secrets when it deploys ("credentials to be fetched at serving time", docs: store-env-variable-
        model-serving), so the served entity cannot start."""
        for entity in entities:
            for use in secret_uses(entity.as_dict()):
                if not self.exists(use.scope, use.key):
                    return Fault(
                        kind=FAIL_DEPLOYMENT,
                        endpoint=endpoint,
                        message=(f"{missing_secret(use.scope, use.key).message} (referenced by {use.field})"),
                    )
        return None

    def _scope(self, scope: str) -> dict[str, Any]:
        entry = self._scopes.get(scope_key(scope))
        if entry is None:
            raise missing_scope(scope)
        return entry


def _require(body: Any, method: Any, *names: str) -> dict[str, Any]:
    """The body, its fields of the JSON types of the SDK's `method`, `names` present."""
    bodies.check_types(body, method)
    problems = [Problem(n, "is required") for n in names if not isinstance(body.get(n), str) or not body.get(n)]
    if problems:
        raise apierrors.invalid_problems(problems)
    return body


def _check_name(field: str, value: str) -> None:
    # The Secrets API's one name rule for scopes and keys (facts/secrets.py, with its sources).
    problems = name_problems(field, value, field)
    if problems:
        raise apierrors.invalid_problems(problems)


def add_routes(app: web.Application, workspace_key: web.AppKey) -> None:
    def store(request: web.Request) -> SecretStore:
        return request.app[workspace_key].secrets

    async def body(request: web.Request) -> Any:
        return bodies.read_json(await request.read())

    async def create_scope(request: web.Request) -> web.Response:
        data = _require(await body(request), SecretsAPI.create_scope, "scope")
        _check_name("scope", data["scope"])
        principal = data.get("initial_manage_principal")
        if principal is not None and principal not in INITIAL_MANAGE_PRINCIPALS:
            raise apierrors.invalid_problems(
                [Problem("initial_manage_principal", "the only supported value is 'users'")]
            )
        store(request).create_scope(data["scope"], CURRENT_USER, principal)
        return web.json_response({})

    async def delete_scope(request: web.Request) -> web.Response:
        store(request).delete_scope(_require(await body(request), SecretsAPI.delete_scope, "scope")["scope"])
        return web.json_response({})

    async def list_scopes(request: web.Request) -> web.Response:
        scopes = [
            SecretScope(name=n, backend_type=ScopeBackendType.DATABRICKS).as_dict() for n in store(request).scopes()
        ]
        return web.json_response({"scopes": scopes} if scopes else {})

    async def put_secret(request: web.Request) -> web.Response:
        data = _require(await body(request), SecretsAPI.put_secret, "scope", "key")
        _check_name("key", data["key"])
        value = data.get("string_value", data.get("bytes_value"))
        if not isinstance(value, str):
            raise apierrors.invalid_problems([Problem("string_value", "string_value or bytes_value is required")])
        store(request).put_secret(data["scope"], data["key"], value)
        return web.json_response({})

    async def delete_secret(request: web.Request) -> web.Response:
        data = _require(await body(request), SecretsAPI.delete_secret, "scope", "key")
        store(request).delete_secret(data["scope"], data["key"])
        return web.json_response({})

    async def list_secrets(request: web.Request) -> web.Response:
        scope = request.query.get("scope") or ""
        items = [
            SecretMetadata(key=k, last_updated_timestamp=ts).as_dict()
            for k, ts in sorted(store(request).secrets(scope).items())
        ]
        return web.json_response({"secrets": items} if items else {})

    async def put_acl(request: web.Request) -> web.Response:
        data = _require(await body(request), SecretsAPI.put_acl, "scope", "principal", "permission")
        if data["permission"] not in [p.value for p in AclPermission]:
            raise apierrors.invalid_problems([Problem("permission", "must be one of READ, WRITE, MANAGE")])
        store(request).put_acl(data["scope"], data["principal"], data["permission"])
        return web.json_response({})

    async def delete_acl(request: web.Request) -> web.Response:
        data = _require(await body(request), SecretsAPI.delete_acl, "scope", "principal")
        store(request).delete_acl(data["scope"], data["principal"])
        return web.json_response({})

    async def get_acl(request: web.Request) -> web.Response:
        scope, principal = request.query.get("scope") or "", request.query.get("principal") or ""
        acls = store(request).acls(scope)
        if principal not in acls:
            raise apierrors.ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"No ACL for {principal} on scope {scope}")
        return web.json_response(AclItem(principal=principal, permission=AclPermission(acls[principal])).as_dict())

    async def list_acls(request: web.Request) -> web.Response:
        acls = store(request).acls(request.query.get("scope") or "")
        items = [AclItem(principal=p, permission=AclPermission(v)).as_dict() for p, v in sorted(acls.items())]
        return web.json_response({"items": items} if items else {})

    r = app.router
    r.add_post(f"{PREFIX}/scopes/create", create_scope)
    r.add_post(f"{PREFIX}/scopes/delete", delete_scope)
    r.add_get(f"{PREFIX}/scopes/list", list_scopes)
    r.add_post(f"{PREFIX}/put", put_secret)
    r.add_post(f"{PREFIX}/delete", delete_secret)
    r.add_get(f"{PREFIX}/list", list_secrets)
    r.add_post(f"{PREFIX}/acls/put", put_acl)
    r.add_post(f"{PREFIX}/acls/delete", delete_acl)
    r.add_get(f"{PREFIX}/acls/get", get_acl)
    r.add_get(f"{PREFIX}/acls/list", list_acls)
