"""The serving-endpoints control plane, driven through databricks-sdk over HTTP."""

from __future__ import annotations

import json
import re

import pytest
import requests
from databricks.sdk.errors import (
    InvalidParameterValue,
    NotFound,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    Unauthenticated,
)
from databricks.sdk.service.serving import (
    AiGatewayGuardrailParameters,
    AiGatewayGuardrailPiiBehavior,
    AiGatewayGuardrailPiiBehaviorBehavior,
    AiGatewayGuardrails,
    AiGatewayInferenceTableConfig,
    AiGatewayRateLimit,
    AiGatewayRateLimitKey,
    AiGatewayRateLimitRenewalPeriod,
    AiGatewayUsageTrackingConfig,
    EmailNotifications,
    EndpointCoreConfigInput,
    EndpointTag,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    PtEndpointCoreConfig,
    PtServedModel,
    RateLimit,
    RateLimitKey,
    RateLimitRenewalPeriod,
    Route,
    ServedEntityInput,
    TrafficConfig,
)

from emu_support import TOKEN, client_for, create_custom, create_foundation, custom_config, wait_ready
from servingstack.emulator.auth import DEFAULT_TOKEN

# -- auth and transport ----------------------------------------------------------------


def test_well_known_config_answers_without_auth(emu):
    response = requests.get(f"{emu.url}/.well-known/databricks-config", timeout=5)
    assert response.status_code == 200
    # Where the OAuth server is (an oauth-m2m client of SDK 0.162 needs it) and the workspace id.
    assert response.json() == {"oidc_endpoint": f"{emu.url}/oidc", "workspace_id": emu.workspace.workspace_id}


def test_wrong_token_is_unauthenticated(emu):
    w = client_for(emu, token="not-the-token")
    with pytest.raises(Unauthenticated):
        w.serving_endpoints.get("anything")


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer ", f"Basic {TOKEN}", f"bearer-{TOKEN}", f"Token {TOKEN}", "Bearer wrong"]
)
def test_bad_authorization_headers_get_401_in_databricks_shape(emu, header):
    headers = {"Authorization": header} if header is not None else {}
    response = requests.get(f"{emu.url}/api/2.0/serving-endpoints", headers=headers, timeout=5)
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "UNAUTHENTICATED"
    assert TOKEN not in json.dumps(body)


def test_default_token_is_used_without_one(monkeypatch):
    from servingstack.emulator import Emulator

    with Emulator() as emulator:
        assert emulator.token == DEFAULT_TOKEN
        ok = requests.get(
            f"{emulator.url}/api/2.0/serving-endpoints", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=5
        )
        assert ok.status_code == 200


def test_token_comes_from_the_environment(monkeypatch):
    from servingstack.emulator import Emulator

    monkeypatch.setenv("SERVINGSTACK_EMULATOR_TOKEN", "from-env")
    with Emulator() as emulator:
        assert emulator.token == "from-env"


def test_unknown_route_answers_json_404(emu):
    response = requests.get(f"{emu.url}/api/2.0/nothing-here", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_malformed_json_is_a_400(emu):
    response = requests.post(
        f"{emu.url}/api/2.0/serving-endpoints",
        data="{not json",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "MALFORMED_REQUEST"


def test_body_of_the_wrong_shape_is_invalid(emu):
    response = requests.post(
        f"{emu.url}/api/2.0/serving-endpoints",
        json={"name": "x", "config": {"served_entities": "not-a-list"}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_current_user(w):
    assert w.current_user.me().user_name == "dev@servingstack.local"


# -- create, get, list, delete ---------------------------------------------------------


def test_create_answers_the_new_endpoint(w):
    created = create_custom(w, "scorer", description="fraud scores", tags=[EndpointTag(key="team", value="ml")])
    assert created.name == "scorer"
    assert re.fullmatch(r"[0-9a-f]{32}", created.id)
    assert created.creator == "dev@servingstack.local"
    assert created.creation_timestamp > 1_600_000_000_000
    assert created.description == "fraud scores"
    assert created.tags == [EndpointTag(key="team", value="ml")]
    assert created.endpoint_url is None  # "only populated if the endpoint is route-optimized"
    assert created.permission_level.value == "CAN_MANAGE"
    assert created.task is None  # custom models have no task


def test_get_list_and_delete(w):
    create_custom(w, "a")
    create_foundation(w, "b")
    assert w.serving_endpoints.get("a").name == "a"
    listed = {e.name: e for e in w.serving_endpoints.list()}
    assert set(listed) == {"a", "b"}
    assert listed["b"].task == "llm/v1/chat"
    assert [e.name for e in listed["a"].config.served_entities] == ["v1"]
    w.serving_endpoints.delete("a")
    assert [e.name for e in w.serving_endpoints.list()] == ["b"]
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.get("a")


def test_missing_endpoint_is_resource_does_not_exist(w):
    with pytest.raises(ResourceDoesNotExist) as caught:
        w.serving_endpoints.get("nope")
    assert "nope" in str(caught.value)
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.delete("nope")
    with pytest.raises(NotFound):
        w.serving_endpoints.update_config("nope", served_entities=custom_config("nope").served_entities)


def test_duplicate_create_is_resource_already_exists(w):
    create_custom(w, "twice")
    with pytest.raises(ResourceAlreadyExists):
        create_custom(w, "twice")


def test_invalid_create_names_the_field(w):
    config = EndpointCoreConfigInput(
        name="bad",
        served_entities=[ServedEntityInput(entity_name="m", entity_version="1", workload_size="Small", name="a")],
        traffic_config=TrafficConfig(routes=[Route(served_model_name="a", traffic_percentage=100)]),
    )
    config.served_entities.append(
        ServedEntityInput(entity_name="m", entity_version="2", workload_size="Small", name="b")
    )
    with pytest.raises(InvalidParameterValue) as caught:
        w.serving_endpoints.create(name="databricks-reserved", config=config)
    message = str(caught.value)
    assert "name:" in message and "reserved" in message
    assert "config.traffic_config.routes" in message  # TF: every served entity needs a route
    fields = [v.field for v in caught.value.get_error_details().bad_request.field_violations]
    assert fields == ["name", "config.traffic_config.routes"]


def test_unknown_enum_values_are_rejected_before_the_sdk_model_drops_them(emu):
    body = {
        "name": "gpu",
        "config": {
            "served_entities": [
                {"entity_name": "m", "entity_version": "1", "workload_size": "Small", "workload_type": "gpu small"}
            ]
        },
    }
    response = requests.post(
        f"{emu.url}/api/2.0/serving-endpoints", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert response.status_code == 400
    assert "config.served_entities[0].workload_type" in response.json()["message"]


def test_external_model_endpoint_takes_its_task_and_hides_plaintext_secrets(w):
    entity = ServedEntityInput(
        name="gpt",
        external_model=ExternalModel(
            name="gpt-4o",
            provider=ExternalModelProvider.OPENAI,
            task="llm/v1/chat",
            openai_config=OpenAiConfig(openai_api_key_plaintext="sk-very-secret"),
        ),
    )
    created = w.serving_endpoints.create(
        name="ext", config=EndpointCoreConfigInput(name="ext", served_entities=[entity])
    ).response
    assert created.task == "llm/v1/chat"
    shown = created.pending_config.served_entities[0].external_model
    assert shown.name == "gpt-4o"
    assert shown.openai_config.openai_api_key_plaintext is None
    raw = requests.get(
        f"{w.config.host}/api/2.0/serving-endpoints/ext", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert "sk-very-secret" not in raw.text


@pytest.mark.parametrize(
    "entity, task",
    [
        ("system.ai.meta_llama_3_3_70b_instruct", "llm/v1/chat"),
        ("system.ai.bge_large_en_v1_5", "llm/v1/embeddings"),
        ("databricks-gte-large-en", "llm/v1/embeddings"),
        ("databricks-claude-sonnet-4", "llm/v1/chat"),
    ],
)
def test_foundation_model_task_is_inferred_from_the_name(w, entity, task):
    created = create_foundation(w, "fm", entity)
    assert created.task == task
    assert created.pending_config.served_entities[0].foundation_model.name == entity


def test_default_entity_name_and_traffic(w):
    config = EndpointCoreConfigInput(
        name="d",
        served_entities=[ServedEntityInput(entity_name="ml.fraud.scorer", entity_version="3", workload_size="Small")],
    )
    created = w.serving_endpoints.create(name="d", config=config).response
    entity = created.pending_config.served_entities[0]
    assert entity.name == "ml-fraud-scorer-3"
    routes = created.pending_config.traffic_config.routes
    assert [(r.served_model_name, r.traffic_percentage) for r in routes] == [("ml-fraud-scorer-3", 100)]


# -- provisioned throughput ------------------------------------------------------------


def test_provisioned_throughput_create_and_update(w):
    config = PtEndpointCoreConfig(
        served_entities=[
            PtServedModel(
                entity_name="system.ai.meta_llama_v3_1_8b_instruct",
                entity_version="2",
                provisioned_model_units=50,
                name="llama",
            )
        ]
    )
    created = w.serving_endpoints.create_provisioned_throughput_endpoint(name="pt", config=config).response
    assert created.name == "pt"
    assert created.task == "llm/v1/chat"
    assert created.pending_config.served_entities[0].provisioned_model_units == 50
    wait_ready(w, "pt")
    config.served_entities[0].provisioned_model_units = 100
    updated = w.serving_endpoints.update_provisioned_throughput_endpoint_config(name="pt", config=config).response
    assert updated.name == "pt"
    assert updated.pending_config.config_version == 2
    assert updated.pending_config.served_entities[0].provisioned_model_units == 100
    assert wait_ready(w, "pt").config.served_entities[0].provisioned_model_units == 100


def test_provisioned_throughput_needs_model_units(emu):
    body = {"name": "pt", "config": {"served_entities": [{"entity_name": "system.ai.x", "entity_version": "1"}]}}
    response = requests.post(
        f"{emu.url}/api/2.0/serving-endpoints/pt", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert response.status_code == 400
    assert "config.served_entities[0].provisioned_model_units" in response.json()["message"]


# -- AI gateway, legacy rate limits, tags, notifications --------------------------------


def test_ai_gateway_is_replaced_and_shown(w):
    create_foundation(w, "gw")
    answer = w.serving_endpoints.put_ai_gateway(
        "gw",
        rate_limits=[
            AiGatewayRateLimit(
                renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE, calls=100, key=AiGatewayRateLimitKey.ENDPOINT
            )
        ],
        usage_tracking_config=AiGatewayUsageTrackingConfig(enabled=True),
        inference_table_config=AiGatewayInferenceTableConfig(enabled=True, catalog_name="ml", schema_name="logs"),
        guardrails=AiGatewayGuardrails(
            input=AiGatewayGuardrailParameters(
                pii=AiGatewayGuardrailPiiBehavior(behavior=AiGatewayGuardrailPiiBehaviorBehavior.BLOCK)
            )
        ),
    )
    assert answer.rate_limits[0].calls == 100
    assert answer.usage_tracking_config.enabled is True
    gateway = w.serving_endpoints.get("gw").ai_gateway
    assert gateway.inference_table_config.catalog_name == "ml"
    assert gateway.guardrails.input.pii.behavior.value == "BLOCK"


def test_ai_gateway_rules_are_enforced(w):
    create_foundation(w, "gw")
    with pytest.raises(InvalidParameterValue) as caught:
        w.serving_endpoints.put_ai_gateway(
            "gw", inference_table_config=AiGatewayInferenceTableConfig(enabled=True, catalog_name="ml")
        )
    assert "ai_gateway.inference_table_config.schema_name" in str(caught.value)


def test_legacy_rate_limits(w):
    create_foundation(w, "rl")
    answer = w.serving_endpoints.put(
        "rl", rate_limits=[RateLimit(calls=10, renewal_period=RateLimitRenewalPeriod.MINUTE, key=RateLimitKey.USER)]
    )
    assert answer.rate_limits[0].calls == 10
    assert answer.rate_limits[0].key.value == "user"


def test_tags_are_added_replaced_and_deleted(w):
    create_custom(w, "tagged", tags=[EndpointTag(key="a", value="1"), EndpointTag(key="b", value="2")])
    answer = w.serving_endpoints.patch(
        "tagged", add_tags=[EndpointTag(key="b", value="20"), EndpointTag(key="c", value="3")], delete_tags=["a"]
    )
    assert {t.key: t.value for t in answer.tags} == {"b": "20", "c": "3"}
    assert {t.key: t.value for t in w.serving_endpoints.get("tagged").tags} == {"b": "20", "c": "3"}
    with pytest.raises(InvalidParameterValue):
        w.serving_endpoints.patch("tagged", add_tags=[EndpointTag(key=" ", value="x")])


def test_email_notifications(w):
    create_custom(w, "n")
    answer = w.serving_endpoints.update_notifications(
        "n", email_notifications=EmailNotifications(on_update_failure=["oncall@example.com"])
    )
    assert answer.name == "n"
    assert answer.email_notifications.on_update_failure == ["oncall@example.com"]
    assert w.serving_endpoints.get("n").email_notifications.on_update_failure == ["oncall@example.com"]


# -- logs, metrics, OpenAPI -----------------------------------------------------------


def test_build_logs_and_server_logs(w):
    create_custom(w, "logs")
    assert "Building container image" in w.serving_endpoints.build_logs("logs", "v1").logs
    assert "still deploying" in w.serving_endpoints.logs("logs", "v1").logs
    wait_ready(w, "logs")
    assert "Listening for requests" in w.serving_endpoints.logs("logs", "v1").logs
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.build_logs("logs", "no-such-entity")


def test_openapi_of_a_custom_model_describes_dataframe_split(emu, w):
    emu.set_model_signature("ml.models.scorer", {"amount": "double", "merchant": "string"})
    create_custom(w, "oa")
    document = json.loads(w.serving_endpoints.get_open_api("oa").contents.read())
    assert document["openapi"].startswith("3.")
    post = document["paths"]["/invocations"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["dataframe_split"]["properties"]["columns"]["items"]["enum"] == ["amount", "merchant"]
    example = post["requestBody"]["content"]["application/json"]["example"]
    assert example == {"dataframe_split": {"columns": ["amount", "merchant"], "data": [[0.5, "example"]]}}
    assert "/served-models/v1/invocations" in document["paths"]


def test_openapi_of_a_chat_endpoint_describes_messages(w):
    create_foundation(w, "chat")
    document = json.loads(w.serving_endpoints.get_open_api("chat").contents.read())
    schema = document["paths"]["/invocations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["messages"]
