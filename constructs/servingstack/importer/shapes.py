"""From live API shapes to the typed public values, one small function per shape.

Each live served entity is matched against `ENTITY_SHAPES` in order; the first shape whose
test passes builds the value (`ExternalModel`, `ProvisionedThroughput`, `FoundationModel`,
`FeatureSpec`, `CustomModel`). A new kind of entity is one more row. External model providers map
through `PROVIDERS` (API provider name -> class, API field -> constructor argument).

Every function returns the value and `Note`s: what the value cannot say, and which
secrets became placeholders. Secret VALUES are never read into a value or a note.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from servingstack.facts import rules
from servingstack.facts.rules import FOUNDATION_MODEL_PREFIX
from servingstack.facts.secrets import MAX_NAME_LENGTH, NAME_CHARACTERS, find_tokens, parse_reference
from servingstack.model.entities import CustomModel, ExternalModel, FeatureSpec, FoundationModel, ProvisionedThroughput
from servingstack.model.gateway import AiGateway, Guardrail, InferenceTable, RateLimit
from servingstack.model.providers import (
    AI21Labs,
    AmazonBedrock,
    Anthropic,
    Cohere,
    CustomProvider,
    DatabricksModelServing,
    ExternalProvider,
    GoogleVertexAI,
    OpenAI,
    PaLM,
)
from servingstack.model.secrets import SecretRef
from servingstack.policy.secret_scan import looks_like_secret_name

# Where placeholder secrets point: a scope the user creates before the first apply.
PLACEHOLDER_SCOPE = "servingstack-import"


@dataclass(frozen=True)
class Note:
    """Something the generated code must tell its reader, at the endpoint it concerns.

    `warn` notes (what cannot be expressed, placeholders to fill) also go to stderr."""

    text: str
    warn: bool = True


@dataclass
class Context:
    """What a shape function needs to know about the endpoint it works on."""

    endpoint: str  # the live endpoint name
    task: str | None  # the live endpoint's task
    notes: list[Note]
    # API paths (e.g. config.served_entities[0].external_model.openai_config.openai_api_key) that the
    # notes already explain, so the final comparison does not report them twice.
    explained: set[str]

    def placeholder(
        self, path: str, what: str, why: str = "the service does not show this secret (it was given in plaintext)"
    ) -> SecretRef:
        key = re.sub(f"[^{NAME_CHARACTERS}]+", "-", f"{self.endpoint}-{what}").strip("-")[:MAX_NAME_LENGTH]
        self.explained.add(path)
        self.notes.append(
            Note(
                f"{path}: {why}, so it is not in this file. "
                f"Put it in secret scope {PLACEHOLDER_SCOPE!r} under key {key!r} before applying "
                f"(`databricks secrets create-scope {PLACEHOLDER_SCOPE}`, then "
                f"`databricks secrets put-secret {PLACEHOLDER_SCOPE} {key}`)."
            )
        )
        return SecretRef(PLACEHOLDER_SCOPE, key)


def secret_value(value: Any, path: str, what: str, ctx: Context) -> SecretRef | None:
    """A reference stays a reference; anything else becomes a placeholder (never written out)."""
    if value is None:
        return None
    reference = parse_reference(value)
    if reference is not None:
        return SecretRef(*reference)
    return ctx.placeholder(path, what)


def _version(value: Any) -> Any:
    """`3` for "3", as a person writes a model version; anything else as it is."""
    text = str(value)
    return int(text) if text.isdigit() and (text == "0" or not text.startswith("0")) else value


def _default(cls: type, name: str) -> Any:
    """A field's default, read from the class so the code follows the class."""
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _named(value: Any, live_name: str | None, field: str) -> Any:
    """Set the entity's name only where the service's default name would differ."""
    if live_name and value.served_name() != live_name:
        return dataclasses.replace(value, **{field: live_name})
    return value


# -- served entities -----------------------------------------------------------------------------------

_THROUGHPUT = ("provisioned_model_units", "min_provisioned_throughput", "max_provisioned_throughput")


def _foundation(entity: Mapping[str, Any], path: str, ctx: Context) -> Any:
    value = FoundationModel(entity["entity_name"], entity.get("entity_version"))
    if ctx.task and ctx.task != value.task and ctx.task in rules.TASKS:
        value = dataclasses.replace(value, task=ctx.task)
    return _named(value, entity.get("name"), "name")


def _provisioned(entity: Mapping[str, Any], path: str, ctx: Context) -> Any:
    value = ProvisionedThroughput(
        entity["entity_name"],
        entity.get("entity_version"),
        min_provisioned_throughput=entity.get("min_provisioned_throughput"),
        max_provisioned_throughput=entity.get("max_provisioned_throughput"),
        provisioned_model_units=entity.get("provisioned_model_units"),
    )
    if ctx.task and ctx.task != value.task and ctx.task in rules.TASKS:
        value = dataclasses.replace(value, task=ctx.task)
    if entity.get("scale_to_zero_enabled"):
        value = dataclasses.replace(value, scale_to_zero=True)
    return _named(value, entity.get("name"), "name")


def _custom(entity: Mapping[str, Any], path: str, ctx: Context) -> Any:
    variables = _environment(entity, path, ctx)
    value = CustomModel(
        entity["entity_name"],
        _version(entity.get("entity_version")),
        workload_size=entity.get("workload_size") or _default(CustomModel, "workload_size"),
        workload_type=entity.get("workload_type"),
        # Off is the service's default, and the provider never sends false (SS8): leave it unset.
        scale_to_zero=True if entity.get("scale_to_zero_enabled") else None,
        environment_vars=variables,
        min_provisioned_concurrency=entity.get("min_provisioned_concurrency"),
        max_provisioned_concurrency=entity.get("max_provisioned_concurrency"),
        instance_profile_arn=entity.get("instance_profile_arn"),
    )
    return _named(value, entity.get("name"), "name")


def _feature_spec(entity: Mapping[str, Any], path: str, ctx: Context) -> Any:
    value = FeatureSpec(
        entity["entity_name"],
        workload_size=entity.get("workload_size") or _default(FeatureSpec, "workload_size"),
        workload_type=entity.get("workload_type"),
        scale_to_zero=True if entity.get("scale_to_zero_enabled") else None,
        environment_vars=_environment(entity, path, ctx),
        instance_profile_arn=entity.get("instance_profile_arn"),
    )
    return _named(value, entity.get("name"), "name")


def _is_feature_spec(entity: Mapping[str, Any]) -> bool:
    # SDK ServedEntityInput.entity_version: empty for a FEATURE_SPEC; every model version has a number.
    return bool(entity.get("entity_name")) and not entity.get("entity_version")


def _environment(entity: Mapping[str, Any], path: str, ctx: Context) -> dict[str, Any]:
    """Environment variables: references stay references; secret-looking values become placeholders."""
    variables: dict[str, Any] = {}
    for name, raw in sorted((entity.get("environment_vars") or {}).items()):
        where = f"{path}.environment_vars[{name}]"
        if parse_reference(raw) is not None:
            variables[name] = secret_value(raw, where, name, ctx)
        elif find_tokens(str(raw)):
            # Our line, not the service's: a value shaped like a credential never goes into source code.
            variables[name] = ctx.placeholder(
                where, name, f"its live value is shaped like a {find_tokens(str(raw))[0]}, not a secret reference"
            )
        elif looks_like_secret_name(name):
            # The name says it holds a secret (policy SS5's test): its value stays out of the file too.
            variables[name] = ctx.placeholder(
                where, name, "its name says it holds a secret, and its live value is not a secret reference"
            )
        else:
            variables[name] = str(raw)
    return variables


def _provider_value(external: Mapping[str, Any], path: str, ctx: Context) -> Any:
    provider: str = external["provider"]  # `served_entity` leaves out a provider not in PROVIDERS
    cls, fields = PROVIDERS[provider]
    block = cls.config_field
    settings = dict(external.get(block) or {})
    where = f"{path}.external_model.{block}"
    if provider == "custom":
        return _custom_provider(settings, where, ctx)
    kwargs: dict[str, Any] = {}
    secret_args = _secret_arguments(cls)
    for api_field, argument in fields.items():
        if argument in secret_args:
            live = settings.get(api_field)
            if live is None and f"{api_field}_plaintext" in settings:
                kwargs[argument] = ctx.placeholder(f"{where}.{api_field}", api_field)
            else:
                kwargs[argument] = secret_value(live, f"{where}.{api_field}", api_field, ctx)
            ctx.explained.add(f"{where}.{api_field}_plaintext")
        elif settings.get(api_field) is not None:
            kwargs[argument] = settings[api_field]
    # A key given in plaintext is never shown: put a placeholder where the provider needs a key.
    needed = _needed_key(provider, kwargs)
    if needed is not None and kwargs.get(needed) is None:
        api_field = next(f for f, a in fields.items() if a == needed)
        kwargs[needed] = ctx.placeholder(f"{where}.{api_field}", api_field)
    return cls(**kwargs)


def _custom_provider(settings: Mapping[str, Any], where: str, ctx: Context) -> Any:
    kwargs: dict[str, Any] = {"url": settings.get("custom_provider_url")}
    api_key_auth = settings.get("api_key_auth")
    if api_key_auth is not None:
        kwargs["api_key_header"] = api_key_auth.get("key")
        kwargs["api_key"] = secret_value(
            api_key_auth.get("value"), f"{where}.api_key_auth.value", "api-key", ctx
        ) or ctx.placeholder(f"{where}.api_key_auth.value", "api-key")
        ctx.explained.add(f"{where}.api_key_auth.value_plaintext")
    bearer = settings.get("bearer_token_auth")
    if bearer is not None:
        kwargs["bearer_token"] = secret_value(
            bearer.get("token"), f"{where}.bearer_token_auth.token", "token", ctx
        ) or ctx.placeholder(f"{where}.bearer_token_auth.token", "token")
        ctx.explained.add(f"{where}.bearer_token_auth.token_plaintext")
    return CustomProvider(**kwargs)


def _secret_arguments(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if "SecretValue" in str(f.type)}


def _needed_key(provider: str, kwargs: Mapping[str, Any]) -> str | None:
    """The key argument a provider cannot work without, given the other settings (None: no single one)."""
    if provider == "openai":
        return "entra_client_secret" if kwargs.get("entra_client_id") else "api_key"
    if provider == "amazon-bedrock":
        return None if kwargs.get("instance_profile_arn") else "secret_access_key"
    secrets = sorted(a for a in _secret_arguments(PROVIDERS[provider][0]))
    return secrets[0] if len(secrets) == 1 else None


def _external(entity: Mapping[str, Any], path: str, ctx: Context) -> Any:
    external = entity["external_model"]
    value = ExternalModel(
        external["name"], _provider_value(external, path, ctx), task=external.get("task") or "llm/v1/chat"
    )
    return _named(value, entity.get("name"), "name")


def _is_foundation(entity: Mapping[str, Any]) -> bool:
    return str(entity.get("entity_name") or "").startswith(FOUNDATION_MODEL_PREFIX)


# (what, test, build): the first row whose test passes builds the value.
ENTITY_SHAPES: list[
    tuple[str, Callable[[Mapping[str, Any]], bool], Callable[[Mapping[str, Any], str, Context], Any]]
] = [
    ("external model", lambda e: bool(e.get("external_model")), _external),
    ("provisioned throughput", lambda e: any(e.get(k) is not None for k in _THROUGHPUT), _provisioned),
    ("foundation model", _is_foundation, _foundation),
    ("feature spec", _is_feature_spec, _feature_spec),
    ("custom model", lambda e: bool(e.get("entity_name")), _custom),
]

# API provider name -> (class, API config field -> constructor argument).
PROVIDERS: dict[str, tuple[type[ExternalProvider], dict[str, str]]] = {
    "openai": (
        OpenAI,
        {
            "openai_api_key": "api_key",
            "openai_api_base": "api_base",
            "openai_api_type": "api_type",
            "openai_api_version": "api_version",
            "openai_deployment_name": "deployment_name",
            "openai_organization": "organization",
            "microsoft_entra_client_id": "entra_client_id",
            "microsoft_entra_tenant_id": "entra_tenant_id",
            "microsoft_entra_client_secret": "entra_client_secret",
        },
    ),
    "anthropic": (Anthropic, {"anthropic_api_key": "api_key"}),
    "cohere": (Cohere, {"cohere_api_key": "api_key", "cohere_api_base": "api_base"}),
    "amazon-bedrock": (
        AmazonBedrock,
        {
            "aws_region": "region",
            "bedrock_provider": "bedrock_provider",
            "aws_access_key_id": "access_key_id",
            "aws_secret_access_key": "secret_access_key",
            "instance_profile_arn": "instance_profile_arn",
        },
    ),
    "google-cloud-vertex-ai": (
        GoogleVertexAI,
        {"project_id": "project_id", "region": "region", "private_key": "private_key"},
    ),
    "databricks-model-serving": (
        DatabricksModelServing,
        {"databricks_workspace_url": "workspace_url", "databricks_api_token": "api_token"},
    ),
    "ai21labs": (AI21Labs, {"ai21labs_api_key": "api_key"}),
    "palm": (PaLM, {"palm_api_key": "api_key"}),
    "custom": (CustomProvider, {}),
}


def served_entity(entity: Mapping[str, Any], path: str, ctx: Context) -> Any | None:
    """The typed value for one live served entity, or None (with a note) when no shape fits."""
    external = entity.get("external_model") or {}
    if external and external.get("provider") not in PROVIDERS:
        ctx.notes.append(
            Note(
                f"{path}: external model provider {external.get('provider')!r} has no class here; "
                "the entity is left out"
            )
        )
        ctx.explained.add(path)
        return None
    for _what, test, build in ENTITY_SHAPES:
        if test(entity):
            return _minimal(_same_named_fields(build(entity, path, ctx), entity))
    ctx.notes.append(Note(f"{path}: an entity of no known kind (fields {', '.join(sorted(entity))}); left out"))
    ctx.explained.add(path)
    return None


def _minimal(value: Any) -> Any:
    """Each field back at its default where that changes neither the API request nor the task: the code
    then says `CustomModel("ml.a.b", 1)`, not `workload_size="Small"` that the class sends anyway."""
    effect = (value.to_api(), value.declared_task())
    for f in dataclasses.fields(value):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            continue
        if getattr(value, f.name) == default:
            continue
        candidate = dataclasses.replace(value, **{f.name: default})
        if (candidate.to_api(), candidate.declared_task()) == effect:
            value = candidate
    return value


def _same_named_fields(value: Any, entity: Mapping[str, Any]) -> Any:
    """Live settings the shape did not map but the class has a field of the same name for (a newer
    provider field such as `burst_scaling_enabled`, once a class declares it): carried over as they are."""
    sent = value.to_api()
    fields = {f.name for f in dataclasses.fields(value) if f.init}
    extra = {
        k: v
        for k, v in entity.items()
        if k in fields and sent.get(k) is None and isinstance(v, (str, int, float, bool)) and v != getattr(value, k)
    }
    return dataclasses.replace(value, **extra) if extra else value


# -- AI gateway ----------------------------------------------------------------------------------------


def _rate_limit(limit: Mapping[str, Any]) -> RateLimit:
    return RateLimit(
        calls=limit.get("calls"),
        tokens=limit.get("tokens"),
        key=limit.get("key") or "endpoint",
        principal=limit.get("principal"),
        renewal_period=limit.get("renewal_period") or "minute",
    )


def _guardrail(params: Mapping[str, Any] | None) -> Guardrail | None:
    if params is None:
        return None
    return Guardrail(
        safety=params.get("safety"),
        invalid_keywords=tuple(params.get("invalid_keywords") or ()),
        valid_topics=tuple(params.get("valid_topics") or ()),
        pii=(params.get("pii") or {}).get("behavior"),
    )


def ai_gateway(gateway: Mapping[str, Any] | None, ctx: Context) -> AiGateway | None:
    if not gateway:
        return None
    table = gateway.get("inference_table_config")
    inference_table = None
    if table is not None:
        if table.get("catalog_name") and table.get("schema_name"):
            inference_table = InferenceTable(
                table["catalog_name"],
                table["schema_name"],
                table_prefix=table.get("table_name_prefix"),
                enabled=table.get("enabled", True) is not False,
            )
        elif table.get("enabled"):
            ctx.notes.append(
                Note(
                    "ai_gateway.inference_table_config: enabled without a catalog and schema; "
                    "InferenceTable needs both, so it is left out"
                )
            )
            ctx.explained.add("ai_gateway.inference_table_config")
    guardrails = gateway.get("guardrails") or {}
    usage = gateway.get("usage_tracking_config")
    fallback = gateway.get("fallback_config")
    return AiGateway(
        rate_limits=tuple(_rate_limit(r) for r in gateway.get("rate_limits") or ()),
        usage_tracking=usage.get("enabled") if usage is not None else None,
        inference_table=inference_table,
        input_guardrail=_guardrail(guardrails.get("input")),
        output_guardrail=_guardrail(guardrails.get("output")),
        fallback=fallback.get("enabled") if fallback is not None else None,
    )
