"""Stacks for the plan's tests, written by hand in the shape synth produces (resource bodies with their
`//` metadata), a seeded emulator they are applied to, and a way to run the plan on a changed stack."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from servingstack.client.redact import Redactor
from servingstack.deploy.apply import apply_stack
from servingstack.deploy.state import ApplyState
from servingstack.emulator import Emulator
from servingstack.facts.stackfile import load_stack
from servingstack.plan.results import PlanReport
from servingstack.plan.runner import run_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "check"))
from check_support import schema_errors  # noqa: E402  (the checker's JSON Schema subset, shared)

__all__ = ["schema_errors"]

TOKEN = "plan-Secret-Token-8c2e4f6a"
DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"

FRAUD: dict[str, Any] = {
    "name": "demo-fraud",
    "config": {
        "served_entities": [
            {"name": "v3", "entity_name": "ml.fraud.scorer", "entity_version": "3", "workload_size": "Small"},
            {"name": "v4", "entity_name": "ml.fraud.scorer", "entity_version": "4", "workload_size": "Small"},
        ],
        "traffic_config": {
            "routes": [
                {"served_model_name": "v3", "traffic_percentage": 90},
                {"served_model_name": "v4", "traffic_percentage": 10},
            ]
        },
    },
    "ai_gateway": {
        "usage_tracking_config": {"enabled": True},
        "rate_limits": [{"key": "endpoint", "calls": 600, "renewal_period": "minute"}],
        "inference_table_config": {"enabled": True, "catalog_name": "ml", "schema_name": "fraud_serving"},
    },
    "tags": [{"key": "team", "value": "ml"}],
    "description": "Fraud scoring",
    "timeouts": {"create": "60m", "update": "60m"},
    "//": {"metadata": {"path": "demo/fraud/Default"}},
}
CHAT: dict[str, Any] = {
    "name": "demo-chat",
    "config": {
        "served_entities": [
            {
                "name": "gpt-4o",
                "external_model": {
                    "name": "gpt-4o",
                    "provider": "openai",
                    "task": "llm/v1/chat",
                    "openai_config": {"openai_api_key": "{{secrets/llm-keys/openai}}"},
                },
            }
        ]
    },
    "description": "Support chat",
    "//": {"metadata": {"path": "demo/chat/Default"}},
}
SEARCH: dict[str, Any] = {
    "name": "demo-search",
    "config": {
        "served_entities": [
            {"name": "v1", "entity_name": "ml.search.ranker", "entity_version": "1", "workload_size": "Small"}
        ]
    },
    "//": {"metadata": {"path": "demo/search/Default"}},
}
FRAUD_GRANTS = [
    {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
    {"group_name": "ml-platform", "permission_level": "CAN_MANAGE"},
]
SEED = {
    "groups": ["data-scientists", "ml-platform", "interns", "fraud-analysts-old"],
    "users": ["alice@example.com"],
    "service_principals": [{"application_id": DEPLOYER, "display_name": "ci-deployer"}],
    "catalogs": ["ml"],
    "schemas": ["ml.fraud_serving"],
    "models": {
        "ml.fraud.scorer": {"3": "READY", "4": "READY", "5": "PENDING_REGISTRATION", "6": "READY"},
        "ml.search.ranker": [1, 2],
    },
    "registry_models": {"ads-model": {"1": "READY", "2": "FAILED_REGISTRATION"}},
    "secrets": {"llm-keys": ["openai"]},
}


def document(
    endpoints: dict[str, dict[str, Any]] | None = None,
    permissions: dict[str, list[dict[str, str]]] | None = None,
    **resources: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """A stack document: endpoints by logical id, permissions by endpoint logical id, other resource
    types by their Terraform type name."""
    body: dict[str, Any] = {"databricks_model_serving": copy.deepcopy(endpoints or {})}
    if permissions:
        body["databricks_permissions"] = {
            f"{logical_id}_Permissions_0000": {
                "serving_endpoint_id": f"${{databricks_model_serving.{logical_id}.serving_endpoint_id}}",
                "access_control": copy.deepcopy(grants),
            }
            for logical_id, grants in permissions.items()
        }
    for resource_type, entries in resources.items():
        body[resource_type] = copy.deepcopy(entries)
    return {"resource": {k: v for k, v in body.items() if v}}


def baseline() -> dict[str, Any]:
    return document(
        {"fraud": FRAUD, "chat": CHAT, "search": SEARCH},
        {"fraud": FRAUD_GRANTS},
        databricks_secret_scope={"llm-keys": {"name": "llm-keys"}},
        databricks_secret_acl={
            "llm-keys_acl-ml-platform": {"scope": "llm-keys", "principal": "ml-platform", "permission": "READ"}
        },
        databricks_grant={
            "grant-schema": {"schema": "ml.fraud_serving", "principal": DEPLOYER, "privileges": ["USE_SCHEMA"]}
        },
    )


def write_stack(root: Path, doc: dict[str, Any], name: str = "demo") -> Path:
    directory = root / "cdktf.out" / "stacks" / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cdk.tf.json").write_text(json.dumps(doc, indent=2))
    return directory


def state_file(root: Path) -> Path:
    return root / "servingstack-emulator.demo.json"


def deploy(emu: Emulator, root: Path, doc: dict[str, Any], seed: dict[str, Any] | None = None) -> Path:
    """Seed the workspace, then apply `doc` as `emulator apply` does (its state file beside cdktf.out).
    As a team would: the stack's secret scopes are applied first, then the seed's secrets are put in
    them (an apply never takes over a scope it did not create), then the whole stack."""
    seed = seed if seed is not None else SEED
    emu.add_objects({key: value for key, value in seed.items() if key != "secrets"})
    scopes = (doc.get("resource") or {}).get("databricks_secret_scope")
    if scopes:
        _apply(emu, root, {"resource": {"databricks_secret_scope": scopes}})
    emu.add_objects({"secrets": seed.get("secrets") or {}})
    return _apply(emu, root, doc)


def _apply(emu: Emulator, root: Path, doc: dict[str, Any]) -> Path:
    directory = write_stack(root, doc)
    with ApplyState(state_file(root), emu.url) as state:
        result = apply_stack(
            load_stack(directory), emu.client(retry_timeout_seconds=30), wait=True, echo=lambda _: None, state=state
        )
        state.save()
    assert not result.failed, result.lines()
    return directory


def plan(emu: Emulator, root: Path, doc: dict[str, Any], **options: Any) -> PlanReport:
    """The plan of `doc` (written over the applied stack) against the emulator."""
    directory = write_stack(root, doc)
    options.setdefault("timeout", 30)
    return run_plan(directory, host=emu.url, token=TOKEN, redactor=Redactor(), **options)


def change(report: PlanReport, address: str):
    return next(c for c in report.changes if c.address == address)


def texts(report: PlanReport, address: str) -> list[str]:
    return [f.text for f in change(report, address).fields]


def codes(report: PlanReport, severity: str | None = None) -> list[str]:
    return sorted(f.code for f in report.findings if severity is None or f.severity == severity)


def finding(report: PlanReport, code: str, subject: str | None = None):
    return next(f for f in report.findings if f.code == code and (subject is None or f.subject == subject))
