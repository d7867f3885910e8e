"""The JSON type of every field of a request body, read from the SDK's own annotations.

The SDK's `from_dict` trusts its input: a number where a string belongs is kept as a number
and trips up whatever reads it later (a render, a comparison), a list where an object belongs
raises halfway through. So a body is checked against the types of the SDK method that sends it
(`ServingEndpointsAPI.create`'s parameters, and the dataclasses they name) before anything is
parsed or stored: every field of the wrong JSON type is a problem naming the field.

Types, as the SDK annotates them: `str` and enums are JSON strings, `bool` a boolean, `int` a
whole number that fits the API's 64-bit integers, `float` a finite number, `List[X]` an array,
`Dict[str, X]` and dataclasses objects (keys the dataclass does not know are left to the rules:
newer fields the SDK does not list yet are stored as sent), `Any` anything. `null` is an absent
field (proto3 JSON mapping: "null is accepted for all field types and treated as the default").
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import typing
from collections.abc import Callable, Collection
from typing import Any

from servingstack.errors import Problem

# The API's integers are int32 or int64 (proto3); none holds more than a signed 64-bit integer.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


@functools.cache
def parameters(method: Callable[..., Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body fields of an SDK method: its parameters (path parameters in `skip` aside) and their types."""
    hints = typing.get_type_hints(method)
    return {name: hint for name, hint in hints.items() if name not in ("self", "return", *skip)}


@functools.cache
def _fields(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def check_object(
    body: dict[str, Any], fields: dict[str, Any], where: str = "", loose: Collection[str] = ()
) -> list[Problem]:
    """Problems with the fields of `body` whose types `fields` names; `loose`: fields (written with
    `[]` for any index, e.g. `messages[].content`) that take any JSON value."""
    problems: list[Problem] = []
    for key, value in body.items():
        if key in fields:
            problems += check(value, fields[key], _join(where, key), loose)
    return problems


def check(value: Any, annotation: Any, where: str, loose: Collection[str] = ()) -> list[Problem]:
    """Problems with `value` as a value of the annotated type, each naming its field."""
    if value is None or annotation is Any or _generic(where) in loose:
        return []
    origin = typing.get_origin(annotation)
    if origin is typing.Union:  # Optional[X]: null was handled above
        (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return check(value, annotation, where, loose)
    if origin is list:
        if not isinstance(value, list):
            return [_wrong(where, "an array", value)]
        (item,) = typing.get_args(annotation) or (Any,)
        return [p for index, v in enumerate(value) for p in check(v, item, f"{where}[{index}]", loose)]
    if origin is dict:
        if not isinstance(value, dict):
            return [_wrong(where, "an object", value)]
        _, item = typing.get_args(annotation) or (str, Any)
        return [p for key, v in value.items() for p in check(v, item, _join(where, str(key)), loose)]
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if not isinstance(value, dict):
            return [_wrong(where, "an object", value)]
        return check_object(value, _fields(annotation), where, loose)
    return _scalar(value, annotation, where)


def _scalar(value: Any, annotation: Any, where: str) -> list[Problem]:
    if annotation is str or (isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
        return [] if isinstance(value, str) else [_wrong(where, "a string", value)]
    if annotation is bool:
        return [] if isinstance(value, bool) else [_wrong(where, "a boolean", value)]
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return [_wrong(where, "a whole number", value)]
        if not INT64_MIN <= value <= INT64_MAX:
            return [Problem(where, f"{value} is out of range: the API's integers hold at most {INT64_MAX}")]
        return []
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [_wrong(where, "a number", value)]
        try:
            finite = math.isfinite(float(value))
        except OverflowError:  # an integer beyond any double
            finite = False
        return [] if finite else [Problem(where, "must be a finite number")]
    return []  # a type the SDK does not use in request bodies: left to the rules


def _wrong(where: str, expected: str, value: Any) -> Problem:
    return Problem(where, f"must be {expected}, not {json_type(value)}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _generic(where: str) -> str:
    """`messages[0].content` -> `messages[].content`."""
    out, skipping = [], False
    for char in where:
        if char == "[":
            skipping = True
            out.append("[]")
        elif char == "]":
            skipping = False
        elif not skipping:
            out.append(char)
    return "".join(out)
