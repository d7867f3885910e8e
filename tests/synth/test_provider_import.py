"""servingstack loads only the provider submodules it uses; user code can still use the rest (on either engine)."""

from __future__ import annotations

import json
import subprocess
import sys

from servingstack.cdk import engine as _cdk

SCRIPT = """
import json, sys
from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize
PROVIDER = sys.argv[2]

def build(app):
    stack = ServingStack(app, "dev")
    ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
    loaded = sorted(m.split(".")[1] for m in sys.modules
                    if m.startswith(PROVIDER + ".") and m.count(".") == 1)
    print(json.dumps(loaded))
    # Bindings the library never touches, imported the two usual ways, after it.
    import importlib
    schema = importlib.import_module(PROVIDER).schema                       # from <provider> import schema
    Catalog = importlib.import_module(PROVIDER + ".catalog").Catalog        # from <provider>.catalog import Catalog
    Catalog(stack, "catalog", name="ml")
    schema.Schema(stack, "schema", catalog_name="ml", name="serving")

sys.exit(synthesize(build, sys.argv[1]))
"""


def test_only_the_used_submodules_load_and_the_others_still_import(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "out"), _cdk.ENGINE.provider_package],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0]) == ["_jsii", "model_serving", "provider"]
    doc = json.loads((tmp_path / "out" / "stacks" / "dev" / "cdk.tf.json").read_text())
    assert set(doc["resource"]) == {"databricks_model_serving", "databricks_catalog", "databricks_schema"}
