"""Fixtures for the checker's tests: an isolated Databricks environment and a running emulator."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from check_support import DEPLOY_SECONDS, TOKEN

from servingstack.emulator import Emulator


@pytest.fixture(autouse=True)
def isolated_databricks_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer credentials, profile or CI summary may leak into a test."""
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "SERVINGSTACK_EMULATOR_")) or key in ("GITHUB_STEP_SUMMARY", "CI"):
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
