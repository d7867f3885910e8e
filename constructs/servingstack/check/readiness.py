"""When is a serving endpoint done deploying, and why it failed when it did.

Done means the active config is READY, no update is running (NOT_UPDATING) and no
`pending_config` is waiting. The SDK's own waiter looks only at `config_update`, which
reads NOT_UPDATING for an endpoint whose active config is still NOT_READY.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

READY = "READY"
NOT_UPDATING = "NOT_UPDATING"
FAILED_UPDATES = ("UPDATE_FAILED", "UPDATE_CANCELED")
FAILED_DEPLOYMENTS = ("DEPLOYMENT_FAILED", "DEPLOYMENT_ABORTED")
LOG_TAIL_LINES = 15

Phase = Literal["ready", "waiting", "failed"]


@dataclass(frozen=True)
class EntityState:
    name: str
    deployment: str | None
    message: str | None

    def __str__(self) -> str:
        text = f"{self.name}: {self.deployment or 'unknown'}"
        return f"{text} ({self.message})" if self.message else text


@dataclass(frozen=True)
class Readiness:
    """What one look at an endpoint says about its deployment."""

    phase: Phase
    ready: str | None
    config_update: str | None
    config_version: int | None
    pending_version: int | None
    entities: tuple[EntityState, ...] = ()
    failed_entities: tuple[EntityState, ...] = field(default=())

    @property
    def summary(self) -> str:
        """A short line for progress and for 'last state seen'."""
        parts = [f"{self.ready or '?'}/{self.config_update or '?'}"]
        if self.config_version is not None:
            parts.append(f"config v{self.config_version}")
        if self.pending_version is not None:
            parts.append(f"pending v{self.pending_version}")
        busy = [str(e) for e in self.entities if e.deployment != "DEPLOYMENT_READY"]
        if busy:
            parts.append("; ".join(busy))
        return ", ".join(parts)


def _entities(config: dict[str, Any] | None) -> list[EntityState]:
    entities = []
    for entity in (config or {}).get("served_entities") or []:
        state = entity.get("state") or {}
        entities.append(
            EntityState(
                name=entity.get("name") or "?",
                deployment=state.get("deployment"),
                message=state.get("deployment_state_message"),
            )
        )
    return entities


def assess(endpoint: dict[str, Any]) -> Readiness:
    """Classify one `ServingEndpointDetailed.as_dict()`."""
    state = endpoint.get("state") or {}
    config = endpoint.get("config")
    pending = endpoint.get("pending_config")
    # A failing new config shows in pending_config; a crash of the live one, in config.
    entities = {e.name: e for e in _entities(config)}
    entities.update({e.name: e for e in _entities(pending)})
    failed = tuple(e for e in entities.values() if e.deployment in FAILED_DEPLOYMENTS)
    ready, update = state.get("ready"), state.get("config_update")
    if update in FAILED_UPDATES or failed:
        phase: Phase = "failed"
    elif ready == READY and update == NOT_UPDATING and pending is None and config is not None:
        phase = "ready"
    else:
        phase = "waiting"
    return Readiness(
        phase=phase,
        ready=ready,
        config_update=update,
        config_version=(config or {}).get("config_version"),
        pending_version=(pending or {}).get("config_version"),
        entities=tuple(entities.values()),
        failed_entities=failed,
    )


def worth_a_closer_look(summary: dict[str, Any]) -> bool:
    """For one item of the endpoints list (state, but no pending config or entity states): does it
    look done or failed, so that a full `get` should confirm it?"""
    state = summary.get("state") or {}
    if state.get("config_update") in FAILED_UPDATES:
        return True
    if state.get("ready") == READY and state.get("config_update") == NOT_UPDATING:
        return True
    return assess(summary).phase == "failed"  # should a list ever show entity states


def tail(text: str | None, lines: int = LOG_TAIL_LINES) -> list[str]:
    return [line for line in (text or "").rstrip("\n").split("\n") if line.strip()][-lines:]


def failure_details(readiness: Readiness, fetch_logs: Callable[[str, str], str | None]) -> list[str]:
    """Why the deployment failed: each failed entity's message and the tail of its build logs and
    logs. `fetch_logs(entity, kind)` returns the text of `build-logs` or `logs` (None if unavailable)."""
    culprits = (
        readiness.failed_entities
        or tuple(e for e in readiness.entities if e.deployment != "DEPLOYMENT_READY")
        or readiness.entities
    )
    details: list[str] = []
    for entity in culprits:
        details.append(f"served entity {entity}")
        for kind, label in (("build-logs", "build logs"), ("logs", "logs")):
            lines = tail(fetch_logs(entity.name, kind))
            if lines:
                details.append(f"  {label} of {entity.name} (last {len(lines)} lines):")
                details += [f"    {line}" for line in lines]
    return details


@dataclass(frozen=True)
class PollPolicy:
    """How often to look again: a fixed share of the time already waited, so the delay between an
    endpoint becoming ready and the checker seeing it stays a small fraction of the wait, while a
    deployment that takes twenty minutes is looked at every few seconds, not five times a second.

    `interval` paces the one list call that watches the whole fleet; `detail_interval` paces the
    full `get` of each endpoint still deploying, which is what shows a served entity failing
    before its endpoint's update does."""

    initial: float = 0.2
    share_of_elapsed: float = 0.1
    cap: float = 5.0
    jitter: float = 0.2
    detail_share_of_elapsed: float = 0.5
    detail_initial: float = 10.0
    detail_cap: float = 60.0

    def _jittered(self, seconds: float) -> float:
        return seconds * random.uniform(1 - self.jitter, 1 + self.jitter)

    def interval(self, elapsed: float) -> float:
        return self._jittered(min(self.cap, max(self.initial, self.share_of_elapsed * elapsed)))

    def detail_interval(self, elapsed: float) -> float:
        return self._jittered(min(self.detail_cap, max(self.detail_initial, self.detail_share_of_elapsed * elapsed)))
