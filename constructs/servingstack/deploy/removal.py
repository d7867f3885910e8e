"""What an earlier apply of this stack created and the stack no longer declares goes, as with
Terraform: dependents first (permissions, then endpoints; ACLs, then scopes), grants last. Each
entry leaves the state once its object is gone (or found gone already); an apply killed halfway
deletes the rest next time."""

from __future__ import annotations

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound
from databricks.sdk.service.catalog import PermissionsChange, Privilege

from servingstack.deploy.around import securable_type_of
from servingstack.deploy.changes import DELETED, Change
from servingstack.deploy.state import ApplyState
from servingstack.facts.stackfile import DeclaredStack


def delete_removed(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    return (
        _permissions(client, stack, state)
        + _endpoints(client, stack, state)
        + _acls(client, stack, state)
        + _scopes(client, stack, state)
        + _grants(client, stack, state)
    )


def _permissions(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    """Permissions of a kept endpoint are reset; those of a leaving endpoint go with it."""
    changes: list[Change] = []
    declared = {p.logical_id for p in stack.permissions}
    leaving = set(state.endpoints()) - {e.name for e in stack.endpoints}
    for logical_id, endpoint_name in state.permissions().items():
        if logical_id in declared:
            continue
        resource = f"databricks_permissions.{logical_id}"
        if endpoint_name in leaving:
            changes.append(Change(DELETED, resource, endpoint_name, ["with its endpoint"]))
        else:
            # The provider's delete leaves only the caller's own CAN_MANAGE.
            try:
                live = client.serving_endpoints.get(endpoint_name)
                assert live.id is not None  # the service answers every endpoint with its id
                client.serving_endpoints.set_permissions(live.id, access_control_list=[])
                changes.append(Change(DELETED, resource, f"{endpoint_name} (id {live.id})", ["grants removed"]))
            except NotFound:
                changes.append(Change(DELETED, resource, endpoint_name, ["its endpoint is already gone"]))
        state.forget_permissions(logical_id)
    return changes


def _endpoints(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    changes: list[Change] = []
    declared = {e.name for e in stack.endpoints}
    for endpoint_name, resource in state.endpoints().items():
        if endpoint_name in declared:
            continue
        try:
            client.serving_endpoints.delete(endpoint_name)
            details = []
        except NotFound:
            details = ["already gone"]
        changes.append(Change(DELETED, resource, endpoint_name, details))
        state.forget_endpoint(endpoint_name)
    return changes


def _acls(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    changes: list[Change] = []
    declared = {a.logical_id for a in stack.secret_acls}
    still_granted = {(a.scope, a.principal) for a in stack.secret_acls}  # e.g. under a new logical id
    leaving_scopes = set(state.secret_scopes()) - {s.name for s in stack.secret_scopes}
    for logical_id, acl in state.secret_acls().items():
        if logical_id in declared:
            continue
        resource = f"databricks_secret_acl.{logical_id}"
        target = f"{acl['scope']} {acl['principal']}"
        if acl["scope"] in leaving_scopes:
            details = ["with its scope"]
        elif (acl["scope"], acl["principal"]) in still_granted:
            details = ["its principal keeps the ACL another resource of the stack declares"]
        else:
            try:
                client.secrets.delete_acl(acl["scope"], acl["principal"])
                details = []
            except NotFound:
                details = ["already gone"]
        changes.append(Change(DELETED, resource, target, details))
        state.forget_acl(logical_id)
    return changes


def _scopes(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    changes: list[Change] = []
    declared = {s.name for s in stack.secret_scopes}
    for name, resource in state.secret_scopes().items():
        if name in declared:
            continue
        try:
            client.secrets.delete_scope(name)  # its secrets and ACLs with it
            details = []
        except NotFound:
            details = ["already gone"]
        changes.append(Change(DELETED, resource, name, details))
        state.forget_scope(name)
    return changes


def _grants(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    """The provider's delete of a `databricks_grant` removes every privilege its principal holds
    on the securable (resource_grant.go: `replacePermissionsForPrincipal` with an empty list);
    privileges another grant of the stack still declares for that principal are kept."""
    changes: list[Change] = []
    declared = {g.logical_id for g in stack.grants}
    kept: dict[tuple[str, str, str], set[str]] = {}
    for grant in stack.grants:
        kept.setdefault((grant.securable_type, grant.full_name, grant.principal), set()).update(grant.privileges)
    for logical_id, recorded in state.grants().items():
        if logical_id in declared:
            continue
        securable_type, full_name, principal = recorded["securable_type"], recorded["full_name"], recorded["principal"]
        resource = f"databricks_grant.{logical_id}"
        target = f"{securable_type} {full_name} {principal}"
        api_type = securable_type_of(securable_type)
        live = client.grants.get(api_type, full_name)
        held = {
            p.value for a in live.privilege_assignments or [] if a.principal == principal for p in a.privileges or []
        }
        remove = sorted(held - kept.get((securable_type, full_name, principal), set()))
        if remove:
            client.grants.update(
                api_type,
                full_name,
                changes=[PermissionsChange(principal=principal, remove=[Privilege(p) for p in remove])],
            )
        changes.append(Change(DELETED, resource, target, remove or ["nothing left to remove"]))
        state.forget_grant(logical_id)
    return changes
