"""Apps for `servingstack import`: every app that queries an imported endpoint (a `serving_endpoint`
resource), as a `ServingApp` and, with import blocks, `.adopt()` (imported by name, provider docs
resources/app.md).

`ServingApp` declares CAN_QUERY serving-endpoint resources, a description and (provider 1.138, the
cdktn engine) compute bounds. An app with any other resource is left out with a warning: a program
that declared it without them would take them away (the provider's update sends the whole app).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from servingstack.facts.apps import OPTIONAL_COMPUTED, RESOURCE_KINDS, SETTABLE_FIELDS
from servingstack.importer.live import Call
from servingstack.importer.shapes import Note
from servingstack.importer.source import INDENT, DictNode, Raw, comment_lines, identifier, literal
from servingstack.importer.source import Call as CallNode

# What ServingApp declares of an app (besides `name` and its serving-endpoint resources).
_DECLARED = ("description", "compute_min_instances", "compute_max_instances")
_NEWER = ("compute_min_instances", "compute_max_instances")  # provider 1.138 only
DEFAULT_COMPUTE_SIZE = "MEDIUM"  # the size the service gives an app that names none


@dataclass
class ImportedApp:
    live: dict[str, Any]
    construct_id: str
    variable: str
    query: list[tuple[str, str]]  # (resource name, the endpoint's variable)
    props: list[tuple[str, Any]]
    references: list[str] = field(default_factory=list)  # `ServingEndpoint.from_name(...)` lines
    notes: list[Note] = field(default_factory=list)
    declared_name: str | None = None  # the name without the stack's prefix, which ServingApp puts back

    @property
    def name(self) -> str:
        return str(self.live["name"])

    @property
    def principal(self) -> str | None:
        return self.live.get("service_principal_client_id")

    def lines(self, import_blocks: bool) -> list[str]:
        lines = comment_lines(f"app {self.name} (service principal {self.principal})", INDENT)
        for note in self.notes:
            lines += comment_lines(("NOTE: " if note.warn else "") + note.text, INDENT)
        lines += self.references
        query = DictNode([(literal(resource), Raw(variable)) for resource, variable in self.query])
        call = CallNode(
            "ServingApp",
            [Raw("stack"), literal(self.construct_id)],
            [("name", literal(self.declared_name or self.name)), ("query_endpoints", query)]
            + [(k, literal(v)) for k, v in self.props],
            together=2,
        )
        head = f"{INDENT}{self.variable} = " if import_blocks else INDENT
        lines.append(head + call.layout(INDENT, len(head)))
        if import_blocks:
            lines.append(f"{INDENT}{self.variable}.adopt()")
        return lines


def read_apps(client: WorkspaceClient, call: Call) -> list[dict[str, Any]]:
    """Every app of the workspace (`GET /api/2.0/apps`, all pages); none where the Apps API is not there."""
    try:
        return [app.as_dict() for app in call("list apps", lambda: list(client.apps.list()))]
    except NotFound:
        return []


def querying(app: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Resource name -> (endpoint name, permission) of an app's serving-endpoint resources."""
    found = {}
    for resource in app.get("resources") or []:
        block = resource.get("serving_endpoint")
        if isinstance(block, Mapping):
            found[str(resource.get("name"))] = (str(block.get("name")), str(block.get("permission")))
    return found


def select_apps(
    apps: Sequence[Mapping[str, Any]],
    imported: set[str],
    endpoint_id: Callable[[str], str | None],
    prefix: str = "",
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The apps that query an imported endpoint and that `ServingApp` can declare, and a warning for each
    such app that it cannot. `endpoint_id` finds the id of an endpoint that is not imported; `prefix` is the
    stack's name prefix, which a `ServingApp`'s name gets."""
    selected: list[Mapping[str, Any]] = []
    skipped: list[str] = []
    for app in sorted(apps, key=lambda a: str(a.get("name"))):
        name = str(app.get("name"))
        uses = querying(app)
        if not any(endpoint in imported for endpoint, _ in uses.values()):
            continue
        others = [
            f"resources[{r.get('name')}] ({next((k for k in RESOURCE_KINDS if r.get(k)), 'unknown')})"
            for r in app.get("resources") or []
            if not r.get("serving_endpoint")
        ]
        others += [f"resources[{r}] ({level} on {e})" for r, (e, level) in uses.items() if level != "CAN_QUERY"]
        missing = [e for e, _ in uses.values() if e not in imported and endpoint_id(e) is None]
        if prefix and not name.startswith(prefix):
            skipped.append(
                f"app {name}: not imported: its name has no {prefix!r} prefix, which a ServingApp of this "
                "environment's stack gets"
            )
        elif others:
            skipped.append(
                f"app {name}: not imported: ServingApp declares CAN_QUERY serving endpoints only, and the app also "
                f"has {', '.join(others)}"
            )
        elif missing:
            skipped.append(f"app {name}: not imported: it names endpoints that do not exist: {', '.join(missing)}")
        else:
            selected.append(app)
    return selected, skipped


def plan_apps(
    apps: Sequence[Mapping[str, Any]],
    endpoints: Mapping[str, str],
    endpoint_id: Callable[[str], str | None],
    prefix: str,
    newer_fields: bool,
    taken: set[str],
    construct_ids: set[str],
) -> list[ImportedApp]:
    """`ServingApp`s for the apps `select_apps` chose (`endpoints`: imported endpoint name -> variable)."""
    planned: list[ImportedApp] = []
    for app in apps:
        name = str(app.get("name"))
        references: list[str] = []
        query: list[tuple[str, str]] = []
        for resource, (endpoint, _) in querying(app).items():
            if endpoint in endpoints:
                query.append((resource, endpoints[endpoint]))
                continue
            variable = identifier(endpoint, taken)
            reference = CallNode(
                "ServingEndpoint.from_name",
                [Raw("stack"), literal(_unique(f"{endpoint}-ref", construct_ids))],
                [("name", literal(endpoint)), ("serving_endpoint_id", literal(endpoint_id(endpoint)))],
            )
            head = f"{INDENT}{variable} = "
            references.append(head + reference.layout(INDENT, len(head)))
            query.append((resource, variable))
        short = name[len(prefix) :] if prefix and name.startswith(prefix) and len(name) > len(prefix) else name
        imported = ImportedApp(
            live=dict(app),
            construct_id=_unique(short, construct_ids),
            variable=identifier(short, taken),
            query=query,
            props=[],
            references=references,
            declared_name=short,
        )
        _declare_fields(imported, newer_fields)
        planned.append(imported)
    return planned


def _unique(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... : a construct id not in `taken` (which it joins)."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def _declare_fields(imported: ImportedApp, newer_fields: bool) -> None:
    app = imported.live
    for key in _DECLARED:
        value = app.get(key)
        if value in (None, ""):
            continue
        if key in _NEWER and not newer_fields:
            imported.notes.append(
                Note(
                    f"{key} {value!r} needs the cdktn engine (provider 1.138): not declared here; "
                    "an update made from this program may clear it"
                )
            )
            continue
        imported.props.append((key, value))
    for key in SETTABLE_FIELDS:
        if key in ("name", "resources", *_DECLARED, *OPTIONAL_COMPUTED) or app.get(key) in (None, [], {}, ""):
            continue
        imported.notes.append(
            Note(f"{key}: ServingApp has no field for this live setting; an update made from this program clears it")
        )
    size = app.get("compute_size")
    if size and size != DEFAULT_COMPUTE_SIZE:
        # Optional+Computed in the provider (apps_tf/model.go): left out, Terraform keeps what runs.
        imported.notes.append(Note(f"compute_size {size} is not declared: Terraform keeps it as it is", warn=False))
