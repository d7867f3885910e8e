"""Fixtures for the emulator conformance suite.

Every test talks to a real emulator over HTTP through the unmodified databricks-sdk.
Clients retry for 5 s at most (the SDK default is 300 s), so a fault test can never hang.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from emu_support import DEPLOY_SECONDS, TOKEN, client_for

from servingstack.emulator import Emulator

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here drives the emulator over HTTP: mark them `e2e`."""
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def isolated_databricks_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A developer's ~/.databrickscfg or DATABRICKS_* variables must not leak into the clients."""
    for key in list(os.environ):
        if key.startswith("DATABRICKS_") or key.startswith("SERVINGSTACK_EMULATOR_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN, deploy_seconds=DEPLOY_SECONDS, seed=0)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def w(emu: Emulator) -> WorkspaceClient:
    return client_for(emu)
