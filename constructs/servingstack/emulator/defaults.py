"""Defaults of the emulator, importable without the SDK (the CLI reads them at startup)."""

from __future__ import annotations

# Short, so local runs and tests see endpoints become READY quickly; real deployments take minutes.
DEFAULT_DEPLOY_SECONDS = 1.0
# Longer than any real deployment (minutes, an hour at most): a larger value is a typo (`1e400`).
MAX_DEPLOY_SECONDS = 86400.0
