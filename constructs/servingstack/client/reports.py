"""The report files of one run of a tool (`check`, `plan`, ...): `--json`, `--summary`, ... and
`$GITHUB_STEP_SUMMARY`. They are checked for writability before anything waits, and written each
on its own at the end, so one that fails never stops the others nor hides the run's own result.

Any report object will do: each file carries the function that renders and writes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from servingstack.client.redact import Redactor

R = TypeVar("R")

# A report that could not be written: the exit code still says how the run went.
EXIT_PASSED_REPORT_FAILED = 3
EXIT_FAILED_REPORT_FAILED = 4
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True)
class ReportFile(Generic[R]):
    option: str  # how the user named it, for messages: "--json"
    path: Path
    write: Callable[[R, Path, Redactor], None]


def write_text(path: str | Path, text: str) -> None:
    """Write a report file; the directory a user names (`--json reports/check.json`) is created."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def step_summary(render: Callable[[R, Redactor], str]) -> ReportFile[R] | None:
    """`$GITHUB_STEP_SUMMARY` (GitHub Actions' job summary), appended to, when it is set."""
    path = os.environ.get(STEP_SUMMARY_ENV)
    if not path:
        return None

    def append(report: R, target: Path, redactor: Redactor) -> None:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(render(report, redactor) + "\n")

    return ReportFile(f"${STEP_SUMMARY_ENV}", Path(path), append)


def unwritable(files: list[ReportFile[R]]) -> list[str]:
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


def write_all(report: R, files: list[ReportFile[R]], redactor: Redactor) -> list[str]:
    """Write every file; return why each failed one failed (the others are written regardless)."""
    failures = []
    for file in files:
        try:
            file.write(report, file.path, redactor)
        except OSError as error:
            failures.append(redactor.clean(f"{file.option} {file.path}: {error.strerror or error}"))
    return failures


def exit_code(run_exit_code: int, failures: list[str], passed: tuple[int, ...] = (0,)) -> int:
    """The run's own exit code, or one that says both: how it went, and that a report is missing.
    `passed` are the codes that mean "no problem found" (they become 3; a 1 becomes 4)."""
    if not failures:
        return run_exit_code
    if run_exit_code in passed:
        return EXIT_PASSED_REPORT_FAILED
    if run_exit_code == 1:
        return EXIT_FAILED_REPORT_FAILED
    return run_exit_code  # interrupted (130/143) stays what it is; the message says the rest
