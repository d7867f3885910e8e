"""The emulator answers as the service does, for databricks-sdk and for the other clients users have:
the OpenAI client that `serving_endpoints.get_open_ai_client()` builds, and plain HTTP phrased as
MLflow's Databricks deployments client phrases it. Each test names its source."""

from __future__ import annotations

import json
import warnings

import pytest
import requests
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    ServedEntityInput,
)

from emu_support import TOKEN, wait_ready

API = "/api/2.0/serving-endpoints"


def _http(emu, method, path, body=None, *, auth=f"Bearer {TOKEN}", headers_extra=None, **kwargs):
    return requests.request(
        method,
        f"{emu.url}{path}",
        json=body,
        headers={"Authorization": auth, **(headers_extra or {})},
        timeout=5,
        **kwargs,
    )


def _chat_endpoint(w, name="chat", task="llm/v1/chat", model="gpt-4o"):
    entity = ServedEntityInput(
        external_model=ExternalModel(
            name=model,
            provider=ExternalModelProvider.OPENAI,
            task=task,
            openai_config=OpenAiConfig(openai_api_key="{{secrets/llm/openai}}"),
        )
    )
    w.serving_endpoints.create(name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity]))
    return wait_ready(w, name)


def _openai(w):
    with warnings.catch_warnings():  # the SDK marks the method deprecated, and it still works
        warnings.simplefilter("ignore", DeprecationWarning)
        return w.serving_endpoints.get_open_ai_client(max_retries=0, timeout=5)


# ---- the OpenAI-compatible routes -------------------------------------------------------


def test_openai_client_chat_completions(w):
    """databricks-sdk ServingEndpointsExt.get_open_ai_client: base URL `<host>/serving-endpoints`,
    the endpoint's name as `model` (product docs: query chat models with the OpenAI client)."""
    _chat_endpoint(w)
    answer = _openai(w).chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "hi"}], max_tokens=50
    )
    assert answer.object == "chat.completion" and answer.model == "gpt-4o"
    assert "You said: hi" in answer.choices[0].message.content and answer.usage.total_tokens > 0


def test_openai_client_streams_chat(w):
    """OpenAI client `stream=True`: Server-Sent Events of chat.completion.chunk, ending [DONE]."""
    _chat_endpoint(w)
    chunks = list(
        _openai(w).chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "stream please"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[0].object == "chat.completion.chunk" and "You said: stream please" in text
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_openai_client_completions_and_their_stream(w):
    """OpenAI client `completions.create` on an llm/v1/completions endpoint (product docs)."""
    _chat_endpoint(w, "complete", task="llm/v1/completions", model="gpt-3.5-turbo-instruct")
    client = _openai(w)
    answer = client.completions.create(model="complete", prompt="Once upon")
    assert answer.object == "text_completion" and "Once upon" in answer.choices[0].text
    streamed = "".join(
        c.choices[0].text for c in client.completions.create(model="complete", prompt="Once", stream=True)
    )
    assert "Once" in streamed


def test_openai_client_embeddings(w):
    """OpenAI client `embeddings.create` on an llm/v1/embeddings endpoint (product docs)."""
    _chat_endpoint(w, "embed", task="llm/v1/embeddings", model="text-embedding-3-small")
    answer = _openai(w).embeddings.create(model="embed", input=["a", "b"])
    assert [d.index for d in answer.data] == [0, 1] and len(answer.data[0].embedding) > 0


def test_openai_routes_refuse_an_unknown_endpoint_and_the_wrong_task(w):
    """The service answers 404 for an endpoint that does not exist, 400 for a route its task does not serve."""
    import openai

    _chat_endpoint(w, "embed", task="llm/v1/embeddings", model="text-embedding-3-small")
    client = _openai(w)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nowhere", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="embed", messages=[{"role": "user", "content": "hi"}])


def test_openai_routes_need_the_bearer_token(emu, w):
    _chat_endpoint(w)
    body = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
    assert _http(emu, "POST", "/serving-endpoints/chat/completions", body, auth="Bearer wrong").status_code == 401


# ---- another client of the REST API: plain HTTP as MLflow's deployments client phrases it ----


def test_a_plain_http_client_end_to_end(emu):
    """MLflow's DatabricksDeploymentClient: POST /api/2.0/serving-endpoints with `task` at the top
    level, GET with no params, predict at /serving-endpoints/{name}/invocations, streaming by
    `"stream": true` SSE lines; plus what other clients do: a trailing slash, a lowercase `bearer`
    scheme, fields the emulator does not model."""
    create = {
        "name": "mlflow-chat",
        "task": "llm/v1/chat",
        "some_future_field": {"x": 1},
        "route_optimized": False,
        "config": {
            "route_optimized": True,  # MLflow's create_endpoint example puts it inside the config
            "served_entities": [
                {
                    "name": "gpt",
                    "external_model": {
                        "name": "gpt-4o",
                        "provider": "openai",
                        "task": "llm/v1/chat",
                        "openai_config": {"openai_api_key": "{{secrets/llm/openai}}"},
                    },
                }
            ],
        },
    }
    # posixpath.join(prefix, "serving-endpoints", "") ends in a slash; MLflow adds its own header.
    created = _http(
        emu,
        "POST",
        f"{API}/",
        create,
        auth=f"bearer {TOKEN}",
        headers_extra={"X-Databricks-Endpoints-API-Client": "Databricks Deployment Client"},
    )
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "mlflow-chat" and "some_future_field" not in created.json()

    for _ in range(200):  # bounded wait for READY
        got = _http(emu, "GET", f"{API}/mlflow-chat").json()
        if got["state"]["ready"] == "READY" and got["state"]["config_update"] == "NOT_UPDATING":
            break
    assert got["state"]["ready"] == "READY" and got["task"] == "llm/v1/chat"
    assert [e["name"] for e in _http(emu, "GET", f"{API}/").json()["endpoints"]] == ["mlflow-chat"]
    assert _http(emu, "GET", f"{API}/mlflow-chat/").json()["name"] == "mlflow-chat"

    answer = _http(
        emu,
        "POST",
        "/serving-endpoints/mlflow-chat/invocations",
        {"messages": [{"role": "user", "content": "hi"}], "unknown_sampling_knob": 1},
    )
    assert answer.status_code == 200 and answer.headers["served-model-name"] == "gpt"
    assert answer.json()["choices"][0]["message"]["role"] == "assistant"

    streamed = _http(
        emu,
        "POST",
        "/serving-endpoints/mlflow-chat/invocations",
        {"messages": [{"role": "user", "content": "hi"}], "stream": True},
        stream=True,
    )
    lines = [line for line in streamed.iter_lines(decode_unicode=True) if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[0][6:])["object"] == "chat.completion.chunk"

    tags = _http(emu, "PATCH", f"{API}/mlflow-chat/tags", {"add_tags": [{"key": "team", "value": "ml"}]})
    assert tags.status_code == 200 and tags.json()["tags"] == [{"key": "team", "value": "ml"}]
    gateway = {
        "usage_tracking_config": {"enabled": True},
        "inference_table_config": {"enabled": True, "catalog_name": "my_catalog", "schema_name": "my_schema"},
        "rate_limits": [{"calls": 10, "key": "user", "renewal_period": "minute"}],
    }
    put = _http(emu, "PUT", f"{API}/mlflow-chat/ai-gateway", gateway)
    assert put.status_code == 200 and put.json()["rate_limits"][0]["key"] == "user"
    # MLflow's update_endpoint_ai_gateway example: the service fills in the table prefix.
    assert put.json()["inference_table_config"]["table_name_prefix"] == "mlflow-chat"
    assert _http(emu, "GET", f"{API}/mlflow-chat").json()["ai_gateway"]["usage_tracking_config"] == {"enabled": True}

    assert _http(emu, "DELETE", f"{API}/mlflow-chat").status_code == 200
    assert _http(emu, "GET", f"{API}/mlflow-chat").status_code == 404


# ---- response shapes ---------------------------------------------------------------------


def test_a_create_without_config_is_accepted(emu, w):
    """TF `config`: "optional and can be added and modified after creation"; SDK create(config=None)."""
    created = w.serving_endpoints.create(name="later").response
    assert created.config is None and created.pending_config is None
    assert created.state.ready.value == "NOT_READY" and created.state.config_update.value == "NOT_UPDATING"
    entity = ServedEntityInput(entity_name="ml.models.scorer", entity_version="1", workload_size="Small")
    w.serving_endpoints.update_config(name="later", served_entities=[entity])
    assert wait_ready(w, "later").config.config_version == 1


def test_routes_carry_both_names_and_the_workload_size_is_filled_in(emu, w):
    """SDK Route has served_entity_name and served_model_name; the service fills in workload_size
    (product docs: Small is the default size) and the default entity name (SDK ServedEntityInput.name)."""
    entity = ServedEntityInput(entity_name="ml.models.scorer", entity_version="3")
    w.serving_endpoints.create(name="shapes", config=EndpointCoreConfigInput(name="shapes", served_entities=[entity]))
    wait_ready(w, "shapes")
    raw = _http(emu, "GET", f"{API}/shapes").json()["config"]
    assert raw["served_entities"][0]["name"] == "ml-models-scorer-3"
    assert raw["served_entities"][0]["workload_size"] == "Small"
    assert raw["traffic_config"]["routes"] == [
        {
            "served_entity_name": "ml-models-scorer-3",
            "served_model_name": "ml-models-scorer-3",
            "traffic_percentage": 100,
        }
    ]


def test_a_bedrock_model_id_gets_the_service_default_name(emu, w):
    """SDK ServedEntityInput.name: external_model.name "with '.' and ':' replaced with '-'"."""
    body = {
        "name": "claude",
        "config": {
            "served_entities": [
                {
                    "external_model": {
                        "name": "anthropic.claude-3-5-sonnet-20240620-v1:0",
                        "provider": "amazon-bedrock",
                        "task": "llm/v1/chat",
                        "amazon_bedrock_config": {
                            "aws_region": "us-east-1",
                            "bedrock_provider": "anthropic",
                            "instance_profile_arn": "arn:aws:iam::123456789012:instance-profile/bedrock",
                        },
                    }
                }
            ]
        },
    }
    assert _http(emu, "POST", API, body).status_code == 200
    got = wait_ready(w, "claude")
    assert got.config.served_entities[0].name == "anthropic-claude-3-5-sonnet-20240620-v1-0"


def test_fields_the_sdk_drops_are_stored_and_shown_back(emu, w):
    """SDK ServingEndpointDetailed.telemetry_config is returned as sent; a workload type the SDK's enum
    does not list (GPU_MEDIUM_8, product docs' GPU workload types) is kept, not dropped."""
    body = {
        "name": "gpu",
        "telemetry_config": {"enabled_telemetry_features": ["TELEMETRY_FEATURE_METRICS"]},
        "config": {
            "served_entities": [
                {
                    "name": "m",
                    "entity_name": "ml.models.llm",
                    "entity_version": "1",
                    "workload_size": "Small",
                    "workload_type": "GPU_MEDIUM_8",
                }
            ]
        },
    }
    created = _http(emu, "POST", API, body)
    assert created.status_code == 200, created.text
    assert created.json()["pending_config"]["served_entities"][0]["workload_type"] == "GPU_MEDIUM_8"
    wait_ready(w, "gpu")
    got = _http(emu, "GET", f"{API}/gpu").json()
    assert got["telemetry_config"] == {"enabled_telemetry_features": ["TELEMETRY_FEATURE_METRICS"]}
    assert got["config"]["served_entities"][0]["workload_type"] == "GPU_MEDIUM_8"
    listed = _http(emu, "GET", API).json()["endpoints"][0]
    assert listed["telemetry_config"] == {"enabled_telemetry_features": ["TELEMETRY_FEATURE_METRICS"]}


def test_a_feature_spec_and_a_registry_model_are_served(emu, w):
    """SDK ServedEntityInput.entity_name: a FEATURE_SPEC (no entity_version) or a Model Registry name."""
    body = {
        "name": "features",
        "config": {
            "served_entities": [
                {"entity_name": "main.fs.user_features", "workload_size": "Small", "scale_to_zero_enabled": True},
                {"name": "ads", "entity_name": "ads-model", "entity_version": "2", "workload_size": "Small"},
            ],
            "traffic_config": {
                "routes": [
                    {"served_entity_name": "main-fs-user_features", "traffic_percentage": 100},
                    {"served_entity_name": "ads", "traffic_percentage": 0},
                ]
            },
        },
    }
    created = _http(emu, "POST", API, body)
    assert created.status_code == 200, created.text
    got = wait_ready(w, "features")
    assert [e.name for e in got.config.served_entities] == ["main-fs-user_features", "ads"]


def test_the_emulator_never_applies_the_constructs_opinions(emu, w):
    """A plaintext key and a secret-looking variable name are valid requests (SDK *_plaintext fields;
    environment_vars is Dict[str, str]): only the constructs and policy refuse or warn."""
    body = {
        "name": "opinions",
        "config": {
            "served_entities": [
                {
                    "name": "m",
                    "entity_name": "ml.models.scorer",
                    "entity_version": "1",
                    "workload_size": "Small",
                    "environment_vars": {"TOKENIZERS_PARALLELISM": "false", "API_TOKEN": "not-a-reference"},
                }
            ]
        },
    }
    assert _http(emu, "POST", API, body).status_code == 200
    raw = wait_ready(w, "opinions").config.served_entities[0].environment_vars
    assert raw["TOKENIZERS_PARALLELISM"] == "false"


def test_answer_fields_sent_in_a_create_are_not_taken_as_the_endpoints(emu):
    """Only fields of the create request (SDK ServingEndpointsAPI.create) are stored; a client cannot
    set what the service computes (state, pending_config, id)."""
    body = {
        "name": "plain",
        "id": "0" * 32,
        "pending_config": {"config_version": 9},
        "config": {"served_entities": [{"entity_name": "ml.models.scorer", "entity_version": "1"}]},
    }
    created = _http(emu, "POST", API, body).json()
    assert created["id"] != "0" * 32 and created["pending_config"]["config_version"] == 1


def test_apply_creates_an_endpoint_without_config_and_leaves_it_so(emu, w):
    """TF `config`: optional; "If config was provided in a previous apply but is not provided in the
    current apply, no change to the model serving endpoint will occur"."""
    import pathlib
    import tempfile

    from servingstack.deploy.apply import apply_stack
    from servingstack.facts.stackfile import load_stack

    with tempfile.TemporaryDirectory() as tmp:
        stack_dir = pathlib.Path(tmp) / "dev"
        stack_dir.mkdir()
        (stack_dir / "cdk.tf.json").write_text(
            json.dumps({"resource": {"databricks_model_serving": {"later": {"name": "dev-later"}}}})
        )
        apply_stack(load_stack(stack_dir), w, timeout=10, poll_seconds=0.05)
        assert w.serving_endpoints.get("dev-later").config is None
        apply_stack(load_stack(stack_dir), w, timeout=10, poll_seconds=0.05)
        assert w.serving_endpoints.get("dev-later").pending_config is None


def test_the_sdk_sends_telemetry_config_and_reads_it_back(w):
    """SDK ServingEndpointsAPI.create(telemetry_config=...) and ServingEndpointDetailed.telemetry_config;
    TelemetryFeature is an enum and sampling_fraction lies in [0.0, 1.0] (SDK docstrings)."""
    from databricks.sdk.errors import InvalidParameterValue
    from databricks.sdk.service.serving import TelemetryConfig, TelemetryFeature, TelemetryInferenceTableConfig

    telemetry = TelemetryConfig(
        enabled_telemetry_features=[TelemetryFeature.TELEMETRY_FEATURE_TRACES],
        inference_table_config=TelemetryInferenceTableConfig(sampling_fraction=0.5),
    )
    entity = ServedEntityInput(entity_name="ml.models.scorer", entity_version="1", workload_size="Small")
    w.serving_endpoints.create(
        name="traced",
        config=EndpointCoreConfigInput(name="traced", served_entities=[entity]),
        telemetry_config=telemetry,
    )
    assert w.serving_endpoints.get("traced").telemetry_config == telemetry
    with pytest.raises(InvalidParameterValue) as caught:
        w.serving_endpoints.create(
            name="oversampled",
            telemetry_config=TelemetryConfig(
                inference_table_config=TelemetryInferenceTableConfig(sampling_fraction=1.5)
            ),
        )
    assert "telemetry_config.inference_table_config.sampling_fraction" in str(caught.value)
