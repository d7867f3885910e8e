"""`ProvisionedThroughputEndpoint`: a foundation model with reserved capacity, declared through
the provider's own `databricks_model_serving_provisioned_throughput` resource (the one the
provider docs point newer foundation models such as Llama 4 to), with the same traffic split,
AI Gateway, tags, grants and checker support as a `ServingEndpoint`."""
from __future__ import annotations

import re
from typing import Any

from . import _cdk, uc_grants
from .endpoint import _Grantable, _path_of, _serving_stack_of
from .entities import ProvisionedThroughput
from .errors import Problem, ValidationError
from .spec import EndpointSpec

RESOURCE_TYPE = "databricks_model_serving_provisioned_throughput"
# The resource's schema has no such fields (provider docs, model_serving_provisioned_throughput.md).
_UNSUPPORTED = ("description", "route_optimized", "telemetry", "workspace_id")


class ProvisionedThroughputEndpoint(_cdk.Construct, _Grantable):
    """A provisioned-throughput endpoint:

    ```python
    ProvisionedThroughputEndpoint(stack, "llama4", name="llama4",
        served_entities=[ProvisionedThroughput("system.ai.llama-4-maverick", "1", provisioned_model_units=100)],
        ai_gateway=AiGateway(usage_tracking=True))
    ```
    Props are those of `EndpointSpec` except `description`, `route_optimized`, `telemetry` and
    `workspace_id`, which the resource does not have; each served entity is a `ProvisionedThroughput`
    with `provisioned_model_units` (the resource has no tokens-per-second bounds).
    """

    def __init__(self, scope: _cdk.Construct, id: str, **props: Any) -> None:
        stack = _serving_stack_of(scope)
        prefix = stack.name_prefix if stack is not None else ""
        default_tags = stack.default_tags if stack is not None else {}
        self.path = f"{_path_of(scope)}/{id}"
        problems = [Problem(key, "is not supported by databricks_model_serving_provisioned_throughput")
                    for key in _UNSUPPORTED if props.get(key) is not None]
        try:
            self.spec = EndpointSpec(**{k: v for k, v in props.items() if k not in _UNSUPPORTED})
        except TypeError as error:  # an unknown or missing prop
            raise ValidationError(self.path, [Problem("", str(error).replace("EndpointSpec.__init__()", "props:"))]) \
                from None
        except ValidationError as error:  # props of the wrong type, where the spec checks them
            raise ValidationError(self.path, problems + list(error.problems)) from None
        problems += _entity_problems(self.spec)
        request = self.spec.request(prefix, default_tags)
        problems += self.spec._problems(request)
        if not _cdk.has_provisioned_throughput_resource():
            problems.append(Problem("", f"{RESOURCE_TYPE} is not in this engine's provider bindings: "
                                        "it needs the cdktn engine (CDK Terrain)"))
        if problems:
            raise ValidationError(self.path, problems)
        claim = getattr(stack, "claim_endpoint_name", None)
        if claim is not None:  # where the stack checks that endpoint names are unique in a workspace
            claim(request["name"], self.path, id)
        super().__init__(scope, id)
        self.request = _pt_request(request)
        self.endpoint_name: str = self.request["name"]
        self._grants = []
        self._permissions = None
        self.resource = _cdk.model_serving_provisioned_throughput(
            self, self.request, create_timeout=self.spec.create_timeout, update_timeout=self.spec.update_timeout)
        if stack is not None:
            register(stack, id, self)

    def _serving_endpoint_id_reference(self) -> str:
        return self.resource.serving_endpoint_id

    @property
    def serving_endpoint_id(self) -> str:
        """The endpoint's id (a Terraform reference until applied)."""
        return self.resource.serving_endpoint_id


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
                problems.append(Problem(f"{where}.{bound}", f"is not a field of {RESOURCE_TYPE}: "
                                                            "use provisioned_model_units"))
    return problems


def _pt_request(request: dict[str, Any]) -> dict[str, Any]:
    """The PT create request: routes name `served_entity_name` (provider docs, traffic_config block)."""
    config = dict(request["config"])
    if config.get("traffic_config"):
        config["traffic_config"] = {"routes": [
            {"served_entity_name": r["served_model_name"], "traffic_percentage": r["traffic_percentage"]}
            for r in config["traffic_config"]["routes"]]}
    return {**request, "config": config}


def register(stack: Any, id: str, endpoint: ProvisionedThroughputEndpoint) -> None:
    """Record the endpoint on its stack (policy, checker metadata) and add its outputs.

    The resource exports `serving_endpoint_id` but no `endpoint_url` (provider docs,
    attribute reference), so it gets two outputs, not three.
    """
    stack.endpoints.append(endpoint)
    stack.endpoint_metadata[endpoint.endpoint_name] = {**endpoint.spec.metadata(), "resource": RESOURCE_TYPE}
    uc_grants.on_register(stack, endpoint)
    if not stack.outputs:
        return
    key = re.sub(r"[^A-Za-z0-9_]", "_", id)
    _cdk.output(stack, f"{key}_name", endpoint.endpoint_name, f"name of serving endpoint {id}")
    _cdk.output(stack, f"{key}_serving_endpoint_id", endpoint.serving_endpoint_id, f"id of serving endpoint {id}")
