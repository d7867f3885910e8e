"""Keep secrets out of everything the checker prints or writes.

The SDK already masks the token in its own debug strings; this is the second line:
every text that leaves the checker (progress, table, reports, error messages, log
tails and response excerpts from the server) passes through `Redactor.clean`.
"""
from __future__ import annotations

from typing import Any, Iterable

MASK = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()):
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        # Very short values would mask ordinary words; tokens are long.
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def clean(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def clean_value(self, value: Any) -> Any:
        """The same, through nested dicts and lists (for JSON documents)."""
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, dict):
            return {self.clean(str(k)): self.clean_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.clean_value(v) for v in value]
        return value
