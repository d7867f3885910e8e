"""The plan reads through the checker's connection, retry and deadline helpers (`client/auth.connect`,
`client/retry.py`), behind a real proxy in front of the emulator: a 502 HTML page on a read is retried,
one that never ends is reported as what it is (not a JSON decode error), and a host that answers one
byte at a time cannot hold the run past its `--timeout`."""

from __future__ import annotations

import time

import pytest

from gateway import HTML_502, Gateway
from plan_support import TOKEN, baseline, deploy, finding, plan, write_stack
from servingstack.client.errors import ConfigurationError
from servingstack.plan.runner import run_plan

pytestmark = pytest.mark.timeout(120)
TIMEOUT = 3.0
SLACK = 1.0
FRAUD = "/api/2.0/serving-endpoints/demo-fraud"


@pytest.fixture
def gateway(emu):
    with Gateway(emu.url) as proxy:
        yield proxy


def planned(gateway, tmp_path, timeout: float = 20.0):
    return run_plan(write_stack(tmp_path, baseline()), host=gateway.url, token=TOKEN, timeout=timeout)


def test_a_502_html_page_on_a_read_is_retried(emu, gateway, tmp_path):
    deploy(emu, tmp_path, baseline())
    gateway.inject(2, 502, HTML_502, "text/html", FRAUD, "Bad Gateway")
    report = planned(gateway, tmp_path)
    assert gateway.left() == 0 and report.exit_code() == 0  # both pages answered, the read sent again
    assert report.counts() == plan(emu, tmp_path, baseline()).counts()


def test_a_read_that_only_gets_502_pages_is_reported_as_what_it_is(emu, gateway, tmp_path):
    deploy(emu, tmp_path, baseline())
    gateway.inject(1000, 502, HTML_502, "text/html", FRAUD, "Bad Gateway")
    report = planned(gateway, tmp_path, timeout=4)
    unread = finding(report, "unread", "demo-fraud")
    assert "gave up after" in unread.message  # retried, as a transient error
    assert "502 Bad Gateway, not a JSON error: 502 Bad Gateway" in unread.message
    assert "JSONDecodeError" not in unread.message and report.exit_code() == 1


def test_a_byte_at_a_time_cannot_hold_the_plan_past_its_deadline(emu, gateway, tmp_path):
    gateway.slow_paths.append("/")
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match=rf"no complete answer from .* within {TIMEOUT:g} s"):
        planned(gateway, tmp_path, timeout=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + SLACK
