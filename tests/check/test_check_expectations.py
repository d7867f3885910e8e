"""Declared expectations, read from the stack and run by the checker against every served entity:
met ones pass, unmet ones fail the endpoint with expected-vs-got, in every report."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from check_support import CHAT, SCORER, TOKEN, deploy, schema_errors, write_stack
from servingstack import Expect, Expectation
from servingstack.check import run_check
from servingstack.check.report_json import SCHEMA
from servingstack.cli.check import check


def with_expectations(endpoint: dict, *expectations: Expectation) -> dict:
    endpoint = copy.deepcopy(endpoint)
    meta = endpoint.setdefault("//", {}).setdefault("servingstack", {})
    meta["expectations"] = [e.to_json() for e in expectations]
    return endpoint


def test_met_expectations_pass_on_every_entity(emu, tmp_path):
    scorer = with_expectations(
        SCORER,
        Expectation(
            "scores two rows",
            request={"instances": [[1.0], [2.0]]},
            expect=[
                Expect.status(200),
                Expect.predictions(2),
                Expect.path_exists("predictions[1]"),
                Expect.matches(r"predictions"),
                Expect.p50_ms(5000),
                Expect.p95_ms(5000),
            ],
        ),
        Expectation(
            "refuses two input formats",
            request={"instances": [[1]], "inputs": [[1]]},
            expect=[Expect.status(400), Expect.contains("exactly one of", path="message")],
        ),
    )
    chat = with_expectations(
        CHAT,
        Expectation(
            "says ready",
            expect=[
                Expect.contains("ready", ignore_case=True),
                Expect.not_contains("error"),
                Expect.path_equals("object", "chat.completion"),
            ],
        ),
    )
    stack = write_stack(tmp_path, scorer=scorer, chat=chat)
    deploy(emu, stack)
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, queries=3, progress="none")
    assert report.exit_code == 0, json.dumps(report.to_dict(), indent=1)
    by_name = {e.name: e for e in report.endpoints}
    runs = [(r.name, r.entity, r.status, r.queries) for r in by_name["demo-scorer"].expectation_results]
    assert runs == [
        ("scores two rows", "v1", "pass", 3),
        ("scores two rows", "v2", "pass", 3),
        ("refuses two input formats", "v1", "pass", 3),
        ("refuses two input formats", "v2", "pass", 3),
    ]
    assert by_name["demo-scorer"].expectations.message == "4 expectation runs met on 2 served entities"
    assert [(r.name, r.entity, r.status) for r in by_name["demo-chat"].expectation_results] == [
        ("says ready", "llm", "pass")
    ]
    assert by_name["demo-chat"].expectation_results[0].p95_ms is not None


def test_an_unmet_expectation_fails_with_expected_versus_got_in_every_report(emu, tmp_path):
    scorer = with_expectations(
        SCORER,
        Expectation(
            "one score per row",
            request={"instances": [[1.0]]},
            expect=[Expect.predictions(3), Expect.path_equals("predictions[0]", 0.5), Expect.p95_ms(1)],
        ),
        Expectation("only the candidate", expect=[Expect.status(200)], entities=["v2"]),
    )
    stack = write_stack(tmp_path, scorer=scorer)
    deploy(emu, stack)
    emu.slow(0.05, endpoint="demo-scorer", scope="query")
    files = {name: tmp_path / name for name in ("r.json", "j.xml", "s.md")}
    result = CliRunner().invoke(
        check,
        [
            "--stack",
            str(stack),
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "--timeout",
            "10",
            "--json",
            str(files["r.json"]),
            "--junit",
            str(files["j.xml"]),
            "--summary",
            str(files["s.md"]),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "'one score per row' on v1: 3 prediction(s): expected 3 prediction(s); got 1" in result.output

    document = json.loads(files["r.json"].read_text())
    assert schema_errors(document, SCHEMA) == []
    endpoint = document["endpoints"][0]
    assert endpoint["steps"]["expectations"]["status"] == "fail"
    first = endpoint["expectations"][0]
    assert (first["name"], first["entity"], first["status"]) == ("one score per row", "v1", "fail")
    assert first["details"][0] == "3 prediction(s): expected 3 prediction(s); got 1"
    assert first["details"][1].startswith("predictions[0] == 0.5: expected predictions[0] == 0.5; got 0.")
    assert first["details"][2].startswith("p95 <= 1 ms: expected p95 <= 1 ms; got ")
    # `entities` limits an expectation to the entities named.
    assert [(e["name"], e["entity"]) for e in endpoint["expectations"]] == [
        ("one score per row", "v1"),
        ("one score per row", "v2"),
        ("only the candidate", "v2"),
    ]

    cases = {c.get("name"): c for c in ET.parse(files["j.xml"]).getroot().iter("testcase")}
    assert cases["expect one score per row on v2"].find("failure") is not None
    assert cases["expect only the candidate on v2"].find("failure") is None
    summary = files["s.md"].read_text()
    assert "### Expectations" in summary and "expected 3 prediction(s); got 1" in summary
    for path in files.values():
        assert TOKEN not in path.read_text()


def test_a_slow_canary_misses_its_latency_objective_and_the_stable_version_meets_it(emu, tmp_path):
    scorer = with_expectations(SCORER, Expectation("fast enough", expect=[Expect.p95_ms(150)]))
    stack = write_stack(tmp_path, scorer=scorer)
    deploy(emu, stack)
    emu.slow(0.3, endpoint="demo-scorer", entity="v2")
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, queries=2, progress="none")
    assert report.exit_code == 1
    runs = {r.entity: r for r in report.endpoints[0].expectation_results}
    assert runs["v1"].status == "pass" and runs["v1"].queries == 2
    assert runs["v2"].status == "fail"
    assert runs["v2"].message.startswith("p95 <= 150 ms: expected p95 <= 150 ms; got ")
    assert runs["v2"].message.endswith(" ms over 2 queries") and runs["v2"].p95_ms >= 300
    assert report.endpoints[0].entities.status == "pass"  # slow, but it answers
