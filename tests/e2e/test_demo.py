"""`make demo` runs the main job end to end, and no output of it carries the token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "demo-token-5f1d9c0b7e"


def test_the_demo_synthesizes_deploys_and_checks_the_example(tmp_path):
    env = {**os.environ, "SERVINGSTACK_EMULATOR_TOKEN": TOKEN, "CI": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "servingstack.demo", "--app", str(ROOT / "main.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "wrote stacks dev, prod: cdktf.out/stacks/dev/cdk.tf.json, cdktf.out/stacks/prod/cdk.tf.json" in output
    assert "Apply complete: 11 created, 0 updated, 0 unchanged." in output
    assert "+ created   databricks_app.support-bot" in output
    assert "app dev-support-bot: PASS" in output and "all endpoints and apps pass" in output
    report = json.loads((tmp_path / "reports" / "check.json").read_text())
    assert report["status"] == "pass" and report["counts"] == {"pass": 5, "fail": 0, "pending": 0}
    (app,) = report["apps"]
    assert (app["name"], app["status"], app["compute_state"]) == ("dev-support-bot", "pass", "ACTIVE")
    assert [(g["endpoint"], g["verdict"]) for g in app["endpoints"]] == [
        ("dev-llm-gateway", "granted"),
        ("dev-embeddings", "granted"),
    ]
    (suite,) = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
    # 5 endpoints x 6 checks, 7 served entities, the fraud gate on its 2 entities, the app's 3 checks.
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("dev", "42", "0")
    fraud = next(e for e in report["endpoints"] if e["name"] == "dev-fraud-scoring")
    assert [(e["name"], e["traffic_percent"], e["status"]) for e in fraud["entities"]] == [
        ("v3", 90, "pass"),
        ("v4", 10, "pass"),
    ]
    assert [(x["name"], x["entity"], x["status"]) for x in fraud["expectations"]] == [
        ("scores every row", "v3", "pass"),
        ("scores every row", "v4", "pass"),
    ]
    # Then the demo breaks the canary and the checker catches it.
    assert "FAIL entities: served entity v4 (10% of traffic)" in output
    assert "the checker caught the broken canary v4 (exit 1)" in output
    assert "dev-fraud-scoring" in (tmp_path / "reports" / "summary.md").read_text()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "cdk.tf.json" for p in written)
    for text in [output] + [p.read_text(errors="replace") for p in written]:
        assert TOKEN not in text
