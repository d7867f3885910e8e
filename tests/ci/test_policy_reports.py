"""`servingstack policy`: the last synth's findings as SARIF 2.1.0 (valid against the OASIS schema,
with rule ids, severities, construct paths and the app's file:line), as Markdown, and on the terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from servingstack import __version__
from servingstack.cli import main

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())

APP = """\
import sys
from servingstack import *

GATEWAY = AiGateway(usage_tracking=True, rate_limits=[RateLimit(calls=10)])


def build(app):
    stack = ServingStack(
        app, "dev", environment="dev", default_tags={"owner": "me", "cost-center": "cc"}, policy=[BaselinePack()]
    )
    lazy = ServingEndpoint(
        stack,
        "scorer",
        name="scorer",
        served_entities=[CustomModel("ml.fraud.scorer", 1, scale_to_zero=False)],
        ai_gateway=GATEWAY,
    )
    open_to_all = ServingEndpoint(
        stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")], ai_gateway=GATEWAY
    )
    open_to_all.grant_manage(group="{group}")
    untracked = ServingEndpoint(
        stack, "batch", name="batch", served_entities=[FoundationModel("system.ai.x", "1")]
    )
    suppress(untracked, "SS1", "SS2", reason="batch jobs are metered by the scheduler")
    suppress(stack, "SS42", reason="a rule id that no pack has, to show the warning")


sys.exit(synthesize(build))
"""


def synthesize_app(directory: Path, group: str) -> subprocess.CompletedProcess:
    (directory / "main.py").write_text(APP.replace("{group}", group))
    return subprocess.run(
        [sys.executable, "main.py"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def validate(log: dict) -> None:
    validator = jsonschema.validators.validator_for(SCHEMA)
    validator.check_schema(SCHEMA)
    errors = sorted(validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def run_policy(directory: Path, *args: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(directory)
    return CliRunner().invoke(main, ["policy", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def failed_synth(tmp_path_factory) -> Path:
    """An app whose policy fails (CAN_MANAGE for `users`), with a warning and suppressed findings."""
    directory = tmp_path_factory.mktemp("failing")
    result = synthesize_app(directory, "users")
    assert result.returncode == 1, result.stderr
    assert "SS6 dev/chat" in result.stderr
    return directory


@pytest.fixture(scope="module")
def passing_synth(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("passing")
    result = synthesize_app(directory, "ml-platform")
    assert result.returncode == 0, result.stderr
    return directory


def test_the_sarif_of_a_failed_policy_is_valid_sarif_2_1_0_with_every_finding_where_the_app_declared_it(
    failed_synth, monkeypatch
):
    result = run_policy(failed_synth, "--sarif", "reports/policy.sarif", monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    log = json.loads((failed_synth / "reports" / "policy.sarif").read_text())
    validate(log)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("servingstack-policy", __version__)
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert rules["SS6"]["defaultConfiguration"]["level"] == "error"
    assert rules["SS8"]["defaultConfiguration"]["level"] == "warning"
    assert rules["SS6"]["shortDescription"]["text"] and "Fix:" in rules["SS6"]["help"]["text"]
    found = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r for r in run["results"]}
    lines = APP.splitlines()
    declared = {
        path: lines.index(f"    {name} = ServingEndpoint(") + 1
        for path, name in (("dev/scorer", "lazy"), ("dev/chat", "open_to_all"), ("dev/batch", "untracked"))
    }
    assert set(found) == {("SS8", "dev/scorer"), ("SS6", "dev/chat"), ("SS1", "dev/batch"), ("SS2", "dev/batch")}
    for (rule_id, path), result in found.items():
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == rule_id
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "main.py", "uriBaseId": "%SRCROOT%"}
        assert location["region"]["startLine"] == declared[path]
        assert result["message"]["text"].startswith(f"{path}: ")
    assert found[("SS6", "dev/chat")]["level"] == "error"
    assert found[("SS8", "dev/scorer")]["level"] == "warning"
    assert found[("SS1", "dev/batch")]["suppressions"] == [
        {"kind": "inSource", "justification": "batch jobs are metered by the scheduler"}
    ]
    assert "suppressions" not in found[("SS6", "dev/chat")]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True  # the tool ran; its findings failed the synth
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
        "a suppression names SS42, which no applied pack has"
    ]


def test_fingerprints_stay_when_lines_move(failed_synth, passing_synth, monkeypatch, tmp_path):
    run_policy(failed_synth, "--sarif", str(tmp_path / "a.sarif"), monkeypatch=monkeypatch)
    run_policy(passing_synth, "--sarif", str(tmp_path / "b.sarif"), monkeypatch=monkeypatch)
    fingerprints = [
        {r["ruleId"]: r["partialFingerprints"] for r in json.loads((tmp_path / n).read_text())["runs"][0]["results"]}
        for n in ("a.sarif", "b.sarif")
    ]
    assert fingerprints[0]["SS8"] == fingerprints[1]["SS8"]
    assert fingerprints[0]["SS1"] != fingerprints[0]["SS2"]


def test_the_markdown_names_rule_construct_file_line_and_fix_and_lands_in_the_step_summary(
    failed_synth, monkeypatch, tmp_path
):
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    result = run_policy(failed_synth, "--summary", "reports/policy.md", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    markdown = (failed_synth / "reports" / "policy.md").read_text()
    assert step_summary.read_text() == "earlier step\n" + markdown
    assert "| `dev` | baseline | 3 | 1 | 1 | 2 | **failed** |" in markdown
    chat_line = APP.splitlines().index("    open_to_all = ServingEndpoint(") + 1
    assert "| ❌ error | SS6 " in markdown and f"`dev/chat` `grants[0]` | `main.py:{chat_line}` |" in markdown
    assert "🔕 suppressed | SS1 " in markdown and "(suppressed: batch jobs are metered by the scheduler)" in markdown
    scorer_line = APP.splitlines().index("    lazy = ServingEndpoint(") + 1
    assert (
        f"### Synth warnings (2)\n\n- SS8 `dev/scorer`: is false (`main.py:{scorer_line}`)\n"
        "- SS42 `dev`: a suppression names SS42, which no applied pack has\n"
    ) in markdown
    assert "dev: FAILED: 1 errors, 1 warnings, 2 suppressed (baseline)" in result.output


def test_a_passing_policy_exits_0_and_reads_the_stack_reports_without_the_synth_report(passing_synth, monkeypatch):
    result = run_policy(passing_synth, "--sarif", "p.sarif", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    validate(json.loads((passing_synth / "p.sarif").read_text()))
    (passing_synth / "servingstack-synth.json").rename(passing_synth / "kept.json")
    try:
        result = run_policy(passing_synth, "--summary", "p.md", monkeypatch=monkeypatch)
        assert result.exit_code == 0, result.output
        assert "cdktf.out/stacks/*/policy-findings.json" in result.output
        assert "Synth warnings" not in (passing_synth / "p.md").read_text()  # only the synth report has them
    finally:
        (passing_synth / "kept.json").rename(passing_synth / "servingstack-synth.json")


def test_no_report_is_exit_2_with_one_line_that_says_what_to_do(tmp_path, monkeypatch):
    result = run_policy(tmp_path, monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert "no policy report" in result.output and "synthesize first" in result.output
    assert "Traceback" not in result.output
