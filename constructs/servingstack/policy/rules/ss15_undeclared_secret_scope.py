"""SS15: an external model's key lives in a secret scope the stack knows about."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.facts.secrets import scope_key, secret_uses
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS15",
    "External model keys come from a declared secret scope",
    severity="warning",
    why="A key in a scope that no stack declares depends on someone having created the scope and put "
    "the secret by hand: on a new workspace the endpoint deploys and then fails to start.",
    fix='Declare the scope in the stack (keys = SecretScope(stack, "keys", name=...); '
    'api_key=keys.secret("openai")), or name it as managed elsewhere: '
    'SecretScope.from_name(stack, "keys", name=..., reason="...").',
)
def undeclared_secret_scope(endpoint: EndpointView) -> Iterator[Problem]:
    if endpoint.secret_scopes is None:
        return  # a view built without its stack: what the stack declares is unknown
    for index, entity in enumerate(endpoint.served_entities):
        external = entity.get("external_model")
        if not isinstance(external, dict):
            continue
        for use in secret_uses(external, f"config.served_entities[{index}].external_model"):
            if scope_key(use.scope) not in endpoint.secret_scopes:
                yield Problem(
                    use.field, f"secret scope {use.scope!r} is neither declared in this stack nor named as external"
                )
