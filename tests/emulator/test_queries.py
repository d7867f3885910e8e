"""Queries: answers by task, streaming, traffic split, readiness and metrics."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist
from databricks.sdk.service.serving import (
    ChatMessage,
    ChatMessageRole,
    DataframeSplitInput,
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    ServedEntityInput,
)

from emu_support import TOKEN, create_custom, create_foundation, custom_config, wait_ready
from servingstack.emulator import Emulator


def create_external(w, name: str, task: str, model: str = "gpt-4o"):
    entity = ServedEntityInput(
        name=model,
        external_model=ExternalModel(
            name=model,
            provider=ExternalModelProvider.OPENAI,
            task=task,
            openai_config=OpenAiConfig(openai_api_key="{{secrets/llm/openai}}"),
        ),
    )
    w.serving_endpoints.create(name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity]))
    return wait_ready(w, name)


def post(emu, path: str, body, **kwargs) -> requests.Response:
    return requests.post(
        f"{emu.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5, **kwargs
    )


def test_chat(w):
    create_foundation(w, "chat")
    wait_ready(w, "chat")
    answer = w.serving_endpoints.query(
        "chat", messages=[ChatMessage(role=ChatMessageRole.USER, content="Is it ready?")], max_tokens=64
    )
    assert answer.object.value == "chat.completion"
    assert answer.served_model_name == "llm"
    message = answer.choices[0].message
    assert message.role.value == "assistant"
    assert "Is it ready?" in message.content
    assert answer.usage.prompt_tokens == 3
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_chat_max_tokens_limits_the_reply(w):
    create_foundation(w, "chat")
    wait_ready(w, "chat")
    answer = w.serving_endpoints.query(
        "chat", messages=[ChatMessage(role=ChatMessageRole.USER, content="a long question here")], max_tokens=2
    )
    assert len(answer.choices[0].message.content.split()) == 2
    assert answer.usage.completion_tokens == 2


def test_completions(w):
    create_external(w, "complete", "llm/v1/completions")
    answer = w.serving_endpoints.query("complete", prompt="Once upon a time")
    assert answer.object.value == "text_completion"
    assert "Once upon a time" in answer.choices[0].text
    assert answer.usage.prompt_tokens == 4


def test_embeddings(w):
    create_external(w, "embed", "llm/v1/embeddings", model="text-embedding-3-small")
    answer = w.serving_endpoints.query("embed", input=["first", "second"])
    assert answer.object.value == "list"
    assert [d.index for d in answer.data] == [0, 1]
    first, second = (d.embedding for d in answer.data)
    assert len(first) == 16 and first != second
    assert abs(sum(v * v for v in first) - 1) < 1e-3
    again = w.serving_endpoints.query("embed", input="first")
    assert again.data[0].embedding == first  # a function of the text


@pytest.mark.parametrize(
    "kwargs, rows",
    [
        ({"dataframe_split": DataframeSplitInput(columns=["a", "b"], data=[[1, 2], [3, 4], [5, 6]])}, 3),
        ({"dataframe_records": [{"a": 1}, {"a": 2}]}, 2),
        ({"instances": [[1.0, 2.0]]}, 1),
        ({"inputs": {"a": [1, 2, 3, 4], "b": [5, 6, 7, 8]}}, 4),
        ({"inputs": [[1], [2]]}, 2),
    ],
)
def test_custom_model_predicts_one_value_per_row(w, kwargs, rows):
    create_custom(w, "custom")
    wait_ready(w, "custom")
    answer = w.serving_endpoints.query("custom", **kwargs)
    assert len(answer.predictions) == rows
    assert all(isinstance(p, float) for p in answer.predictions)
    assert answer.served_model_name == "v1"


def test_custom_model_needs_exactly_one_input_format(w):
    create_custom(w, "custom")
    wait_ready(w, "custom")
    with pytest.raises(InvalidParameterValue, match="exactly one of"):
        w.serving_endpoints.query("custom", instances=[[1]], inputs=[[1]])
    with pytest.raises(InvalidParameterValue, match="exactly one of"):
        w.serving_endpoints.query("custom", messages=[ChatMessage(role=ChatMessageRole.USER, content="hi")])


def test_chat_query_without_messages_names_the_field(w):
    create_foundation(w, "chat")
    wait_ready(w, "chat")
    with pytest.raises(InvalidParameterValue, match="messages"):
        w.serving_endpoints.query("chat", prompt="hi")


def test_streaming_chat_is_server_sent_events(emu, w):
    create_foundation(w, "chat")
    wait_ready(w, "chat")
    body = {"messages": [{"role": "user", "content": "stream please"}], "stream": True}
    with post(emu, "/serving-endpoints/chat/invocations", body, stream=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["served-model-name"] == "llm"
        lines = [line for line in response.iter_lines(decode_unicode=True) if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: ") :]) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "stream please" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_streaming_is_refused_for_embeddings(emu, w):
    create_external(w, "embed", "llm/v1/embeddings")
    response = post(emu, "/serving-endpoints/embed/invocations", {"input": "x", "stream": True})
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_traffic_split_draws_entities_by_weight_and_names_them(emu, w):
    create_custom(w, "split", "1", "2", routes={"v1": 80, "v2": 20})
    wait_ready(w, "split")
    seen = Counter(w.serving_endpoints.query("split", instances=[[1]]).served_model_name for _ in range(200))
    assert set(seen) == {"v1", "v2"}
    assert 120 <= seen["v1"] <= 190  # 80% of 200 drawn by a seeded generator
    assert emu.queries_served("split", "v1") == seen["v1"]
    assert emu.queries_served("split", "v2") == seen["v2"]


def test_same_seed_same_draws(w):
    def draws(seed: int) -> list[str]:
        from emu_support import client_for

        with Emulator(token=TOKEN, deploy_seconds=0, seed=seed) as emulator:
            client = client_for(emulator)
            create_custom(client, "split", "1", "2", routes={"v1": 50, "v2": 50})
            wait_ready(client, "split")
            return [client.serving_endpoints.query("split", instances=[[1]]).served_model_name for _ in range(20)]

    assert draws(7) == draws(7)


def test_a_route_at_zero_percent_never_answers(w):
    create_custom(w, "zero", "1", "2", routes={"v1": 100, "v2": 0})
    wait_ready(w, "zero")
    assert {w.serving_endpoints.query("zero", instances=[[1]]).served_model_name for _ in range(30)} == {"v1"}


def test_query_a_named_served_entity(emu, w):
    create_custom(w, "split", "1", "2", routes={"v1": 100, "v2": 0})
    wait_ready(w, "split")
    response = post(emu, "/serving-endpoints/split/served-models/v2/invocations", {"instances": [[1]]})
    assert response.status_code == 200
    assert response.headers["served-model-name"] == "v2"


def test_an_endpoint_that_is_not_ready_refuses_queries(emu, w):
    emu.set_deploy_seconds(60)
    create_custom(w, "notyet")
    with pytest.raises(ResourceDoesNotExist, match="not ready"):
        w.serving_endpoints.query("notyet", instances=[[1]])
    assert emu.queries_served("notyet") == 0


def test_query_of_a_missing_endpoint(w):
    with pytest.raises(ResourceDoesNotExist):
        w.serving_endpoints.query("ghost", instances=[[1]])


def test_queries_during_an_update_are_answered_by_the_old_config(emu, w):
    create_custom(w, "zd")
    wait_ready(w, "zd")
    emu.set_deploy_seconds(60, endpoint="zd")
    w.serving_endpoints.update_config("zd", served_entities=custom_config("zd", "2").served_entities)
    assert w.serving_endpoints.query("zd", instances=[[1]]).served_model_name == "v1"
    emu.set_deploy_seconds(0, endpoint="zd")
    wait_ready(w, "zd")
    assert w.serving_endpoints.query("zd", instances=[[1]]).served_model_name == "v2"


def test_data_plane_query_of_a_route_optimized_endpoint_over_oauth(emu):
    """`serving_endpoints_data_plane` reads `data_plane_info`, exchanges the OAuth token for a
    data-plane token at /oidc/v1/token and posts to the published URL."""
    w = emu.client(oauth=True, retry_timeout_seconds=5)
    config = EndpointCoreConfigInput(
        name="ro", served_entities=[ServedEntityInput(entity_name="system.ai.llama", entity_version="1", name="llm")]
    )
    w.serving_endpoints.create(name="ro", config=config, route_optimized=True)
    endpoint = wait_ready(w, "ro")
    url = f"{emu.data_plane_url}/{emu.workspace.workspace_id}/serving-endpoints/ro/invocations"
    assert endpoint.data_plane_info.query_info.endpoint_url == url == endpoint.endpoint_url
    answer = w.serving_endpoints_data_plane.query("ro", messages=[ChatMessage(role=ChatMessageRole.USER, content="hi")])
    assert answer.served_model_name == "llm"
    assert "hi" in answer.choices[0].message.content
    assert emu.request_count("POST", "/oidc/v1/token") == 2  # client credentials, then the exchange
    assert emu.request_count("POST", f"/{emu.workspace.workspace_id}/serving-endpoints/ro/invocations") == 1


def test_endpoints_that_are_not_route_optimized_have_no_data_plane(w):
    create_foundation(w, "plain")
    assert w.serving_endpoints.get("plain").data_plane_info is None


def test_oauth_client_with_a_wrong_secret_is_refused(emu):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    from servingstack.emulator.oauth import DISCOVERY_PATH

    with pytest.raises(ValueError, match="invalid_client"):
        w = WorkspaceClient(
            config=Config(
                host=emu.url,
                client_id="app",
                client_secret="wrong",
                auth_type="oauth-m2m",
                discovery_url=f"{emu.url}{DISCOVERY_PATH}",
                retry_timeout_seconds=5,
            )
        )
        w.serving_endpoints.list()
