"""SS13 (warning): an environment variable whose name suggests a secret holds a literal value."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.facts.secrets import is_secret_reference
from servingstack.policy.rule import Severity, rule
from servingstack.policy.secret_scan import looks_like_secret_name
from servingstack.policy.view import EndpointView


@rule(
    "SS13",
    "Secret-looking environment variables hold secret references",
    severity=Severity.WARNING,
    why="A variable named like a credential (`*_KEY`, `*_TOKEN`, `*_PASSWORD`, ...) that holds a literal "
    "value may be a secret written into the synthesized JSON and Terraform state. Only a guess from "
    "the name: `TOKENIZERS_PARALLELISM` or `PRIMARY_KEY_COLUMN` are plain settings.",
    fix="Pass secret(scope, key) for a real secret; suppress this finding for a plain setting.",
)
def secret_named_variables(endpoint: EndpointView) -> Iterator[Problem]:
    for index, entity in enumerate(endpoint.served_entities):
        for name, value in (entity.get("environment_vars") or {}).items():
            literal = isinstance(value, str) and not is_secret_reference(value) and not value.startswith("${")
            if literal and looks_like_secret_name(str(name)):
                yield Problem(
                    f"config.served_entities[{index}].environment_vars[{name}]",
                    "is named like a secret but holds a literal value",
                )
