"""Writing report files: the tools share one writer (`client/reports.py`)."""

from __future__ import annotations

from servingstack.client.reports import write_text

__all__ = ["write_text"]
