"""Databricks secrets as the service knows them: the reference syntax, the one name rule for
scopes and keys, which secrets a request names, and the shapes of real credentials.

Pure facts over strings and API-shaped dicts, shared by the value types, the constructs, the
policy, the emulator and every report writer. Nothing here reads or holds a secret's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from servingstack.errors import Problem
from servingstack.facts.walk import walk

# The one name rule for scopes and keys. The sources differ on '@':
# - product docs "Secret scopes" (docs.databricks.com/security/secrets/secret-scopes, current edition, e.g.
#   docs.azure.cn/en-us/databricks/security/secrets/secret-scopes): a scope name "Must consist of alphanumeric
#   characters, dashes, underscores, @, and periods, and may not exceed 128 characters."
# - SDK `SecretsAPI.create_scope` and `put_secret` (and the REST reference) leave '@' out: "alphanumeric
#   characters, dashes, underscores, and periods" and at most 128 characters, for scopes and keys alike.
# - the provider checks scopes AND keys with one pattern, `^[\w\.@_/-]{1,128}$` (secrets/resource_secret_scope.go
#   validScope, applied in resource_secret.go to `key` too), which lets '@' through.
# So the service may accept '@' in either: we do. '/' is in no documented list and would split the
# `{{secrets/<scope>/<key>}}` reference, so it stays out. Letters are ASCII (Go's `\w` is ASCII-only).
NAME_CHARACTERS = "A-Za-z0-9_.@-"
MAX_NAME_LENGTH = 128
NAME = re.compile(rf"^[{NAME_CHARACTERS}]{{1,{MAX_NAME_LENGTH}}}$")
_NAME_RULE = f"1-{MAX_NAME_LENGTH} letters, digits, '-', '_', '.' or '@'"

# Product docs "Secret scopes" ("Create a Databricks-backed secret scope"): "Secret scope names are case
# insensitive." Two scopes whose names differ only in case are one scope. (No source says so of keys:
# keys keep their case.)
SCOPE_NAMES_IGNORE_CASE = True
# Product docs "Secret scopes": "A workspace is limited to a maximum of 1000 secret scopes." (older editions
# said 100; the current one says 1000). SDK `create_scope`: "Throws RESOURCE_LIMIT_EXCEEDED" beyond it.
MAX_SCOPES_PER_WORKSPACE = 1000
# SDK `SecretsAPI.put_secret`: "The maximum allowed secret value size is 128 KB. The maximum number of
# secrets in a given scope is 1000."
MAX_SECRET_VALUE_BYTES = 128 * 1024
MAX_SECRETS_PER_SCOPE = 1000

# SDK *Config docstrings (e.g. `OpenAiConfig.openai_api_key`): key fields hold "the Databricks secret
# key reference" `{{secrets/<scope>/<key>}}`; the product docs' secrets page writes environment
# variables the same way.
REFERENCE = re.compile(r"^\{\{secrets/([^/{}\s]+)/([^/{}\s]+)\}\}$")
# The start of a reference anywhere in a text (a request body is not the place for one).
_REFERENCE_IN_TEXT = re.compile(r"\{\{\s*secrets/")

MASK = "***"

# The shapes of real credentials. A match in any output is a leak, whatever field it is in.
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


def name_problems(field: str, name: Any, what: str = "name") -> list[Problem]:
    """The one scope and key name rule, as problems of `field` (never quoting more than the name)."""
    if isinstance(name, str) and NAME.match(name):
        return []
    if not isinstance(name, str):
        return [Problem(field, f"a secret {what} is a string, got {type(name).__name__}")]
    if len(name) > MAX_NAME_LENGTH:
        return [
            Problem(
                field, f"{name[:20]!r}... is {len(name)} characters long: a secret {what} has at most {MAX_NAME_LENGTH}"
            )
        ]
    return [Problem(field, f"{name!r} must be {_NAME_RULE}")]


def scope_key(name: str) -> str:
    """What makes two scope names the same scope: the name without its case (see SCOPE_NAMES_IGNORE_CASE)."""
    return name.lower() if SCOPE_NAMES_IGNORE_CASE else name


def same_scope(a: str, b: str) -> bool:
    return scope_key(a) == scope_key(b)


def valid_name_like(name: Any, fallback: str = "scope") -> str:
    """A name that passes the rule, as close to `name` as may be: characters outside it made '_', cut to
    the maximum length (for a stand-in reference while the real name is reported as a problem)."""
    if not isinstance(name, str) or not name:
        return fallback
    return re.sub(f"[^{NAME_CHARACTERS}]", "_", name)[:MAX_NAME_LENGTH]


def reference(scope: str, key: str) -> str:
    """`{{secrets/<scope>/<key>}}`."""
    return f"{{{{secrets/{scope}/{key}}}}}"


def parse_reference(value: Any) -> tuple[str, str] | None:
    """(scope, key) of a `{{secrets/<scope>/<key>}}` string, else None."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


def is_secret_reference(value: Any) -> bool:
    """True for `{{secrets/<scope>/<key>}}`, the only safe way to name a secret."""
    return parse_reference(value) is not None


def mentions_secret(text: str) -> bool:
    """A text that holds a secret reference or a credential-shaped string anywhere."""
    return bool(_REFERENCE_IN_TEXT.search(text)) or bool(find_tokens(text))


def find_tokens(text: str) -> list[str]:
    """The kinds of credential whose shape appears in `text`."""
    return [kind for kind, pattern in TOKEN_PATTERNS.items() if pattern.search(text)]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with anything credential-shaped and the given secret values masked. Shapes go first:
    a known value masked inside a token would break the token's shape. Values shorter than four
    characters are left alone: they would mask ordinary words."""
    for pattern in TOKEN_PATTERNS.values():
        text = pattern.sub(MASK, text)
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


@dataclass(frozen=True)
class SecretUse:
    """One secret reference in a request, and where it is
    (`config.served_entities[0].external_model.openai_config.openai_api_key`)."""

    scope: str
    key: str
    field: str


def secret_uses(request: Any, where: str = "") -> Iterator[SecretUse]:
    """Every secret reference in an API-shaped value (found at `where` in a larger one)."""
    for node in walk(request, where):
        parsed = parse_reference(node.value)
        if parsed is not None:
            yield SecretUse(parsed[0], parsed[1], node.path)


def scopes_used(request: Any) -> set[str]:
    """The scope names a request references, as written."""
    return {use.scope for use in secret_uses(request)}


def uses_scope(request: Any, scope: str) -> bool:
    """True when `request` references the scope `scope`, whatever the case of either name."""
    return any(same_scope(used, scope) for used in scopes_used(request))
