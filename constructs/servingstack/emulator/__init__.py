"""A local Databricks workspace for Model Serving: the REST API, the endpoint state
machine, queries by task and injectable faults, on a real HTTP server (aiohttp).

    from servingstack.emulator import Emulator
    with Emulator(token="t", deploy_seconds=0.3, seed=0) as emu:
        w = emu.client(retry_timeout_seconds=5)

`Emulator` is imported on first use: it pulls in databricks-sdk, which the command
line does not need to parse its options.
"""

from __future__ import annotations

from typing import Any

from servingstack.emulator.auth import DEFAULT_TOKEN, TOKEN_ENV
from servingstack.emulator.defaults import DEFAULT_DEPLOY_SECONDS
from servingstack.emulator.faults import Fault, FaultSpecError

__all__ = ["DEFAULT_DEPLOY_SECONDS", "DEFAULT_TOKEN", "TOKEN_ENV", "Emulator", "Fault", "FaultSpecError"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from servingstack.emulator.runner import Emulator

        return Emulator
    raise AttributeError(f"module 'servingstack.emulator' has no attribute {name!r}")
