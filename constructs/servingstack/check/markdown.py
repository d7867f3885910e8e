"""A Markdown summary (`--summary FILE`, and appended to `$GITHUB_STEP_SUMMARY` when set): a
table of endpoints and checks, then the reasons for every failure."""

from __future__ import annotations

import os
from pathlib import Path

from servingstack.check.results import CheckReport, EndpointResult, StepResult
from servingstack.client.redact import Redactor
from servingstack.client.reports import append_text, write_text

_MARK = {"pass": "✅ pass", "fail": "❌ fail", "skip": "➖ skip", "pending": "⏸ pending"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _step(step: StepResult) -> str:
    return _MARK.get(step.status, step.status)


def _latency(endpoint: EndpointResult) -> str:
    stats = endpoint.query_stats
    if not stats or stats.p50_ms is None:
        return ""
    text = f"{stats.p50_ms:.0f} ms"
    return text + (f" / {stats.p95_ms:.0f} ms" if stats.sent > 1 else "")


def render(report: CheckReport, redactor: Redactor | None = None) -> str:
    counts = report.counts()
    apps = report.app_counts()
    failed = f"{counts['fail']} endpoint(s)" + (f" and {apps['fail']} app(s)" if apps["fail"] else "")
    verdict = {
        "pass": "✅ all endpoints and apps pass" if report.apps else "✅ all endpoints pass",
        "fail": f"❌ {failed} failed",
        "interrupted": "⏸ interrupted",
    }[report.status]
    lines = [
        f"## servingstack check: {report.stack}",
        "",
        f"{verdict} ({counts['pass']}/{len(report.endpoints)} passed in {report.seconds:.1f} s; "
        f"started {report.started_at})",
        "",
        "| Endpoint | Ready | Drift | Query | Entities | Expectations | Permissions | p50 / p95 | Served by |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for endpoint in report.endpoints:
        served = ", ".join(endpoint.query_stats.served_by) if endpoint.query_stats else ""
        lines.append(
            f"| `{_cell(endpoint.name)}` | {_step(endpoint.ready)} | {_step(endpoint.drift)} | "
            f"{_step(endpoint.query)} | {_step(endpoint.entities)} | {_step(endpoint.expectations)} | "
            f"{_step(endpoint.permissions)} | {_latency(endpoint)} | {_cell(served)} |"
        )
    entities = [(e, x) for e in report.endpoints for x in e.entity_results]
    if entities:
        lines += [
            "",
            "### Served entities, queried directly",
            "",
            "| Endpoint | Entity | Traffic | Answered | Latency | Shape | Notes |",
            "|---|---|---|---|---|---|---|",
        ]
        for endpoint, entity in entities:
            share = "" if entity.traffic_percent is None else f"{entity.traffic_percent}%"
            latency = "" if entity.latency_ms is None else f"{entity.latency_ms:.0f} ms"
            lines.append(
                f"| `{_cell(endpoint.name)}` | `{_cell(entity.name)}` | {share} | "
                f"{_MARK.get(entity.status, entity.status)} | {latency} | {_cell(entity.shape or '')} | "
                f"{_cell(entity.message)} |"
            )
    runs = [(e, x) for e in report.endpoints for x in e.expectation_results]
    if runs:
        lines += [
            "",
            "### Expectations",
            "",
            "| Endpoint | Expectation | Entity | Result | Expected vs got |",
            "|---|---|---|---|---|",
        ]
        for endpoint, run in runs:
            lines.append(
                f"| `{_cell(endpoint.name)}` | {_cell(run.name)} | `{_cell(run.entity)}` | "
                f"{_MARK.get(run.status, run.status)} | {_cell('; '.join(run.details) or run.message)} |"
            )
    if report.apps:
        lines += [
            "",
            "### Apps",
            "",
            "| App | Running | Drift | Grants | Service principal | Notes |",
            "|---|---|---|---|---|---|",
        ]
        for app in report.apps:
            notes = next((step.message for step in app.steps.values() if step.status in ("fail", "pending")), "")
            lines.append(
                f"| `{_cell(app.name)}` | {_step(app.running)} | {_step(app.drift)} | {_step(app.grants)} | "
                f"`{_cell(app.service_principal or '')}` | {_cell(notes or app.grants.message)} |"
            )
    problems = [e for e in report.endpoints if e.status != "pass" or e.warnings]
    if problems:
        lines += ["", "### Details", ""]
    for endpoint in problems:
        lines.append(f"**`{endpoint.name}`**")
        lines.append("")
        for name, step in endpoint.steps.items():
            if step.status in ("fail", "pending"):
                lines.append(f"- {name}: {step.message}")
                lines += [f"  - `{_cell(detail.strip())}`" for detail in step.details if detail.strip()]
        lines += [f"- warning: {warning}" for warning in endpoint.warnings]
        lines.append("")
    failing_apps = [a for a in report.apps if a.status != "pass" or a.warnings]
    if failing_apps and not problems:
        lines += ["", "### Details", ""]
    for app in failing_apps:
        lines.append(f"**app `{app.name}`**")
        lines.append("")
        for name, step in app.steps.items():
            if step.status in ("fail", "pending"):
                lines.append(f"- {name}: {step.message}")
                lines += [f"  - `{_cell(detail.strip())}`" for detail in step.details if detail.strip()]
        lines += [f"- warning: {warning}" for warning in app.warnings]
        lines.append("")
    text = "\n".join(lines).rstrip("\n") + "\n"
    return redactor.clean(text) if redactor is not None else text


def write(report: CheckReport, path: str | Path | None, redactor: Redactor | None = None) -> None:
    """Write to `path` (if given) and append to `$GITHUB_STEP_SUMMARY` (if set)."""
    text = render(report, redactor)
    if path:
        write_text(path, text)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        append_text(step_summary, text + "\n")
