"""SIGTERM handled like Ctrl-C: a cancelled CI job (which sends SIGTERM) keeps what is known.

While armed, SIGTERM raises `Terminated` (a `KeyboardInterrupt`) in the main thread, so the
checker stops the way Ctrl-C stops it, marks the report interrupted and writes it. Disarmed
(while reports are written), a signal is only remembered: the files are finished first.

`servingstack check` installs its watch the moment the command is chosen (`watch_from_start`,
before its module and the SDK are imported), disarmed: a signal in the first instants (reading
the options, clearing the previous run's reports) is remembered, and arming raises it at once.
A remembered signal decides the exit code (143 or 130) whatever the run did after it.
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
        self.for_the_process = False  # installed by `watch_from_start`, kept until the process ends

    @property
    def exit_code(self) -> int:
        """The exit code of an interrupted run: 143 after SIGTERM, else 130."""
        return EXIT_SIGTERM if self.received == signal.SIGTERM else EXIT_SIGINT

    def _interruption(self) -> KeyboardInterrupt:
        return Terminated() if self.received == signal.SIGTERM else KeyboardInterrupt()

    def _on_signal(self, signum: int, frame: object) -> None:
        self.received = signum
        if self.armed:
            self.armed = False  # one interruption per arming: the handler of the first one runs undisturbed
            raise self._interruption()

    @contextmanager
    def installed(self) -> Iterator[SignalWatch]:
        """Handle SIGTERM and SIGINT until the block ends (main thread only; elsewhere, or when
        installed for the whole process already, a no-op)."""
        if self.for_the_process or threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {
            signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_signal),
            signal.SIGINT: signal.signal(signal.SIGINT, self._on_signal),
        }
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    @contextmanager
    def arm(self) -> Iterator[None]:
        """Within the block, a signal interrupts the run; one that came before interrupts it at once."""
        if self.received is not None:
            raise self._interruption()
        self.armed = True
        try:
            yield
        finally:
            self.armed = False


_PROCESS_WATCH: SignalWatch | None = None


def watch_from_start() -> SignalWatch:
    """Install the process's watch now, disarmed, for the rest of the process (main thread only)."""
    global _PROCESS_WATCH
    if _PROCESS_WATCH is None and threading.current_thread() is threading.main_thread():
        watch = SignalWatch()
        signal.signal(signal.SIGTERM, watch._on_signal)
        signal.signal(signal.SIGINT, watch._on_signal)
        watch.for_the_process = True
        _PROCESS_WATCH = watch
    return _PROCESS_WATCH or SignalWatch()


def process_watch() -> SignalWatch | None:
    """The watch `watch_from_start` installed, if any."""
    return _PROCESS_WATCH


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
