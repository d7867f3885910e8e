"""The rollout suite: stacks synthesized once per session (the engine under test), an emulator per test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rollout_support import synthesize  # noqa: E402


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stack directories: `rollout` (v3 -> v4), `rollout_env` (the same, v3 and v4 with another
    environment variable), `plain` (no rollout)."""
    root = tmp_path_factory.mktemp("stacks")
    return {
        "rollout": synthesize(root / "rollout"),
        "rollout_env": synthesize(root / "rollout_env", env="2"),
        "plain": synthesize(root / "plain", rollout=False),
    }
