"""The plan on the terminal: a table of the changes (unchanged resources counted, not listed, as
`terraform plan` does), then what will fail, what the change takes away and what Terraform will not
apply, each finding with its fix, and one summary line.

Drawn here rather than with rich's Table: a plan of a fleet has a thousand rows, and the report must
be on the screen within a second of the last answer (rich measures and wraps every cell, about a
millisecond a row). Colour only on a terminal (and never with NO_COLOR).
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import IO

from servingstack.client.redact import Redactor
from servingstack.plan.markdown import summary_line
from servingstack.plan.results import Category, PlanReport

_COLOUR = {
    "create": "32",
    "update": "33",
    "replace": "1;35",
    "delete": "1;31",
    "error": "1;31",
    "warning": "33",
    "note": "2",
    "bold": "1",
    "dim": "2",
    "green": "32",
}
_MARK = {"error": "✗", "warning": "!", "note": "·"}
_SECTIONS: tuple[tuple[Category, str], ...] = (
    ("preflight", "What will fail"),
    ("read", "What could not be read"),
    ("takeaway", "What the change takes away"),
    ("not_applied", "What Terraform will not apply"),
)
_HEADERS = ("Resource", "Change", "What changes", "At the service")


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines += textwrap.wrap(line, width, break_on_hyphens=False, drop_whitespace=True) or [""]
    return lines


def _widths(rows: Sequence[tuple[str, ...]], total: int) -> list[int]:
    """Each column's natural width, the first capped, the last two sharing what is left."""
    natural = [max(len(line) for row in rows for line in row[i].splitlines() or [""]) for i in range(4)]
    widths = [min(natural[0], 40), natural[1]]
    left = max(40, total - sum(widths) - 13)  # 13: the borders and padding of four columns
    what, service = natural[2], natural[3]
    if what + service > left:  # the narrower keeps its width if it can; the wider wraps
        half = left // 2
        if what <= half:
            service = left - what
        elif service <= half:
            what = left - service
        else:
            what, service = half, left - half
    return widths + [max(12, what), max(12, service)]


def _grid(rows: Sequence[tuple[str, ...]], total: int, paint: Callable[[str, str | None], str]) -> list[str]:
    widths = _widths([_HEADERS, *rows], total)

    def rule(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * (w + 2) for w in widths) + right

    def lines(row: tuple[str, ...], styles: tuple[str | None, ...] = (None, None, None, "dim")) -> list[str]:
        cells = [_wrap(cell, width) for cell, width in zip(row, widths)]
        out = []
        for index in range(max(len(c) for c in cells)):
            parts = []
            for cell, width, style in zip(cells, widths, styles):
                text = cell[index] if index < len(cell) else ""
                parts.append(paint(text.ljust(width), style))
            out.append("│ " + " │ ".join(parts) + " │")
        return out

    out = [rule("┌", "┬", "┐"), *lines(_HEADERS, ("bold",) * 4), rule("├", "┼", "┤")]
    for index, row in enumerate(rows):
        out += lines(row, (None, row[1], None, "dim"))
        out.append(rule("├", "┼", "┤") if index < len(rows) - 1 else rule("└", "┴", "┘"))
    return out


def print_report(
    report: PlanReport, stream: IO[str] | None = None, redactor: Redactor | None = None, width: int | None = None
) -> None:
    stream = stream or sys.stdout
    clean = redactor.clean if redactor is not None else (lambda text: text)
    coloured = stream.isatty() and not os.environ.get("NO_COLOR")

    def paint(text: str, style: str | None) -> str:
        code = _COLOUR.get(style or "")
        return f"\x1b[{code}m{text}\x1b[0m" if coloured and code else text

    total = width or shutil.get_terminal_size((120, 24)).columns
    out = [paint(clean(f"servingstack plan: {report.stack} on {report.host}"), "bold")]
    source = f" ({report.ownership.source})" if report.ownership.source else ""
    out.append(paint(clean(f"ownership: {report.ownership.detail}{source}"), "dim"))
    # The service column names what happens (`zero-downtime config update`); each kind is explained
    # once, below the table, instead of on every row of a fleet.
    rows: list[tuple[str, ...]] = []
    legend: dict[str, None] = {}  # the kinds of effect, in order, each once
    for change in report.changes:
        if change.action == "unchanged":
            continue
        labels = []
        for effect in change.effects:
            label = effect.partition(" (")[0]
            labels.append(label)
            legend.setdefault(effect.replace(change.name, "{name}"), None)
        fields = [f.text for f in change.fields if f.how != "not_applied"] + [f"({n})" for n in change.notes]
        rows.append(
            (clean(f"{change.name}\n{change.address}"), change.action, clean("\n".join(fields)), "\n".join(labels))
        )
    if rows:
        out += _grid(rows, total, paint)
        out.append(paint("At the service:", "bold"))
        for effect in legend:
            wrapped = textwrap.wrap(clean(effect), total - 2, initial_indent="  ", subsequent_indent="    ")
            out += [paint(line, "dim") for line in wrapped]
    elif not report.interrupted:
        out.append(paint("No changes: what the stack declares is what runs.", "green"))
    for category, heading in _SECTIONS:
        findings = report.by_category(category)
        if findings:
            out.append(paint(f"{heading}:", "bold"))
        for finding in findings:
            where = f"{finding.address}: " if finding.address else ""
            text = clean(f"{_MARK[finding.severity]} {where}{finding.message}")
            for line in textwrap.wrap(text, total - 2, initial_indent="  ", subsequent_indent="    "):
                out.append(paint(line, finding.severity))
            if finding.fix:
                fix = textwrap.wrap(
                    clean(f"fix: {finding.fix}"), total - 6, initial_indent="    ", subsequent_indent="         "
                )
                out += [paint(line, "dim") for line in fix]
    severities = report.severities()
    verdict = (
        "interrupted: the plan is incomplete"
        if report.interrupted
        else f"{severities['error']} problem(s), {severities['warning']} warning(s)"
    )
    line = f"Plan: {summary_line(report)}; {verdict} ({report.seconds:.1f} s, {report.reads} reads)"
    out.append(paint(clean(line), "error" if report.problems or report.interrupted else "green"))
    stream.write("\n".join(out) + "\n")
    stream.flush()
