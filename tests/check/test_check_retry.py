"""The retry loop: transient errors are retried (honouring Retry-After) inside the deadline,
others are raised at once, and the SDK's own retries are handed back to it."""

from __future__ import annotations

import pytest
import requests
from databricks.sdk.errors import InternalError, NotFound, TemporarilyUnavailable, TooManyRequests

from servingstack.client.retry import (
    Backoff,
    Deadline,
    HandBackClock,
    RetriesExhausted,
    _SdkRetryHandedBack,
    call_with_retry,
    unwrap,
)


def flaky(errors, result="ok"):
    remaining = list(errors)
    calls = []

    def call():
        calls.append(1)
        if remaining:
            raise remaining.pop(0)
        return result

    return call, calls


def test_transient_errors_are_retried_and_retry_after_is_honoured():
    call, calls = flaky(
        [
            TooManyRequests("slow down", retry_after_secs=0),
            requests.ConnectionError("reset"),
            InternalError("boom"),
            TemporarilyUnavailable("later", retry_after_secs=0),
        ]
    )
    waits = []
    quick = Backoff(initial=0.01, cap=0.01)
    assert call_with_retry(call, Deadline(30), on_retry=lambda error, delay: waits.append(delay), backoff=quick) == "ok"
    assert len(calls) == 5 and len(waits) == 4

    call, _ = flaky([TooManyRequests("slow down", retry_after_secs=2)])
    with pytest.raises(RetriesExhausted) as raised:
        # Retry-After 2 s does not fit in a 1 s deadline: give up rather than retry early.
        call_with_retry(call, Deadline(1))
    assert isinstance(raised.value.last_error, TooManyRequests)
    assert "gave up after 1 attempt: 429 TooManyRequests" in str(raised.value)


def test_other_errors_are_raised_at_once():
    call, calls = flaky([NotFound("gone")])
    with pytest.raises(NotFound):
        call_with_retry(call, Deadline(30))
    assert len(calls) == 1


def test_sdk_retries_come_back_unwrapped():
    clock = HandBackClock()
    try:
        try:
            raise TooManyRequests("x", retry_after_secs=1)
        except TooManyRequests:
            clock.sleep(1.5)  # what the SDK's retry loop does inside its except block
    except _SdkRetryHandedBack as handed_back:
        assert isinstance(unwrap(handed_back), TooManyRequests)
    timeout = TimeoutError("Timed out after 0:00:01")
    timeout.__cause__ = InternalError("boom")
    assert isinstance(unwrap(timeout), InternalError)
