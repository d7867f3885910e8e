"""Read a synthesized stack (`cdktf.out/stacks/<stack>/cdk.tf.json`) back as API-shaped
declarations: the contract between synth and the emulator's apply and the checker.

The provider's schema uses the API's field names, so a resource body is the API request
once Terraform-only keys (`timeouts`, `//`, `depends_on`, ...) are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servingstack.errors import StackFileError

STACK_FILE = "cdk.tf.json"
METADATA_KEY = "servingstack"
_TERRAFORM_ONLY = {
    "timeouts",
    "//",
    "depends_on",
    "lifecycle",
    "provider",
    "count",
    "for_each",
    "provisioner",
    "connection",
    "provider_config",
}  # provider 1.138: which workspace the provider manages it in
_REFERENCE = re.compile(r"^\$\{databricks_model_serving\.([A-Za-z0-9_-]+)\.serving_endpoint_id\}$")
PT_RESOURCE = "databricks_model_serving_provisioned_throughput"
_PT_REFERENCE = re.compile(
    r"^\$\{databricks_model_serving_provisioned_throughput\.([A-Za-z0-9_-]+)\.serving_endpoint_id\}$"
)


@dataclass
class DeclaredEndpoint:
    logical_id: str
    name: str
    request: dict[str, Any]
    resource_type: str = "databricks_model_serving"
    task: str | None = None
    sample_request: dict[str, Any] | None = None
    construct_path: str | None = None
    # Declared expectations (their JSON form, see `servingstack.model.expectations`) and grants:
    # `access_control` is None when no databricks_permissions resource covers the endpoint.
    expectations: list[dict[str, Any]] = field(default_factory=list)
    access_control: list[dict[str, str]] | None = None
    # Terraform's `lifecycle.ignore_changes` of the resource (see `facts.ignore_changes`), and the
    # declared progressive rollout (its JSON form, see `servingstack.model.rollout`), if any.
    ignore_changes: list[str] = field(default_factory=list)
    rollout: dict[str, Any] | None = None


@dataclass
class DeclaredPermissions:
    logical_id: str
    endpoint_logical_id: str | None
    serving_endpoint_id: str
    access_control: list[dict[str, str]]


@dataclass
class DeclaredApp:
    """A `databricks_app`: `serving_endpoints` holds one entry per `serving_endpoint` resource
    (`resource`, the endpoint's literal `name`, `permission`, and the `reference` it was named by);
    `request` is the app's API body (`apps.App`) with those names resolved."""

    logical_id: str
    name: str
    serving_endpoints: list[dict[str, str]]
    request: dict[str, Any] = field(default_factory=dict)
    construct_path: str | None = None
    no_compute: bool = False  # the provider's create-only `no_compute` (not part of the app)


@dataclass
class DeclaredSecretScope:
    logical_id: str
    name: str
    initial_manage_principal: str | None = None


@dataclass
class DeclaredSecretAcl:
    logical_id: str
    scope: str
    principal: str
    permission: str


@dataclass
class DeclaredGrant:
    """A Unity Catalog `databricks_grant`: one principal on one securable, authoritative for that principal there
    (facts/uc_privileges.py)."""

    logical_id: str
    securable_type: str  # catalog | schema | model | ... (the resource's attribute name)
    full_name: str
    principal: str
    privileges: list[str]


@dataclass
class DeclaredStack:
    name: str
    path: Path
    # The workspace its Databricks provider names (`provider.databricks[0].host` / `.profile`), as
    # written: None when unset (the provider then reads DATABRICKS_HOST or ~/.databrickscfg at
    # apply time) or when not a literal (a Terraform variable or reference: `host_reference`).
    host: str | None = None
    profile: str | None = None
    host_reference: str | None = None
    endpoints: list[DeclaredEndpoint] = field(default_factory=list)
    permissions: list[DeclaredPermissions] = field(default_factory=list)
    apps: list[DeclaredApp] = field(default_factory=list)
    secret_scopes: list[DeclaredSecretScope] = field(default_factory=list)
    secret_acls: list[DeclaredSecretAcl] = field(default_factory=list)
    grants: list[DeclaredGrant] = field(default_factory=list)
    # Terraform import blocks: resource address -> the id of the live object it adopts.
    imports: dict[str, str] = field(default_factory=dict)

    def endpoint(self, name: str) -> DeclaredEndpoint:
        for endpoint in self.endpoints:
            if endpoint.name == name:
                return endpoint
        raise KeyError(name)


def load_stack(path: str | Path) -> DeclaredStack:
    """Read one synthesized stack directory (or its `cdk.tf.json`)."""
    path = Path(path)
    file = path if path.is_file() else path / STACK_FILE
    if not file.is_file():
        raise StackFileError(
            f"{path}: no {STACK_FILE} here. Run `make synth` (or `cdktf synth`) and pass cdktf.out/stacks/<stack>"
        )
    try:
        document = json.loads(file.read_text())
    except (OSError, ValueError) as error:
        raise StackFileError(f"{file}: not a readable Terraform JSON file ({error})") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{file}: not a Terraform JSON object")
    resources = document.get("resource") or {}
    stack = DeclaredStack(name=file.parent.name, path=file.parent)
    _load_provider(stack, document)
    # A ServingStack records endpoint metadata once, by endpoint name; an endpoint outside one, on itself.
    stack_metadata = (document.get("//") or {}).get(METADATA_KEY) or {}
    for logical_id, body in (resources.get("databricks_model_serving") or {}).items():
        meta = body.get("//") or {}
        request = {k: v for k, v in body.items() if k not in _TERRAFORM_ONLY}
        if not isinstance(request.get("name"), str):
            raise StackFileError(f"{file}: databricks_model_serving.{logical_id} has no literal name")
        extra = stack_metadata.get(request["name"]) or meta.get(METADATA_KEY) or {}
        stack.endpoints.append(
            DeclaredEndpoint(
                logical_id=logical_id,
                name=request["name"],
                request=request,
                task=extra.get("task"),
                sample_request=extra.get("sample_request"),
                construct_path=(meta.get("metadata") or {}).get("path"),
                expectations=list(extra.get("expectations") or []),
                ignore_changes=_ignore_changes(body),
                rollout=extra.get("rollout"),
            )
        )
    # Provisioned-throughput endpoints: the same API shape under their own resource type.
    for logical_id, body in (resources.get(PT_RESOURCE) or {}).items():
        request = {k: v for k, v in body.items() if k not in _TERRAFORM_ONLY}
        if not isinstance(request.get("name"), str):
            raise StackFileError(f"{file}: {PT_RESOURCE}.{logical_id} has no literal name")
        extra = stack_metadata.get(request["name"]) or {}
        stack.endpoints.append(
            DeclaredEndpoint(
                logical_id=logical_id,
                name=request["name"],
                request=request,
                resource_type=PT_RESOURCE,
                task=extra.get("task"),
                sample_request=extra.get("sample_request"),
                construct_path=((body.get("//") or {}).get("metadata") or {}).get("path"),
                expectations=list(extra.get("expectations") or []),
                ignore_changes=_ignore_changes(body),
            )
        )
    for logical_id, body in (resources.get("databricks_permissions") or {}).items():
        reference = str(body.get("serving_endpoint_id") or "")
        if not reference:
            continue  # permissions on other kinds of object
        match = _REFERENCE.match(reference) or _PT_REFERENCE.match(reference)
        stack.permissions.append(
            DeclaredPermissions(
                logical_id=logical_id,
                endpoint_logical_id=match.group(1) if match else None,
                serving_endpoint_id=reference,
                access_control=list(body.get("access_control") or []),
            )
        )
    by_logical_id = {e.logical_id: e for e in stack.endpoints}
    for declared in stack.permissions:
        if declared.endpoint_logical_id in by_logical_id:
            by_logical_id[declared.endpoint_logical_id].access_control = declared.access_control
    for logical_id, body in (resources.get("databricks_app") or {}).items():
        request = {k: v for k, v in body.items() if k not in _TERRAFORM_ONLY and k != "no_compute"}
        request["resources"] = [_resolve_resource(r, stack) for r in request.get("resources") or []]
        if not request["resources"]:
            del request["resources"]
        stack.apps.append(
            DeclaredApp(
                logical_id=logical_id,
                name=body.get("name", ""),
                serving_endpoints=[
                    _resolve_endpoint_name({"resource": r.get("name"), **r["serving_endpoint"]}, stack)
                    for r in body.get("resources") or []
                    if r.get("serving_endpoint")
                ],
                request=request,
                construct_path=((body.get("//") or {}).get("metadata") or {}).get("path"),
                no_compute=body.get("no_compute") is True,
            )
        )
    _load_around_endpoints(stack, resources)
    # Terraform JSON `import` blocks (cdktf `import_from`): [{"to": "<type>.<name>", "id": "..."}].
    for block in document.get("import") or []:
        if isinstance(block, dict) and isinstance(block.get("to"), str) and isinstance(block.get("id"), str):
            stack.imports[block["to"]] = block["id"]
    return stack


def _ignore_changes(body: dict[str, Any]) -> list[str]:
    """`lifecycle.ignore_changes`: a list of attribute paths, or the keyword `all` (Terraform docs)."""
    ignored = (body.get("lifecycle") or {}).get("ignore_changes") or []
    if isinstance(ignored, str):
        return [ignored]
    return [str(path) for path in ignored]


def _load_provider(stack: DeclaredStack, document: dict[str, Any]) -> None:
    """The default (unaliased) Databricks provider's host and profile. Terraform JSON writes a
    provider as an object or a list of them (cdktf writes a list); an aliased one serves only
    the resources that name it."""
    declared = (
        (document.get("provider") or {}).get("databricks") if isinstance(document.get("provider"), dict) else None
    )
    blocks = declared if isinstance(declared, list) else [declared]
    block = next((b for b in blocks if isinstance(b, dict) and not b.get("alias")), None)
    if block is None:
        return
    host, profile = block.get("host"), block.get("profile")
    if isinstance(host, str) and host.strip():
        if "${" in host:
            stack.host_reference = host
        else:
            stack.host = host.strip()
    if isinstance(profile, str) and profile.strip() and "${" not in profile:
        stack.profile = profile.strip()


_NAME_REFERENCE = re.compile(r"^\$\{databricks_model_serving(?:_provisioned_throughput)?\.([^.}]+)\.name\}$")


def _resolve_endpoint_name(entry: dict[str, str], stack: DeclaredStack) -> dict[str, str]:
    """An app names an endpoint of its stack by reference (`${databricks_model_serving.X.name}`):
    the literal name of endpoint X, with the reference kept beside it."""
    match = _NAME_REFERENCE.match(str(entry.get("name") or ""))
    if match:
        for endpoint in stack.endpoints:
            if endpoint.logical_id == match.group(1):
                return {**entry, "name": endpoint.name, "reference": match.group(0)}
    return entry


def _resolve_resource(resource: dict[str, Any], stack: DeclaredStack) -> dict[str, Any]:
    endpoint = resource.get("serving_endpoint")
    if not isinstance(endpoint, dict):
        return resource
    resolved = _resolve_endpoint_name(dict(endpoint), stack)
    resolved.pop("reference", None)
    return {**resource, "serving_endpoint": resolved}


# An endpoint's grant to an app's service principal (`ServingApp`), by reference to the app.
_APP_PRINCIPAL = re.compile(r"^\$\{databricks_app\.([^.}]+)\.service_principal_client_id\}$")


def app_principal_reference(value: Any) -> str | None:
    """The logical id of the app whose service principal `value` names by reference, else None."""
    match = _APP_PRINCIPAL.match(str(value or ""))
    return match.group(1) if match else None


def _load_around_endpoints(stack: DeclaredStack, resources: dict[str, Any]) -> None:
    """Secret scopes, their ACLs and Unity Catalog grants (literal values only)."""
    for logical_id, body in (resources.get("databricks_secret_scope") or {}).items():
        stack.secret_scopes.append(
            DeclaredSecretScope(logical_id, str(body.get("name", "")), body.get("initial_manage_principal"))
        )
    for logical_id, body in (resources.get("databricks_secret_acl") or {}).items():
        stack.secret_acls.append(
            DeclaredSecretAcl(
                logical_id, str(body.get("scope", "")), str(body.get("principal", "")), str(body.get("permission", ""))
            )
        )
    for logical_id, body in (resources.get("databricks_grant") or {}).items():
        securable = next((k for k in GRANT_SECURABLES if body.get(k)), None)
        if securable is None:
            continue
        stack.grants.append(
            DeclaredGrant(
                logical_id,
                securable,
                str(body[securable]),
                str(body.get("principal", "")),
                list(body.get("privileges") or []),
            )
        )


# `databricks_grant` attributes naming the securable (provider docs, grant.md), as loaded here.
GRANT_SECURABLES = (
    "catalog",
    "schema",
    "model",
    "function",
    "table",
    "volume",
    "metastore",
    "external_location",
    "storage_credential",
    "foreign_connection",
    "share",
    "credential",
)


def find_stacks(outdir: str | Path = "cdktf.out") -> list[Path]:
    """Every synthesized stack directory under an output directory."""
    return sorted(p.parent for p in Path(outdir).glob(f"stacks/*/{STACK_FILE}"))
