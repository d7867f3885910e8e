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
from servingstack.model.entities import ProvisionedThroughput, ServedEntity
from servingstack.model.expectations import Expectation
from servingstack.model.gateway import AiGateway
from servingstack.model.spec import EmailNotifications, EndpointSpec

RESOURCE_TYPE = "databricks_model_serving_provisioned_throughput"


@construct
class ProvisionedThroughputEndpoint(EndpointBase):
    """A provisioned-throughput endpoint:

    ```python
    ProvisionedThroughputEndpoint(stack, "llama4", name="llama4",
        served_entities=[ProvisionedThroughput("system.ai.llama-4-maverick", "1", provisioned_model_units=100)],
        ai_gateway=AiGateway(usage_tracking=True))
    ```
    Props are those of `ServingEndpoint` but `description`, `route_optimized`, `telemetry` and
    `workspace_id`, which the resource does not have; each served entity is a `ProvisionedThroughput`
    with `provisioned_model_units` (the resource has no tokens-per-second bounds).

    - `name`, `served_entities` (required here), `traffic`, `ai_gateway`, `tags`, `budget_policy_id`,
      `email_notifications`, `create_timeout`, `update_timeout`, `task`, `sample_request`,
      `allow_plaintext_secrets`, `expectations`: as on `ServingEndpoint`, with the same defaults.
    """

    resource_type: ClassVar[str] = RESOURCE_TYPE
    # The resource exports `serving_endpoint_id` but no `endpoint_url` (provider docs, attribute reference).
    output_attributes: ClassVar[Mapping[str, tuple[str, str]]] = {"serving_endpoint_id": ("serving_endpoint_id", "id")}
    # The resource's schema has no such fields (provider docs, model_serving_provisioned_throughput.md).
    unsupported_arguments: ClassVar[Mapping[str, str]] = {
        field: f"is not supported by {RESOURCE_TYPE}"
        for field in ("description", "route_optimized", "telemetry", "workspace_id")
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
    ) -> None:
        self._build(scope, id, props_of(locals()))

    def _validated_request(self, spec: EndpointSpec, prefix: str, default_tags: Mapping[str, str]) -> dict[str, Any]:
        request = spec.request(prefix, default_tags)
        problems = _entity_problems(spec) + spec.problems(prefix, default_tags)
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
            self, self.request, create_timeout=self.spec.create_timeout, update_timeout=self.spec.update_timeout
        )

    def _metadata(self) -> dict[str, Any]:
        return {**self.spec.metadata(), "resource": RESOURCE_TYPE}


def _entity_problems(spec: EndpointSpec) -> list[Problem]:
    problems = []
    for index, entity in enumerate(spec.entities()):
        where = f"config.served_entities[{index}]"
        if not isinstance(entity, ProvisionedThroughput):
            problems.append(Problem(where, f"{type(entity).__name__} is not a ProvisionedThroughput entity"))
            continue
        # SDK PtServedModel: `provisioned_model_units: int` is required; it has no throughput bounds.
        if entity.provisioned_model_units is None:
            problems.append(Problem(f"{where}.provisioned_model_units", "is required for provisioned throughput"))
        for bound in ("min_provisioned_throughput", "max_provisioned_throughput"):
            if getattr(entity, bound) is not None:
                problems.append(
                    Problem(f"{where}.{bound}", f"is not a field of {RESOURCE_TYPE}: use provisioned_model_units")
                )
    return problems


def _pt_request(request: dict[str, Any]) -> dict[str, Any]:
    """The PT create request: routes name `served_entity_name` (provider docs, traffic_config block)."""
    config = dict(request["config"])
    if config.get("traffic_config"):
        config["traffic_config"] = {
            "routes": [
                {"served_entity_name": r["served_model_name"], "traffic_percentage": r["traffic_percentage"]}
                for r in config["traffic_config"]["routes"]
            ]
        }
    return {**request, "config": config}
