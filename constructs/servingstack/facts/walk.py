"""The one way to walk an API-shaped JSON value (a request, a response, a cdk.tf.json document).

Every node comes with the path a user reads in an error (`config.served_entities[0].name`), the
field that holds it and the field of the object around it, so a check can say where a value is
without walking the document itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Maps whose keys are the user's own names rather than API fields: SDK `ServedEntityInput.environment_vars`
# (Dict[str, str]). Their keys are written `environment_vars[NAME]`, as a user reads them.
USER_KEYED_MAPS = frozenset({"environment_vars"})


@dataclass(frozen=True)
class Node:
    """One value in the document.

    - `path`: where it is (`a.b[0].environment_vars[NAME]`); "" for the document itself.
    - `key`: the field (or map key) that holds it; a list item has the list's field.
    - `parent`: the field that holds the object around it (`api_key_auth` for its `value`).
    """

    path: str
    key: str
    parent: str
    value: Any


def walk(value: Any, path: str = "", key: str = "", parent: str = "") -> Iterator[Node]:
    """Every value of `value`, depth first, each container before what it holds."""
    yield Node(path, key, parent, value)
    if isinstance(value, Mapping):
        for child_key, item in value.items():
            child_key = str(child_key)
            if key in USER_KEYED_MAPS:
                here = f"{path}[{child_key}]"
            else:
                here = f"{path}.{child_key}" if path else child_key
            yield from walk(item, here, child_key, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]", key, parent)


def strings(value: Any) -> Iterator[Node]:
    """The string values of `value`."""
    return (node for node in walk(value) if isinstance(node.value, str))
