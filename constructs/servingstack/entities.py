"""The kinds of entity a serving endpoint can serve, each a small typed value.

Every entity renders itself as the API's `ServedEntityInput` dict (`to_api()`), and
lists the problems only its own kind can have (`problems()`); the rules shared with
the emulator (`rules.py`) check the rest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Union

from .errors import Problem
from .providers import ExternalProvider
from .secrets import SecretRef, SecretValue
from .typecheck import typed

_UC_MODEL = re.compile(r"^[A-Za-z0-9_`-]+\.[A-Za-z0-9_`-]+\.[A-Za-z0-9_`-]+$")
FOUNDATION_MODEL_PREFIX = "system.ai."


class ServedEntity(Protocol):
    def served_name(self) -> str: ...
    def to_api(self) -> dict[str, Any]: ...
    def problems(self) -> list[Problem]: ...
    def declared_task(self) -> str | None: ...


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _default_name(*parts: object) -> str:
    """The service's default entity name: the parts joined by '-', with '.' -> '-'."""
    return "-".join(str(p) for p in parts if p is not None).replace(".", "-")


@typed
@dataclass(frozen=True)
class FoundationModel:
    """A pay-per-token foundation model from `system.ai`, e.g.
    `FoundationModel("system.ai.meta_llama_3_3_70b_instruct", "1")`.

    `task` is what the model answers (chat by default); it picks the checker's smoke query.
    """

    entity_name: str
    entity_version: str | int | None = None
    name: str | None = None
    task: str = "llm/v1/chat"

    def served_name(self) -> str:
        return self.name or _default_name(self.entity_name, self.entity_version)

    def to_api(self) -> dict[str, Any]:
        return _drop_none({"name": self.served_name(), "entity_name": self.entity_name,
                           "entity_version": _version(self.entity_version)})

    def problems(self) -> list[Problem]:
        if not str(self.entity_name).startswith(FOUNDATION_MODEL_PREFIX):
            return [Problem("entity_name", f"{self.entity_name!r} is not a foundation model: "
                                           f"expected a name under {FOUNDATION_MODEL_PREFIX!r}")]
        return []

    def declared_task(self) -> str | None:
        return self.task


@typed
@dataclass(frozen=True)
class ProvisionedThroughput:
    """A foundation model with reserved throughput: either tokens per second
    (`min_/max_provisioned_throughput`) or `provisioned_model_units`. Never scales to zero."""

    entity_name: str
    entity_version: str | int
    min_provisioned_throughput: int | None = None
    max_provisioned_throughput: int | None = None
    provisioned_model_units: int | None = None
    name: str | None = None
    task: str = "llm/v1/chat"

    def served_name(self) -> str:
        return self.name or _default_name(self.entity_name, self.entity_version)

    def to_api(self) -> dict[str, Any]:
        return _drop_none({
            "name": self.served_name(), "entity_name": self.entity_name,
            "entity_version": _version(self.entity_version),
            "min_provisioned_throughput": self.min_provisioned_throughput,
            "max_provisioned_throughput": self.max_provisioned_throughput,
            "provisioned_model_units": self.provisioned_model_units,
        })

    def problems(self) -> list[Problem]:
        throughput = (self.min_provisioned_throughput, self.max_provisioned_throughput)
        if self.provisioned_model_units is None and None in throughput:
            return [Problem("provisioned_model_units",
                            "set provisioned_model_units, or both min_ and max_provisioned_throughput")]
        return []

    def declared_task(self) -> str | None:
        return self.task


@typed(workload_size="str | None")  # None: no size, as with provisioned concurrency
@dataclass(frozen=True)
class CustomModel:
    """An MLflow model registered in Unity Catalog (`catalog.schema.model`), served on CPU or GPU.

    Environment variable values are plain strings or `secret(scope, key)` references;
    a variable whose name says it holds a secret (`*_KEY`, `*_TOKEN`, ...) must be a reference.
    `scale_to_zero=None` leaves the service's default (off).
    """

    model: str
    version: str | int
    workload_size: str = "Small"
    workload_type: str | None = None
    scale_to_zero: bool | None = None
    environment_vars: Mapping[str, Union[str, SecretRef]] = field(default_factory=dict)
    min_provisioned_concurrency: int | None = None
    max_provisioned_concurrency: int | None = None
    instance_profile_arn: str | None = None
    name: str | None = None

    def served_name(self) -> str:
        return self.name or _default_name(self.model.split(".")[-1], self.version)

    def to_api(self) -> dict[str, Any]:
        concurrency = self.min_provisioned_concurrency, self.max_provisioned_concurrency
        return _drop_none({
            "name": self.served_name(), "entity_name": self.model, "entity_version": _version(self.version),
            # A workload size and explicit concurrency exclude each other; concurrency wins.
            "workload_size": self.workload_size if concurrency == (None, None) else None,
            "workload_type": self.workload_type,
            "scale_to_zero_enabled": self.scale_to_zero,
            "min_provisioned_concurrency": self.min_provisioned_concurrency,
            "max_provisioned_concurrency": self.max_provisioned_concurrency,
            "instance_profile_arn": self.instance_profile_arn,
            "environment_vars": {k: str(v) for k, v in self.environment_vars.items()} or None,
        })

    def problems(self) -> list[Problem]:
        problems = []
        if not _UC_MODEL.match(str(self.model)):
            problems.append(Problem("entity_name", f"{self.model!r} is not a Unity Catalog model: "
                                                   "expected catalog.schema.model"))
        if not re.fullmatch(r"[0-9]+", str(self.version)):
            problems.append(Problem("entity_version", f"{self.version!r} is not a model version number"))
        return problems

    def declared_task(self) -> str | None:
        return None


@typed
@dataclass(frozen=True)
class ExternalModel:
    """A model hosted by another provider (OpenAI, Anthropic, ...), reached through Databricks.

    `name` is the provider's model name (`gpt-4o`); `task` what it answers (`llm/v1/chat`).
    """

    name: str
    provider: ExternalProvider
    task: str = "llm/v1/chat"
    served_entity_name: str | None = None

    def served_name(self) -> str:
        return self.served_entity_name or _default_name(self.name)

    def to_api(self) -> dict[str, Any]:
        return {"name": self.served_name(), "external_model": {
            "name": self.name, "provider": self.provider.provider, "task": self.task,
            self.provider.config_field: self.provider.to_api()}}

    def problems(self) -> list[Problem]:
        return []

    def declared_task(self) -> str | None:
        return self.task


def _version(version: str | int | None) -> str | None:
    return None if version is None else str(version)


__all__ = ["ServedEntity", "FoundationModel", "ProvisionedThroughput", "CustomModel", "ExternalModel",
           "SecretValue"]
