"""Which resources an apply may change: those its state holds, as with Terraform.

A resource whose name the state does not hold is created, even when the workspace already has
one of that name (another stack made it, or someone by hand): the service refuses the create,
as it refuses Terraform's, and the apply reports the service's error with the way to adopt the
object on purpose (a Terraform import block). An import block adopts the live object into the
state instead; from then on it is this stack's. `decide` is that rule, for the apply and for
`servingstack plan`, which predicts it.

A create is recorded in the state before it is sent (`create_recorded`): killed between the
service creating the resource and its answer, the apply still knows the resource may be its
own, and the next apply finds it. A create the service refuses (4xx) is forgotten again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from databricks.sdk.errors import (
    BadRequest,
    DatabricksError,
    NotFound,
    PermissionDenied,
    ResourceConflict,
    Unauthenticated,
)

from servingstack.deploy.changes import service_error

T = TypeVar("T")

# What becomes of one declared endpoint, secret scope or app (`decide`), as Terraform decides it.
CREATE = "create"  # nothing of that name exists: created
MANAGE = "manage"  # the state holds it and it exists: brought to the declaration
IMPORT = "import"  # an import block adopts the live object into the state; then as MANAGE
TAKEN = "taken"  # another's: the create is sent and the service refuses it ("already exists")
IMPORT_MISMATCH = "import_mismatch"  # the import block names another object than the resource declares
IMPORT_MISSING = "import_missing"  # the import block names an object that does not exist

# Answers that say the service did not create anything; any other failure (a 5xx, a dropped
# connection, a timeout) may have come after the create took effect.
REFUSALS = (BadRequest, Unauthenticated, PermissionDenied, NotFound, ResourceConflict)


def decide(*, owns: bool, import_id: str | None, name: str, exists: bool) -> str:
    """The one rule `emulator apply` applies and `plan` predicts: what the state holds is managed (or
    created again when it is gone); otherwise an import block for the resource adopts the live object
    of its name (Terraform: "Cannot import non-existent remote object" when there is none), and without
    one a live object of that name is another's, whose create the service refuses."""
    if owns:
        return MANAGE if exists else CREATE
    if import_id is not None:
        if import_id != name:
            return IMPORT_MISMATCH  # the provider imports these resources by their name
        return IMPORT if exists else IMPORT_MISSING
    return TAKEN if exists else CREATE


def create_recorded(remember: Callable[[], None], forget: Callable[[], None], create: Callable[[], T]) -> T:
    """Record, then create; a refused create is forgotten, any other failure stays recorded."""
    remember()
    try:
        return create()
    except REFUSALS:
        forget()
        raise


def already_exists(error: DatabricksError, kind: str, address: str, name: str, adopt: str) -> str:
    """The service's refusal of a create whose name is taken, and what to do about it."""
    return (
        f"{service_error(error)}. This stack's state does not hold that {kind}: another stack or someone by hand "
        f"made it, and an apply never takes one over silently (Terraform would fail here too). To manage "
        f"it from this stack, import it: {adopt}, which adds the import block "
        f'import {{ to = {address}, id = "{name}" }}; otherwise give this {kind} another name.'
    )


def missing_import(kind: str, address: str, import_id: str) -> str:
    """An import block whose object does not exist: Terraform's "Cannot import non-existent remote object"."""
    return (
        f'Cannot import non-existent remote object: the import block for {address} names the {kind} "{import_id}", '
        "which the workspace does not have. Remove the import block to create it."
    )


def import_mismatch(kind: str, address: str, import_id: str, name: str) -> str:
    return (
        f'the import block for {address} adopts the {kind} "{import_id}", but the resource declares "{name}": '
        f"the provider imports a {kind} by its name, so the two must be the same."
    )
