"""Fixtures for every test: no developer credentials leak in, and a running emulator on demand."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Test folders and their markers: `pytest -m "not e2e"` skips everything that starts a server.
_MARKERS = {
    "synth": "synth",
    "policy": "synth",
    "ci": "synth",
    "emulator": "e2e",
    "check": "e2e",
    "e2e": "e2e",
    "importer": "e2e",
    "rollout": "e2e",
    "plan": "e2e",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = _MARKERS.get(Path(str(item.fspath)).parent.name)
        if marker:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(autouse=True)
def isolated_databricks_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer credentials, profile or CI summary may leak into a test."""
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "SERVINGSTACK_EMULATOR_")) or key in ("GITHUB_STEP_SUMMARY", "CI"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))


@pytest.fixture
def emulator_token() -> str:
    """The token of the `emu` fixture; a test folder overrides it with its own."""
    return "servingstack-test-token"


@pytest.fixture
def emu(emulator_token: str) -> Iterator[object]:
    """An emulator on a free port of 127.0.0.1 with 0.2 s deployments, always stopped."""
    from servingstack.emulator import Emulator

    emulator = Emulator(token=emulator_token, deploy_seconds=0.2, seed=0)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
