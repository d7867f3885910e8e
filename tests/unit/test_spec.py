"""Endpoint props, entities, providers, secrets, traffic helpers and grants: pure Python, no Node."""

from __future__ import annotations

import subprocess
import sys

import pytest

from servingstack import (
    AI21Labs,
    AiGateway,
    AmazonBedrock,
    Anthropic,
    Cohere,
    CustomModel,
    CustomProvider,
    DatabricksModelServing,
    EmailNotifications,
    EndpointSpec,
    ExternalModel,
    FoundationModel,
    GoogleVertexAI,
    Guardrail,
    InferenceTable,
    OpenAI,
    PaLM,
    Plaintext,
    ProvisionedThroughput,
    RateLimit,
    ValidationError,
    blue_green,
    canary,
    secret,
)
from servingstack.model.grants import Grant, Principal, access_control, construct_ids, distinct_ids


def test_the_library_imports_without_either_engine_or_jsii():
    code = (
        "import sys, servingstack, servingstack.facts.rules, servingstack.facts.stackfile; "
        "engines = ('cdktf', 'cdktn', 'jsii', 'constructs', 'cdktf_cdktf_provider_databricks', "
        "'cdktn_provider_databricks'); print(any(m.split('.')[0] in engines for m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )


def test_secret_references_render_as_databricks_secrets():
    assert str(secret("llm", "openai_key")) == "{{secrets/llm/openai_key}}"
    with pytest.raises(ValueError, match="scope"):
        secret("bad scope", "k")


def test_plaintext_never_shows_its_value():
    assert "sk-123" not in repr(Plaintext("sk-123")) and "sk-123" not in str(Plaintext("sk-123"))


def test_foundation_model_defaults():
    model = FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1")
    assert model.to_api() == {
        "name": "system-ai-meta_llama_3_3_70b_instruct-1",
        "entity_name": "system.ai.meta_llama_3_3_70b_instruct",
        "entity_version": "1",
    }
    assert model.declared_task() == "llm/v1/chat"
    assert "system.ai." in str(FoundationModel("ml.models.llama").problems())


def test_provisioned_throughput_needs_units_or_a_range():
    assert ProvisionedThroughput("system.ai.llama", 2, provisioned_model_units=50).to_api() == {
        "name": "system-ai-llama-2",
        "entity_name": "system.ai.llama",
        "entity_version": "2",
        "provisioned_model_units": 50,
    }
    assert (
        ProvisionedThroughput(
            "system.ai.llama", 2, min_provisioned_throughput=0, max_provisioned_throughput=970
        ).problems()
        == []
    )
    # TF's foundation-model example sets max_provisioned_throughput alone, with scale to zero.
    only_max = ProvisionedThroughput("system.ai.llama", 2, max_provisioned_throughput=970, scale_to_zero=True)
    assert only_max.problems() == [] and only_max.to_api()["scale_to_zero_enabled"] is True
    assert ProvisionedThroughput("system.ai.llama", 2).problems()


def test_custom_model_renders_every_field():
    model = CustomModel(
        "ml.fraud.scorer",
        3,
        workload_size="Medium",
        workload_type="GPU_SMALL",
        scale_to_zero=True,
        environment_vars={"TOKEN": secret("s", "k"), "LOG_LEVEL": "INFO"},
        instance_profile_arn="arn:aws:iam::1:instance-profile/p",
    )
    assert model.to_api() == {
        "name": "ml-fraud-scorer-3",
        "entity_name": "ml.fraud.scorer",
        "entity_version": "3",
        "workload_size": "Medium",
        "workload_type": "GPU_SMALL",
        "scale_to_zero_enabled": True,
        "environment_vars": {"TOKEN": "{{secrets/s/k}}", "LOG_LEVEL": "INFO"},
        "instance_profile_arn": "arn:aws:iam::1:instance-profile/p",
    }
    assert (
        "workload_size"
        not in CustomModel("ml.a.b", 1, min_provisioned_concurrency=4, max_provisioned_concurrency=8).to_api()
    )


@pytest.mark.parametrize(
    "model, version, field",
    [("ml.scorer", 1, "entity_name"), ("", 1, "entity_name"), ("ml.a.b", "latest", "entity_version")],
)
def test_custom_model_names_a_model_version(model, version, field):
    """SDK ServedEntityInput.entity_name: a Model Registry name or a UC catalog.schema.model."""
    assert [p.field for p in CustomModel(model, version).problems()] == [field]


@pytest.mark.parametrize(
    "provider, expected",
    [
        (
            OpenAI(
                api_key=secret("s", "k"),
                api_base="https://x.openai.azure.com",
                api_type="azure",
                api_version="2024-02-01",
                deployment_name="gpt4",
            ),
            (
                "openai_config",
                {
                    "openai_api_key": "{{secrets/s/k}}",
                    "openai_api_base": "https://x.openai.azure.com",
                    "openai_api_type": "azure",
                    "openai_api_version": "2024-02-01",
                    "openai_deployment_name": "gpt4",
                },
            ),
        ),
        (Anthropic(api_key=secret("s", "k")), ("anthropic_config", {"anthropic_api_key": "{{secrets/s/k}}"})),
        (Cohere(api_key=secret("s", "k")), ("cohere_config", {"cohere_api_key": "{{secrets/s/k}}"})),
        (
            AmazonBedrock(
                region="us-east-1",
                bedrock_provider="anthropic",
                access_key_id=secret("s", "id"),
                secret_access_key=secret("s", "key"),
            ),
            (
                "amazon_bedrock_config",
                {
                    "aws_region": "us-east-1",
                    "bedrock_provider": "anthropic",
                    "aws_access_key_id": "{{secrets/s/id}}",
                    "aws_secret_access_key": "{{secrets/s/key}}",
                },
            ),
        ),
        (
            GoogleVertexAI(project_id="p", region="r", private_key=secret("s", "k")),
            ("google_cloud_vertex_ai_config", {"project_id": "p", "region": "r", "private_key": "{{secrets/s/k}}"}),
        ),
        (
            DatabricksModelServing(workspace_url="https://w", api_token=secret("s", "k")),
            (
                "databricks_model_serving_config",
                {"databricks_workspace_url": "https://w", "databricks_api_token": "{{secrets/s/k}}"},
            ),
        ),
        (AI21Labs(api_key=secret("s", "k")), ("ai21labs_config", {"ai21labs_api_key": "{{secrets/s/k}}"})),
        (PaLM(api_key=secret("s", "k")), ("palm_config", {"palm_api_key": "{{secrets/s/k}}"})),
        (
            CustomProvider(url="https://llm", bearer_token=secret("s", "k")),
            (
                "custom_provider_config",
                {"custom_provider_url": "https://llm", "bearer_token_auth": {"token": "{{secrets/s/k}}"}},
            ),
        ),
    ],
)
def test_every_provider_renders_its_config_block(provider, expected):
    entity = ExternalModel("model-x", provider).to_api()
    block, settings = expected
    assert entity == {
        "name": "model-x",
        "external_model": {"name": "model-x", "provider": provider.provider, "task": "llm/v1/chat", block: settings},
    }
    spec = EndpointSpec(name="e", served_entities=[ExternalModel("model-x", provider)])
    assert spec.problems() == []


def test_plaintext_keys_go_to_the_plaintext_field_only_with_the_opt_in():
    model = ExternalModel("gpt-4o", OpenAI(api_key=Plaintext("sk-live-1")))
    assert model.to_api()["external_model"]["openai_config"] == {"openai_api_key_plaintext": "sk-live-1"}
    refused = EndpointSpec(name="chat", served_entities=[model])
    with pytest.raises(ValidationError) as error:
        refused.validate("dev/chat")
    assert "openai_api_key_plaintext" in str(error.value) and "sk-live-1" not in str(error.value)
    EndpointSpec(name="chat", served_entities=[model], allow_plaintext_secrets=True).validate("dev/chat")


def test_a_literal_key_string_is_refused():
    spec = EndpointSpec(name="chat", served_entities=[ExternalModel("gpt-4o", OpenAI(api_key="sk-live-1"))])
    with pytest.raises(ValidationError, match="must be a secret reference") as error:
        spec.validate("dev/chat")
    assert "sk-live-1" not in str(error.value)


def test_traffic_helpers():
    assert canary("v3", "v4", 10) == {"v3": 90, "v4": 10}
    assert blue_green("blue", "green") == {"blue": 100, "green": 0}
    with pytest.raises(ValueError):
        canary("a", "b", 120)


def test_a_single_entity_gets_all_traffic_by_default():
    spec = EndpointSpec(name="chat", served_entities=FoundationModel("system.ai.llama", "1", name="llama"))
    assert spec.request()["config"]["traffic_config"] == {
        "routes": [{"served_model_name": "llama", "traffic_percentage": 100}]
    }


def test_the_request_carries_prefix_tags_gateway_and_options():
    spec = EndpointSpec(
        name="chat",
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("s", "k")))],
        ai_gateway=AiGateway(
            rate_limits=[RateLimit(calls=10), RateLimit.per_user("a@b.com", tokens=5)],
            usage_tracking=True,
            inference_table=InferenceTable("ml", "logs", "chat"),
            input_guardrail=Guardrail(safety=True, pii="BLOCK"),
            fallback=False,
        ),
        tags={"team": "ml", "env": "override"},
        description="d",
        route_optimized=True,
        email_notifications=EmailNotifications(on_update_failure=["a@b.com"]),
    )
    request = spec.request("dev-", {"env": "dev", "owner": "x"})
    assert request["name"] == "dev-chat"
    assert request["tags"] == [
        {"key": "env", "value": "override"},
        {"key": "owner", "value": "x"},
        {"key": "team", "value": "ml"},
    ]
    assert request["ai_gateway"] == {
        "rate_limits": [
            {"calls": 10, "key": "endpoint", "renewal_period": "minute"},
            {"tokens": 5, "key": "user", "principal": "a@b.com", "renewal_period": "minute"},
        ],
        "usage_tracking_config": {"enabled": True},
        "inference_table_config": {
            "catalog_name": "ml",
            "schema_name": "logs",
            "table_name_prefix": "chat",
            "enabled": True,
        },
        "guardrails": {"input": {"safety": True, "pii": {"behavior": "BLOCK"}}},
        "fallback_config": {"enabled": False},
    }
    assert (request["description"], request["route_optimized"]) == ("d", True)
    assert request["email_notifications"] == {"on_update_failure": ["a@b.com"]}


def test_validation_names_the_construct_path_and_every_field():
    spec = EndpointSpec(
        name="databricks-chat",
        served_entities=[CustomModel("ml.a.b", 1, name="v1"), CustomModel("ml.a.b", 2, name="v2")],
        traffic={"v1": 80, "v2": 10},
        create_timeout="soon",
        task="llm/v9",
    )
    with pytest.raises(ValidationError) as error:
        spec.validate("prod/chat")
    message = str(error.value)
    assert message.startswith("prod/chat: 4 problems")
    for fragment in (
        "name: 'databricks-chat' must not start with",
        "config.traffic_config: traffic routes sum to 90",
        "create_timeout: 'soon' is not a Terraform duration",
        "task: 'llm/v9'",
    ):
        assert fragment in message
    assert isinstance(error.value, ValueError)


def test_a_single_problem_reads_as_one_line():
    spec = EndpointSpec(
        name="chat",
        served_entities=[CustomModel("ml.a.b", 1, name="v1"), CustomModel("ml.a.b", 2, name="v2")],
        traffic={"v1": 90, "v2": 0},
    )
    with pytest.raises(ValidationError) as error:
        spec.validate("serving/chat")
    assert str(error.value) == "serving/chat: config.traffic_config: traffic routes sum to 90, must be 100"


def test_the_task_comes_from_the_entities_unless_declared():
    assert EndpointSpec(name="e", served_entities=[FoundationModel("system.ai.x")]).resolved_task() == "llm/v1/chat"
    assert EndpointSpec(name="e", served_entities=[CustomModel("ml.a.b", 1)]).resolved_task() is None
    assert (
        EndpointSpec(name="e", served_entities=[CustomModel("ml.a.b", 1)], task="llm/v1/completions").resolved_task()
        == "llm/v1/completions"
    )


def test_a_custom_sample_request_uses_exactly_one_input_format():
    good = EndpointSpec(
        name="e", served_entities=[CustomModel("ml.a.b", 1)], sample_request={"dataframe_records": [{"x": 1}]}
    )
    assert good.problems() == [] and good.metadata()["sample_request"] == {"dataframe_records": [{"x": 1}]}
    bad = EndpointSpec(
        name="e", served_entities=[CustomModel("ml.a.b", 1)], sample_request={"instances": [1], "inputs": [1]}
    )
    assert [p.field for p in bad.problems()] == ["sample_request"]


def grant(level, **principal):
    return Grant(Principal.one_of(**principal), level)


def test_grants_fold_to_the_highest_level_per_principal():
    acl = access_control(
        [
            grant("CAN_VIEW", group="analysts"),
            grant("CAN_MANAGE", group="analysts"),
            grant("CAN_QUERY", group="analysts"),
            grant("CAN_QUERY", user="a@b.com"),
            grant("CAN_QUERY", service_principal="6f2a"),
        ]
    )
    assert acl == [
        {"group_name": "analysts", "permission_level": "CAN_MANAGE"},
        {"service_principal_name": "6f2a", "permission_level": "CAN_QUERY"},
        {"user_name": "a@b.com", "permission_level": "CAN_QUERY"},
    ]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [({}, "exactly one"), ({"user": "a", "group": "b"}, "exactly one"), ({"group": " "}, "non-empty")],
)
def test_a_grant_names_exactly_one_principal(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        Principal.one_of(**kwargs)
    with pytest.raises(ValueError, match="CAN_OWN"):
        access_control([grant("CAN_OWN", group="g")])


def test_principals_whose_names_differ_only_in_punctuation_get_different_construct_ids():
    dotted, underscored, alone = Principal.user("a.b@x.com"), Principal.user("a_b_x_com"), Principal.user("c.d@x.com")
    ids = construct_ids("acl", [dotted, underscored, alone])
    assert len(set(ids.values())) == 3
    # The name already spelt as an id keeps it; the other gets a digest of its name; one without a
    # clash keeps its readable id.
    assert ids[underscored] == "acl-user-a_b_x_com"
    assert ids[dotted].startswith("acl-user-a_b_x_com-") and len(ids[dotted]) == len("acl-user-a_b_x_com-") + 8
    assert ids[alone] == "acl-user-c_d_x_com"
    # The set decides, never the order of the grants.
    assert construct_ids("acl", [alone, underscored, dotted]) == ids
    assert dotted.construct_id("acl", [underscored]) == ids[dotted]
    # Two names that both need a digest get different ones.
    at, dot = Principal.group("a@b"), Principal.group("a.b")
    assert len(set(construct_ids("acl", [at, dot]).values())) == 2


def test_distinct_ids_keep_readable_ids_when_nothing_clashes():
    assert distinct_ids({1: "catalog-ml", 2: "schema-ml.fraud"}) == {1: "catalog-ml", 2: "schema-ml_fraud"}
    clashing = distinct_ids({1: "schema-ml.a_b", 2: "schema-ml_a.b"})
    assert clashing[1] != clashing[2] and all(v.startswith("schema-ml_a_b-") for v in clashing.values())


def test_default_served_names_follow_the_service():
    """SDK ServedEntityInput.name: entity_name-entity_version, or the external model's name, '.' and ':' -> '-'."""
    from servingstack import AmazonBedrock, FeatureSpec

    assert CustomModel("ml.fraud.scorer", 3).served_name() == "ml-fraud-scorer-3"
    assert CustomModel("ads-model", 2).served_name() == "ads-model-2"
    assert FeatureSpec("main.fs.user_features").served_name() == "main-fs-user_features"
    assert ProvisionedThroughput("system.ai.llama", 2, provisioned_model_units=50).served_name() == "system-ai-llama-2"
    bedrock = AmazonBedrock("us-east-1", "anthropic", instance_profile_arn="arn:aws:iam::1:instance-profile/p")
    assert (
        ExternalModel("anthropic.claude-3-5-sonnet-20240620-v1:0", bedrock).served_name()
        == "anthropic-claude-3-5-sonnet-20240620-v1-0"
    )


def test_a_workload_size_with_provisioned_concurrency_is_refused():
    """SDK ServedEntityInput.workload_size: "Do not use if min_provisioned_concurrency and
    max_provisioned_concurrency are specified"; without a size, concurrency alone is fine."""
    sized = CustomModel(
        "ml.a.b", 1, workload_size="Small", min_provisioned_concurrency=4, max_provisioned_concurrency=8
    )
    with pytest.raises(ValidationError) as error:
        EndpointSpec(name="x", served_entities=[sized]).validate("dev/x")
    assert "config.served_entities[0].workload_size" in str(error.value)
    EndpointSpec(
        name="x",
        served_entities=[CustomModel("ml.a.b", 1, min_provisioned_concurrency=4, max_provisioned_concurrency=8)],
    ).validate("dev/x")


def test_a_plaintext_environment_variable_needs_the_opt_in():
    model = CustomModel("ml.a.b", 1, environment_vars={"DB_PASSWORD": Plaintext("hunter2hunter2")})
    with pytest.raises(ValidationError) as error:
        EndpointSpec(name="x", served_entities=[model]).validate("dev/x")
    assert "environment_vars[DB_PASSWORD]" in str(error.value) and "hunter2" not in str(error.value)
    request = EndpointSpec(name="x", served_entities=[model], allow_plaintext_secrets=True).validate("dev/x")
    assert request["config"]["served_entities"][0]["environment_vars"] == {"DB_PASSWORD": "hunter2hunter2"}
