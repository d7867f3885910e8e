"""The emulator under bad input: non-finite or absurd fault and timing values are refused (and the
faults list stays valid JSON), a body nested 100 000 levels deep is a 400, a client that
disconnects mid-request is no internal error, and `serve` keeps the public development token
on loopback."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from emu_support import TOKEN
from servingstack.cli import main
from servingstack.emulator import Emulator
from servingstack.emulator.faults import FaultSpecError, parse_spec

pytestmark = pytest.mark.timeout(60)


def strict_json(text: str):
    """JSON as the standard defines it: no NaN, Infinity or -Infinity."""

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def admin(emu, method: str, route: str, **kwargs) -> requests.Response:
    return requests.request(
        method, f"{emu.url}/_emulator/{route}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5, **kwargs
    )


@pytest.mark.parametrize(
    "spec, field",
    [
        ("slow:seconds=inf", "seconds"),
        ("slow:seconds=nan", "seconds"),
        ("slow:seconds=1e308", "seconds"),
        ("slow:seconds=0", "seconds"),
        ("throttle:count=1,retry_after=100000000", "retry_after"),
    ],
)
def test_absurd_fault_values_are_refused_in_every_form(emu, spec, field):
    with pytest.raises(FaultSpecError, match=field):
        parse_spec(spec)
    refused = CliRunner().invoke(main, ["emulator", "serve", "--fault", spec])
    assert refused.exit_code == 2 and field in refused.output
    kind, _, rest = spec.partition(":")
    body = {
        "kind": kind,
        **{k: float(v) if k == "seconds" else int(v) for k, v in (item.split("=") for item in rest.split(","))},
    }
    answer = admin(
        emu, "POST", "faults", data=json.dumps(body)
    )  # json.dumps writes NaN / Infinity as Python reads them
    assert answer.status_code == 400
    if "inf" in spec or "nan" in spec:  # not JSON at all: refused before any field is looked at
        assert answer.json()["error_code"] == "MALFORMED_REQUEST"
        assert f"{json.dumps(body['seconds'])} is not a JSON number" in answer.json()["message"]
    else:
        assert field in answer.json()["message"]
    assert strict_json(admin(emu, "GET", "faults").text) == {"faults": []}


@pytest.mark.parametrize("args", [("inf",), ("nan",), ("1e308",), ("--", "-1")])
def test_fault_slow_on_the_command_line_refuses_them_too(emu, args):
    result = CliRunner().invoke(main, ["emulator", "fault", "--host", emu.url, "--token", TOKEN, "slow", *args])
    assert result.exit_code == 2, result.output
    assert "seconds" in result.output and "Traceback" not in result.output
    assert emu.faults() == []


@pytest.mark.parametrize("value", ["1e400", "inf", "nan", "-1", "100000"])
def test_deploy_seconds_must_be_finite_and_sensible(emu, value):
    refused = CliRunner().invoke(main, ["emulator", "serve", "--deploy-seconds", value])
    assert refused.exit_code == 2 and "--deploy-seconds" in refused.output
    answer = admin(
        emu,
        "PUT",
        "deploy-seconds",
        data=f'{{"seconds": {value if value != "inf" else "Infinity"}}}'.replace("nan", "NaN"),
    )
    assert answer.status_code == 400
    if value in ("1e400", "inf", "nan"):  # no number JSON can carry: refused as the body is read
        assert answer.json()["error_code"] == "MALFORMED_REQUEST"
    else:
        assert "seconds" in answer.json()["message"]
    with pytest.raises(ValueError, match="seconds"):
        emu.set_deploy_seconds(float(value))
    with pytest.raises(ValueError, match="deploy_seconds"):
        Emulator(deploy_seconds=float(value))


def test_the_faults_list_is_always_valid_json(emu):
    emu.slow(0.25, scope="query")
    emu.throttle(2, retry_after=3)
    result = CliRunner().invoke(main, ["emulator", "fault", "list", "--host", emu.url, "--token", TOKEN])
    assert result.exit_code == 0
    assert [f["kind"] for f in strict_json(result.output)] == ["slow", "throttle"]
    assert len(strict_json(admin(emu, "GET", "faults").text)["faults"]) == 2


def test_a_body_nested_100000_levels_deep_is_a_400_not_a_traceback(emu, caplog):
    caplog.set_level(logging.DEBUG, logger="servingstack.emulator")
    body = "[" * 100_000 + "]" * 100_000
    for path in ("/api/2.0/serving-endpoints", "/_emulator/faults"):
        answer = requests.post(f"{emu.url}{path}", data=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert answer.status_code == 400
        assert answer.json()["error_code"] == "MALFORMED_REQUEST" and "nested too deeply" in answer.json()["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_client_that_disconnects_mid_request_is_not_an_internal_error(emu, caplog):
    caplog.set_level(logging.DEBUG, logger="servingstack.emulator")
    host, port = emu.url.removeprefix("http://").split(":")
    for path in ("/api/2.0/serving-endpoints", "/_emulator/faults"):
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": '.encode()
            )
    deadline = time.monotonic() + 5
    while emu.request_count("POST", "/api/2.0/serving-endpoints") < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # the server notices the closed connection while it reads the body
    assert (
        requests.get(
            f"{emu.url}/api/2.0/serving-endpoints", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        ).status_code
        == 200
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("env", [{}, {"SERVINGSTACK_EMULATOR_TOKEN": "servingstack-emulator-dev-token"}])
def test_serve_beyond_loopback_refuses_the_public_development_token(env):
    result = subprocess.run(
        [sys.executable, "-m", "servingstack.cli", "emulator", "serve", "--bind", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_clean_env(), **env},
    )
    assert result.returncode == 2
    assert "0.0.0.0 is reachable beyond this machine, and the development token is public" in result.stderr
    assert "--token" in result.stderr and "Traceback" not in result.stderr


def test_serve_host_is_refused_with_the_option_to_use():
    result = CliRunner().invoke(main, ["emulator", "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "serve listens on --bind ADDRESS (e.g. --bind 0.0.0.0)" in result.output


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("SERVINGSTACK_EMULATOR_")}
