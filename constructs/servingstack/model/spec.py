"""What one serving endpoint declares, as plain Python: its props, the API request they
make, and every problem with them. Nothing here touches jsii, so all of it is checked
before a single construct is built, and tested without Node."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from servingstack.errors import Problem, ValidationError
from servingstack.facts import gateway as gateway_facts
from servingstack.facts import rules
from servingstack.facts.ignore_changes import traffic_route_paths
from servingstack.facts.newer_fields import engine_problems, validate_workspace_id
from servingstack.model import secret_values
from servingstack.model.entities import ServedEntity
from servingstack.model.expectations import Expectation, expectation_problems
from servingstack.model.gateway import AiGateway
from servingstack.model.rollout import Rollout, rollout_problems
from servingstack.model.secrets import Plaintext
from servingstack.model.telemetry import Telemetry
from servingstack.model.traffic import routes
from servingstack.model.typecheck import typed

# TF `timeouts` (create, update): Go durations (time.ParseDuration: "45m", "1h30m", "1.5h", "90s").
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
# Product docs (query serving endpoints, custom models): one of these input formats per request.
CUSTOM_INPUT_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


@typed
@dataclass(frozen=True)
class EmailNotifications:
    on_update_failure: Sequence[str] = ()
    on_update_success: Sequence[str] = ()

    def to_api(self) -> dict[str, list[str]]:
        values = {"on_update_failure": list(self.on_update_failure), "on_update_success": list(self.on_update_success)}
        return {k: v for k, v in values.items() if v}


@typed
@dataclass(frozen=True)
class EndpointSpec:
    """The props of a `ServingEndpoint`; every optional field documents its default.

    - `name`: the endpoint name; the stack's environment prefix is put in front of it.
    - `served_entities`: one or more `FoundationModel`, `ProvisionedThroughput`, `CustomModel`,
      `FeatureSpec` or `ExternalModel` (at most 15). Default none: the endpoint is created without a
      config, which the provider allows ("can be added and modified after creation").
    - `traffic`: name -> percent, a route per entity; default 100 to a single entity; for several,
      unset leaves the split to the service (policy SS10 asks for one).
    - `ai_gateway`: default none. `tags`: merged over the stack's default tags.
    - `description`, `route_optimized`, `budget_policy_id`, `email_notifications`: default unset.
    - `create_timeout` / `update_timeout`: Terraform durations (`"45m"`); provider default 45m.
    - `task`: what the endpoint answers, for the checker's smoke query; default from the entities.
    - `sample_request`: the body of the checker's smoke query (custom models).
    - `allow_plaintext_secrets`: default False; True lets `Plaintext(...)` keys into Terraform state.
    - `telemetry`: default none; a `Telemetry` (Unity Catalog tables for logs, metrics, traces).
    - `workspace_id`: default the provider's workspace; the provider's `provider_config.workspace_id`,
      so one provider can manage endpoints in several workspaces. Both need the cdktn engine.
    - `expectations`: default none; `Expectation`s the checker runs against every served entity.
    - `rollout`: default none; a `Rollout` that `servingstack rollout` carries out. The stack then
      declares the stable entity at 100% (leave `traffic` unset) and leaves the split to the rollout.
    """

    name: str
    served_entities: Sequence[ServedEntity] = ()
    traffic: Mapping[str, int] | None = None
    ai_gateway: AiGateway | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    route_optimized: bool | None = None
    budget_policy_id: str | None = None
    email_notifications: EmailNotifications | None = None
    create_timeout: str | None = None
    update_timeout: str | None = None
    task: str | None = None
    sample_request: Mapping[str, Any] | None = None
    allow_plaintext_secrets: bool = False
    telemetry: Telemetry | None = None
    workspace_id: str | None = None
    expectations: Sequence[Expectation] | None = None
    rollout: Rollout | None = None

    def entities(self) -> list[ServedEntity]:
        # A single entity may be passed bare.
        if self.served_entities is None:
            return []
        if isinstance(self.served_entities, (list, tuple)):
            return list(self.served_entities)
        return [self.served_entities]  # type: ignore[list-item]

    def request(self, name_prefix: str = "", default_tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The API create request this endpoint makes (the shape `databricks-sdk` sends)."""
        entities = [e for e in self.entities() if _is_entity(e)]
        request: dict[str, Any] = {"name": f"{name_prefix}{self.name}"}
        if entities:
            config: dict[str, Any] = {"served_entities": [e.to_api() for e in entities]}
            split = self.traffic
            names = [e.served_name() for e in entities]
            if split is None and isinstance(self.rollout, Rollout) and not self.rollout.problems(names):
                # The split the rollout starts from; Terraform leaves the live one alone after create.
                split = self.rollout.split(0, names)
            if split is None and len(entities) == 1:
                split = {entities[0].served_name(): 100}
            if split and isinstance(split, Mapping):
                config["traffic_config"] = {"routes": routes(split)}
            request["config"] = config
        if isinstance(self.ai_gateway, AiGateway):
            request["ai_gateway"] = self.ai_gateway.to_api()
        tags = {**(default_tags or {}), **(self.tags if isinstance(self.tags, Mapping) else {})}
        if tags:
            request["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]
        optional = {
            "description": self.description,
            "route_optimized": self.route_optimized,
            "budget_policy_id": self.budget_policy_id,
            "email_notifications": self.email_notifications.to_api()
            if isinstance(self.email_notifications, EmailNotifications)
            else None,
        }
        request.update({k: v for k, v in optional.items() if v is not None})
        if self.telemetry is not None:
            request["telemetry_config"] = (
                self.telemetry.to_api() if isinstance(self.telemetry, Telemetry) else self.telemetry
            )
        return request

    def resolved_task(self) -> str | None:
        if self.task:
            return self.task
        tasks = {e.declared_task() for e in self.entities()}
        return tasks.pop() if len(tasks) == 1 else None

    def problems(self, name_prefix: str = "", default_tags: Mapping[str, str] | None = None) -> list[Problem]:
        return self._problems(self.request(name_prefix, default_tags))

    def _problems(self, request: Mapping[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        for index, entity in enumerate(self.entities()):
            if not _is_entity(entity):
                problems.append(
                    Problem(
                        f"config.served_entities[{index}]",
                        f"{type(entity).__name__} is not a served entity: use FoundationModel, "
                        "ProvisionedThroughput, CustomModel, FeatureSpec or ExternalModel",
                    )
                )
                continue
            problems += [Problem(f"config.served_entities[{index}].{p.field}", p.message) for p in entity.problems()]
            variables = getattr(entity, "environment_vars", None)
            if isinstance(variables, Mapping) and not self.allow_plaintext_secrets:
                problems += [
                    Problem(
                        f"config.served_entities[{index}].environment_vars[{key}]",
                        "is a Plaintext secret: use secret(scope, key), or opt in with allow_plaintext_secrets=True",
                    )
                    for key, value in variables.items()
                    if isinstance(value, Plaintext)
                ]
        problems += rules.validate_endpoint(request)
        problems += secret_values.problems(request, allow_plaintext=self.allow_plaintext_secrets)
        problems += _prop_type_problems(self)
        if self.ai_gateway is not None and not isinstance(self.ai_gateway, AiGateway):
            problems.append(Problem("ai_gateway", "must be an AiGateway"))
        elif self.ai_gateway is not None:
            problems += self.ai_gateway.problems()
            problems += gateway_facts.kind_problems(request.get("ai_gateway"), self.resolved_task())
        if self.traffic is not None and not isinstance(self.traffic, Mapping):
            problems.append(Problem("traffic", "must be a mapping of served entity name -> percent"))
        for key in ("create_timeout", "update_timeout"):
            value = getattr(self, key)
            if value is not None and not (isinstance(value, str) and _DURATION.match(value)):
                problems.append(Problem(key, f"{value!r} is not a Terraform duration such as '45m' or '1h30m'"))
        if self.task is not None and self.task not in rules.TASKS:  # rules.TASKS: product docs' tasks
            problems.append(Problem("task", f"{self.task!r} is not one of {', '.join(rules.TASKS)}"))
        problems += self._sample_request_problems()
        valid = [e for e in self.entities() if _is_entity(e)]  # the others are reported above
        task = self.resolved_task() if len(valid) == len(self.entities()) else self.task
        problems += expectation_problems(self.expectations, task, [e.served_name() for e in valid])
        problems += rollout_problems(self.rollout, [e.served_name() for e in valid], self.traffic)
        return problems

    def _sample_request_problems(self) -> list[Problem]:
        sample = self.sample_request
        if sample is None:
            return []
        if not isinstance(sample, Mapping):
            return [Problem("sample_request", "must be a JSON object")]
        if self.resolved_task() is None:
            formats = [f for f in CUSTOM_INPUT_FORMATS if f in sample]
            if len(formats) != 1:
                return [
                    Problem(
                        "sample_request",
                        f"a custom model's request needs exactly one of {', '.join(CUSTOM_INPUT_FORMATS)}",
                    )
                ]
        return []

    def validate(
        self, path: str, name_prefix: str = "", default_tags: Mapping[str, str] | None = None, engine: str | None = None
    ) -> dict[str, Any]:
        """The API request, once it has no problem; else one `ValidationError` with every problem,
        named by construct path and field. `engine` (cdktf or cdktn) refuses the fields its
        provider binding lacks."""
        request = self.request(name_prefix, default_tags)
        problems = self._problems(request)
        problems += validate_workspace_id(self.workspace_id)
        if engine is not None:
            problems += engine_problems(engine, request, self.workspace_id)
        if problems:
            raise ValidationError(path, problems)
        return request

    def metadata(self) -> dict[str, Any]:
        """What the checker needs beyond the Terraform resource, recorded in the stack."""
        meta: dict[str, Any] = {"kinds": [type(e).__name__ for e in self.entities()]}
        task = self.resolved_task()
        if task:
            meta["task"] = task
        if self.sample_request is not None:
            meta["sample_request"] = dict(self.sample_request)
        if self.expectations:
            meta["expectations"] = [e.to_json() for e in self.expectations]
        if isinstance(self.rollout, Rollout):
            meta["rollout"] = self.rollout.to_json()
        return meta

    def ignore_changes(self) -> list[str]:
        """Terraform's `lifecycle.ignore_changes` of the endpoint's resource: with a rollout, each route
        of the declared split, so the live split survives every apply (`facts.ignore_changes`)."""
        if not isinstance(self.rollout, Rollout):
            return []
        return traffic_route_paths(len([e for e in self.entities() if _is_entity(e)]))


def _is_entity(entity: Any) -> bool:
    return all(callable(getattr(entity, m, None)) for m in ("to_api", "served_name", "problems"))


# Plain props and the types the provider's structs take (TF-GO: model_serving schema); a wrong type
# would otherwise surface as a raw jsii TypeError in the middle of building the resource.
_PROP_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "description": (str,),
    "route_optimized": (bool,),
    "budget_policy_id": (str,),
}


def _prop_type_problems(spec: EndpointSpec) -> list[Problem]:
    problems = []
    for prop, types in _PROP_TYPES.items():
        value = getattr(spec, prop)
        if value is not None and not isinstance(value, types):
            problems.append(Problem(prop, f"must be a {types[0].__name__}, got {type(value).__name__}"))
    if not isinstance(spec.tags, Mapping) or not all(isinstance(k, str) for k in spec.tags):
        problems.append(Problem("tags", "must be a mapping of string keys to string values"))
    notifications = spec.email_notifications
    if notifications is not None:
        if not isinstance(notifications, EmailNotifications):
            problems.append(Problem("email_notifications", "must be an EmailNotifications"))
        else:
            for key in ("on_update_failure", "on_update_success"):
                values = getattr(notifications, key)
                if isinstance(values, str) or not all(isinstance(v, str) for v in values):
                    problems.append(Problem(f"email_notifications.{key}", "must be a list of email addresses"))
    return problems
