"""The whole path through real processes: synth, the emulator, apply and check."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def isolated_databricks_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """A developer's ~/.databrickscfg or DATABRICKS_* variables must not leak in."""
    for key in list(os.environ):
        if key.startswith("DATABRICKS_") or key.startswith("SERVINGSTACK_EMULATOR_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such-databrickscfg"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
