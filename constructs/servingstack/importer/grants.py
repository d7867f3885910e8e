"""Unity Catalog grants for `servingstack import --uc-grants` (opt-in: they belong to no one endpoint):
the privileges serving needs on the imported endpoints' models, schemas and catalogs
(`facts.uc_privileges`), declared as the stack's `deployer=` with, given import blocks,
`stack.adopt_deployer_grants()`.

The grants are read raw (`GET /api/2.1/unity-catalog/permissions/{type}/{name}`, every page): the SDK's
`Privilege` enum drops a privilege it does not know ("unknown enum values are not included"), and a
privilege dropped here would be one the program silently revokes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from servingstack.client.errors import UsageError
from servingstack.facts.uc_privileges import Privileges, api_securable_type
from servingstack.importer.live import Call
from servingstack.importer.shapes import Note

Live = dict[tuple[str, str], dict[str, set[str]]]  # securable -> principal -> privileges


@dataclass
class DeployerPlan:
    deployer: str
    notes: list[Note] = field(default_factory=list)


def read_grants(client: WorkspaceClient, call: Call, securables: Iterable[tuple[str, str]]) -> Live:
    live: Live = {}
    for kind, name in securables:
        live[(kind, name)] = _read_one(client, call, kind, name)
    return live


def _read_one(client: WorkspaceClient, call: Call, kind: str, name: str) -> dict[str, set[str]]:
    path = f"/api/2.1/unity-catalog/permissions/{api_securable_type(kind)}/{name}"
    held: dict[str, set[str]] = {}
    # SDK GrantsAPI.get: "we recommend using max_results=0 to use the paginated version of this API ...
    # Clients must continue reading pages until next_page_token is absent".
    query: dict[str, Any] = {"max_results": 0}
    while True:
        try:
            page = _get(client, call, f"read the grants on {kind} {name}", path, query)
        except NotFound:
            return held  # no such securable: nothing is granted on it
        for assignment in (page or {}).get("privilege_assignments") or []:
            if assignment.get("principal"):
                held.setdefault(assignment["principal"], set()).update(assignment.get("privileges") or [])
        token = (page or {}).get("next_page_token")
        if not token:
            return held
        query = {"max_results": 0, "page_token": token}


def _get(client: WorkspaceClient, call: Call, what: str, path: str, query: dict[str, Any]) -> Any:
    return call(what, lambda: client.api_client.do("GET", path, query=query))


def plan_deployer(needed: Privileges, live: Live, deployer: str | None) -> DeployerPlan | None:
    """Whose grants to declare (the one named, else the one principal that holds everything serving
    needs), and a note for every privilege the program would add or revoke. None: nothing is needed."""
    if not needed:
        return None
    if deployer is None:
        principals = {p for held in live.values() for p in held}
        holders = sorted(
            p for p in principals if all(privs <= live.get(key, {}).get(p, set()) for key, privs in needed.items())
        )
        if len(holders) != 1:
            found = f"{', '.join(holders)} hold" if holders else "no principal holds"
            raise UsageError(
                f"--uc-grants: {found} every privilege serving needs ({_describe(needed)}); "
                "name the deploying principal with --deployer"
            )
        deployer = holders[0]
    plan = DeployerPlan(deployer)
    for (kind, name), privileges in sorted(needed.items()):
        held = live.get((kind, name), {}).get(deployer, set())
        missing, extra = sorted(privileges - held), sorted(held - privileges)
        if missing:
            plan.notes.append(
                Note(f"{kind} {name}: {deployer} does not hold {', '.join(missing)}: the first apply grants it")
            )
        if extra:
            plan.notes.append(
                Note(
                    f"{kind} {name}: {deployer} also holds {', '.join(extra)}, which the stack does not declare; "
                    "databricks_grant is authoritative for its principal (provider docs, resources/grant.md), "
                    "so an apply of this program revokes it"
                )
            )
    return plan


def _describe(needed: Privileges) -> str:
    return "; ".join(f"{', '.join(sorted(privs))} on {kind} {name}" for (kind, name), privs in sorted(needed.items()))
