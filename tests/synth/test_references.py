"""References inside a stack are computed in Python (no jsii round trip) and are exactly what the
engine's tokens resolve to, wherever the endpoint sits in the construct tree."""

from __future__ import annotations

import pytest

from servingstack import FoundationModel, ServingEndpoint, ServingStack
from servingstack.cdk import engine as _cdk

LONG = "x" * 300


def endpoint(scope, id, name):
    e = ServingEndpoint(scope, id, name=name, served_entities=[FoundationModel("system.ai.x", "1")])
    e.grant_query(group="data-scientists").grant_manage(group="ml-platform")
    return e


def test_computed_references_match_the_engines_logical_ids(synth):
    endpoints = {}

    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        group = _cdk.Construct(stack, "team.chat")
        sub = _cdk.Construct(group, "chat")
        endpoints["a"] = endpoint(stack, "chat-bot", "a")
        endpoints["b"] = endpoint(stack, "chat.bot v2", "b")
        endpoints["c"] = endpoint(group, "c", "c")
        endpoints["d"] = endpoint(sub, "chat", "d")
        endpoints["e"] = endpoint(stack, LONG, "e")
        endpoints["f"] = endpoint(group, "Resource", "f")

    doc = synth(build)["dev"]
    logical = {body["name"]: key for key, body in doc["resource"]["databricks_model_serving"].items()}
    assert len(logical) == 6
    referenced = {body["serving_endpoint_id"] for body in doc["resource"]["databricks_permissions"].values()}
    assert referenced == {f"${{databricks_model_serving.{logical[f'dev-{n}']}.serving_endpoint_id}}" for n in "abcdef"}
    outputs = {o["value"] for o in doc["output"].values()}
    for name in "abcdef":
        assert f"${{databricks_model_serving.{logical[f'dev-{name}']}.endpoint_url}}" in outputs
    # The public properties stay tokens: they also wire references across stacks.
    assert endpoints["a"].serving_endpoint_id != endpoints["a"].reference_in_stack("serving_endpoint_id")


@pytest.mark.parametrize(
    "components, expected",
    [
        (["chat", "Default"], "chat"),
        (["chat.bot v2", "Default"], "chatbotv2"),
        (["team", "chat", "Default"], "team_chat_"),
        (["teamchat", "chat", "Default"], "teamchat_"),
        (["team", "Resource", "Default"], "team_"),
    ],
)
def test_logical_ids_follow_make_unique_id(components, expected):
    result = _cdk.logical_id(components)
    if expected.endswith("_"):
        assert result.startswith(expected) and len(result) == len(expected) + 8 and result[-8:].isupper()
    else:
        assert result == expected


def test_grants_in_a_stack_become_one_permissions_resource_when_the_app_synthesizes(synth):
    seen = {}

    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        chat = endpoint(stack, "chat", "chat")
        chat.grant_query(user="ana@example.com")
        seen["before synth"] = chat._permissions
        seen["chat"] = chat

    doc = synth(build)["dev"]
    assert seen["before synth"] is None  # no resource yet, so no list to replace on each grant
    (permissions,) = doc["resource"]["databricks_permissions"].values()
    assert permissions["access_control"] == seen["chat"].grants
    assert {entry.get("group_name") or entry.get("user_name") for entry in permissions["access_control"]} == {
        "data-scientists",
        "ml-platform",
        "ana@example.com",
    }
