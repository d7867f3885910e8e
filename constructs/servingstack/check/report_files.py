"""The report files of one check (`--json`, `--junit`, `--summary`, `$GITHUB_STEP_SUMMARY`), on the
tools' shared report-file handling (`client/reports.py`): checked for writability before anything
waits, and written each on its own at the end."""

from __future__ import annotations

from pathlib import Path

from servingstack.check import junit, markdown, report_json
from servingstack.check.results import CheckReport
from servingstack.client import reports
from servingstack.client.redact import Redactor
from servingstack.client.reports import (
    EXIT_FAILED_REPORT_FAILED,
    EXIT_PASSED_REPORT_FAILED,
    ReportFile,
    unwritable,
    write_all,
    write_text,
)

__all__ = [
    "EXIT_FAILED_REPORT_FAILED",
    "EXIT_PASSED_REPORT_FAILED",
    "ReportFile",
    "exit_code",
    "report_files",
    "unwritable",
    "write_all",
]


def report_files(
    json_file: Path | None, junit_file: Path | None, summary_file: Path | None
) -> list[ReportFile[CheckReport]]:
    files: list[ReportFile[CheckReport]] = []
    if json_file:
        files.append(ReportFile("--json", json_file, report_json.write))
    if junit_file:
        files.append(ReportFile("--junit", junit_file, junit.write))
    if summary_file:
        files.append(ReportFile("--summary", summary_file, _summary))
    step_summary = reports.step_summary(markdown.render)
    if step_summary is not None:
        files.append(step_summary)
    return files


def _summary(report: CheckReport, path: Path, redactor: Redactor) -> None:
    write_text(path, markdown.render(report, redactor))


def exit_code(check_exit_code: int, failures: list[str]) -> int:
    """The check's own exit code, or one that says both: how it went, and that a report is missing."""
    return reports.exit_code(check_exit_code, failures)
