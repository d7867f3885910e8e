"""Wrong-typed request bodies for every route of the emulator: a valid sample body per route, and
every way to break the type of each of its fields.

The routes come from the server's own route tables (`routes()`: the workspace API's and the data
plane's), so a new route is fuzzed as soon as it exists: with the generic bodies below at once, and
field by field once it has a sample here (a test fails, naming the route, until it does).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import requests

from servingstack.emulator import data_plane
from servingstack.emulator.oauth import JWT_BEARER, TOKEN_PATH
from servingstack.emulator.server import build_app
from servingstack.emulator.workspace import Workspace
from servingstack.facts.route_optimized import QUERY_ACTION

CUSTOM = "fz-custom"  # a custom model with two entities
CHAT = "fz-chat"  # an external chat model
COMPLETIONS = "fz-complete"  # an external completions model
EMBEDDINGS = "fz-embed"  # an external embeddings model
PT = "fz-pt"  # a provisioned-throughput endpoint
RO = "fz-ro"  # a route-optimized custom model: queried on the data plane
SCOPE = "fz-scope"
APP = "fz-app"  # an app querying CUSTOM
WORKSPACE, DATA_PLANE = "workspace", "data plane"  # where a route listens
GPT = {
    "name": "gpt-4o",
    "provider": "openai",
    "task": "llm/v1/chat",
    "openai_config": {"openai_api_key": "{{secrets/fz-scope/openai}}"},
}


@dataclass(frozen=True)
class Sample:
    """A valid body for a route (`body`), with its path parameters filled in (`path`).
    `free`: prefixes of JSON paths whose values are free-form (a model's input rows): any type is
    right there. `alternatives`: fields that also take other JSON types (a chat message's content
    is a string or a list of parts)."""

    path: str
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)
    free: tuple[str, ...] = ()  # prefixes of free-form paths
    alternatives: dict[str, tuple[type, ...]] = field(default_factory=dict)  # other right types of a field
    form: bool = False  # sent form-encoded (the OAuth token endpoint)
    plane: str = WORKSPACE  # the listener that serves it
    # It sets something that keeps acting after the request (simulated callers): left out where one
    # workspace serves many requests that are each compared before and after.
    keeps_acting: bool = False


def custom_config() -> dict[str, Any]:
    return {
        "served_entities": [
            {
                "name": "v1",
                "entity_name": "ml.fz.scorer",
                "entity_version": "1",
                "workload_size": "Small",
                "scale_to_zero_enabled": True,
                "environment_vars": {"TOKEN": "{{secrets/fz-scope/token}}"},
            },
            {
                "name": "v2",
                "entity_name": "ml.fz.scorer",
                "entity_version": "2",
                "min_provisioned_concurrency": 4,
                "max_provisioned_concurrency": 8,
            },
        ],
        "traffic_config": {
            "routes": [
                {"served_model_name": "v1", "traffic_percentage": 90},
                {"served_model_name": "v2", "traffic_percentage": 10},
            ]
        },
        "auto_capture_config": {"catalog_name": "ml", "schema_name": "logs", "enabled": True},
    }


def gateway() -> dict[str, Any]:
    return {
        "usage_tracking_config": {"enabled": True},
        "rate_limits": [
            {"calls": 100, "key": "user", "renewal_period": "minute"},
            {"tokens": 5000, "key": "user_group", "principal": "ds", "renewal_period": "minute"},
        ],
        "guardrails": {
            "input": {"safety": True, "pii": {"behavior": "BLOCK"}, "invalid_keywords": ["secret"]},
            "output": {"valid_topics": ["fraud"]},
        },
        "inference_table_config": {"catalog_name": "ml", "schema_name": "logs", "enabled": True},
        "fallback_config": {"enabled": False},
    }


def pt_config() -> dict[str, Any]:
    return {
        "served_entities": [
            {
                "name": "llama",
                "entity_name": "system.ai.llama_v3_3_70b",
                "entity_version": "1",
                "provisioned_model_units": 50,
            }
        ]
    }


def telemetry() -> dict[str, Any]:
    return {
        "enabled_telemetry_features": ["TELEMETRY_FEATURE_TRACES"],
        "table_names": {"traces_table": "ml.logs.traces"},
    }


def app_body(name: str = APP, description: str = "asks the scorer") -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "resources": [
            {"name": "scorer", "serving_endpoint": {"name": CUSTOM, "permission": "CAN_QUERY"}},
        ],
        "compute_size": "MEDIUM",
        "user_api_scopes": ["serving.serving-endpoints"],
    }


def setup(w) -> dict[str, str]:
    """The workspace every sample speaks of; returns path parameters (and the data plane's query path)."""
    from databricks.sdk.service.apps import App
    from databricks.sdk.service.serving import EndpointCoreConfigInput, PtEndpointCoreConfig

    w.secrets.create_scope(SCOPE)
    w.secrets.put_secret(SCOPE, "token", string_value="t0k")
    w.secrets.put_secret(SCOPE, "openai", string_value="sk-fz")
    custom = w.serving_endpoints.create(
        name=CUSTOM, config=EndpointCoreConfigInput.from_dict({"name": CUSTOM, **custom_config()})
    ).response
    w.serving_endpoints.create(
        name=CHAT,
        config=EndpointCoreConfigInput.from_dict(
            {"name": CHAT, "served_entities": [{"name": "gpt", "external_model": GPT}]}
        ),
    )
    for name, task in ((COMPLETIONS, "llm/v1/completions"), (EMBEDDINGS, "llm/v1/embeddings")):
        model = {**GPT, "task": task}
        w.serving_endpoints.create(
            name=name,
            config=EndpointCoreConfigInput.from_dict(
                {"name": name, "served_entities": [{"name": "m", "external_model": model}]}
            ),
        )
    w.serving_endpoints.create_provisioned_throughput_endpoint(
        name=PT, config=PtEndpointCoreConfig.from_dict(pt_config())
    )
    routed = w.serving_endpoints.create(
        name=RO,
        config=EndpointCoreConfigInput.from_dict(
            {"name": RO, "served_entities": custom_config()["served_entities"][1:]}
        ),
        route_optimized=True,
    ).response
    w.apps.create(App.from_dict(app_body()))
    assert routed.endpoint_url is not None  # a route-optimized endpoint is shown with its data-plane URL
    ro_path = urlparse(routed.endpoint_url).path
    return {"id": custom.id, "ro_id": routed.id, "ro_path": ro_path, "workspace_id": ro_path.split("/")[1]}


def data_plane_token(url: str, token: str, endpoint_id: str) -> str:
    """A data-plane token for one endpoint, as the SDK gets it: a workspace OAuth token (client
    credentials), exchanged with authorization details naming the endpoint."""
    workspace = requests.post(
        url + TOKEN_PATH,
        data={"grant_type": "client_credentials", "client_id": "fz", "client_secret": token, "scope": "all-apis"},
        timeout=30,
    )
    workspace.raise_for_status()
    exchanged = requests.post(
        url + TOKEN_PATH,
        data={
            "grant_type": JWT_BEARER,
            "assertion": workspace.json()["access_token"],
            "authorization_details": json.dumps([authorization(endpoint_id)]),
        },
        timeout=30,
    )
    exchanged.raise_for_status()
    return str(exchanged.json()["access_token"])


def authorization(endpoint_id: str) -> dict[str, Any]:
    """Authorization details that allow querying one endpoint (facts/route_optimized.py)."""
    return {
        "type": "workspace_permission",
        "object_type": "serving-endpoints",
        "object_path": f"/serving-endpoints/{endpoint_id}",
        "actions": [QUERY_ACTION],
    }


def samples(params: dict[str, str]) -> dict[tuple[str, str], Sample]:
    """(method, route) -> a valid sample, for every route that reads a body."""
    api, perms, secrets, uc = (
        "/api/2.0/serving-endpoints",
        "/api/2.0/permissions/serving-endpoints",
        "/api/2.0/secrets",
        "/api/2.1/unity-catalog/permissions",
    )
    endpoint_id = params["id"]
    apps = "/api/2.0/apps"
    return {
        ("POST", api): Sample(
            api,
            {
                "name": "fz-new",
                "config": custom_config(),
                "ai_gateway": {"usage_tracking_config": {"enabled": True}},
                "tags": [{"key": "team", "value": "fraud"}],
                "route_optimized": False,
                "description": "made by the fuzzer",
                "email_notifications": {"on_update_failure": ["oncall@example.com"]},
                "budget_policy_id": "policy-1",
                "rate_limits": [{"calls": 10, "key": "endpoint", "renewal_period": "minute"}],
                "telemetry_config": telemetry(),
            },
        ),
        ("POST", f"{api}/pt"): Sample(
            f"{api}/pt",
            {
                "name": "fz-new-pt",
                "config": pt_config(),
                "tags": [{"key": "team", "value": "fraud"}],
                "ai_gateway": {"usage_tracking_config": {"enabled": True}},
                "budget_policy_id": "policy-1",
                "email_notifications": {"on_update_success": ["oncall@example.com"]},
            },
        ),
        ("PUT", f"{api}/pt/{{name}}/config"): Sample(f"{api}/pt/{PT}/config", {"config": pt_config()}),
        ("PUT", f"{api}/{{name}}/config"): Sample(f"{api}/{CUSTOM}/config", custom_config()),
        ("PUT", f"{api}/{{name}}/ai-gateway"): Sample(f"{api}/{CHAT}/ai-gateway", gateway()),
        ("PUT", f"{api}/{{name}}/rate-limits"): Sample(
            f"{api}/{CUSTOM}/rate-limits", {"rate_limits": [{"calls": 10, "key": "user", "renewal_period": "minute"}]}
        ),
        ("PATCH", f"{api}/{{name}}/tags"): Sample(
            f"{api}/{CUSTOM}/tags", {"add_tags": [{"key": "team", "value": "fraud"}], "delete_tags": ["old"]}
        ),
        ("PATCH", f"{api}/{{name}}/notifications"): Sample(
            f"{api}/{CUSTOM}/notifications",
            {"email_notifications": {"on_update_failure": ["a@example.com"], "on_update_success": ["b@example.com"]}},
        ),
        ("PATCH", f"{api}/{{name}}/telemetry-config"): Sample(
            f"{api}/{CHAT}/telemetry-config", {"telemetry_config": telemetry()}
        ),
        ("PUT", f"{perms}/{{id}}"): Sample(
            f"{perms}/{endpoint_id}",
            {"access_control_list": [{"group_name": "ds", "permission_level": "CAN_QUERY"}]},
        ),
        ("PATCH", f"{perms}/{{id}}"): Sample(
            f"{perms}/{endpoint_id}",
            {"access_control_list": [{"service_principal_name": "6f2a", "permission_level": "CAN_MANAGE"}]},
        ),
        ("POST", "/serving-endpoints/{name}/invocations"): Sample(
            f"/serving-endpoints/{CUSTOM}/invocations",
            {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, "x"]]}},
            # SDK DataframeSplitInput.columns and .data: List[Any].
            free=("dataframe_split.data[", "dataframe_split.columns["),
            alternatives={"dataframe_split.columns": (list,), "dataframe_split.data": (list,)},
        ),
        ("POST", "/serving-endpoints/{name}/served-models/{entity}/invocations"): Sample(
            f"/serving-endpoints/{CHAT}/served-models/gpt/invocations",
            {
                "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 16,
                "temperature": 0.5,
                "n": 1,
                "stream": False,
            },
            alternatives={"messages[0].content": (list,)},  # a string, or a list of content parts
        ),
        ("POST", "/serving-endpoints/chat/completions"): Sample(
            "/serving-endpoints/chat/completions",
            {"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8},
            alternatives={"messages[0].content": (list,)},
        ),
        ("POST", "/serving-endpoints/completions"): Sample(
            "/serving-endpoints/completions", {"model": COMPLETIONS, "prompt": "hi"}, alternatives={"prompt": (list,)}
        ),
        ("POST", "/serving-endpoints/embeddings"): Sample(
            "/serving-endpoints/embeddings", {"model": EMBEDDINGS, "input": ["hi"]}, alternatives={"input": (str,)}
        ),
        ("POST", "/_emulator/faults"): Sample(
            "/_emulator/faults",
            {"kind": "throttle", "count": 2, "retry_after": 1, "endpoint": CUSTOM, "scope": "query"},
        ),
        ("PUT", "/_emulator/deploy-seconds"): Sample("/_emulator/deploy-seconds", {"seconds": 0, "endpoint": CUSTOM}),
        ("PUT", "/_emulator/update-seconds"): Sample("/_emulator/update-seconds", {"seconds": 0, "endpoint": CUSTOM}),
        # A rate so low that no simulated call comes while the tests run.
        ("PUT", "/_emulator/traffic"): Sample(
            "/_emulator/traffic", {"endpoint": CUSTOM, "per_second": 0.001}, keeps_acting=True
        ),
        # A seed document (`emulator seed`): a name stands for an object of its one field.
        ("POST", "/_emulator/objects"): Sample(
            "/_emulator/objects",
            {
                "users": ["fz@example.com"],
                "groups": [{"name": "fz-group", "members": ["fz@example.com"]}],
                "service_principals": [{"application_id": "fz-sp", "display_name": "fz"}],
                "catalogs": ["fz"],
                "schemas": ["fz.s"],
                "registry_models": {"fz-model": {"1": "READY"}},
                "secrets": {SCOPE: ["fz-key"]},
            },
            # A list of names is a right list too (["x"]); its items' other types are tried one by one.
            alternatives={
                "groups": (list,),
                "groups[0]": (str,),
                "service_principals": (list,),
                "service_principals[0]": (str,),
            },
        ),
        ("PUT", "/_emulator/signatures"): Sample(
            "/_emulator/signatures", {"entity_name": "ml.fz.scorer", "columns": {"a": "double"}}
        ),
        ("POST", f"{secrets}/scopes/create"): Sample(
            f"{secrets}/scopes/create", {"scope": "fz-new-scope", "initial_manage_principal": "users"}
        ),
        ("POST", f"{secrets}/scopes/delete"): Sample(f"{secrets}/scopes/delete", {"scope": SCOPE}),
        ("POST", f"{secrets}/put"): Sample(f"{secrets}/put", {"scope": SCOPE, "key": "new", "string_value": "v"}),
        ("POST", f"{secrets}/delete"): Sample(f"{secrets}/delete", {"scope": SCOPE, "key": "token"}),
        ("POST", f"{secrets}/acls/put"): Sample(
            f"{secrets}/acls/put", {"scope": SCOPE, "principal": "ds", "permission": "READ"}
        ),
        ("POST", f"{secrets}/acls/delete"): Sample(
            f"{secrets}/acls/delete", {"scope": SCOPE, "principal": "dev@servingstack.local"}
        ),
        ("PATCH", f"{uc}/{{securable_type}}/{{full_name}}"): Sample(
            f"{uc}/catalog/ml",
            {"changes": [{"principal": "ds", "add": ["USE_CATALOG"], "remove": ["CREATE_SCHEMA"]}]},
        ),
        ("POST", "/oidc/v1/token"): Sample(
            "/oidc/v1/token", {"grant_type": "client_credentials", "scope": "all-apis"}, form=True
        ),
        ("POST", apps): Sample(apps, app_body("fz-new-app")),
        ("PATCH", f"{apps}/{{app_name}}"): Sample(f"{apps}/{APP}", app_body(description="asks the scorer daily")),
        ("POST", f"{apps}/{{app_name}}/update"): Sample(
            f"{apps}/{APP}/update", {"update_mask": "description", "app": {"description": "updated by the fuzzer"}}
        ),
        ("POST", f"{apps}/{{app_name}}/deployments"): Sample(
            f"{apps}/{APP}/deployments", {"source_code_path": "/Workspace/Users/fz/app", "mode": "SNAPSHOT"}
        ),
        ("POST", data_plane.ROUTE): Sample(
            params.get("ro_path", "/<workspace-id>/serving-endpoints/fz-ro/invocations"),
            {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, "x"]]}},
            free=("dataframe_split.data[", "dataframe_split.columns["),
            alternatives={"dataframe_split.columns": (list,), "dataframe_split.data": (list,)},
            plane=DATA_PLANE,
        ),
    }


# Routes that take no body: the SDK sends `{}` and the emulator reads nothing (everything they need
# is in the path).
BODYLESS_ROUTES = {("POST", "/api/2.0/apps/{app_name}/start"), ("POST", "/api/2.0/apps/{app_name}/stop")}


# Routes that read no body (everything they need is in the path or the query string).
BODYLESS_METHODS = ("GET", "DELETE")


def routes() -> list[tuple[str, str]]:
    """(method, route) of every route the workspace API and the data plane register."""
    return _table(build_app) + _table(data_plane.build_app)


def plane_of(method: str, route: str) -> str:
    """The listener that serves a route."""
    return DATA_PLANE if (method, route) in _table(data_plane.build_app) else WORKSPACE


def _table(build: Any) -> list[tuple[str, str]]:
    """(method, route) of the routes an app registers (trailing-slash twins aside)."""
    found = []
    for route in build(Workspace(token="routes")).router.routes():
        canonical = route.resource.canonical if route.resource is not None else ""
        if route.method == "HEAD" or (canonical.endswith("/") and canonical != "/"):
            continue
        found.append((route.method, canonical))
    return found


# -- mutations -------------------------------------------------------------------------

HUGE = 10**30  # far beyond a 64-bit integer
HUGE_TEXT = "9" * 5000  # beyond Python's int-from-text limit, as JSON text


def wrong_types(value: Any) -> list[Any]:
    """Values of every other JSON type than `value`'s (huge numbers included)."""
    if isinstance(value, bool):
        return ["yes", 1, [value], {"v": value}]
    if isinstance(value, (int, float)):
        return ["seven", True, [value], {"v": value}, HUGE]
    if isinstance(value, str):
        return [7, HUGE, True, [value], {"v": value}]
    if isinstance(value, list):
        return ["x", 7, {"v": 1}] + ([[wrong] for wrong in wrong_types(value[0])[:2]] if value else [])
    if isinstance(value, dict):
        return ["x", 7, True, [value]]
    return []


def paths(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) inside a JSON value, the value itself first."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, f"{prefix}[{index}]")


def replaced(body: Any, path: str, new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(body)
    parent, last = _walk(copied, path)
    parent[last] = new
    return copied


def _walk(body: Any, path: str) -> tuple[Any, Any]:
    steps: list[Any] = []
    for part in path.replace("[", ".[").split("."):
        if part:
            steps.append(int(part[1:-1]) if part.startswith("[") else part)
    node = body
    for step in steps[:-1]:
        node = node[step]
    return node, steps[-1]


def is_free(path: str, free: tuple[str, ...]) -> bool:
    return any(path.startswith(prefix) for prefix in free)


def field_mutations(sample: Sample) -> Iterator[tuple[str, bytes]]:
    """(what, raw body) for each field of the sample with a value of each wrong type."""
    for path, value in paths(sample.body):
        if not path or is_free(path, sample.free):
            continue
        for wrong in wrong_types(value):
            if isinstance(wrong, sample.alternatives.get(path, ())):
                continue
            yield f"{path} = {json.dumps(wrong)[:40]}", json.dumps(replaced(sample.body, path, wrong)).encode()


def generic_bodies() -> list[tuple[str, bytes]]:
    """Bodies wrong for any route: not an object, not JSON, nested past any schema, numbers
    no JSON parser should take."""
    return [
        ("a list", b"[]"),
        ("a string", b'"body"'),
        ("a number", b"7"),
        ("null", b"null"),
        ("true", b"true"),
        ("not JSON", b"{name: 1"),
        ("not UTF-8", b'{"name": "\xff\xfe"}'),
        ("NaN", b'{"name": NaN}'),
        ("Infinity", b'{"seconds": Infinity}'),
        ("1e999", b'{"seconds": 1e999}'),
        ("a huge integer", b'{"name": ' + HUGE_TEXT.encode() + b"}"),
        ("lists nested 100000 deep", b"[" * 100_000 + b"]" * 100_000),
        ("objects nested 500 deep", b'{"a":' * 500 + b"1" + b"}" * 500),
    ]


# Path parameters of any route: what the workspace of `setup` holds (`id` and `workspace_id` come from
# it). An app's name is left out: the generic bodies go to an app that does not exist.
PATH_PARAMS = {"name": CUSTOM, "entity": "v1", "securable_type": "catalog", "full_name": "ml"}


def fill(route: str, params: dict[str, str], plane: str = WORKSPACE) -> str:
    """The route with its `{parameters}` filled in; unknown ones name nothing that exists. On the
    data plane, `name` is the route-optimized endpoint."""
    values = {**PATH_PARAMS, **params, **({"name": RO} if plane == DATA_PLANE else {})}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "fz-unknown"), route)


def raw_mutations(sample: Sample) -> Iterator[tuple[str, bytes]]:
    """Fields replaced with JSON text no `json.dumps` writes: a huge integer, NaN, deep nesting."""
    for path, value in paths(sample.body):
        if not path or is_free(path, sample.free) or isinstance(value, (dict, list)):
            continue
        marker = "__FUZZ__"
        text = json.dumps(replaced(sample.body, path, marker))
        for what, raw in (("a huge integer", HUGE_TEXT), ("NaN", "NaN"), ("nested 200 deep", "[" * 200 + "]" * 200)):
            yield f"{path} = {what}", text.replace(json.dumps(marker), raw).encode()


# -- the workspace before and after ----------------------------------------------------


def snapshot(workspace: Workspace) -> str:
    """Everything the workspace holds, as one comparable text: endpoints as the API shows them,
    their grants, secrets, Unity Catalog grants, faults, timings, signatures, queries answered,
    simulated callers, apps, tokens."""
    from servingstack.emulator import views

    store = workspace.endpoints
    with store.lock:
        store.settle_all()
        endpoints = {e.name: views.detailed(e, "http://emu", workspace.workspace_id) for e in store.all()}
        timing = (
            store._default_deploy_seconds,
            dict(store._deploy_seconds),
            store._default_update_seconds,
            dict(store._update_seconds),
        )
        permissions = {e.id: workspace.permissions.view(e.id) for e in store.all()}
    state = {
        "endpoints": endpoints,
        "timing": timing,
        "permissions": permissions,
        "secrets": {
            name: {"secrets": sorted(scope["secrets"]), "values": scope["values"], "acls": scope["acls"]}
            for name, scope in workspace.secrets._scopes.items()
        },
        "uc": {
            f"{t}/{n}": {p: sorted(v) for p, v in g.items()} for (t, n), g in workspace.uc_permissions._grants.items()
        },
        "faults": workspace.faults.describe(),
        "signatures": workspace.signatures,
        # Queries answered; a refused one is counted among the endpoint's 4xx, as the service's metrics do.
        "metrics": {f"{e}/{n}": count for (e, n), count in workspace.metrics._answered.items()},
        "callers": workspace.callers,
        "apps": {
            r.name: (workspace.apps.view(r), r.deployments, r.last_update, r.granted) for r in workspace.apps.all()
        },
        "tokens": (len(workspace.issued._tokens), len(workspace.issued._data_plane)),
        "identities": {kind: workspace.identities.list(kind)[0] for kind in ("Users", "Groups", "ServicePrincipals")},
    }
    return json.dumps(state, sort_keys=True, default=str)
