"""`ServingApp`: a Databricks App that may query serving endpoints.

An app reaches an endpoint through a `serving_endpoint` entry in its resources, which grants the
app's service principal CAN_QUERY; no `databricks_permissions` of its own is needed. An endpoint
that declares grants (an authoritative `databricks_permissions`) lists the app's principal among
them, by reference to the app's `service_principal_client_id`, so applying those grants never takes
the app's away. Its name gets the stack's name prefix, as endpoint names do, and is unique in its
workspace across every stack of the app that deploys there (SDK `apps.App.name`: "unique within the
workspace").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import Refusable, Unbuilt, construct, id_problems, is_stand_in, path_of
from servingstack.cdk.stack import ServingStack
from servingstack.errors import Problem, ValidationError
from servingstack.facts.apps import RESOURCE_NAME, app_name_problems
from servingstack.facts.newer_fields import app_engine_problems, validate_app_compute


@construct
class ServingApp(_cdk.Construct, metaclass=Refusable):
    """`ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": chat_endpoint})`:
    the app gets CAN_QUERY on each endpoint, under the resource name given as key
    (which the app reads from its environment). `compute_min_instances` / `compute_max_instances`
    (set together; provider 1.138, needs the cdktn engine) bound how many instances it runs.

    `name` comes after the stack's `name_prefix` (`dev-support-bot`); the whole name must be lowercase
    letters, digits and '-' (SDK `apps.App.name`), so a stack whose prefix has '_' or capitals cannot
    hold an app: give it a `name_prefix` of lowercase letters, digits and '-'."""

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        name: str,
        query_endpoints: Mapping[str, Any],
        description: str | None = None,
        compute_min_instances: int | None = None,
        compute_max_instances: int | None = None,
    ) -> None:
        path = f"{path_of(scope)}/{id}"
        stack = ServingStack.of(scope)
        prefix = stack.name_prefix if stack is not None else ""
        full_name = f"{prefix}{name}" if isinstance(name, str) else name
        problems = id_problems(id)
        name_problems = app_name_problems(full_name, prefix)
        problems += name_problems
        if stack is not None and not name_problems and isinstance(full_name, str):
            # SDK apps.App.name: "It must be unique within the workspace."
            problems += stack.claim_name("app", full_name, path)
        if not query_endpoints:
            problems.append(Problem("query_endpoints", "name at least one endpoint"))
        for resource, endpoint in (query_endpoints or {}).items():
            if not (isinstance(resource, str) and RESOURCE_NAME.match(resource)):
                problems.append(
                    Problem(
                        f"query_endpoints[{resource!r}]",
                        "a resource name is a non-empty string",
                    )
                )
            if not isinstance(getattr(endpoint, "endpoint_name", None), str):
                problems.append(
                    Problem(
                        f"query_endpoints[{resource!r}]",
                        "must be a ServingEndpoint, a ProvisionedThroughputEndpoint or ServingEndpoint.from_name(...)",
                    )
                )
        problems += validate_app_compute(compute_min_instances, compute_max_instances)
        problems += app_engine_problems(
            _cdk.ENGINE.name, compute_min_instances=compute_min_instances, compute_max_instances=compute_max_instances
        )
        if problems:
            raise ValidationError(path, problems)
        if any(is_stand_in(endpoint) for endpoint in query_endpoints.values()):
            raise Unbuilt(path)  # an endpoint it queries was refused: its problems say what is wrong
        super().__init__(scope, id)
        self.path = path
        self.stack = stack
        self.app_name = full_name
        # An endpoint of this program is named by a Terraform reference to its resource, so the
        # dependency is in the graph and Terraform creates the endpoint before the app; an
        # endpoint made elsewhere (`ServingEndpoint.from_name`) is named literally.
        self.resource = _cdk.app(
            self,
            "Default",
            name=full_name,
            description=description,
            serving_endpoints={
                resource: (_name_of(endpoint), "CAN_QUERY") for resource, endpoint in query_endpoints.items()
            },
            compute_min_instances=compute_min_instances,
            compute_max_instances=compute_max_instances,
        )
        for endpoint in query_endpoints.values():
            if hasattr(endpoint, "_grant_to_app"):
                endpoint._grant_to_app(self._principal_reference(endpoint), "CAN_QUERY")

    @property
    def service_principal_client_id(self) -> str:
        """The application id of the app's service principal (a Terraform reference until applied)."""
        return str(self.resource.service_principal_client_id)

    def _principal_reference(self, endpoint: Any) -> str:
        """The app's principal, as the endpoint's stack can name it: computed in Python within one stack."""
        stack = self.stack
        if stack is not None and ServingStack.of(endpoint) is stack and self.path.startswith(f"{stack.path}/"):
            ids = self.path[len(stack.path) + 1 :].split("/") + ["Default"]
            return _cdk.reference("databricks_app", ids, "service_principal_client_id")
        return self.service_principal_client_id

    def adopt(self) -> ServingApp:
        """Adopt the live app of this name instead of creating it: a Terraform import block
        (imported by name, provider docs resources/app.md "Import"). `servingstack import` writes it."""
        _cdk.import_existing(self.resource, self.app_name)
        return self

    def _become_stand_in(self, scope: Any, props: Any) -> None:
        stack = ServingStack.of(scope)
        name = props.get("name")
        self.stack = stack
        self.app_name = (
            f"{stack.name_prefix if stack is not None else ''}{name}" if isinstance(name, str) else self.path
        )


def _name_of(endpoint: Any) -> str:
    resource = getattr(endpoint, "resource", None)
    return resource.name if resource is not None else endpoint.endpoint_name
