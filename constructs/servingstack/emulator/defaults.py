"""Defaults of the emulator, importable without the SDK (the CLI reads them at startup)."""
from __future__ import annotations

# Short, so local runs and tests see endpoints become READY quickly; real deployments take minutes.
DEFAULT_DEPLOY_SECONDS = 1.0
