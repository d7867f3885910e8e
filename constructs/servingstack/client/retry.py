"""Deadlines, backoff and the one retry loop of the checker.

The SDK retries 429, 503 and dropped connections on its own, sleeping out `Retry-After`
for up to `retry_timeout_seconds`, with no notion of the check's overall deadline. The
checker takes that decision back: its client is built with `HandBackClock`, whose
`sleep` raises instead of sleeping, so every transient error reaches `call_with_retry`
here at once, which waits (honouring `Retry-After`) only while the deadline allows.

Transient: 429, every 5xx but 501 (a gateway's 502 with an HTML page included, whatever the
SDK made of its body), dropped, refused or timed-out connections.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TypeVar

import requests
from databricks.sdk.clock import RealClock
from databricks.sdk.errors import (
    DatabricksError,
    DeadlineExceeded,
    InternalError,
    TemporarilyUnavailable,
    TooManyRequests,
)

from servingstack.client.answers import NotJsonAnswer, not_json_from_sdk
from servingstack.client.answers import http_status as _http_status

T = TypeVar("T")


class Interrupted(Exception):
    """The run was stopped (Ctrl-C) while a step waited."""


class RetriesExhausted(Exception):
    """Transient errors went on until the deadline: carries the last one."""

    def __init__(self, last_error: BaseException, attempts: int):
        self.last_error = last_error
        self.attempts = attempts
        super().__init__(
            f"gave up after {attempts} attempt{'s' if attempts != 1 else ''}: {describe_error(last_error)}"
        )


class _SdkRetryHandedBack(Exception):
    """Raised by `HandBackClock.sleep` inside the SDK's retry loop; the SDK's error is its context."""


class HandBackClock(RealClock):
    """A clock for `Config(clock=...)` that refuses to sleep, ending the SDK's retries at once."""

    def sleep(self, seconds: float) -> None:
        raise _SdkRetryHandedBack(seconds)


def unwrap(error: BaseException) -> BaseException:
    """The error the server (or the network) actually gave, without the SDK's retry wrappers."""
    seen = 0
    while seen < 5:
        seen += 1
        if isinstance(error, _SdkRetryHandedBack) and error.__context__ is not None:
            error = error.__context__
        elif isinstance(error, TimeoutError) and isinstance(error.__cause__, Exception):
            error = error.__cause__  # the SDK's own retry budget ran out first
        else:
            break
    return error


def is_transient(error: BaseException) -> bool:
    """Worth another try: throttling, server errors, dropped or timed-out connections."""
    if isinstance(error, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return True
    if isinstance(error, (TooManyRequests, TemporarilyUnavailable, InternalError, DeadlineExceeded)):
        return True
    if isinstance(error, NotJsonAnswer):
        return error.transient
    if isinstance(error, DatabricksError):
        status = _http_status(error)
        if status is not None and status >= 500 and status != 501:
            return True  # e.g. 502 Bad Gateway, which the SDK maps to no class of its own
        return getattr(error, "retry_after_secs", None) is not None
    return False


def retry_after(error: BaseException) -> float | None:
    value = getattr(error, "retry_after_secs", None)
    return float(value) if value is not None else None


def describe_error(error: BaseException) -> str:
    """One line for a person: the kind of failure and the server's message."""
    error = unwrap(error)
    if isinstance(error, RetriesExhausted):
        return str(error)
    if isinstance(error, requests.Timeout):
        return "request timed out"
    if isinstance(error, requests.ConnectionError):
        return "connection failed (dropped or refused)"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "connection dropped mid-response"
    not_json = not_json_from_sdk(error)
    if not_json is not None:
        return str(not_json)
    if isinstance(error, DatabricksError):
        status = http_status(error)
        if type(error) is DatabricksError and status is not None and error.error_code == HTTPStatus(status).name:
            # The SDK read an HTML page's title (or <pre>) and named the code after the reason phrase.
            return f"{status} {HTTPStatus(status).phrase}, not a JSON error: {str(error).splitlines()[0][:160]}"
        code = f"{error.error_code}: " if error.error_code else ""
        kind = f"{status} {type(error).__name__}" if status else type(error).__name__
        message = str(error).split("\n")[0]
        return f"{kind} ({code}{message})" if message else kind
    return f"{type(error).__name__}: {error}"


def http_status(error: BaseException) -> int | None:
    """The HTTP status behind an error (the SDK keeps the class, not the status)."""
    return _http_status(error)


class Deadline:
    """One point in (monotonic) time shared by every step of a run."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at


@dataclass
class Backoff:
    """Exponential backoff with +/-20% jitter, so many clients do not call in step."""

    initial: float = 0.2
    factor: float = 2.0
    cap: float = 5.0
    _next: float = 0.0

    def next(self) -> float:
        self._next = self.initial if self._next == 0 else min(self.cap, self._next * self.factor)
        return self._next * random.uniform(0.8, 1.2)


def wait(stop: threading.Event | None, seconds: float) -> None:
    """Sleep, waking at once when the run is stopped."""
    if seconds <= 0:
        return
    if stop is None:
        time.sleep(seconds)
    elif stop.wait(seconds):
        raise Interrupted()


def call_with_retry(
    call: Callable[[], T],
    deadline: Deadline,
    *,
    stop: threading.Event | None = None,
    on_retry: Callable[[BaseException, float], None] | None = None,
    backoff: Backoff | None = None,
) -> T:
    """`call()` until it succeeds, a non-transient error occurs (raised unwrapped), or the next
    wait would pass the deadline (`RetriesExhausted`). It always makes at least one attempt."""
    backoff = backoff or Backoff()
    attempts = 0
    while True:
        if stop is not None and stop.is_set():
            raise Interrupted()
        attempts += 1
        try:
            return call()
        except Exception as raw:  # noqa: BLE001 - sorted into transient or not just below
            error = unwrap(raw)
            if not is_transient(error):
                if error is raw:
                    raise
                raise error from None
            delay = max(retry_after(error) or 0.0, backoff.next())
            if delay > deadline.remaining():
                raise RetriesExhausted(error, attempts) from None
            if on_retry is not None:
                on_retry(error, delay)
            wait(stop, delay)


class DeadlineReached(Exception):
    """`within` gave up waiting: the call still runs (its thread is left behind, a daemon)."""


def within(deadline: Deadline, call: Callable[[], T], name: str, grace: float = 0.0) -> T:
    """`call()` on a thread of its own, waited for only until `deadline` (and `grace` seconds, for
    a call that ends at the deadline by itself to say why): the one hard bound on calls that no
    timeout of theirs bounds (a server that answers a byte at a time keeps every socket read
    short). Its result or error comes back here; past the deadline, `DeadlineReached`."""
    outcome: list[tuple[bool, object]] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            outcome.append((False, error))
        finally:
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    if not done.wait(deadline.remaining() + grace):
        raise DeadlineReached()
    ok, value = outcome[0]
    if not ok:
        assert isinstance(value, BaseException)
        raise value
    return value  # type: ignore[return-value]  # `call`'s own result
