"""`ServingEndpoint.adopt()`: Terraform import blocks for the endpoint and its permissions."""

from __future__ import annotations

import json

from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize


def _synth(tmp_path, configure) -> dict:
    def build(app):
        stack = ServingStack(app, "prod", environment="prod")
        configure(stack)

    assert synthesize(build, tmp_path / "out") == 0
    return json.loads((tmp_path / "out" / "stacks" / "prod" / "cdk.tf.json").read_text())


def test_adopt_imports_the_endpoint_by_name_and_its_permissions_by_id(tmp_path) -> None:
    def configure(stack):
        chat = ServingEndpoint(
            stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1")]
        )
        chat.grant_query(group="data-scientists")
        assert chat.adopt("0123abcd") is chat
        ServingEndpoint(
            stack,
            "other",
            name="other",
            served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1")],
        )

    document = _synth(tmp_path, configure)
    serving = document["resource"]["databricks_model_serving"]
    permissions = document["resource"]["databricks_permissions"]
    (chat_id,) = [k for k, v in serving.items() if v["name"] == "prod-chat"]
    (permissions_id,) = permissions
    assert sorted((b["to"], b["id"]) for b in document["import"]) == sorted(
        [
            (f"databricks_model_serving.{chat_id}", "prod-chat"),
            (f"databricks_permissions.{permissions_id}", "/serving-endpoints/0123abcd"),
        ]
    )


def test_adopt_without_grants_or_id_imports_the_endpoint_only(tmp_path) -> None:
    def configure(stack):
        ServingEndpoint(
            stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1")]
        ).adopt()

    document = _synth(tmp_path, configure)
    assert [b["id"] for b in document["import"]] == ["prod-chat"]
