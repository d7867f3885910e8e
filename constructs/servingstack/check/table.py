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
    if report.apps:
        app_table = Table(title=f"apps: {report.stack}", title_justify="left")
        for column in ("App", "Running", "Drift", "Grants", "Notes"):
            app_table.add_column(column, overflow="fold")
        for app in report.apps:
            notes = next((step.message for step in app.steps.values() if step.status in ("fail", "pending")), "")
            app_table.add_row(
                app.name,
                _status(app.running),
                _status(app.drift),
                _status(app.grants),
                Text(clean(notes or app.grants.message or app.running.message)),
            )
        console.print(app_table)
    for endpoint in report.endpoints:
        for name, step in endpoint.steps.items():
            if step.status == "fail" and step.details:
                console.print(Text(clean(f"{endpoint.name} {name}:"), style="bold"))
                for detail in step.details:
                    console.print(Text(clean(f"  {detail}")))
        for warning in endpoint.warnings:
            console.print(Text(clean(f"{endpoint.name}: warning: {warning}"), style="yellow"))
    for app in report.apps:
        for name, step in app.steps.items():
            if step.status == "fail" and step.details:
                console.print(Text(clean(f"app {app.name} {name}:"), style="bold"))
                for detail in step.details:
                    console.print(Text(clean(f"  {detail}")))
        for warning in app.warnings:
            console.print(Text(clean(f"app {app.name}: warning: {warning}"), style="yellow"))
    counts = report.counts()
    apps = report.app_counts()
    failed = [f"{counts['fail']} of {len(report.endpoints)} endpoints"] if counts["fail"] else []
    failed += [f"{apps['fail']} of {len(report.apps)} apps"] if apps["fail"] else []
    unfinished = counts["pending"] + apps["pending"]
    verdict = {
        "pass": "all endpoints and apps pass" if report.apps else "all endpoints pass",
        "fail": f"{' and '.join(failed)} failed",
        "interrupted": (
            f"interrupted: {counts['pass'] + apps['pass']} passed, {counts['fail'] + apps['fail']} failed, "
            f"{unfinished} unfinished"
        ),
    }[report.status]
    console.print(
        Text(clean(f"{verdict} ({report.seconds:.1f} s)"), style="green" if report.status == "pass" else "bold red")
    )
