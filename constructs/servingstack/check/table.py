"""The final table on the terminal: one row per endpoint, a line per served entity and per
expectation run under it, then the reasons for failures."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from servingstack.check.results import CheckReport, StepResult
from servingstack.client.redact import Redactor

_STYLE = {"pass": "green", "fail": "bold red", "skip": "dim", "pending": "yellow"}


def _status(step: StepResult) -> Text:
    return Text(step.status.upper(), style=_STYLE.get(step.status, ""))


_RANK = {"skip": 0, "pass": 1, "pending": 2, "fail": 3}


def _worst(*steps: StepResult) -> StepResult:
    return max(steps, key=lambda step: _RANK.get(step.status, 0))


def print_report(
    report: CheckReport, stream: IO[str] | None = None, redactor: Redactor | None = None, width: int | None = None
) -> None:
    clean = redactor.clean if redactor is not None else (lambda text: text)
    console = Console(file=stream, width=width, highlight=False)
    table = Table(title=f"servingstack check: {report.stack}", title_justify="left")
    for column in ("Endpoint", "Ready", "Drift", "Query", "Notes"):
        table.add_column(column, overflow="fold")
    blank = Text("")
    for endpoint in report.endpoints:
        notes = next((step.message for step in endpoint.steps.values() if step.status in ("fail", "pending")), "")
        if not notes and endpoint.status == "pass":
            notes = endpoint.query.message if endpoint.query.status == "pass" else endpoint.ready.message
        # Grants are drift too; every query (endpoint, entities, expectations) is under Query.
        table.add_row(
            endpoint.name,
            _status(endpoint.ready),
            _status(_worst(endpoint.drift, endpoint.permissions)),
            _status(_worst(endpoint.query, endpoint.entities, endpoint.expectations)),
            Text(clean(notes)),
        )
        # A line per served entity under its endpoint, then one per expectation run on an entity.
        for entity in endpoint.entity_results:
            share = f" ({entity.traffic_percent}%)" if entity.traffic_percent is not None else ""
            table.add_row(
                Text(clean(f"  └ {entity.name}{share}"), style="dim"),
                blank,
                blank,
                _status(StepResult(entity.status)),
                Text(clean(entity.message)),
            )
        for outcome in endpoint.expectation_results:
            table.add_row(
                Text(clean(f"  └ {outcome.entity}: {outcome.name}"), style="dim"),
                blank,
                blank,
                _status(StepResult(outcome.status)),
                Text(clean(outcome.message)),
            )
    console.print(table)
    for endpoint in report.endpoints:
        for name, step in endpoint.steps.items():
            if step.status == "fail" and step.details:
                console.print(Text(clean(f"{endpoint.name} {name}:"), style="bold"))
                for detail in step.details:
                    console.print(Text(clean(f"  {detail}")))
        for warning in endpoint.warnings:
            console.print(Text(clean(f"{endpoint.name}: warning: {warning}"), style="yellow"))
    counts = report.counts()
    verdict = {
        "pass": "all endpoints pass",
        "fail": f"{counts['fail']} of {len(report.endpoints)} endpoints failed",
        "interrupted": f"interrupted: {counts['pass']} passed, {counts['fail']} failed, {counts['pending']} unfinished",
    }[report.status]
    console.print(
        Text(clean(f"{verdict} ({report.seconds:.1f} s)"), style="green" if report.status == "pass" else "bold red")
    )
