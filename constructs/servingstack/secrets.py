"""Secret values: references to Databricks secrets, and the loud opt-in for plaintext."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

_PART = re.compile(r"^[A-Za-z0-9_.@-]+$")


@dataclass(frozen=True)
class SecretRef:
    """A Databricks secret, rendered as `{{secrets/<scope>/<key>}}`: the value never leaves the workspace."""

    scope: str
    key: str

    def __post_init__(self) -> None:
        for name, part in (("scope", self.scope), ("key", self.key)):
            if not isinstance(part, str) or not _PART.match(part):
                raise ValueError(f"secret {name} {part!r} may contain only letters, digits, '_', '-', '.' and '@'")

    def __str__(self) -> str:
        return f"{{{{secrets/{self.scope}/{self.key}}}}}"


def secret(scope: str, key: str) -> SecretRef:
    """`secret("llm", "openai_key")` -> `{{secrets/llm/openai_key}}`."""
    return SecretRef(scope, key)


@dataclass(frozen=True)
class Plaintext:
    """A secret given in plaintext. It ends up in Terraform state: servingstack refuses it
    unless the endpoint sets `allow_plaintext_secrets=True`. Never printed."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Plaintext(<redacted>)"


SecretValue = Union[SecretRef, Plaintext, str]


def secret_fields(field_name: str, value: SecretValue | None) -> dict[str, str]:
    """The API fields for one secret: `{field: "{{secrets/..}}"}` or `{field_plaintext: value}`.

    A bare string goes to the reference field as it is; the rules refuse it there
    unless it is a `{{secrets/...}}` reference.
    """
    if value is None:
        return {}
    if isinstance(value, Plaintext):
        return {f"{field_name}_plaintext": value.value}
    return {field_name: str(value)}
