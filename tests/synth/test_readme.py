"""The README's example is real code: it synthesizes."""

from __future__ import annotations

import json
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_example_synthesizes(tmp_path, monkeypatch):
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    code = block.replace('if __name__ == "__main__":', "if False:")
    scope: dict = {}
    exec(compile(code, str(README), "exec"), scope)
    from servingstack import synthesize

    assert synthesize(scope["build"], tmp_path / "out") == 0
    doc = json.loads((tmp_path / "out" / "stacks" / "prod" / "cdk.tf.json").read_text())
    assert {b["name"] for b in doc["resource"]["databricks_model_serving"].values()} == {
        "prod-assistant",
        "prod-summarizer",
        "prod-fraud-scoring",
        "prod-llm-gateway",
    }
