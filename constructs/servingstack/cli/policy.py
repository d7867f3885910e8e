"""`servingstack policy`: the last synth's policy findings where reviewers look: SARIF for code
scanning, Markdown for the job summary or a pull-request comment, and a few lines on the terminal.

It reads `servingstack-synth.json` beside the output directory (every stack's findings and the
synth's warnings, written also when the policy failed the synth), else each stack's
`policy-findings.json`. It needs neither Node nor the app.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from servingstack import __version__
from servingstack.cdk.synth_report import SYNTH_REPORT_FILE
from servingstack.client.reports import append_text, write_text
from servingstack.policy.markdown import policy_markdown
from servingstack.policy.report import REPORT_FILE
from servingstack.policy.sarif import sarif_log


class ReportError(click.ClickException):
    """No report to read, or one that cannot be read or written: exit 2, as a usage problem."""

    exit_code = 2


EPILOG = """\b
Examples:
  servingstack policy
  servingstack policy --out cdktf.out --sarif reports/policy.sarif --summary reports/policy.md
"""


def load_reports(out: Path, synth_report: Path | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str, str]:
    """(stacks, warnings, synth status, what was read); ReportError when there is nothing to read."""
    report = synth_report or out.resolve().parent / SYNTH_REPORT_FILE
    if report.is_file():
        try:
            document = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ReportError(f"cannot read {report}: {error}") from None
        if not isinstance(document, dict) or document.get("report") != "servingstack-synth":
            raise ReportError(f"{report} is not a servingstack synth report")
        return document.get("stacks", []), document.get("warnings", []), document.get("status", "ok"), str(report)
    if synth_report is not None:
        raise ReportError(f"{synth_report} does not exist")
    files = sorted(out.glob(f"stacks/*/{REPORT_FILE}"))
    if not files:
        raise ReportError(
            f"no policy report: neither {report} nor {out}/stacks/*/{REPORT_FILE} exists; synthesize first "
            "(python main.py, or cdktf synth)"
        )
    stacks = []
    for file in files:
        try:
            stacks.append(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            raise ReportError(f"cannot read {file}: {error}") from None
    return stacks, [], "ok", f"{out}/stacks/*/{REPORT_FILE}"


@click.command("policy", epilog=EPILOG)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cdktf.out"),
    show_default=True,
    help="The synth's output directory; its report servingstack-synth.json is read from beside it.",
)
@click.option(
    "--report",
    "synth_report",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The synth report to read (default: {SYNTH_REPORT_FILE} beside --out).",
)
@click.option(
    "--sarif", "sarif_file", type=click.Path(dir_okay=False, path_type=Path), help="Write SARIF 2.1.0 (code scanning)."
)
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set).",
)
def policy(out: Path, synth_report: Path | None, sarif_file: Path | None, summary_file: Path | None) -> None:
    """Report the last synth's policy findings and warnings: SARIF, Markdown, terminal.

    \b
    Exit codes:
      0    every stack passed its policy
      1    a stack failed its policy, or the synth failed
      2    no report to read, or a file that cannot be written
    """
    stacks, warnings, status, source = load_reports(out, synth_report)
    markdown = policy_markdown(stacks, warnings=warnings, synth_status=status)
    outputs: list[tuple[Path, str]] = []
    if sarif_file is not None:
        log = sarif_log(stacks, version=__version__, warnings=warnings, synth_status=status)
        outputs.append((sarif_file, json.dumps(log, indent=2) + "\n"))
    if summary_file is not None:
        outputs.append((summary_file, markdown + "\n"))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    for path, text in outputs:
        try:
            write_text(path, text)  # atomically, as every tool's reports (client/reports.py)
        except OSError as error:
            raise ReportError(f"cannot write {path}: {error.strerror or error}") from None
    if step_summary:
        try:
            append_text(step_summary, markdown + "\n")
        except OSError as error:
            click.echo(f"warning: cannot append to $GITHUB_STEP_SUMMARY: {error.strerror or error}", err=True)
    click.echo(f"policy of the last synth ({source}):")
    for stack in stacks:
        summary = stack.get("summary", {})
        verdict = "passed" if stack.get("passed") else "FAILED"
        click.echo(
            f"  {stack['stack']}: {verdict}: {summary.get('errors', 0)} errors, {summary.get('warnings', 0)} warnings, "
            f"{summary.get('suppressed', 0)} suppressed ({', '.join(stack.get('packs', [])) or 'no pack'})"
        )
    if not stacks:
        click.echo("  no stack applies a policy")
    if warnings:
        click.echo(f"  {len(warnings)} synth warning{'s' if len(warnings) != 1 else ''}")
    if status == "failed":
        click.echo("  the synthesis failed: its log says why")
    for path, _ in outputs:
        click.echo(f"wrote {path}")
    sys.exit(0 if status == "ok" and all(stack.get("passed") for stack in stacks) else 1)
