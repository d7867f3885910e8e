"""Policy findings as Markdown, for a pull request's job summary or comment: a table per app of its
stacks, every finding with its rule, construct path, the app's file and line, and how to fix it,
and the synth's warnings in one list. Built from the report documents, like the SARIF."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_MARK = {"error": "❌ error", "warning": "⚠️ warning", "suppressed": "🔕 suppressed"}


def policy_markdown(
    stacks: Sequence[Mapping[str, Any]], *, warnings: Iterable[Mapping[str, Any]] = (), synth_status: str = "ok"
) -> str:
    lines = ["## servingstack policy", ""]
    if synth_status == "failed":
        lines += ["The synthesis failed before every policy ran: its log says why.", ""]
    if not stacks:
        lines += ["No stack applies a policy.", ""]
    else:
        lines += [
            "| stack | packs | endpoints | errors | warnings | suppressed | result |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        for stack in stacks:
            summary = stack.get("summary", {})
            lines.append(
                f"| `{stack['stack']}` | {', '.join(stack.get('packs', [])) or '-'} | {summary.get('endpoints', 0)} "
                f"| {summary.get('errors', 0)} | {summary.get('warnings', 0)} | {summary.get('suppressed', 0)} "
                f"| {'passed' if stack.get('passed') else '**failed**'} |"
            )
        lines.append("")
        findings = [f for stack in stacks for f in stack.get("findings", [])]
        if findings:
            lines += [
                f"### Findings ({len(findings)})",
                "",
                "| | rule | construct | declared at | finding | fix |",
                "|---|---|---|---|---|---|",
            ]
            for finding in findings:
                where = finding.get("declared_at")
                at = f"`{where['file']}:{where['line']}`" if where else "-"
                status = _MARK.get(finding["status"], finding["status"])
                field = f" `{_cell(finding['field'])}`" if finding.get("field") else ""
                what = _cell(finding["message"])
                if finding.get("suppression"):
                    what += f" (suppressed: {_cell(finding['suppression']['reason'])})"
                lines.append(
                    f"| {status} | {finding['rule']} {_cell(finding['title'])} "
                    f"| `{finding['path']}`{field} | {at} "
                    f"| {what} | {_cell(finding.get('fix', ''))} |"
                )
            lines.append("")
        else:
            lines += ["No finding.", ""]
    warnings = list(warnings)
    if warnings:
        lines += [f"### Synth warnings ({len(warnings)})", ""]
        for warning in warnings:
            where = warning.get("declared_at")
            at = f" (`{where['file']}:{where['line']}`)" if where else ""
            kind = warning.get("rule") or warning.get("category") or warning.get("kind")
            scope = warning.get("path") or warning.get("scope")
            lines.append(f"- {kind}{f' `{scope}`' if scope else ''}: {_cell(str(warning.get('message', '')))}{at}")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text that stays inside one table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")
