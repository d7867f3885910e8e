"""Read what stands around the imported endpoints (`program.Around`): the secret scopes they use,
the apps that query them (and the ids of other endpoints those apps name), who imports, and, on
request, the Unity Catalog grants serving needs. Every call goes through the import's retries
and deadline."""

from __future__ import annotations

from collections.abc import Sequence

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from servingstack.client.redact import Redactor
from servingstack.client.retry import Deadline
from servingstack.facts.uc_privileges import required_privileges
from servingstack.importer.apps import querying, read_apps
from servingstack.importer.grants import plan_deployer, read_grants
from servingstack.importer.live import Call, LiveEndpoint, make_call
from servingstack.importer.program import Around
from servingstack.importer.scopes import chosen_scopes, read_scopes


def read_around(
    client: WorkspaceClient,
    endpoints: Sequence[LiveEndpoint],
    deadline: Deadline,
    redactor: Redactor,
    *,
    scopes: str,
    uc_grants: bool,
    deployer: str | None,
    serving_endpoints: Sequence[str] = (),
) -> Around:
    call = make_call(client, deadline, redactor)
    requests = [e.request for e in endpoints]
    names, named = chosen_scopes(scopes, requests)
    around = Around(
        scopes=read_scopes(client, call, names, named),
        apps=read_apps(client, call) if endpoints else [],
        caller=_caller(client, call),
        serving_endpoints=frozenset(serving_endpoints),
    )
    imported = {e.name for e in endpoints}
    others = sorted(
        {
            endpoint
            for app in around.apps
            for endpoint, _ in querying(app).values()
            if endpoint not in imported and any(e in imported for e, _ in querying(app).values())
        }
    )
    for name in others:
        found = _endpoint_id(client, call, name)
        if found:
            around.endpoint_ids[name] = found
    if uc_grants:
        needed = required_privileges(requests)
        around.deployer = plan_deployer(needed, read_grants(client, call, sorted(needed)), deployer)
    return around


def _endpoint_id(client: WorkspaceClient, call: Call, name: str) -> str | None:
    try:
        return call(f"read endpoint {name!r}", lambda: client.serving_endpoints.get(name)).id
    except NotFound:
        return None


def _caller(client: WorkspaceClient, call: Call) -> str | None:
    """Who imports (a user name; a service principal's application id): the creator of the scopes it made."""
    return call("read the current user", lambda: client.current_user.me()).user_name
