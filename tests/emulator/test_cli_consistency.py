"""One command line: `--host` is always a URL and may follow a subcommand, fault names are the
same in `serve --fault` and `emulator fault`, every `--help` ends with examples, and `serve
--background` returns its terminal with the URL and a pid file that `emulator stop` uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from emu_support import TOKEN
from servingstack.cli import main
from servingstack.cli.emulator import fault as fault_group
from servingstack.emulator.faults import CLI_NAMES, parse_spec

pytestmark = pytest.mark.timeout(90)


def every_command(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield path + (name,), command
        if isinstance(command, click.Group):
            yield from every_command(command, ctx, path + (name,))


def test_every_help_ends_with_examples():
    ctx = click.Context(main)
    commands = [((), main), *every_command(main, ctx)]
    assert len(commands) > 10
    for path, _ in commands:
        result = CliRunner().invoke(main, [*path, "--help"], env={"SERVINGSTACK_EMULATOR_URL": ""})
        assert result.exit_code == 0, (path, result.output)
        tail = result.output.rstrip().splitlines()
        examples = tail[-3:]
        assert any(line.strip() == "Examples:" for line in examples), (path, tail[-4:])
        assert tail[-1].strip().startswith(("servingstack ", "SERVINGSTACK_EMULATOR_URL=")), (path, tail[-1])


def test_fault_names_are_the_same_in_serve_and_in_emulator_fault():
    subcommands = set(fault_group.list_commands(click.Context(fault_group))) - {"clear", "list"}
    assert subcommands == set(CLI_NAMES.values())
    serve_help = CliRunner().invoke(main, ["emulator", "serve", "--help"]).output
    for kind, name in CLI_NAMES.items():
        assert (
            parse_spec(
                f"{name}:count=1"
                if name in ("throttle", "errors", "drop")
                else f"{name}:seconds=1"
                if name == "slow"
                else f"{name}:endpoint=e,entity=v1"
                if name == "broken-entity"
                else f"{name}:endpoint=e,entity=v1,error-rate=0.5,from-percent=25"
                if name == "degrade"
                else name
            ).kind
            == kind
        )
        assert name in " ".join(serve_help.split())


def test_host_and_token_may_follow_the_fault_subcommand(emu):
    after = CliRunner().invoke(main, ["emulator", "fault", "throttle", "2", "--host", emu.url, "--token", TOKEN])
    assert after.exit_code == 0, after.output
    before = CliRunner().invoke(main, ["emulator", "fault", "--host", emu.url, "--token", TOKEN, "errors", "1"])
    assert before.exit_code == 0, before.output
    assert [f["kind"] for f in emu.faults()] == ["throttle", "server_errors"]
    wrong = CliRunner().invoke(
        main, ["emulator", "fault", "--host", emu.url, "--token", TOKEN, "clear", "--token", "not-the-token"]
    )
    assert wrong.exit_code == 1 and "refused the token" in wrong.output  # the later one wins
    listed = CliRunner().invoke(main, ["emulator", "fault", "list", "--host", emu.url.replace("http://", "")])
    assert listed.exit_code == 2 and "needs a scheme" in listed.output


def test_serve_in_the_background_prints_the_url_and_stops_by_its_pid_file(tmp_path):
    pid_file = tmp_path / "run" / "emulator.pid"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVINGSTACK_EMULATOR_")}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "servingstack.cli", "emulator", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    started = run(
        "serve",
        "--background",
        "--port",
        "0",
        "--token",
        "bg-secret-token",
        "--pid-file",
        str(pid_file),
        "--fault",
        "errors:count=1,scope=query",
    )
    assert started.returncode == 0, started.stderr
    first = started.stdout.splitlines()[0]
    assert first.startswith("servingstack emulator listening on http://127.0.0.1:")
    url = first.split()[-1]
    pid = int(pid_file.read_text())
    try:
        assert "bg-secret-token" not in started.stdout + started.stderr
        assert "bg-secret-token" not in Path(f"/proc/{pid}/cmdline").read_text()  # the token is not on the command line
        answer = requests.get(
            f"{url}/api/2.0/serving-endpoints", headers={"Authorization": "Bearer bg-secret-token"}, timeout=5
        )
        assert answer.json() == {"endpoints": []}
        assert f"emulator stop --pid-file {pid_file}" in started.stdout
        again = run("serve", "--background", "--pid-file", str(pid_file), "--token", "x-token-123")
        assert again.returncode == 1 and f"already runs with pid {pid}" in again.stderr
        stopped = run("stop", "--pid-file", str(pid_file))
        assert stopped.returncode == 0 and f"stopped (pid {pid})" in stopped.stdout
    finally:
        if pid_file.exists():
            os.kill(pid, 15)
    assert not pid_file.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/.well-known/databricks-config", timeout=2)
    assert "servingstack emulator stopped" in pid_file.with_suffix(".log").read_text()
    nothing = run("stop", "--pid-file", str(pid_file))
    assert nothing.returncode == 1 and "no pid file" in nothing.stderr
