"""The report files of one run of a tool (`check`, `plan`, `rollout`): `--json`, `--junit`,
`--summary` and `$GITHUB_STEP_SUMMARY`. They are checked for writability before anything waits,
the previous run's are removed before this one starts (a report on disk is always this run's),
and each is written on its own at the end, atomically, so one that fails never stops the others
nor hides the run's own result.

Any report object will do: each file carries the function that renders and writes it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
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
    appended: bool = False  # others' blocks are in it too (the job summary): never removed nor replaced


def write_text(path: str | Path, text: str) -> None:
    """Write a report file atomically: a reader (a CI step, a person) sees the previous file or the
    whole new one, never half of one. It is written beside the target under a temporary name, then
    renamed over it; the directory a user names (`--json reports/check.json`) is created."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def append_text(path: str | Path, text: str) -> None:
    """Append `text` whole or not at all: a file others append to (`$GITHUB_STEP_SUMMARY`, which
    GitHub gives each step) cannot be replaced by a rename without losing what they wrote, so the
    block goes in one `write` in append mode, and a failed write is cut back to the file's size
    before it."""
    data = text.encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(descriptor).st_size
        written = 0
        try:
            while written < len(data):
                written += os.write(descriptor, data[written:])
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(descriptor, size)
            raise
    finally:
        os.close(descriptor)


def step_summary(render: Callable[[R, Redactor], str]) -> ReportFile[R] | None:
    """`$GITHUB_STEP_SUMMARY` (GitHub Actions' job summary), appended to, when it is set."""
    path = os.environ.get(STEP_SUMMARY_ENV)
    if not path:
        return None

    def append(report: R, target: Path, redactor: Redactor) -> None:
        append_text(target, render(report, redactor) + "\n")

    return ReportFile(f"${STEP_SUMMARY_ENV}", Path(path), append, appended=True)


def remove_previous(files: list[ReportFile[R]]) -> list[str]:
    """Remove the reports an earlier run left at these paths, so none of them can pass for this
    run's, however this run ends (killed included). `$GITHUB_STEP_SUMMARY` is appended to, not
    replaced: each run's block there carries its start time."""
    problems = []
    for file in files:
        if file.appended:
            continue
        try:
            file.path.unlink(missing_ok=True)
        except OSError as error:
            problems.append(f"{file.option} {file.path}: cannot remove the previous report: {error.strerror or error}")
    return problems


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
