"""SIGTERM handled like Ctrl-C: a cancelled CI job (which sends SIGTERM) keeps what is known.

While armed, SIGTERM raises `Terminated` (a `KeyboardInterrupt`) in the main thread, so the
checker stops the way Ctrl-C stops it, marks the report interrupted and writes it. Disarmed
(while reports are written), a signal is only remembered: the files are finished first.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_SIGINT = 130  # 128 + SIGINT, the shell's convention
EXIT_SIGTERM = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while the check ran."""


class SignalWatch:
    def __init__(self) -> None:
        self.received: int | None = None
        self.armed = False

    @property
    def exit_code(self) -> int:
        """The exit code of an interrupted run: 143 after SIGTERM, else 130."""
        return EXIT_SIGTERM if self.received == signal.SIGTERM else EXIT_SIGINT

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.received = signum
        if self.armed:
            raise Terminated()

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.received = signum
        if self.armed:
            raise KeyboardInterrupt()

    @contextmanager
    def installed(self) -> Iterator[SignalWatch]:
        """Handle SIGTERM and SIGINT until the block ends (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {
            signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_sigterm),
            signal.SIGINT: signal.signal(signal.SIGINT, self._on_sigint),
        }
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    @contextmanager
    def arm(self) -> Iterator[None]:
        """Within the block, a signal interrupts the run."""
        self.armed = True
        try:
            yield
        finally:
            self.armed = False


# The scheduler's worker threads (check/scheduler.py names them so).
WORKER_PREFIX = "servingstack-check"


def leave_without_stragglers(code: int) -> None:
    """End the process now when check workers still run: requests cut off at the deadline (or by
    Ctrl-C) would otherwise hold the exit for up to one HTTP timeout, as Python joins its worker
    threads. Called at the very end, after every report is printed and written; a no-op otherwise."""
    if not any(t.name.startswith(WORKER_PREFIX) and t.is_alive() for t in threading.enumerate()):
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
