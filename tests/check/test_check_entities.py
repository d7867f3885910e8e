"""Every served entity, queried on its own route: a broken canary is caught in every run, not one
in ten, and an entity with no traffic is still checked."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner

from check_support import SCORER, TOKEN, deploy, schema_errors, write_stack
from servingstack.check import run_check
from servingstack.check.report_json import SCHEMA
from servingstack.cli.check import check


def test_a_broken_canary_fails_the_check_naming_the_entity_in_every_run(emu, tmp_path):
    stack = write_stack(tmp_path, scorer=SCORER)  # v1 90%, v2 10%
    deploy(emu, stack)
    emu.break_entity("demo-scorer", "v2")
    for run in range(3):
        report_file = tmp_path / f"report-{run}.json"
        # A 500 may be passing: the checker retries it until the (short) timeout, then gives its verdict.
        result = CliRunner().invoke(
            check,
            ["--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--timeout", "2", "--json", str(report_file)],
        )
        assert result.exit_code == 1, result.output
        assert "served entity v2 (10% of traffic): query failed" in result.output
        assert TOKEN not in result.output
        document = json.loads(report_file.read_text())
        assert schema_errors(document, SCHEMA) == []
        scorer = document["endpoints"][0]
        assert scorer["steps"]["entities"]["status"] == "fail"
        entities = {e["name"]: e for e in scorer["entities"]}
        assert entities["v1"]["status"] == "pass" and entities["v1"]["traffic_percent"] == 90
        assert entities["v2"]["status"] == "fail" and entities["v2"]["traffic_percent"] == 10
        assert "InternalError" in entities["v2"]["message"] or "500" in entities["v2"]["message"]
        assert entities["v2"]["details"] == ["the model server failed to answer: read the endpoint's logs"]


def test_every_entity_answers_with_its_latency_shape_and_name(emu, tmp_path):
    scorer = copy.deepcopy(SCORER)
    scorer["config"]["traffic_config"]["routes"] = [
        {"served_model_name": "v1", "traffic_percentage": 100},
        {"served_model_name": "v2", "traffic_percentage": 0},
    ]
    stack = write_stack(tmp_path, scorer=scorer)
    deploy(emu, stack)
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, progress="none")
    assert report.exit_code == 0, report.to_dict()
    endpoint = report.endpoints[0]
    assert endpoint.entities.status == "pass" and endpoint.entities.message == "2/2 served entities answered directly"
    by_name = {e.name: e for e in endpoint.entity_results}
    assert by_name["v2"].traffic_percent == 0 and by_name["v2"].status == "pass"  # 0% traffic, still checked
    for entity in by_name.values():
        assert entity.served_by == entity.name and entity.shape == "ok" and entity.latency_ms is not None
    assert emu.queries_served("demo-scorer", "v2") == 1  # only its own query: the split sends it nothing


def test_no_query_skips_the_entities(emu, tmp_path):
    stack = write_stack(tmp_path, scorer=SCORER)
    deploy(emu, stack)
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, progress="none", query=False)
    assert report.exit_code == 0
    assert report.endpoints[0].entities.status == "skip" and report.endpoints[0].entity_results == []


def test_live_entities_carry_their_share_of_the_traffic():
    from servingstack.check.entities import live_entities

    live = {
        "config": {
            "served_entities": [{"name": "v3"}, {"name": "v4"}, {"name": "shadow"}],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "v3", "traffic_percentage": 90},
                    {"served_entity_name": "v4", "traffic_percentage": 10},
                ]
            },
        }
    }
    assert live_entities(live) == [("v3", 90), ("v4", 10), ("shadow", 0)]
    assert live_entities({"config": {"served_entities": [{"name": "only"}]}}) == [("only", None)]
    assert live_entities({}) == []
