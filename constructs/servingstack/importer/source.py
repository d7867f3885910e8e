"""Python source for values: a tiny pretty-printer that writes a call on one line when it
fits, else one argument per line, the way a person (or a formatter) lays code out.

The importer builds the typed public values (`CustomModel(...)`, `AiGateway(...)`) and this
module turns them into the code that would build them again: only the fields that differ
from their defaults, required fields positionally, `secret(scope, key)` for references.
"""

from __future__ import annotations

import dataclasses
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servingstack.model.secrets import SecretRef

WIDTH = 110
INDENT = "    "


class Node:
    """A piece of code that can be laid out flat or over several lines."""

    def flat(self) -> str:
        raise NotImplementedError

    def lines(self, indent: str) -> str:
        """The code starting at the current column, continuation lines at `indent`."""
        return self.flat()

    def layout(self, indent: str, used: int) -> str:
        text = self.flat()
        if used + len(text) <= WIDTH and "\n" not in text:
            return text
        return self.lines(indent)


@dataclass
class Raw(Node):
    text: str

    def flat(self) -> str:
        return self.text


def _layout_items(opening: str, items: Sequence[tuple[str, Node]], closing: str, indent: str) -> str:
    inner = indent + INDENT
    parts = [f"{inner}{prefix}{node.layout(inner, len(inner) + len(prefix) + 1)}," for prefix, node in items]
    return f"{opening}\n" + "\n".join(parts) + f"\n{indent}{closing}"


@dataclass
class Call(Node):
    func: str
    args: list[Node] = field(default_factory=list)
    kwargs: list[tuple[str, Node]] = field(default_factory=list)
    # Leading arguments kept together on the first line when the call is broken up
    # (`ServingEndpoint(stack, "chat",` as main.py writes it).
    together: int = 0

    def _items(self) -> list[tuple[str, Node]]:
        items = [("", a) for a in self.args] + [(f"{k}=", v) for k, v in self.kwargs]
        if self.together > 1:
            joined = Raw(", ".join(a.flat() for a in self.args[: self.together]))
            items = [("", joined)] + items[self.together :]
        return items

    def flat(self) -> str:
        items = [("", a) for a in self.args] + [(f"{k}=", v) for k, v in self.kwargs]
        return f"{self.func}(" + ", ".join(p + n.flat() for p, n in items) + ")"

    def lines(self, indent: str) -> str:
        if not self._items():
            return self.flat()
        return _layout_items(f"{self.func}(", self._items(), ")", indent)


@dataclass
class ListNode(Node):
    items: list[Node]

    def flat(self) -> str:
        return "[" + ", ".join(i.flat() for i in self.items) + "]"

    def lines(self, indent: str) -> str:
        return _layout_items("[", [("", i) for i in self.items], "]", indent) if self.items else "[]"


@dataclass
class DictNode(Node):
    items: list[tuple[Node, Node]]

    def flat(self) -> str:
        return "{" + ", ".join(f"{k.flat()}: {v.flat()}" for k, v in self.items) + "}"

    def lines(self, indent: str) -> str:
        if not self.items:
            return "{}"
        return _layout_items("{", [(f"{k.flat()}: ", v) for k, v in self.items], "}", indent)


def literal(value: Any) -> Node:
    """A plain value: str, number, bool, None, list/tuple, dict, SecretRef or a dataclass value."""
    if isinstance(value, Node):
        return value
    if isinstance(value, SecretRef):
        return Call("secret", [Raw(text(value.scope)), Raw(text(value.key))])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return value_call(value)
    if isinstance(value, Mapping):
        return DictNode([(literal(k), literal(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return ListNode([literal(v) for v in value])
    if isinstance(value, str):
        return Raw(text(value))
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return Raw(f"{value:_}")  # 200_000 tokens, as a person writes it
    if isinstance(value, (int, float, bool)) or value is None:
        return Raw(repr(value))
    raise TypeError(f"no source form for {type(value).__name__}")


def text(value: str) -> str:
    """A string literal in double quotes, as the project writes them."""
    quoted = repr(value)
    if quoted.startswith("'") and '"' not in value:
        return '"' + quoted[1:-1] + '"'
    return quoted


# Leading fields written positionally when set, as the README writes them
# (`FoundationModel("system.ai.x", "1")`, `InferenceTable("ml", "logs")`).
POSITIONAL = {
    "FoundationModel": 2,
    "ProvisionedThroughput": 2,
    "CustomModel": 2,
    "ExternalModel": 2,
    "InferenceTable": 2,
}

# A class may prefer another spelling of some of its values (e.g. `RateLimit.per_group(...)`).
SPELLINGS: dict[type, Callable[[Any], Node | None]] = {}


def value_call(value: Any) -> Node:
    """`ClassName(required..., changed_field=value)`: fields equal to their default are left out."""
    spelling = SPELLINGS.get(type(value))
    if spelling is not None:
        node = spelling(value)
        if node is not None:
            return node
    args: list[Node] = []
    kwargs: list[tuple[str, Node]] = []
    positional = True
    leading = POSITIONAL.get(type(value).__name__, 0)
    for index, f in enumerate(dataclasses.fields(value)):
        if not f.init:
            continue
        current = getattr(value, f.name)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if positional and (required or (index < leading and current is not None)):
            args.append(literal(current))
            continue
        positional = False
        if not required and _is_default(f, current):
            continue
        kwargs.append((f.name, literal(current)))
    return Call(type(value).__name__, args, kwargs)


def _is_default(f: dataclasses.Field[Any], current: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return current == f.default
    factory = f.default_factory
    assert factory is not dataclasses.MISSING, "asked only of a field with a default"
    default = factory()
    if isinstance(default, (list, tuple, dict)) and not default:
        return not current
    return current == default


def identifier(text: str, taken: set[str] | None = None) -> str:
    """A valid, readable Python name for `text` (`fraud-scoring` -> `fraud_scoring`), unique in `taken`."""
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower() or "endpoint"
    if name[0].isdigit():
        name = f"endpoint_{name}"
    if keyword.iskeyword(name) or name in _RESERVED:
        name = f"{name}_endpoint"
    if taken is not None:
        base, number = name, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
    return name


# Names the generated program itself uses.
_RESERVED = {
    "app",
    "stack",
    "build",
    "sys",
    "object",
    "main",
    "secret",
    "synthesize",
    "canary",
    "blue_green",
    "suppress",
}


def comment_lines(text: str, indent: str) -> list[str]:
    """`text` as `# ...` lines, wrapped at the page width."""
    import textwrap

    width = max(40, WIDTH - len(indent) - 2)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(paragraph, width=width, break_long_words=False, break_on_hyphens=False) or [""]
        lines += [f"{indent}# {line}".rstrip() for line in wrapped]
    return lines
