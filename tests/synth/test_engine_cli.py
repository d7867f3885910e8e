"""The engine's npm CLI (`cdktf synth` or `cdktn synth`) runs this project's app and writes the stacks,
offline, on the project's own Node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servingstack.cdk import engine as _cdk

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"


def _cli_env(tmp_path: Path) -> dict[str, str]:
    # The project's Node first on PATH: cdktn-cli needs Node >= 22.19, and no EOL banner may show.
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "CI": "true",
        "PIPENV_VENV_IN_PROJECT": "1",
        "PIPENV_VERBOSITY": "-1",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", None)
    if shutil.which("pipenv", path=env.get("PATH")) is None:
        # pipenv installed as a module only: give the app command a `pipenv` to call.
        shim = tmp_path / "bin" / "pipenv"
        shim.parent.mkdir()
        shim.write_text('#!/bin/sh\nexec python3 -m pipenv "$@"\n')
        shim.chmod(0o755)
        env["PATH"] = f"{shim.parent}{os.pathsep}{env['PATH']}"
    return env


def test_the_engine_cli_synthesizes_the_app_from_cdktf_json(tmp_path):
    engine = _cdk.ENGINE
    cli = BIN / engine.cli
    if not cli.exists():
        pytest.fail(f"node_modules/.bin/{engine.cli} is missing: run `make test`, which installs it with npm ci")
    config = json.loads((ROOT / "cdktf.json").read_text())
    assert (config["language"], config["app"]) == ("python", "pipenv run python main.py")
    command = [str(cli), "synth", "--output", str(tmp_path / "out")]
    env = _cli_env(tmp_path)
    if engine.name == "cdktn":
        # cdktf.json's app runs the Pipfile's (cdktf) environment; CDK Terrain's is this interpreter's.
        command += ["--app", f"{sys.executable} main.py"]
        env["SERVINGSTACK_CDK_ENGINE"] = "cdktn"
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Generated Terraform code for the stacks: dev, prod" in result.stdout
    assert "end-of-life" not in (result.stdout + result.stderr).lower()
    for stack in ("dev", "prod"):
        doc = json.loads((tmp_path / "out" / "stacks" / stack / "cdk.tf.json").read_text())
        assert f"{stack}-fraud-scoring" in {r["name"] for r in doc["resource"]["databricks_model_serving"].values()}
        assert doc["terraform"]["required_providers"]["databricks"]["version"] == engine.provider_version
