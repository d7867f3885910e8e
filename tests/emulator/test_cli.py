"""`servingstack emulator serve` as a real process: URL, token handling, signals, bad input."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

pytestmark = pytest.mark.timeout(60)


def start_serve(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, str]:
    """Start `serve`, read the lines it prints before serving; return (process, url, banner)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "servingstack.cli", "emulator", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    first = process.stdout.readline()
    banner = first + process.stdout.readline()
    if not first.startswith("servingstack emulator listening on http://127.0.0.1:"):
        process.kill()
        pytest.fail(f"serve did not print its URL: {banner!r}")
    return process, first.split()[-1], banner


def stop(process: subprocess.Popen, signum: int = signal.SIGTERM) -> str:
    try:
        process.send_signal(signum)
        rest, _ = process.communicate(timeout=20)
        return rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_its_url_answers_and_stops_cleanly(signum):
    process, url, banner = start_serve("--port", "0", "--token", "cli-secret-token", "--deploy-seconds", "0")
    try:
        assert "cli-secret-token" not in banner
        # Host metadata names the OAuth server, as the SDK needs for OAuth clients; no token needed.
        assert requests.get(f"{url}/.well-known/databricks-config", timeout=5).json()["oidc_endpoint"] == f"{url}/oidc"
        denied = requests.get(f"{url}/api/2.0/serving-endpoints", timeout=5)
        assert denied.status_code == 401
        ok = requests.get(
            f"{url}/api/2.0/serving-endpoints", headers={"Authorization": "Bearer cli-secret-token"}, timeout=5
        )
        assert ok.json() == {"endpoints": []}
    finally:
        rest = stop(process, signum)
    assert process.returncode == 0
    assert "servingstack emulator stopped" in rest
    assert "Traceback" not in rest and "cli-secret-token" not in rest


def test_serve_takes_the_token_from_the_environment_and_faults_from_options():
    process, url, banner = start_serve(
        "--fault",
        "throttle:count=1,retry_after=3,scope=control",
        "--seed",
        "1",
        env={"SERVINGSTACK_EMULATOR_TOKEN": "env-secret-token"},
    )
    try:
        assert "env-secret-token" not in banner
        headers = {"Authorization": "Bearer env-secret-token"}
        throttled = requests.get(f"{url}/api/2.0/serving-endpoints", headers=headers, timeout=5)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
        assert requests.get(f"{url}/api/2.0/serving-endpoints", headers=headers, timeout=5).status_code == 200
    finally:
        stop(process)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--port", "70000"), "--port"),
        (("--deploy-seconds", "-1"), "--deploy-seconds"),
        (("--fault", "meteor"), "kind"),
        (("--fault", "throttle:count=2,scope=sideways"), "scope"),
    ],
)
def test_serve_rejects_bad_input_with_exit_2(args, message):
    result = subprocess.run(
        [sys.executable, "-m", "servingstack.cli", "emulator", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_busy_port_says_so():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "servingstack.cli", "emulator", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_fault_help_needs_no_url_but_a_fault_does():
    env = {k: v for k, v in os.environ.items() if k != "SERVINGSTACK_EMULATOR_URL"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "servingstack.cli", "emulator", "fault", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    shown = run("throttle", "--help")
    assert shown.returncode == 0 and "Answer the next COUNT requests with 429" in shown.stdout
    refused = run("throttle", "3")
    assert refused.returncode == 2 and "Missing option '--host'" in refused.stderr and "Traceback" not in refused.stderr
