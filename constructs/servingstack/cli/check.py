"""`servingstack check`: a thin command line over `run_check` and the report writers.

Its own imports are light: the reports of an earlier run are removed and the signal watch is
armed before `run_check` (and with it the Databricks SDK, a second or more of imports) loads, so
Ctrl-C or SIGTERM at any instant ends with 130 or 143 and a report of this run, or none.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from servingstack.check import table
from servingstack.check.report_files import report_files
from servingstack.check.results import DEFAULT_TIMEOUT_SECONDS, EXIT_SETUP, CheckReport, interrupted_before_start
from servingstack.cli import options
from servingstack.client.errors import SetupError
from servingstack.client.redact import Redactor
from servingstack.client.reports import exit_code as report_exit_code
from servingstack.client.reports import remove_previous, unwritable, write_all
from servingstack.client.signals import SignalWatch, process_watch

EPILOG = """\b
Examples:
  servingstack check --stack cdktf.out/stacks/prod --json reports/check.json --junit reports/junit.xml
  servingstack check --stack cdktf.out/stacks/dev --host http://127.0.0.1:8080 --timeout 120 --no-query
"""


@click.command("check", epilog=EPILOG)
@options.stack
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="NAME",
    help="Check only this endpoint (repeatable). Default: every endpoint of the stack.",
)
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="NAME",
    help="Check this app (repeatable). Default: every app of the stack, unless --endpoint narrows the check.",
)
@click.option(
    "--timeout",
    type=float,
    callback=options.seconds,
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds for the whole run, from the first connection attempt: a hard deadline.",
)
@click.option("--no-query", is_flag=True, help="Skip the smoke queries.")
@click.option(
    "--queries",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Smoke queries per endpoint; with more than one, p50 and p95 latency are reported.",
)
@click.option("--stream", is_flag=True, help="Also check a streamed answer (chat and completions endpoints).")
@click.option("--json", "json_file", type=click.Path(path_type=Path, dir_okay=False), help="Write the JSON report.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path, dir_okay=False), help="Write JUnit XML.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set).",
)
@click.option(
    "--strict-permissions",
    is_flag=True,
    help="A live grant the stack does not declare (the next apply removes it) fails the endpoint; default: a warning.",
)
@options.workspace
def check(
    stack_dir: Path,
    endpoints: tuple[str, ...],
    apps: tuple[str, ...],
    timeout: float,
    no_query: bool,
    queries: int,
    stream: bool,
    json_file: Path | None,
    junit_file: Path | None,
    summary_file: Path | None,
    strict_permissions: bool,
    profile: str | None,
    host: str | None,
    token: str | None,
) -> None:
    """Check a deployed stack: every endpoint READY, as declared, every served entity answering,
    its declared expectations met and its grants in effect; every app running, as declared, its
    service principal granted every endpoint it declares.

    Reads only the stack directory written by synth, and the workspace through the
    Databricks SDK (unified auth: DATABRICKS_HOST / DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID /
    DATABRICKS_CLIENT_SECRET for OAuth M2M, --profile, ~/.databrickscfg, or --host and --token).
    A stack that declares its host is checked there; a host for another workspace is refused.
    Route-optimized endpoints are queried on their route-optimized URL, which takes only OAuth
    tokens: with a personal access token their queries fail, saying so.

    \b
    Exit codes:
      0    every endpoint and app passed
      1    at least one endpoint or app failed (not ready or not running, drifted, an entity
           did not answer, an expectation unmet, a declared grant missing)
      2    bad options or stack directory, an unwritable report path, no workspace configured,
           a host for another workspace than the stack declares, a host that does not
           resolve, refuses or does not answer (in full, by the deadline), credentials rejected
      3    every endpoint passed, but a report could not be written
      4    an endpoint failed, and a report could not be written
      130  interrupted (Ctrl-C): the results so far are still printed and written
      143  terminated (SIGTERM, e.g. a cancelled CI job): the same
    """
    # The SDK's warnings (e.g. a host without discovery metadata) are noise in a report.
    logging.getLogger("databricks.sdk").setLevel(logging.ERROR)
    redactor = Redactor([token])  # run_check adds a token found in the environment or a profile
    started_at, started = datetime.now(UTC).isoformat(timespec="seconds"), time.monotonic()
    files = report_files(json_file, junit_file, summary_file)
    # Before any waiting: a long check must not end in a lost report, nor leave an old one behind.
    problems = unwritable(files) or remove_previous(files)
    if problems:
        for problem in problems:
            click.echo(redactor.clean(f"Error: cannot write a report: {problem}"), err=True)
        sys.exit(EXIT_SETUP)
    watch = process_watch() or SignalWatch()
    with watch.installed():
        report: CheckReport
        try:
            with watch.arm():
                from servingstack.check.runner import run_check  # the SDK: interruptible from here on

                report = run_check(
                    stack_dir,
                    host=host,
                    token=token,
                    profile=profile,
                    endpoints=list(endpoints) or None,
                    apps=list(apps) or None,
                    timeout=timeout,
                    query=not no_query,
                    queries=queries,
                    stream=stream,
                    progress="auto",
                    redactor=redactor,
                    strict_permissions=strict_permissions,
                )
        except SetupError as error:
            click.echo(redactor.clean(f"Error: {error}"), err=True)
            sys.exit(watch.exit_code if watch.received is not None else error.exit_code)
        except KeyboardInterrupt:  # while starting (importing, reading the stack): every endpoint not checked
            report = interrupted_before_start(
                stack_dir, list(endpoints) or None, timeout, started_at, time.monotonic() - started
            )
            click.echo("Interrupted before any endpoint was checked.", err=True)
        table.print_report(report, redactor=redactor)
        failures = write_all(report, files, redactor)
    for failure in failures:
        click.echo(f"Error: cannot write a report: {failure}", err=True)
    # A signal decides the exit code, whenever it came (even while the reports were written).
    code = watch.exit_code if report.interrupted or watch.received is not None else report.exit_code
    if failures:
        verdict = {
            "pass": "every endpoint passed",
            "fail": "an endpoint failed",
            "interrupted": "the check was interrupted",
        }[report.status]
        click.echo(f"The check itself is done: {verdict}; the other reports were written.", err=True)
    sys.exit(report_exit_code(code, failures))
