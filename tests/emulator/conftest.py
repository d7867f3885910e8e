"""Fixtures for the emulator conformance suite.

Every test talks to a real emulator (the shared `emu` fixture, tests/conftest.py) over HTTP
through the unmodified databricks-sdk. Clients retry for 5 s at most (the SDK default is
300 s), so a fault test can never hang.
"""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient

from emu_support import TOKEN, client_for


@pytest.fixture
def emulator_token() -> str:
    return TOKEN


@pytest.fixture
def w(emu) -> WorkspaceClient:
    return client_for(emu)
