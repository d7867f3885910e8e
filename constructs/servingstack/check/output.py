"""Writing report files, atomically: a reader (a CI step, a person) sees the previous file or the
whole new one, never half of one. The directory a user names (`--json reports/check.json`) is
created."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_text(path: str | Path, text: str) -> None:
    """Write beside the target under a temporary name, then rename it over the target."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def append_text(path: str | Path, text: str) -> None:
    """Append `text` whole or not at all: a file others append to (`$GITHUB_STEP_SUMMARY`, which
    GitHub gives each step) cannot be replaced by a rename without losing what they wrote, so the
    block goes in one `write` in append mode, and a failed write is cut back to the file's size
    before it."""
    data = text.encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(descriptor).st_size
        written = 0
        try:
            while written < len(data):
                written += os.write(descriptor, data[written:])
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, size)
            raise
    finally:
        os.close(descriptor)
