"""A Python variable and a construct id for every imported endpoint: distinct, and valid for every
endpoint name the service accepts (letters, digits, '-' and '_', in any order).

The construct id becomes the Terraform logical id and the prefix of the endpoint's outputs, so it
must start with a letter or '_' (Terraform identifiers; cdk/base.py `id_problems`), and neither it,
its logical id (cdktf keeps `[A-Za-z0-9_-]` of it), its output names (`<id>_name`, with '-' as '_')
nor its siblings' ids may meet another's: `1chat`, `a-b` beside `a_b`, `chat` beside `chat_name`
(whose id would be one of chat's outputs) each get an id of their own. The endpoint's name itself
is kept where it can be; else its variable name, which is already unique; else that, numbered.
"""

from __future__ import annotations

import re

from servingstack.importer.source import identifier

# Terraform identifiers start with a letter or '_'; cdktf keeps only these characters of an id.
_VALID_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Children every imported stack has (provider, backend, deployer grants, the permissions hook), and
# ids cdktf gives a meaning of their own.
_STACK_CHILDREN = {
    "databricks",
    "backend",
    "ServingstackPermissions",
    "ServingstackImports",
    "UnityCatalogGrants",
    "Default",
    "Resource",
}
# ServingStack's outputs of an endpoint: `<output key>_<suffix>` (cdk/stack.py, cdk/endpoint.py).
OUTPUT_SUFFIXES = ("name", "serving_endpoint_id", "url")


def output_key(construct_id: str) -> str:
    """The prefix of an endpoint's output names (cdk/stack.py `output_key`)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", construct_id)


class EndpointNames:
    """The (variable, construct id) of each endpoint, chosen for all at once so that a name which
    is already a good identifier keeps it: `chat` stays `chat` even beside `-chat` or `Chat`."""

    def __init__(self, short_names: list[str]) -> None:
        # Both grow as names are chosen, and are what other constructs of the program must avoid:
        self.variables: set[str] = set()  # Python names in use
        self.construct_ids: set[str] = set(_STACK_CHILDREN)  # every child id of the stack, outputs included
        self._output_keys: set[str] = set()
        chosen_variables: dict[str, str] = {}
        chosen_ids: dict[str, str] = {}
        ordered = sorted(set(short_names))
        # Names that are Python identifiers and construct ids as they are claim themselves first,
        # then names that are construct ids; every other name takes what is left.
        for name in [n for n in ordered if identifier(n) == n] + ordered:
            if name not in chosen_variables and identifier(name) == name and name not in self.variables:
                chosen_variables[name] = name
                self.variables.add(name)
            if name not in chosen_ids and self._free(name):
                chosen_ids[name] = self._take(name)
        for name in ordered:
            if name not in chosen_variables:
                chosen_variables[name] = identifier(name, self.variables)
            if name not in chosen_ids:
                variable = chosen_variables[name]
                candidates = [variable] + [f"{variable}_{n}" for n in range(2, 10_000)]
                chosen_ids[name] = self._take(next(c for c in candidates if self._free(c)))
        self._chosen = {name: (chosen_variables[name], chosen_ids[name]) for name in ordered}

    def of(self, short_name: str) -> tuple[str, str]:
        """(Python variable, construct id) of the endpoint whose name (less the prefix) is given."""
        return self._chosen[short_name]

    def _take(self, construct_id: str) -> str:
        key = output_key(construct_id)
        self._output_keys.add(key)
        self.construct_ids |= {construct_id} | {f"{key}_{suffix}" for suffix in OUTPUT_SUFFIXES}
        return construct_id

    def _free(self, candidate: str) -> bool:
        if not _VALID_ID.match(candidate) or candidate in self.construct_ids:
            return False
        key = output_key(candidate)
        outputs = {f"{key}_{suffix}" for suffix in OUTPUT_SUFFIXES}
        return key not in self._output_keys and not (outputs & self.construct_ids)
