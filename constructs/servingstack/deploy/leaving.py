"""What leaves a stack leaves the workspace, as Terraform deletes what its state holds and the
configuration no longer declares: apps, secret ACLs, secret scopes and Unity Catalog grants (the
endpoints and their permissions: `apply._delete_removed`). Each kind is deleted the way the
provider's Delete does it:

- `databricks_app`: `DELETE /api/2.0/apps/{name}`, 404 tolerated, not waited for (provider
  resource_app.go: `w.Apps.DeleteByName(...)`, `if err != nil && !apierr.IsMissing(err)`); the service
  deletes the app's service principal and its grants with it;
- `databricks_secret_acl`: `POST /api/2.0/secrets/acls/delete` (provider secrets/resource_secret_acl.go);
  every argument forces a new one, so an ACL that changed under the same address goes too;
- `databricks_secret_scope`: `POST /api/2.0/secrets/scopes/delete`, its secrets and ACLs with it;
- `databricks_grant`: every privilege of its principal on its securable is removed (provider
  catalog/resource_grant.go Delete: `replacePermissionsForPrincipal(..., catalog.GetPermissionsResponse{})`).

Each record leaves the state once its object is gone (or found gone already): an apply killed
halfway deletes the rest next time. Apps go first (they name endpoints), scopes after the
endpoints that read them.
"""

from __future__ import annotations

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, NotFound
from databricks.sdk.service.catalog import PermissionsChange

from servingstack.deploy.changes import DELETED, Change
from servingstack.deploy.state import ApplyState, acl_record, grant_record
from servingstack.facts.stackfile import DeclaredStack
from servingstack.facts.uc_privileges import api_securable_type


def _acls(stack: DeclaredStack) -> dict[str, list[str]]:
    return {a.logical_id: acl_record(a.scope, a.principal) for a in stack.secret_acls}


def _grants(stack: DeclaredStack) -> dict[str, list[str]]:
    return {g.logical_id: grant_record(g.securable_type, g.full_name, g.principal) for g in stack.grants}


def delete_apps(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    changes = []
    declared = {a.name for a in stack.apps}
    for name, resource in state.records("apps").items():
        if name in declared:
            continue
        try:
            client.apps.delete(name)
            details = ["the service deletes it and its service principal in the background"]
        except NotFound:
            details = ["already gone"]
        except BadRequest as error:  # a second delete while the first is under way
            details = [f"already being deleted ({error})"]
        changes.append(Change(DELETED, resource, name, details))
        state.forget("apps", name)
    return changes


def delete_secrets(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    """ACLs of kept scopes, then scopes (each with its ACLs and secrets)."""
    changes = []
    kept_scopes = {s.name for s in stack.secret_scopes}
    leaving_scopes = {n: r for n, r in state.records("secret_scopes").items() if n not in kept_scopes}
    declared = _acls(stack)
    still_granted = [tuple(acl) for acl in declared.values()]  # e.g. under another address now
    for logical_id, (scope, principal) in state.records("secret_acls").items():
        if declared.get(logical_id) == [scope, principal]:
            continue
        resource, target = f"databricks_secret_acl.{logical_id}", f"{scope} {principal}"
        if scope in leaving_scopes:
            details = ["with its scope"]
        elif (scope, principal) in still_granted:
            details = ["another resource of the stack declares the same ACL: it stays"]
        else:
            try:
                client.secrets.delete_acl(scope, principal)
                details = []
            except NotFound:
                details = ["already gone"]
        changes.append(Change(DELETED, resource, target, details))
        state.forget("secret_acls", logical_id)
        if logical_id in declared and scope not in leaving_scopes:  # the new ACL under the same address
            state.remember("secret_acls", logical_id, declared[logical_id])
    for name, resource in leaving_scopes.items():
        try:
            client.secrets.delete_scope(name)
            details = ["with its secrets and ACLs"]
        except NotFound:
            details = ["already gone"]
        changes.append(Change(DELETED, resource, name, details))
        state.forget("secret_scopes", name)
    return changes


def delete_grants(client: WorkspaceClient, stack: DeclaredStack, state: ApplyState) -> list[Change]:
    """Grants the stack no longer declares (or declares for another principal or securable under
    the same address); the stack's grants are applied after this, so a principal that keeps some
    privilege under another grant gets it back at once."""
    changes = []
    declared = _grants(stack)
    for logical_id, (securable, full_name, principal) in state.records("grants").items():
        if declared.get(logical_id) == [securable, full_name, principal]:
            continue
        resource, target = f"databricks_grant.{logical_id}", f"{securable} {full_name} {principal}"
        securable_type = api_securable_type(securable)
        live = client.grants.get(securable_type, full_name)
        held = [p for a in live.privilege_assignments or [] if a.principal == principal for p in a.privileges or []]
        if held:
            client.grants.update(
                securable_type, full_name, changes=[PermissionsChange(principal=principal, remove=held)]
            )
            details = [f"revoked {', '.join(sorted(p.value for p in held))}"]
        else:
            details = ["nothing left to revoke"]
        changes.append(Change(DELETED, resource, target, details))
        state.forget("grants", logical_id)
        if logical_id in declared:  # another principal or securable under the same address
            state.remember("grants", logical_id, declared[logical_id])
    return changes
