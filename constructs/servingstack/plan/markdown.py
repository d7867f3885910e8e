"""A plan as Markdown for a pull-request comment (`--summary FILE`, and appended to
`$GITHUB_STEP_SUMMARY` when set): the verdict, the picture of the change (Mermaid), the changes,
then what will fail, what the change takes away and what Terraform will not apply, each with its fix."""

from __future__ import annotations

from pathlib import Path

from servingstack.client.redact import Redactor
from servingstack.client.reports import write_text
from servingstack.plan import picture
from servingstack.plan.results import Category, Finding, PlanReport

_ACTION = {
    "create": "➕ create",
    "update": "✏️ update",
    "replace": "♻️ replace",
    "delete": "🗑️ delete",
    "unchanged": "unchanged",
}
_SEVERITY = {"error": "❌", "warning": "⚠️", "note": "ℹ️"}
_SECTIONS: tuple[tuple[Category, str], ...] = (
    ("preflight", "What will fail"),
    ("read", "What could not be read"),
    ("takeaway", "What the change takes away"),
    ("not_applied", "What Terraform will not apply"),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def summary_line(report: PlanReport) -> str:
    counts = report.counts()
    changes = ", ".join(f"{counts[a]} to {a}" for a in ("create", "update", "replace", "delete"))
    return f"{changes}, {counts['unchanged']} unchanged"


def verdict(report: PlanReport) -> str:
    severities = report.severities()
    if report.interrupted:
        return "⏸ interrupted: the plan is incomplete"
    if severities["error"]:
        return f"❌ {severities['error']} problem(s) will make the apply fail or could not be checked"
    if severities["warning"]:
        return f"⚠️ no problem found; {severities['warning']} warning(s) to read before applying"
    return "✅ no problem found"


def _findings(findings: list[Finding]) -> list[str]:
    lines = ["| | Resource | What | Fix |", "|---|---|---|---|"]
    for finding in findings:
        lines.append(
            f"| {_SEVERITY[finding.severity]} | `{_cell(finding.address or 'workspace')}` | {_cell(finding.message)} | "
            f"{_cell(finding.fix or '')} |"
        )
    return lines


def render(report: PlanReport, redactor: Redactor | None = None) -> str:
    lines = [
        f"## servingstack plan: {report.stack}",
        "",
        f"{verdict(report)} · {summary_line(report)}",
        "",
        f"Workspace `{report.host}`; ownership: {report.ownership.detail}"
        + (f" (`{report.ownership.source}`)" if report.ownership.source else "")
        + f"; {report.reads} reads in {report.read_seconds:.1f} s.",
    ]
    drawing = picture.render(report)
    if drawing:
        lines += ["", "```mermaid", drawing, "```"]
    changed = [c for c in report.changes if c.action != "unchanged"]
    if changed:
        lines += ["", "### Changes", "", "| Resource | Change | What changes | At the service |", "|---|---|---|---|"]
        for change in changed:
            what = "<br>".join(_cell(f.text) for f in change.fields if f.how != "not_applied") or ""
            notes = "".join(f"<br>_{_cell(n)}_" for n in change.notes)
            lines.append(
                f"| `{_cell(change.name)}`<br><sub>{_cell(change.address)}</sub> | {_ACTION[change.action]} | "
                f"{what}{notes} | {'<br>'.join(_cell(e) for e in change.effects)} |"
            )
    unchanged = [c for c in report.changes if c.action == "unchanged"]
    if unchanged:
        names = ", ".join(f"`{_cell(c.name)}`" for c in unchanged[:40])
        more = f" and {len(unchanged) - 40} more" if len(unchanged) > 40 else ""
        lines += ["", f"Unchanged: {names}{more}."]
    for category, title in _SECTIONS:
        findings = report.by_category(category)
        if findings:
            lines += ["", f"### {title}", "", *_findings(findings)]
    text = "\n".join(lines).rstrip("\n") + "\n"
    return redactor.clean(text) if redactor is not None else text


def write(report: PlanReport, path: Path, redactor: Redactor) -> None:
    write_text(path, render(report, redactor))
