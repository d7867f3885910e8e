"""`make demo-plan` plans a change on the emulator and finds each kind of problem; no output carries the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys

TOKEN = "demo-plan-token-3a7c9e1f"


def test_the_plan_demo_finds_every_problem_before_the_apply(tmp_path):
    env = {**os.environ, "SERVINGSTACK_EMULATOR_TOKEN": TOKEN, "CI": "true", "COLUMNS": "120"}
    result = subprocess.run(
        [sys.executable, "-m", "servingstack.demo_plan"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "the plan found every problem before the apply (exit 1)" in output
    report = json.loads((tmp_path / "reports" / "plan.json").read_text())
    assert report["counts"] == {"create": 0, "update": 4, "replace": 1, "delete": 0, "unchanged": 0}
    assert report["ownership"]["kind"] == "emulator"
    problems = sorted((f["code"], f["subject"]) for f in report["findings"] if f["severity"] == "error")
    assert problems == [
        ("model_version_missing", "ml.search.ranker 2"),
        ("principal_unknown", "group fraud-analysts"),
        ("secret_missing", "llm-keys/openai-2025"),
    ]
    fraud = next(c for c in report["changes"] if c["address"] == "databricks_model_serving.fraud")
    assert [f["text"] for f in fraud["fields"]] == [
        "traffic v3: 90% → 50%",
        "traffic v4: 10% → 50%",
        "rate limit endpoint: calls 600 → 6000",
    ]
    summary = (tmp_path / "reports" / "plan.md").read_text()
    assert "```mermaid\nflowchart LR" in summary and "### What Terraform will not apply" in summary
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    for text in [output] + [p.read_text(errors="replace") for p in written]:
        assert TOKEN not in text
