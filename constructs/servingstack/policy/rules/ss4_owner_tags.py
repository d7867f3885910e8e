"""SS4: every endpoint names its owner and its cost centre in tags (tag names configurable)."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.policy.rule import rule
from servingstack.policy.view import EndpointView


@rule(
    "SS4",
    "Endpoints name their owner and cost centre in tags",
    why="An endpoint without an owner cannot be traced to a team when it breaks, and one without a "
    "cost centre cannot be charged back.",
    fix="Add the tags to every endpoint with ServingStack(default_tags={...}), or to one endpoint with tags={...}.",
)
def owner_tags(endpoint: EndpointView, *, owner_tag: str = "owner", cost_tag: str = "cost-center") -> Iterator[Problem]:
    tags = endpoint.tags
    for tag in (owner_tag, cost_tag):
        value = tags.get(tag)
        if value is None:
            yield Problem("tags", f"tag {tag!r} is missing")
        elif not str(value).strip():
            yield Problem("tags", f"tag {tag!r} is empty")
