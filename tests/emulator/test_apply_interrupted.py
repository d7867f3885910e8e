"""`servingstack emulator apply` killed mid-run (SIGTERM or SIGKILL, as its own process) never
forgets what it created: the next apply converges, and removing everything from the stack then
leaves nothing behind. Two applies of one state at once: the second is refused.

Every control-plane request is slowed (an emulator `slow` fault), so the apply is killed with a
request in flight: the emulator finishes that request after the client is gone, as a workspace
would (a create whose answer never arrived).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from emu_support import TOKEN, create_custom
from servingstack.cli import main
from servingstack.deploy.state import ApplyState, StateError
from test_apply import stack_document, write_stack
from test_apply_ownership import with_app

REPO = Path(__file__).resolve().parents[2]
WRITES = ("POST", "PUT", "PATCH", "DELETE")
PRINCIPAL = "fraud-sp"


def full_document() -> dict:
    """Every kind of resource the apply records: a scope and its ACL, two endpoints and their
    permissions, a Unity Catalog grant (7 writes on a first apply)."""
    document = copy.deepcopy(stack_document())
    resources = document["resource"]
    resources["databricks_secret_scope"] = {"keys": {"name": "test-keys"}}
    resources["databricks_secret_acl"] = {
        "keys_acl": {"scope": "test-keys", "principal": PRINCIPAL, "permission": "READ"}
    }
    resources["databricks_grant"] = {
        "model_grant": {"model": "ml.fraud.scorer", "principal": PRINCIPAL, "privileges": ["EXECUTE"]}
    }
    return document


def writes(emu) -> int:
    return sum(emu.request_count(method) for method in WRITES)


def start_apply(emu, stack: Path, state: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "servingstack.cli", "emulator", "apply", "--stack", str(stack)]
    command += ["--host", emu.url, "--token", TOKEN, "--state", str(state)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "constructs")}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def apply(emu, stack: Path, state: Path):
    return CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--state", str(state)],
        catch_exceptions=False,
    )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.005)


def what_exists(w) -> dict[str, set]:
    """What of the stack's lives in the workspace, by kind."""
    endpoints = {e.name for e in w.serving_endpoints.list()} - {"someone-elses"}
    scopes = {s.name for s in w.secrets.list_scopes()}
    acls = {a.principal for s in scopes for a in w.secrets.list_acls(s) if a.principal == PRINCIPAL}
    grants = {
        a.principal for a in w.grants.get("function", "ml.fraud.scorer").privilege_assignments or [] if a.privileges
    }
    permissions = set()
    for name in endpoints:
        endpoint = w.serving_endpoints.get(name)
        acl = w.serving_endpoints.get_permissions(endpoint.id).access_control_list or []
        if any(a.group_name in ("fraud-analysts", "users") for a in acl):
            permissions.add(name)
    return {"endpoints": endpoints, "scopes": scopes, "acls": acls, "grants": grants, "permissions": permissions}


def recorded(state: Path, url: str) -> dict[str, set]:
    entry = json.loads(state.read_text())["workspaces"][url] if state.exists() else {}
    return {
        "endpoints": set(entry.get("endpoints", {})),
        "scopes": set(entry.get("secret_scopes", {})),
        "acls": {principal for _, principal in entry.get("secret_acls", {}).values()},
        "grants": {principal for _, _, principal in entry.get("grants", {}).values()},
        "permissions": set(entry.get("permissions", {}).values()),
    }


@pytest.mark.parametrize(
    "signum, at_write",
    # Writes: 1 scope, 2 its ACL, 3 and 4 the endpoints, 5 and 6 their permissions, 7 the grant.
    [(signal.SIGKILL, n) for n in (1, 2, 4, 6, 7)] + [(signal.SIGTERM, n) for n in (3, 5)],
    ids=lambda value: value.name if isinstance(value, signal.Signals) else f"write{value}",
)
def test_an_apply_killed_with_a_request_in_flight_forgets_nothing(emu, w, tmp_path, signum, at_write):
    create_custom(w, "someone-elses")  # not the stack's: never touched
    stack = write_stack(tmp_path / "test", full_document())
    state = tmp_path / "state.json"
    emu.slow(0.1, scope="control")
    emu.reset_request_count()
    process = start_apply(emu, stack, state)
    try:
        wait_for(lambda: writes(emu) >= at_write or process.poll() is not None)
        assert process.poll() is None, process.communicate()[0]
        process.send_signal(signum)  # the at_write-th write has arrived and is still being answered
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    if signum == signal.SIGTERM:
        assert process.returncode == 143, output
        assert "Interrupted: what was applied so far is recorded in" in output
    else:
        assert process.returncode == -signal.SIGKILL
    time.sleep(0.5)  # the request in flight lands after its client is gone
    emu.clear_faults()

    # Never forgotten: whatever of the stack's exists is in the state, whole and readable.
    exists = what_exists(w)
    assert sum(map(len, exists.values())) >= 1
    remembered = recorded(state, emu.url)
    for kind, names in exists.items():
        assert names <= remembered[kind], (kind, names, remembered[kind])

    converged = apply(emu, stack, state)
    assert converged.exit_code == 0, converged.output
    assert "already exists" not in converged.output
    assert apply(emu, stack, state).output.strip().splitlines()[-1] == "No changes: 7 resources unchanged."

    # Nothing orphaned: with everything removed from the stack, nothing of it is left.
    emptied = apply(emu, write_stack(tmp_path / "test", {"resource": {}}), state)
    assert emptied.exit_code == 0, emptied.output
    assert what_exists(w) == {kind: set() for kind in exists}
    assert "someone-elses" in {e.name for e in w.serving_endpoints.list()}
    assert recorded(state, emu.url) == {kind: set() for kind in exists}


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=lambda value: value.name)
def test_an_apply_killed_while_it_creates_an_app_forgets_it_not(emu, w, tmp_path, signum):
    """The app's create is recorded before it is sent, as an endpoint's is: killed with the create
    in flight, the app that the service then makes is the stack's, found and kept by the next apply."""
    emu.set_app_seconds(start=0, delete=0)
    stack = write_stack(tmp_path / "test", with_app(stack_document()))
    state = tmp_path / "state.json"
    emu.slow(0.2, scope="control")
    emu.reset_request_count()
    process = start_apply(emu, stack, state)
    try:
        wait_for(lambda: emu.request_count("POST", "/api/2.0/apps") >= 1 or process.poll() is not None)
        assert process.poll() is None, process.communicate()[0]
        process.send_signal(signum)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # The create in flight lands after its client is gone (once its slow answer is over).
    wait_for(lambda: "test-bot-app" in {a.name for a in w.apps.list()}, timeout=15)
    emu.clear_faults()

    (entry,) = json.loads(state.read_text())["workspaces"].values()
    assert entry["apps"] == {"test-bot-app": "databricks_app.bot"}, output
    converged = apply(emu, stack, state)
    assert converged.exit_code == 0, converged.output
    assert "already exists" not in converged.output and "= unchanged databricks_app.bot" in converged.output
    emptied = apply(emu, write_stack(tmp_path / "test", {"resource": {}}), state)
    assert "- deleted   databricks_app.bot" in emptied.output, emptied.output


def test_two_applies_of_one_state_at_once_the_second_is_refused_and_a_killed_one_leaves_no_lock(emu, w, tmp_path):
    stack = write_stack(tmp_path / "test", full_document())
    state = tmp_path / "state.json"
    emu.slow(0.3, scope="control")
    first = start_apply(emu, stack, state)
    try:
        wait_for(lambda: writes(emu) >= 1 or first.poll() is not None)
        assert first.poll() is None
        before = writes(emu)
        refused = apply(emu, stack, state)
        assert refused.exit_code == 1
        assert f"(pid {first.pid} on " in refused.output and "Nothing was applied." in refused.output
        assert "is locked by another `servingstack emulator apply`" in refused.output
        assert writes(emu) <= before + 1  # the first apply's next write at most; none from the second
        # The Python API holds the same lock.
        with pytest.raises(Exception, match="is locked by another"):
            ApplyState(state, emu.url)
    finally:
        first.kill()
        first.communicate(timeout=30)
    time.sleep(0.5)
    emu.clear_faults()
    # SIGKILL left the lock file behind, but not the lock: the next apply needs no cleaning up.
    assert state.with_name("state.json.lock").exists()
    again = apply(emu, stack, state)
    assert again.exit_code == 0, again.output


def test_the_state_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    with ApplyState(path, "http://emu") as state:
        state.remember_endpoint("a", "databricks_model_serving.a")
        saved = path.read_text()

        def fail(*args):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", fail)
        with pytest.raises(OSError, match="disk full"):
            state.remember_endpoint("b", "databricks_model_serving.b")
    assert path.read_text() == saved  # the previous state, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]  # no temporary left


def test_a_state_that_is_not_one_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "workspaces": {"http://emu": []}}')
    with pytest.raises(StateError, match="not a servingstack emulator state file"):
        ApplyState(path, "http://emu")
    assert path.read_text() == '{"version": 1, "workspaces": {"http://emu": []}}'
    ApplyState(path.with_name("other.json"), "http://emu").close()  # the lock was released on the refusal
    with pytest.raises(StateError):
        ApplyState(path, "http://emu")  # and taken again, so the first refusal released it too
