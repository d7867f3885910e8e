"""Policy findings as SARIF 2.1.0, the format code scanning reads (GitHub shows them on the pull request).

One run of one tool (`servingstack-policy`) for the whole app: every stack's findings, each with its
rule id and severity, the construct path (a logical location) and the file and line where the app
declared the endpoint (the physical location). Built from the report documents (`report.py`,
`servingstack-synth.json`), so it needs neither Node nor the app.

What GitHub reads of SARIF, and requires: docs "SARIF support for code scanning"
(github/docs content/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning.md):
`version` 2.1.0, `runs[].tool.driver.name` and `rules[]` (`id`, `shortDescription`, `fullDescription`,
`help`), results with `message.text` and at least one location (`artifactLocation.uri` relative to the
repository root, `region.startLine`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "servingstack-policy"
# Where a finding points when the app's line is unknown: every CDKTF project has this file at its root.
FALLBACK_FILE = "cdktf.json"
# `defaultConfiguration.level` / `result.level`: "none", "note", "warning", "error" (SARIF 2.1.0 §3.27.10).
_LEVELS = {"error": "error", "warning": "warning"}


def sarif_log(
    stacks: Sequence[Mapping[str, Any]],
    *,
    version: str,
    warnings: Iterable[Mapping[str, Any]] = (),
    synth_status: str = "ok",
) -> dict[str, Any]:
    """The SARIF log of `stacks` (policy-findings.json documents). `warnings` (the synth report's)
    become the run's tool notifications; `synth_status` other than "ok" marks the run unsuccessful."""
    rules: dict[str, dict[str, Any]] = {}
    for stack in stacks:
        for rule in stack.get("rules", []):
            rules.setdefault(rule["id"], dict(rule))
        for finding in stack.get("findings", []):  # a finding's why and fix complete its rule
            entry = rules.setdefault(
                finding["rule"], {"id": finding["rule"], "title": finding["title"], "severity": finding["severity"]}
            )
            entry.setdefault("why", finding.get("why"))
            entry.setdefault("fix", finding.get("fix"))
    order = list(rules)
    results = [
        _result(stack, finding, order.index(finding["rule"]))
        for stack in stacks
        for finding in stack.get("findings", [])
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": version,
                        "semanticVersion": version,
                        "rules": [_rule(rules[rule_id]) for rule_id in order],
                    }
                },
                "automationDetails": {"id": f"{TOOL_NAME}/"},
                "invocations": [
                    {
                        "executionSuccessful": synth_status in ("ok", "policy-failed"),
                        "toolExecutionNotifications": [_notification(w) for w in warnings if w.get("kind") != "policy"],
                    }
                ],
                "results": results,
            }
        ],
    }


def _rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    title = rule.get("title") or rule["id"]
    why = rule.get("why") or title
    fix = rule.get("fix") or ""
    help_text = f"{why}\n\nFix: {fix}" if fix else why
    return {
        "id": rule["id"],
        "name": "".join(word[:1].upper() + word[1:] for word in title.split() if word.isalnum()) or rule["id"],
        "shortDescription": {"text": title[:1024]},
        "fullDescription": {"text": why[:1024]},
        "help": {"text": help_text, "markdown": f"{why}\n\n**Fix:** {fix}" if fix else why},
        "defaultConfiguration": {"level": _LEVELS.get(rule.get("severity", "warning"), "warning")},
        "properties": {"tags": ["servingstack", "policy"], "precision": "very-high"},
    }


def _result(stack: Mapping[str, Any], finding: Mapping[str, Any], index: int) -> dict[str, Any]:
    where = finding.get("declared_at") or {"file": FALLBACK_FILE, "line": 1}
    field = f" ({finding['field']})" if finding.get("field") else ""
    result: dict[str, Any] = {
        "ruleId": finding["rule"],
        "ruleIndex": index,
        "level": _LEVELS.get(finding["severity"], "warning"),
        "message": {
            "text": f"{finding['path']}: {finding['message']}{field}. {finding['title']}. Fix: {finding.get('fix', '')}"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(str(where["file"])),
                    "region": {"startLine": max(int(where["line"]), 1)},
                },
                "logicalLocations": [
                    {
                        "fullyQualifiedName": finding["path"],
                        "name": finding["path"].rsplit("/", 1)[-1],
                        "kind": "resource",
                    }
                ],
            }
        ],
        # Stable across runs and line moves: the same rule on the same construct and field.
        "partialFingerprints": {
            "servingstackFinding/v1": hashlib.sha256(
                f"{finding['rule']}|{finding['path']}|{finding.get('field', '')}".encode()
            ).hexdigest()[:32]
        },
        "properties": {
            "stack": stack.get("stack"),
            "environment": stack.get("environment"),
            "constructPath": finding["path"],
            "endpoint": finding.get("endpoint"),
            "field": finding.get("field"),
            "status": finding.get("status"),
        },
    }
    if finding.get("suppression"):
        # suppress(...) is written in the app's code (SARIF 2.1.0 §3.35.2: "inSource").
        result["suppressions"] = [{"kind": "inSource", "justification": finding["suppression"]["reason"]}]
    return result


def _notification(warning: Mapping[str, Any]) -> dict[str, Any]:
    notification: dict[str, Any] = {"level": "warning", "message": {"text": str(warning.get("message", ""))}}
    where = warning.get("declared_at")
    if where:
        notification["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(str(where["file"])),
                    "region": {"startLine": max(int(where["line"]), 1)},
                }
            }
        ]
    return notification


def _artifact(file: str) -> dict[str, Any]:
    """A repository-relative file against %SRCROOT%, an absolute one as a file URI."""
    if file.startswith("/"):
        return {"uri": "file://" + _escape(file)}
    return {"uri": _escape(file), "uriBaseId": "%SRCROOT%"}


def _escape(path: str) -> str:
    return quote(path, safe="/:@-._~")
