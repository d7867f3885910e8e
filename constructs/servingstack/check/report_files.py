"""The report files of one check (`--json`, `--junit`, `--summary`, `$GITHUB_STEP_SUMMARY`); how
they are checked, cleared, written atomically and counted in the exit code is the tools' shared
report-file handling (`client/reports.py`)."""

from __future__ import annotations

from pathlib import Path

from servingstack.check import junit, markdown, report_json
from servingstack.check.results import CheckReport
from servingstack.client import reports
from servingstack.client.redact import Redactor
from servingstack.client.reports import ReportFile, write_text


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
