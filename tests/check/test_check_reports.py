"""The reports: JSON matching its documented schema, JUnit XML, Markdown, the terminal table;
never the token."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from check_support import schema_errors
from servingstack.check import junit, markdown, report_json, table
from servingstack.check.drift import Difference
from servingstack.check.results import (
    CheckReport,
    EndpointResult,
    EntityResult,
    ExpectationResult,
    PermissionFinding,
    QueryStats,
    StepResult,
)
from servingstack.client.redact import Redactor

SECRET = "dapi-very-secret-0123"


def sample_report() -> CheckReport:
    good = EndpointResult(
        name="prod-chat",
        logical_id="chat",
        ready=StepResult("pass", "READY, config v1", seconds=1.5),
        drift=StepResult("pass", "matches the declaration"),
        query=StepResult("pass", "3/3 answered", seconds=0.2),
        query_stats=QueryStats(
            task="llm/v1/chat",
            request_source="built-in",
            sent=3,
            succeeded=3,
            latencies_ms=[10.0, 12.0, 30.0],
            p50_ms=12.0,
            p95_ms=30.0,
            served_by={"llm": 3},
            stream=StepResult("pass", "4 chunks to [DONE]", seconds=0.1),
        ),
        last_state="READY/NOT_UPDATING, config v1",
        config_version=1,
        ready_after_seconds=1.5,
        entities=StepResult("pass", "1/1 served entities answered directly"),
        expectations=StepResult("pass", "1 expectation run met on 1 served entity"),
        permissions=StepResult("skip", "no databricks_permissions declared"),
        entity_results=[
            EntityResult("llm", 100, "pass", "answered in 9 ms, shape ok", latency_ms=9.0, shape="ok", served_by="llm")
        ],
        expectation_results=[
            ExpectationResult(
                "says ready", "llm", "pass", "1 check met", queries=3, p50_ms=9.0, p95_ms=11.0, seconds=0.03
            )
        ],
    )
    drifted = EndpointResult(
        name="prod-scorer",
        logical_id="scorer",
        ready=StepResult("pass", "READY, config v2", seconds=2.0),
        drift=StepResult(
            "fail",
            "1 difference from the declaration: traffic[v2]: declared 10, live 50",
            ["traffic[v2]: declared 10, live 50", "note: tags[x]: declared none, live y"],
        ),
        query=StepResult(
            "fail", f"query failed: PermissionDenied (token {SECRET} <&>)", ["403: the caller lacks CAN_QUERY"]
        ),
        differences=[Difference("traffic[v2]", 10, 50), Difference("tags[x]", None, "y", severity="note")],
        warnings=["streaming not checked"],
        entities=StepResult("fail", "served entity v2 (10% of traffic): query failed"),
        expectations=StepResult("fail", "'scores' on v1: expected 1 prediction(s); got 2"),
        permissions=StepResult("pass", "1 declared grant in effect"),
        entity_results=[
            EntityResult("v1", 90, "pass", "answered", latency_ms=3.0, shape="ok"),
            EntityResult("v2", 10, "fail", "query failed: InternalError"),
        ],
        expectation_results=[
            ExpectationResult(
                "scores",
                "v1",
                "fail",
                "expected 1 prediction(s); got 2",
                ["1 prediction(s): expected 1 prediction(s); got 2"],
                queries=1,
            )
        ],
        permission_findings=[PermissionFinding("group_name:interns", None, "CAN_QUERY", "will_be_removed", "warning")],
    )
    waiting = EndpointResult(
        name="prod-new",
        logical_id="new",
        ready=StepResult("pending", "interrupted; last state seen: NOT_READY/IN_PROGRESS"),
        drift=StepResult("pending", "interrupted"),
        query=StepResult("skip", "not asked for"),
        entities=StepResult("skip", "endpoint not ready"),
        expectations=StepResult("skip", "endpoint not ready"),
        permissions=StepResult("skip", "endpoint not ready"),
    )
    return CheckReport(
        stack="prod",
        stack_dir="cdktf.out/stacks/prod",
        host="https://example.cloud.databricks.com",
        started_at="2025-01-01T00:00:00+00:00",
        timeout_seconds=600,
        seconds=4.2,
        endpoints=[good, drifted, waiting],
    )


def test_json_report_matches_its_schema_and_hides_the_token():
    report = sample_report()
    text = report_json.render(report, Redactor([SECRET]))
    document = json.loads(text)
    assert schema_errors(document, report_json.SCHEMA) == []
    assert SECRET not in text
    assert document["status"] == "fail" and document["counts"] == {"pass": 1, "fail": 1, "pending": 1}
    scorer = document["endpoints"][1]
    assert scorer["differences"][0] == {"field": "traffic[v2]", "declared": 10, "live": 50, "severity": "drift"}
    assert document["endpoints"][0]["query"]["p95_ms"] == 30.0
    report.interrupted = True
    assert schema_errors(report.to_dict(), report_json.SCHEMA) == []
    assert report.exit_code == 130


def test_the_schema_catches_a_wrong_document():
    document = sample_report().to_dict()
    document["endpoints"][0]["steps"]["ready"]["status"] = "green"
    del document["counts"]
    assert len(schema_errors(document, report_json.SCHEMA)) == 2


def test_junit_has_one_testcase_per_endpoint_and_check_entity_and_expectation():
    text = junit.render(sample_report(), Redactor([SECRET]))
    assert SECRET not in text
    suite = ET.fromstring(text).find("testsuite")
    # 3 endpoints x 6 checks, 3 served entities, 2 expectation runs.
    assert suite.get("tests") == "23" and suite.get("failures") == "6" and suite.get("skipped") == "7"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    assert len(cases) == 23
    assert cases[("prod.prod-scorer", "entity v2")].find("failure").get("message") == "query failed: InternalError"
    assert cases[("prod.prod-scorer", "entity v1")].find("failure") is None
    unmet = cases[("prod.prod-scorer", "expect scores on v1")].find("failure")
    assert "expected 1 prediction(s); got 2" in unmet.text
    assert cases[("prod.prod-chat", "expect says ready on llm")].find("failure") is None
    failure = cases[("prod.prod-scorer", "drift")].find("failure")
    assert failure.get("message").startswith("1 difference")
    assert "traffic[v2]: declared 10, live 50" in failure.text
    assert "<&>" in cases[("prod.prod-scorer", "query")].find("failure").get("message")
    assert cases[("prod.prod-new", "ready")].find("skipped") is not None
    assert cases[("prod.prod-chat", "query")].find("failure") is None


def test_markdown_summary_and_github_step_summary(tmp_path, monkeypatch):
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    markdown.write(sample_report(), tmp_path / "summary.md", Redactor([SECRET]))
    text = (tmp_path / "summary.md").read_text()
    assert "| `prod-chat` | ✅ pass | ✅ pass | ✅ pass | ✅ pass | ✅ pass | ➖ skip | 12 ms / 30 ms | llm |" in text
    assert "| `prod-scorer` | `v2` | 10% | ❌ fail |  |  | query failed: InternalError |" in text
    assert "| `prod-scorer` | scores | `v1` | ❌ fail | 1 prediction(s): expected 1 prediction(s); got 2 |" in text
    assert "- drift: 1 difference from the declaration" in text
    assert "`traffic[v2]: declared 10, live 50`" in text
    assert SECRET not in text
    assert summary.read_text().startswith("earlier step\n## servingstack check: prod")


def test_terminal_table_shows_verdicts_and_reasons():
    out = io.StringIO()
    table.print_report(sample_report(), out, Redactor([SECRET]), width=200)
    text = out.getvalue()
    assert "prod-scorer" in text and "FAIL" in text and "traffic[v2]: declared 10, live 50" in text
    assert "1 of 3 endpoints failed" in text
    assert "└ v2 (10%)" in text and "query failed: InternalError" in text
    assert "└ v1: scores" in text
    assert SECRET not in text


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_rich_on_a_terminal_and_plain_in_ci(monkeypatch):
    from servingstack.check import progress

    assert isinstance(progress.choose("auto", io.StringIO()), progress.PlainProgress)
    assert isinstance(progress.choose("auto", FakeTerminal()), progress.RichProgress)
    monkeypatch.setenv("CI", "true")
    assert isinstance(progress.choose("auto", FakeTerminal()), progress.PlainProgress)

    out = FakeTerminal()
    shown = progress.RichProgress(out, Redactor([SECRET]))
    report = sample_report()
    shown.start("prod", [e.name for e in report.endpoints])
    shown.state("prod-chat", f"NOT_READY/IN_PROGRESS {SECRET}")
    for endpoint in report.endpoints:
        shown.finished(endpoint)
    shown.stop()
    text = out.getvalue()
    assert "prod-chat: PASS (ready after 1.5 s, query p50 12 ms)" in text
    assert "prod-scorer: FAIL drift: 1 difference" in text
    assert SECRET not in text
