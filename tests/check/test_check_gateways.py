"""What sits between the checker and a workspace, through a real proxy in front of the emulator:
every transient 5xx is retried, a 502 HTML page included; an answer that is not JSON is reported
as what it is (status, content type, excerpt), never as a JSON decode error; and a server that
answers one byte at a time cannot hold the run past its `--timeout`, from the first byte on
(discovery, the first list call, the queries)."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from check_support import CHAT, TOKEN, deploy, write_stack
from gateway import HTML_502, Gateway
from servingstack.check import ConfigurationError, run_check
from servingstack.cli.check import check

pytestmark = pytest.mark.timeout(120)

QUERY = "/serving-endpoints/demo-chat/invocations"
LIST = "/api/2.0/serving-endpoints"
UPSTREAM_RESET = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
LOGIN_PAGE = "<html><head><title>Sign in</title></head><body><form>Single sign-on</form></body></html>"
TIMEOUT = 3.0
SLACK = 1.0


@pytest.fixture
def gateway(emu):
    with Gateway(emu.url) as proxy:
        yield proxy


def checked(gateway, tmp_path, timeout=20.0):
    stack = write_stack(tmp_path, chat=CHAT)
    return run_check(stack, host=gateway.url, token=TOKEN, timeout=timeout, progress="none")


def test_a_502_html_page_on_a_query_is_retried_until_the_endpoint_answers(emu, gateway, tmp_path):
    deploy(emu, write_stack(tmp_path, chat=CHAT))
    gateway.inject(2, 502, HTML_502, "text/html", QUERY, "Bad Gateway")
    report = checked(gateway, tmp_path)
    assert report.exit_code == 0, report.endpoints[0].query.message
    assert gateway.left() == 0  # both pages were answered, and the query was sent again


def test_a_502_html_page_that_never_ends_is_reported_as_what_it_is(emu, gateway, tmp_path):
    deploy(emu, write_stack(tmp_path, chat=CHAT))
    gateway.inject(1000, 502, HTML_502, "text/html", QUERY, "Bad Gateway")
    report = checked(gateway, tmp_path, timeout=4)
    query = report.endpoints[0].query
    assert query.status == "fail"
    assert '502 Bad Gateway (text/html), not JSON: "502 Bad Gateway 502 Bad Gateway nginx"' in query.message
    assert "gave up after" in query.message  # retried, as a transient error
    for wrong in ("JSONDecodeError", "Expecting value", "unable to parse response", "likely a bug"):
        assert wrong not in query.message


def test_a_login_page_with_status_200_is_not_json_and_not_retried(emu, gateway, tmp_path):
    deploy(emu, write_stack(tmp_path, chat=CHAT))
    gateway.inject(1000, 200, LOGIN_PAGE, "text/html; charset=utf-8", QUERY, "OK")
    report = checked(gateway, tmp_path)
    query = report.endpoints[0].query
    assert query.status == "fail"
    assert query.message == 'query failed: 200 OK (text/html), not JSON: "Sign in Single sign-on"'
    assert gateway.left() == 999  # the one query was not sent again


def test_a_plain_text_503_from_a_proxy_on_the_control_plane_is_retried(emu, gateway, tmp_path):
    deploy(emu, write_stack(tmp_path, chat=CHAT))
    gateway.inject(2, 503, UPSTREAM_RESET, "text/plain", LIST, "Service Unavailable")
    assert checked(gateway, tmp_path).exit_code == 0
    assert gateway.left() == 0


@pytest.mark.parametrize(
    "status, reason, body, content_type, expected",
    [
        (502, "Bad Gateway", HTML_502, "text/html", "502 Bad Gateway, not a JSON error: 502 Bad Gateway"),
        (
            503,
            "Service Unavailable",
            UPSTREAM_RESET,
            "text/plain",
            f'503 Service Unavailable, not JSON: "{UPSTREAM_RESET}"',
        ),
        (200, "OK", LOGIN_PAGE, "text/html", 'a 2xx answer, not JSON: "Sign in Single sign-on"'),
    ],
)
def test_the_first_list_call_names_what_answered(emu, gateway, tmp_path, status, reason, body, content_type, expected):
    gateway.inject(1000, status, body, content_type, LIST, reason)
    with pytest.raises(ConfigurationError) as raised:
        checked(gateway, tmp_path, timeout=3)
    message = str(raised.value)
    assert expected in message, message
    assert "likely a bug" not in message and "Expecting value" not in message


def test_the_command_says_it_in_one_line(emu, gateway, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    gateway.inject(1000, 200, LOGIN_PAGE, "text/html", LIST, "OK")
    result = CliRunner().invoke(
        check, ["--stack", str(stack), "--host", gateway.url, "--token", TOKEN, "--timeout", "3"]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "not JSON" in result.output, result.output


# Slow-loris: a byte every 0.2 s keeps each socket read inside any per-read timeout ------------------


@pytest.mark.parametrize(
    "slow, during",
    [
        # Everything: the checker's own look at the host, at the discovery path the SDK asks next.
        ("/", "the first connection"),
        (LIST, "the first call"),  # the SDK's discovery answers; the first list call does not finish
    ],
)
def test_a_byte_at_a_time_cannot_hold_the_run_past_its_deadline(emu, gateway, tmp_path, slow, during):
    deploy(emu, write_stack(tmp_path, chat=CHAT))
    gateway.slow_paths.append(slow)
    stack = write_stack(tmp_path, chat=CHAT)
    started = time.monotonic()
    result = CliRunner().invoke(
        check, ["--stack", str(stack), "--host", gateway.url, "--token", TOKEN, "--timeout", str(TIMEOUT)]
    )
    seconds = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert f"no complete answer from {gateway.url} within {TIMEOUT:g} s" in result.output
    assert during in result.output
    assert seconds < TIMEOUT + SLACK


def test_a_query_answered_a_byte_at_a_time_is_cut_off_at_the_deadline(emu, gateway, tmp_path):
    deploy(emu, write_stack(tmp_path, chat=CHAT))
    gateway.slow_paths.append("/serving-endpoints/")
    started = time.monotonic()
    report = checked(gateway, tmp_path, timeout=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT + SLACK
    assert report.endpoints[0].ready.status == "pass"
    assert report.endpoints[0].query.message == f"not finished within the {TIMEOUT:g} s timeout"
