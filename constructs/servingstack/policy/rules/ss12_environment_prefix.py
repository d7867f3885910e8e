"""SS12: an endpoint name carries its environment, so environments never collide."""

from __future__ import annotations

import re
from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS12",
    "Endpoint names carry their environment",
    why="Endpoint names are unique in a workspace: two environments that deploy the same name to "
    "one workspace replace each other's endpoint.",
    fix='Give the stack an environment (ServingStack(..., environment="prod")), which puts "prod-" in '
    "front of every endpoint name, or a name_prefix.",
)
def environment_prefix(endpoint: EndpointView) -> Iterator[Problem]:
    if endpoint.name_prefix:
        return
    environment = endpoint.environment
    if environment and re.search(rf"(^|[-_]){re.escape(environment)}([-_]|$)", endpoint.name):
        return  # the environment is spelt into the name itself
    yield Problem("name", f"{endpoint.name!r} has no environment prefix (its stack sets none)")
