"""The plan on the terminal: a table of the changes (unchanged resources counted, not listed, as
`terraform plan` does), then what will fail, what the change takes away and what Terraform will not
apply, each finding with its fix, and one summary line."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from servingstack.client.redact import Redactor
from servingstack.plan.markdown import summary_line
from servingstack.plan.results import Category, PlanReport

_STYLE = {"create": "green", "update": "yellow", "replace": "bold magenta", "delete": "bold red", "unchanged": "dim"}
_MARK = {"error": ("✗", "bold red"), "warning": ("!", "yellow"), "note": ("·", "dim")}
_SECTIONS: tuple[tuple[Category, str], ...] = (
    ("preflight", "What will fail"),
    ("read", "What could not be read"),
    ("takeaway", "What the change takes away"),
    ("not_applied", "What Terraform will not apply"),
)


def print_report(
    report: PlanReport, stream: IO[str] | None = None, redactor: Redactor | None = None, width: int | None = None
) -> None:
    clean = redactor.clean if redactor is not None else (lambda text: text)
    console = Console(file=stream, width=width, highlight=False)
    changed = [c for c in report.changes if c.action != "unchanged"]
    title = f"servingstack plan: {report.stack} on {report.host}"
    console.print(Text(clean(title), style="bold"))
    source = f" ({report.ownership.source})" if report.ownership.source else ""
    console.print(Text(clean(f"ownership: {report.ownership.detail}{source}"), style="dim"))
    if changed:
        table = Table(title_justify="left", show_lines=True)
        for column in ("Resource", "Change", "What changes", "At the service"):
            table.add_column(column, overflow="fold")
        for change in changed:
            what = [f.text for f in change.fields if f.how != "not_applied"] + [f"({n})" for n in change.notes]
            table.add_row(
                Text(clean(f"{change.name}\n{change.address}")),
                Text(change.action, style=_STYLE[change.action]),
                Text(clean("\n".join(what))),
                Text(clean("\n".join(change.effects)), style="dim"),
            )
        console.print(table)
    else:
        console.print(Text("No changes: what the stack declares is what runs.", style="green"))
    for category, heading in _SECTIONS:
        findings = report.by_category(category)
        if not findings:
            continue
        console.print(Text(f"{heading}:", style="bold"))
        for finding in findings:
            mark, style = _MARK[finding.severity]
            where = f"{finding.address}: " if finding.address else ""
            console.print(Text(clean(f"  {mark} {where}{finding.message}"), style=style))
            if finding.fix:
                console.print(Text(clean(f"      fix: {finding.fix}"), style="dim"))
    severities = report.severities()
    verdict = (
        "interrupted: the plan is incomplete"
        if report.interrupted
        else f"{severities['error']} problem(s), {severities['warning']} warning(s)"
    )
    line = f"Plan: {summary_line(report)}; {verdict} ({report.seconds:.1f} s, {report.reads} reads)"
    console.print(Text(clean(line), style="bold red" if report.problems or report.interrupted else "green"))
