"""Live progress while the checker waits: a rich progress display on a terminal, plain
timestamped lines in CI logs (not a TTY, or `CI` set), or nothing.

Progress is called from worker threads; each implementation serialises its own output.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Protocol

from servingstack.check.results import AppResult, EndpointResult
from servingstack.client.redact import Redactor

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress(Protocol):
    def start(self, stack: str, names: list[str]) -> None: ...

    def state(self, name: str, text: str) -> None:
        """A new state seen while waiting (called only when it changed)."""

    def finished(self, result: EndpointResult | AppResult) -> None: ...

    def stop(self) -> None: ...


def outcome_line(result: EndpointResult | AppResult) -> str:
    """One line per finished endpoint or app: its verdict and the first reason or the key figures."""
    if isinstance(result, AppResult):
        failed = next(((name, step) for name, step in result.steps.items() if step.failed), None)
        if failed is not None:
            return f"app {result.name}: FAIL {failed[0]}: {failed[1].message}"
        if result.status == "pass":
            after = result.running_after_seconds
            return f"app {result.name}: PASS" + (f" (running after {after:.1f} s)" if after is not None else "")
        return f"app {result.name}: {result.status.upper()}"
    if result.status == "pass":
        parts = []
        if result.ready_after_seconds is not None:
            parts.append(f"ready after {result.ready_after_seconds:.1f} s")
        stats = result.query_stats
        if stats and stats.p50_ms is not None:
            parts.append(f"query p50 {stats.p50_ms:.0f} ms")
        notes = f" ({', '.join(parts)})" if parts else ""
        return f"{result.name}: PASS{notes}"
    for step_name, step in result.steps.items():
        if step.failed:
            return f"{result.name}: FAIL {step_name}: {step.message}"
    return f"{result.name}: {result.status.upper()}"


class NoProgress:
    def start(self, stack: str, names: list[str]) -> None:
        pass

    def state(self, name: str, text: str) -> None:
        pass

    def finished(self, result: EndpointResult | AppResult) -> None:
        pass

    def stop(self) -> None:
        pass


class PlainProgress:
    """`[  1.2s] name: state` lines, one per change."""

    def __init__(self, stream: IO[str] | None = None, redactor: Redactor | None = None):
        self._stream = stream or sys.stderr
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def _line(self, text: str) -> None:
        with self._lock:
            elapsed = time.monotonic() - self._started
            self._stream.write(self._redactor.clean(f"[{elapsed:6.1f}s] {text}") + "\n")
            self._stream.flush()

    def start(self, stack: str, names: list[str]) -> None:
        self._started = time.monotonic()
        apps = sum(1 for name in names if name.startswith("app "))
        endpoints = len(names) - apps
        what = f"{endpoints} endpoint{'s' if endpoints != 1 else ''}"
        what += f" and {apps} app{'s' if apps != 1 else ''}" if apps else ""
        self._line(f"checking {what} of stack {stack}")

    def state(self, name: str, text: str) -> None:
        self._line(f"{name}: {text}")

    def finished(self, result: EndpointResult | AppResult) -> None:
        self._line(outcome_line(result))

    def stop(self) -> None:
        pass


class RichProgress:
    """A bar of finished endpoints, the latest state in its description, a line per verdict."""

    def __init__(self, stream: IO[str] | None = None, redactor: Redactor | None = None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._redactor = redactor or Redactor()
        self._console = Console(file=stream or sys.stderr)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._lock = threading.Lock()

    def start(self, stack: str, names: list[str]) -> None:
        self._progress.start()
        self._task = self._progress.add_task(f"stack {stack}", total=len(names))

    def _started_task(self) -> TaskID:
        assert self._task is not None, "the checker calls start() before any state or verdict"
        return self._task

    def state(self, name: str, text: str) -> None:
        with self._lock:
            self._progress.update(self._started_task(), description=self._redactor.clean(f"{name}: {text}")[:80])

    def finished(self, result: EndpointResult | AppResult) -> None:
        style = "green" if result.status == "pass" else "red"
        with self._lock:
            self._progress.console.print(
                self._redactor.clean(outcome_line(result)), style=style, markup=False, highlight=False
            )
            self._progress.advance(self._started_task())

    def stop(self) -> None:
        self._progress.stop()


def choose(mode: str = "auto", stream: IO[str] | None = None, redactor: Redactor | None = None) -> Progress:
    """`auto`: rich on an interactive terminal outside CI, plain lines otherwise."""
    stream = stream or sys.stderr
    if mode == "auto":
        interactive = hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("CI")
        mode = "rich" if interactive else "plain"
    if mode == "rich":
        return RichProgress(stream, redactor)
    if mode == "plain":
        return PlainProgress(stream, redactor)
    if mode == "none":
        return NoProgress()
    raise ValueError(f"progress must be auto, rich, plain or none, not {mode!r}")
