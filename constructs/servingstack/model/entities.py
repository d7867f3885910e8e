"""The kinds of entity a serving endpoint can serve, each a small typed value.

Every entity renders itself as the API's `ServedEntityInput` dict (`to_api()`), and
lists the problems only its own kind can have (`problems()`); the rules shared with
the emulator (`facts/rules.py`) check the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from servingstack.errors import Problem
from servingstack.facts.rules import FOUNDATION_MODEL_PREFIX
from servingstack.model.providers import ExternalProvider
from servingstack.model.secrets import Plaintext, SecretRef, SecretValue
from servingstack.model.typecheck import typed


class ServedEntity(Protocol):
    def served_name(self) -> str: ...
    def to_api(self) -> dict[str, Any]: ...
    def problems(self) -> list[Problem]: ...
    def declared_task(self) -> str | None: ...


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _default_name(*parts: object) -> str:
    """The service's default entity name (SDK `ServedEntityInput.name`): the parts joined by '-',
    with '.' and ':' replaced by '-' (Bedrock model ids such as `...-v1:0` contain ':')."""
    return "-".join(str(p) for p in parts if p is not None).replace(".", "-").replace(":", "-")


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
        return _drop_none(
            {
                "name": self.served_name(),
                "entity_name": self.entity_name,
                "entity_version": _version(self.entity_version),
            }
        )

    def problems(self) -> list[Problem]:
        if not str(self.entity_name).startswith(FOUNDATION_MODEL_PREFIX):
            return [
                Problem(
                    "entity_name",
                    f"{self.entity_name!r} is not a foundation model: "
                    f"expected a name under {FOUNDATION_MODEL_PREFIX!r}",
                )
            ]
        return []

    def declared_task(self) -> str | None:
        return self.task


@typed
@dataclass(frozen=True)
class ProvisionedThroughput:
    """A foundation model with reserved throughput: tokens per second
    (`max_provisioned_throughput`, optionally `min_provisioned_throughput`) or `provisioned_model_units`.

    `scale_to_zero=True` lets it scale down to zero, as the provider docs' foundation-model example
    does; None leaves the service's default.
    """

    entity_name: str
    entity_version: str | int | None = None
    min_provisioned_throughput: int | None = None
    max_provisioned_throughput: int | None = None
    provisioned_model_units: int | None = None
    name: str | None = None
    task: str = "llm/v1/chat"
    scale_to_zero: bool | None = None
    # Scale beyond the provisioned capacity on traffic spikes (service default on); provider 1.138,
    # needs the cdktn engine (see facts/newer_fields.py).
    burst_scaling_enabled: bool | None = None

    def served_name(self) -> str:
        return self.name or _default_name(self.entity_name, self.entity_version)

    def to_api(self) -> dict[str, Any]:
        return _drop_none(
            {
                "name": self.served_name(),
                "entity_name": self.entity_name,
                "entity_version": _version(self.entity_version),
                "min_provisioned_throughput": self.min_provisioned_throughput,
                "max_provisioned_throughput": self.max_provisioned_throughput,
                "provisioned_model_units": self.provisioned_model_units,
                "scale_to_zero_enabled": self.scale_to_zero,
                "burst_scaling_enabled": self.burst_scaling_enabled,
            }
        )

    def problems(self) -> list[Problem]:
        # What makes it provisioned: model units or a throughput bound (SDK ServedEntityInput;
        # the provider docs' example sets max_provisioned_throughput alone).
        throughput = (self.min_provisioned_throughput, self.max_provisioned_throughput)
        if self.provisioned_model_units is None and throughput == (None, None):
            return [
                Problem(
                    "provisioned_model_units",
                    "set provisioned_model_units, or max_provisioned_throughput (and optionally min_)",
                )
            ]
        return []

    def declared_task(self) -> str | None:
        return self.task


@typed
@dataclass(frozen=True)
class CustomModel:
    """An MLflow model, served on CPU or GPU: from Unity Catalog (`catalog.schema.model`) or from
    the Workspace Model Registry (a bare name such as `ads-model`).

    Environment variable values are plain strings or `secret(scope, key)` references; a value shaped
    like a credential, or a `Plaintext(...)`, needs `allow_plaintext_secrets=True` (a secret-looking
    NAME is only a policy warning, SS13).
    `workload_size` defaults to Small unless `min/max_provisioned_concurrency` size it instead.
    `scale_to_zero=None` leaves the service's default (off).
    """

    model: str
    version: str | int
    workload_size: str | None = None
    workload_type: str | None = None
    scale_to_zero: bool | None = None
    environment_vars: Mapping[str, str | SecretRef | Plaintext] = field(default_factory=dict)
    min_provisioned_concurrency: int | None = None
    max_provisioned_concurrency: int | None = None
    instance_profile_arn: str | None = None
    name: str | None = None

    def served_name(self) -> str:
        return self.name or _default_name(self.model, self.version)

    def to_api(self) -> dict[str, Any]:
        concurrency = self.min_provisioned_concurrency, self.max_provisioned_concurrency
        return _drop_none(
            {
                "name": self.served_name(),
                "entity_name": self.model,
                "entity_version": _version(self.version),
                # Small unless sized by provisioned concurrency; a size given with concurrency is sent as
                # given, and the rules refuse the pair (SDK: "Do not use if min/max_provisioned_concurrency").
                "workload_size": self.workload_size or ("Small" if concurrency == (None, None) else None),
                "workload_type": self.workload_type,
                "scale_to_zero_enabled": self.scale_to_zero,
                "min_provisioned_concurrency": self.min_provisioned_concurrency,
                "max_provisioned_concurrency": self.max_provisioned_concurrency,
                "instance_profile_arn": self.instance_profile_arn,
                "environment_vars": _env(self.environment_vars),
            }
        )

    def problems(self) -> list[Problem]:
        problems = []
        # SDK ServedEntityInput.entity_name: a Model Registry name, or a UC `catalog.schema.model`.
        if not (isinstance(self.model, str) and self.model.strip()):
            problems.append(
                Problem(
                    "entity_name",
                    f"{self.model!r} is not a model name: expected catalog.schema.model or a Model Registry name",
                )
            )
        elif "." in self.model and len(self.model.split(".")) != 3:
            problems.append(
                Problem("entity_name", f"{self.model!r} is not a Unity Catalog model: expected catalog.schema.model")
            )
        # MLflow model registries (Unity Catalog and workspace) number versions 1, 2, 3, ...
        if not re.fullmatch(r"[0-9]+", str(self.version)):
            problems.append(Problem("entity_version", f"{self.version!r} is not a model version number"))
        return problems

    def declared_task(self) -> str | None:
        return None


@typed
@dataclass(frozen=True)
class FeatureSpec:
    """Feature Serving: a Unity Catalog function of type FEATURE_SPEC (`catalog.schema.spec`),
    served without a version (SDK `ServedEntityInput.entity_version`: empty for a FEATURE_SPEC)."""

    function: str
    workload_size: str = "Small"
    scale_to_zero: bool | None = None
    name: str | None = None
    workload_type: str | None = None
    environment_vars: Mapping[str, str | SecretRef | Plaintext] = field(default_factory=dict)
    instance_profile_arn: str | None = None

    def served_name(self) -> str:
        return self.name or _default_name(self.function)

    def to_api(self) -> dict[str, Any]:
        return _drop_none(
            {
                "name": self.served_name(),
                "entity_name": self.function,
                "workload_size": self.workload_size,
                "workload_type": self.workload_type,
                "scale_to_zero_enabled": self.scale_to_zero,
                "instance_profile_arn": self.instance_profile_arn,
                "environment_vars": _env(self.environment_vars),
            }
        )

    def problems(self) -> list[Problem]:
        # SDK ServedEntityInput.entity_name: a FEATURE_SPEC is a UC object, `catalog.schema.name`.
        if not (
            isinstance(self.function, str) and len(self.function.split(".")) == 3 and all(self.function.split("."))
        ):
            return [
                Problem(
                    "entity_name",
                    f"{self.function!r} is not a Unity Catalog function: expected catalog.schema.feature_spec",
                )
            ]
        return []

    def declared_task(self) -> str | None:
        return None


@typed
@dataclass(frozen=True)
class ExternalModel:
    """A model hosted by another provider (OpenAI, Anthropic, ...), reached through Databricks:
    `ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))`.

    - `model`: the provider's model name (`gpt-4o`).
    - `provider`: `OpenAI(...)`, `Anthropic(...)`, `AmazonBedrock(...)`, ...
    - `task`: what it answers; default `llm/v1/chat`.
    - `name`: the served entity's name; default the model name with '.' and ':' made '-'.
    """

    model: str
    provider: ExternalProvider
    task: str = "llm/v1/chat"
    name: str | None = None

    def served_name(self) -> str:
        return self.name or _default_name(self.model)

    def to_api(self) -> dict[str, Any]:
        external: dict[str, Any] = {
            "name": self.model,
            "provider": getattr(self.provider, "provider", None),
            "task": self.task,
        }
        if _is_provider(self.provider):
            external[self.provider.config_field] = self.provider.to_api()
        return {"name": self.served_name(), "external_model": external}

    def problems(self) -> list[Problem]:
        if not _is_provider(self.provider):
            return [
                Problem(
                    "external_model.provider",
                    f"{type(self.provider).__name__} is not a provider: use "
                    "OpenAI(...), Anthropic(...), AmazonBedrock(...), ...",
                )
            ]
        return []

    def declared_task(self) -> str | None:
        return self.task


def _env(variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """Values as the API takes them: a secret reference as `{{secrets/...}}`, a `Plaintext` as its value
    (which the endpoint's secret line then judges), anything else as given, for the rules to check."""
    if not isinstance(variables, Mapping):
        return None
    return {
        k: v.value if isinstance(v, Plaintext) else str(v) if isinstance(v, SecretRef) else v
        for k, v in variables.items()
    } or None


def _is_provider(provider: Any) -> bool:
    return isinstance(getattr(provider, "config_field", None), str) and callable(getattr(provider, "to_api", None))


def _version(version: str | int | None) -> str | None:
    return None if version is None else str(version)


__all__ = [
    "ServedEntity",
    "FoundationModel",
    "ProvisionedThroughput",
    "CustomModel",
    "FeatureSpec",
    "ExternalModel",
    "SecretValue",
]
