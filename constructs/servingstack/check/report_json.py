"""The JSON report (`--json FILE`): `CheckReport.to_dict()`, described by `SCHEMA` (JSON Schema,
draft 2020-12). In short:

    {
      "schema_version": 1,
      "stack": "prod", "stack_dir": "cdktf.out/stacks/prod", "host": "https://...",
      "started_at": "2025-01-01T12:00:00+00:00", "seconds": 41.2, "timeout_seconds": 1200,
      "status": "pass" | "fail" | "interrupted", "interrupted": false,
      "counts": {"pass": 3, "fail": 1, "pending": 0},
      "endpoints": [{
        "name": "prod-chat", "logical_id": "serving_chat_Default_1A2B3C",
        "status": "pass" | "fail" | "pending",
        "steps": {"ready" | "drift" | "query" | "entities" | "expectations" | "permissions":
                  {"status": "pass" | "fail" | "skip" | "pending", "message": "...", "details": ["..."],
                   "seconds": 1.2 | null}},
        "differences": [{"field": "traffic[v2]", "declared": 10, "live": 50, "severity": "drift" | "note"}],
        "query": null | {"task": "llm/v1/chat" | null,
                         "request_source": "built-in" | "sample_request" | "openapi" | null, "sent": 1,
                         "succeeded": 1, "latencies_ms": [12.3], "p50_ms": 12.3, "p95_ms": 12.3,
                         "served_by": {"entity": 1}, "stream": null | <step>},
        "last_state": "READY/NOT_UPDATING, config v1" | null, "config_version": 1 | null,
        "ready_after_seconds": 3.4 | null, "warnings": ["..."],
        "entities": [{"name": "v4", "traffic_percent": 10 | null, "status": "pass" | "fail" | "skip",
                      "message": "...", "details": ["..."], "latency_ms": 3.1 | null, "shape": "ok" | "..." | null,
                      "served_by": "v4" | null}],
        "expectations": [{"name": "scores one row", "entity": "v4", "status": "pass" | "fail" | "skip",
                          "message": "...", "details": ["p95 <= 250 ms: expected p95 <= 250 ms; got 300 ms ..."],
                          "queries": 5, "p50_ms": 3.0 | null, "p95_ms": 4.2 | null, "seconds": 0.1 | null}],
        "permissions": [{"principal": "group_name:interns", "declared": null | "CAN_QUERY", "live": "CAN_VIEW" | null,
                         "verdict": "will_be_removed" | "missing" | "level_differs", "severity": "warning" | "error"}]
      }],
      "apps": [{
        "name": "prod-support-bot", "logical_id": "support-bot", "status": "pass" | "fail" | "pending",
        "steps": {"running" | "drift" | "grants": <step>},
        "service_principal": "<application id>" | null, "compute_state": "ACTIVE" | null,
        "app_state": "RUNNING" | null, "url": "https://..." | null, "running_after_seconds": 0.4 | null,
        "differences": [<difference>],
        "endpoints": [{"endpoint": "prod-llm-gateway", "declared": "CAN_QUERY", "live": "CAN_QUERY" | null,
                       "verdict": "granted" | "missing" | "too_weak" | "no_endpoint"}],
        "warnings": ["..."]
      }]
    }

`apps` came after the first version of the schema: a report without it is still version 1.

The token is never in it: every string passes through the run's redactor on the way out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from servingstack.check.results import CheckReport
from servingstack.client.redact import Redactor
from servingstack.client.reports import write_text

_STATUS = {"enum": ["pass", "fail", "skip", "pending"]}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STEP = {
    "type": "object",
    "required": ["status", "message", "details", "seconds"],
    "additionalProperties": False,
    "properties": {
        "status": _STATUS,
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "string"}},
        "seconds": _NUMBER_OR_NULL,
    },
}
_DIFFERENCE = {
    "type": "object",
    "required": ["field", "declared", "live", "severity"],
    "additionalProperties": False,
    "properties": {
        "field": {"type": "string"},
        "declared": {},
        "live": {},
        "severity": {"enum": ["drift", "note"]},
    },
}
_QUERY = {
    "type": ["object", "null"],
    "required": [
        "task",
        "request_source",
        "sent",
        "succeeded",
        "latencies_ms",
        "p50_ms",
        "p95_ms",
        "served_by",
        "stream",
    ],
    "additionalProperties": False,
    "properties": {
        "task": {"type": ["string", "null"]},
        "request_source": {"enum": ["built-in", "sample_request", "openapi", None]},
        "sent": {"type": "integer", "minimum": 0},
        "succeeded": {"type": "integer", "minimum": 0},
        "latencies_ms": {"type": "array", "items": {"type": "number"}},
        "p50_ms": _NUMBER_OR_NULL,
        "p95_ms": _NUMBER_OR_NULL,
        "served_by": {"type": "object", "additionalProperties": {"type": "integer"}},
        "stream": {"anyOf": [{"type": "null"}, _STEP]},
    },
}
_STRING_OR_NULL = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_ENTITY = {
    "type": "object",
    "required": ["name", "traffic_percent", "status", "message", "details", "latency_ms", "shape", "served_by"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "traffic_percent": {"type": ["integer", "null"]},
        "status": _STATUS,
        "message": {"type": "string"},
        "details": _STRINGS,
        "latency_ms": _NUMBER_OR_NULL,
        "shape": _STRING_OR_NULL,
        "served_by": _STRING_OR_NULL,
    },
}
_EXPECTATION = {
    "type": "object",
    "required": ["name", "entity", "status", "message", "details", "queries", "p50_ms", "p95_ms", "seconds"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "entity": {"type": "string"},
        "status": _STATUS,
        "message": {"type": "string"},
        "details": _STRINGS,
        "queries": {"type": "integer", "minimum": 0},
        "p50_ms": _NUMBER_OR_NULL,
        "p95_ms": _NUMBER_OR_NULL,
        "seconds": _NUMBER_OR_NULL,
    },
}
_PERMISSION = {
    "type": "object",
    "required": ["principal", "declared", "live", "verdict", "severity"],
    "additionalProperties": False,
    "properties": {
        "principal": {"type": "string"},
        "declared": _STRING_OR_NULL,
        "live": _STRING_OR_NULL,
        "verdict": {"enum": ["will_be_removed", "missing", "level_differs"]},
        "severity": {"enum": ["warning", "error"]},
    },
}
_STEP_NAMES = ["ready", "drift", "query", "entities", "expectations", "permissions"]
_APP_STEP_NAMES = ["running", "drift", "grants"]
_APP = {
    "type": "object",
    "required": [
        "name",
        "logical_id",
        "status",
        "steps",
        "service_principal",
        "compute_state",
        "app_state",
        "url",
        "running_after_seconds",
        "differences",
        "endpoints",
        "warnings",
    ],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "logical_id": {"type": "string"},
        "status": {"enum": ["pass", "fail", "pending"]},
        "steps": {
            "type": "object",
            "required": _APP_STEP_NAMES,
            "additionalProperties": False,
            "properties": {name: _STEP for name in _APP_STEP_NAMES},
        },
        "service_principal": _STRING_OR_NULL,
        "compute_state": _STRING_OR_NULL,
        "app_state": _STRING_OR_NULL,
        "url": _STRING_OR_NULL,
        "running_after_seconds": _NUMBER_OR_NULL,
        "differences": {"type": "array", "items": _DIFFERENCE},
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["endpoint", "declared", "live", "verdict"],
                "additionalProperties": False,
                "properties": {
                    "endpoint": {"type": "string"},
                    "declared": {"type": "string"},
                    "live": _STRING_OR_NULL,
                    "verdict": {"enum": ["granted", "missing", "too_weak", "no_endpoint"]},
                },
            },
        },
        "warnings": _STRINGS,
    },
}
_ENDPOINT = {
    "type": "object",
    "required": [
        "name",
        "logical_id",
        "status",
        "steps",
        "differences",
        "query",
        "last_state",
        "config_version",
        "ready_after_seconds",
        "warnings",
        "entities",
        "expectations",
        "permissions",
    ],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "logical_id": {"type": "string"},
        "status": {"enum": ["pass", "fail", "pending"]},
        "steps": {
            "type": "object",
            "required": _STEP_NAMES,
            "additionalProperties": False,
            "properties": {name: _STEP for name in _STEP_NAMES},
        },
        "differences": {"type": "array", "items": _DIFFERENCE},
        "query": _QUERY,
        "last_state": {"type": ["string", "null"]},
        "config_version": {"type": ["integer", "null"]},
        "ready_after_seconds": _NUMBER_OR_NULL,
        "warnings": {"type": "array", "items": {"type": "string"}},
        "entities": {"type": "array", "items": _ENTITY},
        "expectations": {"type": "array", "items": _EXPECTATION},
        "permissions": {"type": "array", "items": _PERMISSION},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "servingstack check report",
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
        "counts",
        "endpoints",
    ],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": 1},
        "stack": {"type": "string"},
        "stack_dir": {"type": "string"},
        "host": {"type": ["string", "null"]},
        "started_at": {"type": "string"},
        "seconds": {"type": "number", "minimum": 0},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0},
        "status": {"enum": ["pass", "fail", "interrupted"]},
        "interrupted": {"type": "boolean"},
        "counts": {
            "type": "object",
            "required": ["pass", "fail", "pending"],
            "additionalProperties": False,
            "properties": {k: {"type": "integer", "minimum": 0} for k in ("pass", "fail", "pending")},
        },
        "endpoints": {"type": "array", "items": _ENDPOINT},
        "apps": {"type": "array", "items": _APP},
    },
}


def render(report: CheckReport, redactor: Redactor | None = None) -> str:
    document = report.to_dict()
    if redactor is not None:
        document = redactor.clean_value(document)
    return json.dumps(document, indent=2, default=str) + "\n"


def write(report: CheckReport, path: str | Path, redactor: Redactor | None = None) -> None:
    write_text(path, render(report, redactor))
