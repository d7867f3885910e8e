"""What the stack owns: which live resources an apply would update or delete, and which names it
would fail to create because something else holds them.

Terraform knows what it owns from its state: a resource in the state is updated (or deleted when it
leaves the configuration), anything else in the workspace is left alone, and creating a resource whose
name is taken fails ("already exists"). The plan reads the same state, without Terraform:

1. `--state FILE`: a Terraform state (the local backend's file, or `terraform state pull > FILE` for a
   remote backend) or the state file of `servingstack emulator apply`;
2. else the stack's own local backend file (`terraform.backend.local.path` in `cdk.tf.json`, where
   cdktf keeps `terraform.<stack>.tfstate`), when it exists;
3. else `emulator apply`'s state file beside `cdktf.out`, when it records an apply to this workspace;
4. else none: the plan cannot tell an endpoint this stack created from one made by hand, so it compares
   every live namesake as its own and warns that a create fails if the stack does not own it.

Only identifying attributes are kept (ids, names, scopes, principals): a state file may hold
secrets, and nothing else of it is read into memory for long or shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servingstack.client.workspace import same_workspace
from servingstack.deploy.state import STATE_VERSION as EMULATOR_STATE_VERSION
from servingstack.deploy.state import default_state_path
from servingstack.facts.provider_updates import (
    APP,
    GRANT,
    MODEL_SERVING,
    PERMISSIONS,
    PROVISIONED_THROUGHPUT,
    SECRET_ACL,
    SECRET_SCOPE,
)
from servingstack.plan.results import Ownership

_KEPT = (
    "id",
    "name",
    "serving_endpoint_id",
    "scope",
    "principal",
    "permission",
    "catalog",
    "schema",
    "model",
    "function",
    "privileges",
)
ENDPOINT_TYPES = (MODEL_SERVING, PROVISIONED_THROUGHPUT)
# What `emulator apply`'s state records in any version (deploy/state.py): endpoints and their permission sets.
EMULATOR_TRACKED = frozenset({MODEL_SERVING, PROVISIONED_THROUGHPUT, PERMISSIONS})


class OwnershipError(ValueError):
    """A state file named with --state that cannot be read as one."""


@dataclass
class StackSettings:
    """What `cdk.tf.json` says beyond the resources and the provider's workspace (`facts.stackfile`
    reads that): the backend, timeouts and construct paths."""

    backend: str | None = None  # local, s3, ...
    backend_path: Path | None = None  # the local backend's state file
    timeouts: dict[str, dict[str, str]] = field(default_factory=dict)  # address -> {"create": "60m", ...}
    paths: dict[str, str] = field(default_factory=dict)  # address -> construct path


def read_settings(stack_path: Path) -> StackSettings:
    """The backend, timeouts and construct paths of a stack (already loaded once)."""
    file = stack_path if stack_path.is_file() else stack_path / "cdk.tf.json"
    document = json.loads(file.read_text())
    settings = StackSettings()
    backends = (document.get("terraform") or {}).get("backend") or {}
    if isinstance(backends, dict) and backends:
        settings.backend, config = next(iter(backends.items()))
        if settings.backend == "local":
            state_file = Path(str((config or {}).get("path") or "terraform.tfstate"))
            settings.backend_path = state_file if state_file.is_absolute() else file.parent / state_file
    for resource_type, resources in (document.get("resource") or {}).items():
        for logical_id, body in (resources or {}).items():
            address = f"{resource_type}.{logical_id}"
            if isinstance(body, dict) and isinstance(body.get("timeouts"), dict):
                settings.timeouts[address] = {k: str(v) for k, v in body["timeouts"].items()}
            path = ((body.get("//") or {}).get("metadata") or {}).get("path") if isinstance(body, dict) else None
            if isinstance(path, str):
                settings.paths[address] = path.removesuffix("/Default")
    return settings


@dataclass
class OwnedResources:
    ownership: Ownership = field(default_factory=Ownership)
    by_address: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The resource types the state records (None: all of them, as Terraform's does); for the others
    # ownership is unknown, whatever the state says.
    tracked: frozenset[str] | None = None

    @property
    def known(self) -> bool:
        return self.ownership.kind != "none"

    def name_of(self, address: str) -> str | None:
        attributes = self.by_address.get(address)
        if not attributes:
            return None
        return attributes.get("name") or attributes.get("id")

    def names(self, *resource_types: str) -> dict[str, str]:
        """name -> address of the owned resources of these types."""
        found = {}
        for address, attributes in self.by_address.items():
            if address.split(".", 1)[0] in resource_types:
                name = attributes.get("name") or attributes.get("id")
                if name:
                    found[str(name)] = address
        return found

    def tracks(self, resource_type: str) -> bool:
        return self.known and (self.tracked is None or resource_type in self.tracked)

    def owns(self, resource_types: tuple[str, ...], name: str) -> bool | None:
        """True / False by the state; None when no state says."""
        if not all(self.tracks(t) for t in resource_types):
            return None
        return name in self.names(*resource_types)


def _from_terraform(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_address: dict[str, dict[str, Any]] = {}
    for resource in document.get("resources") or []:
        if not isinstance(resource, dict) or resource.get("mode", "managed") != "managed":
            continue
        address = f"{resource.get('type')}.{resource.get('name')}"
        if resource.get("module"):
            address = f"{resource['module']}.{address}"
        instances = resource.get("instances") or []
        for instance in instances:
            attributes = instance.get("attributes") or {}
            kept = {k: attributes[k] for k in _KEPT if attributes.get(k) not in (None, "", [])}
            key = instance.get("index_key")
            by_address[address if key is None else f"{address}[{json.dumps(key)}]"] = kept
    return by_address


def _from_emulator(
    document: dict[str, Any], host: str | None
) -> tuple[dict[str, dict[str, Any]], frozenset[str]] | None:
    """The resources an `emulator apply` state records for `host`, and which types it records: endpoints
    and permission sets always; apps, scopes, ACLs and grants when the state has their keys (deploy/
    state.py KINDS: apps and secret_scopes name -> address, secret_acls logical id -> [scope, principal],
    grants logical id -> [securable kind, full name, principal])."""
    workspaces = document.get("workspaces") or {}
    entry = next((v for k, v in workspaces.items() if host and same_workspace(k, host)), None)
    if entry is None:
        return None
    by_address: dict[str, dict[str, Any]] = {}
    for name, address in (entry.get("endpoints") or {}).items():
        by_address[str(address)] = {"id": name, "name": name}
    for logical_id, endpoint in (entry.get("permissions") or {}).items():
        by_address[f"{PERMISSIONS}.{logical_id}"] = {"endpoint": endpoint}
    for key in ("apps", "secret_scopes"):
        for name, address in (entry.get(key) or {}).items():
            by_address[str(address)] = {"id": name, "name": name}
    for logical_id, pair in (entry.get("secret_acls") or {}).items():
        if isinstance(pair, list) and len(pair) == 2:
            by_address[f"{SECRET_ACL}.{logical_id}"] = {"scope": pair[0], "principal": pair[1], "id": "|||".join(pair)}
    for logical_id, triple in (entry.get("grants") or {}).items():
        if isinstance(triple, list) and len(triple) == 3:
            by_address[f"{GRANT}.{logical_id}"] = {"id": "/".join(str(part) for part in triple), "principal": triple[2]}
    kinds = {"apps": APP, "secret_scopes": SECRET_SCOPE, "secret_acls": SECRET_ACL, "grants": GRANT}
    tracked = EMULATOR_TRACKED | {kinds[key] for key in kinds if key in entry}
    return by_address, frozenset(tracked)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise OwnershipError(f"{path}: not a readable state file ({error})") from None
    if not isinstance(document, dict):
        raise OwnershipError(f"{path}: not a Terraform or emulator apply state file")
    return document


def _kind(document: dict[str, Any]) -> str | None:
    if document.get("version") == 4 or ("lineage" in document and isinstance(document.get("resources"), list)):
        return "terraform"
    if document.get("version") == EMULATOR_STATE_VERSION and isinstance(document.get("workspaces"), dict):
        return "emulator"
    return None


def read_ownership(
    state: Path | None,
    *,
    use_state: bool,
    stack_name: str,
    stack_dir: Path,
    settings: StackSettings,
    host: str | None,
) -> OwnedResources:
    """What the stack owns, from the first state found (see the module's note)."""
    if not use_state:
        return OwnedResources(Ownership("none", None, "--no-state: ownership not looked up"))
    if state is not None:
        document = _read_json(state)
        kind = _kind(document)
        if kind == "terraform":
            return OwnedResources(Ownership("terraform", str(state), "Terraform state"), _from_terraform(document))
        if kind == "emulator":
            found = _from_emulator(document, host)
            if found is None:
                detail = f"emulator apply state: nothing applied to {host}"
                return OwnedResources(Ownership("emulator", str(state), detail), {}, EMULATOR_TRACKED)
            return OwnedResources(Ownership("emulator", str(state), "emulator apply state"), *found)
        raise OwnershipError(f"{state}: neither a Terraform state (version 4) nor an emulator apply state")
    for candidate in (settings.backend_path, stack_dir / f"terraform.{stack_name}.tfstate"):
        if candidate is not None and candidate.is_file():
            try:
                document = _read_json(candidate)
            except OwnershipError:
                continue
            if _kind(document) == "terraform":
                detail = "Terraform state of the stack's local backend"
                return OwnedResources(Ownership("terraform", str(candidate), detail), _from_terraform(document))
    emulator_state = default_state_path(stack_dir, stack_name)
    if emulator_state.is_file():
        try:
            found = _from_emulator(_read_json(emulator_state), host)
        except OwnershipError:
            found = None
        if found is not None:
            return OwnedResources(Ownership("emulator", str(emulator_state), "emulator apply state"), *found)
    if settings.backend and settings.backend != "local":
        detail = (
            f"no state read: the stack keeps it in the {settings.backend} backend; pass "
            "`--state FILE` with the output of `terraform state pull`"
        )
    else:
        detail = "no state found: pass --state FILE to tell the plan what this stack owns"
    return OwnedResources(Ownership("none", None, detail))


def endpoint_addresses(owned: OwnedResources) -> dict[str, str]:
    """name -> address of the serving endpoints the state records."""
    return owned.names(*ENDPOINT_TYPES)
