"""The checker's tests use the shared `emu` fixture (tests/conftest.py) with their own token,
which every test searches the outputs for."""

from __future__ import annotations

import pytest

from check_support import TOKEN


@pytest.fixture
def emulator_token() -> str:
    return TOKEN
