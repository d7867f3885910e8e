"""The synth's warnings in one place, and the app's policy results even when the synth fails.

`synthesize()` writes `servingstack-synth.json` beside the output directory after every attempt
that built the app (where cdktf keeps `terraform.<stack>.tfstate` and `emulator apply` its state):

```
{
  "report": "servingstack-synth", "version": 1,
  "outdir": "cdktf.out", "status": "ok",         # "ok", "policy-failed" or "failed"
  "stacks": [<each stack's policy-findings.json document>],
  "warnings": [{"kind": "policy", "rule": "SS8", "stack": "dev", "path": "dev/chat", "field": "...",
                "message": "...", "declared_at": {"file": "main.py", "line": 12}},
               {"kind": "suppression", "rule": "SS22", "stack": "dev", "scope": "dev", "message": "..."},
               {"kind": "python", "category": "DeprecationWarning", "message": "...",
                "declared_at": {"file": "main.py", "line": 30}}]
}
```
A policy that fails the synth leaves `cdktf.out` as it was, and its findings here, for CI to show
(`servingstack policy` turns this file into SARIF and Markdown). The warnings are printed once, at
the end of the synth, with one line that counts them.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from servingstack.cdk.base import relative_file
from servingstack.policy.findings import PolicyResult
from servingstack.policy.report import format_warning, report_document

SYNTH_REPORT_FILE = "servingstack-synth.json"
SYNTH_REPORT_KIND = "servingstack-synth"


def synth_report_path(outdir: str | os.PathLike[str]) -> Path:
    """Where the synth report of output directory `outdir` is: beside it."""
    return Path(outdir).resolve().parent / SYNTH_REPORT_FILE


def warning_entries(results: list[PolicyResult], caught: list[warnings.WarningMessage]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for result in results:
        for finding in result.warnings:
            entries.append(
                {
                    "kind": "policy",
                    "rule": finding.rule.id,
                    "stack": result.stack,
                    "path": finding.path,
                    "field": finding.field,
                    "message": finding.message,
                    "text": format_warning(finding),
                    "declared_at": _location(finding.declared_at.file, finding.declared_at.line)
                    if finding.declared_at
                    else None,
                }
            )
        for suppression in result.unknown_suppressions():
            entries.append(
                {
                    "kind": "suppression",
                    "rule": suppression.rule_id,
                    "stack": result.stack,
                    "scope": suppression.scope,
                    "message": f"a suppression names {suppression.rule_id}, which no applied pack has",
                    "text": f"warning: policy: {suppression.scope}: a suppression names {suppression.rule_id}, "
                    "which no applied pack has",
                }
            )
    for caught_warning in caught:
        where = _location(relative_file(caught_warning.filename), caught_warning.lineno)
        entries.append(
            {
                "kind": "python",
                "category": caught_warning.category.__name__,
                "message": str(caught_warning.message),
                "text": f"warning: {caught_warning.category.__name__}: {caught_warning.message} "
                f"({where['file']}:{where['line']})",
                "declared_at": where,
            }
        )
    return entries


def write_synth_report(
    outdir: Path, status: str, results: list[PolicyResult], entries: list[dict[str, Any]]
) -> Path | None:
    """Write the report beside `outdir`; None (and no error) when that directory cannot be written."""
    document = {
        "report": SYNTH_REPORT_KIND,
        "version": 1,
        "outdir": relative_file(str(outdir)),
        "status": status,
        "stacks": [report_document(result) for result in results],
        "warnings": [{k: v for k, v in entry.items() if k != "text"} for entry in entries],
    }
    path = synth_report_path(outdir)
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError:
        return None
    return path


def print_warnings(entries: list[dict[str, Any]], report: Path | None, stream: TextIO) -> None:
    """Every warning of the synth, then one line that counts them by kind."""
    if not entries:
        return
    for entry in entries:
        print(entry["text"], file=stream)
    kinds = Counter(entry["kind"] for entry in entries)
    counts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    where = f"; all of them in {relative_file(str(report))}" if report else ""
    plural = "s" if len(entries) != 1 else ""
    print(f"synth: {len(entries)} warning{plural} ({counts}){where}", file=stream)


def _location(file: str, line: int) -> dict[str, Any]:
    return {"file": file, "line": line}
