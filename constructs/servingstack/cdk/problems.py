"""Every construct's problems in one run: while `synthesize()` builds an app, a construct whose
props are wrong does not stop the build. Its `ValidationError` is recorded here, the construct
becomes a stand-in that builds nothing (see `base.Refusable`), and the next construct is checked;
`synthesize()` then lists every problem of the whole app and writes nothing.

Outside `synthesize()` nothing is recorded: a construct raises its `ValidationError` at once, as a
Python object would. (A context variable rather than an attribute of the app: a construct finds it
without a jsii call to reach the root of its tree.)
"""

from __future__ import annotations

import contextlib
import contextvars
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field

from servingstack.errors import Problem, ValidationError


@dataclass
class Recorded:
    """The problems of one construct path, and the call stack where the first was found."""

    path: str
    problems: list[Problem]
    stack: list[traceback.FrameSummary]

    @property
    def error(self) -> ValidationError:
        return ValidationError(self.path, self.problems)


@dataclass
class AppProblems:
    """The problems of an app's constructs, by construct path, in the order they were found."""

    recorded: dict[str, Recorded] = field(default_factory=dict)

    def record(self, error: ValidationError) -> None:
        """Add `error`'s problems to those of its path (one path, one entry: a broken endpoint and a
        bad grant on it are one list)."""
        known = self.recorded.get(error.path)
        if known is None:
            self.recorded[error.path] = Recorded(error.path, list(error.problems), list(traceback.extract_stack())[:-2])
            return
        known.problems += [p for p in error.problems if p not in known.problems]

    @property
    def errors(self) -> list[ValidationError]:
        return [entry.error for entry in self.recorded.values()]

    def __bool__(self) -> bool:
        return bool(self.recorded)


_CURRENT: contextvars.ContextVar[AppProblems | None] = contextvars.ContextVar("servingstack_problems", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[AppProblems]:
    """Record constructs' problems instead of raising them, for the duration of the block."""
    problems = AppProblems()
    token = _CURRENT.set(problems)
    try:
        yield problems
    finally:
        _CURRENT.reset(token)


def is_collecting() -> bool:
    return _CURRENT.get() is not None


def refuse(error: ValidationError) -> None:
    """Report `error`: raise it, or, while `synthesize()` builds, record it and return so the caller
    goes on without building what it refused."""
    problems = _CURRENT.get()
    if problems is None:
        raise error
    problems.record(error)


def refuse_problems(path: str, problems: list[Problem]) -> bool:
    """`refuse(ValidationError(path, problems))` when there are problems; True when there were."""
    if problems:
        refuse(ValidationError(path, problems))
    return bool(problems)
