"""What every servingstack construct shares: its path known in Python, construct ids that survive
as Terraform logical ids, and arguments checked before anything is built."""

from __future__ import annotations

import inspect
import os
import re
import sys
from typing import Any, TypeVar

from servingstack.cdk import engine as _cdk
from servingstack.cdk.problems import is_collecting, refuse
from servingstack.errors import Problem, ValidationError
from servingstack.model.typecheck import typed_at
from servingstack.policy.view import SourceLocation

T = TypeVar("T", bound=type)

# cdktf and cdktn drop every character outside these from a logical id (lib/private/unique.js,
# removeNonAlphanumericSep), so `模型` and `型模` would both become "": one resource, not two.
_KEPT = re.compile(r"[^A-Za-z0-9_-]")


def path_of(scope: Any) -> str:
    """The construct path, from Python where we know it, so errors need no jsii call."""
    known = getattr(scope, "path", None)
    if isinstance(known, str):
        return known
    return str(scope.node.path)


def _location(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    scope = args[0] if args else kwargs.get("scope")
    id = args[1] if len(args) > 1 else kwargs.get("id")
    try:
        parent = path_of(scope)
    except Exception:  # not a construct: the construct tree says so itself when it is built
        return str(id)
    return f"{parent}/{id}" if parent else str(id)


# Frames of these modules are the machinery between the app's call and the construct's __init__.
_MACHINERY = ("servingstack", "jsii", "constructs", "cdktf", "cdktn", "typing", "functools")


def declared_at() -> SourceLocation | None:
    """The app's line that is making the construct being built now: the first frame outside
    servingstack, jsii and the engine. Its file is relative to the working directory when inside
    it (what a repository-relative report wants), else absolute. Costs no jsii call."""
    frame = sys._getframe(1)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".")[0] not in _MACHINERY:
            filename = frame.f_code.co_filename
            if filename.startswith("<"):
                return None  # code without a file (python -c, exec of a string)
            return SourceLocation(relative_file(filename), frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def relative_file(filename: str) -> str:
    """`filename` relative to the working directory (with '/') when inside it, else absolute."""
    path = os.path.abspath(filename)
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if relative.startswith("..") else relative.replace(os.sep, "/")


def construct(cls: T) -> T:
    """Class decorator for a construct: a misspelt, missing or extra argument is one
    `ValidationError` named by the construct's path (`dev/chat: nmae: is not an argument of
    ServingEndpoint; did you mean 'name'?`), before anything is built. Static type checkers see
    the real signature."""
    checked = typed_at(_location)(cls)
    # jsii's metaclass defines `__call__(*args, **kwargs)`, which `inspect.signature` would report.
    # As a class object (not an instance of `type`), `__init__` is the construct's own to mypy.
    klass: type[Any] = cls
    init = inspect.signature(klass.__init__)
    checked.__signature__ = init.replace(parameters=list(init.parameters.values())[1:])  # type: ignore[attr-defined]
    return checked


def id_problems(id: Any) -> list[Problem]:
    """The construct id becomes a Terraform logical id (and output names): it must survive as one."""
    if not isinstance(id, str):
        return [Problem("id", f"expected str, got {type(id).__name__}")]
    kept = _KEPT.sub("", id)
    if not kept:
        return [
            Problem(
                "id",
                f"{id!r} has no ASCII letter, digit, '-' or '_': cdktf keeps only those in the "
                "Terraform logical id, so nothing would be left of it",
            )
        ]
    # Terraform identifiers start with a letter or '_', never a digit or '-'
    # (developer.hashicorp.com/terraform/language/syntax/configuration#identifiers).
    if not (kept[0].isalpha() or kept[0] == "_"):
        return [Problem("id", f"{id!r} makes the logical id {kept!r}: Terraform names start with a letter or '_'")]
    return []


# ---- every problem of an app in one run (see cdk/problems.py) --------------------------------


class Unbuilt(Exception):
    """Raised by a construct's constructor while `synthesize()` collects problems, once its own props
    are checked, when a construct it needs was refused: it becomes a stand-in too, with no problem of
    its own (the refused construct's problems say what is wrong)."""


def is_stand_in(value: Any) -> bool:
    """True for a construct that was refused (or depends on one) while problems were collected."""
    return getattr(value, "stand_in", False) is True


class Refusable(_cdk.ConstructMeta):
    """The metaclass of servingstack's constructs. While `synthesize()` collects problems, a
    constructor that raises `ValidationError` records it and returns a stand-in instead: an object
    of the class that is no node of the construct tree, holds what later code may read of it
    (`path`, names, grants) and builds nothing. A construct made inside a stand-in is a stand-in
    too, unchecked. Outside `synthesize()` the error is raised, as always."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        scope = args[0] if args else kwargs.get("scope")
        if not is_collecting():
            return super().__call__(*args, **kwargs)
        if not is_stand_in(scope):
            try:
                return super().__call__(*args, **kwargs)
            except ValidationError as error:
                refuse(error)
            except Unbuilt:
                pass
        klass: Any = cls
        stand_in: Any = object.__new__(klass)  # no jsii object: nothing of it reaches the engine
        stand_in.stand_in = True
        stand_in.path = _location(args, kwargs)
        stand_in._become_stand_in(scope, kwargs)
        return stand_in
