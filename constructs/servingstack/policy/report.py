"""The findings report written next to each synthesized stack, and the text users read.

`cdktf.out/stacks/<stack>/policy-findings.json` (written whether the policy passes or not):

```
{
  "report": "servingstack-policy", "version": 1,
  "stack": "prod", "environment": "prod", "packs": ["production"],
  "passed": true,                      # false when an error finding is not suppressed
  "summary": {"endpoints": 5, "errors": 0, "warnings": 0, "suppressed": 1},
  "rules": [{"id": "SS1", "title": "...", "severity": "error", "options": {}}, ...],
  "findings": [{"rule": "SS3", "title": "...", "severity": "error", "status": "suppressed",
                "path": "prod/embeddings", "endpoint": "prod-embeddings",
                "field": "ai_gateway.inference_table_config.enabled", "message": "...",
                "why": "...", "fix": "...",
                "declared_at": {"file": "main.py", "line": 42},                  # null when unknown
                "suppression": {"scope": "prod/embeddings", "reason": "..."}}],   # null unless suppressed
  "suppressions": [{"rule": "SS3", "scope": "prod/embeddings", "reason": "...", "matched": 1}]
}
```
`status` is `error`, `warning` or `suppressed`. Findings are in declaration order of the
endpoints, then rule order. No value of a secret appears anywhere in it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from servingstack.policy.errors import PolicyError
from servingstack.policy.findings import Finding, PolicyResult
from servingstack.policy.suppressions import Suppression

REPORT_FILE = "policy-findings.json"
REPORT_KIND = "servingstack-policy"
REPORT_VERSION = 1


def report_document(result: PolicyResult) -> dict[str, Any]:
    return {
        "report": REPORT_KIND,
        "version": REPORT_VERSION,
        "stack": result.stack,
        "environment": result.environment,
        "packs": list(result.packs),
        "passed": result.passed,
        "summary": {
            "endpoints": len(result.endpoints),
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "suppressed": len(result.suppressed),
        },
        "rules": [
            {
                "id": r.id,
                "title": r.title,
                "severity": r.severity.value,
                "options": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(r.options.items())},
            }
            for r in result.rules
        ],
        "findings": [_finding(f) for f in result.findings],
        "suppressions": [_suppression(s, result.matches(s)) for s in result.suppressions],
    }


def write_report(result: PolicyResult, stack_directory: str | Path) -> Path:
    directory = Path(stack_directory)
    directory.mkdir(parents=True, exist_ok=True)
    file = directory / REPORT_FILE
    file.write_text(json.dumps(report_document(result), indent=2) + "\n", encoding="utf-8")
    return file


def _finding(finding: Finding) -> dict[str, Any]:
    status = "suppressed" if finding.suppression else finding.severity.value
    return {
        "rule": finding.rule.id,
        "title": finding.rule.title,
        "severity": finding.severity.value,
        "status": status,
        "path": finding.path,
        "endpoint": finding.endpoint,
        "field": finding.field,
        "message": finding.message,
        "why": finding.rule.why,
        "fix": finding.rule.fix,
        "suppression": (
            {"scope": finding.suppression.scope, "reason": finding.suppression.reason} if finding.suppression else None
        ),
        "declared_at": (
            {"file": finding.declared_at.file, "line": finding.declared_at.line} if finding.declared_at else None
        ),
    }


def _suppression(suppression: Suppression, matched: int) -> dict[str, Any]:
    return {"rule": suppression.rule_id, "scope": suppression.scope, "reason": suppression.reason, "matched": matched}


# ---- text for people -----------------------------------------------------------------------


def format_finding(finding: Finding) -> str:
    """Which rule, where, what, and how to fix it: enough to act on without the docs."""
    text = (
        f"{finding.headline()}\n    rule: {finding.rule.title} ({finding.severity.value})\n    fix:  {finding.rule.fix}"
    )
    if finding.declared_at:
        text += f"\n    at:   {finding.declared_at}"
    return text


def format_failure(findings: Sequence[Finding]) -> str:
    count = len(findings)
    lines = [f"policy: {count} finding{'s' if count != 1 else ''} fail{'s' if count == 1 else ''} the synth"]
    lines += ["  " + format_finding(f).replace("\n", "\n  ") for f in findings]
    lines.append('Fix each one, or suppress it with a reason: suppress(construct, "<rule id>", reason="...").')
    return "\n".join(lines)


def format_warning(finding: Finding) -> str:
    return f"warning: policy {format_finding(finding)}"


def annotation(finding: Finding) -> str:
    """The one-line form carried by the construct's annotation (cdktf prefixes the path)."""
    field = f" [{finding.field}]" if finding.field else ""
    if finding.suppression:
        return f"{finding.rule.id} suppressed{field}: {finding.suppression.reason}"
    return f"{finding.rule.id}{field}: {finding.message}. {finding.rule.title}. Fix: {finding.rule.fix}"


class PolicyFailed(PolicyError):
    """Error findings that no suppression covers: the synth must not go on.

    The message lists every one of them (rule id, construct path, field, message, how to fix),
    across every stack, so a user fixes them in one pass.
    """

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        super().__init__(format_failure(self.findings))
