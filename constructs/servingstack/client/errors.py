"""Problems that stop a check before any endpoint is looked at (exit code 2)."""

from __future__ import annotations


class SetupError(Exception):
    """Bad input, configuration or credentials: nothing was checked."""

    exit_code = 2


class UsageError(SetupError):
    """A bad option or stack directory."""


class ConfigurationError(SetupError):
    """No usable workspace host or credentials, or the host cannot be reached."""


class AuthenticationError(SetupError):
    """The workspace rejected the credentials (401 / 403)."""
