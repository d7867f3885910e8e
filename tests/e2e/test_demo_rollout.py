"""`make demo-rollout` end to end: one rollout completes, one rolls back by itself, with its reports and
pictures; no output carries the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "demo-rollout-token-2b8e41"


def test_the_rollout_demo_completes_one_rollout_and_rolls_back_the_other(tmp_path):
    env = {**os.environ, "SERVINGSTACK_EMULATOR_TOKEN": TOKEN, "CI": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "servingstack.demo_rollout", "--app", str(ROOT / "examples" / "rollout.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "demo-fraud-scoring: completed; demo-recommender: rolled back by itself" in output
    reports = tmp_path / "reports"
    completed = json.loads((reports / "rollout-fraud-scoring.json").read_text())
    assert completed["outcome"] == "completed" and completed["final_split"] == {"v3": 0, "v4": 100}
    assert [s["status"] for s in completed["steps"]] == ["proven", "proven", "proven"]
    rolled_back = json.loads((reports / "rollout-recommender.json").read_text())
    assert rolled_back["outcome"] == "rolled_back" and rolled_back["final_split"] == {"v7": 100, "v8": 0}
    assert [(s["percent"], s["status"]) for s in rolled_back["steps"]][:2] == [(5, "proven"), (25, "failed")]
    assert rolled_back["change"]["kind"] == "rollback" and rolled_back["change"]["status"] == "live"
    picture = (reports / "rollout-recommender.md").read_text()
    assert picture.count("```mermaid") == 2 and "xychart-beta" in picture
    assert "```mermaid" in output  # the demo prints the rollback's summary
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    for text in [output] + [p.read_text(errors="replace") for p in written]:
        assert TOKEN not in text
