"""The smoke query: which request for which task, which answers are well formed, and the advice."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied, TooManyRequests

from servingstack.check import smoke
from servingstack.check.openapi_sample import sample_request


def test_task_comes_from_live_then_external_model_then_declaration():
    external = {"config": {"served_entities": [{"external_model": {"task": "llm/v1/embeddings"}}]}}
    assert smoke.choose_task({"task": "llm/v1/chat", **external}, "llm/v1/completions") == "llm/v1/chat"
    assert smoke.choose_task(external, "llm/v1/completions") == "llm/v1/embeddings"
    assert smoke.choose_task({}, "llm/v1/completions") == "llm/v1/completions"
    assert smoke.choose_task({}, None) is None


def test_plan_prefers_the_declared_sample_then_built_in_then_openapi():
    declared = {"inputs": [1]}
    assert smoke.plan(None, declared, lambda: pytest.fail("not needed")).source == "sample_request"
    chat = smoke.plan("llm/v1/chat", None, lambda: pytest.fail("not needed"))
    assert chat.source == "built-in"
    assert chat.body["messages"][0]["role"] == "user" and chat.body["max_tokens"] == 16
    document = {
        "paths": {
            "/invocations": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "dataframe_records": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {"x": {"type": "number"}, "kind": {"enum": ["a", "b"]}},
                                            },
                                        }
                                    },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert smoke.plan(None, None, lambda: document).body == {"dataframe_records": [{"x": 1.0, "kind": "a"}]}
    assert smoke.plan(None, None, lambda: None) is None
    assert smoke.plan("some/new-task", None, lambda: None) is None


def test_openapi_example_wins_and_refs_resolve():
    document = {
        "paths": {
            "/served-models/a/invocations": {"post": {}},
            "/invocations": {"post": {"requestBody": {"$ref": "#/components/requestBodies/q"}}},
        },
        "components": {
            "requestBodies": {
                "q": {"content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/split"}]}}}}
            },
            "schemas": {
                "split": {
                    "type": "object",
                    "properties": {
                        "dataframe_split": {
                            "type": "object",
                            "properties": {
                                "columns": {"type": "array", "prefixItems": [{"const": "a"}, {"const": "b"}]},
                                "data": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
                            },
                        }
                    },
                }
            },
        },
    }
    assert sample_request(document) == {"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}}
    media = document["components"]["requestBodies"]["q"]["content"]["application/json"]
    media["example"] = {"instances": [[0.5]]}
    assert sample_request(document) == {"instances": [[0.5]]}
    assert sample_request({"paths": {}}) is None


@pytest.mark.parametrize(
    "task, answer, problem",
    [
        ("llm/v1/chat", {"choices": [{"message": {"role": "assistant", "content": "ready"}}]}, None),
        ("llm/v1/chat", {"choices": []}, "no choices[0]"),
        ("llm/v1/chat", {"choices": [{"message": {"content": None}}]}, "choices[0].message.content"),
        ("llm/v1/completions", {"choices": [{"text": "ready"}]}, None),
        ("llm/v1/completions", {"choices": [{"message": {}}]}, "choices[0].text"),
        ("llm/v1/embeddings", {"data": [{"embedding": [0.1, -2, 3e-3]}]}, None),
        ("llm/v1/embeddings", {"data": [{"embedding": []}]}, "missing or empty"),
        ("llm/v1/embeddings", {"data": [{"embedding": [0.1, "x"]}]}, "not numbers"),
        ("llm/v1/embeddings", {"object": "list"}, "no data[0]"),
        (None, {"predictions": [1]}, None),
        (None, {"result": 1}, "no predictions"),
        (None, [1, 2], "JSON list"),
    ],
)
def test_answer_shapes(task, answer, problem):
    problems = smoke.shape_problems(task, answer)
    if problem is None:
        assert problems == []
    else:
        assert problems and problem in problems[0]


def test_advice_for_query_errors():
    assert "provisions" in smoke.advice(NotFound("x"))
    assert "CAN_QUERY" in smoke.advice(PermissionDenied("x"))
    assert "AI Gateway rate limit" in smoke.advice(TooManyRequests("x"))
    assert "sample_request" in smoke.advice(BadRequest("x"))


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert smoke.percentile(values, 0.5) == 10.0
    assert smoke.percentile(values, 0.95) == 19.0
    assert smoke.percentile([7.0], 0.95) == 7.0
    assert smoke.percentile([], 0.5) is None
