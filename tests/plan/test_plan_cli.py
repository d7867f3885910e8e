"""`servingstack plan` as a user runs it: exit codes (0, 1, 2, 5 with --detailed-exitcode), the JSON
report against its schema, the Markdown summary with its picture, and the setup errors (unreachable
host, wrong token, unreadable stack, bad state file) as one clear line, exit 2 and no report at all.
The token never appears in any output."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from plan_support import TOKEN, baseline, deploy, schema_errors, write_stack
from servingstack.cli import main
from servingstack.plan import report_json


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env["DATABRICKS_CONFIG_FILE"] = os.devnull
    return subprocess.run(
        [sys.executable, "-m", "servingstack.cli", "plan", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COLUMNS": "200"},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_reports_exit_codes_and_the_picture(emu, tmp_path):
    deploy(emu, tmp_path, baseline())
    after = baseline()
    routes = after["resource"]["databricks_model_serving"]["fraud"]["config"]["traffic_config"]["routes"]
    routes[0]["traffic_percentage"], routes[1]["traffic_percentage"] = 50, 50
    stack = write_stack(tmp_path, after)
    reports = tmp_path / "reports"
    common = ["--stack", str(stack), "--host", emu.url, "--token", TOKEN]
    files = ["--json", str(reports / "plan.json"), "--summary", str(reports / "plan.md")]
    result = run_cli(*common, *files)
    assert result.returncode == 0, result.stderr
    assert "demo-fraud" in result.stdout and "traffic v3: 90% → 50%" in result.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 6 unchanged; 0 problem(s)" in result.stdout
    document = json.loads((reports / "plan.json").read_text())
    assert schema_errors(document, report_json.SCHEMA) == []
    assert document["status"] == "ok" and document["changes_present"] is True
    summary = (reports / "plan.md").read_text()
    assert "## servingstack plan: demo" in summary and "```mermaid\nflowchart LR" in summary
    assert '"90% → 50%"' in summary and ":::update" in summary
    assert run_cli(*common, "--detailed-exitcode").returncode == 5
    # A problem: exit 1, whatever --detailed-exitcode says.
    after["resource"]["databricks_model_serving"]["fraud"]["config"]["served_entities"][0]["entity_version"] = "9"
    write_stack(tmp_path, after)
    failing = run_cli(*common, *files, "--detailed-exitcode")
    assert failing.returncode == 1
    assert "What will fail:" in failing.stdout and "ml.fraud.scorer 9 does not exist" in failing.stdout
    assert "### What will fail" in (reports / "plan.md").read_text()
    for text in (result.stdout, result.stderr, failing.stdout, summary, (reports / "plan.json").read_text()):
        assert TOKEN not in text


def test_an_unchanged_stack_exits_0_with_detailed_exitcode(emu, tmp_path):
    stack = deploy(emu, tmp_path, baseline())
    result = CliRunner().invoke(
        main, ["plan", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--detailed-exitcode"]
    )
    assert result.exit_code == 0, result.output
    assert "No changes: what the stack declares is what runs." in result.output


def test_the_step_summary_gets_the_markdown_too(emu, tmp_path, monkeypatch):
    stack = deploy(emu, tmp_path, baseline())
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(main, ["plan", "--stack", str(stack), "--host", emu.url, "--token", TOKEN])
    assert result.exit_code == 0, result.output
    assert summary.read_text().startswith("## servingstack plan: demo")


def _setup_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert all(part in lines[0] for part in expected), lines[0]
    assert result.stdout == "" and "Traceback" not in result.stderr
    return lines[0]


def test_an_unreachable_host_is_one_line_exit_2_and_no_report(emu, tmp_path):
    stack = write_stack(tmp_path, baseline())
    old = tmp_path / "plan.json"
    old.write_text('{"status": "ok"}')  # an earlier run's report must not be mistaken for this one's
    port = free_port()
    result = run_cli(
        "--stack",
        str(stack),
        "--host",
        f"http://127.0.0.1:{port}",
        "--token",
        TOKEN,
        "--timeout",
        "3",
        "--json",
        str(old),
    )
    _setup_error(result, f"connection refused by 127.0.0.1:{port}")
    assert not old.exists()


def test_a_wrong_token_is_one_line_exit_2(emu, tmp_path):
    stack = write_stack(tmp_path, baseline())
    line = _setup_error(
        run_cli("--stack", str(stack), "--host", emu.url, "--token", "wrong-token-123456"), "rejected the credentials"
    )
    assert "wrong-token-123456" not in line


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("missing", "no cdk.tf.json here"),
        ("not json", "not a readable Terraform JSON file"),
        ("not a stack", "not a synthesized servingstack stack"),
        ("empty", "declares no serving endpoint"),
    ],
)
def test_an_unreadable_stack_is_one_line_exit_2_before_any_read(emu, tmp_path, kind, expected):
    stack = tmp_path / "cdktf.out" / "stacks" / "demo"
    if kind != "missing":
        stack.mkdir(parents=True)
        content = {"not json": "{oops", "not a stack": '{"resource": {"databricks_model_serving": [1]}}', "empty": "{}"}
        (stack / "cdk.tf.json").write_text(content[kind])
    summary = tmp_path / "plan.md"
    emu.reset_request_count()
    result = run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--summary", str(summary))
    _setup_error(result, expected)
    assert not summary.exists()
    assert emu.request_count() == 0  # nothing was read


def test_a_host_for_another_workspace_than_the_stack_declares_is_one_line_exit_2(emu, tmp_path):
    declared = baseline()
    declared["provider"] = {"databricks": [{"host": "https://prod.cloud.databricks.com"}]}
    stack = write_stack(tmp_path, declared)
    old = tmp_path / "plan.json"
    old.write_text('{"status": "ok"}')
    emu.reset_request_count()
    result = run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--json", str(old))
    _setup_error(result, "the stack demo declares host https://prod.cloud.databricks.com")
    assert "--host names" in result.stderr and not old.exists()
    assert emu.request_count() == 0  # refused before any request


def test_bad_state_options_are_usage_errors(emu, tmp_path):
    stack = deploy(emu, tmp_path, baseline())
    bad = tmp_path / "state.json"
    bad.write_text('{"hello": 1}')
    _setup_error(
        run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--state", str(bad)),
        "neither a Terraform state",
    )
    _setup_error(
        run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--state", str(tmp_path / "nope.json")),
        "no such file",
    )
    _setup_error(
        run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--state", str(bad), "--no-state"),
        "choose one",
    )


def test_an_unwritable_report_is_refused_before_anything_is_read(emu, tmp_path):
    stack = write_stack(tmp_path, baseline())
    (tmp_path / "dir.json").mkdir()
    result = run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--json", str(tmp_path / "dir.json"))
    assert result.returncode == 2 and "is a directory" in result.stderr


def test_one_deadline_bounds_the_run_even_when_a_read_hangs(emu, tmp_path):
    stack = deploy(emu, tmp_path, baseline())
    emu.slow(30, endpoint="demo-chat", scope="control")
    result = run_cli("--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--timeout", "3")
    assert result.returncode == 1, result.stdout + result.stderr
    unread = result.stdout.split("What could not be read:")[1]
    assert "could not read the live endpoint 'demo-chat'" in unread
    # Everything else was read in the same run, within the same deadline: only the hung read is missing.
    assert "demo-fraud" not in unread and "demo-search" not in unread


def test_sigterm_during_the_reads_prints_and_writes_an_interrupted_plan(emu, tmp_path):
    stack = deploy(emu, tmp_path, baseline())
    emu.slow(30, endpoint="demo-chat", scope="control")
    emu.reset_request_count()
    report = tmp_path / "plan.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "servingstack.cli", "plan", "--stack", str(stack), "--host", emu.url, "--token", TOKEN]
        + ["--timeout", "60", "--json", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "DATABRICKS_CONFIG_FILE": os.devnull},
    )
    try:
        for _ in range(600):  # until the slowed read is in flight (the reads have started)
            if emu.request_count(path_prefix="/api/2.0/serving-endpoints/demo-chat") or process.poll() is not None:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, out + err
    assert "interrupted: the plan is incomplete" in out and "Traceback" not in err
    document = json.loads(report.read_text())
    assert document["status"] == "interrupted" and document["interrupted"] is True
