"""`ServingEndpoint`: one Databricks Model Serving endpoint, its traffic split, AI Gateway,
tags and grants, as a construct."""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Sequence, Union

from . import _cdk
from .errors import Problem, ValidationError
from .entities import ServedEntity
from .permissions import Grant, access_control, grant
from .spec import EndpointSpec
from .typecheck import call_problems, unknown_arguments, value_problems

# cdktf and cdktn drop every character outside these from a logical id (lib/private/unique.js,
# removeNonAlphanumericSep), so `模型` and `型模` would both become "": one resource, not two.
_KEPT = re.compile(r"[^A-Za-z0-9_-]")
_SPEC_PROPS = tuple(f.name for f in dataclasses.fields(EndpointSpec))
# The shape of the main props, checked before anything reads them; what is inside them the rules
# check (`config.served_entities[0]: ...`). No served entities: an endpoint without config (TF docs).
_SHAPES = {"name": str, "served_entities": Union[ServedEntity, Sequence[Any], None]}


class _Grantable:
    """`grant_query`, `grant_view` and `grant_manage`, folded into ONE `databricks_permissions`
    per endpoint that references the endpoint's `serving_endpoint_id` (never its name).

    That resource replaces every permission of the endpoint; the caller keeps CAN_MANAGE.
    """

    path: str
    _grants: list[Grant]
    _permissions: Any

    def _serving_endpoint_id_reference(self) -> str:
        raise NotImplementedError

    def grant_query(self, *, user: str | None = None, group: str | None = None,
                    service_principal: str | None = None) -> "_Grantable":
        return self._grant("CAN_QUERY", user=user, group=group, service_principal=service_principal)

    def grant_view(self, *, user: str | None = None, group: str | None = None,
                   service_principal: str | None = None) -> "_Grantable":
        return self._grant("CAN_VIEW", user=user, group=group, service_principal=service_principal)

    def grant_manage(self, *, user: str | None = None, group: str | None = None,
                     service_principal: str | None = None) -> "_Grantable":
        return self._grant("CAN_MANAGE", user=user, group=group, service_principal=service_principal)

    def _grant(self, level: str, **principal: str | None) -> "_Grantable":
        try:
            new = grant(level, **principal)
        except ValueError as error:
            raise ValidationError(self.path, [Problem("grant", str(error))]) from None
        self._grants.append(new)
        if self._permissions is None and _defer_to_synth(self):
            return self
        acl = access_control(self._grants)
        if self._permissions is None:
            self._permissions = _cdk.permissions(self, "Permissions", self._serving_endpoint_id_reference(), acl)
        else:
            _cdk.replace_access_control(self._permissions, acl)
        return self

    @property
    def grants(self) -> list[dict[str, str]]:
        """The access control list as it will be synthesized."""
        return access_control(self._grants)

    def _build_permissions(self) -> None:
        """At synth, for grants deferred to it: the resource, once, with the final list."""
        if self._permissions is None and self._grants:
            self._permissions = _cdk.permissions(self, "Permissions", self._serving_endpoint_id_reference(),
                                                 access_control(self._grants))


_PENDING = "_servingstack_pending_permissions"


def _defer_to_synth(endpoint: Any) -> bool:
    """Inside a ServingStack, an endpoint's permissions resource is built when the app synthesizes,
    from all its grants at once: a second grant then costs no jsii round trip to replace the list."""
    stack = getattr(endpoint, "_grants_stack", None)
    if stack is None:
        return False
    pending = getattr(stack, _PENDING, None)
    if pending is None:
        pending = {}
        setattr(stack, _PENDING, pending)
        _cdk.at_synth(stack, "ServingstackPermissions",
                      lambda: [e._build_permissions() for e in list(pending.values())])
    pending[id(endpoint)] = endpoint
    return True


class ServingEndpoint(_cdk.Construct, _Grantable):
    """A serving endpoint. Every problem of its props is reported at once, in one
    `ValidationError` naming this construct's path and the field, before any resource is built.

    ```python
    endpoint = ServingEndpoint(stack, "chat", name="chat",
                               served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))],
                               ai_gateway=AiGateway(usage_tracking=True), tags={"team": "ml"})
    endpoint.grant_query(group="data-scientists")
    ```
    See `EndpointSpec` for every prop and its default.
    """

    def __init__(self, scope: _cdk.Construct, id: str, **props: Any) -> None:
        stack = _serving_stack_of(scope)
        prefix = stack.name_prefix if stack is not None else ""
        default_tags = stack.default_tags if stack is not None else {}
        self.path = f"{_path_of(scope)}/{id}"
        # Shapes first: the rules below read the props as the types they declare.
        problems = id_problems(id) + unknown_arguments(props, _SPEC_PROPS, "ServingEndpoint")
        problems += [] if "name" in props else [Problem("name", "is required")]
        problems += [p for prop, hint in _SHAPES.items() if prop in props
                     for p in value_problems(props[prop], hint, prop)]
        if props.get("name") == "":
            problems.append(Problem("name", "is required, got an empty string"))
        if problems:
            raise ValidationError(self.path, problems)
        self.spec = EndpointSpec(**props)
        request = self.spec.validate(self.path, prefix, default_tags, engine=_cdk.ENGINE.name)
        if stack is not None:
            stack.claim_endpoint_name(request["name"], self.path, id)
            stack.claim_logical_id(self.path)
        super().__init__(scope, id)
        self.request = request
        self.endpoint_name: str = self.request["name"]
        self._grants = []
        self._permissions = None
        self._grants_stack = stack  # grants inside a ServingStack are built at synth (see _defer_to_synth)
        # Inside a ServingStack the stack records the metadata, in one place for all endpoints.
        self.resource = _cdk.model_serving(self, self.request, create_timeout=self.spec.create_timeout,
                                           update_timeout=self.spec.update_timeout,
                                           metadata=None if stack is not None else self.spec.metadata(),
                                           workspace_id=self.spec.workspace_id)
        # The resource's construct ids below its stack, when known in Python: references to it from
        # the same stack are then computed without a jsii round trip (see _cdk.reference).
        stack_path = getattr(stack, "path", None)
        self._ids_in_stack = (self.path[len(stack_path) + 1:].split("/") + ["Default"]
                              if isinstance(stack_path, str) and self.path.startswith(f"{stack_path}/") else None)
        if stack is not None:
            stack.register(id, self)

    def reference_in_stack(self, attribute: str) -> str:
        """An attribute of the endpoint's resource (`serving_endpoint_id`, `endpoint_url`, ...) for
        use in its own stack."""
        if self._ids_in_stack is None:
            return getattr(self.resource, attribute)
        return _cdk.reference("databricks_model_serving", self._ids_in_stack, attribute)

    def _serving_endpoint_id_reference(self) -> str:
        return self.reference_in_stack("serving_endpoint_id")

    @property
    def serving_endpoint_id(self) -> str:
        """The endpoint's id (a Terraform reference until applied)."""
        return self.resource.serving_endpoint_id

    @property
    def endpoint_url(self) -> str:
        return self.resource.endpoint_url

    def adopt(self, serving_endpoint_id: str | None = None) -> "ServingEndpoint":
        """Adopt the live endpoint of this name instead of creating it: Terraform import blocks
        for the endpoint (imported by name, provider docs resources/model_serving.md "Import") and,
        given its id, for its permissions (`/serving-endpoints/<id>`, provider docs
        resources/permissions.md "Import"). Call it after the grants. `servingstack import` writes it."""
        _cdk.import_existing(self.resource, self.endpoint_name)
        if serving_endpoint_id is not None and self._grants:
            self._build_permissions()  # now rather than at synth, so it can carry the import block
            _cdk.import_existing(self._permissions, f"/serving-endpoints/{serving_endpoint_id}")
        return self


class ExistingEndpoint(_cdk.Construct, _Grantable):
    """An endpoint not created by this stack, for grants: `ExistingEndpoint(stack, "shared",
    name="shared-llm", serving_endpoint_id="0123...")`."""

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, serving_endpoint_id: str) -> None:
        self.path = f"{_path_of(scope)}/{id}"
        problems = call_problems(ExistingEndpoint.__init__, {"name": name, "serving_endpoint_id": serving_endpoint_id})
        if problems:
            raise ValidationError(self.path, problems)
        if not name or not serving_endpoint_id:
            raise ValidationError(self.path, [Problem("serving_endpoint_id", "name and serving_endpoint_id are required")])
        super().__init__(scope, id)
        self.endpoint_name = name
        self.serving_endpoint_id = serving_endpoint_id
        self._grants = []
        self._permissions = None

    def _serving_endpoint_id_reference(self) -> str:
        return self.serving_endpoint_id


def id_problems(id: Any) -> list[Problem]:
    """The construct id becomes a Terraform logical id (and output names): it must survive as one."""
    if not isinstance(id, str):
        return [Problem("id", f"expected str, got {type(id).__name__}")]
    kept = _KEPT.sub("", id)
    if not kept:
        return [Problem("id", f"{id!r} has no ASCII letter, digit, '-' or '_': cdktf keeps only those in the "
                              "Terraform logical id, so nothing would be left of it")]
    # Terraform identifiers start with a letter or '_', never a digit or '-'
    # (developer.hashicorp.com/terraform/language/syntax/configuration#identifiers).
    if not (kept[0].isalpha() or kept[0] == "_"):
        return [Problem("id", f"{id!r} makes the logical id {kept!r}: Terraform names start with a letter or '_'")]
    return []


def _serving_stack_of(scope: Any) -> Any:
    from .stack import ServingStack

    if isinstance(scope, ServingStack):
        return scope
    stack = getattr(scope, "_serving_stack", None)
    if stack is not None:
        return stack
    try:
        found = _cdk.TerraformStack.of(scope)
    except Exception:  # not inside a stack: the construct tree reports that itself
        return None
    return found if isinstance(found, ServingStack) else None


def _path_of(scope: Any) -> str:
    """The construct path, from Python where we know it, so errors need no jsii call."""
    known = getattr(scope, "path", None)
    if isinstance(known, str):
        return known
    return scope.node.path
