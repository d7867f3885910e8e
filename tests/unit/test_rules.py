"""Every rule the service applies to an endpoint, good and bad, in pure Python. Each test names its
source: REST (API reference), SDK (databricks-sdk-py serving.py docstrings and enums), TF (provider docs,
docs/resources/model_serving.md) or TF-GO (the provider schema's required fields)."""

from __future__ import annotations

import copy

import pytest

from servingstack.facts import rules, secrets


def custom(name="v1", **extra):
    return {"name": name, "entity_name": "ml.models.scorer", "entity_version": "1", "workload_size": "Small", **extra}


def external(name="gpt-4o", provider="openai", task="llm/v1/chat", **config):
    block = rules.PROVIDERS[provider][0]
    settings = config or {"openai_api_key": "{{secrets/llm/openai}}"}
    return {"name": name, "external_model": {"name": name, "provider": provider, "task": task, block: settings}}


def request(*entities, routes=None, **extra):
    config = {"served_entities": list(entities) or [custom()]}
    if routes is not None:
        config["traffic_config"] = {
            "routes": [{"served_model_name": n, "traffic_percentage": p} for n, p in routes.items()]
        }
    return {"name": "chat", "config": config, **extra}


def fields(problems):
    return [p.field for p in problems]


def test_a_valid_request_has_no_problems():
    assert rules.validate_endpoint(request(custom("v1"), custom("v2"), routes={"v1": 90, "v2": 10})) == []


@pytest.mark.parametrize("name", ["chat", "Chat_2", "a-b-c", "x" * rules.MAX_ENDPOINT_NAME_LENGTH])
def test_good_endpoint_names(name):
    assert rules.validate_endpoint_name(name) == []


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("", "is required"),
        (None, "is required"),
        ("chat.v1", "only letters, digits"),
        ("chat bot", "only letters, digits"),
        ("databricks-chat", "reserved"),
        ("x" * (rules.MAX_ENDPOINT_NAME_LENGTH + 1), "at most 63"),
    ],
)
def test_bad_endpoint_names(name, fragment):
    problems = rules.validate_endpoint_name(name)
    assert fields(problems) == ["name"] and fragment in problems[0].message


def test_config_is_optional():
    """TF `config`: "This is optional and can be added and modified after creation"."""
    assert rules.validate_endpoint({"name": "chat"}) == []


def test_at_least_one_and_at_most_fifteen_entities():
    assert "config.served_entities" in fields(rules.validate_config({"served_entities": []}))
    entities = [custom(f"v{i}") for i in range(16)]
    routes = [{"served_model_name": f"v{i}", "traffic_percentage": 100 if i == 0 else 0} for i in range(16)]
    problems = rules.validate_config({"served_entities": entities, "traffic_config": {"routes": routes}})
    assert [p.message for p in problems] == ["16 served entities, at most 15 are allowed"]
    assert rules.validate_config({"served_entities": entities[:15], "traffic_config": {"routes": routes[:15]}}) == []


def test_entity_names_are_unique_and_well_formed():
    problems = rules.validate_config(
        {
            "served_entities": [custom("v1"), custom("v1")],
            "traffic_config": {"routes": [{"served_model_name": "v1", "traffic_percentage": 100}]},
        }
    )
    assert "more than one served entity" in str(problems[0])
    assert fields(rules.validate_served_entity(custom("v 1"), "e")) == ["e.name"]


def test_default_entity_names_follow_the_service():
    """SDK ServedEntityInput.name: defaults to external_model.name "with '.' and ':' replaced with '-'",
    else entity_name-entity_version."""
    assert rules.default_entity_name({"entity_name": "ml.models.scorer", "entity_version": "3"}) == "ml-models-scorer-3"
    assert rules.default_entity_name(external("gpt-4o")) == "gpt-4o"
    assert (
        rules.default_entity_name(external("anthropic.claude-3-5-sonnet-20240620-v1:0"))
        == "anthropic-claude-3-5-sonnet-20240620-v1-0"
    )
    assert rules.default_entity_name({"entity_name": "ml.fs.features"}) == "ml-fs-features"


def test_a_bedrock_model_id_with_a_colon_is_valid():
    """SDK ServedEntityInput.name: ':' in an external model's name becomes '-' in the default name."""
    entity = external(
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        provider="amazon-bedrock",
        aws_region="us-east-1",
        bedrock_provider="anthropic",
        instance_profile_arn="arn:aws:iam::1:x",
    )
    del entity["name"]
    assert rules.validate_config({"served_entities": [entity]}) == []


def test_registry_models_and_feature_specs_are_entities():
    """SDK ServedEntityInput.entity_name: a Model Registry model, a UC model or a FEATURE_SPEC function;
    entity_version is empty for a FEATURE_SPEC (TF)."""
    assert (
        rules.validate_served_entity({"entity_name": "ads-model", "entity_version": "2", "workload_size": "Small"}, "e")
        == []
    )
    assert (
        rules.validate_served_entity(
            {"entity_name": "main.fs.user_features", "workload_size": "Small", "scale_to_zero_enabled": True}, "e"
        )
        == []
    )


def test_external_models_exclude_entity_and_workload_fields():
    entity = external()
    entity.update(
        entity_name="x", entity_version="1", workload_size="Small", workload_type="CPU", scale_to_zero_enabled=True
    )
    assert sorted(fields(rules.validate_served_entity(entity, "e"))) == [
        "e.entity_name",
        "e.entity_version",
        "e.scale_to_zero_enabled",
        "e.workload_size",
        "e.workload_type",
    ]


def test_an_entity_needs_a_model():
    assert fields(rules.validate_served_entity({"name": "v1"}, "e")) == ["e.entity_name"]


def test_external_models_of_one_endpoint_share_one_task():
    problems = rules.validate_config(
        {
            "served_entities": [external("a"), external("b", task="llm/v1/embeddings")],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "a", "traffic_percentage": 100},
                    {"served_model_name": "b", "traffic_percentage": 0},
                ]
            },
        }
    )
    assert [p.field for p in problems] == ["config.served_entities"] and "one task" in problems[0].message


@pytest.mark.parametrize(
    "provider, settings",
    [
        ("openai", {"openai_api_key": "{{secrets/s/k}}"}),
        (
            "openai",
            {
                "microsoft_entra_client_id": "c",
                "microsoft_entra_tenant_id": "t",
                "microsoft_entra_client_secret": "{{secrets/s/k}}",
            },
        ),
        ("anthropic", {"anthropic_api_key": "{{secrets/s/k}}"}),
        ("cohere", {"cohere_api_key": "{{secrets/s/k}}"}),
        (
            "amazon-bedrock",
            {
                "aws_region": "us-east-1",
                "bedrock_provider": "anthropic",
                "aws_access_key_id": "{{secrets/s/id}}",
                "aws_secret_access_key": "{{secrets/s/key}}",
            },
        ),
        (
            "amazon-bedrock",
            {
                "aws_region": "us-east-1",
                "bedrock_provider": "anthropic",
                "instance_profile_arn": "arn:aws:iam::1:instance-profile/p",
            },
        ),
        ("google-cloud-vertex-ai", {"project_id": "p", "region": "us-central1", "private_key": "{{secrets/s/k}}"}),
        (
            "databricks-model-serving",
            {"databricks_workspace_url": "https://w", "databricks_api_token": "{{secrets/s/k}}"},
        ),
        ("ai21labs", {"ai21labs_api_key": "{{secrets/s/k}}"}),
        ("palm", {"palm_api_key": "{{secrets/s/k}}"}),
        ("custom", {"custom_provider_url": "https://llm", "bearer_token_auth": {"token": "{{secrets/s/k}}"}}),
        (
            "custom",
            {"custom_provider_url": "https://llm", "api_key_auth": {"key": "X-Key", "value": "{{secrets/s/k}}"}},
        ),
    ],
)
def test_every_provider_with_a_secret_reference_is_valid(provider, settings):
    """SDK ExternalModelProvider and each provider's *Config dataclass."""
    assert rules.validate_served_entity(external(provider=provider, **settings), "e") == []


@pytest.mark.parametrize(
    "provider, settings, missing",
    [
        ("google-cloud-vertex-ai", {"private_key": "{{secrets/s/k}}"}, ["project_id", "region"]),
        ("google-cloud-vertex-ai", {"project_id": "p", "private_key": "{{secrets/s/k}}"}, ["region"]),
        ("databricks-model-serving", {"databricks_api_token": "{{secrets/s/k}}"}, ["databricks_workspace_url"]),
        (
            "openai",
            {"openai_api_type": "azure", "openai_api_key": "{{secrets/s/k}}"},
            ["openai_api_base", "openai_api_version", "openai_deployment_name"],
        ),
        (
            "openai",
            {
                "openai_api_type": "azuread",
                "microsoft_entra_client_secret": "{{secrets/s/k}}",
                "openai_api_base": "https://x.openai.azure.com",
                "openai_api_version": "2024-02-01",
                "openai_deployment_name": "gpt4",
            },
            ["microsoft_entra_client_id", "microsoft_entra_tenant_id"],
        ),
    ],
)
def test_required_provider_fields(provider, settings, missing):
    """TF-GO required fields (GoogleCloudVertexAiConfig project_id/region, DatabricksModelServingConfig
    databricks_workspace_url); SDK OpenAiConfig: Azure needs base, version, deployment; Entra ID needs
    client and tenant ids."""
    block = rules.PROVIDERS[provider][0]
    problems = rules.validate_served_entity(external(provider=provider, **settings), "e")
    assert fields(problems) == [f"e.external_model.{block}.{field}" for field in missing]


def test_a_complete_azure_openai_config_is_valid():
    """SDK OpenAiConfig / TF openai_config: the Azure fields."""
    assert (
        rules.validate_served_entity(
            external(
                openai_api_type="azure",
                openai_api_key="{{secrets/s/k}}",
                openai_api_base="https://x.openai.azure.com",
                openai_api_version="2024-02-01",
                openai_deployment_name="gpt4",
            ),
            "e",
        )
        == []
    )


def test_unknown_provider_and_task():
    entity = external()
    entity["external_model"].update(provider="acme", task="llm/v9/chat")
    assert sorted(fields(rules.validate_served_entity(entity, "e"))) == [
        "e.external_model.provider",
        "e.external_model.task",
    ]


def test_provider_config_must_match_the_provider():
    entity = external(provider="anthropic", anthropic_api_key="{{secrets/s/k}}")
    entity["external_model"]["openai_config"] = {"openai_api_key": "{{secrets/s/k}}"}
    problems = rules.validate_served_entity(entity, "e")
    assert fields(problems) == ["e.external_model.openai_config"] and "anthropic" in problems[0].message
    missing = external(provider="anthropic", anthropic_api_key="{{secrets/s/k}}")
    del missing["external_model"]["anthropic_config"]
    assert fields(rules.validate_served_entity(missing, "e")) == ["e.external_model.anthropic_config"]


def test_a_literal_key_is_refused_and_never_quoted():
    problems = rules.validate_served_entity(external(openai_api_key="sk-live-123"), "e")
    assert fields(problems) == ["e.external_model.openai_config.openai_api_key"]
    assert "sk-live-123" not in str(problems)


def test_plaintext_keys_are_valid_for_the_service():
    """SDK *Config: `<key>_plaintext` is a documented field; refusing it is the constructs' choice."""
    assert rules.validate_served_entity(external(openai_api_key_plaintext="sk-live-123"), "e") == []


def test_a_key_and_its_plaintext_twin_exclude_each_other():
    entity = external(provider="anthropic", anthropic_api_key="{{secrets/s/k}}", anthropic_api_key_plaintext="x")
    assert "not both" in str(rules.validate_served_entity(entity, "e"))


def test_providers_that_need_a_key():
    problems = rules.validate_served_entity(external(provider="anthropic", anthropic_api_key=None), "e")
    assert fields(problems) == ["e.external_model.anthropic_config.anthropic_api_key"]
    assert "openai_api_key" in str(rules.validate_served_entity(external(openai_api_base="https://x"), "e"))


def test_bedrock_needs_region_provider_and_credentials():
    problems = rules.validate_served_entity(external(provider="amazon-bedrock", aws_region=None), "e")
    assert sorted(fields(problems)) == [
        "e.external_model.amazon_bedrock_config",
        "e.external_model.amazon_bedrock_config.aws_region",
        "e.external_model.amazon_bedrock_config.bedrock_provider",
    ]


def test_custom_provider_needs_a_url_and_at_most_one_auth():
    """SDK CustomProviderConfig: custom_provider_url required; "You can only specify one authentication method"."""
    problems = rules.validate_served_entity(external(provider="custom", other=None), "e")
    assert fields(problems) == ["e.external_model.custom_provider_config.custom_provider_url"]
    both = external(
        provider="custom",
        custom_provider_url="https://llm",
        api_key_auth={"key": "k", "value": "{{secrets/s/k}}"},
        bearer_token_auth={"token": "{{secrets/s/t}}"},
    )
    assert fields(rules.validate_served_entity(both, "e")) == ["e.external_model.custom_provider_config"]


def test_workload_sizes_and_types():
    """SDK ServedEntityInput.workload_size (custom sizes allowed) and ServingModelWorkloadType; the GPU types
    differ per cloud (product docs), so GPU_MEDIUM_8 is accepted and only a non-enum shape is refused."""
    assert rules.validate_served_entity(custom(workload_size="Large", workload_type="GPU_MEDIUM"), "e") == []
    assert rules.validate_served_entity(custom(workload_size="my-custom-size"), "e") == []
    assert rules.validate_served_entity(custom(workload_type="GPU_MEDIUM_8"), "e") == []
    assert fields(rules.validate_served_entity(custom(workload_size=""), "e")) == ["e.workload_size"]
    assert fields(rules.validate_served_entity(custom(workload_type="gpu small"), "e")) == ["e.workload_type"]


def test_workload_size_excludes_provisioned_concurrency():
    entity = custom(min_provisioned_concurrency=4, max_provisioned_concurrency=8)
    assert "min/max_provisioned_concurrency" in str(rules.validate_served_entity(entity, "e"))
    del entity["workload_size"]
    assert rules.validate_served_entity(entity, "e") == []
    entity["min_provisioned_concurrency"] = 16
    assert fields(rules.validate_served_entity(entity, "e")) == ["e.min_provisioned_concurrency"]


def test_provisioned_throughput_ranges():
    pt = {"name": "pt", "entity_name": "system.ai.llama", "entity_version": "1"}
    assert (
        rules.validate_served_entity({**pt, "min_provisioned_throughput": 0, "max_provisioned_throughput": 970}, "e")
        == []
    )
    bad = rules.validate_served_entity(
        {**pt, "min_provisioned_throughput": 1000, "max_provisioned_throughput": 970}, "e"
    )
    assert fields(bad) == ["e.min_provisioned_throughput"] and "above" in bad[0].message
    assert fields(rules.validate_served_entity({**pt, "provisioned_model_units": 0}, "e")) == [
        "e.provisioned_model_units"
    ]


def test_provisioned_throughput_with_max_only_and_scale_to_zero():
    """TF's foundation-model example: max_provisioned_throughput = 44000 alone, scale_to_zero_enabled = true."""
    entity = {
        "name": "meta_llama_v3_2_3b_instruct-3",
        "entity_name": "system.ai.llama_v3_2_3b_instruct",
        "entity_version": "2",
        "scale_to_zero_enabled": True,
        "max_provisioned_throughput": 44000,
    }
    assert rules.validate_served_entity(entity, "e") == []


def test_environment_variable_names_are_never_secrets_to_the_service():
    """SDK ServedEntityInput.environment_vars: Dict[str, str], any name; the name heuristics are policy (SS5)."""
    entity = custom(
        environment_vars={
            "TOKENIZERS_PARALLELISM": "false",
            "PRIMARY_KEY_COLUMN": "id",
            "API_TOKEN": "{{secrets/db/token}}",
        }
    )
    assert rules.validate_served_entity(entity, "e") == []
    assert fields(rules.validate_served_entity(custom(environment_vars={"N": 3}), "e")) == ["e.environment_vars[N]"]


@pytest.mark.parametrize(
    "routes, fragment",
    [
        ({"v1": 90, "v2": 0}, "sum to 90, must be 100"),
        ({"v1": 90, "v3": 10}, "'v3' is not a served entity"),
        ({"v1": 101, "v2": 0}, "from 0 to 100"),
        ({"v1": -10, "v2": 110}, "from 0 to 100"),
        ({"v1": 50.5, "v2": 49.5}, "whole number"),
    ],
)
def test_bad_traffic_splits(routes, fragment):
    problems = rules.validate_endpoint(request(custom("v1"), custom("v2"), routes=routes))
    assert problems and fragment in str(problems)


def test_a_route_per_entity_at_most():
    traffic = {
        "routes": [
            {"served_model_name": "v1", "traffic_percentage": 50},
            {"served_model_name": "v1", "traffic_percentage": 50},
        ]
    }
    assert "more than one route" in str(rules.validate_traffic(traffic, ["v1", "v2"]))


def test_every_entity_needs_a_route_when_routes_are_given():
    """TF traffic_config.routes: "Each served_entity block needs to have a corresponding routes block"."""
    problems = rules.validate_endpoint(request(custom("v1"), custom("v2"), routes={"v1": 100}))
    assert fields(problems) == ["config.traffic_config.routes"] and "v2" in problems[0].message


def test_traffic_config_is_optional():
    """SDK EndpointCoreConfigInput.traffic_config is optional."""
    assert rules.validate_endpoint(request(custom("v1"), custom("v2"))) == []


def test_one_entity_needs_no_split():
    assert rules.validate_endpoint(request(custom("v1"))) == []


GATEWAY = {
    "rate_limits": [
        {"calls": 100, "renewal_period": "minute"},
        {"tokens": 1000, "key": "user", "principal": "a@b.com", "renewal_period": "minute"},
    ],
    "usage_tracking_config": {"enabled": True},
    "inference_table_config": {"enabled": True, "catalog_name": "ml", "schema_name": "serving"},
    "guardrails": {
        "input": {"safety": True, "pii": {"behavior": "BLOCK"}, "invalid_keywords": ["x"]},
        "output": {"pii": {"behavior": "MASK"}, "valid_topics": ["billing"]},
    },
    "fallback_config": {"enabled": True},
}


def test_a_complete_gateway_is_valid():
    assert rules.validate_ai_gateway(GATEWAY) == []


@pytest.mark.parametrize(
    "limit, field",
    [
        ({"calls": 1, "renewal_period": "hour"}, "renewal_period"),
        ({"calls": 1, "renewal_period": "minute", "key": "team"}, "key"),
        ({"calls": 1, "renewal_period": "minute", "key": "user_group"}, "principal"),
        ({"calls": 1, "renewal_period": "minute", "key": "service_principal"}, "principal"),
        ({"calls": -1, "renewal_period": "minute"}, "calls"),
        ({"tokens": -5, "renewal_period": "minute"}, "tokens"),
    ],
)
def test_bad_rate_limits(limit, field):
    """SDK AiGatewayRateLimit: renewal_period 'minute', key enum; AI Gateway docs: group and service
    principal limits name their principal."""
    problems = rules.validate_rate_limit(limit, "r")
    assert fields(problems) == [f"r.{field}" if field else "r"]


def test_a_user_rate_limit_without_principal_is_the_default_for_every_user():
    """AI Gateway rate-limits page: "User (default)" applies to every user; SDK principal is optional."""
    assert rules.validate_rate_limit({"calls": 10, "key": "user", "renewal_period": "minute"}, "r") == []


def test_an_enabled_inference_table_needs_catalog_and_schema():
    gateway = {"inference_table_config": {"enabled": True}}
    assert fields(rules.validate_ai_gateway(gateway)) == [
        "ai_gateway.inference_table_config.catalog_name",
        "ai_gateway.inference_table_config.schema_name",
    ]
    assert rules.validate_ai_gateway({"inference_table_config": {"enabled": False}}) == []


def test_guardrail_pii_behaviour_and_keyword_lists():
    gateway = copy.deepcopy(GATEWAY)
    gateway["guardrails"]["input"]["pii"]["behavior"] = "REDACT"
    gateway["guardrails"]["output"]["valid_topics"] = [3]
    assert fields(rules.validate_ai_gateway(gateway)) == [
        "ai_gateway.guardrails.input.pii.behavior",
        "ai_gateway.guardrails.output.valid_topics",
    ]


def test_tags_have_non_empty_keys():
    """SDK EndpointTag.key (required), TF-GO ModelServingTags.key (required)."""
    problems = rules.validate_tags([{"key": "a", "value": "1"}, {"key": " "}, {"key": "b", "value": 3}])
    assert fields(problems) == ["tags[1].key", "tags[2].value"]


def test_every_problem_is_reported_at_once():
    bad = request(
        custom("v1", workload_type="tpu"),
        custom("v2"),
        routes={"v1": 50, "v2": 40},
        ai_gateway={"rate_limits": [{"renewal_period": "day", "calls": 1}]},
    )
    bad["name"] = "databricks-x"
    assert fields(rules.validate_endpoint(bad)) == [
        "name",
        "config.served_entities[0].workload_type",
        "config.traffic_config",
        "ai_gateway.rate_limits[0].renewal_period",
    ]


def test_legacy_served_models_are_checked_too():
    config = {
        "served_models": [
            {
                "name": "m",
                "model_name": "ml.a.b",
                "model_version": "1",
                "workload_size": "Small",
                "workload_type": "tpu",
            }
        ]
    }
    assert fields(rules.validate_config(config)) == ["config.served_entities[0].workload_type"]


def test_secret_reference_shape():
    assert secrets.is_secret_reference("{{secrets/scope/key}}")
    for value in ("secrets/scope/key", "{{secrets/scope}}", "{{secrets/a/b/c}}", "{{ secrets/a/b }}", None, 3):
        assert not secrets.is_secret_reference(value)


def test_a_terraform_expression_in_a_key_field_is_left_to_apply_time():
    """A `${var.key}` expression holds the reference at apply time; a literal key is still refused (SDK)."""
    assert rules.validate_served_entity(external(openai_api_key="${var.openai_key_reference}"), "e") == []


def test_the_service_rules_accept_plaintext_keys_which_only_the_constructs_refuse():
    """A plaintext key is the constructs' own line (model/secret_values.py), never a service rule."""
    from servingstack.model import secret_values

    entity = external(openai_api_key_plaintext="sk-live-0123456789abcdefghij")
    assert rules.validate_served_entity(entity, "e") == []
    assert rules.validate_endpoint(request(entity)) == []
    refused = secret_values.problems(request(entity), allow_plaintext=False)
    assert fields(refused) == ["config.served_entities[0].external_model.openai_config.openai_api_key_plaintext"]
    assert "sk-live" not in str(refused)
    assert secret_values.problems(request(entity), allow_plaintext=True) == []
