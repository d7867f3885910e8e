"""Keep secrets out of everything the checker prints or writes.

The SDK already masks the token in its own debug strings; this is the second line:
every text that leaves the checker (progress, table, reports, error messages, log
tails and response excerpts from the server) passes through `Redactor.clean`. Besides the
values it was told about, it masks anything shaped like a credential (`facts.secrets.TOKEN_PATTERNS`: a server's build
log may echo a key it was given) and the
password part of a URL (`https://user:***@host`). `emulator apply` uses it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from servingstack.facts.secrets import MASK, redact

# `scheme://user:password@host`: the password goes, the user name (not a secret) stays.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")


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
        return _URL_PASSWORD.sub(rf"\g<head>{MASK}@", redact(text, self._secrets))

    def clean_value(self, value: Any) -> Any:
        """The same, through nested dicts and lists (for JSON documents)."""
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, dict):
            return {self.clean(str(k)): self.clean_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.clean_value(v) for v in value]
        return value
