"""`servingstack plan`: a thin command line over `run_plan` and the report writers."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from servingstack.cli import options
from servingstack.client import reports
from servingstack.client.errors import SetupError
from servingstack.client.redact import Redactor
from servingstack.client.reports import ReportFile
from servingstack.client.signals import SignalWatch
from servingstack.plan import markdown, report_json, table
from servingstack.plan.results import EXIT_CHANGES, EXIT_SETUP, PlanReport
from servingstack.plan.runner import DEFAULT_TIMEOUT_SECONDS, run_plan


def report_files(json_file: Path | None, summary_file: Path | None) -> list[ReportFile[PlanReport]]:
    files: list[ReportFile[PlanReport]] = []
    if json_file:
        files.append(ReportFile("--json", json_file, report_json.write))
    if summary_file:
        files.append(ReportFile("--summary", summary_file, markdown.write))
    step_summary = reports.step_summary(markdown.render)
    if step_summary is not None:
        files.append(step_summary)
    return files


EPILOG = """\b
Examples:
  servingstack plan --stack cdktf.out/stacks/prod --json reports/plan.json --summary reports/plan.md
  servingstack plan --stack cdktf.out/stacks/prod --state plan-state.json --detailed-exitcode
"""


@click.command("plan", epilog=EPILOG)
@options.stack
@click.option(
    "--state",
    "state_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="What the stack owns: a Terraform state (the local backend's file, or `terraform state pull` output) "
    "or an `emulator apply` state file. Default: the stack's local backend file, else emulator apply's, if found.",
)
@click.option(
    "--no-state", is_flag=True, help="Read no state: every live namesake is planned as the stack's, with a warning."
)
@click.option(
    "--timeout",
    type=float,
    callback=options.seconds,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds for the whole run, from the first connection attempt: a hard deadline.",
)
@click.option("--json", "json_file", type=click.Path(path_type=Path, dir_okay=False), help="Write the JSON report.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the Markdown summary with its picture, for a pull-request comment "
    "(also appended to $GITHUB_STEP_SUMMARY when set).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help=f"Exit {EXIT_CHANGES} when no problem is found but the apply would change something "
    "(as terraform plan -detailed-exitcode).",
)
@options.workspace
def plan(
    stack_dir: Path,
    state_file: Path | None,
    no_state: bool,
    timeout: float,
    json_file: Path | None,
    summary_file: Path | None,
    detailed_exitcode: bool,
    profile: str | None,
    host: str | None,
    token: str | None,
) -> None:
    """Before any apply: what the stack's apply will change in serving terms, what it takes away, what
    Terraform will not apply, and what will fail (models, secrets, principals, catalogs, names, limits).

    Reads only the stack directory written by synth, the stack's state if there is one, and the
    workspace through the Databricks SDK (reads only; secret values are never read).

    \b
    Exit codes:
      0    no problem found (with --detailed-exitcode: and nothing would change)
      1    problems found: something will fail, or could not be read
      2    bad options, stack directory or state file, an unwritable report path, no workspace
           configured, a host for another workspace than the stack declares, a host that does not
           resolve, refuses or does not answer (in full, by the deadline), credentials rejected;
           no report is written (an earlier run's is removed)
      3    no problem found, but a report could not be written
      4    problems found, and a report could not be written
      5    with --detailed-exitcode: no problem found, and the apply would change something
      130  interrupted (Ctrl-C), 143 terminated (SIGTERM): the incomplete plan is printed and written
    """
    logging.getLogger("databricks.sdk").setLevel(logging.ERROR)
    redactor = Redactor([token])
    files = report_files(json_file, summary_file)
    if state_file is not None and no_state:
        _fail(files, redactor, "--state and --no-state: choose one")
    problems = reports.unwritable(files) or reports.remove_previous(files)
    if problems:
        for problem in problems:
            click.echo(redactor.clean(f"Error: cannot write a report: {problem}"), err=True)
        sys.exit(EXIT_SETUP)
    watch = SignalWatch()
    with watch.installed():
        try:
            with watch.arm():
                report = run_plan(
                    stack_dir,
                    host=host,
                    token=token,
                    profile=profile,
                    timeout=timeout,
                    state=state_file,
                    use_state=not no_state,
                    redactor=redactor,
                )
        except SetupError as error:
            _fail(files, redactor, str(error))
        except KeyboardInterrupt:
            click.echo("Interrupted before the workspace was read: no plan.", err=True)
            sys.exit(watch.exit_code)
        table.print_report(report, redactor=redactor)
        failures = reports.write_all(report, files, redactor)
    for failure in failures:
        click.echo(f"Error: cannot write a report: {failure}", err=True)
    code = watch.exit_code if report.interrupted and watch.received else report.exit_code(detailed_exitcode)
    sys.exit(reports.exit_code(code, failures, passed=(0, EXIT_CHANGES)))


def _fail(files: list[ReportFile[PlanReport]], redactor: Redactor, message: str) -> None:
    """One clear line and exit 2; no report of this run, and none of an earlier run left to mislead."""
    reports.remove_previous(files)
    click.echo(redactor.clean(f"Error: {message}"), err=True)
    sys.exit(EXIT_SETUP)
