"""Turn live endpoints into a main.py-style program: one `ServingEndpoint` (or, for provisioned
throughput, `ProvisionedThroughputEndpoint`) per endpoint, written with the typed public classes,
its grants, and the Terraform import blocks that make the first plan adopt what runs instead of
recreating it; beside them what a stack can declare around its endpoints (`Around`): the secret
scopes they read, with their ACLs; the apps that query them; the deployer's Unity Catalog grants.

Whatever the program cannot say is written as a comment at the endpoint and returned as a
warning; before the program is returned, its endpoints' API requests are compared with the
live ones, so nothing live is dropped without a word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servingstack import __all__ as PUBLIC_NAMES
from servingstack.errors import ValidationError
from servingstack.facts import rules
from servingstack.facts.permissions import ACL_FIELDS as PRINCIPAL_FIELDS
from servingstack.facts.permissions import ENDPOINT_LEVELS as LEVELS
from servingstack.importer import shapes
from servingstack.importer.apps import ImportedApp, plan_apps, querying, select_apps
from servingstack.importer.grants import DeployerPlan
from servingstack.importer.live import LiveEndpoint
from servingstack.importer.naming import EndpointNames
from servingstack.importer.scopes import ImportedScope, LiveScope, plan_scopes
from servingstack.importer.shapes import Context, Note
from servingstack.importer.source import (
    INDENT,
    SPELLINGS,
    WIDTH,
    Call,
    Node,
    Raw,
    comment_lines,
    literal,
    text,
)
from servingstack.importer.target import has_newer_fields
from servingstack.model.gateway import RateLimit
from servingstack.model.spec import EmailNotifications, EndpointSpec
from servingstack.model.telemetry import Telemetry

DEFAULT_STACK_ID = "imported"
_GRANT_METHODS = {"CAN_QUERY": "grant_query", "CAN_VIEW": "grant_view", "CAN_MANAGE": "grant_manage"}
_PRINCIPAL_ARGUMENTS = {api: argument for argument, api in PRINCIPAL_FIELDS.items()}
_BUSY_STATES = ("IN_PROGRESS", "UPDATE_FAILED", "UPDATE_CANCELED")


def _rate_limit_spelling(limit: RateLimit) -> Node | None:
    """`RateLimit.per_group("ds", tokens=...)` reads better than `RateLimit(key="user_group", ...)`."""
    factories = {"user": "per_user", "user_group": "per_group", "service_principal": "per_service_principal"}
    if limit.renewal_period != "minute" or limit.key not in factories:
        return None
    kwargs = [(k, literal(v)) for k, v in (("calls", limit.calls), ("tokens", limit.tokens)) if v is not None]
    if limit.principal:
        return Call(f"RateLimit.{factories[limit.key]}", [literal(limit.principal)], kwargs)
    if limit.key == "user":
        return Call("RateLimit.default_per_user", [], kwargs)
    return None


SPELLINGS[RateLimit] = _rate_limit_spelling


SERVING_ENDPOINT, PT_ENDPOINT = "ServingEndpoint", "ProvisionedThroughputEndpoint"


@dataclass
class ImportedEndpoint:
    live: LiveEndpoint
    construct_id: str
    variable: str
    props: list[tuple[str, Any]]
    grants: list[tuple[str, str, str]]  # (method, argument, principal)
    notes: list[Note] = field(default_factory=list)
    creator_kept: str | None = None  # the creator's CAN_MANAGE, which Terraform's caller keeps anyway
    construct: str = SERVING_ENDPOINT


@dataclass
class Around:
    """What the program declares around its endpoints, as read from the workspace."""

    scopes: list[LiveScope] = field(default_factory=list)
    apps: list[dict[str, Any]] = field(default_factory=list)  # `apps.App.as_dict()` of every app
    endpoint_ids: dict[str, str] = field(default_factory=dict)  # ids of endpoints that are not imported
    deployer: DeployerPlan | None = None
    caller: str | None = None  # who imports (keeps MANAGE on the scopes they made)
    serving_endpoints: frozenset[str] = frozenset()  # provisioned throughput kept as ServingEndpoint


@dataclass
class Program:
    source: str
    endpoints: list[ImportedEndpoint]
    scopes: list[ImportedScope] = field(default_factory=list)
    apps: list[ImportedApp] = field(default_factory=list)
    skipped_apps: list[str] = field(default_factory=list)
    deployer: DeployerPlan | None = None

    def warnings(self) -> list[str]:
        """`<what>: <note>` for everything the reader must act on or know."""
        found = [f"{e.live.name}: {n.text}" for e in self.endpoints for n in e.notes if n.warn]
        found += [f"secret scope {s.live.name}: {n.text}" for s in self.scopes for n in s.notes if n.warn]
        found += [f"app {a.name}: {n.text}" for a in self.apps for n in a.notes if n.warn]
        found += [f"uc grants: {n.text}" for n in (self.deployer.notes if self.deployer else []) if n.warn]
        return found + self.skipped_apps


def shared_tags(endpoints: Sequence[LiveEndpoint]) -> dict[str, str]:
    """Tags every endpoint carries with the same value: the stack's `default_tags` (with two or more)."""
    if len(endpoints) < 2:
        return {}
    tag_sets = [{t["key"]: t.get("value") for t in e.request.get("tags") or []} for e in endpoints]
    first = tag_sets[0]
    return {
        k: v for k, v in sorted(first.items()) if isinstance(v, str) and all(tags.get(k) == v for tags in tag_sets[1:])
    }


# Served-entity fields of a provisioned-throughput entity, and the endpoint fields the provisioned-throughput
# resource has (provider docs, model_serving_provisioned_throughput.md; SDK PtServedModel, CreatePtEndpointRequest).
_PT_ENTITY_FIELDS = {"name", "entity_name", "entity_version", "provisioned_model_units", "burst_scaling_enabled"}
_PT_FIELDS = {"name", "config", "ai_gateway", "tags", "budget_policy_id", "email_notifications"}


def is_provisioned_throughput(request: Mapping[str, Any]) -> bool:
    """True for an endpoint that the provisioned-throughput resource can hold: every served entity a model
    with model units and nothing else. The service does not say which create API made an endpoint (no
    field of `ServingEndpointDetailed` does), and the provider points such endpoints to that resource
    ("For newer foundation models, including Llama 4, please use databricks_model_serving_provisioned_throughput",
    docs resources/model_serving.md), so they become `ProvisionedThroughputEndpoint`s unless named otherwise."""
    entities = (request.get("config") or {}).get("served_entities") or []
    if not entities or any(k not in _PT_FIELDS for k, v in request.items() if v not in (None, [], {})):
        return False
    return all(
        isinstance(e.get("provisioned_model_units"), int)
        and e.get("entity_name")
        and e.get("entity_version")
        and all(k in _PT_ENTITY_FIELDS for k, v in e.items() if v not in (None, [], {}, False))
        for e in entities
    )


def plan_endpoint(
    live: LiveEndpoint,
    prefix: str,
    default_tags: Mapping[str, str],
    names: EndpointNames,
    *,
    provisioned_throughput: bool = False,
    newer_fields: bool = False,
    app_principals: Mapping[str, str] | None = None,
) -> ImportedEndpoint:
    """`app_principals`: application id -> app name, for the apps whose CAN_QUERY on this endpoint
    their `ServingApp` declares (so no grant of its own)."""
    request = live.request
    config = request.get("config") or {}
    short = live.name[len(prefix) :]
    ctx = Context(endpoint=live.name, task=live.task, notes=[], explained=set())
    _state_notes(live, ctx)
    entities = []
    for index, entity in enumerate(config.get("served_entities") or []):
        value = shapes.served_entity(entity, f"config.served_entities[{index}]", ctx)
        if value is not None:
            entities.append(value)
    props: list[tuple[str, Any]] = [("name", short)]
    if entities:
        props.append(("served_entities", entities))
    routes = (config.get("traffic_config") or {}).get("routes") or []
    split = {r.get("served_model_name") or r.get("served_entity_name"): r.get("traffic_percentage", 0) for r in routes}
    if not (len(entities) == 1 and split == {entities[0].served_name(): 100}) and split:
        props.append(("traffic", split))
    gateway = shapes.ai_gateway(request.get("ai_gateway"), ctx)
    if gateway is not None:
        props.append(("ai_gateway", gateway))
    tags = {t["key"]: t.get("value") for t in request.get("tags") or []}
    own = {k: v for k, v in tags.items() if default_tags.get(k) != v}
    if own:
        props.append(("tags", dict(sorted(own.items()))))
    for key in ("description", "route_optimized", "budget_policy_id"):
        if request.get(key) is not None and request.get(key) is not False:
            props.append((key, request[key]))
    notifications = request.get("email_notifications")
    if notifications:
        props.append(
            (
                "email_notifications",
                EmailNotifications(
                    on_update_failure=tuple(notifications.get("on_update_failure") or ()),
                    on_update_success=tuple(notifications.get("on_update_success") or ()),
                ),
            )
        )
    telemetry = request.get("telemetry_config")
    if telemetry:
        if newer_fields:
            props.append(("telemetry", _telemetry(telemetry)))
        else:
            ctx.notes.append(
                Note(
                    "telemetry_config: Telemetry needs the cdktn engine (provider 1.138; this program builds with "
                    "cdktf, provider 1.99), so it is not declared; run the import with SERVINGSTACK_CDK_ENGINE=cdktn "
                    "to declare it"
                )
            )
            ctx.explained.add("telemetry_config")
    resolved = EndpointSpec(name=short, served_entities=entities).resolved_task()
    if live.task and resolved is None and entities and live.task in rules.TASKS:
        props.append(("task", live.task))  # e.g. an agent served as a custom model
    grants, creator_kept = _grants(live, ctx, app_principals or {})
    variable, construct_id = names.of(short)
    imported = ImportedEndpoint(
        live=live,
        construct_id=construct_id,
        variable=variable,
        props=props,
        grants=grants,
        notes=ctx.notes,
        creator_kept=creator_kept,
        construct=PT_ENDPOINT if provisioned_throughput else SERVING_ENDPOINT,
    )
    _compare(imported, prefix, default_tags, ctx)
    return imported


def _telemetry(telemetry: Mapping[str, Any]) -> Telemetry:
    """`Telemetry` from a live `telemetry_config` (SDK TelemetryConfig)."""
    tables = telemetry.get("table_names") or {}
    inference = telemetry.get("inference_table_config") or {}
    return Telemetry(
        logs_table=tables.get("logs_table"),
        metrics_table=tables.get("metrics_table"),
        traces_table=tables.get("traces_table"),
        annotations_table=tables.get("annotations_table"),
        telemetry_profile_id=telemetry.get("telemetry_profile_id"),
        features=tuple(telemetry.get("enabled_telemetry_features") or ()),
        inference_table=inference.get("name"),
        sampling_fraction=inference.get("sampling_fraction"),
    )


def _state_notes(live: LiveEndpoint, ctx: Context) -> None:
    ready = live.state.get("ready")
    update = live.state.get("config_update")
    if live.config_source == "none":
        ctx.notes.append(Note("the endpoint has no config yet: it is declared without served entities", warn=False))
    elif live.config_source == "pending_config":
        ctx.notes.append(
            Note(f"the endpoint has no active config yet ({ready}, {update}): imported from the config it is deploying")
        )
    elif update in _BUSY_STATES or ready == "NOT_READY":
        ctx.notes.append(
            Note(
                f"the service reports the endpoint {ready}, {update}: imported from the config "
                "that is active now, not from any update in flight"
            )
        )


def _grants(
    live: LiveEndpoint, ctx: Context, app_principals: Mapping[str, str]
) -> tuple[list[tuple[str, str, str]], str | None]:
    """One grant per principal at its highest direct level; inherited permissions are the parent's."""
    grants = []
    creator_kept = None
    for entry in live.access_control:
        kind = next((k for k in _PRINCIPAL_ARGUMENTS if entry.get(k)), None)
        if kind is None:
            continue
        principal = entry[kind]
        levels = [p.get("permission_level") for p in entry.get("all_permissions") or [] if not p.get("inherited")]
        unknown = [level for level in levels if level not in LEVELS]
        for level in unknown:
            ctx.notes.append(Note(f"permission {level} of {principal} is not one of {', '.join(LEVELS)}; left out"))
        levels = [level for level in levels if level in LEVELS]
        if not levels:
            continue
        best = max(levels, key=LEVELS.index)
        if kind == "service_principal_name" and principal in app_principals and best == "CAN_QUERY":
            owner = app_principals[principal]
            ctx.notes.append(
                Note(f"the CAN_QUERY of app {owner}'s service principal is declared by its ServingApp", False)
            )
            continue
        if kind == "user_name" and principal == live.creator and best == "CAN_MANAGE":
            # Terraform's caller keeps CAN_MANAGE and the provider drops that entry itself
            # (provider docs, resources/permissions.md: "not possible to lower permissions for ... your own user").
            creator_kept = principal
            continue
        grants.append((_GRANT_METHODS[best], _PRINCIPAL_ARGUMENTS[kind], principal))
    return sorted(grants, key=lambda g: (g[1], g[2])), creator_kept


# -- nothing dropped silently ------------------------------------------------------------------------


def _compare(imported: ImportedEndpoint, prefix: str, default_tags: Mapping[str, str], ctx: Context) -> None:
    """Note every live value the program's request does not reproduce, and every value it adds."""
    spec = EndpointSpec(**dict(imported.props))
    declared = spec.request(prefix, default_tags)
    live = imported.live.request
    for key in live:
        if key in ("name", "task"):
            continue
        _diff(live[key], declared.get(key), key, ctx)
    declared_entities = {e.get("name"): e for e in (declared.get("config") or {}).get("served_entities") or []}
    for index, entity in enumerate((live.get("config") or {}).get("served_entities") or []):
        path = f"config.served_entities[{index}]"
        mine = declared_entities.get(entity.get("name"))
        if mine is None or _explained(path, ctx):
            continue
        for key, value in mine.items():
            if key != "external_model" and entity.get(key) in (None, {}, []) and value not in (None, {}, []):
                ctx.notes.append(
                    Note(
                        f"{path}.{key}: the program sends {value!r}, which the live endpoint does "
                        "not show: the first plan will set it"
                    )
                )


def _explained(path: str, ctx: Context) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in ctx.explained)


def _diff(live: Any, declared: Any, path: str, ctx: Context) -> None:
    if _explained(path, ctx) or live in (None, [], {}) or path.endswith("_plaintext"):
        return
    if isinstance(live, dict) and not isinstance(declared, dict):
        _cannot_declare(path, f" (with {', '.join(sorted(k for k, v in live.items() if v is not None))})", ctx)
        return
    if isinstance(live, dict):
        for key, value in live.items():
            _diff(value, declared.get(key) if isinstance(declared, dict) else None, f"{path}.{key}", ctx)
        return
    if isinstance(live, list) and path == "tags":
        live, declared = ({t["key"]: t.get("value") for t in items or []} for items in (live, declared))
        for key, value in live.items():
            _diff(value, declared.get(key), f"tags.{key}", ctx)
        return
    if isinstance(live, list) and path.endswith(("served_entities", "routes")):
        key = "name" if path.endswith("served_entities") else "served_model_name"
        mine = {item.get(key): item for item in declared or []}
        for index, item in enumerate(live):
            if key == "served_model_name":
                # The service shows a route under both names (SDK Route); the program writes one.
                name = item.get("served_model_name") or item.get("served_entity_name")
                item = {**{k: v for k, v in item.items() if k != "served_entity_name"}, key: name}
            _diff(item, mine.get(item.get(key)), f"{path}[{index}]", ctx)
        return
    if (
        isinstance(live, list)
        and isinstance(declared, list)
        and len(live) == len(declared)
        and all(isinstance(i, dict) for i in live)
    ):
        for index, (item, mine) in enumerate(zip(live, declared)):
            _diff(item, mine, f"{path}[{index}]", ctx)
        return
    if _same(live, declared):
        return
    shown = "" if "environment_vars" in path else f" {live!r}"
    if declared is None:
        _cannot_declare(path, f" ({live!r})" if shown else "", ctx)
        return
    else:
        ctx.notes.append(Note(f"{path}: live{shown}, declared {'' if not shown else repr(declared)}".rstrip()))
    ctx.explained.add(path)


def _cannot_declare(path: str, shown: str, ctx: Context) -> None:
    ctx.notes.append(
        Note(
            f"{path}{shown}: servingstack has no field for this live setting, so it is not "
            "declared; an update made from this program may drop it"
        )
    )
    ctx.explained.add(path)


def _same(live: Any, declared: Any) -> bool:
    if isinstance(live, list) and isinstance(declared, list):
        return len(live) == len(declared) and all(_same(a, b) for a, b in zip(live, declared))
    return live == declared or str(live) == str(declared)


# -- the program -------------------------------------------------------------------------------------


def render(
    endpoints: Sequence[ImportedEndpoint],
    *,
    stack_id: str,
    environment: str | None,
    default_tags: Mapping[str, str],
    import_blocks: bool,
    host: str | None,
    scopes: Sequence[ImportedScope] = (),
    apps: Sequence[ImportedApp] = (),
    skipped_apps: Sequence[str] = (),
    deployer: DeployerPlan | None = None,
) -> str:
    body: list[str] = []
    creators = sorted({e.creator_kept for e in endpoints if e.creator_kept})
    if creators:
        body += comment_lines(
            f"Not granted here: CAN_MANAGE of each endpoint's creator ({', '.join(creators)}). "
            "Whoever applies keeps CAN_MANAGE without a grant (the provider drops a grant to "
            "itself); if someone else applies, add grant_manage(user=...) for the creator.",
            INDENT,
        )
    stack_kwargs = [("environment", literal(environment))] if environment else []
    if default_tags:
        stack_kwargs.append(("default_tags", literal(dict(default_tags))))
    if deployer is not None:
        for note in deployer.notes:
            body += comment_lines(("NOTE: " if note.warn else "") + f"Unity Catalog grants: {note.text}", INDENT)
        stack_kwargs.append(("deployer", literal(deployer.deployer)))
    if import_blocks and host:
        # The import blocks name this workspace's endpoints: the stack declares it, so Terraform,
        # `check` and `emulator apply` work where it was read (`client.workspace`).
        stack_kwargs.append(("host", literal(host)))
    stack_call = Call("ServingStack", [Raw("app"), literal(stack_id)], stack_kwargs, together=2)
    body.append(f"{INDENT}stack = {stack_call.layout(INDENT, len(INDENT) + 8)}")
    for scope in scopes:
        body.append("")
        body += scope.lines(import_blocks)
    for endpoint in endpoints:
        body.append("")
        body += _endpoint_lines(endpoint, import_blocks)
    for skipped in skipped_apps:
        body.append("")
        body += comment_lines(f"NOTE: {skipped}", INDENT)
    for imported_app in apps:
        body.append("")
        body += imported_app.lines(import_blocks)
    if deployer is not None and import_blocks:
        body += ["", f"{INDENT}stack.adopt_deployer_grants()"]
    code = "\n".join(body)
    used = sorted({n for n in re.findall(r"\b([A-Za-z_]+)[(.]", code) if n in PUBLIC_NAMES} | {"synthesize"})
    source = "\n".join(
        [
            "#!/usr/bin/env python",
            '"""Serving endpoints and what stands around them, imported by `servingstack import`'
            + (f"\nfrom {host}." if host else "."),
            "",
            f"`python <this file>` (or `cdktf synth`) writes the stack `{stack_id}` to cdktf.out; "
            + (
                "each resource carries a\nTerraform import block, so the first plan adopts the live resources instead "
                "of recreating them."
                if import_blocks
                else "there are no import\nblocks: Terraform would create the endpoints anew."
            ),
            '"""',
            "from __future__ import annotations",
            "",
            "import sys",
            "",
            _import_line(used),
            "",
            "",
            "def build(app: object) -> None:",
            code,
            "",
            "",
            'if __name__ == "__main__":',
            f"{INDENT}sys.exit(synthesize(build))",
            "",
        ]
    )
    return source


def _endpoint_lines(endpoint: ImportedEndpoint, import_blocks: bool) -> list[str]:
    live = endpoint.live
    lines = comment_lines(f"{live.name} (id {live.id})", INDENT)
    for note in endpoint.notes:
        prefix = "NOTE: " if note.warn else ""
        lines += comment_lines(prefix + note.text, INDENT)
    call = Call(
        endpoint.construct,
        [Raw("stack"), literal(endpoint.construct_id)],
        [(k, literal(v)) for k, v in endpoint.props],
        together=2,
    )
    uses_variable = bool(endpoint.grants) or import_blocks
    head = f"{INDENT}{endpoint.variable} = " if uses_variable else INDENT
    lines.append(head + call.layout(INDENT, len(head)))
    for method, argument, principal in endpoint.grants:
        lines.append(f"{INDENT}{endpoint.variable}.{method}({argument}={text(principal)})")
    if import_blocks:
        lines.append(f"{INDENT}{endpoint.variable}.adopt({text(live.id)})")
    return lines


def _import_line(names: Sequence[str]) -> str:
    flat = f"from servingstack import {', '.join(names)}"
    if len(flat) <= WIDTH:
        return flat
    return "from servingstack import (\n" + "".join(f"{INDENT}{n},\n" for n in names) + ")"


def build_program(
    live: Sequence[LiveEndpoint],
    *,
    stack_id: str = DEFAULT_STACK_ID,
    environment: str | None = None,
    import_blocks: bool = True,
    host: str | None = None,
    engine: str | None = None,
    around: Around | None = None,
) -> Program:
    """The program for `live` (already filtered), compiled once to prove it is valid Python. `engine`:
    the engine it will build with (what it may declare); `around`: what to declare beside the endpoints."""
    around = around or Around()
    prefix = f"{environment}-" if environment else ""
    default_tags = shared_tags(live)
    ordered = sorted(live, key=lambda e: e.name)
    names = EndpointNames([e.name[len(prefix) :] for e in ordered])
    # The apps to declare come first: their principals' CAN_QUERY is theirs to declare, not the endpoints'.
    imported_names = {e.name for e in ordered}
    selected, skipped = select_apps(around.apps, imported_names, around.endpoint_ids.get, prefix)
    principals: dict[str, dict[str, str]] = {}
    for app in selected:
        for target, _ in querying(app).values():
            if target in imported_names and app.get("service_principal_client_id"):
                principals.setdefault(target, {})[str(app["service_principal_client_id"])] = str(app["name"])
    endpoints = [
        plan_endpoint(
            e,
            prefix,
            default_tags,
            names,
            provisioned_throughput=is_provisioned_throughput(e.request) and e.name not in around.serving_endpoints,
            newer_fields=has_newer_fields(engine),
            app_principals=principals.get(e.name),
        )
        for e in ordered
    ]
    # What the endpoints took (variables, construct ids and their outputs' ids), the scopes and apps avoid.
    scopes = plan_scopes(around.scopes, around.caller, names.variables, names.construct_ids, prefix)
    apps = plan_apps(
        selected,
        {e.live.name: e.variable for e in endpoints},
        around.endpoint_ids.get,
        prefix,
        has_newer_fields(engine),
        names.variables,
        names.construct_ids,
    )
    for endpoint in endpoints:
        try:
            EndpointSpec(**dict(endpoint.props)).validate(endpoint.construct_id, prefix, default_tags, engine=engine)
        except ValidationError as error:
            endpoint.notes.append(
                Note(f"servingstack refuses what runs, so the program will not synthesize until this is fixed: {error}")
            )
    source = render(
        endpoints,
        stack_id=stack_id,
        environment=environment,
        default_tags=default_tags,
        import_blocks=import_blocks,
        host=host,
        scopes=scopes,
        apps=apps,
        skipped_apps=skipped,
        deployer=around.deployer,
    )
    compile(source, "<servingstack import>", "exec")
    return Program(
        source=source, endpoints=endpoints, scopes=scopes, apps=apps, skipped_apps=skipped, deployer=around.deployer
    )
