"""Synthesize an app into `cdktf.out` all or nothing.

The app is synthesized into a staging directory beside the output directory, and
only a complete synthesis replaces the previous output: a stack with a mistake, one
that fails its policy, an exception in the app's own code, an app without stacks, or
Ctrl-C / SIGTERM leaves the last good `cdktf.out` as it was and exits non-zero with
the message, no traceback of servingstack's or jsii's insides.

While the app is built, a construct with problems does not stop the build (cdk/problems.py): the
next ones are checked too, and every construct's problems of the whole app are listed in one run.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
import sysconfig
import tempfile
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.policy import Policy, enforce
from servingstack.cdk.problems import AppProblems, collecting
from servingstack.cdk.synth_report import print_warnings, warning_entries, write_synth_report
from servingstack.errors import ValidationError
from servingstack.policy.errors import PolicyError

DEFAULT_OUTDIR = "cdktf.out"
# Exit codes of a process ended by SIGINT / SIGTERM, as shells report them (128 + signal number).
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
_USER_FRAMES_SHOWN = 5


class Interrupted(BaseException):
    """SIGINT or SIGTERM during a synthesis (a BaseException, like KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def synthesize(build: Callable[[_cdk.Construct], None], outdir: str | os.PathLike[str] | None = None) -> int:
    """Build the app with `build(app)`, synthesize, and swap the result into place.

    Returns the process exit code: 0; 1 with the problems printed on stderr; 130 or 143 when
    interrupted by SIGINT (Ctrl-C) or SIGTERM. `outdir` defaults to `$CDKTF_OUTDIR` (set by
    `cdktf synth`), else `cdktf.out`. Every stack's policy (see `Policy.apply`) is checked before
    anything is synthesized: error findings of all stacks are listed at once. An exception raised
    by `build` itself is reported with its type, message and the app's own frames (file and line).
    The synth's warnings (policy warnings, Python warnings of the app) are printed together at the
    end, and with every stack's policy results written to `servingstack-synth.json` beside the
    output directory, also when the policy fails the synth (see `cdk/synth_report.py`).
    """
    if not callable(build):
        print(
            f"error: synthesize(build) takes the function that builds the app, build(app); got "
            f"{type(build).__name__} (pass `build`, not `build()`)",
            file=sys.stderr,
        )
        return 1
    target = Path(outdir or os.environ.get("CDKTF_OUTDIR") or DEFAULT_OUTDIR).resolve()
    staging: Path | None = None
    try:
        with _signals_raise():
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            # mkdtemp makes it 0700 (private); cdktf.out is an ordinary directory.
            staging.chmod(0o777 & ~_umask())
            built: list[Any] = []  # the app, once made
            with warnings.catch_warnings(record=True) as caught:
                code = _synth_into(build, staging, built)
            _summarize(target, code, built, caught)
            if code != 0:
                shutil.rmtree(staging, ignore_errors=True)
                return code
        with _signals_deferred() as received:
            _replace(target, staging)
        if received:
            return _interrupted(received[0], f"after {target.name} was written")
        return 0
    except OSError as error:  # the output directory cannot be written
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        print(f"error: cannot write {_relative(str(target))}: {error.strerror or error}", file=sys.stderr)
        return 1
    except Interrupted as interruption:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        return _interrupted(interruption.signum, f"{target.name} was left as it was")


def _summarize(target: Path, code: int, built: list[Any], caught: list[warnings.WarningMessage]) -> None:
    """The synth report beside the output, and every warning once, at the end."""
    if not built:
        for caught_warning in caught:  # the app was not even made: show them as Python would
            warnings.showwarning(
                caught_warning.message, caught_warning.category, caught_warning.filename, caught_warning.lineno
            )
        return
    policies = [Policy.of(stack) for stack in _cdk.children(built[0])]
    results = [p.result for p in policies if p is not None and p.result is not None]
    status = "ok" if code == 0 else "policy-failed" if any(r.errors for r in results) else "failed"
    entries = warning_entries(results, list(caught))
    print_warnings(entries, write_synth_report(target, status, results, entries), sys.stderr)


def _synth_into(build: Callable[[_cdk.Construct], None], staging: Path, built: list[Any]) -> int:
    try:
        app = _cdk.App(outdir=str(staging))
        built.append(app)
        with collecting() as problems:
            try:
                build(app)
            except Interrupted:
                raise
            except PolicyError:  # a policy the app applies wrongly: listed after the constructs' problems
                _print_recorded(problems)
                raise
            except ValidationError as error:  # raised outside a constructor: a value type, a suppression
                return _report(problems, error)
            except Exception as error:
                frames = _user_frames(error)
                if frames:
                    _report(problems)
                    _print_user_error(error, frames)
                    return 1
                raise
        if problems:
            return _report(problems)
        if not any(isinstance(child, _cdk.TerraformStack) for child in _cdk.children(app)):
            print(
                "error: the app has no stack: build(app) must create at least one ServingStack(app, ...); "
                "the previous output was left as it was",
                file=sys.stderr,
            )
            return 1
        enforce(app, io.StringIO())  # the warnings are printed at the end, all together (_summarize)
        app.synth()
    except (ValidationError, PolicyError) as error:
        _print_problem(error, _user_frames(error))
        return 1
    except Interrupted:
        raise
    except Exception as error:  # a synth failure reported by cdktf (e.g. error annotations)
        frames = _user_frames(error)
        if frames:
            _print_user_error(error, frames)
        else:
            print(f"error: synthesis failed: {_first_lines(str(error))}", file=sys.stderr)
        return 1
    return 0


def _report(problems: AppProblems, raised: ValidationError | None = None) -> int:
    """Every construct's problems, each with where the app declared it, then the one raised (if any)."""
    _print_recorded(problems)
    if raised is not None:
        _print_problem(raised, _user_frames(raised))
    count = len(problems.recorded) + (raised is not None)
    if count > 1:
        print(f"error: {count} constructs have problems; nothing was written", file=sys.stderr)
    return 1


def _print_recorded(problems: AppProblems) -> None:
    for entry in problems.recorded.values():
        _print_problem(entry.error, [f for f in entry.stack if _is_user_frame(f)])


def _print_problem(error: ValidationError | PolicyError, frames: list[traceback.FrameSummary]) -> None:
    print(f"error: {error}", file=sys.stderr)
    where = frames[-1] if frames else None
    # Where in the app the construct was declared (a value type's error names its line already).
    if where and f"{_relative(where.filename)}, line {where.lineno})" not in getattr(error, "path", ""):
        print(f"  (declared at {_relative(where.filename)}, line {where.lineno}, in {where.name})", file=sys.stderr)


def _replace(target: Path, staging: Path) -> None:
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


def _first_lines(message: str, count: int = 20) -> str:
    """jsii errors carry a JavaScript stack after the message; users need the message."""
    lines = [line for line in message.splitlines() if not line.lstrip().startswith("at ")]
    return "\n".join(lines[:count])


# ---- the app's own exceptions --------------------------------------------------------------

_NOT_USER_CODE = tuple(
    str(Path(p).resolve())
    for p in {
        os.path.dirname(os.path.dirname(__file__)),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
)


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the traceback that are the app's code: not servingstack, the standard library
    or installed packages (cdktf, jsii)."""
    return [f for f in traceback.extract_tb(error.__traceback__) if _is_user_frame(f)]


def _is_user_frame(frame: traceback.FrameSummary) -> bool:
    return not frame.filename.startswith("<") and not str(Path(frame.filename).resolve()).startswith(_NOT_USER_CODE)


def _print_user_error(error: BaseException, frames: list[traceback.FrameSummary]) -> None:
    for frame in frames:
        frame.filename = _relative(frame.filename)
    message = str(error)
    print(f"error: the app raised {type(error).__name__}{': ' + message if message else ''}", file=sys.stderr)
    print("".join(traceback.format_list(frames[-_USER_FRAMES_SHOWN:])).rstrip("\n"), file=sys.stderr)


def _relative(filename: str) -> str:
    """Relative to the working directory when inside it: what a user would type."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


# ---- signals -------------------------------------------------------------------------------


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Interrupted`, so the staging directory is removed on the way out
    (Python's default for SIGTERM ends the process on the spot, leaving it behind)."""

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    with _handlers(handler):
        yield


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """While cdktf.out is swapped, a signal is only noted: the swap is two renames that belong together."""
    received: list[int] = []
    with _handlers(lambda signum, frame: received.append(signum)):
        yield received


@contextlib.contextmanager
def _handlers(handler: Callable[[int, object], None]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in EXIT_CODES}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _interrupted(signum: int, what: str) -> int:
    print(f"\ninterrupted ({signal.Signals(signum).name}): synthesis stopped; {what}", file=sys.stderr)
    return EXIT_CODES[signal.Signals(signum)]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
