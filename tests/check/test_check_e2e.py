"""End to end: the checker drives the emulator over HTTP through the unmodified databricks-sdk.

Every fault gives its verdict, message and exit code within a short timeout; no output or
report ever holds the token.
"""

from __future__ import annotations

import _thread
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from databricks.sdk.service.serving import EndpointTag, Route, ServedEntityInput, TrafficConfig

from check_support import CHAT, EMBEDDINGS, SCORER, TOKEN, deploy, schema_errors, write_stack
from servingstack.check import AuthenticationError, ConfigurationError, UsageError, run_check
from servingstack.check.progress import NoProgress
from servingstack.check.report_json import SCHEMA
from servingstack.cli.check import check

pytestmark = pytest.mark.e2e

CUSTOM_WITHOUT_SAMPLE = {
    "name": "demo-custom",
    "config": {
        "served_entities": [
            {
                "name": "m",
                "entity_name": "ml.models.churn",
                "entity_version": "3",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
            }
        ]
    },
}


def cli(emu, stack_dir: Path, *args: str, token: str = TOKEN):
    result = CliRunner().invoke(check, ["--stack", str(stack_dir), "--host", emu.url, "--token", token, *args])
    assert TOKEN not in result.output
    return result


def check_stack(emu, stack_dir: Path, **options):
    options = {"timeout": 5, "progress": "none", **options}
    return run_check(stack_dir, host=emu.url, token=TOKEN, **options)


def test_a_healthy_stack_passes_with_every_report(emu, tmp_path, monkeypatch):
    stack = write_stack(tmp_path, chat=CHAT, scorer=SCORER, embed=EMBEDDINGS, custom=CUSTOM_WITHOUT_SAMPLE)
    deploy(emu, stack)
    step_summary = tmp_path / "github-step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    reports = {name: tmp_path / name for name in ("report.json", "junit.xml", "summary.md")}
    result = cli(
        emu,
        stack,
        "--timeout",
        "10",
        "--queries",
        "3",
        "--stream",
        "--json",
        str(reports["report.json"]),
        "--junit",
        str(reports["junit.xml"]),
        "--summary",
        str(reports["summary.md"]),
    )
    assert result.exit_code == 0, result.output
    assert "all endpoints pass" in result.output

    document = json.loads(reports["report.json"].read_text())
    assert schema_errors(document, SCHEMA) == []
    endpoints = {e["name"]: e for e in document["endpoints"]}
    assert {e["status"] for e in endpoints.values()} == {"pass"}
    chat = endpoints["demo-chat"]["query"]
    assert chat["task"] == "llm/v1/chat" and chat["sent"] == 3 and chat["served_by"] == {"llm": 3}
    assert chat["p50_ms"] is not None and chat["p95_ms"] >= chat["p50_ms"]
    assert chat["stream"]["status"] == "pass" and "[DONE]" in chat["stream"]["message"]
    assert endpoints["demo-embed"]["query"]["task"] == "llm/v1/embeddings"
    assert endpoints["demo-scorer"]["query"]["request_source"] == "sample_request"
    assert set(endpoints["demo-scorer"]["query"]["served_by"]) <= {"v1", "v2"}
    assert endpoints["demo-custom"]["query"]["request_source"] == "openapi"

    suite = ET.parse(reports["junit.xml"]).getroot().find("testsuite")
    # 4 endpoints x 6 checks, and a test case per served entity (chat 1, scorer 2, embed 1, custom 1).
    assert suite.get("tests") == "29" and suite.get("failures") == "0"
    assert {c.get("name") for c in suite.iter("testcase")} == {
        "ready",
        "drift",
        "query",
        "entities",
        "expectations",
        "permissions",
        "entity llm",
        "entity v1",
        "entity v2",
        "entity gte",
        "entity m",
    }
    assert "| `demo-chat` | ✅ pass | ✅ pass | ✅ pass |" in reports["summary.md"].read_text()
    assert step_summary.read_text() == reports["summary.md"].read_text() + "\n"
    for path in [*reports.values(), step_summary]:
        assert TOKEN not in path.read_text()


def test_a_failed_deployment_fails_fast_with_its_reason_and_logs(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT, scorer=SCORER)
    # A server message that echoes the token (here: a misconfigured environment variable).
    emu.fail_deployment(endpoint="demo-scorer", message=f"Container build failed: no torch==9 (TOKEN={TOKEN})")
    deploy(emu, stack)
    result = cli(emu, stack, "--timeout", "30", "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 1, result.output
    assert "(TOKEN=***)" in result.output and TOKEN not in (tmp_path / "r.json").read_text()
    scorer = json.loads((tmp_path / "r.json").read_text())["endpoints"][1]
    ready = scorer["steps"]["ready"]
    assert ready["status"] == "fail"
    assert ready["message"].startswith("deployment failed (UPDATE_FAILED): served entity v1: DEPLOYMENT_FAILED")
    assert "Container build failed: no torch==9" in ready["message"]
    assert any(line.strip().startswith("build logs of v1") for line in ready["details"])
    assert any("ERROR" in line for line in ready["details"])
    assert scorer["steps"]["drift"]["status"] == "skip" and scorer["steps"]["query"]["status"] == "skip"
    # Failing fast: far below the 30 s timeout.
    assert json.loads((tmp_path / "r.json").read_text())["seconds"] < 30


def test_never_ready_times_out_with_the_last_state_seen(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    emu.never_ready(endpoint="demo-chat")
    deploy(emu, stack)
    report = check_stack(emu, stack, timeout=1.5)
    ready = report.endpoints[0].ready
    assert report.exit_code == 1 and ready.status == "fail"
    assert ready.message.startswith("not ready after 1.5 s; last state seen: NOT_READY/IN_PROGRESS, pending v1")


def test_an_update_still_deploying_is_not_done_although_the_old_config_is_ready(emu, tmp_path):
    stack = write_stack(tmp_path, scorer=SCORER)
    deploy(emu, stack)
    assert check_stack(emu, stack, query=False).exit_code == 0
    emu.never_ready(endpoint="demo-scorer")
    client = emu.client(retry_timeout_seconds=5)
    client.serving_endpoints.update_config(
        "demo-scorer",
        served_entities=[ServedEntityInput.from_dict(e) for e in SCORER["config"]["served_entities"]],
        traffic_config=TrafficConfig.from_dict(SCORER["config"]["traffic_config"]),
    )
    report = check_stack(emu, stack, timeout=1)
    assert "last state seen: READY/IN_PROGRESS, config v1, pending v2" in report.endpoints[0].ready.message


@pytest.mark.parametrize(
    "inject",
    [
        pytest.param(lambda emu: emu.throttle(2, retry_after=1), id="429-burst"),
        pytest.param(lambda emu: emu.throttle(2, retry_after=1, scope="query"), id="429-on-queries"),
        pytest.param(lambda emu: emu.server_errors(3, status=503), id="503"),
        pytest.param(lambda emu: emu.server_errors(3, status=500), id="500"),
        pytest.param(lambda emu: emu.drop_connections(3), id="dropped-connections"),
        pytest.param(lambda emu: emu.slow(3, scope="control", count=1), id="slow-answer"),
    ],
)
def test_transient_faults_are_retried_inside_the_timeout(emu, tmp_path, inject):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    inject(emu)
    report = check_stack(emu, stack, timeout=4)
    assert report.exit_code == 0, report.to_dict()
    assert emu.faults() == []  # every injected fault was met and got past


def test_persistent_throttling_of_queries_fails_with_advice(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    emu.throttle(1000, retry_after=1, scope="query")
    query = check_stack(emu, stack, timeout=2).endpoints[0].query
    assert query.status == "fail"
    assert query.message.startswith("query failed: gave up after 2 attempts")
    assert "429 RequestLimitExceeded" in query.message
    assert "AI Gateway rate limit" in query.details[0]


def test_a_rejected_query_fails_with_advice(emu, tmp_path):
    bad_sample = {**SCORER, "//": {"servingstack": {"sample_request": {"dataframe_records": "not rows"}}}}
    stack = write_stack(tmp_path, scorer=bad_sample)
    deploy(emu, stack)
    result = cli(emu, stack, "--timeout", "5")
    assert result.exit_code == 1
    assert "query failed: 400" in result.output
    assert "check the declared sample_request" in result.output


def test_a_missing_endpoint_says_so(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT, embed=EMBEDDINGS)
    deploy(emu, write_stack(tmp_path, name="only-chat", chat=CHAT))
    report = check_stack(emu, stack)
    assert [e.status for e in report.endpoints] == ["pass", "fail"]
    assert report.endpoints[1].ready.message.startswith("not found: has the stack been deployed?")


def test_drift_in_traffic_and_tags_fails_the_endpoint(emu, tmp_path):
    stack = write_stack(tmp_path, scorer=SCORER)
    deploy(emu, stack)
    assert check_stack(emu, stack, query=False).exit_code == 0
    client = emu.client(retry_timeout_seconds=5)
    client.serving_endpoints.update_config(
        "demo-scorer",
        served_entities=[ServedEntityInput.from_dict(e) for e in SCORER["config"]["served_entities"]],
        traffic_config=TrafficConfig(
            routes=[
                Route(served_model_name="v1", traffic_percentage=50),
                Route(served_model_name="v2", traffic_percentage=50),
            ]
        ),
    )
    client.serving_endpoints.patch(
        "demo-scorer", add_tags=[EndpointTag("team", "data"), EndpointTag("owner", "x")], delete_tags=["cost-center"]
    )
    result = cli(emu, stack, "--timeout", "5", "--no-query", "--json", str(tmp_path / "r.json"))
    assert result.exit_code == 1
    drift = json.loads((tmp_path / "r.json").read_text())["endpoints"][0]["steps"]["drift"]
    assert drift["status"] == "fail"
    assert drift["details"] == [
        "traffic[v1]: declared 90, live 50",
        "traffic[v2]: declared 10, live 50",
        "tags[team]: declared ml, live data",
        "tags[cost-center]: declared 42, live none",
        "note: tags[owner]: declared none, live x",
    ]
    assert "traffic[v2]: declared 10, live 50" in result.output


def test_only_the_named_endpoints_are_checked(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT, embed=EMBEDDINGS)
    deploy(emu, write_stack(tmp_path, name="only-chat", chat=CHAT))
    report = check_stack(emu, stack, endpoints=["demo-chat"])
    assert [e.name for e in report.endpoints] == ["demo-chat"] and report.exit_code == 0


def test_setup_problems_exit_2_without_a_traceback(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    runner = CliRunner()
    wrong_token = runner.invoke(check, ["--stack", str(stack), "--host", emu.url, "--token", "not-the-token-42"])
    assert wrong_token.exit_code == 2 and "rejected the credentials" in wrong_token.output
    assert "not-the-token-42" not in wrong_token.output
    no_stack = runner.invoke(check, ["--stack", str(tmp_path / "nowhere"), "--host", emu.url, "--token", TOKEN])
    assert no_stack.exit_code == 2 and "no cdk.tf.json here" in no_stack.output
    no_host = runner.invoke(check, ["--stack", str(stack)])
    assert no_host.exit_code == 2 and "cannot configure Databricks authentication" in no_host.output
    unknown = runner.invoke(check, ["--stack", str(stack), "--endpoint", "nope", "--host", emu.url, "--token", TOKEN])
    assert unknown.exit_code == 2 and "not in the stack: nope (the stack declares: demo-chat)" in unknown.output
    bad_option = runner.invoke(check, ["--stack", str(stack), "--queries", "0"])
    assert bad_option.exit_code == 2
    for result in (wrong_token, no_stack, no_host, unknown, bad_option):
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    with pytest.raises(AuthenticationError):
        run_check(stack, host=emu.url, token="not-the-token-42", progress="none")
    with pytest.raises(ConfigurationError):
        run_check(stack, progress="none")
    with pytest.raises(UsageError):
        run_check(stack, host=emu.url, token=TOKEN, timeout=0)


def test_the_environment_is_used_like_every_databricks_tool(emu, tmp_path, monkeypatch):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    monkeypatch.setenv("DATABRICKS_HOST", emu.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    report = tmp_path / "report.json"
    result = CliRunner().invoke(check, ["--stack", str(stack), "--timeout", "5", "--json", str(report)])
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output and TOKEN not in report.read_text()
    profile = tmp_path / "databrickscfg"
    profile.write_text(f"[emu]\nhost = {emu.url}\ntoken = {TOKEN}\n")
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(profile))
    assert CliRunner().invoke(check, ["--stack", str(stack), "--profile", "emu", "--timeout", "5"]).exit_code == 0


class InterruptOnFirstState(NoProgress):
    """Presses Ctrl-C as soon as the checker reports that it is waiting."""

    def __init__(self):
        self.pressed = False

    def state(self, name: str, text: str) -> None:
        if not self.pressed:
            self.pressed = True
            _thread.interrupt_main()


def test_ctrl_c_returns_what_is_known_so_far(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    emu.never_ready(endpoint="demo-chat")
    deploy(emu, stack)
    report = check_stack(emu, stack, timeout=30, progress=InterruptOnFirstState())
    assert report.interrupted and report.exit_code == 130
    ready = report.endpoints[0].ready
    assert ready.status == "pending"
    assert ready.message.startswith("interrupted; last state seen: NOT_READY/IN_PROGRESS")
    assert schema_errors(report.to_dict(), SCHEMA) == []


def test_plain_progress_lines_when_not_a_terminal(emu, tmp_path):
    stack = write_stack(tmp_path, chat=CHAT)
    deploy(emu, stack)
    result = cli(emu, stack, "--timeout", "5")
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith("[")]
    assert "checking 1 endpoint of stack demo" in lines[0]
    assert any("demo-chat: PASS (ready after" in line for line in lines)
