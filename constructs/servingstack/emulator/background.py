"""`emulator serve --background` and `emulator stop`: `serve` holds its terminal, so a script or
a second shell starts it in the background, reads its URL, and stops it by its pid file.

The server runs as its own process (a new session: Ctrl-C in the starting terminal does not
reach it) with its output in a log file; it writes the pid file once it listens and removes
it when it stops. The token travels in the environment, never on a command line `ps` shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from servingstack.emulator.auth import TOKEN_ENV

DEFAULT_PID_FILE = "servingstack-emulator.pid"
START_SECONDS = 30.0  # to import, bind and print its URL (about 1 s on a quiet machine)
STOP_SECONDS = 10.0
_LISTENING = "servingstack emulator listening on "


class BackgroundError(Exception):
    """The background server did not start, or there is none to stop."""


@dataclass(frozen=True)
class Started:
    url: str
    pid: int
    pid_file: Path
    log_file: Path


def start_background(serve_args: list[str], *, token: str | None, pid_file: Path) -> Started:
    """Start `servingstack emulator serve SERVE_ARGS` detached; return once it prints its URL."""
    pid_file = pid_file.resolve()
    running = _running_pid(pid_file)
    if running is not None:
        raise BackgroundError(
            f"an emulator already runs with pid {running} (pid file {pid_file}); stop it with "
            f"`servingstack emulator stop --pid-file {pid_file}`"
        )
    log_file = pid_file.with_suffix(".log")
    env = dict(os.environ)
    if token:
        env[TOKEN_ENV] = token
    command = [sys.executable, "-m", "servingstack.cli", "emulator", "serve", *serve_args, "--pid-file", str(pid_file)]
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        text = log_file.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if line.startswith(_LISTENING) and pid_file.is_file():
                return Started(line[len(_LISTENING) :].strip(), process.pid, pid_file, log_file)
        if process.poll() is not None:
            raise BackgroundError(f"the emulator did not start (exit {process.returncode}):\n{text.strip()}")
        time.sleep(0.05)
    process.terminate()
    process.wait(timeout=STOP_SECONDS)
    raise BackgroundError(f"the emulator did not print its URL within {START_SECONDS:g} s; see {log_file}")


def _running_pid(pid_file: Path) -> int | None:
    """The pid in the file when that process is alive and is an emulator; a stale file is removed."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid) or not _is_emulator(pid):
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_emulator(pid: int) -> bool:
    """Guard against a recycled pid: the process's command line names the emulator (where /proc
    shows it; elsewhere the pid file is trusted)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return b"servingstack" in cmdline.read_bytes()
    except OSError:
        return not cmdline.parent.parent.is_dir()


def stop_background(pid_file: Path) -> int:
    """SIGTERM the emulator of `pid_file` and wait until it is gone; returns its pid."""
    if not pid_file.is_file():
        raise BackgroundError(
            f"no pid file at {pid_file}: is an emulator running in the background "
            "(`servingstack emulator serve --background`)?"
        )
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        raise BackgroundError(f"{pid_file} holds no pid") from None
    if _running_pid(pid_file) is None:
        raise BackgroundError(f"the emulator of {pid_file} (pid {pid}) is not running; the stale pid file was removed")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.05)
    if _alive(pid):
        raise BackgroundError(f"pid {pid} did not stop within {STOP_SECONDS:g} s of SIGTERM")
    pid_file.unlink(missing_ok=True)
    return pid


def _reap(pid: int) -> None:
    """When the server is our own child (tests start and stop it in one process), collect it."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
