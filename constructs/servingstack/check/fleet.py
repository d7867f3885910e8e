"""One list call watches every endpoint still deploying.

`GET /api/2.0/serving-endpoints` shows the state of every endpoint at once, so waiting on a
fleet costs one request per look, not one per endpoint. The list holds no pending config and
no entity states, so it only decides when an endpoint deserves a full `get`: when it looks
done or failed, when it is missing from the list, and every `PollPolicy.detail_interval` for
an endpoint still deploying (a served entity can fail before its endpoint's update does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from databricks.sdk import WorkspaceClient

from servingstack.check.readiness import PollPolicy, worth_a_closer_look
from servingstack.client.retry import Deadline, describe_error, is_transient, retry_after, unwrap


class Watched(Protocol):
    name: str
    last_detail: float

    def poll(self) -> None:
        """Take a full look (runs on a worker)."""

    def glance(self, text: str) -> None:
        """What the list says about it, for progress."""

    def note_error(self, text: str) -> None: ...


class FleetWatcher:
    def __init__(
        self,
        client: WorkspaceClient,
        deadline: Deadline,
        started: float,
        policy: PollPolicy,
        schedule: Callable[[float, Callable[[], None]], None],
    ):
        self._client = client
        self._deadline = deadline
        self._started = started
        self._policy = policy
        self._schedule = schedule
        self._waiting: dict[str, Watched] = {}
        self._lock = threading.Lock()
        self._scheduled = False
        self.looks = 0

    def watch(self, endpoint: Watched, *, at_least: float = 0.0) -> None:
        """Keep an eye on `endpoint` until it deserves a full look."""
        with self._lock:
            self._waiting[endpoint.name] = endpoint
            self._schedule_next(at_least)

    def _schedule_next(self, at_least: float = 0.0) -> None:
        # Called with the lock held.
        if self._scheduled or not self._waiting:
            return
        now = time.monotonic()
        delay = 0.0 if self.looks == 0 else max(at_least, self._policy.interval(now - self._started))
        self._scheduled = True
        self._schedule(min(now + delay, self._deadline.at), self.look)

    def _hand_off(self, endpoints: list[Watched]) -> None:
        for endpoint in endpoints:
            self._schedule(time.monotonic(), endpoint.poll)

    def look(self) -> None:
        with self._lock:
            self._scheduled = False
            waiting = dict(self._waiting)
        if not waiting:
            return
        if self._deadline.expired():
            self._release(list(waiting.values()))  # a last full look each, then they time out
            return
        self.looks += 1
        try:
            listed = {item.name: item.as_dict() for item in self._client.serving_endpoints.list()}
        except Exception as raw:  # noqa: BLE001 - sorted below
            error = unwrap(raw)
            if not is_transient(error):
                self._release(list(waiting.values()))  # each full look reports the error as its own
                return
            for endpoint in waiting.values():
                endpoint.note_error(describe_error(error))
            with self._lock:
                self._schedule_next(at_least=retry_after(error) or 0.0)
            return
        now = time.monotonic()
        closer: list[Watched] = []
        for name, endpoint in waiting.items():
            summary: dict[str, Any] | None = listed.get(name)
            due = now - endpoint.last_detail >= self._policy.detail_interval(now - self._started)
            if summary is None or worth_a_closer_look(summary) or due:
                closer.append(endpoint)
            else:
                state = summary.get("state") or {}
                endpoint.glance(f"{state.get('ready') or '?'}/{state.get('config_update') or '?'}")
        self._release(closer)
        with self._lock:
            self._schedule_next()

    def _release(self, endpoints: list[Watched]) -> None:
        with self._lock:
            for endpoint in endpoints:
                self._waiting.pop(endpoint.name, None)
        self._hand_off(endpoints)
