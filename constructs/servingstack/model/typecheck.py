"""Type checks for props, before any rule runs: a dict where an `AiGateway` belongs, `None` as a
name, a misspelt keyword argument. Each becomes a `Problem` naming the field and the type that
was expected, instead of an `AttributeError` deep inside `to_api()` or an endpoint called
`dev-None`.

`@typed` makes a dataclass value type refuse unknown and missing arguments as it is made;
`value_problems` and `unknown_arguments` serve the constructs, which add their construct path.
Messages name types, never a string's value (it might be a secret).
"""

from __future__ import annotations

import collections.abc
import difflib
import functools
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from servingstack.errors import Problem, ValidationError

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
# Classes checked by `@typed`: they name what a Protocol (such as `ServedEntity`) accepts.
_TYPED: list[type] = []
T = TypeVar("T", bound=type)


def typed(cls: T) -> T:
    """Class decorator for a dataclass value type: an unknown keyword argument (with the close
    match), a missing or an extra argument raise one `ValidationError` for the class, with the
    caller's file and line, instead of Python's TypeError. The types of the fields are checked
    where the value is used, by the construct, which can name its path (`model/spec.py`)."""
    _TYPED.append(cls)
    return _check_arguments(cls, lambda args, kwargs: _where(cls))


def typed_at(location: Callable[[tuple[Any, ...], dict[str, Any]], str]) -> Callable[[T], T]:
    """`typed` for a class whose errors name another place (a construct names its path):
    `location(args, kwargs)` says where, from the arguments of the call."""
    return lambda cls: _check_arguments(cls, location)


def _check_arguments(cls: T, location: Callable[[tuple[Any, ...], dict[str, Any]], str]) -> T:
    # `cls` is typed as an instance of `type`, whose `__init__` mypy would read as `type.__init__`:
    # as a class object its own `__init__` is the one replaced here.
    klass: type[Any] = cls
    init: Callable[..., None] = klass.__init__
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        problems = _argument_problems(cls, init, signature, args, kwargs)
        if problems:
            raise ValidationError(location(args, kwargs), problems)
        init(self, *args, **kwargs)

    klass.__init__ = __init__
    return cls


def unknown_arguments(given: Iterable[str], known: Sequence[str], owner: str) -> list[Problem]:
    """A problem per keyword argument that `owner` does not take, with the close match if any."""
    problems = []
    for name in given:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {', '.join(known)}"
        problems.append(Problem(name, f"is not an argument of {owner}{hint}"))
    return problems


def call_problems(
    function: Callable[..., Any], arguments: Mapping[str, Any], *, skip: Sequence[str] = ("self", "scope")
) -> list[Problem]:
    """Type problems of keyword `arguments` against `function`'s annotations."""
    hints = typing.get_type_hints(function)
    return [
        p
        for name, value in arguments.items()
        if name in hints and name not in skip
        for p in value_problems(value, hints[name], name)
    ]


def value_problems(value: Any, hint: Any, field: str) -> list[Problem]:
    """Every place where `value` is not of type `hint`, named from `field` down (`rate_limits[0]`)."""
    if _matches(value, hint):
        return []
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if _is_union(hint):
        # A container that fits one alternative's outer type: report inside it, where it went wrong.
        outer = [a for a in args if _outer_matches(value, a)]
        if len(outer) == 1 and typing.get_origin(outer[0]) is not None:
            return value_problems(value, outer[0], field)
    elif _is_mapping(origin) and isinstance(value, collections.abc.Mapping) and len(args) == 2:
        problems = []
        for key, item in value.items():
            if not _matches(key, args[0]):
                problems.append(Problem(field, f"keys must be {describe(args[0])}, got {_got(key)}"))
            problems += value_problems(item, args[1], f"{field}[{key!r}]")
        return problems
    elif _is_sequence(origin) and _is_list(value) and args:
        return [p for index, item in enumerate(value) for p in value_problems(item, args[0], f"{field}[{index}]")]
    return [Problem(field, f"expected {describe(hint)}, got {_got(value)}")]


def describe(hint: Any, plural: bool = False) -> str:
    """A type as a user reads it: `str`, `a list of RateLimit`, `AiGateway or None`."""
    if hint is Any:
        return "any value"
    if hint is type(None) or hint is None:
        return "None"
    if _is_union(hint):
        names = [describe(a) for a in typing.get_args(hint)]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if _is_mapping(origin):
        return f"a dict of {describe(args[0])} to {describe(args[1])}" if len(args) == 2 else "a dict"
    if _is_sequence(origin):
        return f"a list of {describe(args[0], plural=True)}" if args and args[0] is not Any else "a list"
    if _is_protocol(hint):
        # `ServedEntity` -> "a served entity (FoundationModel, ..., or ExternalModel)"
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", hint.__name__).lower()
        if plural:
            return re.sub(r"y$", "ie", words) + "s"
        names = [c.__name__ for c in _TYPED if _has_members(c, hint)]
        listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        article = "an" if words[0] in "aeiou" else "a"
        return f"{article} {words} ({listed})" if listed else f"{article} {words}"
    return getattr(hint, "__name__", str(hint))


# ---- matching ------------------------------------------------------------------------------


def _matches(value: Any, hint: Any) -> bool:
    if hint is Any or isinstance(hint, TypeVar):
        return True
    if hint is type(None) or hint is None:
        return value is None
    if _is_union(hint):
        return any(_matches(value, a) for a in typing.get_args(hint))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return value in args
    if _is_mapping(origin):
        return isinstance(value, collections.abc.Mapping) and (
            len(args) != 2 or all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
        )
    if _is_sequence(origin):
        return _is_list(value) and (not args or all(_matches(item, args[0]) for item in value))
    if origin is not None:  # another generic: its outer type is as far as this goes
        return isinstance(value, origin) if isinstance(origin, type) else True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:  # True is an int to Python, never a count to a user
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if _is_protocol(hint):
        return _has_members(type(value), hint)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _outer_matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if _is_mapping(origin):
        return isinstance(value, collections.abc.Mapping)
    if _is_sequence(origin):
        return _is_list(value)
    return False


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _is_mapping(origin: Any) -> bool:
    return origin in (collections.abc.Mapping, dict, collections.abc.MutableMapping)


def _is_sequence(origin: Any) -> bool:
    return origin in (collections.abc.Sequence, list, tuple, collections.abc.MutableSequence)


def _is_list(value: Any) -> bool:
    # A string is a sequence to Python, but `invalid_keywords="password"` is a mistake, not 8 keywords.
    return isinstance(value, (list, tuple))


def _is_protocol(hint: Any) -> bool:
    return isinstance(hint, type) and getattr(hint, "_is_protocol", False)


def _has_members(cls: type, protocol: type) -> bool:
    return all(hasattr(cls, name) for name in _protocol_members(protocol))


@functools.cache
def _protocol_members(protocol: type) -> tuple[str, ...]:
    names = {n for n in vars(protocol) if not n.startswith("_")} | set(getattr(protocol, "__annotations__", {}))
    return tuple(sorted(names))


def _got(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float)):
        return f"{type(value).__name__} {value!r}" if value is not None else "None"
    return type(value).__name__


# ---- arguments and places ------------------------------------------------------------------


def _argument_problems(
    cls: type, init: Callable[..., Any], signature: inspect.Signature, args: tuple, kwargs: dict
) -> list[Problem]:
    parameters = [
        name
        for name, p in signature.parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    # Arguments a class knows it lacks, with the reason (`ProvisionedThroughputEndpoint(description=...)`).
    unsupported: Mapping[str, str] = getattr(cls, "unsupported_arguments", {})
    problems = [Problem(name, unsupported[name]) for name in kwargs if name in unsupported]
    problems += unknown_arguments([name for name in kwargs if name not in unsupported], parameters, cls.__name__)
    if problems:
        # With the wrong types of the arguments it does take: every mistake of the call at once.
        known = {name: value for name, value in kwargs.items() if name in parameters}
        return problems + call_problems(init, known)
    try:
        signature.bind(None, *args, **kwargs)
    except TypeError:
        bound = dict(zip(parameters, args)) | kwargs
        missing = [
            name
            for name in parameters
            if name not in bound and signature.parameters[name].default is inspect.Parameter.empty
        ]
        if missing:
            return [Problem(name, "is required") for name in missing]
        positional = [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        return [Problem("", f"{cls.__name__} takes at most {len(positional)} positional arguments, got {len(args)}")]
    return []


def _where(cls: type) -> str:
    return caller_location(cls.__name__)


def caller_location(what: str) -> str:
    """`CustomModel (main.py, line 12)`: `what` and the first caller outside this package."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return what
    return f"{what} ({_short(frame.f_code.co_filename)}, line {frame.f_lineno})"


def _short(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename
