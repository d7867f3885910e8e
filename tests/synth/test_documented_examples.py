"""The Terraform provider docs' own examples (docs/resources/model_serving.md), rebuilt with the
constructs: each synthesizes with the documented fields. And documented mistakes fail with one
ValidationError naming the field, before any jsii call, never a raw TypeError."""

from __future__ import annotations

import json

import pytest

from servingstack import (
    AiGateway,
    AmazonBedrock,
    CustomModel,
    DatabricksModelServing,
    EndpointSpec,
    ExternalModel,
    FeatureSpec,
    GoogleVertexAI,
    Guardrail,
    InferenceTable,
    OpenAI,
    ProvisionedThroughput,
    RateLimit,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    secret,
)


def serving(doc, logical_id):
    return doc["resource"]["databricks_model_serving"][logical_id]


def test_cpu_custom_model_90_10_on_a_registry_model(one_stack):
    """TF example 1: `ads-model` (Workspace Model Registry) versions 2 and 4, 90/10."""
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "this",
            name="ads-serving-endpoint",
            served_entities=[
                CustomModel("ads-model", "2", name="prod_model", workload_size="Small", scale_to_zero=True),
                CustomModel("ads-model", "4", name="candidate_model", workload_size="Small"),
            ],
            traffic={"prod_model": 90, "candidate_model": 10},
        ),
        environment=None,
    )
    assert serving(doc, "this")["config"] == {
        "served_entities": [
            {
                "name": "prod_model",
                "entity_name": "ads-model",
                "entity_version": "2",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            },
            {"name": "candidate_model", "entity_name": "ads-model", "entity_version": "4", "workload_size": "Small"},
        ],
        "traffic_config": {
            "routes": [
                {"served_model_name": "prod_model", "traffic_percentage": 90},
                {"served_model_name": "candidate_model", "traffic_percentage": 10},
            ]
        },
    }


def test_foundation_model_with_max_throughput_only_and_scale_to_zero(one_stack):
    """TF example 2: max_provisioned_throughput = 44000 alone, scale_to_zero_enabled = true, usage tracking."""
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "llama",
            name="llama_3_2_3b_instruct",
            ai_gateway=AiGateway(usage_tracking=True),
            served_entities=[
                ProvisionedThroughput(
                    "system.ai.llama_v3_2_3b_instruct",
                    "2",
                    name="meta_llama_v3_2_3b_instruct-3",
                    max_provisioned_throughput=44000,
                    scale_to_zero=True,
                )
            ],
        ),
        environment=None,
    )
    body = serving(doc, "llama")
    assert body["config"]["served_entities"] == [
        {
            "name": "meta_llama_v3_2_3b_instruct-3",
            "entity_name": "system.ai.llama_v3_2_3b_instruct",
            "entity_version": "2",
            "max_provisioned_throughput": 44000,
            "scale_to_zero_enabled": True,
        }
    ]
    assert body["ai_gateway"] == {"usage_tracking_config": {"enabled": True}}


def test_external_openai_model_with_the_ai_gateway(one_stack):
    """TF example 3: gpt-4o-mini behind the AI Gateway (rate limit, inference table, guardrails)."""
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "gpt_4o",
            name="gpt-4o-mini",
            served_entities=[ExternalModel("gpt-4o-mini", OpenAI(api_key=secret("llm_scope", "openai_api_key")))],
            ai_gateway=AiGateway(
                usage_tracking=True,
                rate_limits=[RateLimit(calls=10, key="endpoint")],
                inference_table=InferenceTable("ml", "ai_gateway", table_prefix="gpt-4o-mini"),
                input_guardrail=Guardrail(invalid_keywords=["SuperSecretProject"], pii="BLOCK"),
                output_guardrail=Guardrail(pii="BLOCK"),
            ),
        ),
        environment=None,
    )
    body = serving(doc, "gpt_4o")
    assert body["config"]["served_entities"] == [
        {
            "name": "gpt-4o-mini",
            "external_model": {
                "name": "gpt-4o-mini",
                "provider": "openai",
                "task": "llm/v1/chat",
                "openai_config": {"openai_api_key": "{{secrets/llm_scope/openai_api_key}}"},
            },
        }
    ]
    assert body["ai_gateway"]["rate_limits"] == [{"calls": 10, "key": "endpoint", "renewal_period": "minute"}]
    assert body["ai_gateway"]["inference_table_config"] == {
        "catalog_name": "ml",
        "schema_name": "ai_gateway",
        "table_name_prefix": "gpt-4o-mini",
        "enabled": True,
    }
    assert body["ai_gateway"]["guardrails"] == {
        "input": {"invalid_keywords": ["SuperSecretProject"], "pii": {"behavior": "BLOCK"}},
        "output": {"pii": {"behavior": "BLOCK"}},
    }


def test_feature_serving(one_stack):
    """SDK ServedEntityInput: a FEATURE_SPEC function in UC, served without entity_version."""
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "features",
            name="user-features",
            served_entities=[FeatureSpec("main.fs.user_features", scale_to_zero=True)],
        )
    )
    assert serving(doc, "features")["config"] == {
        "served_entities": [
            {
                "name": "main-fs-user_features",
                "entity_name": "main.fs.user_features",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            }
        ],
        "traffic_config": {"routes": [{"served_model_name": "main-fs-user_features", "traffic_percentage": 100}]},
    }


def test_a_default_user_rate_limit_and_a_bedrock_id_with_a_colon(one_stack):
    """AI Gateway rate limits: "User (default)" has no principal; SDK ServedEntityInput.name: ':' -> '-'."""
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "claude",
            name="claude",
            served_entities=[
                ExternalModel(
                    "anthropic.claude-3-5-sonnet-20240620-v1:0",
                    AmazonBedrock("us-east-1", "anthropic", instance_profile_arn="arn:aws:iam::1:instance-profile/p"),
                )
            ],
            ai_gateway=AiGateway(rate_limits=[RateLimit.default_per_user(calls=5)]),
        )
    )
    body = serving(doc, "claude")
    assert body["config"]["served_entities"][0]["name"] == "anthropic-claude-3-5-sonnet-20240620-v1-0"
    assert body["ai_gateway"]["rate_limits"] == [{"calls": 5, "key": "user", "renewal_period": "minute"}]


def test_gpu_medium_8_and_secret_looking_names_are_accepted(one_stack):
    """Product docs' GPU workload types differ per cloud (GPU_MEDIUM_8); an environment variable NAME is
    no secret (SDK environment_vars: Dict[str, str])."""
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "llm",
            name="llm",
            served_entities=[
                CustomModel(
                    "ml.llm.model",
                    1,
                    workload_type="GPU_MEDIUM_8",
                    workload_size="Medium",
                    environment_vars={"TOKENIZERS_PARALLELISM": "false", "PRIMARY_KEY_COLUMN": "id"},
                )
            ],
        )
    )
    entity = serving(doc, "llm")["config"]["served_entities"][0]
    assert entity["workload_type"] == "GPU_MEDIUM_8"
    assert entity["environment_vars"] == {"TOKENIZERS_PARALLELISM": "false", "PRIMARY_KEY_COLUMN": "id"}


def test_an_endpoint_without_config(one_stack):
    """TF `config`: "optional and can be added and modified after creation"."""
    doc = one_stack(lambda s: ServingEndpoint(s, "later", name="later"))
    assert "config" not in serving(doc, "later") and serving(doc, "later")["name"] == "dev-later"


def test_an_app_references_its_endpoint_and_the_stack_file_resolves_it(synth, tmp_path):
    """Issue 9: the app names the endpoint by reference (the dependency is in the graph); an
    endpoint made elsewhere stays literal; the stack file reader resolves the reference to the name."""
    from servingstack.facts.stackfile import load_stack

    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        chat = ServingEndpoint(
            stack,
            "chat",
            name="chat",
            served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))],
        )
        shared = ServingEndpoint.from_name(stack, "shared", name="shared-llm", serving_endpoint_id="ab" * 16)
        ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": chat, "backup": shared})

    doc = synth(build)["dev"]
    (app,) = doc["resource"]["databricks_app"].values()
    assert [r["serving_endpoint"]["name"] for r in app["resources"]] == [
        "${databricks_model_serving.chat.name}",
        "shared-llm",
    ]
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "cdk.tf.json").write_text(json.dumps(doc))
    (declared,) = load_stack(tmp_path / "dev").apps
    assert [e["name"] for e in declared.serving_endpoints] == ["dev-chat", "shared-llm"]


@pytest.mark.parametrize(
    "provider, fields",
    [
        (DatabricksModelServing(api_token=secret("s", "k")), ["databricks_workspace_url"]),
        (GoogleVertexAI(private_key=secret("s", "k")), ["project_id", "region"]),
        (GoogleVertexAI(project_id="p", private_key=secret("s", "k")), ["region"]),
        (
            OpenAI(api_key=secret("s", "k"), api_type="azure"),
            ["openai_api_base", "openai_api_version", "openai_deployment_name"],
        ),
        (
            OpenAI(
                api_type="azuread",
                entra_client_secret=secret("s", "k"),
                api_base="https://x.openai.azure.com",
                api_version="2024-02-01",
                deployment_name="gpt4",
            ),
            ["microsoft_entra_client_id", "microsoft_entra_tenant_id"],
        ),
        (AmazonBedrock(instance_profile_arn="arn:aws:iam::1:instance-profile/p"), ["aws_region", "bedrock_provider"]),
    ],
)
def test_a_missing_required_provider_field_is_a_validation_error_not_a_type_error(synth, provider, fields):
    """TF-GO required struct fields and SDK OpenAiConfig docstrings: one ValidationError naming each field."""
    with pytest.raises(ValidationError) as error:
        synth(
            lambda app: ServingEndpoint(
                ServingStack(app, "dev"), "x", name="x", served_entities=[ExternalModel("m", provider)]
            )
        )
    for field in fields:
        assert f".{provider.config_field}.{field}: " in str(error.value)


@pytest.mark.parametrize(
    "props, field",
    [
        ({"description": 5}, "description"),
        ({"route_optimized": "yes"}, "route_optimized"),
        ({"tags": {"team": 1}}, "tags"),
        ({"ai_gateway": {"usage_tracking": True}}, "ai_gateway"),
        ({"served_entities": ["ml.a.b"]}, "config.served_entities[0]"),
        (
            {"served_entities": [ExternalModel("m", OpenAI(api_key=secret("s", "k")), task=None)]},
            "config.served_entities[0].external_model.task",
        ),
    ],
)
def test_wrong_types_are_validation_errors_not_type_errors(synth, props, field):
    props = {"name": "x", "served_entities": [CustomModel("ml.a.b", 1)], **props}
    with pytest.raises(ValidationError) as error:
        synth(lambda app: ServingEndpoint(ServingStack(app, "dev"), "x", **props))
    assert str(error.value).startswith("dev/x: ")
    assert any(p.field.startswith(field) for p in error.value.problems), error.value.problems


def test_every_problem_in_one_error_before_any_jsii_call():
    spec = EndpointSpec(
        name="databricks-x",
        served_entities=[ExternalModel("m", GoogleVertexAI()), CustomModel("ml.a.b", "latest")],
        traffic={"m": 100, "b": 0},
    )
    with pytest.raises(ValidationError) as error:
        spec.validate("dev/x")
    assert len(error.value.problems) >= 5


@pytest.mark.parametrize(
    "props, field",
    [
        ({"ai_gateway": AiGateway(rate_limits=["100/minute"])}, "ai_gateway.rate_limits[0]"),
        (
            {"ai_gateway": AiGateway(input_guardrail=Guardrail(invalid_keywords="password"))},
            "ai_gateway.guardrails.input.invalid_keywords",
        ),
        ({"ai_gateway": AiGateway(usage_tracking="yes")}, "ai_gateway.usage_tracking"),
        ({"served_entities": [ExternalModel("gpt-4o", "openai")]}, "config.served_entities[0].external_model.provider"),
    ],
)
def test_wrong_value_types_inside_props_are_validation_errors(synth, props, field):
    props = {"name": "x", "served_entities": [CustomModel("ml.a.b", 1)], **props}
    with pytest.raises(ValidationError) as error:
        synth(lambda app: ServingEndpoint(ServingStack(app, "dev"), "x", **props))
    assert any(p.field == field for p in error.value.problems), error.value.problems


def test_a_single_rate_limit_may_be_passed_bare(one_stack):
    doc = one_stack(
        lambda s: ServingEndpoint(
            s,
            "x",
            name="x",
            served_entities=[CustomModel("ml.a.b", 1)],
            ai_gateway=AiGateway(rate_limits=RateLimit(calls=3)),
        )
    )
    assert serving(doc, "x")["ai_gateway"]["rate_limits"] == [
        {"calls": 3, "key": "endpoint", "renewal_period": "minute"}
    ]
