"""The plan's tests run against a real emulator (the shared `emu` fixture) over HTTP, through the
unmodified databricks-sdk; each test gets a fresh workspace and its own stack directory."""

from __future__ import annotations

import pytest

from plan_support import TOKEN


@pytest.fixture
def emulator_token() -> str:
    return TOKEN
