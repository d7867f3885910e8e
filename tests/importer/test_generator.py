"""The generator without a server: live API shapes in, code out."""

from __future__ import annotations

import pytest

from servingstack import (
    AI21Labs,
    AmazonBedrock,
    Cohere,
    DatabricksModelServing,
    GoogleVertexAI,
    OpenAI,
    PaLM,
    RateLimit,
    secret,
)
from servingstack.importer.live import LiveEndpoint, as_request
from servingstack.importer.program import build_program
from servingstack.importer.shapes import Context, served_entity
from servingstack.importer.source import Call, identifier, literal


def live(
    name: str,
    entities: list[dict],
    *,
    acl: list[dict] | None = None,
    tags: dict | None = None,
    routes: dict | None = None,
    task: str | None = None,
    **extra,
) -> LiveEndpoint:
    config = {"served_entities": entities}
    if routes:
        config["traffic_config"] = {
            "routes": [{"served_model_name": k, "traffic_percentage": v} for k, v in routes.items()]
        }
    detailed = {
        "name": name,
        "id": f"id-{name}",
        "config": config,
        "creator": "me@example.com",
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()] or None,
        **extra,
    }
    request, source = as_request(detailed)
    return LiveEndpoint(
        name=name,
        id=f"id-{name}",
        creator="me@example.com",
        state=detailed["state"],
        request=request,
        config_source=source,
        task=task,
        access_control=acl or [],
    )


LLAMA = {"name": "llm", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fraud-scoring", "fraud_scoring"),
        ("Chat.V2", "chat_v2"),
        ("1st-model", "endpoint_1st_model"),
        ("class", "class_endpoint"),
        ("stack", "stack_endpoint"),
        ("---", "endpoint"),
    ],
)
def test_identifiers_are_valid_python_names(text: str, expected: str) -> None:
    assert identifier(text) == expected
    assert expected.isidentifier()


def test_identifiers_stay_unique() -> None:
    taken: set[str] = set()
    assert [identifier(n, taken) for n in ("a-b", "a_b", "a.b")] == ["a_b", "a_b_2", "a_b_3"]


def test_a_call_fits_on_one_line_or_takes_one_argument_a_line() -> None:
    short = Call("RateLimit", kwargs=[("calls", literal(5))])
    assert short.layout("", 0) == "RateLimit(calls=5)"
    long = Call("Guardrail", kwargs=[("invalid_keywords", literal(["x" * 40, "y" * 40, "z" * 40]))])
    assert long.layout("", 0) == (
        'Guardrail(\n    invalid_keywords=[\n        "' + "x" * 40 + '",\n        "' + "y" * 40 + '",\n'
        '        "' + "z" * 40 + '",\n    ],\n)'
    )


@pytest.mark.parametrize(
    "value, code",
    [
        (RateLimit(calls=100), "RateLimit(calls=100)"),
        (RateLimit(calls=5, key="user"), "RateLimit.default_per_user(calls=5)"),  # the default per-user limit
        (RateLimit.per_service_principal("sp-1", tokens=9), 'RateLimit.per_service_principal("sp-1", tokens=9)'),
        (secret("scope", "key"), 'secret("scope", "key")'),
        ("it's", '"it\'s"'),
    ],
)
def test_values_are_written_as_a_person_would(value, code: str) -> None:
    import servingstack.importer.program  # noqa: F401 - registers RateLimit's spelling

    assert literal(value).flat() == code


@pytest.mark.parametrize(
    "provider, block, settings, expected",
    [
        (
            "cohere",
            "cohere_config",
            {"cohere_api_key": "{{secrets/s/k}}", "cohere_api_base": "https://c"},
            Cohere(api_key=secret("s", "k"), api_base="https://c"),
        ),
        (
            "google-cloud-vertex-ai",
            "google_cloud_vertex_ai_config",
            {"project_id": "p", "region": "eu", "private_key": "{{secrets/s/pk}}"},
            GoogleVertexAI(project_id="p", region="eu", private_key=secret("s", "pk")),
        ),
        (
            "databricks-model-serving",
            "databricks_model_serving_config",
            {"databricks_workspace_url": "https://w", "databricks_api_token": "{{secrets/s/t}}"},
            DatabricksModelServing(workspace_url="https://w", api_token=secret("s", "t")),
        ),
        ("ai21labs", "ai21labs_config", {"ai21labs_api_key": "{{secrets/s/a}}"}, AI21Labs(api_key=secret("s", "a"))),
        ("palm", "palm_config", {"palm_api_key": "{{secrets/s/p}}"}, PaLM(api_key=secret("s", "p"))),
        (
            "amazon-bedrock",
            "amazon_bedrock_config",
            {"aws_region": "us-east-1", "bedrock_provider": "amazon", "instance_profile_arn": "arn:aws:iam::1:ip/x"},
            AmazonBedrock(region="us-east-1", bedrock_provider="amazon", instance_profile_arn="arn:aws:iam::1:ip/x"),
        ),
    ],
)
def test_every_provider_maps_to_its_class(provider: str, block: str, settings: dict, expected) -> None:
    ctx = Context(endpoint="e", task=None, notes=[], explained=set())
    entity = {
        "name": "m",
        "external_model": {"name": "m", "provider": provider, "task": "llm/v1/chat", block: settings},
    }
    value = served_entity(entity, "config.served_entities[0]", ctx)
    assert value.provider == expected
    assert ctx.notes == []


def test_a_hidden_entra_secret_becomes_a_placeholder() -> None:
    ctx = Context(endpoint="azure", task=None, notes=[], explained=set())
    entity = {
        "name": "gpt",
        "external_model": {
            "name": "gpt",
            "provider": "openai",
            "task": "llm/v1/chat",
            "openai_config": {"microsoft_entra_client_id": "c", "microsoft_entra_tenant_id": "t"},
        },
    }
    value = served_entity(entity, "config.served_entities[0]", ctx)
    assert value.provider == OpenAI(
        entra_client_id="c",
        entra_tenant_id="t",
        entra_client_secret=secret("servingstack-import", "azure-microsoft_entra_client_secret"),
    )
    assert len(ctx.notes) == 1 and "microsoft_entra_client_secret" in ctx.notes[0].text


def test_an_unknown_provider_is_left_out_with_a_note() -> None:
    endpoint = live(
        "odd",
        [{"name": "x", "external_model": {"name": "x", "provider": "mystery", "task": "llm/v1/chat"}}, LLAMA],
        routes={"x": 0, "llm": 100},
    )
    program = build_program([endpoint])
    assert any("provider 'mystery'" in w for w in program.warnings())
    assert "# NOTE: config.served_entities[0]: external model provider 'mystery'" in program.source


def test_shared_tags_go_to_the_stack_and_the_environment_prefix_is_factored_out() -> None:
    endpoints = [
        live("prod-a", [LLAMA], tags={"owner": "ml", "tier": "1"}),
        live("prod-b", [LLAMA], tags={"owner": "ml", "tier": "2"}),
    ]
    source = build_program(endpoints, environment="prod", stack_id="prod").source
    assert 'ServingStack(app, "prod", environment="prod", default_tags={"owner": "ml"})' in source
    assert 'name="a"' in source and 'tags={"tier": "1"}' in source and "prod-a" in source


def test_grants_skip_inherited_permissions_and_the_creators_manage() -> None:
    acl = [
        {"user_name": "me@example.com", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}]},
        {"group_name": "admins", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": True}]},
        {
            "group_name": "readers",
            "all_permissions": [
                {"permission_level": "CAN_VIEW", "inherited": False},
                {"permission_level": "CAN_QUERY", "inherited": False},
            ],
        },
        {"service_principal_name": "sp-1", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}]},
    ]
    source = build_program([live("chat", [LLAMA], acl=acl)]).source
    assert 'chat.grant_query(group="readers")' in source
    assert 'chat.grant_manage(service_principal="sp-1")' in source
    assert "admins" not in source.split("def build")[1].split("stack =")[1]
    assert "chat.grant_manage(user=" not in source
    assert "me@example.com" in source  # named in the comment on what is not granted


def test_no_import_blocks_means_no_adopt() -> None:
    assert ".adopt(" not in build_program([live("chat", [LLAMA])], import_blocks=False).source
    assert 'chat.adopt("id-chat")' in build_program([live("chat", [LLAMA])]).source


def test_a_foundation_model_keeps_its_task_and_the_default_name_is_left_out() -> None:
    entity = {"name": "system-ai-bge_large_en-1", "entity_name": "system.ai.bge_large_en", "entity_version": "1"}
    source = build_program([live("embed", [entity], task="llm/v1/embeddings")]).source
    assert 'FoundationModel("system.ai.bge_large_en", "1", task="llm/v1/embeddings")' in source


def test_names_that_differ_only_in_dashes_get_distinct_construct_ids() -> None:
    program = build_program([live("a-b", [LLAMA]), live("a_b", [LLAMA])])
    # `a_b` is an identifier as it is and keeps it; `a-b` would make the same output names.
    assert [(e.construct_id, e.variable) for e in program.endpoints] == [("a_b_2", "a_b_2"), ("a_b", "a_b")]


def test_environment_values_shaped_like_credentials_stay_out_of_the_code() -> None:
    token = "dapi" + "0123456789abcdef" * 2
    entity = {
        "name": "v1",
        "entity_name": "ml.a.b",
        "entity_version": "1",
        "workload_size": "Small",
        "environment_vars": {"UPSTREAM": token, "MODE": "fast", "API_KEY": "abc", "REF": "{{secrets/s/k}}"},
    }
    program = build_program([live("scorer", [entity])])
    assert token not in program.source and '"abc"' not in program.source
    assert '"UPSTREAM": secret("servingstack-import", "scorer-UPSTREAM")' in program.source
    assert '"API_KEY": secret("servingstack-import", "scorer-API_KEY")' in program.source
    assert '"REF": secret("s", "k")' in program.source and '"MODE": "fast"' in program.source
    assert any("shaped like a Databricks token" in w for w in program.warnings())
    assert not any(token in w for w in program.warnings())


def test_a_live_setting_with_a_same_named_field_is_carried_over(monkeypatch) -> None:
    import dataclasses

    from servingstack.importer import shapes

    @dataclasses.dataclass(frozen=True)
    class Newer(shapes.CustomModel):  # a class that has learnt a newer provider field
        burst_scaling_enabled: bool | None = None

        def to_api(self):
            return {**super().to_api(), "burst_scaling_enabled": self.burst_scaling_enabled}

    monkeypatch.setattr(
        shapes, "ENTITY_SHAPES", [("custom model", lambda e: True, lambda e, p, c: Newer(e["entity_name"], 1))]
    )
    ctx = Context(endpoint="e", task=None, notes=[], explained=set())
    value = served_entity(
        {"name": "b-1", "entity_name": "a.b.c", "entity_version": "1", "burst_scaling_enabled": True},
        "config.served_entities[0]",
        ctx,
    )
    assert value.burst_scaling_enabled is True


def test_a_feature_spec_is_served_without_a_version() -> None:
    entity = {
        "name": "features",
        "entity_name": "ml.features.user_spec",
        "workload_size": "Small",
        "scale_to_zero_enabled": True,
    }
    source = build_program([live("features", [entity])]).source
    assert 'FeatureSpec("ml.features.user_spec", scale_to_zero=True, name="features")' in source


def test_a_custom_model_sized_by_concurrency_writes_no_workload_size() -> None:
    entity = {
        "name": "m",
        "entity_name": "ml.a.b",
        "entity_version": "2",
        "min_provisioned_concurrency": 4,
        "max_provisioned_concurrency": 8,
        "workload_type": "GPU_SMALL",
    }
    source = build_program([live("scorer", [entity])]).source
    assert "min_provisioned_concurrency=4" in source and "max_provisioned_concurrency=8" in source
    assert "workload_size" not in source


def test_registry_models_and_scaled_to_zero_throughput_map_to_their_classes() -> None:
    registry = {"name": "ads", "entity_name": "ads-model", "entity_version": "12", "workload_size": "Small"}
    throughput = {
        "name": "pt",
        "entity_name": "system.ai.llama",
        "entity_version": "3",
        "max_provisioned_throughput": 100,
        "scale_to_zero_enabled": True,
    }
    program = build_program([live("ads", [registry]), live("pt", [throughput])])
    assert 'CustomModel("ads-model", 12, name="ads")' in program.source
    flat = " ".join(line.strip() for line in program.source.splitlines()).replace("( ", "(").replace(", )", ")")
    assert (
        'ProvisionedThroughput("system.ai.llama", "3", max_provisioned_throughput=100, name="pt", scale_to_zero=True)'
    ) in flat
    assert program.warnings() == []
