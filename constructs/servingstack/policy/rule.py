"""A policy rule: a small pure function over one endpoint, with an id, a title, a severity,
why it matters and how to fix it.

```python
@rule("ACME1", "Endpoints have a description", severity="warning",
      why="On-call engineers read it when the endpoint pages them.",
      fix="Pass description=... to the ServingEndpoint.")
def has_description(endpoint: EndpointView):
    if not endpoint.request.get("description"):
        yield Problem("description", "is not set")
```
A check returns (or yields) what is wrong: `Problem(field, message)` values or plain message
strings; nothing (None, [], no yield) means compliant. Keyword-only parameters of the check are
its options, set with `rule.configure(name=value)`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, cast

from servingstack.errors import Problem
from servingstack.policy.errors import PolicyError
from servingstack.policy.view import EndpointView

_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class Severity(str, Enum):
    """`error` fails the synth; `warning` is printed and recorded, and does not."""

    ERROR = "error"
    WARNING = "warning"

    @classmethod
    def parse(cls, value: Severity | str, rule_id: str) -> Severity:
        try:
            return cls(value)
        except ValueError:
            raise PolicyError(f"rule {rule_id}: severity {value!r} is not one of 'error', 'warning'") from None


Check = Callable[..., Any]


@dataclass(frozen=True)
class Rule:
    """One rule. Build it with the `@rule(...)` decorator; call it on an `EndpointView`."""

    id: str
    title: str
    severity: Severity
    why: str
    fix: str
    check: Check = field(repr=False, compare=False)
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (isinstance(self.id, str) and _RULE_ID.match(self.id)):
            raise PolicyError(f"rule id {self.id!r} must be letters, digits, '-' or '_', starting with a letter")
        for name in ("title", "why", "fix"):
            value = getattr(self, name)
            if not (isinstance(value, str) and value.strip()):
                raise PolicyError(f"rule {self.id}: {name} must be a non-empty text")
        if not callable(self.check):
            raise PolicyError(f"rule {self.id}: its check must be a function of an EndpointView")
        object.__setattr__(self, "severity", Severity.parse(self.severity, self.id))
        object.__setattr__(self, "options", dict(self.options))
        self._check_option_names(self.options)

    def configure(self, **options: Any) -> Rule:
        """The same rule with some options changed (`SS4.configure(owner_tag="team")`)."""
        self._check_option_names(options)
        return replace(self, options={**self.options, **options})

    def option_names(self) -> list[str]:
        parameters = inspect.signature(self.check).parameters.values()
        return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]

    def _check_option_names(self, options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.option_names()))
        if unknown:
            known = ", ".join(self.option_names()) or "none"
            raise PolicyError(f"rule {self.id} has no option {', '.join(unknown)} (its options: {known})")

    def __call__(self, endpoint: EndpointView) -> list[Problem]:
        """Every violation of this rule by `endpoint`; [] when it complies."""
        try:
            return _as_problems(self.check(endpoint, **self.options))
        except PolicyError:
            raise
        except Exception as error:  # a custom rule's bug must not look like a synth crash
            raise PolicyError(f"rule {self.id} failed on {endpoint.path}: {type(error).__name__}: {error}") from None


def rule(
    id: str, title: str, *, why: str, fix: str, severity: Severity | str = Severity.ERROR
) -> Callable[[Check], Rule]:
    """Turn a check function into a `Rule`; see the module docstring for an example."""

    def decorate(check: Check) -> Rule:
        # A str severity is parsed into a `Severity` by `Rule.__post_init__`, after the id is checked.
        return Rule(id=id, title=title, severity=cast(Severity, severity), why=why, fix=fix, check=check)

    return decorate


def _as_problems(result: Any) -> list[Problem]:
    if result is None or result is True:
        return []
    if result is False:
        return [Problem("", "does not comply")]
    if isinstance(result, (str, Problem)):
        result = [result]
    if not isinstance(result, Iterable):
        raise TypeError(f"a check returns Problems or messages, got {type(result).__name__}")
    problems = []
    for item in result:
        if isinstance(item, Problem):
            problems.append(item)
        elif isinstance(item, str):
            problems.append(Problem("", item))
        else:
            raise TypeError(f"a check yields Problems or messages, got {type(item).__name__}")
    return problems
