"""Which Unity Catalog privileges serving needs, from API requests alone (no Node)."""

from __future__ import annotations

from servingstack import AiGateway, CustomModel, EndpointSpec, ExternalModel, InferenceTable, OpenAI, secret
from servingstack.facts.secrets import scopes_used, secret_uses
from servingstack.facts.uc_privileges import required_privileges


def request(**props):
    return EndpointSpec(**props).request("prod-")


def test_a_uc_model_needs_execute_and_its_parents_use_and_a_table_needs_create():
    fraud = request(
        name="fraud",
        served_entities=[CustomModel("ml.fraud.scorer", 3)],
        ai_gateway=AiGateway(inference_table=InferenceTable("ml", "logs")),
    )
    assert required_privileges([fraud]) == {
        ("model", "ml.fraud.scorer"): {"EXECUTE"},
        ("schema", "ml.fraud"): {"USE_SCHEMA"},
        ("catalog", "ml"): {"USE_CATALOG"},
        ("schema", "ml.logs"): {"USE_SCHEMA", "CREATE_TABLE"},
    }


def test_external_system_ai_and_registry_models_and_disabled_tables_need_nothing():
    external = request(
        name="chat",
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("k", "o")))],
        ai_gateway=AiGateway(inference_table=InferenceTable("ml", "logs")),
    )
    external["ai_gateway"]["inference_table_config"]["enabled"] = False
    raw = {
        "config": {
            "served_entities": [
                {"entity_name": "system.ai.llama", "entity_version": "1"},
                {"entity_name": "ads-model", "entity_version": "2"},
            ]
        }
    }
    assert required_privileges([external, raw]) == {}


def test_secret_references_are_found_with_their_field():
    chat = request(name="chat", served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))])
    (use,) = secret_uses(chat)
    assert (use.scope, use.key) == ("llm", "openai")
    assert use.field == "config.served_entities[0].external_model.openai_config.openai_api_key"
    assert scopes_used({"x": ["{{secrets/a/b}}", "not {{secrets/c/d}}"]}) == {"a"}
