"""Every program in examples/ is a complete app that synthesizes (its policy pack passing), and makes what
it says it makes: the resources of each stack, named, with their grants and workspace. An example file
this test does not describe fails it, so none goes unchecked."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"


def describe(kind: str, resource: dict[str, Any]) -> str:
    """One resource as a short plain string: its name, or what it grants to whom."""
    if kind == "databricks_grant":
        securable = next(k for k in ("catalog", "schema", "model") if k in resource)
        return f"{securable} {resource[securable]}: {resource['principal']} {','.join(resource['privileges'])}"
    if kind == "databricks_permissions":
        target = resource["serving_endpoint_id"].split(".")[1]
        entries = sorted(
            f"{e.get('group_name') or e.get('user_name') or e.get('service_principal_name')} {e['permission_level']}"
            for e in resource["access_control"]
        )
        return f"{target}: {'; '.join(entries)}"
    if kind == "databricks_secret_acl":
        return f"{resource['scope']}: {resource['principal']} {resource['permission']}"
    return resource["name"]


# {example file: {stack: {resource type: {described resource}}, and the stack's "host"}}
EXPECTED: dict[str, dict[str, dict[str, Any]]] = {
    "foundation_model.py": {
        "dev": {
            "databricks_model_serving": {"dev-assistant"},
            "databricks_permissions": {"assistant: data-scientists CAN_QUERY; ml-platform CAN_MANAGE"},
        }
    },
    "provisioned_throughput.py": {
        "prod": {
            "databricks_model_serving": {"prod-summarizer"},
            "databricks_model_serving_provisioned_throughput": {"prod-maverick"},
            "databricks_permissions": {"maverick: data-scientists CAN_QUERY"},
        }
    },
    "custom_model.py": {
        "prod": {
            "databricks_model_serving": {"prod-fraud-scoring"},
            "databricks_permissions": {"fraud: 6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10 CAN_QUERY"},
            "databricks_grant": {
                f"catalog ml: {DEPLOYER} USE_CATALOG",
                f"schema ml.fraud: {DEPLOYER} USE_SCHEMA",
                f"model ml.fraud.scorer: {DEPLOYER} EXECUTE",
                f"schema ml.fraud_serving: {DEPLOYER} CREATE_TABLE,USE_SCHEMA",
            },
        }
    },
    "external_model.py": {
        "dev": {
            "databricks_model_serving": {"dev-llm-gateway"},
            "databricks_secret_scope": {"dev-llm-keys"},
            "databricks_secret_acl": {"dev-llm-keys: ml-platform MANAGE"},
            "databricks_app": {"dev-support-bot"},
            "databricks_permissions": {
                "gateway: ${databricks_app.bot.service_principal_client_id} CAN_QUERY; data-scientists CAN_QUERY"
            },
        }
    },
    "multi_workspace.py": {
        "staging": {
            "host": "https://staging.cloud.databricks.com",
            "databricks_model_serving": {"staging-assistant"},
        },
        "prod": {"host": "https://prod.cloud.databricks.com", "databricks_model_serving": {"prod-assistant"}},
    },
    "rollout.py": {"canary": {"databricks_model_serving": {"demo-fraud-scoring", "demo-recommender"}}},
}


def test_every_example_is_described_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_example_synthesizes_what_it_says(name, tmp_path):
    from servingstack import synthesize

    build = runpy.run_path(str(EXAMPLES / name), run_name="example")["build"]
    assert synthesize(build, tmp_path / "out") == 0
    stacks = {p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "out").glob("stacks/*/cdk.tf.json")}
    assert set(stacks) == set(EXPECTED[name])
    for stack, expected in EXPECTED[name].items():
        doc = stacks[stack]
        made = {kind: {describe(kind, r) for r in resources.values()} for kind, resources in doc["resource"].items()}
        assert made == {kind: value for kind, value in expected.items() if kind != "host"}, stack
        assert doc["provider"]["databricks"][0].get("host") == expected.get("host"), stack
