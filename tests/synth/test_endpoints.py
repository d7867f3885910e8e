"""Each kind of endpoint, split, gateway, tags, grants and app, synthesized and read back as plain values."""

from __future__ import annotations

import pytest

from servingstack import (
    AiGateway,
    AmazonBedrock,
    Anthropic,
    Backend,
    CustomModel,
    ExistingEndpoint,
    ExternalModel,
    FoundationModel,
    Guardrail,
    InferenceTable,
    OpenAI,
    Plaintext,
    ProvisionedThroughput,
    RateLimit,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    canary,
    secret,
)
from servingstack.cdk import engine as _cdk


def serving(doc, logical_id):
    return doc["resource"]["databricks_model_serving"][logical_id]


def test_pay_per_token_foundation_model(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s, "assistant", name="assistant", served_entities=[FoundationModel("system.ai.llama_3", "1", name="llama")]
        )
    )
    body = serving(doc, "assistant")
    assert body["name"] == "dev-assistant"
    assert body["config"] == {
        "served_entities": [{"name": "llama", "entity_name": "system.ai.llama_3", "entity_version": "1"}],
        "traffic_config": {"routes": [{"served_model_name": "llama", "traffic_percentage": 100}]},
    }
    assert doc["//"]["servingstack"]["dev-assistant"]["task"] == "llm/v1/chat"
    assert body["//"]["metadata"]["path"] == "dev/assistant/Default"


def test_provisioned_throughput(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "pt",
            name="pt",
            served_entities=[
                ProvisionedThroughput(
                    "system.ai.llama_8b", 2, name="a", min_provisioned_throughput=0, max_provisioned_throughput=970
                ),
                ProvisionedThroughput("system.ai.llama_8b", 3, name="b", provisioned_model_units=50),
            ],
            traffic={"a": 50, "b": 50},
        )
    )
    entities = serving(doc, "pt")["config"]["served_entities"]
    assert entities[0]["min_provisioned_throughput"] == 0 and entities[0]["max_provisioned_throughput"] == 970
    assert entities[1]["provisioned_model_units"] == 50
    assert all("scale_to_zero_enabled" not in e for e in entities)


def test_custom_models_with_a_canary_split(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "fraud",
            name="fraud",
            served_entities=[
                CustomModel(
                    "ml.fraud.scorer",
                    3,
                    name="v3",
                    workload_size="Medium",
                    workload_type="GPU_SMALL",
                    environment_vars={"API_TOKEN": secret("fraud", "token")},
                ),
                CustomModel("ml.fraud.scorer", 4, name="v4", scale_to_zero=True),
            ],
            traffic=canary("v3", "v4", 10),
            sample_request={"dataframe_records": [{"amount": 1}]},
            create_timeout="60m",
            update_timeout="30m",
        )
    )
    body = serving(doc, "fraud")
    assert body["config"]["served_entities"][0] == {
        "name": "v3",
        "entity_name": "ml.fraud.scorer",
        "entity_version": "3",
        "workload_size": "Medium",
        "workload_type": "GPU_SMALL",
        "environment_vars": {"API_TOKEN": "{{secrets/fraud/token}}"},
    }
    assert body["config"]["served_entities"][1]["scale_to_zero_enabled"] is True
    assert body["config"]["traffic_config"]["routes"] == [
        {"served_model_name": "v3", "traffic_percentage": 90},
        {"served_model_name": "v4", "traffic_percentage": 10},
    ]
    assert body["timeouts"] == {"create": "60m", "update": "30m"}
    assert doc["//"]["servingstack"]["dev-fraud"] == {
        "kinds": ["CustomModel", "CustomModel"],
        "sample_request": {"dataframe_records": [{"amount": 1}]},
    }


def test_external_models_with_every_gateway_feature(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "gw",
            name="gw",
            served_entities=[
                ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai"))),
                ExternalModel(
                    "claude",
                    AmazonBedrock(
                        region="us-east-1",
                        bedrock_provider="anthropic",
                        instance_profile_arn="arn:aws:iam::1:instance-profile/p",
                    ),
                ),
            ],
            traffic={"gpt-4o": 100, "claude": 0},
            ai_gateway=AiGateway(
                rate_limits=[RateLimit(calls=100), RateLimit.per_service_principal("sp-1", tokens=9)],
                usage_tracking=True,
                inference_table=InferenceTable("ml", "gw"),
                input_guardrail=Guardrail(safety=True, invalid_keywords=["pw"], pii="BLOCK"),
                output_guardrail=Guardrail(valid_topics=["billing"], pii="MASK"),
                fallback=True,
            ),
        )
    )
    body = serving(doc, "gw")
    external = body["config"]["served_entities"][0]["external_model"]
    assert external == {
        "name": "gpt-4o",
        "provider": "openai",
        "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
    }
    assert body["config"]["served_entities"][1]["external_model"]["amazon_bedrock_config"] == {
        "aws_region": "us-east-1",
        "bedrock_provider": "anthropic",
        "instance_profile_arn": "arn:aws:iam::1:instance-profile/p",
    }
    assert body["ai_gateway"] == {
        "rate_limits": [
            {"calls": 100, "key": "endpoint", "renewal_period": "minute"},
            {"tokens": 9, "key": "service_principal", "principal": "sp-1", "renewal_period": "minute"},
        ],
        "usage_tracking_config": {"enabled": True},
        "inference_table_config": {"catalog_name": "ml", "schema_name": "gw", "enabled": True},
        "guardrails": {
            "input": {"safety": True, "invalid_keywords": ["pw"], "pii": {"behavior": "BLOCK"}},
            "output": {"valid_topics": ["billing"], "pii": {"behavior": "MASK"}},
        },
        "fallback_config": {"enabled": True},
    }


def test_ai21labs_synthesizes_the_schema_block_name(one_stack):
    # The Python binding calls it ai21_labs_config; the Terraform schema (and the API) ai21labs_config.
    from servingstack import AI21Labs

    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "j",
            name="j",
            served_entities=[
                ExternalModel("j2-ultra", AI21Labs(api_key=secret("llm", "ai21")), task="llm/v1/completions")
            ],
        )
    )
    assert serving(doc, "j")["config"]["served_entities"][0]["external_model"]["ai21labs_config"] == {
        "ai21labs_api_key": "{{secrets/llm/ai21}}"
    }


def test_plaintext_keys_synthesize_only_with_the_opt_in(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "c",
            name="c",
            allow_plaintext_secrets=True,
            served_entities=[ExternalModel("claude", Anthropic(api_key=Plaintext("sk-ant-1")))],
        )
    )
    assert serving(doc, "c")["config"]["served_entities"][0]["external_model"]["anthropic_config"] == {
        "anthropic_api_key_plaintext": "sk-ant-1"
    }


def test_tags_merge_stack_defaults_under_endpoint_tags(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s, "a", name="a", tags={"team": "ml", "owner": "me"}, served_entities=[FoundationModel("system.ai.x", "1")]
        ),
        default_tags={"owner": "platform", "cost-center": "42"},
    )
    assert serving(doc, "a")["tags"] == [
        {"key": "cost-center", "value": "42"},
        {"key": "owner", "value": "me"},
        {"key": "team", "value": "ml"},
    ]


def test_grants_fold_into_one_permissions_resource_by_endpoint_id(one_stack):
    def fill(stack):
        endpoint = ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
        endpoint.grant_view(group="analysts").grant_query(group="analysts")
        endpoint.grant_query(user="a@example.com").grant_manage(service_principal="sp-app-id")

    doc = one_stack(fill)
    (perms,) = doc["resource"]["databricks_permissions"].values()
    assert perms["serving_endpoint_id"] == "${databricks_model_serving.chat.serving_endpoint_id}"
    assert perms["access_control"] == [
        {"group_name": "analysts", "permission_level": "CAN_QUERY"},
        {"service_principal_name": "sp-app-id", "permission_level": "CAN_MANAGE"},
        {"user_name": "a@example.com", "permission_level": "CAN_QUERY"},
    ]


def test_an_endpoint_without_grants_has_no_permissions_resource(one_stack):
    doc = one_stack(lambda s: ServingEndpoint(s, "a", name="a", served_entities=[FoundationModel("system.ai.x")]))
    assert "databricks_permissions" not in doc["resource"]


def test_grants_on_an_endpoint_made_elsewhere_use_its_id(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint.from_name(s, "shared", name="shared-llm", serving_endpoint_id="ab" * 16).grant_query(
            group="g"
        )
    )
    (perms,) = doc["resource"]["databricks_permissions"].values()
    assert perms["serving_endpoint_id"] == "ab" * 16
    assert "databricks_model_serving" not in doc["resource"]


def test_existing_endpoint_still_works_and_says_it_is_deprecated(one_stack):
    with pytest.warns(DeprecationWarning, match=r"ServingEndpoint.from_name"):
        doc = one_stack(
            lambda s: ExistingEndpoint(s, "shared", name="shared-llm", serving_endpoint_id="ab" * 16).grant_query(
                group="g"
            )
        )
    (perms,) = doc["resource"]["databricks_permissions"].values()
    assert perms["serving_endpoint_id"] == "ab" * 16


def test_an_app_gets_can_query_through_its_resources(one_stack):
    def fill(stack):
        chat = ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
        ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": chat})

    (app,) = one_stack(fill)["resource"]["databricks_app"].values()
    assert app["name"] == "dev-support-bot"  # the stack's name prefix, as endpoints get it
    # A reference to the endpoint's name: the dependency is in Terraform's graph (issue 9).
    assert app["resources"] == [
        {
            "name": "llm",
            "serving_endpoint": {"name": "${databricks_model_serving.chat.name}", "permission": "CAN_QUERY"},
        }
    ]


def test_outputs_name_id_and_url_for_each_endpoint(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(s, "chat-bot", name="chat", served_entities=[FoundationModel("system.ai.x")])
    )
    assert {k: v["value"] for k, v in doc["output"].items()} == {
        "chat_bot_name": "dev-chat",
        "chat_bot_serving_endpoint_id": "${databricks_model_serving.chat-bot.serving_endpoint_id}",
        "chat_bot_url": "${databricks_model_serving.chat-bot.endpoint_url}",
    }


def test_stack_provider_backend_and_prefix(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(s, "a", name="a", served_entities=[FoundationModel("system.ai.x")]),
        environment="prod",
        name_prefix="p_",
        host="https://example.cloud.databricks.com",
        backend=Backend("s3", bucket="tf-state", key="serving/prod.tfstate", region="eu-west-1"),
    )
    assert doc["provider"]["databricks"] == [{"host": "https://example.cloud.databricks.com"}]
    assert doc["terraform"]["backend"] == {
        "s3": {"bucket": "tf-state", "key": "serving/prod.tfstate", "region": "eu-west-1"}
    }
    assert doc["terraform"]["required_providers"]["databricks"]["version"] == _cdk.ENGINE.provider_version
    assert serving(doc, "a")["name"] == "p_a"


def test_by_default_the_provider_reads_the_environment(one_stack):
    doc = one_stack(lambda s: ServingEndpoint(s, "a", name="a", served_entities=[FoundationModel("system.ai.x")]))
    assert doc["provider"]["databricks"] == [{}]


def test_a_bad_endpoint_fails_with_its_path_before_any_construct_is_built(synth):
    built = {}

    def build(app):
        stack = ServingStack(app, "prod", environment="prod")
        built["stack"] = stack
        ServingEndpoint(
            stack,
            "chat",
            name="chat",
            served_entities=[CustomModel("ml.a.b", 1, name="v1"), CustomModel("ml.a.b", 2, name="v2")],
            traffic={"v1": 90, "v2": 0},
        )

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value) == "prod/chat: config.traffic_config: traffic routes sum to 90, must be 100"
    assert built["stack"].node.try_find_child("chat") is None


def test_unknown_props_are_reported_with_the_path(synth):
    with pytest.raises(ValidationError, match="^dev/chat: colour: is not an argument of ServingEndpoint"):
        synth(
            lambda app: ServingEndpoint(
                ServingStack(app, "dev"),
                "chat",
                name="c",
                colour="red",
                served_entities=[FoundationModel("system.ai.x")],
            )
        )


def test_a_bad_grant_names_the_endpoint(one_stack):
    def fill(stack):
        ServingEndpoint(stack, "chat", name="c", served_entities=[FoundationModel("system.ai.x")]).grant_query()

    with pytest.raises(ValidationError, match="dev/chat: grant: a grant names exactly one"):
        one_stack(fill)


@pytest.mark.parametrize(
    "props, fragment",
    [
        ({"environment": "Prod!"}, "environment"),
        ({"name_prefix": "a b"}, "name_prefix"),
        ({"backend": Backend("ftp")}, "backend"),
        ({"default_tags": {"": "x"}}, "default_tags"),
    ],
)
def test_bad_stack_props(synth, props, fragment):
    with pytest.raises(ValidationError, match=f"(?s)^bad: .*{fragment}"):
        synth(lambda app: ServingStack(app, "bad", **props))


def test_bad_apps(one_stack):
    def fill(stack):
        chat = ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x")])
        ServingApp(stack, "bot", name="Support Bot", query_endpoints={"": chat, " x": "not-an-endpoint"})

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    assert "dev/bot: 3 problems" in str(error.value)
    # TF-GO AppResources.name: required, no character rule: " x" is a name, "" is none.
    assert "query_endpoints['']: a resource name is a non-empty string" in str(error.value)


def test_an_endpoint_outside_a_serving_stack_records_its_metadata_on_itself(synth, tmp_path):
    from servingstack.cdk import engine as _cdk
    from servingstack.facts.stackfile import load_stack

    def build(app):
        stack = _cdk.TerraformStack(app, "plain")
        _cdk.provider(stack, host=None, profile=None)
        ServingEndpoint(
            stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")], task="llm/v1/completions"
        )

    doc = synth(build)["plain"]
    assert serving(doc, "chat")["//"]["servingstack"] == {"kinds": ["FoundationModel"], "task": "llm/v1/completions"}
    path = tmp_path / "plain"
    path.mkdir()
    (path / "cdk.tf.json").write_text(__import__("json").dumps(doc))
    assert load_stack(path).endpoint("chat").task == "llm/v1/completions"
