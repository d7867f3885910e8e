"""Declared expectations: what an endpoint's answers must satisfy, checked after every deploy.

An `Expectation` is a request (default: the checker's smoke query) and a list of `Expect`
checks on the answer; the checker sends it to every served entity and fails the endpoint with
an expected-vs-got line for each check that is not met. Plain Python, validated before any
jsii call, written into the synthesized stack as JSON (no secret ever: `problems()` refuses
secret references and token-shaped strings in a request).

    ServingEndpoint(..., expectations=[
        Expectation("answers fraud scores", request={"dataframe_split": {...}}, expect=[
            Expect.status(200), Expect.predictions(1), Expect.path_exists("predictions[0]"),
            Expect.p95_ms(250)]),
        Expectation("stays on topic", expect=[Expect.contains("ready", ignore_case=True),
                                              Expect.not_contains("as an AI")]),
    ])

Paths are dotted with list indexes: `choices[0].message.content`, `predictions[0]`,
`data[0].embedding`. Text checks without a path read the answer's text (a chat message, a
completion) or else the whole answer as JSON. Chat and completion answers are worded
differently on every call, so their text is never compared exactly: `contains`, `not_contains`,
`matches` (a regular expression) and JSON shape (`path_exists`) are the tools for them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servingstack.errors import Problem
from servingstack.facts.secrets import mentions_secret

KINDS = (
    "status",
    "path_exists",
    "path_equals",
    "contains",
    "not_contains",
    "matches",
    "predictions",
    "p50_ms",
    "p95_ms",
)
TEXT_KINDS = ("contains", "not_contains", "matches")
LATENCY_KINDS = ("p50_ms", "p95_ms")
WORDED_TASKS = ("llm/v1/chat", "llm/v1/completions", "agent/v1/chat", "agent/v2/chat", "agent/v1/responses")
_PATH = re.compile(r"^\$?\.?[A-Za-z_][A-Za-z0-9_-]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_-]*(\[\d+\])*)*$|^\$?(\[\d+\])+$")
_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")
_MISSING = object()


@dataclass(frozen=True)
class Expect:
    """One check on an answer. Build with the class methods (`Expect.status(200)`, ...)."""

    kind: str
    value: Any = None
    path: str | None = None
    ignore_case: bool = False

    @classmethod
    def status(cls, code: int = 200) -> Expect:
        """The HTTP status of the answer."""
        return cls("status", code)

    @classmethod
    def path_exists(cls, path: str) -> Expect:
        return cls("path_exists", None, path)

    @classmethod
    def path_equals(cls, path: str, value: Any) -> Expect:
        """The JSON value at `path` equals `value` (not for a chat or completion text)."""
        return cls("path_equals", value, path)

    @classmethod
    def contains(cls, text: str, path: str | None = None, ignore_case: bool = False) -> Expect:
        return cls("contains", text, path, ignore_case)

    @classmethod
    def not_contains(cls, text: str, path: str | None = None, ignore_case: bool = False) -> Expect:
        return cls("not_contains", text, path, ignore_case)

    @classmethod
    def matches(cls, pattern: str, path: str | None = None, ignore_case: bool = False) -> Expect:
        """A regular expression found (`re.search`) in the text."""
        return cls("matches", pattern, path, ignore_case)

    @classmethod
    def predictions(cls, count: int) -> Expect:
        """The number of `predictions` (custom models; `data` items for embeddings)."""
        return cls("predictions", count)

    @classmethod
    def p50_ms(cls, limit: float) -> Expect:
        """Median latency at most `limit` ms over the run's `--queries N` queries of each entity."""
        return cls("p50_ms", limit)

    @classmethod
    def p95_ms(cls, limit: float) -> Expect:
        return cls("p95_ms", limit)

    def describe(self) -> str:
        where = f" at {self.path}" if self.path else ""
        case = " (ignoring case)" if self.ignore_case else ""
        return {
            "status": f"status {self.value}",
            "path_exists": f"{self.path} exists",
            "path_equals": f"{self.path} == {json.dumps(self.value)}",
            "contains": f"text{where} contains {self.value!r}{case}",
            "not_contains": f"text{where} does not contain {self.value!r}{case}",
            "matches": f"text{where} matches /{self.value}/{case}",
            "predictions": f"{self.value} prediction(s)",
            "p50_ms": f"p50 <= {self.value} ms",
            "p95_ms": f"p95 <= {self.value} ms",
        }.get(self.kind, self.kind)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.value is not None:
            data["value"] = self.value
        if self.path is not None:
            data["path"] = self.path
        if self.ignore_case:
            data["ignore_case"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Expect:
        return cls(str(data.get("kind")), data.get("value"), data.get("path"), bool(data.get("ignore_case")))

    def problems(self, where: str, task: str | None) -> list[Problem]:
        if self.kind not in KINDS:
            return [Problem(where, f"{self.kind!r} is not one of {', '.join(KINDS)}")]
        problems: list[Problem] = []
        if self.kind in ("path_exists", "path_equals") or self.path is not None:
            if not isinstance(self.path, str) or not _PATH.match(self.path):
                problems.append(
                    Problem(
                        f"{where}.path",
                        f"{self.path!r} is not a path such as 'choices[0].message.content' or 'predictions[0]'",
                    )
                )
        value = self.value
        if self.kind == "status" and (isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599):
            problems.append(Problem(f"{where}.value", f"{value!r} is not an HTTP status (100..599)"))
        if self.kind in TEXT_KINDS and (not isinstance(value, str) or not value):
            problems.append(Problem(f"{where}.value", "must be a non-empty string"))
        if self.kind == "matches" and isinstance(value, str) and value:
            try:
                re.compile(value)
            except re.error as error:
                problems.append(Problem(f"{where}.value", f"not a regular expression: {error}"))
        if self.kind == "predictions" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(Problem(f"{where}.value", f"{value!r} is not a number of predictions (>= 0)"))
        if self.kind in LATENCY_KINDS and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
        ):
            problems.append(Problem(f"{where}.value", f"{value!r} is not a latency in ms (> 0)"))
        if self.kind == "path_equals":
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                problems.append(Problem(f"{where}.value", "must be a JSON value"))
            # Worded answers differ on every call: their text is checked by contains/matches, never exactly.
            if (
                task in WORDED_TASKS
                and isinstance(value, str)
                and str(self.path).rstrip("]").split(".")[-1].split("[")[0] in ("content", "text")
            ):
                problems.append(
                    Problem(
                        where,
                        f"a {task} answer's text is never compared exactly: use "
                        "Expect.contains(...) or Expect.matches(...)",
                    )
                )
        return problems


@dataclass(frozen=True)
class Expectation:
    """A named request and what its answer must satisfy, checked on every served entity.

    - `name`: shown in reports (and a JUnit test case per entity).
    - `expect`: the checks (`Expect.*`); at least one.
    - `request`: the query body; default: the checker's smoke query for the endpoint.
    - `entities`: the served entities it applies to; default: every entity.
    """

    name: str
    expect: Sequence[Expect]
    request: Mapping[str, Any] | None = None
    entities: Sequence[str] | None = None

    def checks(self) -> list[Expect]:
        return list(self.expect) if isinstance(self.expect, (list, tuple)) else [self.expect]  # type: ignore[list-item]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "expect": [e.to_json() for e in self.checks()]}
        if self.request is not None:
            data["request"] = json.loads(json.dumps(dict(self.request)))
        if self.entities is not None:
            data["entities"] = list(self.entities)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Expectation:
        return cls(
            name=str(data.get("name", "")),
            expect=[Expect.from_json(e) for e in data.get("expect") or []],
            request=data.get("request"),
            entities=data.get("entities"),
        )

    def problems(self, where: str, task: str | None, entity_names: Sequence[str]) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(Problem(f"{where}.name", "must be a non-empty string"))
        checks = self.checks()
        if not checks:
            problems.append(Problem(f"{where}.expect", "needs at least one Expect"))
        for index, check in enumerate(checks):
            if not isinstance(check, Expect):
                problems.append(Problem(f"{where}.expect[{index}]", "must be an Expect (Expect.status(200), ...)"))
            else:
                problems += check.problems(f"{where}.expect[{index}]", task)
        if self.request is not None:
            if not isinstance(self.request, Mapping):
                problems.append(Problem(f"{where}.request", "must be a JSON object"))
            else:
                try:
                    text = json.dumps(dict(self.request))
                except (TypeError, ValueError):
                    problems.append(Problem(f"{where}.request", "must be JSON (strings, numbers, lists, objects)"))
                else:
                    # The request is written into the stack in plain text: no secret may travel in it.
                    if mentions_secret(text):
                        problems.append(
                            Problem(
                                f"{where}.request",
                                "holds a secret or a token; a request is written into the stack in plain text",
                            )
                        )
        if self.entities is not None:
            unknown = [e for e in self.entities if e not in entity_names]
            if isinstance(self.entities, str) or unknown:
                problems.append(
                    Problem(
                        f"{where}.entities",
                        f"{', '.join(map(str, unknown or [str(self.entities)]))}: "
                        f"not a served entity of this endpoint "
                        f"({', '.join(entity_names)})",
                    )
                )
        return problems


def expectation_problems(expectations: Any, task: str | None, entity_names: Sequence[str]) -> list[Problem]:
    """Every problem of an endpoint's `expectations` prop, named by field."""
    if expectations is None:
        return []
    if not isinstance(expectations, (list, tuple)):
        return [Problem("expectations", "must be a list of Expectation")]
    problems: list[Problem] = []
    names = [e.name for e in expectations if isinstance(e, Expectation)]
    for index, expectation in enumerate(expectations):
        if not isinstance(expectation, Expectation):
            problems.append(Problem(f"expectations[{index}]", "must be an Expectation(name, expect=[...])"))
            continue
        problems += expectation.problems(f"expectations[{index}]", task, entity_names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(Problem("expectations", f"names must be unique: {', '.join(duplicates)}"))
    return problems


# Evaluating an answer (the checker's side) ------------------------------------------------


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted path, or `_MISSING`."""
    current = document
    for name, index in _SEGMENT.findall(path.lstrip("$").lstrip(".")):
        if name:
            if not isinstance(current, dict) or name not in current:
                return _MISSING
            current = current[name]
        else:
            position = int(index)
            if not isinstance(current, list) or position >= len(current):
                return _MISSING
            current = current[position]
    return current


def answer_text(body: Any) -> str:
    """The words of an answer: a chat message, a completion, else the JSON itself."""
    if isinstance(body, dict):
        for path in ("choices[0].message.content", "choices[0].text"):
            value = lookup(body, path)
            if isinstance(value, str):
                return value
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            if isinstance(messages[-1].get("content"), str):
                return messages[-1]["content"]
        output = body.get("output")
        if isinstance(output, list) and output:
            return json.dumps(output)
    return json.dumps(body, sort_keys=True, default=str)


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def evaluate(check: Expect, status: int, body: Any) -> str | None:
    """None when one answer meets the check; else `expected ...; got ...`. Latency is `evaluate_latency`'s."""
    if check.kind == "status":
        return None if status == check.value else f"expected status {check.value}; got {status}"
    if check.kind in LATENCY_KINDS:
        return None
    if check.kind == "path_exists":
        return (
            None
            if lookup(body, check.path or "") is not _MISSING
            else f"expected {check.path} to exist; got an answer without it (has: {_keys(body)})"
        )
    if check.kind == "path_equals":
        got = lookup(body, check.path or "")
        wanted = _short(json.dumps(check.value, default=str))
        if got is _MISSING:
            return f"expected {check.path} == {wanted}; got no {check.path}"
        return (
            None
            if got == check.value
            else f"expected {check.path} == {wanted}; got {_short(json.dumps(got, default=str))}"
        )
    if check.kind == "predictions":
        items = body.get("predictions", body.get("data")) if isinstance(body, dict) else None
        if not isinstance(items, list):
            return f"expected {check.value} prediction(s); got no predictions list (has: {_keys(body)})"
        return None if len(items) == check.value else f"expected {check.value} prediction(s); got {len(items)}"
    text_value = answer_text(body) if check.path is None else lookup(body, check.path)
    if text_value is _MISSING:
        return f"expected text at {check.path}; got no {check.path}"
    text = text_value if isinstance(text_value, str) else json.dumps(text_value, default=str)
    flags = re.IGNORECASE if check.ignore_case else 0
    found = re.search(check.value if check.kind == "matches" else re.escape(check.value), text, flags) is not None
    if check.kind == "not_contains":
        return None if not found else f"expected no {check.value!r}; got {_short(text)!r}"
    if found:
        return None
    wanted = f"/{check.value}/" if check.kind == "matches" else repr(check.value)
    return f"expected {wanted}; got {_short(text)!r}"


def evaluate_latency(check: Expect, p50_ms: float | None, p95_ms: float | None, queries: int) -> str | None:
    got = p50_ms if check.kind == "p50_ms" else p95_ms
    label = "p50" if check.kind == "p50_ms" else "p95"
    if got is None:
        return f"expected {label} <= {check.value} ms; got no answered query to measure"
    return (
        None
        if got <= check.value
        else f"expected {label} <= {check.value} ms; got {got:.0f} ms over {queries} "
        f"quer{'y' if queries == 1 else 'ies'}"
    )


def _keys(value: Any) -> str:
    return ", ".join(sorted(map(str, value))) if isinstance(value, dict) else type(value).__name__
