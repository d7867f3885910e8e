"""One `emulator apply` per state file at a time, as Terraform locks its state.

The lock is an OS file lock (`flock`) on `<state file>.lock`, taken before the state is read and
held until the apply ends. The kernel releases it when the process ends, however it ends (SIGKILL
included), so a lock is never stale and there is nothing to clean up by hand. The lock file says
who holds it, for the message another apply prints; its content is only informative.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path


class StateLocked(RuntimeError):
    """Another process holds the state's lock."""


class StateLock:
    def __init__(self, state_path: Path):
        self.path = state_path.with_name(state_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise `StateLocked` at once (never wait: the other apply may take long)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise StateLocked(
                f"the state {self.path.with_suffix('')} is locked by another `servingstack emulator apply`"
                f"{holder}: two applies of one state at once could each create what the other does not "
                "know of. Wait for it to finish (the lock goes with its process, however that ends)."
            ) from None
        os.ftruncate(fd, 0)
        holder_info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.pwrite(fd, json.dumps(holder_info).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        os.ftruncate(fd, 0)
        os.close(fd)  # closing releases the flock; the file stays, empty, for the next apply

    def __enter__(self) -> StateLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(holder, dict) or "pid" not in holder:
        return ""
    return f" (pid {holder['pid']} on {holder.get('host', '?')}, since {holder.get('since', '?')})"
