"""`servingstack check`: a thin command line over `run_check` and the report writers."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import junit, markdown, report_json, table
from .errors import SetupError
from .redact import Redactor
from .results import EXIT_INTERRUPTED, EXIT_SETUP
from .runner import DEFAULT_TIMEOUT_SECONDS, run_check


@click.command("check")
@click.option("--stack", "stack_dir", required=True, type=click.Path(path_type=Path),
              help="The synthesized stack directory, e.g. cdktf.out/stacks/prod.")
@click.option("--endpoint", "endpoints", multiple=True, metavar="NAME",
              help="Check only this endpoint (repeatable). Default: every endpoint of the stack.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT_SECONDS,
              show_default=True, help="Seconds to wait for all endpoints to be ready.")
@click.option("--no-query", is_flag=True, help="Skip the smoke queries.")
@click.option("--queries", type=click.IntRange(min=1), default=1, show_default=True,
              help="Smoke queries per endpoint; with more than one, p50 and p95 latency are reported.")
@click.option("--stream", is_flag=True, help="Also check a streamed answer (chat and completions endpoints).")
@click.option("--json", "json_file", type=click.Path(path_type=Path, dir_okay=False), help="Write the JSON report.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML.")
@click.option("--summary", "summary_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set).")
@click.option("--strict-permissions", is_flag=True,
              help="A live grant the stack does not declare (the next apply removes it) fails the endpoint; "
                   "default: a warning.")
@click.option("--profile", help="A profile of ~/.databrickscfg.")
@click.option("--host", help="Workspace URL (default: DATABRICKS_HOST or the profile).")
@click.option("--token", help="Personal access token (default: DATABRICKS_TOKEN or the profile).")
def check(stack_dir: Path, endpoints: tuple[str, ...], timeout: float, no_query: bool, queries: int, stream: bool,
          json_file: Path | None, junit_file: Path | None, summary_file: Path | None, strict_permissions: bool,
          profile: str | None, host: str | None, token: str | None) -> None:
    """Check a deployed stack: every endpoint READY, as declared, every served entity answering,
    its declared expectations met and its grants in effect.

    Reads only the stack directory written by synth, and the workspace through the
    Databricks SDK (unified auth: DATABRICKS_HOST / DATABRICKS_TOKEN, --profile,
    ~/.databrickscfg, or --host and --token).

    \b
    Exit codes:
      0    every endpoint passed
      1    at least one endpoint failed (not ready, drifted, an entity did not answer, an
           expectation unmet, a declared grant missing)
      2    bad options or stack directory, no workspace configured, credentials rejected
      130  interrupted (Ctrl-C): the results so far are still printed and written
    """
    # The SDK's warnings (e.g. a host without discovery metadata) are noise in a report.
    logging.getLogger("databricks.sdk").setLevel(logging.ERROR)
    redactor = Redactor([token])  # run_check adds a token found in the environment or a profile
    try:
        report = run_check(stack_dir, host=host, token=token, profile=profile, endpoints=list(endpoints) or None,
                           timeout=timeout, query=not no_query, queries=queries, stream=stream, progress="auto",
                           redactor=redactor, strict_permissions=strict_permissions)
    except SetupError as error:
        click.echo(redactor.clean(f"Error: {error}"), err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:  # before any endpoint was looked at; later ones are in the report
        click.echo("Interrupted before any endpoint was checked.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    table.print_report(report, redactor=redactor)
    try:
        if json_file:
            report_json.write(report, json_file, redactor)
        if junit_file:
            junit.write(report, junit_file, redactor)
        markdown.write(report, summary_file, redactor)
    except OSError as error:
        click.echo(redactor.clean(f"Error: cannot write a report: {error}"), err=True)
        sys.exit(EXIT_SETUP)
    sys.exit(report.exit_code)
