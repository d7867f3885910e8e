"""The rollout's reports: the terminal summary, JSON (`RolloutReport.to_dict()`), JUnit XML and Markdown
with two Mermaid pictures (the candidate's share of the traffic over time; each step and gate
evaluation on a time line). The report files are checked for writability before anything moves and
written each on its own at the end, atomically, with the tools' shared handling (`client/reports.py`).

JSON, in short (`schema_version` 1, `kind` "rollout"):

    {"stack", "stack_dir", "endpoint", "host", "started_at", "seconds", "timeout_seconds",
     "outcome": "completed" | "rolled_back" | "failed" | "interrupted" | "timed_out", "exit_code", "message",
     "declared": {"stable", "candidate", "steps", "bake_seconds", "interval_seconds", "gates", "failure_limit"},
     "resumed_from": 0, "metrics_source": "per entity" | "endpoint" | null, "breaches": 2,
     "last_proven_percent": 5, "final_split": {"v3": 100, "v4": 0},
     "preflight": <evaluation> | null,
     "steps": [{"percent", "status": "proven" | "failed" | "interrupted" | "pending" | ..., "message", "resumed",
                "requested_at", "live_at", "ended_at", "update_seconds", "bake_seconds", "config_version",
                "waited_for_other_update", "evaluations": [<evaluation>]}],
     "change": null | {"kind": "rollback" | "restore", "reason", "to_percent", "status", "message", "breach_at",
                       "requested_at", "live_at", "request_seconds", "live_seconds", "waited_for_update",
                       "config_version"},
     "timeline": [{"at", "candidate_percent"}], "events": [{"at", "text"}], "warnings": [...], "advice": [...]}
    <evaluation> = {"at", "ended_at", "percent", "verdict": "pass" | "fail" | "inconclusive", "breach",
                    "gates": [{"gate", "status", "message", "figures", "new"}]}

Times are seconds since the run started. Every string passes through the run's redactor.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from servingstack.client import reports
from servingstack.client.redact import Redactor
from servingstack.client.reports import ReportFile, write_text
from servingstack.rollout.results import Evaluation, RolloutReport, Step

_MARK = {"pass": "✓", "fail": "✗", "inconclusive": "?"}
_ICON = {
    "completed": "✅",
    "rolled_back": "↩️",
    "failed": "❌",
    "interrupted": "⏸",
    "timed_out": "⌛",
    "running": "…",
}
_POINTS = 24


# Terminal ----------------------------------------------------------------------------------------


def _bar(percent: int) -> str:
    return "█" * round(percent / 5) if percent else "·"


def _marks(step: Step) -> str:
    return "".join(_MARK[e.verdict] for e in step.evaluations)


def summary_lines(report: RolloutReport) -> list[str]:
    lines = [f"{report.endpoint}: {_ICON[report.outcome]} {report.message}"]
    lines.append(f"  {'step':>5}  {report.candidate + ' traffic':<22} {'evaluations':<14} result")
    if report.preflight is not None:
        lines.append(
            f"  {'pre':>5}  {_bar(report.preflight.percent):<22} {_marks_of([report.preflight]):<14} pre-flight"
        )
    for step in report.steps:
        timing = []
        if step.update_seconds is not None:
            timing.append(f"update {step.update_seconds:.1f} s")
        if step.bake_seconds is not None:
            timing.append(f"bake {step.bake_seconds:.1f} s")
        result = step.status + (f" ({', '.join(timing)})" if timing else "")
        if step.status in ("failed", "interrupted") and step.message:
            result += f": {step.message}"
        lines.append(f"  {step.percent:>4}%  {_bar(step.percent):<22} {_marks(step):<14} {result}")
    change = report.change
    if change is not None and change.status != "not_needed":
        times = []
        if change.request_seconds is not None:
            times.append(f"requested {change.request_seconds:.2f} s after the breach")
        if change.live_seconds is not None:
            times.append(
                f"serving {change.live_seconds:.1f} s after {'it' if change.breach_at is not None else 'that'}"
            )
        lines.append(
            f"  {change.kind} to {change.to_percent}%: {change.status}" + (f", {', '.join(times)}" if times else "")
        )
    lines += [f"  warning: {w}" for w in report.warnings]
    lines += [f"  next: {a}" for a in report.advice]
    return lines


def _marks_of(evaluations: list[Evaluation]) -> str:
    return "".join(_MARK[e.verdict] for e in evaluations)


def print_summary(report: RolloutReport, redactor: Redactor, echo=print) -> None:
    for line in summary_lines(report):
        echo(redactor.clean(line))


# Markdown with Mermaid ---------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _task(text: str) -> str:
    """A Mermaid gantt task name: no ':' (it ends the name), '#' or ';'."""
    return text.replace(":", " ").replace("#", "").replace(";", ",").strip() or "-"


def _percent_at(report: RolloutReport, at: float) -> int:
    percent = report.timeline[0][1] if report.timeline else 0
    for seen_at, seen in report.timeline:
        if seen_at <= at + 1e-9:
            percent = seen
    return percent


def traffic_chart(report: RolloutReport) -> list[str]:
    """Mermaid `xychart-beta`: the candidate's live share, sampled evenly over the run."""
    total = max(report.seconds, report.timeline[-1][0] if report.timeline else 0.0, 1e-3)
    times = [total * i / (_POINTS - 1) for i in range(_POINTS)]
    digits = 0 if total >= _POINTS else 1
    labels = ", ".join(f'"{t:.{digits}f}s"' for t in times)
    values = ", ".join(str(_percent_at(report, t)) for t in times)
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{report.candidate} share of {report.endpoint} traffic ({report.outcome.replace("_", " ")})"',
        f"    x-axis [{labels}]",
        f'    y-axis "{report.candidate} %" 0 --> 100',
        f"    line [{values}]",
        "```",
    ]


def gate_chart(report: RolloutReport) -> list[str]:
    """Mermaid `gantt`: each step's update and bake, every evaluation (done: passed, crit: a breach,
    active: could not judge), the rollback or restore."""
    total = max(report.seconds, 1.0)
    lines = [
        "```mermaid",
        "gantt",
        "    title Steps and gate evaluations (✓ pass, ✗ fail, ? could not judge)",
        "    dateFormat X",
        f"    axisFormat {'%H:%M' if total > 3600 else '%M:%S'}",
    ]

    def span(name: str, tag: str, key: str, start: float, end: float) -> str:
        begin = int(start)
        finish = max(begin + 1, int(round(end)))
        tags = f"{tag}, " if tag else ""
        return f"    {_task(name)} :{tags}{key}, {begin}, {finish}"

    def evaluation_rows(prefix: str, evaluations: list[Evaluation]) -> list[str]:
        rows = []
        for index, evaluation in enumerate(evaluations):
            marks = " ".join(f"{r.gate} {_MARK[r.status]}" for r in evaluation.results)
            tag = "crit" if evaluation.breach else ("done" if evaluation.verdict == "pass" else "active")
            rows.append(span(marks, tag, f"{prefix}e{index}", evaluation.at, evaluation.at + 1))
        return rows

    if report.preflight is not None:
        lines.append("    section pre-flight")
        lines += evaluation_rows("p", [report.preflight])
    for number, step in enumerate(report.steps):
        if step.live_at is None and step.requested_at is None:
            continue
        lines.append(f"    section {step.percent}%")
        if step.requested_at is not None and step.live_at is not None:
            lines.append(span("config update", "", f"s{number}u", step.requested_at, step.live_at))
        if step.live_at is not None:
            end = step.ended_at if step.ended_at is not None else report.seconds
            tag = {"proven": "done", "failed": "crit"}.get(step.status, "active")
            lines.append(span(f"bake, {step.status}", tag, f"s{number}b", step.live_at, end))
        lines += evaluation_rows(f"s{number}", step.evaluations)
    change = report.change
    if change is not None and change.requested_at is not None:
        lines.append(f"    section {change.kind}")
        end = change.live_at if change.live_at is not None else report.seconds
        to = f"{report.stable} 100%" if change.to_percent == 0 else f"{report.candidate} {change.to_percent}%"
        lines.append(
            span(
                f"{to}, {change.status}",
                "crit" if change.kind == "rollback" else "active",
                "c0",
                change.requested_at,
                end,
            )
        )
    lines.append("```")
    return lines


def _declared_line(report: RolloutReport) -> str:
    declared = report.declared
    steps = ", ".join(f"{p}%" for p in declared.get("steps", []))
    line = (
        f"`{report.stable}` → `{report.candidate}`, steps {steps}, bake {declared.get('bake_seconds', 0):g} s, "
        f"gates every {declared.get('interval_seconds', 0):g} s, failure limit {declared.get('failure_limit')}; "
        f"metrics: {report.metrics_source or 'not read'}"
    )
    return line + (f"; resumed from {report.resumed_from}%" if report.resumed_from else "")


def render_markdown(report: RolloutReport, redactor: Redactor | None = None) -> str:
    steps_proven = sum(1 for s in report.steps if s.status == "proven")
    lines = [
        f"## servingstack rollout: {report.endpoint}",
        "",
        f"{_ICON[report.outcome]} {report.message} ({steps_proven}/{len(report.steps)} steps proven, "
        f"{report.breaches} breach{'es' if report.breaches != 1 else ''}, {report.seconds:.1f} s)",
        "",
        _declared_line(report),
        "",
        *traffic_chart(report),
        "",
        *gate_chart(report),
        "",
        "| Step | Config update | Bake | Evaluations | Result |",
        "|---|---|---|---|---|",
    ]
    for step in report.steps:
        update = (
            f"{step.update_seconds:.1f} s" if step.update_seconds is not None else ("resumed" if step.resumed else "")
        )
        bake = f"{step.bake_seconds:.1f} s" if step.bake_seconds is not None else ""
        lines.append(
            f"| {step.percent}% | {update} | {bake} | {_marks(step)} | {step.status}"
            + (f": {_cell(step.message)}" if step.message and step.status != "proven" else "")
            + " |"
        )
    evaluations = report.evaluations()
    if evaluations:
        lines += [
            "",
            "### Every gate evaluation",
            "",
            "| At | Step | Gate | Result | Judged on |",
            "|---|---|---|---|---|",
        ]
        for evaluation in evaluations:
            where = "pre-flight" if evaluation is report.preflight else f"{evaluation.percent}%"
            for result in evaluation.results:
                stale = not result.new and result.status != "inconclusive"
                judged = _cell(result.message) + (" (the window judged before)" if stale else "")
                verdict = f"{_MARK[result.status]} {result.status}"
                lines.append(f"| {evaluation.at:.1f} s | {where} | {result.gate} | {verdict} | {judged} |")
    change = report.change
    if change is not None:
        lines += [
            "",
            f"### {change.kind.capitalize()}",
            "",
            f"- why: {_cell(change.reason)}",
            f"- status: {change.status}",
        ]
        if change.request_seconds is not None:
            lines.append(f"- requested {change.request_seconds:.2f} s after the breach")
        if change.live_seconds is not None:
            since = "the breach" if change.breach_at is not None else "the request"
            lines.append(f"- serving {change.live_seconds:.1f} s after {since}")
        if change.waited_for_update:
            lines.append("- first waited for an update in progress: the service cannot cancel one")
        if change.message:
            lines.append(f"- {change.message}")
    if report.warnings:
        lines += ["", "### Warnings", ""] + [f"- {w}" for w in report.warnings]
    if report.advice:
        lines += ["", "### Next", ""] + [f"- {a}" for a in report.advice]
    text = "\n".join(lines).rstrip("\n") + "\n"
    return redactor.clean(text) if redactor is not None else text


# JUnit -----------------------------------------------------------------------------------------


def render_junit(report: RolloutReport, redactor: Redactor | None = None) -> str:
    clean = redactor.clean if redactor is not None else (lambda text: text)
    cases: list[tuple[str, str, str, list[str], float]] = []  # name, status, message, details, seconds
    if report.preflight is not None:
        result = report.preflight.results[0] if report.preflight.results else None
        status = {"pass": "pass", "fail": "fail"}.get(report.preflight.verdict, "skip")
        cases.append(("pre-flight", status, result.message if result else "", [], 0.0))
    for step in report.steps:
        status = {"proven": "pass", "failed": "fail"}.get(step.status, "skip")
        cases.append((f"step {step.percent}%", status, step.message or step.status, [], step.bake_seconds or 0.0))
        gate_names = list(dict.fromkeys(r.gate for e in step.evaluations for r in e.results))
        for gate in gate_names:
            results = [(e, r) for e in step.evaluations for r in e.results if r.gate == gate]
            lines = [f"{e.at:.1f} s {r.status}: {r.message}" for e, r in results]
            failed = [r for _, r in results if r.status == "fail" and r.new]
            passed = [r for _, r in results if r.status == "pass"]
            verdict = "fail" if failed else ("pass" if passed else "skip")
            message = failed[0].message if failed else (passed[-1].message if passed else lines[-1] if lines else "")
            cases.append((f"step {step.percent}% gate {gate}", verdict, message, lines, 0.0))
    if report.change is not None:
        change = report.change
        status = "fail" if change.status == "failed" else "pass"
        cases.append(
            (change.kind, status, change.message or change.reason, [change.reason], change.live_seconds or 0.0)
        )
    suites = ET.Element("testsuites", name="servingstack rollout")
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": f"rollout {report.endpoint}",
            "tests": str(len(cases)),
            "failures": str(sum(1 for c in cases if c[1] == "fail")),
            "errors": "0",
            "skipped": str(sum(1 for c in cases if c[1] == "skip")),
            "time": f"{report.seconds:.3f}",
            "timestamp": report.started_at,
        },
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="outcome", value=report.outcome)
    for name, status, message, details, seconds in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"{report.stack}.{report.endpoint}", "name": name, "time": f"{seconds:.3f}"},
        )
        if status == "fail":
            failure = ET.SubElement(case, "failure", message=clean(message), type="rollout-gate")
            failure.text = clean("\n".join([message, *details]))
        elif status == "skip":
            ET.SubElement(case, "skipped", message=clean(message or "not reached"))
        elif details or message:
            out = ET.SubElement(case, "system-out")
            out.text = clean("\n".join([message, *details]))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


# Files -------------------------------------------------------------------------------------------


def _json(report: RolloutReport, path: Path, redactor: Redactor) -> None:
    write_text(path, json.dumps(redactor.clean_value(report.to_dict()), indent=2, ensure_ascii=False) + "\n")


def _junit(report: RolloutReport, path: Path, redactor: Redactor) -> None:
    write_text(path, render_junit(report, redactor))


def _summary(report: RolloutReport, path: Path, redactor: Redactor) -> None:
    write_text(path, render_markdown(report, redactor))


def report_files(
    json_file: Path | None, junit_file: Path | None, summary_file: Path | None
) -> list[ReportFile[RolloutReport]]:
    files: list[ReportFile[RolloutReport]] = []
    if json_file:
        files.append(ReportFile("--json", json_file, _json))
    if junit_file:
        files.append(ReportFile("--junit", junit_file, _junit))
    if summary_file:
        files.append(ReportFile("--summary", summary_file, _summary))
    step_summary = reports.step_summary(render_markdown)
    if step_summary is not None:
        files.append(step_summary)
    return files
