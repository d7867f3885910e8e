"""Declared expectations in pure Python: every kind passes and fails with an expected-vs-got
line, and mistakes are reported by field before anything is built."""

from __future__ import annotations

import pytest

from servingstack import CustomModel, EndpointSpec, Expect, Expectation, ExternalModel, FoundationModel, OpenAI, secret
from servingstack.errors import ValidationError
from servingstack.model.expectations import evaluate, evaluate_latency

CHAT = {
    "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Ready! How can I help?"}}],
}
SCORES = {"predictions": [0.12, 0.93]}


@pytest.mark.parametrize(
    "check, status, body",
    [
        (Expect.status(200), 200, SCORES),
        (Expect.path_exists("predictions[1]"), 200, SCORES),
        (Expect.path_equals("predictions[0]", 0.12), 200, SCORES),
        (Expect.contains("ready", ignore_case=True), 200, CHAT),
        (Expect.not_contains("as an AI"), 200, CHAT),
        (Expect.matches(r"^Ready\b"), 200, CHAT),
        (Expect.contains("assistant", path="choices[0].message.role"), 200, CHAT),
        (Expect.predictions(2), 200, SCORES),
    ],
)
def test_each_kind_passes(check, status, body):
    assert evaluate(check, status, body) is None


@pytest.mark.parametrize(
    "check, status, body, diff",
    [
        (Expect.status(200), 500, {"error_code": "INTERNAL_ERROR"}, "expected status 200; got 500"),
        (
            Expect.path_exists("predictions[2]"),
            200,
            SCORES,
            "expected predictions[2] to exist; got an answer without it",
        ),
        (Expect.path_equals("predictions[0]", 0.5), 200, SCORES, "expected predictions[0] == 0.5; got 0.12"),
        (Expect.path_equals("label", "fraud"), 200, SCORES, 'expected label == "fraud"; got no label'),
        (Expect.contains("ready"), 200, CHAT, "expected 'ready'; got 'Ready! How can I help?'"),
        (Expect.not_contains("help"), 200, CHAT, "expected no 'help'; got 'Ready! How can I help?'"),
        (Expect.matches(r"\d+"), 200, CHAT, r"expected /\d+/; got 'Ready! How can I help?'"),
        (Expect.predictions(1), 200, SCORES, "expected 1 prediction(s); got 2"),
        (Expect.predictions(1), 200, CHAT, "expected 1 prediction(s); got no predictions list (has: choices, object)"),
    ],
)
def test_each_kind_fails_with_expected_versus_got(check, status, body, diff):
    assert evaluate(check, status, body).startswith(diff)


def test_latency_objectives_over_the_queries_sent():
    assert evaluate_latency(Expect.p50_ms(50), 20.0, 80.0, 5) is None
    assert evaluate_latency(Expect.p95_ms(50), 20.0, 80.0, 5) == "expected p95 <= 50 ms; got 80 ms over 5 queries"
    assert evaluate_latency(Expect.p50_ms(50), None, None, 1).endswith("got no answered query to measure")


def spec(**props) -> EndpointSpec:
    defaults = dict(
        name="scorer", served_entities=[CustomModel("ml.fraud.scorer", 3, name="v3", workload_size="Small")]
    )
    return EndpointSpec(**{**defaults, **props})


def test_expectations_are_written_into_the_metadata_as_json():
    expectations = [
        Expectation(
            "scores one row",
            request={"instances": [[1.0]]},
            expect=[Expect.status(200), Expect.predictions(1), Expect.p95_ms(250)],
        )
    ]
    meta = spec(expectations=expectations).metadata()
    assert meta["expectations"] == [
        {
            "name": "scores one row",
            "request": {"instances": [[1.0]]},
            "expect": [
                {"kind": "status", "value": 200},
                {"kind": "predictions", "value": 1},
                {"kind": "p95_ms", "value": 250},
            ],
        }
    ]
    assert Expectation.from_json(meta["expectations"][0]) == Expectation(
        "scores one row",
        request={"instances": [[1.0]]},
        expect=[Expect.status(200), Expect.predictions(1), Expect.p95_ms(250)],
    )


def test_every_mistake_is_reported_by_field_at_once():
    bad = [
        Expectation("", expect=[]),
        Expectation(
            "x",
            expect=[
                Expect.status(999),
                Expect.matches("("),
                Expect.path_exists("a..b"),
                Expect.p50_ms(0),
                Expect("exactly", "text"),
            ],
            entities=["v9"],
        ),
        Expectation("x", expect=[Expect.status(200)], request={"inputs": [str(secret("s", "k"))]}),
    ]
    with pytest.raises(ValidationError) as caught:
        spec(expectations=bad).validate("prod/scorer")
    fields = [p.field for p in caught.value.problems]
    assert fields == [
        "expectations[0].name",
        "expectations[0].expect",
        "expectations[1].expect[0].value",
        "expectations[1].expect[1].value",
        "expectations[1].expect[2].path",
        "expectations[1].expect[3].value",
        "expectations[1].expect[4]",
        "expectations[1].entities",
        "expectations[2].request",
        "expectations",
    ]
    assert "{{secrets" not in str(caught.value)


def test_a_chat_answer_is_never_compared_exactly():
    chat = dict(name="chat", served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1")])
    with pytest.raises(ValidationError, match="never compared exactly"):
        EndpointSpec(
            **chat,
            expectations=[Expectation("exact", expect=[Expect.path_equals("choices[0].message.content", "Ready.")])],
        ).validate("dev/chat")
    EndpointSpec(
        **chat,
        expectations=[
            Expectation(
                "tolerant",
                expect=[Expect.contains("ready", ignore_case=True), Expect.path_equals("object", "chat.completion")],
            )
        ],
    ).validate("dev/chat")
    external = dict(
        name="gw",
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")), task="llm/v1/completions")],
    )
    with pytest.raises(ValidationError, match="never compared exactly"):
        EndpointSpec(
            **external, expectations=[Expectation("exact", expect=[Expect.path_equals("choices[0].text", "ok")])]
        ).validate("dev/gw")
