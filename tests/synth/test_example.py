"""The example app (main.py): a snapshot of both stacks, all-or-nothing synthesis, and the stack reader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from servingstack import synthesize
from servingstack.facts import rules
from servingstack.facts.stackfile import find_stacks, load_stack
from servingstack.model import secret_values

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
sys.path.insert(0, str(ROOT))
import main  # noqa: E402  the example app


def normalise(doc: dict) -> dict:
    """Versions and machine paths vary between runs and machines; the rest must not."""
    doc = json.loads(json.dumps(doc))
    doc["//"]["metadata"]["version"] = "<cdktf version>"
    local = doc["terraform"].get("backend", {}).get("local")
    if local:
        local["path"] = Path(local["path"]).name
    doc["terraform"]["required_providers"]["databricks"]["version"] = "<provider version>"
    return doc


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("example") / "cdktf.out"
    assert synthesize(main.build, outdir) == 0
    return outdir


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_example_stack_matches_its_snapshot(example, stack):
    doc = normalise(json.loads((example / "stacks" / stack / "cdk.tf.json").read_text()))
    snapshot = SNAPSHOTS / f"{stack}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    assert doc == json.loads(snapshot.read_text()), f"run UPDATE_SNAPSHOTS=1 pytest {__file__} if intended"


def test_the_example_has_every_kind_of_endpoint_and_a_90_10_split(example):
    stack = load_stack(example / "stacks" / "prod")
    doc = json.loads((example / "stacks" / "prod" / "cdk.tf.json").read_text())
    kinds = {k for meta in doc["//"]["servingstack"].values() for k in meta["kinds"]}
    assert kinds == {"FoundationModel", "ProvisionedThroughput", "CustomModel", "ExternalModel"}
    fraud = stack.endpoint("prod-fraud-scoring").request
    assert [r["traffic_percentage"] for r in fraud["config"]["traffic_config"]["routes"]] == [90, 10]
    assert {e.name for e in stack.endpoints} == {
        "prod-assistant",
        "prod-summarizer",
        "prod-fraud-scoring",
        "prod-llm-gateway",
        "prod-embeddings",
        "prod-maverick",
    }
    maverick = stack.endpoint("prod-maverick")
    assert maverick.resource_type == "databricks_model_serving_provisioned_throughput"
    assert (maverick.task, maverick.construct_path) == ("llm/v1/chat", "prod/maverick/Default")


def test_the_stack_reader_gives_back_valid_api_requests(example):
    for path in find_stacks(example):
        stack = load_stack(path)
        assert stack.name in ("dev", "prod")
        for endpoint in stack.endpoints:
            assert "timeouts" not in endpoint.request and "//" not in endpoint.request
            assert rules.validate_endpoint(endpoint.request) == []
            assert secret_values.problems(endpoint.request, allow_plaintext=False) == []
        by_logical = {e.logical_id for e in stack.endpoints}
        assert {p.endpoint_logical_id for p in stack.permissions} == by_logical
        fraud = next(e for e in stack.endpoints if e.logical_id == "fraud")
        assert fraud.task is None and "dataframe_split" in fraud.sample_request
        assert fraud.construct_path == f"{stack.name}/fraud/Default"
        # The evaluation gate and the grants travel with the stack, for the checker.
        assert [e["name"] for e in fraud.expectations] == ["scores every row"]
        assert {"group_name": "fraud-analysts", "permission_level": "CAN_VIEW"} in fraud.access_control
        assert next(e for e in stack.endpoints if e.logical_id == "embeddings").task == "llm/v1/embeddings"
        (app,) = stack.apps
        assert [s["resource"] for s in app.serving_endpoints] == ["llm", "embeddings"]


def test_a_failed_validation_leaves_the_previous_output_untouched(tmp_path):
    from servingstack import CustomModel, ServingEndpoint, ServingStack

    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "dev").mkdir(parents=True)
    (outdir / "stacks" / "dev" / "cdk.tf.json").write_text('{"previous": true}')

    def bad(app):
        ServingEndpoint(
            ServingStack(app, "dev"),
            "chat",
            name="chat",
            served_entities=[CustomModel("ml.a.b", 1, name="v1"), CustomModel("ml.a.b", 2, name="v2")],
            traffic={"v1": 90, "v2": 0},
        )

    assert synthesize(bad, outdir) == 1
    assert (outdir / "stacks" / "dev" / "cdk.tf.json").read_text() == '{"previous": true}'
    # No staging left behind; the synth report beside the output says it failed.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out", "servingstack-synth.json"]
    assert json.loads((tmp_path / "servingstack-synth.json").read_text())["status"] == "failed"


def test_a_good_synthesis_replaces_the_previous_output(tmp_path):
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "stale").mkdir(parents=True)
    assert synthesize(main.build, outdir) == 0
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == ["dev", "prod"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out", "servingstack-synth.json"]


def test_a_bad_app_exits_non_zero_with_the_message_and_no_traceback(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(
        "import sys\n"
        "from servingstack import *\n"
        "def build(app):\n"
        "    ServingEndpoint(ServingStack(app, 'dev'), 'chat', name='databricks-chat',\n"
        "                    served_entities=[ExternalModel('gpt-4o', OpenAI(api_key='sk-live-secret'))])\n"
        "sys.exit(synthesize(build))\n"
    )
    result = subprocess.run([sys.executable, str(app)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "dev/chat: 2 problems" in result.stderr and "must not start with 'databricks-'" in result.stderr
    assert "Traceback" not in result.stderr and "sk-live-secret" not in result.stderr + result.stdout
    assert not (tmp_path / "cdktf.out").exists()
