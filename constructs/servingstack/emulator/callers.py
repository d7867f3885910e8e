"""Simulated callers: an endpoint's production traffic, so its metrics move without a load generator.

`Workspace.callers` holds queries per second by endpoint; a task on the server's loop makes that many
`Workspace.simulate_call`s, spread over time: each is drawn by the traffic split, meets the served
entity's faults and degradation, and is counted in the endpoint's metrics, as an HTTP query would be,
without the HTTP. A rollout can then be shown and tested against an endpoint that has users.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from servingstack.emulator.workspace import Workspace

TICK_SECONDS = 0.05
MAX_PER_SECOND = 10_000.0


def add_to(app: web.Application, workspace_key: web.AppKey) -> None:
    async def callers(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_run(app[workspace_key]))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(callers)


async def _run(workspace: Workspace) -> None:
    loop = asyncio.get_running_loop()
    owed: dict[str, float] = {}
    last = loop.time()
    while True:
        await asyncio.sleep(TICK_SECONDS)
        now = loop.time()
        elapsed, last = now - last, now
        for endpoint, per_second in list(workspace.callers.items()):
            owed[endpoint] = owed.get(endpoint, 0.0) + per_second * elapsed
            calls = int(owed[endpoint])
            owed[endpoint] -= calls
            for _ in range(calls):
                workspace.simulate_call(endpoint)
        for endpoint in [e for e in owed if e not in workspace.callers]:
            del owed[endpoint]


def check_traffic(endpoint: Any, per_second: Any) -> dict[str, float]:
    """`{endpoint: per_second}` once both are usable; `ValueError` saying which is not."""
    if not isinstance(endpoint, str) or not endpoint:
        raise ValueError("endpoint: must be an endpoint name")
    number = isinstance(per_second, (int, float)) and not isinstance(per_second, bool) and math.isfinite(per_second)
    if not number or not 0 <= per_second <= MAX_PER_SECOND:
        raise ValueError(f"per_second: must be a number of queries from 0 to {MAX_PER_SECOND:g}, got {per_second!r}")
    return {endpoint: float(per_second)}
