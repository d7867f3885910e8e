"""The JSON report of a plan (`--json FILE`): `PlanReport.to_dict()`, described by `SCHEMA` (JSON
Schema, draft 2020-12). In short:

    {
      "schema_version": 1, "stack": "prod", "stack_dir": "cdktf.out/stacks/prod", "host": "https://...",
      "started_at": "2025-01-01T12:00:00+00:00", "seconds": 1.4, "timeout_seconds": 120,
      "status": "ok" | "problems" | "interrupted", "interrupted": false,
      "ownership": {"kind": "terraform" | "emulator" | "none", "source": "terraform.prod.tfstate" | null,
                    "detail": "..."},
      "counts": {"create": 1, "update": 2, "replace": 0, "delete": 0, "unchanged": 9},
      "severities": {"error": 3, "warning": 4, "note": 1}, "changes_present": true,
      "reads": {"calls": 57, "seconds": 0.4},
      "changes": [{
        "address": "databricks_model_serving.fraud", "resource_type": "databricks_model_serving",
        "name": "prod-fraud-scoring", "action": "create" | "update" | "replace" | "delete" | "unchanged",
        "fields": [{"field": "traffic[v4]", "before": 10, "after": 50, "text": "traffic v4: 10% → 50%",
                    "how": "config" | "tags" | "ai_gateway" | "replace" | "not_applied" | "access_control" | ...}],
        "effects": ["PUT /api/2.0/serving-endpoints/prod-fraud-scoring/config: a zero-downtime config update ..."],
        "notes": ["..."], "owned": true | false | null, "construct_path": "prod/fraud" | null,
        "traffic": [{"entity": "v4", "model": "ml.fraud.scorer 4", "before": 10 | null, "after": 50 | null,
                     "changed": false}]
      }],
      "findings": [{"category": "preflight" | "takeaway" | "not_applied" | "read",
                    "severity": "error" | "warning" | "note", "code": "model_version_missing",
                    "address": "databricks_model_serving.fraud", "subject": "ml.fraud.scorer 5",
                    "message": "...", "fix": "..." | null}]
    }

`before` is what runs, `after` what the stack declares. Every string passes through the run's redactor
on the way out; no secret value is ever read, so none can be in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from servingstack.client.redact import Redactor
from servingstack.client.reports import write_text
from servingstack.plan.results import ACTIONS, CATEGORIES, PlanReport

_STRING_OR_NULL = {"type": ["string", "null"]}
_PERCENT_OR_NULL = {"type": ["integer", "null"]}
_FIELD = {
    "type": "object",
    "required": ["field", "before", "after", "text", "how"],
    "additionalProperties": False,
    "properties": {
        "field": {"type": "string"},
        "before": {},
        "after": {},
        "text": {"type": "string"},
        "how": {"type": "string"},
    },
}
_TRAFFIC = {
    "type": "object",
    "required": ["entity", "model", "before", "after", "changed"],
    "additionalProperties": False,
    "properties": {
        "entity": {"type": "string"},
        "model": {"type": "string"},
        "before": _PERCENT_OR_NULL,
        "after": _PERCENT_OR_NULL,
        "changed": {"type": "boolean"},
    },
}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_CHANGE = {
    "type": "object",
    "required": [
        "address",
        "resource_type",
        "name",
        "action",
        "fields",
        "effects",
        "notes",
        "owned",
        "construct_path",
        "traffic",
    ],
    "additionalProperties": False,
    "properties": {
        "address": {"type": "string"},
        "resource_type": {"type": "string"},
        "name": {"type": "string"},
        "action": {"enum": list(ACTIONS)},
        "fields": {"type": "array", "items": _FIELD},
        "effects": _STRINGS,
        "notes": _STRINGS,
        "owned": {"type": ["boolean", "null"]},
        "construct_path": _STRING_OR_NULL,
        "traffic": {"type": "array", "items": _TRAFFIC},
    },
}
_FINDING = {
    "type": "object",
    "required": ["category", "severity", "code", "address", "subject", "message", "fix"],
    "additionalProperties": False,
    "properties": {
        "category": {"enum": list(CATEGORIES)},
        "severity": {"enum": ["error", "warning", "note"]},
        "code": {"type": "string"},
        "address": {"type": "string"},
        "subject": {"type": "string"},
        "message": {"type": "string"},
        "fix": _STRING_OR_NULL,
    },
}


def _counts(keys: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": keys,
        "additionalProperties": False,
        "properties": {k: {"type": "integer", "minimum": 0} for k in keys},
    }


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "servingstack plan report",
    "type": "object",
    "required": [
        "schema_version",
        "stack",
        "stack_dir",
        "host",
        "started_at",
        "seconds",
        "timeout_seconds",
        "status",
        "interrupted",
        "ownership",
        "counts",
        "severities",
        "changes_present",
        "reads",
        "changes",
        "findings",
    ],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": 1},
        "stack": {"type": "string"},
        "stack_dir": {"type": "string"},
        "host": _STRING_OR_NULL,
        "started_at": {"type": "string"},
        "seconds": {"type": "number", "minimum": 0},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0},
        "status": {"enum": ["ok", "problems", "interrupted"]},
        "interrupted": {"type": "boolean"},
        "ownership": {
            "type": "object",
            "required": ["kind", "source", "detail"],
            "additionalProperties": False,
            "properties": {
                "kind": {"enum": ["terraform", "emulator", "none"]},
                "source": _STRING_OR_NULL,
                "detail": {"type": "string"},
            },
        },
        "counts": _counts(list(ACTIONS)),
        "severities": _counts(["error", "warning", "note"]),
        "changes_present": {"type": "boolean"},
        "reads": {
            "type": "object",
            "required": ["calls", "seconds"],
            "additionalProperties": False,
            "properties": {"calls": {"type": "integer", "minimum": 0}, "seconds": {"type": "number", "minimum": 0}},
        },
        "changes": {"type": "array", "items": _CHANGE},
        "findings": {"type": "array", "items": _FINDING},
    },
}


def render(report: PlanReport, redactor: Redactor | None = None) -> str:
    document = report.to_dict()
    if redactor is not None:
        document = redactor.clean_value(document)
    return json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n"


def write(report: PlanReport, path: Path, redactor: Redactor) -> None:
    write_text(path, render(report, redactor))
