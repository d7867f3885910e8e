"""What `emulator apply` manages, kept between runs as Terraform keeps its state file.

Terraform deletes a resource removed from the configuration because its state says it
created it, and refuses to create one whose name is taken by something its state does not
hold; everything else in the workspace is left alone. `emulator apply` does the same with a
small JSON file: per workspace URL (one file can serve several emulators), the endpoints and
permission sets this stack's applies created (or imported), and (`KINDS`) its apps, secret
scopes, secret ACLs and Unity Catalog grants. It lives beside `cdktf.out`, where cdktf's local backend puts
`terraform.<stack>.tfstate` (outside `cdktf.out`, so a new synth never loses it), named
`servingstack-emulator.<stack>.json`; `--state` overrides. It holds names and ids only, never
a secret.

The file is written after every change, atomically (a temporary file, fsync, rename, fsync of
the folder), and before the request that creates a resource is sent: an apply killed at any
instant, even between the service creating an endpoint and its answer, leaves a state that
names everything it may have created, and the next apply finds it. An entry whose resource
does not exist is simply created again. While an `ApplyState` is open it holds the state's
lock (`deploy/lock.py`): a second apply of the same state is refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from servingstack.deploy.lock import StateLock

STATE_VERSION = 1
# What else a stack manages, each under its own key of a workspace's entry: apps (name -> resource
# address), secret_scopes (name -> resource address), secret_acls (logical id -> [scope, principal])
# and grants (logical id -> [securable kind, full name, principal]).
KINDS = ("apps", "secret_scopes", "secret_acls", "grants")


def acl_record(scope: str, principal: str) -> list[str]:
    """How the state records a `databricks_secret_acl`."""
    return [scope, principal]


def grant_record(securable_type: str, full_name: str, principal: str) -> list[str]:
    """How the state records a `databricks_grant`."""
    return [securable_type, full_name, principal]


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
    (logical id -> endpoint name) that applies of one stack created in one workspace, and its other
    resources by kind (`KINDS`).

    Opening it takes the state's lock (`StateLocked` if another apply holds it); `close()` (or the
    end of a `with` block) releases it. Every change is saved at once."""

    def __init__(self, path: Path, workspace: str, *, lock: bool = True):
        self.path = Path(path)
        self.workspace = workspace.rstrip("/")
        self._lock = StateLock(self.path) if lock else None
        if self._lock is not None:
            self._lock.acquire()  # before reading: what another apply wrote last is what we read
        try:
            self._document = self._load()
        except BaseException:
            self.close()
            raise
        entry = self._document["workspaces"].setdefault(self.workspace, {})
        # A file written before scopes were recorded (an entry without the key) cannot tell the
        # scopes its applies made from others: this one apply takes the stack's scopes it finds.
        self.adopts_unrecorded_scopes = bool(entry) and "secret_scopes" not in entry
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
            or not all(isinstance(entry, dict) for entry in document["workspaces"].values())
        ):
            raise StateError(f"{self.path}: not a servingstack emulator state file (version {STATE_VERSION})")
        return document

    # -- reads -----------------------------------------------------------------------------
    def endpoints(self) -> dict[str, str]:
        return dict(self._endpoints)

    def permissions(self) -> dict[str, str]:
        return dict(self._permissions)

    def records(self, kind: str) -> dict[str, Any]:
        """What this stack manages of one of `KINDS`, by key."""
        return dict(self._kinds[kind])

    def owns_endpoint(self, name: str) -> bool:
        return name in self._endpoints

    # -- changes, each saved at once ------------------------------------------------------------
    def remember_endpoint(self, name: str, resource: str) -> None:
        self._endpoints[name] = resource
        self.save()

    def forget_endpoint(self, name: str) -> None:
        if self._endpoints.pop(name, None) is not None:
            self.save()

    def remember_permissions(self, logical_id: str, endpoint_name: str) -> None:
        self._permissions[logical_id] = endpoint_name
        self.save()

    def forget_permissions(self, logical_id: str) -> None:
        if self._permissions.pop(logical_id, None) is not None:
            self.save()

    def remember(self, kind: str, key: str, value: Any) -> None:
        self._kinds[kind][key] = value
        self.save()

    def forget(self, kind: str, key: str) -> None:
        if self._kinds[kind].pop(key, None) is not None:
            self.save()

    # -- the file ------------------------------------------------------------------------------
    def save(self) -> None:
        """Write when something changed, atomically and durably: a crash or a kill at any instant
        leaves either the previous file or this one, never half of one."""
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
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._saved = text
        _fsync_folder(self.path.parent)

    def close(self) -> None:
        """Release the lock (the state is already saved)."""
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> ApplyState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fsync_folder(folder: Path) -> None:
    """The rename itself reaches the disk only once the folder is synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)
