"""Find secrets where they must not be: plaintext keys in requests and synthesized files, and
token-shaped strings in any text. Every finding names WHERE the secret is, never its value.

Used by rule SS5 on each endpoint's request, to redact policy messages, and to search whole
output directories (`scan_directory("cdktf.out")`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servingstack.facts.rules import PROVIDERS
from servingstack.facts.secrets import find_tokens, is_secret_reference
from servingstack.facts.walk import strings

# An opinion, not a service fact: a variable whose NAME says it holds a secret. Only policy rule SS13
# reads it, as a warning; `TOKENIZERS_PARALLELISM` is a plain setting despite its name.
_SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE")


def looks_like_secret_name(name: str) -> bool:
    """An environment variable whose name suggests a secret (`OPENAI_API_KEY`, `DB_PASSWORD`)."""
    upper = name.upper()
    return any(part in upper for part in _SECRET_NAME_PARTS)


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


def scan_value(value: Any, where: str = "") -> list[Leak]:
    """Every secret in a JSON-like value (an API request, a cdk.tf.json document), one per place."""
    leaks: dict[str, Leak] = {}
    for leak in _leaks(value, where):
        leaks.setdefault(leak.location, leak)  # a plaintext key shaped like a token is one leak
    return list(leaks.values())


def _leaks(value: Any, where: str = "") -> Iterator[Leak]:
    for node in strings(value):
        path = f"{where}.{node.path}" if where and node.path else (node.path or where)
        yield from _field_leaks(node.key, node.value, path, node.parent)
        for kind in find_tokens(node.value):
            yield Leak(path, f"a string shaped like a {kind}")


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
    return {
        node.value
        for node in strings(value)
        if next(_field_leaks(node.key, node.value, node.path, node.parent), None) is not None
    }


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
            leaks += [
                Leak(f"{name}:{leak.location}", leak.kind)
                for leak in _leaks(document)
                if not leak.kind.startswith("a string shaped")
            ]  # already found line by line
    return leaks
