"""`servingstack rollout`: a thin command line over `run_rollout` and its reports."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from servingstack.check.results import EXIT_SETUP
from servingstack.cli import options
from servingstack.client.errors import SetupError
from servingstack.client.redact import Redactor
from servingstack.client.reports import exit_code as report_exit_code
from servingstack.client.reports import remove_previous, unwritable, write_all
from servingstack.client.signals import SignalWatch
from servingstack.rollout.metrics import DEFAULT_ENTITY_LABEL
from servingstack.rollout.reports import print_summary, report_files
from servingstack.rollout.runner import (
    DEFAULT_METRICS_WINDOW_SECONDS,
    DEFAULT_RESTORE_SECONDS,
    RolloutOptions,
    run_rollout,
)

EPILOG = """\b
Examples:
  servingstack rollout --stack cdktf.out/stacks/prod --endpoint prod-fraud-scoring --summary reports/rollout.md
  servingstack rollout --stack cdktf.out/stacks/dev --endpoint dev-fraud-scoring --host http://127.0.0.1:8080
"""


@click.command("rollout", epilog=EPILOG)
@options.stack
@click.option("--endpoint", required=True, metavar="NAME", help="The endpoint whose declared rollout to carry out.")
@click.option(
    "--timeout",
    type=float,
    callback=lambda ctx, param, value: None if value is None else options.seconds(ctx, param, value),
    default=None,
    help="Seconds for the whole rollout (default: every step baked twice, after a 20-minute update each). "
    "At the timeout the last proven step is restored.",
)
@click.option("--json", "json_file", type=click.Path(path_type=Path, dir_okay=False), help="Write the JSON report.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a Markdown summary with the rollout drawn (Mermaid); also appended to $GITHUB_STEP_SUMMARY.",
)
@click.option(
    "--metrics-window",
    type=float,
    callback=options.seconds,
    default=DEFAULT_METRICS_WINDOW_SECONDS,
    show_default=True,
    help="Seconds each metrics sample counts over, for samples without a timestamp (the service: a minute).",
)
@click.option(
    "--entity-label",
    default=DEFAULT_ENTITY_LABEL,
    show_default=True,
    help="The metrics label naming the served entity, where the service labels series by entity.",
)
@click.option(
    "--restore-seconds",
    type=float,
    callback=options.seconds,
    default=DEFAULT_RESTORE_SECONDS,
    show_default=True,
    help="After Ctrl-C, SIGTERM or the timeout: how long to wait for the last proven step to serve again.",
)
@options.workspace
def rollout(
    stack_dir: Path,
    endpoint: str,
    timeout: float | None,
    json_file: Path | None,
    junit_file: Path | None,
    summary_file: Path | None,
    metrics_window: float,
    entity_label: str,
    restore_seconds: float,
    profile: str | None,
    host: str | None,
    token: str | None,
) -> None:
    """Carry out the rollout the stack declares for ENDPOINT: the candidate proven on its own route at
    0%, then moved step by step, each step baked while its gates are evaluated; rolled back to the
    stable entity by itself when the gates fail.

    Run it again to resume from the live split. Ctrl-C or SIGTERM restores the last proven step.

    \b
    Exit codes:
      0    completed: the candidate serves the last step
      1    rolled back (the stable entity serves 100% again), or it could not go on (the candidate
           failed at 0%, an update failed, someone else changed the traffic, the timeout)
      2    bad options or stack, no rollout declared, an unwritable report path, no workspace,
           credentials rejected
      3    completed, but a report could not be written
      4    not completed, and a report could not be written
      130  interrupted (Ctrl-C): the last proven step restored, the reports written
      143  terminated (SIGTERM): the same
    """
    logging.getLogger("databricks.sdk").setLevel(logging.ERROR)
    redactor = Redactor([token])
    files = report_files(json_file, junit_file, summary_file)
    problems = unwritable(files) or remove_previous(files)
    if problems:
        for problem in problems:
            click.echo(redactor.clean(f"Error: cannot write a report: {problem}"), err=True)
        sys.exit(EXIT_SETUP)
    options = RolloutOptions(
        timeout=timeout, metrics_window=metrics_window, entity_label=entity_label, restore_seconds=restore_seconds
    )
    watch = SignalWatch()
    with watch.installed():
        try:
            with watch.arm():
                report = run_rollout(
                    stack_dir,
                    endpoint,
                    host=host,
                    token=token,
                    profile=profile,
                    timeout=timeout,
                    options=options,
                    echo=lambda line: click.echo(line),
                    redactor=redactor,
                )
        except SetupError as error:
            click.echo(redactor.clean(f"Error: {error}"), err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted before the rollout started: nothing was changed.", err=True)
            sys.exit(watch.exit_code)
        if report.outcome == "interrupted":
            report.signal_exit_code = watch.exit_code
        click.echo("")
        print_summary(report, redactor, echo=click.echo)
        failures = write_all(report, files, redactor)
    for failure in failures:
        click.echo(f"Error: cannot write a report: {failure}", err=True)
    sys.exit(report_exit_code(report.exit_code, failures))
