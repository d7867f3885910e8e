"""`ProvisionedThroughputEndpoint`: a foundation model with reserved capacity, declared through
the provider's own `databricks_model_serving_provisioned_throughput` resource (the one the
provider docs point newer foundation models such as Llama 4 to), with the same traffic split,
AI Gateway, tags, grants and checker support as a `ServingEndpoint`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import construct
from servingstack.cdk.endpoint import EndpointBase, props_of
from servingstack.cdk.stack import ServingStack
from servingstack.errors import Problem, ValidationError
from servingstack.facts.newer_fields import engine_problems, validate_workspace_id
from servingstack.facts.provisioned import ENTITY_FIELDS, REQUIRED_ENTITY_FIELDS, RESOURCE_TYPE
from servingstack.model.entities import ProvisionedThroughput, ServedEntity
from servingstack.model.expectations import Expectation
from servingstack.model.gateway import AiGateway
from servingstack.model.spec import EmailNotifications, EndpointSpec


@construct
class ProvisionedThroughputEndpoint(EndpointBase):
    """A provisioned-throughput endpoint:

    ```python
    ProvisionedThroughputEndpoint(stack, "llama4", name="llama4",
        served_entities=[ProvisionedThroughput("system.ai.llama-4-maverick", "1", provisioned_model_units=100)],
        ai_gateway=AiGateway(usage_tracking=True))
    ```
    Props are those of `ServingEndpoint` but `description`, `route_optimized` and `telemetry`, which
    the resource does not have; each served entity is a `ProvisionedThroughput` with an
    `entity_version` and `provisioned_model_units` (the resource has no tokens-per-second bounds and
    no scale to zero). Every field its provider 1.138 schema has is accepted (`burst_scaling_enabled`
    on an entity, `workspace_id` as `provider_config.workspace_id`); on the cdktf engine (provider
    1.99) those two are refused by name. A field the resource lacks is a `ValidationError` naming it.

    - `name`, `served_entities` (required here), `traffic`, `ai_gateway`, `tags`, `budget_policy_id`,
      `email_notifications`, `create_timeout`, `update_timeout`, `task`, `sample_request`,
      `allow_plaintext_secrets`, `expectations`: as on `ServingEndpoint`, with the same defaults.
    - `workspace_id`: default the provider's workspace (provider 1.138 `provider_config`, cdktn only).
    """

    resource_type: ClassVar[str] = RESOURCE_TYPE
    # The resource exports `serving_endpoint_id` but no `endpoint_url` (provider docs, attribute reference).
    output_attributes: ClassVar[Mapping[str, tuple[str, str]]] = {"serving_endpoint_id": ("serving_endpoint_id", "id")}
    # The resource's schema has no such fields (provider 1.138 binding, ModelServingProvisionedThroughputConfig).
    unsupported_arguments: ClassVar[Mapping[str, str]] = {
        field: f"is not supported by {RESOURCE_TYPE}" for field in ("description", "route_optimized", "telemetry")
    }

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        name: str,
        served_entities: ServedEntity | Sequence[ServedEntity],
        traffic: Mapping[str, int] | None = None,
        ai_gateway: AiGateway | None = None,
        tags: Mapping[str, str] | None = None,
        budget_policy_id: str | None = None,
        email_notifications: EmailNotifications | None = None,
        create_timeout: str | None = None,
        update_timeout: str | None = None,
        task: str | None = None,
        sample_request: Mapping[str, Any] | None = None,
        allow_plaintext_secrets: bool = False,
        expectations: Sequence[Expectation] | None = None,
        workspace_id: str | None = None,
    ) -> None:
        self._build(scope, id, props_of(locals()))

    def _validated_request(self, spec: EndpointSpec, prefix: str, default_tags: Mapping[str, str]) -> dict[str, Any]:
        request = spec.request(prefix, default_tags)
        problems = _entity_problems(spec)
        # Where this resource has its own word on a field, the general one (`set provisioned_model_units,
        # or max_provisioned_throughput`) would mislead: it is left out.
        own = {p.field for p in problems}
        problems += [p for p in spec.problems(prefix, default_tags) if p.field not in own]
        if not spec.entities():
            # Provider 1.138 binding: `config` is required; SDK `create_provisioned_throughput_endpoint(name, config)`.
            problems.append(Problem("served_entities", f"is required: {RESOURCE_TYPE} serves at least one entity"))
        problems += validate_workspace_id(spec.workspace_id)
        problems += engine_problems(_cdk.ENGINE.name, request, spec.workspace_id)
        if not _cdk.has_provisioned_throughput_resource():
            problems.append(
                Problem(
                    "",
                    f"{RESOURCE_TYPE} is not in this engine's provider bindings: "
                    "it needs the cdktn engine (CDK Terrain)",
                )
            )
        if problems:
            raise ValidationError(self.path, problems)
        return _pt_request(request)

    def _build_resource(self, stack: ServingStack | None) -> Any:
        return _cdk.model_serving_provisioned_throughput(
            self,
            self.request,
            create_timeout=self.spec.create_timeout,
            update_timeout=self.spec.update_timeout,
            workspace_id=self.spec.workspace_id,
        )

    def _metadata(self) -> dict[str, Any]:
        return {**self.spec.metadata(), "resource": RESOURCE_TYPE}


def _entity_problems(spec: EndpointSpec) -> list[Problem]:
    """What the resource's served entity takes (facts/provisioned.py): a `ProvisionedThroughput` with
    its required fields, and none it lacks; each problem names the field."""
    problems = []
    for index, entity in enumerate(spec.entities()):
        where = f"config.served_entities[{index}]"
        if not isinstance(entity, ProvisionedThroughput):
            problems.append(Problem(where, f"{type(entity).__name__} is not a ProvisionedThroughput entity"))
            continue
        fields = entity.to_api()
        for field in REQUIRED_ENTITY_FIELDS:
            if fields.get(field) is None:
                problems.append(Problem(f"{where}.{field}", f"is required by {RESOURCE_TYPE}"))
        for field in fields:
            if field not in ENTITY_FIELDS:
                hint = {
                    "min_provisioned_throughput": ": use provisioned_model_units",
                    "max_provisioned_throughput": ": use provisioned_model_units",
                    "scale_to_zero_enabled": ": provisioned model units do not scale to zero",
                }.get(field, "")
                problems.append(Problem(f"{where}.{field}", f"is not a field of {RESOURCE_TYPE}{hint}"))
    return problems


def _pt_request(request: dict[str, Any]) -> dict[str, Any]:
    """The PT create request: routes name `served_entity_name` (provider docs, traffic_config block)."""
    if "config" not in request:
        return request  # no served entities: refused above
    config = dict(request["config"])
    if config.get("traffic_config"):
        config["traffic_config"] = {
            "routes": [
                {"served_entity_name": r["served_model_name"], "traffic_percentage": r["traffic_percentage"]}
                for r in config["traffic_config"]["routes"]
            ]
        }
    return {**request, "config": config}
