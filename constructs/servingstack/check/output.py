"""Writing report files: the directory a user names (`--json reports/check.json`) is created."""

from __future__ import annotations

from pathlib import Path


def write_text(path: str | Path, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
