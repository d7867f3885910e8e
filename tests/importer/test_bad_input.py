"""Bad input stops `servingstack import` with a clear message and exit 2, and leaves no file behind."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from import_support import TOKEN, make_fleet
from servingstack.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["import", *args])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_host_is_a_setup_error(tmp_path: Path) -> None:
    out = tmp_path / "adopted.py"
    result = run("--out", str(out), "--host", f"http://127.0.0.1:{_closed_port()}", "--token", TOKEN, "--timeout", "2")
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and "connection refused" in result.output and "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_wrong_token_is_refused_and_never_printed(emu, tmp_path: Path) -> None:
    out = tmp_path / "adopted.py"
    out.write_text("# the previous program\n")
    result = run("--out", str(out), "--host", emu.url, "--token", "wrong-token-0123456789")
    assert result.exit_code == 2
    assert "rejected the credentials" in result.output
    assert "wrong-token-0123456789" not in result.output
    assert out.read_text() == "# the previous program\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adopted.py"]


def test_no_workspace_configured_is_a_setup_error(tmp_path: Path) -> None:
    result = run("--out", str(tmp_path / "adopted.py"))
    assert result.exit_code == 2
    assert "Error:" in result.output and "Traceback" not in result.output


def test_an_unknown_endpoint_name_is_named(emu, w, tmp_path: Path) -> None:
    make_fleet(w)
    out = tmp_path / "adopted.py"
    result = run(
        "--out",
        str(out),
        "--host",
        emu.url,
        "--token",
        TOKEN,
        "--endpoint",
        "prod-assistant",
        "--endpoint",
        "no-such-endpoint",
    )
    assert result.exit_code == 2
    assert "no serving endpoint named 'no-such-endpoint'" in result.output
    assert not out.exists()


@pytest.mark.parametrize("where", ["missing-folder/adopted.py", "a-folder"])
def test_an_unwritable_out_fails_before_anything_is_read(emu, tmp_path: Path, where: str) -> None:
    (tmp_path / "a-folder").mkdir()
    emu.reset_request_count()
    result = run("--out", str(tmp_path / where), "--host", emu.url, "--token", TOKEN)
    assert result.exit_code == 2
    assert "--out" in result.output
    assert emu.request_count() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]
    assert list((tmp_path / "a-folder").iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused(emu, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = run("--out", str(folder / "adopted.py"), "--host", emu.url, "--token", TOKEN)
        assert result.exit_code == 2
        assert "cannot write there" in result.output
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--stack-id", "bad id"], "--stack-id"),
        (["--host", "https://someone:s3cret-pass@example.com"], "credentials in the URL are refused"),
        (["--host", "example.com"], "it needs a scheme"),
        (["--timeout", "inf"], "--timeout"),
        (["--environment", "Prod"], "--environment"),
        (["--environment", "prod", "--endpoint", "dev-chat"], "not named prod-*"),
    ],
)
def test_bad_options_are_named(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("--out", str(tmp_path / "adopted.py"), "--host", "http://127.0.0.1:1", "--token", TOKEN, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "s3cret-pass" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_help_ends_with_an_example() -> None:
    result = run("--help")
    assert result.exit_code == 0
    lines = [line.strip() for line in result.output.strip().splitlines()]
    assert lines[-3] == "Examples:"
    assert lines[-2].startswith("servingstack import --out") and lines[-1].startswith("servingstack import --out")


def test_a_failed_write_leaves_no_file(emu, w) -> None:
    # /proc takes no new files, even from root: the write fails after the endpoints were read.
    make_fleet(w)
    result = run("--out", "/proc/servingstack-adopted.py", "--host", emu.url, "--token", TOKEN)
    assert result.exit_code == 2
    assert "cannot write there" in result.output
    assert not Path("/proc/servingstack-adopted.py").exists()
