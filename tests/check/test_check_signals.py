"""SIGTERM and SIGINT at any instant of `servingstack check`, start-up included (the SDK's imports,
before the first connection): the process ends 143 or 130, and no report of an earlier run is
left looking like this run's. Reports are written atomically in every format.

A real process each time, the `servingstack` console script as users run it. (Under `python -m`,
CPython itself ends with SIGINT, shown as 130 by a shell, once an import was interrupted by Ctrl-C,
whatever code the program exits with.) The instant the command's watch is installed is read from
/proc (the process catches SIGTERM from then on), then the signal is sent at increasing delays
after it: through the imports, the stack's reading, the first connection.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from check_support import CHAT, TOKEN, write_stack
from servingstack.check import markdown
from servingstack.check.results import CheckReport
from servingstack.client.redact import Redactor
from servingstack.client.reports import ReportFile, append_text, write_all, write_text

pytestmark = [pytest.mark.timeout(300), pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="/proc")]

STALE = {"schema_version": 1, "status": "pass", "stack": "demo", "started_at": "2001-01-01T00:00:00+00:00"}


def catches_sigterm(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def start_check(stack: Path, out: Path, host: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("servingstack")),
            "check",
            "--stack",
            str(stack),
            "--host",
            host,
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
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "CI"},
    )


@pytest.fixture
def silent_host():
    """Accepts connections and never answers: the run waits at its first connection until stopped."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
@pytest.mark.parametrize("delay", [0.0, 0.1, 0.5, 1.5])
def test_a_signal_during_start_up_ends_the_run_with_its_code_and_no_stale_report(
    tmp_path, silent_host, signum, code, delay
):
    stack = write_stack(tmp_path, chat=CHAT)
    out = tmp_path / "out"
    out.mkdir()
    (out / "check.json").write_text(json.dumps(STALE))
    (out / "junit.xml").write_text("<testsuites name='an earlier run'/>")
    (out / "summary.md").write_text("an earlier run: all pass\n")
    process = start_check(stack, out, silent_host)
    try:
        deadline = time.monotonic() + 60
        while not catches_sigterm(process.pid):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.002)
        time.sleep(delay)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, stdout + stderr
    assert "Traceback" not in stdout + stderr and TOKEN not in stdout + stderr
    reports = {p.name: p.read_text() for p in out.iterdir()}
    assert sorted(reports) == ["check.json", "junit.xml", "summary.md"]  # this run's, no temporary file left
    document = json.loads(reports["check.json"])
    assert document["status"] == "interrupted" and document["started_at"] != STALE["started_at"]
    assert document["endpoints"][0]["steps"]["ready"]["message"].startswith(("not checked: interrupted", "interrupted"))
    assert "an earlier run" not in reports["junit.xml"] + reports["summary.md"]
    assert "interrupted" in reports["summary.md"]


def test_previous_reports_are_removed_before_anything_waits(tmp_path, silent_host):
    """A run killed outright (SIGKILL: no handler runs) leaves no report, rather than the last one."""
    stack = write_stack(tmp_path, chat=CHAT)
    out = tmp_path / "out"
    out.mkdir()
    (out / "check.json").write_text(json.dumps(STALE))
    process = start_check(stack, out, silent_host)
    try:
        deadline = time.monotonic() + 60
        while (out / "check.json").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.kill()
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (out / "check.json").exists()


def report() -> CheckReport:
    return CheckReport(
        stack="demo", stack_dir="x", host=None, started_at="2026-01-01T00:00:00+00:00", timeout_seconds=1
    )


def test_reports_are_written_beside_the_target_then_renamed(tmp_path, monkeypatch):
    target = tmp_path / "check.json"
    target.write_text("the previous report")
    renamed = []
    real_replace = os.replace

    def replace(source, destination):
        # The whole new text is in place under a temporary name before it takes the target's.
        renamed.append((Path(source).name, Path(source).read_text(), Path(destination)))
        assert target.read_text() == "the previous report"
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    write_text(target, "the new report")
    assert target.read_text() == "the new report"
    assert renamed[0][0].startswith(".check.json.") and renamed[0][1:] == ("the new report", target)
    assert [p.name for p in tmp_path.iterdir()] == ["check.json"]


def test_a_write_that_fails_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "junit.xml"
    target.write_text("<previous/>")

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    files = [ReportFile("--junit", target, lambda r, path, redactor: write_text(path, "<new/>"))]
    assert write_all(report(), files, Redactor()) == [f"--junit {target}: No space left on device"]
    assert target.read_text() == "<previous/>" and [p.name for p in tmp_path.iterdir()] == ["junit.xml"]


def test_an_appended_summary_goes_in_whole_or_not_at_all(tmp_path, monkeypatch):
    summary = tmp_path / "step-summary.md"
    summary.write_text("another step's summary\n")
    block = markdown.render(report())
    append_text(summary, block)
    assert summary.read_text() == "another step's summary\n" + block
    assert "started 2026-01-01T00:00:00+00:00" in block  # each run's block says which run it is

    real_write = os.write

    def half_then_full(descriptor, data):
        if len(data) > 10:
            real_write(descriptor, data[:10])  # a short write, then the disk is full
            return 10
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError):
        append_text(summary, block)
    monkeypatch.undo()
    assert summary.read_text() == "another step's summary\n" + block  # the half block was cut away
