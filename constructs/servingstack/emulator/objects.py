"""Seeding the emulated workspace with the objects a plan looks up: identities, Unity Catalog
catalogs, schemas and models with their versions, registry models, secret scopes and keys.

One JSON document, the same from every way in (`servingstack emulator serve --seed-file FILE`,
`servingstack emulator seed [FILE] --user ... --host URL`, which posts it to `/_emulator/objects`, and
`Emulator.add_objects(document)`):

    {
      "users": ["alice@example.com", {"user_name": "bob@example.com", "display_name": "Bob"}],
      "groups": ["data-scientists", {"name": "ml-platform", "members": ["alice@example.com"]}],
      "service_principals": ["6f2a1c9e-...", {"application_id": "0b7e...", "display_name": "ci-deployer"}],
      "catalogs": ["ml"],
      "schemas": ["ml.fraud_serving"],
      "models": {"ml.fraud.scorer": {"3": "READY", "5": "PENDING_REGISTRATION"}, "ml.ads.ranker": [1, 2]},
      "registry_models": {"ads-model": {"1": "READY"}},
      "secrets": {"fraud": ["feature-store-token"]}
    }

A version list means READY versions. A model brings its catalog and schema, a schema its catalog; a
secret its scope (created as the emulator's user would, with a placeholder value no route returns).
The whole document is checked before anything is added: every mistake at once, nothing half-seeded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from servingstack.emulator import apierrors, bodies
from servingstack.emulator.auth import CURRENT_USER
from servingstack.emulator.unity_catalog import REGISTRY_STATUSES, UC_STATUSES
from servingstack.facts.secrets import NAME

ROUTE = "/_emulator/objects"
KEYS = ("users", "groups", "service_principals", "catalogs", "schemas", "models", "registry_models", "secrets")
_PLACEHOLDER = "seeded-by-servingstack"  # a secret's value here: kept, never returned, never meaningful


class ObjectsError(ValueError):
    """A seed document with mistakes; one line per mistake."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _named(item: Any, key: str, where: str, problems: list[str], extra: tuple[str, ...] = ()) -> dict[str, Any] | None:
    if isinstance(item, str) and item:
        return {key: item}
    if isinstance(item, dict) and isinstance(item.get(key), str) and item[key]:
        unknown = set(item) - {key, *extra}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
            return None
        texts = [name for name in extra if name != "members" and item.get(name) is not None]
        wrong = [name for name in texts if not isinstance(item[name], str)]
        if wrong:
            problems += [f"{where}.{name}: a string" for name in wrong]
            return None
        return item
    problems.append(f"{where}: a name, or an object with {key!r}")
    return None


def _versions(value: Any, where: str, statuses: tuple[str, ...], problems: list[str]) -> dict[str, str] | None:
    if isinstance(value, list):
        value = {str(v): "READY" for v in value}
    if not isinstance(value, dict):
        problems.append(f"{where}: versions as a list ([1, 2]) or as version -> status")
        return None
    versions = {}
    for version, status in value.items():
        if not str(version).isdigit():
            problems.append(f"{where}[{version}]: a version is a whole number")
        elif status not in statuses:
            problems.append(f"{where}[{version}]: status {status!r} is not one of {', '.join(statuses)}")
        else:
            versions[str(int(version))] = status
    return versions


def check(document: Any) -> dict[str, Any]:
    """The document, normalised; `ObjectsError` naming every mistake."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise ObjectsError(["the seed document is a JSON object"])
    unknown = set(document) - set(KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(sorted(unknown))}: expected {', '.join(KEYS)}")
    plan: dict[str, Any] = {key: [] for key in KEYS}

    def items(key: str) -> list[Any]:
        value = document.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            problems.append(f"{key}: a list")
            return []
        return value

    for index, item in enumerate(items("users")):
        if (user := _named(item, "user_name", f"users[{index}]", problems, ("display_name",))) is not None:
            plan["users"].append(user)
    for index, item in enumerate(items("groups")):
        if (group := _named(item, "name", f"groups[{index}]", problems, ("members",))) is not None:
            members = group.get("members") or []
            if not isinstance(members, list) or not all(isinstance(m, str) and m for m in members):
                problems.append(f"groups[{index}].members: a list of user names or application ids")
            else:
                plan["groups"].append({"name": group["name"], "members": members})
    for index, item in enumerate(items("service_principals")):
        where = f"service_principals[{index}]"
        if (principal := _named(item, "application_id", where, problems, ("display_name",))) is not None:
            plan["service_principals"].append(principal)
    for index, item in enumerate(items("catalogs")):
        if not isinstance(item, str) or not item or "." in item:
            problems.append(f"catalogs[{index}]: a catalog name (no dots)")
        else:
            plan["catalogs"].append(item)
    for index, item in enumerate(items("schemas")):
        if not isinstance(item, str) or item.count(".") != 1 or not all(item.split(".")):
            problems.append(f"schemas[{index}]: a schema's full name, catalog.schema")
        else:
            plan["schemas"].append(item)
    for key, statuses, parts in (("models", UC_STATUSES, 3), ("registry_models", REGISTRY_STATUSES, 0)):
        models = document.get(key)
        models = {} if models is None else models
        if not isinstance(models, dict):
            problems.append(f"{key}: an object of model name -> versions")
            continue
        for name, value in models.items():
            if parts and (name.count(".") != parts - 1 or not all(name.split("."))):
                problems.append(f"{key}[{name}]: a Unity Catalog model's full name is catalog.schema.model")
                continue
            versions = _versions(value, f"{key}[{name}]", statuses, problems)
            if versions is not None:
                plan[key].append((name, versions))
    secrets = document.get("secrets")
    secrets = {} if secrets is None else secrets
    if not isinstance(secrets, dict):
        problems.append("secrets: an object of scope -> list of keys")
    else:
        for scope, keys in secrets.items():
            if not NAME.match(scope):
                problems.append(f"secrets[{scope}]: a scope name is 1-128 letters, digits, '-', '_' or '.'")
            elif not isinstance(keys, list) or not all(isinstance(k, str) and NAME.match(k) for k in keys):
                problems.append(f"secrets[{scope}]: a list of key names (letters, digits, '-', '_', '.')")
            else:
                plan["secrets"].append((scope, keys))
    if problems:
        raise ObjectsError(problems)
    return plan


def add(workspace: Any, document: Any) -> dict[str, int]:
    """Check the whole document, then add everything in it to `workspace`; how many of each."""
    plan = check(document)
    identities, catalog = workspace.identities, workspace.unity_catalog
    for user in plan["users"]:
        identities.add_user(user["user_name"], display_name=user.get("display_name"))
    for principal in plan["service_principals"]:
        identities.add_service_principal(principal["application_id"], display_name=principal.get("display_name"))
    for group in plan["groups"]:
        identities.add_group(group["name"], members=group["members"])
    for name in plan["catalogs"]:
        catalog.add_catalog(name)
    for full_name in plan["schemas"]:
        catalog.add_schema(full_name)
    for full_name, versions in plan["models"]:
        catalog.add_model(full_name, versions)
    for name, versions in plan["registry_models"]:
        catalog.add_registry_model(name, versions)
    for scope, keys in plan["secrets"]:
        if not workspace.secrets.knows(scope):
            workspace.secrets.create_scope(scope, CURRENT_USER, None)
        for key in keys:
            workspace.secrets.put_secret(scope, key, _PLACEHOLDER)
    return {key: len(plan[key]) for key in KEYS}


def load_file(path: str) -> Any:
    """A seed document from a JSON file; `ObjectsError` for one that cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise ObjectsError([f"{path}: not a readable JSON file ({error})"]) from None


def add_routes(app: web.Application, workspace_of: Callable[[web.Request], Any]) -> None:
    async def post_objects(request: web.Request) -> web.Response:
        try:
            added = add(workspace_of(request), bodies.read_json(await request.read()))
        except ObjectsError as error:
            raise apierrors.invalid(f"Invalid seed document: {error}") from None
        return web.json_response({"added": added})

    app.router.add_post(ROUTE, post_objects)
