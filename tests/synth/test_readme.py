"""The README's example and the guide's endpoint of each kind are real code: they synthesize."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def first_python_block(document: Path) -> str:
    block = re.search(r"```python\n(.*?)```", document.read_text(), re.S).group(1)
    return block.replace('if __name__ == "__main__":', "if False:")


def synthesized(document: Path, outdir: Path, stack: str) -> dict:
    from servingstack import synthesize

    scope: dict = {}
    exec(compile(first_python_block(document), str(document), "exec"), scope)
    assert synthesize(scope["build"], outdir) == 0
    return json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())


def test_the_readme_example_synthesizes(tmp_path):
    doc = synthesized(ROOT / "README.md", tmp_path / "out", "prod")
    (fraud,) = doc["resource"]["databricks_model_serving"].values()
    assert fraud["name"] == "prod-fraud-scoring"
    assert fraud["config"]["traffic_config"]["routes"] == [
        {"served_model_name": "v3", "traffic_percentage": 90},
        {"served_model_name": "v4", "traffic_percentage": 10},
    ]
    (permissions,) = doc["resource"]["databricks_permissions"].values()
    assert permissions["access_control"] == [{"group_name": "data-scientists", "permission_level": "CAN_QUERY"}]


def test_the_endpoint_of_each_kind_synthesizes(tmp_path):
    doc = synthesized(ROOT / "docs" / "endpoints" / "index.md", tmp_path / "out", "prod")
    assert {b["name"] for b in doc["resource"]["databricks_model_serving"].values()} == {
        "prod-assistant",
        "prod-summarizer",
        "prod-fraud-scoring",
        "prod-llm-gateway",
    }
