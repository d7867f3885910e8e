"""What `emulator apply` manages, kept between runs as Terraform keeps its state file.

Terraform deletes a resource removed from the configuration because its state says it
created it; everything else in the workspace is left alone. `emulator apply` does the same
with a small JSON file: per workspace URL (one file can serve several emulators), the
endpoints and permission sets this stack's applies created, and (`KINDS`) its apps, secret
scopes, secret ACLs and Unity Catalog grants. It lives beside `cdktf.out`, where
cdktf's local backend puts `terraform.<stack>.tfstate` (outside `cdktf.out`, so a new synth
never loses it), named `servingstack-emulator.<stack>.json`; `--state` overrides.
It holds names and ids only, never a secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_VERSION = 1
# What else a stack manages, each under its own key of a workspace's entry:
# apps (name -> resource address), secret_scopes (name -> resource address), secret_acls
# (logical id -> [scope, principal]) and grants (logical id -> [securable kind, full name, principal]).
KINDS = ("apps", "secret_scopes", "secret_acls", "grants")


class StateError(ValueError):
    """The state file exists but cannot be read as one."""


def default_state_path(stack_dir: str | Path, stack_name: str) -> Path:
    """Beside the output directory (`<project>/cdktf.out/stacks/<stack>` -> `<project>/`), where
    cdktf's local backend keeps `terraform.<stack>.tfstate` when synthesized from the project;
    for a stack directory outside that layout, in the stack directory itself."""
    stack_dir = Path(stack_dir).resolve()
    if stack_dir.is_file():
        stack_dir = stack_dir.parent
    name = f"servingstack-emulator.{stack_name}.json"
    if stack_dir.parent.name == "stacks":
        return stack_dir.parent.parent.parent / name
    return stack_dir / name


class ApplyState:
    """The endpoints (name -> resource address, `databricks_model_serving.chat`) and permission sets
    (logical id -> endpoint name) that applies of one stack created in one workspace."""

    def __init__(self, path: Path, workspace: str):
        self.path = Path(path)
        self.workspace = workspace.rstrip("/")
        self._document = self._load()
        entry = self._document["workspaces"].setdefault(self.workspace, {})
        self._endpoints: dict[str, str] = entry.setdefault("endpoints", {})
        self._permissions: dict[str, str] = entry.setdefault("permissions", {})
        self._kinds: dict[str, dict[str, Any]] = {kind: entry.setdefault(kind, {}) for kind in KINDS}
        self._saved = json.dumps(self._document, sort_keys=True) if self.path.is_file() else None

    def _load(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {"version": STATE_VERSION, "workspaces": {}}
        try:
            document = json.loads(self.path.read_text())
        except (OSError, ValueError) as error:
            raise StateError(
                f"{self.path}: not a readable state file ({error}); move it away to start afresh"
            ) from None
        if (
            not isinstance(document, dict)
            or document.get("version") != STATE_VERSION
            or not isinstance(document.get("workspaces"), dict)
        ):
            raise StateError(f"{self.path}: not a servingstack emulator state file (version {STATE_VERSION})")
        return document

    def endpoints(self) -> dict[str, str]:
        return dict(self._endpoints)

    def permissions(self) -> dict[str, str]:
        return dict(self._permissions)

    def remember_endpoint(self, name: str, resource: str) -> None:
        self._endpoints[name] = resource

    def forget_endpoint(self, name: str) -> None:
        self._endpoints.pop(name, None)

    def remember_permissions(self, logical_id: str, endpoint_name: str) -> None:
        self._permissions[logical_id] = endpoint_name

    def forget_permissions(self, logical_id: str) -> None:
        self._permissions.pop(logical_id, None)

    def records(self, kind: str) -> dict[str, Any]:
        """What this stack manages of one of `KINDS`, by key."""
        return dict(self._kinds[kind])

    def remember(self, kind: str, key: str, value: Any) -> None:
        self._kinds[kind][key] = value

    def forget(self, kind: str, key: str) -> None:
        self._kinds[kind].pop(key, None)

    def save(self) -> None:
        """Write when something changed, atomically: a crash mid-write never leaves half a state file."""
        text = json.dumps(self._document, sort_keys=True)
        managed = self._endpoints or self._permissions or any(self._kinds.values())
        if text == self._saved or (self._saved is None and not managed):
            return  # nothing new (an apply that stopped at its plan leaves no file behind)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(self._document, file, indent=2, sort_keys=True)
                file.write("\n")
            os.replace(temporary, self.path)
            self._saved = text
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
