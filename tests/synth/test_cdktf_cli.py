"""`cdktf synth` from the npm cdktf-cli runs this project's cdktf.json and writes the stacks."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"


def test_cdktf_synth_runs_the_app_from_cdktf_json(tmp_path):
    if not CDKTF.exists():
        pytest.fail("node_modules/.bin/cdktf is missing: run `make test`, which installs it with npm ci")
    config = json.loads((ROOT / "cdktf.json").read_text())
    assert (config["language"], config["app"]) == ("python", "pipenv run python main.py")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "CI": "true", "PIPENV_VENV_IN_PROJECT": "1",
           "PIPENV_VERBOSITY": "-1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    if shutil.which("pipenv", path=env.get("PATH")) is None:
        # pipenv installed as a module only: give the app command a `pipenv` to call.
        shim = tmp_path / "bin" / "pipenv"
        shim.parent.mkdir()
        shim.write_text('#!/bin/sh\nexec python3 -m pipenv "$@"\n')
        shim.chmod(0o755)
        env["PATH"] = f"{shim.parent}{os.pathsep}{env['PATH']}"
    outdir = tmp_path / "out"
    result = subprocess.run([str(CDKTF), "synth", "--output", str(outdir)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Generated Terraform code for the stacks: dev, prod" in result.stdout
    for stack in ("dev", "prod"):
        doc = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
        assert f"{stack}-fraud-scoring" in {r["name"] for r in doc["resource"]["databricks_model_serving"].values()}
