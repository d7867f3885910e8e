"""Fixtures for `servingstack import`: an emulator whose token the support module knows."""

from __future__ import annotations

import pytest

from import_support import TOKEN, client_for


@pytest.fixture
def emulator_token() -> str:
    return TOKEN


@pytest.fixture
def w(emu):
    return client_for(emu)
