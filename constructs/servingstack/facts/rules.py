"""The rules the serving service applies to an endpoint, checked before Terraform runs.

Everything here works on API-shaped dicts: the body `databricks-sdk` sends to
`POST /api/2.0/serving-endpoints` (`name`, `config.served_entities[]`,
`config.traffic_config.routes[]`, `ai_gateway`, `tags`, ...). The constructs build
that shape from their typed props, the emulator parses it from requests, so both
enforce one set of rules: the service's, each with a comment naming its source.
Every function returns all problems it finds, never stops at the first. Messages
never quote a value that might be a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from servingstack.errors import Problem
from servingstack.facts import gateway as gateway_facts
from servingstack.facts import newer_fields
from servingstack.facts.secrets import is_secret_reference

# Sources named in the comments below:
#   REST   = REST API reference, POST /api/2.0/serving-endpoints (docs.databricks.com/api/workspace/servingendpoints)
#   SDK    = databricks-sdk-py, databricks/sdk/service/serving.py (dataclass docstrings and enums)
#   TF     = terraform-provider-databricks docs/resources/model_serving.md; TF-GO = its generated schema
#            (the cdktf bindings' required struct fields, provider 1.99)
#   LIMITS = product docs, "Model Serving limits and regions"
# Nothing here is an opinion: preferences (secret-looking names, cost, security) are policy rules.

# REST: endpoint `name` is 1..63 characters of letters, digits, '-' and '_'.
MAX_ENDPOINT_NAME_LENGTH = 63
# The sources disagree: SDK ServingEndpointsAPI docstring "A serving endpoint can have at most ten served
# entities" (TF docs: "up to 10"); users report the service takes 15 and refuses more, confirmed by their account
# team (databricks-sdk-py issue #1496; terraform-provider-databricks PR #5898 "from errors we have seen in
# production, the limit is actually 15"). The service may accept 15: so do we.
MAX_SERVED_ENTITIES = 15
# Product docs "Create custom model serving endpoints" (docs.databricks.com/aws/en/machine-learning/model-serving/
# create-manage-serving-endpoints): "Endpoint names cannot use the `databricks-` prefix. This prefix is reserved
# for Databricks preconfigured endpoints."
RESERVED_NAME_PREFIX = "databricks-"
# Product docs (Foundation Model APIs, pay-per-token): the models are Unity Catalog models in `system.ai`,
# available to all users.
FOUNDATION_MODEL_PREFIX = "system.ai."
# LIMITS: "Endpoints | Per workspace | 1000", in a section whose limits "apply to custom model and AI agent
# endpoints only" (the emulator enforces it on those; older editions of the page have no such row).
MAX_ENDPOINTS_PER_WORKSPACE = 1000

# REST / SDK ServedEntityInput.name: "alphanumeric characters, dashes, and underscores".
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")

# SDK ServedEntityInput.workload_size: Small, Medium, Large, "additional custom workload sizes can also
# be used when available in the workspace": any non-empty string may be valid.
WORKLOAD_SIZES = ("Small", "Medium", "Large")
# SDK enum ServingModelWorkloadType. Not a closed set: the product docs' GPU workload types table
# differs per cloud (e.g. GPU_MEDIUM_8 on AWS), so other enum-shaped names are accepted; policy may warn.
WORKLOAD_TYPES = (
    "CPU",
    "CPU_MEDIUM",
    "CPU_LARGE",
    "GPU_SMALL",
    "GPU_MEDIUM",
    "GPU_LARGE",
    "GPU_XLARGE",
    "GPU_XLARGE_8",
    "MULTIGPU_MEDIUM",
)
# The shape of an enum value (SDK ServingModelWorkloadType members): upper-case letters, digits, '_'.
WORKLOAD_TYPE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Product docs (external models: supported tasks; agent serving: agent tasks); SDK ServingEndpoint.task.
TASKS = (
    "llm/v1/chat",
    "llm/v1/completions",
    "llm/v1/embeddings",
    "agent/v1/chat",
    "agent/v2/chat",
    "agent/v1/responses",
)
# SDK enum AiGatewayRateLimitKey.
RATE_LIMIT_KEYS = ("endpoint", "user", "user_group", "service_principal")
# Product docs (configure AI Gateway, rate limits): "User (Default)" is a limit for every user (key `user`
# without a principal); custom limits are for an individual user or service principal, or a user group.
RATE_LIMIT_KEYS_NEEDING_PRINCIPAL = ("user_group", "service_principal")
# SDK enum AiGatewayRateLimitRenewalPeriod ("Currently, only 'minute' is supported").
RATE_LIMIT_RENEWAL_PERIODS = ("minute",)
# SDK enum AiGatewayGuardrailPiiBehaviorBehavior.
PII_BEHAVIORS = ("BLOCK", "MASK", "NONE")
# SDK enum TelemetryFeature (TelemetryConfig.enabled_telemetry_features).
TELEMETRY_FEATURES = (
    "TELEMETRY_FEATURE_INFERENCE_TABLE",
    "TELEMETRY_FEATURE_LOGS",
    "TELEMETRY_FEATURE_METRICS",
    "TELEMETRY_FEATURE_TRACES",
)
# SDK enum AmazonBedrockConfigBedrockProvider; TF: "Supported values (case insensitive)".
BEDROCK_PROVIDERS = ("anthropic", "cohere", "ai21labs", "amazon")
# SDK OpenAiConfig.openai_api_type: `azure` (access token) or `azuread` (Microsoft Entra ID).
AZURE_API_TYPES = ("azure", "azuread")

# SDK enum ExternalModelProvider -> (its config block, the secret fields in that block).
# Every secret field has a `<field>_plaintext` twin (SDK, TF) that stores the value in Terraform state.
PROVIDERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "openai": ("openai_config", ("openai_api_key", "microsoft_entra_client_secret")),
    "anthropic": ("anthropic_config", ("anthropic_api_key",)),
    "cohere": ("cohere_config", ("cohere_api_key",)),
    "amazon-bedrock": ("amazon_bedrock_config", ("aws_access_key_id", "aws_secret_access_key")),
    "google-cloud-vertex-ai": ("google_cloud_vertex_ai_config", ("private_key",)),
    "databricks-model-serving": ("databricks_model_serving_config", ("databricks_api_token",)),
    "ai21labs": ("ai21labs_config", ("ai21labs_api_key",)),
    "palm": ("palm_config", ("palm_api_key",)),
    "custom": ("custom_provider_config", ()),
}
# SDK *Config docstrings: "You must provide an API key using one of the following fields: <key> or
# <key>_plaintext" (Anthropic, Cohere, Vertex private_key, Databricks api token, AI21 Labs, PaLM).
SINGLE_KEY_PROVIDERS = ("anthropic", "cohere", "google-cloud-vertex-ai", "databricks-model-serving", "ai21labs", "palm")
# Required plain fields per provider: SDK dataclass fields without a default, and TF-GO's required
# struct fields (GoogleCloudVertexAiConfig project_id + region, DatabricksModelServingConfig
# databricks_workspace_url, AmazonBedrockConfig aws_region + bedrock_provider, CustomProviderConfig
# custom_provider_url).
REQUIRED_PROVIDER_FIELDS: dict[str, tuple[str, ...]] = {
    "google-cloud-vertex-ai": ("project_id", "region"),
    "databricks-model-serving": ("databricks_workspace_url",),
    "amazon-bedrock": ("aws_region", "bedrock_provider"),
    "custom": ("custom_provider_url",),
}
# SDK ServedEntityInput.external_model: "Only one of external_model and (entity_name, entity_version,
# workload_size, workload_type, and scale_to_zero_enabled) can be specified".
EXTERNAL_MODEL_EXCLUDES = ("entity_name", "entity_version", "workload_size", "workload_type", "scale_to_zero_enabled")


def counts_toward_endpoint_limit(entities: Iterable[Mapping[str, Any]]) -> bool:
    """LIMITS: the per-workspace endpoint limit counts custom model and agent endpoints only: those that
    serve a model of their own (not an external model, not a `system.ai` foundation model)."""
    return any(
        not e.get("external_model")
        and e.get("entity_name")
        and not str(e["entity_name"]).startswith(FOUNDATION_MODEL_PREFIX)
        for e in entities
    )


def validate_endpoint(request: Mapping[str, Any]) -> list[Problem]:
    """All problems of a create request (`name`, `config`, `ai_gateway`, `tags`)."""
    problems = list(validate_endpoint_name(request.get("name")))
    config = request.get("config")
    # TF: `config` "is optional and can be added and modified after creation".
    if config is not None:
        problems += validate_config(config)
    if request.get("ai_gateway") is not None:
        problems += validate_ai_gateway(request["ai_gateway"])
    problems += validate_tags(request.get("tags") or [])
    problems += validate_telemetry(request.get("telemetry_config"))
    problems += newer_fields.validate(request)
    return problems


def validate_telemetry(telemetry: Any) -> list[Problem]:
    """SDK TelemetryConfig: `enabled_telemetry_features` from the TelemetryFeature enum, and an
    inference table's `sampling_fraction` a fraction (0..1)."""
    if telemetry is None:
        return []
    if not isinstance(telemetry, Mapping):
        return [Problem("telemetry_config", "must be an object")]
    problems = []
    for index, feature in enumerate(telemetry.get("enabled_telemetry_features") or []):
        if feature not in TELEMETRY_FEATURES:
            problems.append(
                Problem(
                    f"telemetry_config.enabled_telemetry_features[{index}]",
                    f"{feature!r} is not one of {', '.join(TELEMETRY_FEATURES)}",
                )
            )
    fraction = (telemetry.get("inference_table_config") or {}).get("sampling_fraction")
    if fraction is not None and not (
        isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and 0 <= fraction <= 1
    ):
        problems.append(
            Problem(
                "telemetry_config.inference_table_config.sampling_fraction",
                f"must be a fraction from 0 to 1, got {fraction!r}",
            )
        )
    return problems


def validate_endpoint_name(name: Any) -> list[Problem]:
    # REST: `name` is required, 1..63 characters.
    if not isinstance(name, str) or not name:
        return [Problem("name", "is required")]
    problems = []
    # REST / TF: "An endpoint name can consist of alphanumeric characters, dashes, and underscores."
    if not NAME_PATTERN.match(name):
        problems.append(Problem("name", f"{name!r} may contain only letters, digits, '-' and '_'"))
    # REST: at most 63 characters.
    if len(name) > MAX_ENDPOINT_NAME_LENGTH:
        problems.append(
            Problem("name", f"{name!r} is {len(name)} characters long, at most {MAX_ENDPOINT_NAME_LENGTH} are allowed")
        )
    # Product docs (create custom model serving endpoints): the `databricks-` prefix is reserved.
    if name.startswith(RESERVED_NAME_PREFIX):
        problems.append(
            Problem("name", f"{name!r} must not start with {RESERVED_NAME_PREFIX!r}, which is reserved for Databricks")
        )
    return problems


def default_entity_name(entity: Mapping[str, Any]) -> str | None:
    """The name the service gives an entity that has none (SDK ServedEntityInput.name): the external
    model's name, else `entity_name-entity_version` (without a version for a feature spec), with
    '.' and ':' replaced by '-'."""
    external = entity.get("external_model")
    if external:
        base = external.get("name")
    elif entity.get("entity_name"):
        base = str(entity["entity_name"])
        if entity.get("entity_version"):
            base = f"{base}-{entity['entity_version']}"
    else:
        return None
    return None if base is None else str(base).replace(".", "-").replace(":", "-")


def validate_config(config: Mapping[str, Any]) -> list[Problem]:
    """All problems of an endpoint config (`served_entities`, `traffic_config`)."""
    problems: list[Problem] = []
    entities = list(config.get("served_entities") or [])
    if config.get("served_models"):
        # TF: the deprecated `served_models` still works; treat its entries like entities.
        entities += [_served_model_as_entity(m) for m in config["served_models"]]
    # SDK EndpointCoreConfigInput: a config serves at least one entity.
    if not entities:
        problems.append(Problem("config.served_entities", "at least one served entity is required"))
    # SDK EndpointCoreConfigInput.served_entities (15, as corrected by the maintainers).
    if len(entities) > MAX_SERVED_ENTITIES:
        problems.append(
            Problem(
                "config.served_entities", f"{len(entities)} served entities, at most {MAX_SERVED_ENTITIES} are allowed"
            )
        )
    names: list[str] = []
    for index, entity in enumerate(entities):
        where = f"config.served_entities[{index}]"
        if not isinstance(entity, Mapping):
            problems.append(Problem(where, "must be an object"))
            continue
        problems += validate_served_entity(entity, where)
        name = entity.get("name") or default_entity_name(entity)
        if name:
            # SDK ServedEntityInput.name: "It must be unique across an endpoint."
            if name in names:
                problems.append(Problem(f"{where}.name", f"{name!r} is used by more than one served entity"))
            names.append(name)
    # SDK ServedEntityInput.external_model: "The task type of all external models within an endpoint
    # must be the same."
    tasks = {
        e["external_model"].get("task")
        for e in entities
        if isinstance(e, Mapping) and isinstance(e.get("external_model"), Mapping)
    }
    if len(tasks) > 1:
        problems.append(
            Problem(
                "config.served_entities",
                f"external models of one endpoint must share one task, found {sorted(map(str, tasks))}",
            )
        )
    problems += validate_traffic(config.get("traffic_config"), names)
    return problems


def _served_model_as_entity(model: Mapping[str, Any]) -> dict[str, Any]:
    entity = {k: v for k, v in model.items() if k not in ("model_name", "model_version")}
    entity["entity_name"] = model.get("model_name")
    entity["entity_version"] = model.get("model_version")
    return entity


def validate_served_entity(entity: Mapping[str, Any], where: str) -> list[Problem]:
    problems: list[Problem] = []
    name = entity.get("name")
    # SDK ServedEntityInput.name: "alphanumeric characters, dashes, and underscores".
    if name is not None and not (isinstance(name, str) and NAME_PATTERN.match(name)):
        problems.append(Problem(f"{where}.name", f"{name!r} may contain only letters, digits, '-' and '_'"))
    external = entity.get("external_model")
    if external is not None:
        # SDK ServedEntityInput.external_model: excludes the custom-model fields.
        for field in EXTERNAL_MODEL_EXCLUDES:
            if entity.get(field) is not None:
                problems.append(Problem(f"{where}.{field}", "cannot be set on an external model"))
        if not isinstance(external, Mapping):
            return problems + [Problem(f"{where}.external_model", "must be an object")]
        problems += validate_external_model(external, f"{where}.external_model")
    elif not entity.get("entity_name"):
        # SDK ServedEntityInput: an entity serves `entity_name` (registry model, UC model or
        # FEATURE_SPEC) unless it is an external model.
        problems.append(Problem(f"{where}.entity_name", "is required unless the entity is an external model"))

    size, concurrency = (
        entity.get("workload_size"),
        (entity.get("min_provisioned_concurrency"), entity.get("max_provisioned_concurrency")),
    )
    # SDK ServedEntityInput.workload_size: Small, Medium, Large or a custom size of the workspace.
    if size is not None and not (isinstance(size, str) and size.strip()):
        problems.append(
            Problem(
                f"{where}.workload_size",
                f"{size!r} is not a workload size: use one of {', '.join(WORKLOAD_SIZES)} "
                "or a custom size of the workspace",
            )
        )
    # SDK ServedEntityInput.workload_size: "Do not use if min_provisioned_concurrency and
    # max_provisioned_concurrency are specified."
    if size is not None and any(c is not None for c in concurrency):
        problems.append(
            Problem(f"{where}.workload_size", "cannot be set together with min/max_provisioned_concurrency")
        )
    # SDK ServedEntityInput.min/max_provisioned_concurrency: a lower and an upper bound.
    problems += _check_range(where, "provisioned_concurrency", *concurrency)
    wtype = entity.get("workload_type")
    # SDK enum ServingModelWorkloadType (its shape); the set itself differs per cloud (product docs).
    if wtype is not None and not (isinstance(wtype, str) and WORKLOAD_TYPE_PATTERN.match(wtype)):
        problems.append(
            Problem(f"{where}.workload_type", f"{wtype!r} is not a workload type such as {', '.join(WORKLOAD_TYPES)}")
        )

    # SDK ServedEntityInput.min/max_provisioned_throughput: tokens per second, a lower and upper bound.
    throughput = (entity.get("min_provisioned_throughput"), entity.get("max_provisioned_throughput"))
    problems += _check_range(where, "provisioned_throughput", *throughput)
    units = entity.get("provisioned_model_units")
    # SDK PtServedModel.provisioned_model_units: "Dedicated inference requires positive fixed capacity".
    if units is not None and not (_is_int(units) and units > 0):
        problems.append(Problem(f"{where}.provisioned_model_units", f"must be a whole number above 0, got {units!r}"))

    env = entity.get("environment_vars")
    # SDK ServedEntityInput.environment_vars: Dict[str, str].
    if env is not None and not isinstance(env, Mapping):
        problems.append(Problem(f"{where}.environment_vars", "must be an object of string values"))
    for key, value in (env or {}).items() if isinstance(env, Mapping) else ():
        if not isinstance(value, str):
            problems.append(Problem(f"{where}.environment_vars[{key}]", "must be a string"))
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_range(where: str, what: str, low: Any, high: Any) -> list[Problem]:
    problems = []
    for bound, value in (("min", low), ("max", high)):
        if value is not None and not (_is_int(value) and value >= 0):
            problems.append(Problem(f"{where}.{bound}_{what}", f"must be a whole number of at least 0, got {value!r}"))
    if _is_int(low) and _is_int(high) and low > high:
        problems.append(Problem(f"{where}.min_{what}", f"{low} is above max_{what} {high}"))
    return problems


def validate_external_model(external: Mapping[str, Any], where: str) -> list[Problem]:
    problems: list[Problem] = []
    provider = external.get("provider")
    # SDK ExternalModel: provider, name and task have no default; TF-GO requires all three.
    for field in ("name", "provider", "task"):
        if not external.get(field):
            problems.append(Problem(f"{where}.{field}", "is required"))
    task = external.get("task")
    if task and task not in TASKS:
        problems.append(Problem(f"{where}.task", f"{task!r} is not one of {', '.join(TASKS)}"))
    present = [block for block, _ in PROVIDERS.values() if external.get(block) is not None]
    # SDK enum ExternalModelProvider.
    if provider and provider not in PROVIDERS:
        problems.append(Problem(f"{where}.provider", f"{provider!r} is not one of {', '.join(PROVIDERS)}"))
        return problems
    if not provider:
        return problems
    block, secret_fields = PROVIDERS[provider]
    # TF: "The config for the external model, which must match the provider."
    if present != [block]:
        others = [b for b in present if b != block]
        if others:
            problems.append(Problem(f"{where}.{others[0]}", f"does not match provider {provider!r}: set only {block}"))
        if block not in present:
            problems.append(Problem(f"{where}.{block}", f"is required for provider {provider!r}"))
            return problems
    settings = external[block]
    if not isinstance(settings, Mapping):
        return problems + [Problem(f"{where}.{block}", "must be an object")]
    here = f"{where}.{block}"
    problems += _validate_secret_fields(settings, here, secret_fields)
    for field in REQUIRED_PROVIDER_FIELDS.get(provider, ()):
        if not settings.get(field):
            problems.append(Problem(f"{here}.{field}", f"is required for provider {provider!r}"))
    if provider in SINGLE_KEY_PROVIDERS and not _has_key(settings, secret_fields[0]):
        problems.append(Problem(f"{here}.{secret_fields[0]}", "is required (a secret reference)"))
    if provider == "openai":
        problems += _validate_openai(settings, here)
    if provider == "amazon-bedrock":
        problems += _validate_bedrock(settings, here)
    if provider == "custom":
        problems += _validate_custom_provider(settings, here)
    return problems


def _has_key(settings: Mapping[str, Any], field: str) -> bool:
    return bool(settings.get(field) or settings.get(f"{field}_plaintext"))


def _validate_secret_fields(settings: Mapping[str, Any], where: str, fields: Iterable[str]) -> list[Problem]:
    problems = []
    for field in fields:
        reference, plaintext = settings.get(field), settings.get(f"{field}_plaintext")
        # SDK *Config docstrings: `<field>` is "the Databricks secret key reference".
        # A Terraform expression (`${var.key}`, a cdktf token) is resolved at apply time.
        if reference is not None and not is_secret_reference(reference) and "${" not in str(reference):
            problems.append(
                Problem(f"{where}.{field}", "must be a secret reference {{secrets/<scope>/<key>}}, not a literal value")
            )
        # SDK *Config docstrings: "provide ... using one of the following fields: <field> or <field>_plaintext".
        if reference is not None and plaintext is not None:
            problems.append(Problem(f"{where}.{field}", f"set either {field} or {field}_plaintext, not both"))
    return problems


def _validate_openai(settings: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    api_type = settings.get("openai_api_type")
    entra = api_type == "azuread"
    # SDK OpenAiConfig.openai_api_key / microsoft_entra_client_secret: one of them authenticates.
    if not (_has_key(settings, "openai_api_key") or _has_key(settings, "microsoft_entra_client_secret")):
        field = "microsoft_entra_client_secret" if entra else "openai_api_key"
        problems.append(
            Problem(
                f"{where}.{field}",
                "is required (a secret reference)"
                if entra
                else "is required unless Microsoft Entra ID credentials are set",
            )
        )
    # SDK OpenAiConfig / TF: for Azure OpenAI, openai_api_base, openai_api_version and
    # openai_deployment_name are required.
    if api_type in AZURE_API_TYPES:
        for field in ("openai_api_base", "openai_api_version", "openai_deployment_name"):
            if not settings.get(field):
                problems.append(
                    Problem(f"{where}.{field}", f"is required for Azure OpenAI (openai_api_type={api_type!r})")
                )
    # SDK OpenAiConfig.microsoft_entra_client_id / _tenant_id: "required for Azure AD OpenAI".
    if entra:
        for field in ("microsoft_entra_client_id", "microsoft_entra_tenant_id"):
            if not settings.get(field):
                problems.append(
                    Problem(f"{where}.{field}", "is required for Microsoft Entra ID (openai_api_type='azuread')")
                )
    return problems


def _validate_bedrock(settings: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    bedrock = settings.get("bedrock_provider")
    # SDK enum AmazonBedrockConfigBedrockProvider; TF: case insensitive.
    if bedrock and str(bedrock).lower() not in BEDROCK_PROVIDERS:
        problems.append(
            Problem(f"{where}.bedrock_provider", f"{bedrock!r} is not one of {', '.join(BEDROCK_PROVIDERS)}")
        )
    # TF amazon_bedrock_config.instance_profile_arn: "You must authenticate using an instance profile or
    # access keys" (newer providers add a Unity Catalog service credential).
    has_keys = _has_key(settings, "aws_access_key_id") and _has_key(settings, "aws_secret_access_key")
    if not (has_keys or settings.get("instance_profile_arn") or settings.get("uc_service_credential_name")):
        problems.append(
            Problem(
                where,
                "needs aws_access_key_id and aws_secret_access_key, instance_profile_arn or uc_service_credential_name",
            )
        )
    return problems


def _validate_custom_provider(settings: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    api_key, bearer = settings.get("api_key_auth"), settings.get("bearer_token_auth")
    # SDK CustomProviderConfig: "You can only specify one authentication method."
    if api_key is not None and bearer is not None:
        problems.append(Problem(where, "set only one of api_key_auth or bearer_token_auth"))
    if api_key is not None:
        # SDK ApiKeyAuth.key / TF-GO: required.
        if not api_key.get("key"):
            problems.append(Problem(f"{where}.api_key_auth.key", "is required"))
        problems += _validate_secret_fields(api_key, f"{where}.api_key_auth", ("value",))
    if bearer is not None:
        problems += _validate_secret_fields(bearer, f"{where}.bearer_token_auth", ("token",))
    return problems


def validate_traffic(traffic: Mapping[str, Any] | None, entity_names: list[str]) -> list[Problem]:
    """Routes are whole percentages 0..100 to existing entities, one per entity, that sum to 100."""
    routes = list((traffic or {}).get("routes") or [])
    if not routes:
        # SDK EndpointCoreConfigInput.traffic_config is optional; the service then splits by itself.
        return []
    problems: list[Problem] = []
    seen: list[str] = []
    total = 0
    for index, route in enumerate(routes):
        where = f"config.traffic_config.routes[{index}]"
        # TF: `served_model_name` (also `served_entity_name`) "needs to match the name of a served_entity".
        target = route.get("served_model_name") or route.get("served_entity_name")
        percent = route.get("traffic_percentage")
        if not target:
            problems.append(Problem(f"{where}.served_model_name", "is required"))
        elif target not in entity_names:
            problems.append(
                Problem(
                    f"{where}.served_model_name",
                    f"{target!r} is not a served entity of this endpoint "
                    f"(entities: {', '.join(entity_names) or 'none'})",
                )
            )
        elif target in seen:
            problems.append(Problem(f"{where}.served_model_name", f"{target!r} has more than one route"))
        if target:
            seen.append(target)
        # TF traffic_percentage: "an integer between 0 and 100 inclusive".
        if not (_is_int(percent) and 0 <= percent <= 100):
            problems.append(
                Problem(f"{where}.traffic_percentage", f"must be a whole number from 0 to 100, got {percent!r}")
            )
        else:
            total += percent
    if problems:
        return problems
    # Product docs (serve multiple models, traffic split): the percentages add up to 100.
    if total != 100:
        problems.append(Problem("config.traffic_config", f"traffic routes sum to {total}, must be 100"))
    # TF traffic_config.routes: "Each served_entity block needs to have a corresponding routes block."
    missing = [name for name in entity_names if name not in seen]
    if missing:
        problems.append(
            Problem("config.traffic_config.routes", f"every served entity needs a route; none for {', '.join(missing)}")
        )
    return problems


def validate_ai_gateway(gateway: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = gateway_facts.validate_fallback(gateway)
    for index, limit in enumerate(gateway.get("rate_limits") or []):
        problems += validate_rate_limit(limit, f"ai_gateway.rate_limits[{index}]")
    table = gateway.get("inference_table_config")
    # SDK AiGatewayInferenceTableConfig.catalog_name/schema_name: "Required when enabling inference tables."
    if table and table.get("enabled"):
        for field in ("catalog_name", "schema_name"):
            if not table.get(field):
                problems.append(
                    Problem(
                        f"ai_gateway.inference_table_config.{field}", "is required when the inference table is enabled"
                    )
                )
    for direction in ("input", "output"):
        params = (gateway.get("guardrails") or {}).get(direction)
        if not params:
            continue
        where = f"ai_gateway.guardrails.{direction}"
        behavior = (params.get("pii") or {}).get("behavior")
        # SDK enum AiGatewayGuardrailPiiBehaviorBehavior.
        if behavior is not None and behavior not in PII_BEHAVIORS:
            problems.append(Problem(f"{where}.pii.behavior", f"{behavior!r} is not one of {', '.join(PII_BEHAVIORS)}"))
        # SDK AiGatewayGuardrailParameters.invalid_keywords / valid_topics: List[str].
        for field in ("invalid_keywords", "valid_topics"):
            values = params.get(field)
            if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
                problems.append(Problem(f"{where}.{field}", "must be a list of strings"))
    return problems


def validate_rate_limit(limit: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    period = limit.get("renewal_period")
    # SDK AiGatewayRateLimit.renewal_period: required, "only 'minute' is supported".
    if period not in RATE_LIMIT_RENEWAL_PERIODS:
        problems.append(Problem(f"{where}.renewal_period", f"{period!r} is not supported: use 'minute'"))
    # SDK AiGatewayRateLimit.key: enum AiGatewayRateLimitKey, "'endpoint' being the default".
    key = limit.get("key") or "endpoint"
    if key not in RATE_LIMIT_KEYS:
        problems.append(Problem(f"{where}.key", f"{key!r} is not one of {', '.join(RATE_LIMIT_KEYS)}"))
    # SDK AiGatewayRateLimit.principal: the "user group, or service principal to apply rate limiting to";
    # product docs (configure AI Gateway, rate limits): custom limits are set "for" a user group or a service
    # principal (only `user` has a default limit for every user). So a group or service principal limit names one.
    elif key in RATE_LIMIT_KEYS_NEEDING_PRINCIPAL and not limit.get("principal"):
        problems.append(Problem(f"{where}.principal", f"is required when the key is {key!r}"))
    # SDK AiGatewayRateLimit.calls / tokens: how many are allowed per renewal period.
    for field in ("calls", "tokens"):
        value = limit.get(field)
        if value is not None and not (_is_int(value) and value >= 0):
            problems.append(Problem(f"{where}.{field}", f"must be a whole number of at least 0, got {value!r}"))
    return problems


def validate_tags(tags: Iterable[Mapping[str, Any]]) -> list[Problem]:
    problems = []
    for index, tag in enumerate(tags):
        key = tag.get("key") if isinstance(tag, Mapping) else None
        # SDK EndpointTag.key has no default; TF-GO ModelServingTags requires `key`.
        if not isinstance(key, str) or not key.strip():
            problems.append(Problem(f"tags[{index}].key", "must be a non-empty string"))
        value = tag.get("value") if isinstance(tag, Mapping) else None
        # SDK EndpointTag.value: Optional[str].
        if value is not None and not isinstance(value, str):
            problems.append(Problem(f"tags[{index}].value", "must be a string"))
    return problems
