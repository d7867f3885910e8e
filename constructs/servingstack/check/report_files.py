"""The report files of one run (`--json`, `--junit`, `--summary`, `$GITHUB_STEP_SUMMARY`):
checked for writability before anything waits, the previous run's removed before this one
starts (a report on disk is always this run's), and written each on its own at the end,
atomically (`check.output`), so one that fails never stops the others nor hides the check's
own result."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from servingstack.check import junit, markdown, report_json
from servingstack.check.output import append_text, write_text
from servingstack.check.results import CheckReport
from servingstack.client.redact import Redactor

# A report that could not be written: the exit code still says how the check went.
EXIT_PASSED_REPORT_FAILED = 3
EXIT_FAILED_REPORT_FAILED = 4


@dataclass(frozen=True)
class ReportFile:
    option: str  # how the user named it, for messages: "--json"
    path: Path
    write: Callable[[Any, Path, Redactor], None]  # the report of the run (a check's, a rollout's)


def report_files(json_file: Path | None, junit_file: Path | None, summary_file: Path | None) -> list[ReportFile]:
    files = []
    if json_file:
        files.append(ReportFile("--json", json_file, report_json.write))
    if junit_file:
        files.append(ReportFile("--junit", junit_file, junit.write))
    if summary_file:
        files.append(ReportFile("--summary", summary_file, _summary))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        files.append(ReportFile("$GITHUB_STEP_SUMMARY", Path(step_summary), _append_summary))
    return files


def _summary(report: CheckReport, path: Path, redactor: Redactor) -> None:
    write_text(path, markdown.render(report, redactor))


def _append_summary(report: CheckReport, path: Path, redactor: Redactor) -> None:
    append_text(path, markdown.render(report, redactor) + "\n")


def remove_previous(files: list[ReportFile]) -> list[str]:
    """Remove the reports an earlier run left at these paths, so none of them can pass for this
    run's, however this run ends (killed included). `$GITHUB_STEP_SUMMARY` is appended to, not
    replaced: each run's block there carries its start time."""
    problems = []
    for file in files:
        if file.write is _append_summary:
            continue
        try:
            file.path.unlink(missing_ok=True)
        except OSError as error:
            problems.append(f"{file.option} {file.path}: cannot remove the previous report: {error.strerror or error}")
    return problems


def unwritable(files: list[ReportFile]) -> list[str]:
    """Why each file could not be written, found now (its directory is created; nothing is changed)."""
    problems = []
    for file in files:
        reason = _why_unwritable(file.path)
        if reason:
            problems.append(f"{file.option} {file.path}: {reason}")
    return problems


def _why_unwritable(path: Path) -> str | None:
    if path.is_dir():
        return "is a directory"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create its directory: {error.strerror or error}"
    try:
        if path.exists():
            with open(path, "a", encoding="utf-8"):  # opens for writing, changes nothing
                pass
        else:
            with open(path, "x", encoding="utf-8"):
                pass
            path.unlink()
    except OSError as error:
        return f"cannot be written: {error.strerror or error}"
    return None


def write_all(report: Any, files: list[ReportFile], redactor: Redactor) -> list[str]:
    """Write every file; return why each failed one failed (the others are written regardless)."""
    failures = []
    for file in files:
        try:
            file.write(report, file.path, redactor)
        except OSError as error:
            failures.append(redactor.clean(f"{file.option} {file.path}: {error.strerror or error}"))
    return failures


def exit_code(check_exit_code: int, failures: list[str]) -> int:
    """The check's own exit code, or one that says both: how it went, and that a report is missing."""
    if not failures or check_exit_code not in (0, 1):
        return check_exit_code  # interrupted (130/143) stays what it is; the message says the rest
    return EXIT_PASSED_REPORT_FAILED if check_exit_code == 0 else EXIT_FAILED_REPORT_FAILED
