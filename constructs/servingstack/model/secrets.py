"""Secret values as a stack declares them: a reference to a Databricks secret, or the loud opt-in
for plaintext. The reference syntax and the name rule are the service's (`facts.secrets`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from servingstack.errors import ValidationError
from servingstack.facts import secrets as facts
from servingstack.model.typecheck import caller_location


@dataclass(frozen=True)
class SecretRef:
    """A Databricks secret, rendered as `{{secrets/<scope>/<key>}}`: the value never leaves the workspace.

    `scope` and `key` follow the Secrets API's one name rule (`facts.secrets.NAME`): 1-128 letters, digits,
    '-', '_', '.' or '@'. `SecretScope.secret(key)` makes one with the same rule.
    """

    scope: str
    key: str

    def __post_init__(self) -> None:
        problems = facts.name_problems("scope", self.scope, "scope") + facts.name_problems("key", self.key, "key")
        if problems:
            raise ValidationError(caller_location("secret"), problems)

    def __str__(self) -> str:
        return facts.reference(self.scope, self.key)


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


SecretValue = SecretRef | Plaintext | str


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
