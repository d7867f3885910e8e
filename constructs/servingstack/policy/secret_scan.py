"""Find secrets where they must not be: plaintext keys in requests and synthesized files, and
token-shaped strings in any text. Every finding names WHERE the secret is, never its value.

Used by rule SS5 on each endpoint's request, to redact policy messages, and to search whole
output directories (`scan_directory("cdktf.out")`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from ..rules import PROVIDERS, is_secret_reference

# An opinion, not a service fact: a variable whose NAME says it holds a secret. Only policy rule SS13
# reads it, as a warning; `TOKENIZERS_PARALLELISM` is a plain setting despite its name.
_SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE")


def looks_like_secret_name(name: str) -> bool:
    """An environment variable whose name suggests a secret (`OPENAI_API_KEY`, `DB_PASSWORD`)."""
    upper = name.upper()
    return any(part in upper for part in _SECRET_NAME_PARTS)

MASK = "***"

# The shapes of real credentials. A match in any output is a leak whatever field it is in.
TOKEN_PATTERNS: dict[str, re.Pattern[str]] = {
    "Databricks token": re.compile(r"\bdapi[0-9a-f]{32}(?:-\d+)?\b"),
    "OpenAI or Anthropic key": re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "bearer token": re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*"),
}

# Fields that hold a secret: every provider's key fields, in the API's and Terraform's spelling.
SECRET_FIELDS = frozenset({f for _, fields in PROVIDERS.values() for f in fields} | {"ai21_labs_api_key"})
# Custom provider auth blocks: block -> its secret field.
AUTH_SECRET_FIELDS = {"api_key_auth": "value", "bearer_token_auth": "token"}


@dataclass(frozen=True)
class Leak:
    """A secret found at `location` (a dotted field path, or `file:line`); `kind` says what it is."""

    location: str
    kind: str

    def __str__(self) -> str:
        return f"{self.location}: {self.kind}"


def find_tokens(text: str) -> list[str]:
    """The kinds of credential whose shape appears in `text`."""
    return [kind for kind, pattern in TOKEN_PATTERNS.items() if pattern.search(text)]


def scan_value(value: Any, where: str = "") -> list[Leak]:
    """Every secret in a JSON-like value (an API request, a cdk.tf.json document), one per place."""
    leaks: dict[str, Leak] = {}
    for leak in _walk(value, where, parent=""):
        leaks.setdefault(leak.location, leak)  # a plaintext key shaped like a token is one leak
    return list(leaks.values())


def _walk(value: Any, where: str, parent: str) -> Iterator[Leak]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            key = str(key)
            here = f"{where}.{key}" if where else key
            yield from _field_leaks(key, item, here, parent)
            yield from _walk(item, here, parent=key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]", parent)
    elif isinstance(value, str):
        for kind in find_tokens(value):
            yield Leak(where, f"a string shaped like a {kind}")


def _field_leaks(key: str, value: Any, here: str, parent: str) -> Iterator[Leak]:
    if not isinstance(value, str) or not value:
        return
    if key.endswith("_plaintext"):
        yield Leak(here, "a secret in plaintext")
    elif _is_literal(value) and (key in SECRET_FIELDS or AUTH_SECRET_FIELDS.get(parent) == key):
        yield Leak(here, "a literal value where a secret reference {{secrets/<scope>/<key>}} belongs")


def _is_literal(value: str) -> bool:
    # A Terraform interpolation (`${var.key}`) is resolved at apply time, from a sensitive variable.
    return not is_secret_reference(value) and not value.startswith("${")


def plaintext_values(value: Any) -> set[str]:
    """The secret values in a JSON-like value, to redact them from any message about it."""
    found: set[str] = set()

    def walk(item: Any, parent: str) -> None:
        if isinstance(item, Mapping):
            for key, child in item.items():
                if next(_field_leaks(str(key), child, str(key), parent), None) is not None:
                    found.add(child)
                walk(child, str(key))
        elif isinstance(item, list):
            for child in item:
                walk(child, parent)

    walk(value, "")
    return found


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the given secret values and anything token-shaped masked."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern in TOKEN_PATTERNS.values():
        text = pattern.sub(MASK, text)
    return text


def scan_directory(root: str | Path) -> list[Leak]:
    """Every secret in every file under `root`: JSON files field by field, all files line by line."""
    leaks: list[Leak] = []
    root = Path(root)
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        name = str(file.relative_to(root))
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # binary files: nothing synthesized here is binary
        for number, line in enumerate(text.splitlines(), 1):
            leaks += [Leak(f"{name}:{number}", f"a string shaped like a {kind}") for kind in find_tokens(line)]
        if file.suffix == ".json":
            try:
                document = json.loads(text)
            except ValueError:
                continue
            leaks += [Leak(f"{name}:{leak.location}", leak.kind) for leak in _walk(document, "", "")
                      if not leak.kind.startswith("a string shaped")]  # already found line by line
    return leaks
