"""The checker's promises under bad input and faults: one hard deadline from the first connection
attempt, an accurate message for each way a host can fail, reports that are never lost (checked
before any waiting, written each on its own, written when interrupted or terminated), and no
credential in any output.

Hosts that fail are made on this machine: a port nothing listens on, a listening socket on
127.0.0.1 that never accepts nor answers, and a name under `.invalid` (RFC 6761: never resolves).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from check_support import CHAT, TOKEN, deploy, schema_errors, write_stack
from servingstack.check import UsageError, report_json, run_check
from servingstack.check.report_json import SCHEMA
from servingstack.cli.check import check

pytestmark = pytest.mark.timeout(120)

TIMEOUT = 3.0
# The bound: every run ends within its --timeout plus one second.
SLACK = 1.0


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A host that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def refusing_host() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again: connections are refused


UNRESOLVABLE = "https://servingstack-check-test.invalid"


def run_cli(*args: str) -> tuple[object, float]:
    started = time.monotonic()
    result = CliRunner().invoke(check, list(args))
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    "which, message",
    [
        ("refusing_host", "connection refused by 127.0.0.1:"),
        ("silent_host", "no answer from http://127.0.0.1:"),
        ("unresolvable", "cannot resolve host servingstack-check-test.invalid"),
    ],
)
def test_each_unreachable_host_ends_within_the_timeout_with_its_own_message(which, message, request, tmp_path):
    host = UNRESOLVABLE if which == "unresolvable" else request.getfixturevalue(which)
    stack = write_stack(tmp_path, chat=CHAT)
    result, seconds = run_cli("--stack", str(stack), "--host", host, "--token", TOKEN, "--timeout", str(TIMEOUT))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert seconds < TIMEOUT + SLACK
    assert TOKEN not in result.output and "Traceback" not in result.output


def test_the_api_raises_the_same_messages_inside_the_deadline(silent_host, tmp_path):
    from servingstack.check import ConfigurationError

    stack = write_stack(tmp_path, chat=CHAT)
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match="no answer from"):
        run_check(stack, host=silent_host, token=TOKEN, timeout=TIMEOUT, progress="none")
    assert time.monotonic() - started < TIMEOUT + SLACK


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "0", "-3"])
def test_non_finite_or_non_positive_timeouts_are_refused(value, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    result, _ = run_cli("--stack", str(stack), "--host", "http://127.0.0.1:9", "--timeout", value)
    assert result.exit_code == 2
    assert "--timeout" in result.output and "positive, finite number of seconds" in result.output
    for bad in (float("nan"), float("inf")):
        with pytest.raises(UsageError, match="finite"):
            run_check(stack, host="http://127.0.0.1:9", token=TOKEN, timeout=bad, progress="none")


def test_a_url_without_scheme_is_refused_with_the_fix(tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    result, _ = run_cli("--stack", str(stack), "--host", "adb-123.azuredatabricks.net", "--token", TOKEN)
    assert result.exit_code == 2
    assert "needs a scheme, e.g. https://adb-123.azuredatabricks.net" in result.output


def test_credentials_in_a_url_are_refused_and_never_shown(tmp_path, monkeypatch):
    stack = write_stack(tmp_path, chat=CHAT)
    result, _ = run_cli("--stack", str(stack), "--host", "https://alice:pw-Hunter2-secret@ws.example.com")
    assert result.exit_code == 2
    assert "credentials in the URL are refused" in result.output and "pw-Hunter2-secret" not in result.output
    monkeypatch.setenv("DATABRICKS_HOST", "https://alice:pw-Hunter2-secret@ws.example.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    from_env, _ = run_cli("--stack", str(stack), "--timeout", "2")
    assert from_env.exit_code == 2
    assert "credentials in the URL are refused" in from_env.output and "pw-Hunter2-secret" not in from_env.output


def test_an_unwritable_report_path_is_exit_2_before_any_request(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    (tmp_path / "a-file").write_text("not a directory")
    emu.reset_request_count()
    for option, path in (
        ("--json", tmp_path / "a-file" / "check.json"),
        ("--junit", tmp_path),
        ("--summary", tmp_path / "a-file" / "x" / "summary.md"),
    ):
        result, seconds = run_cli(
            "--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--timeout", "60", option, str(path)
        )
        assert result.exit_code == 2, result.output
        assert option in result.output and str(path) in result.output and "Traceback" not in result.output
    assert emu.request_count() == 0  # nothing was asked of the workspace, nothing waited


def test_a_report_that_fails_at_the_end_hides_neither_the_result_nor_the_other_reports(emu, tmp_path, monkeypatch):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)

    def disk_full(report, path, redactor=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_json, "write", disk_full)
    junit, summary = tmp_path / "out" / "junit.xml", tmp_path / "out" / "summary.md"
    args = [
        "--stack",
        str(stack),
        "--host",
        emu.url,
        "--token",
        TOKEN,
        "--timeout",
        "10",
        "--json",
        str(tmp_path / "out" / "check.json"),
        "--junit",
        str(junit),
        "--summary",
        str(summary),
    ]
    passed, _ = run_cli(*args)
    assert passed.exit_code == 3, passed.output
    assert "No space left on device" in passed.output and "every endpoint passed" in passed.output
    assert junit.is_file() and "demo-chat" in summary.read_text()
    emu.fail_deployment(endpoint="demo-chat")
    emu.workspace.endpoints.delete("demo-chat")
    deploy(emu, stack)
    failed, _ = run_cli(*args)
    assert failed.exit_code == 4 and "an endpoint failed" in failed.output
    assert "❌" in summary.read_text()


class InterruptAfter:
    """Presses Ctrl-C after a delay: a real SIGINT to the main thread, which interrupts the
    system call it waits in, as a terminal's Ctrl-C does."""

    def __init__(self, seconds: float):
        main = threading.main_thread().ident
        self.timer = threading.Timer(seconds, lambda: signal.pthread_kill(main, signal.SIGINT))

    def __enter__(self):
        self.timer.start()

    def __exit__(self, *exc):
        self.timer.cancel()


def test_ctrl_c_before_the_first_answer_still_returns_a_report(silent_host, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    with InterruptAfter(0.5):
        report = run_check(stack, host=silent_host, token=TOKEN, timeout=30, progress="none")
    assert report.interrupted and report.exit_code == 130
    assert [e.ready.message for e in report.endpoints] == ["not checked: interrupted"]
    assert all(step.status == "pending" for step in report.endpoints[0].steps.values())
    assert schema_errors(report.to_dict(), SCHEMA) == []


def test_ctrl_c_before_the_first_answer_still_writes_every_report(silent_host, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    out = tmp_path / "out"
    with InterruptAfter(0.5):
        result, seconds = run_cli(
            "--stack",
            str(stack),
            "--host",
            silent_host,
            "--token",
            TOKEN,
            "--timeout",
            "30",
            "--json",
            str(out / "check.json"),
            "--junit",
            str(out / "junit.xml"),
            "--summary",
            str(out / "summary.md"),
        )
    assert result.exit_code == 130, result.output
    document = json.loads((out / "check.json").read_text())
    assert document["status"] == "interrupted"
    assert document["endpoints"][0]["steps"]["ready"]["message"] == "not checked: interrupted"
    assert "not checked: interrupted" in (out / "junit.xml").read_text()
    assert "interrupted" in (out / "summary.md").read_text()
    assert "Traceback" not in result.output


def test_sigterm_is_handled_like_ctrl_c_and_exits_143(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    emu.never_ready(endpoint="demo-chat")
    deploy(emu, stack)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "servingstack.cli",
            "check",
            "--stack",
            str(stack),
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "--timeout",
            "60",
            "--json",
            str(out / "check.json"),
            "--junit",
            str(out / "junit.xml"),
            "--summary",
            str(out / "summary.md"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "CI"},
    )
    try:
        seen = ""
        while "NOT_READY" not in seen:  # plain progress lines: the run is waiting now
            line = process.stdout.readline()
            assert line, f"the check ended early: {seen}"
            seen += line
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = seen + rest
    assert process.returncode == 143, output
    assert "Traceback" not in output and TOKEN not in output
    document = json.loads((out / "check.json").read_text())
    assert document["status"] == "interrupted" and document["interrupted"] is True
    assert document["endpoints"][0]["steps"]["ready"]["message"].startswith("interrupted; last state seen: NOT_READY")
    assert (out / "junit.xml").is_file() and (out / "summary.md").is_file()


def test_the_deadline_bounds_the_whole_run_even_a_query_that_hangs(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    emu.slow(60, scope="query")
    started = time.monotonic()
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=TIMEOUT, progress="none")
    assert time.monotonic() - started < TIMEOUT + SLACK
    endpoint = report.endpoints[0]
    assert endpoint.ready.status == "pass" and endpoint.query.status == "fail"
    assert endpoint.query.message == f"not finished within the {TIMEOUT:g} s timeout"
    assert report.exit_code == 1


def test_token_shaped_strings_from_the_server_are_redacted_everywhere(emu, tmp_path):
    leaked = "dapi" + "0123456789abcdef" * 2
    stack = write_stack(tmp_path, chat=CHAT)
    emu.fail_deployment(
        endpoint="demo-chat",
        message=f"pip install failed: index https://tok:{leaked}@pypi.corp answered 401 for Bearer {leaked}",
    )
    deploy(emu, stack)
    out = tmp_path / "out"
    result, _ = run_cli(
        "--stack",
        str(stack),
        "--host",
        emu.url,
        "--token",
        TOKEN,
        "--timeout",
        "10",
        "--json",
        str(out / "check.json"),
        "--junit",
        str(out / "junit.xml"),
        "--summary",
        str(out / "summary.md"),
    )
    assert result.exit_code == 1
    assert "pip install failed" in result.output  # the reason is still shown, only the secret goes
    for text in (result.output, *(p.read_text() for p in out.iterdir())):
        assert leaked not in text and TOKEN not in text


def test_the_process_does_not_wait_for_requests_cut_off_at_the_deadline():
    """A worker still in a request (the scheduler's thread names) must not hold the exit."""
    code = (
        "import sys, threading, time\n"
        "threading.Thread(target=time.sleep, args=(120,), name='servingstack-check_0').start()\n"
        "import servingstack.client.signals\n"
        "from servingstack.cli import main\n"
        "sys.argv = ['servingstack', '--version']\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "version" in result.stdout


def test_a_cut_off_check_prints_and_writes_everything_before_it_leaves(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    emu.slow(60, scope="query")
    report = tmp_path / "check.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "servingstack.cli",
            "check",
            "--stack",
            str(stack),
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "--timeout",
            "3",
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not finished within the 3 s timeout" in result.stdout
    assert json.loads(report.read_text())["endpoints"][0]["steps"]["query"]["status"] == "fail"
