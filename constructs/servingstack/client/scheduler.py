"""Timed steps on a small pool of threads.

The fleet watcher's looks and each endpoint's full look and verification are steps; a step
schedules the next one with `at()`. Waiting holds no thread, so a few workers serve hundreds
of endpoints, and the number of requests in flight at once stays bounded (polite to the API).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

Step = Callable[[], None]


class Scheduler:
    def __init__(self, workers: int, stop: threading.Event):
        self._stop = stop
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="servingstack-check")
        self._due: list[tuple[float, int, Step]] = []
        self._order = itertools.count()
        self._running = 0
        self._changed = threading.Condition()

    def at(self, when: float, step: Step) -> None:
        """Run `step` on a worker at monotonic time `when` (or as soon as a worker is free after)."""
        with self._changed:
            heapq.heappush(self._due, (when, next(self._order), step))
            self._changed.notify()

    def _run(self, step: Step) -> None:
        try:
            if not self._stop.is_set():
                step()
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify()

    def run(self) -> None:
        """Dispatch due steps until none is scheduled or running, or the run is stopped.
        A KeyboardInterrupt reaches the caller (waits are short, so it is seen at once)."""
        with self._changed:
            while not self._stop.is_set():
                now = time.monotonic()
                while self._due and self._due[0][0] <= now:
                    _, _, step = heapq.heappop(self._due)
                    self._running += 1
                    self._pool.submit(self._run, step)
                if not self._due and self._running == 0:
                    return
                wait = self._due[0][0] - now if self._due else 0.5
                self._changed.wait(min(max(wait, 0.0), 0.5))

    def close(self, wait: bool = True) -> None:
        """Stop dispatching. With wait=False, in-flight requests are left to finish on their own."""
        with self._changed:
            self._due.clear()
        self._pool.shutdown(wait=wait, cancel_futures=True)
