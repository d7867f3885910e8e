"""`ServingEndpoint`: one Databricks Model Serving endpoint, its traffic split, AI Gateway, tags and
grants, as a construct; `ServingEndpoint.from_name` for one made elsewhere; and `EndpointBase`, the
one way every endpoint-like construct is checked, built and registered with its stack."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import Refusable, construct, declared_at, id_problems, is_stand_in, path_of
from servingstack.cdk.problems import refuse
from servingstack.cdk.stack import ServingStack
from servingstack.errors import Problem, ValidationError
from servingstack.model.entities import ServedEntity
from servingstack.model.expectations import Expectation
from servingstack.model.gateway import AiGateway
from servingstack.model.grants import Grant, Principal, access_control
from servingstack.model.rollout import Rollout
from servingstack.model.spec import EmailNotifications, EndpointSpec
from servingstack.model.telemetry import Telemetry
from servingstack.model.typecheck import call_problems, value_problems
from servingstack.policy.suppressions import Suppression

# The shape of the main props, checked before anything reads them; what is inside them the rules
# check (`config.served_entities[0]: ...`). No served entities: an endpoint without config (TF docs).
_SHAPES = {"name": str, "served_entities": ServedEntity | Sequence[Any] | None}


def props_of(arguments: dict[str, Any]) -> dict[str, Any]:
    """An endpoint construct's keyword arguments (its `locals()` on entry) as `EndpointSpec` props."""
    props = {name: value for name, value in arguments.items() if name not in ("self", "scope", "id", "__class__")}
    props["tags"] = {} if props.get("tags") is None else props["tags"]
    return props


class EndpointGrants:
    """`grant_query`, `grant_view` and `grant_manage`, folded into ONE `databricks_permissions`
    per endpoint that references the endpoint's `serving_endpoint_id` (never its name).

    That resource replaces every permission of the endpoint; the caller keeps CAN_MANAGE
    (provider docs, resources/permissions.md). Inside a `ServingStack` the resource is built when
    the app synthesizes, from all grants at once: a further grant costs no jsii round trip.
    """

    path: str
    _grants: list[Grant]
    # Grants to apps' service principals (`ServingApp`): kept beside the declared grants only when
    # there are declared grants, so that the authoritative resource does not take them away.
    _app_grants: list[Grant]
    _permissions: Any
    _built_at_synth_by: ServingStack | None

    def _serving_endpoint_id_reference(self) -> str:
        raise NotImplementedError

    def grant_query(
        self, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> EndpointGrants:
        """CAN_QUERY to exactly one user (email), group or service principal (application id)."""
        return self._grant("CAN_QUERY", user=user, group=group, service_principal=service_principal)

    def grant_view(
        self, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> EndpointGrants:
        """CAN_VIEW to exactly one user (email), group or service principal (application id)."""
        return self._grant("CAN_VIEW", user=user, group=group, service_principal=service_principal)

    def grant_manage(
        self, *, user: str | None = None, group: str | None = None, service_principal: str | None = None
    ) -> EndpointGrants:
        """CAN_MANAGE to exactly one user (email), group or service principal (application id)."""
        return self._grant("CAN_MANAGE", user=user, group=group, service_principal=service_principal)

    def _grant(self, level: str, **principal: str | None) -> EndpointGrants:
        try:
            grantee = Principal.one_of(**principal)
        except ValueError as error:
            refuse(ValidationError(self.path, [Problem("grant", str(error))]))
            return self  # while synthesize() collects problems: the next call is checked too
        first = not self._grants
        self._grants.append(Grant(grantee, level))
        if is_stand_in(self):
            return self  # refused: its grants are checked, nothing is built
        if self._permissions is None and self._built_at_synth_by is not None:
            if first:
                self._built_at_synth_by.at_synth(self._build_permissions)
            return self
        if self._permissions is None:
            self._build_permissions()
        else:
            _cdk.replace_access_control(self._permissions, self.grants)
        return self

    def _grant_to_app(self, service_principal_client_id: str, level: str) -> None:
        """An app's `serving_endpoint` resource gives its service principal `level` on this endpoint
        (docs: "Set the permissions for the app service principal on the resource"). The endpoint's
        `databricks_permissions` replaces every grant (provider docs, resources/permissions.md), so it
        must list that one too, or an apply of the grants would take it from the app."""
        self._app_grants.append(Grant(Principal.service_principal(service_principal_client_id), level))
        if self._permissions is not None:
            _cdk.replace_access_control(self._permissions, self.grants)

    @property
    def grants(self) -> list[dict[str, str]]:
        """The access control list as it will be synthesized (none without a declared grant)."""
        return access_control(self._grants + self._app_grants) if self._grants else []

    def _build_permissions(self) -> None:
        """The resource, once, with the final list."""
        if self._permissions is None and self._grants:
            # The mixin is only mixed into constructs (EndpointBase, ExternalEndpoint), so `self` is the
            # resource's scope; Python's types cannot say "an EndpointGrants that is a Construct".
            scope = cast(_cdk.Construct, self)
            self._permissions = _cdk.permissions(
                scope, "Permissions", self._serving_endpoint_id_reference(), self.grants
            )


class EndpointBase(_cdk.Construct, EndpointGrants, metaclass=Refusable):
    """What every endpoint-like construct does: check its props before any jsii call (every problem
    at once, named by construct path and field), claim its name and ids in its stack, build its one
    resource (child id `Default`) and register with the stack. Subclasses say which resource."""

    resource_type: ClassVar[str] = "databricks_model_serving"
    # Output name suffix -> (attribute of the resource, what it is). `_name` is always there.
    output_attributes: ClassVar[Mapping[str, tuple[str, str]]] = {
        "serving_endpoint_id": ("serving_endpoint_id", "id"),
        "url": ("endpoint_url", "URL"),
    }

    spec: EndpointSpec
    request: dict[str, Any]
    endpoint_name: str
    resource: Any

    def _build(self, scope: _cdk.Construct, id: str, props: dict[str, Any]) -> None:
        stack = ServingStack.of(scope)
        self.stack = stack
        self.path = f"{path_of(scope)}/{id}"
        self.declared_at = declared_at()  # where policy findings and reports point in the app's code
        # Shapes first: the rules below read the props as the types they declare.
        problems = id_problems(id)
        problems += [p for prop, hint in _SHAPES.items() for p in value_problems(props[prop], hint, prop)]
        if props["name"] == "":
            problems.append(Problem("name", "is required, got an empty string"))
        if problems:
            raise ValidationError(self.path, problems)
        self.spec = EndpointSpec(**props)
        prefix = stack.name_prefix if stack else ""
        try:
            request = self._validated_request(self.spec, prefix, stack.default_tags if stack else {})
        except ValidationError as error:
            if error.path != self.path:
                raise
            problems, request = list(error.problems), {"name": f"{prefix}{props['name']}"}
        # The name is claimed even when the props have problems, so a second endpoint of that name is
        # reported in the same run.
        if stack is not None:
            problems += stack.claim_endpoint(request["name"], self.path, id, ("name", *self.output_attributes))
        if problems:
            raise ValidationError(self.path, problems)
        _cdk.Construct.__init__(self, scope, id)
        self.request = request
        self.endpoint_name = request["name"]
        self.policy_suppressions: list[Suppression] = []
        self._grants = []
        self._app_grants = []
        self._permissions = None
        self._built_at_synth_by = stack
        # The resource's construct ids below its stack, when known in Python: references to it from
        # the same stack are then computed without a jsii round trip (see _cdk.reference).
        self._ids_in_stack = (
            self.path[len(stack.path) + 1 :].split("/") + ["Default"]
            if stack is not None and self.path.startswith(f"{stack.path}/")
            else None
        )
        self.resource = self._build_resource(stack)
        if stack is not None:
            stack.add_endpoint(self, id, self._metadata(), self.output_attributes)

    def _become_stand_in(self, scope: Any, props: Mapping[str, Any]) -> None:
        """Refused while synthesize() collects problems: what later code may read of it (its name,
        grants, suppressions); it builds nothing, and what references it is not built either."""
        self.stack = ServingStack.of(scope)
        name = props.get("name")
        prefix = self.stack.name_prefix if self.stack is not None else ""
        self.endpoint_name = f"{prefix}{name}" if isinstance(name, str) else self.path
        self.request = {"name": self.endpoint_name}
        self.resource = None
        self.policy_suppressions = []
        self._grants, self._permissions, self._built_at_synth_by = [], None, None
        self._ids_in_stack = None

    def _validated_request(self, spec: EndpointSpec, prefix: str, default_tags: Mapping[str, str]) -> dict[str, Any]:
        """The API request, or one ValidationError with every problem."""
        raise NotImplementedError

    def _build_resource(self, stack: ServingStack | None) -> Any:
        raise NotImplementedError

    def _metadata(self) -> dict[str, Any]:
        """What the checker needs beyond the resource, recorded in the stack."""
        return self.spec.metadata()

    def reference_in_stack(self, attribute: str) -> str:
        """An attribute of the endpoint's resource (`serving_endpoint_id`, `endpoint_url`, ...) for
        use in its own stack."""
        if is_stand_in(self):
            return _unbuilt(self, attribute)
        if self._ids_in_stack is None:
            return str(getattr(self.resource, attribute))
        return _cdk.reference(self.resource_type, self._ids_in_stack, attribute)

    def _serving_endpoint_id_reference(self) -> str:
        return self.reference_in_stack("serving_endpoint_id")

    @property
    def serving_endpoint_id(self) -> str:
        """The endpoint's id (a Terraform reference until applied)."""
        return _unbuilt(self, "serving_endpoint_id") if is_stand_in(self) else str(self.resource.serving_endpoint_id)

    def adopt(self, serving_endpoint_id: str | None = None) -> EndpointBase:
        """Adopt the live endpoint of this name instead of creating it: Terraform import blocks
        for the endpoint (imported by name, provider docs resources/model_serving.md "Import") and,
        given its id, for its permissions (`/serving-endpoints/<id>`, provider docs
        resources/permissions.md "Import"). Call it after the grants. `servingstack import` writes it."""
        if is_stand_in(self):
            return self
        _cdk.import_existing(self.resource, self.endpoint_name)
        if serving_endpoint_id is not None and self._grants:
            self._build_permissions()  # now rather than at synth, so it can carry the import block
            _cdk.import_existing(self._permissions, f"/serving-endpoints/{serving_endpoint_id}")
        return self


@construct
class ServingEndpoint(EndpointBase):
    """A serving endpoint. Every problem of its props is reported at once, in one
    `ValidationError` naming this construct's path and the field, before any resource is built.

    ```python
    endpoint = ServingEndpoint(stack, "chat", name="chat",
                               served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))],
                               ai_gateway=AiGateway(usage_tracking=True), tags={"team": "ml"})
    endpoint.grant_query(group="data-scientists")
    ```

    - `name`: the endpoint name (letters, digits, '-', '_'); the stack's name prefix goes in front.
    - `served_entities`: one or more `FoundationModel`, `ProvisionedThroughput`, `CustomModel`,
      `FeatureSpec` or `ExternalModel` (at most 15). Default none: created without a config.
    - `traffic`: served entity name -> percent; default 100 to a single entity; for several,
      unset leaves the split to the service (policy SS10 asks for one).
    - `ai_gateway`: an `AiGateway`; default none.
    - `tags`: merged over the stack's default tags; default none.
    - `description`, `route_optimized`, `budget_policy_id`, `email_notifications`: default unset.
    - `create_timeout` / `update_timeout`: Terraform durations (`"45m"`); default the provider's 45m.
    - `task`: what the endpoint answers, for the checker's smoke query; default from the entities.
    - `sample_request`: the body of the checker's smoke query (custom models); default derived.
    - `allow_plaintext_secrets`: default False; True lets `Plaintext(...)` keys into Terraform state.
    - `telemetry`: a `Telemetry` (Unity Catalog tables for logs, metrics, traces); default none.
    - `workspace_id`: default the provider's workspace (provider 1.138 `provider_config`).
    - `expectations`: `Expectation`s the checker runs against every served entity; default none.
    - `rollout`: a `Rollout` that `servingstack rollout` carries out; default none. The resource then
      starts at the stable entity's 100% and ignores the live split on every later apply.

    `telemetry` and `workspace_id` need the cdktn engine.
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        name: str,
        served_entities: ServedEntity | Sequence[ServedEntity] = (),
        traffic: Mapping[str, int] | None = None,
        ai_gateway: AiGateway | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        route_optimized: bool | None = None,
        budget_policy_id: str | None = None,
        email_notifications: EmailNotifications | None = None,
        create_timeout: str | None = None,
        update_timeout: str | None = None,
        task: str | None = None,
        sample_request: Mapping[str, Any] | None = None,
        allow_plaintext_secrets: bool = False,
        telemetry: Telemetry | None = None,
        workspace_id: str | None = None,
        expectations: Sequence[Expectation] | None = None,
        rollout: Rollout | None = None,
    ) -> None:
        self._build(scope, id, props_of(locals()))

    def _validated_request(self, spec: EndpointSpec, prefix: str, default_tags: Mapping[str, str]) -> dict[str, Any]:
        return spec.validate(self.path, prefix, default_tags, engine=_cdk.ENGINE.name)

    def _build_resource(self, stack: ServingStack | None) -> Any:
        # Inside a ServingStack the stack records the metadata, in one place for all endpoints.
        return _cdk.model_serving(
            self,
            self.request,
            create_timeout=self.spec.create_timeout,
            update_timeout=self.spec.update_timeout,
            metadata=None if stack is not None else self.spec.metadata(),
            workspace_id=self.spec.workspace_id,
            ignore_changes=self.spec.ignore_changes(),
        )

    @property
    def endpoint_url(self) -> str:
        """The endpoint's URL (a Terraform reference until applied)."""
        return _unbuilt(self, "endpoint_url") if is_stand_in(self) else str(self.resource.endpoint_url)

    @staticmethod
    def from_name(scope: _cdk.Construct, id: str, *, name: str, serving_endpoint_id: str) -> ExternalEndpoint:
        """An endpoint made elsewhere, to grant on it or to name it in an app: its name and its id
        (32 hex characters; the permissions API takes the id). No endpoint resource is created."""
        return ExternalEndpoint(scope, id, name=name, serving_endpoint_id=serving_endpoint_id)


@construct
class ExternalEndpoint(_cdk.Construct, EndpointGrants, metaclass=Refusable):
    """An endpoint this stack does not create; see `ServingEndpoint.from_name`."""

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, serving_endpoint_id: str) -> None:
        self.path = f"{path_of(scope)}/{id}"
        problems = id_problems(id) + call_problems(
            ExternalEndpoint.__init__, {"name": name, "serving_endpoint_id": serving_endpoint_id}
        )
        if problems:
            raise ValidationError(self.path, problems)
        if not name or not serving_endpoint_id:
            raise ValidationError(
                self.path, [Problem("serving_endpoint_id", "name and serving_endpoint_id are required")]
            )
        super().__init__(scope, id)
        self.endpoint_name = name
        self.serving_endpoint_id = serving_endpoint_id
        self._grants = []
        self._app_grants = []
        self._permissions = None
        self._built_at_synth_by = None

    def _become_stand_in(self, scope: Any, props: Mapping[str, Any]) -> None:
        name, serving_endpoint_id = props.get("name"), props.get("serving_endpoint_id")
        self.endpoint_name = name if isinstance(name, str) else self.path
        self.serving_endpoint_id = serving_endpoint_id if isinstance(serving_endpoint_id, str) else ""
        self._grants, self._permissions, self._built_at_synth_by = [], None, None

    def _serving_endpoint_id_reference(self) -> str:
        return self.serving_endpoint_id


def _unbuilt(construct: Any, attribute: str) -> str:
    """What a refused endpoint answers for an attribute of its resource: a Terraform-shaped placeholder
    (nothing is synthesized in a run that refused a construct)."""
    return f"${{unbuilt.{construct.path}.{attribute}}}"


class ExistingEndpoint(ExternalEndpoint):
    """Deprecated: use `ServingEndpoint.from_name(scope, id, name=..., serving_endpoint_id=...)`."""

    def __init__(self, scope: _cdk.Construct, id: str, *, name: str, serving_endpoint_id: str) -> None:
        warnings.warn(
            "ExistingEndpoint is deprecated: use ServingEndpoint.from_name(scope, id, name=..., "
            "serving_endpoint_id=...)",
            DeprecationWarning,
            stacklevel=4,
        )
        super().__init__(scope, id, name=name, serving_endpoint_id=serving_endpoint_id)
