"""The rules the serving service applies to an endpoint, checked before Terraform runs.

Everything here works on API-shaped dicts: the body `databricks-sdk` sends to
`POST /api/2.0/serving-endpoints` (`name`, `config.served_entities[]`,
`config.traffic_config.routes[]`, `ai_gateway`, `tags`, ...). The constructs build
that shape from their typed props, the emulator parses it from requests, so both
enforce one set of rules. Every function returns all problems it finds, never
stops at the first. Messages never quote a value that might be a secret.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from . import newer_fields
from .errors import Problem

# Unconfirmed by the service's docs; kept in one place so it can change.
MAX_ENDPOINT_NAME_LENGTH = 63
# The SDK docstring says 10; the maintainers corrected it to 15.
MAX_SERVED_ENTITIES = 15
RESERVED_NAME_PREFIX = "databricks-"

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
SECRET_REFERENCE = re.compile(r"^\{\{secrets/[^/{}\s]+/[^/{}\s]+\}\}$")

WORKLOAD_SIZES = ("Small", "Medium", "Large")
WORKLOAD_TYPES = (
    "CPU", "CPU_MEDIUM", "CPU_LARGE", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE",
    "GPU_XLARGE", "GPU_XLARGE_8", "MULTIGPU_MEDIUM",
)
TASKS = (
    "llm/v1/chat", "llm/v1/completions", "llm/v1/embeddings",
    "agent/v1/chat", "agent/v2/chat", "agent/v1/responses",
)
RATE_LIMIT_KEYS = ("endpoint", "user", "user_group", "service_principal")
RATE_LIMIT_RENEWAL_PERIODS = ("minute",)
PII_BEHAVIORS = ("BLOCK", "MASK", "NONE")

# provider -> (its config block, the secret fields in that block).
# Every secret field has a `<field>_plaintext` twin that stores the value in Terraform state.
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
# Providers whose config needs exactly one key: the key field or its plaintext twin.
SINGLE_KEY_PROVIDERS = ("anthropic", "cohere", "google-cloud-vertex-ai",
                        "databricks-model-serving", "ai21labs", "palm")
EXTERNAL_MODEL_EXCLUDES = ("entity_name", "entity_version", "workload_size",
                           "workload_type", "scale_to_zero_enabled")


def is_secret_reference(value: Any) -> bool:
    """True for `{{secrets/<scope>/<key>}}`, the only safe way to name a secret."""
    return isinstance(value, str) and bool(SECRET_REFERENCE.match(value))


def validate_endpoint(request: Mapping[str, Any], *, allow_plaintext_secrets: bool = True) -> list[Problem]:
    """All problems of a create request (`name`, `config`, `ai_gateway`, `tags`)."""
    problems = list(validate_endpoint_name(request.get("name")))
    config = request.get("config")
    if config is None:
        problems.append(Problem("config", "is required: an endpoint serves at least one entity"))
    else:
        problems += validate_config(config, allow_plaintext_secrets=allow_plaintext_secrets)
    if request.get("ai_gateway") is not None:
        problems += validate_ai_gateway(request["ai_gateway"])
    problems += validate_tags(request.get("tags") or [])
    problems += newer_fields.validate(request)
    return problems


def validate_endpoint_name(name: Any) -> list[Problem]:
    if not isinstance(name, str) or not name:
        return [Problem("name", "is required")]
    problems = []
    if not NAME_PATTERN.match(name):
        problems.append(Problem("name", f"{name!r} may contain only letters, digits, '-' and '_'"))
    if len(name) > MAX_ENDPOINT_NAME_LENGTH:
        problems.append(Problem("name", f"{name!r} is {len(name)} characters long, at most "
                                        f"{MAX_ENDPOINT_NAME_LENGTH} are allowed"))
    if name.startswith(RESERVED_NAME_PREFIX):
        problems.append(Problem("name", f"{name!r} must not start with {RESERVED_NAME_PREFIX!r}, "
                                        "which is reserved for Databricks"))
    return problems


def default_entity_name(entity: Mapping[str, Any]) -> str | None:
    """The name the service gives an entity that has none: `entity_name-entity_version` with
    `.` -> `-`, or the external model's name."""
    external = entity.get("external_model")
    if external:
        return external.get("name")
    if entity.get("entity_name"):
        base = str(entity["entity_name"])
        if entity.get("entity_version"):
            base = f"{base}-{entity['entity_version']}"
        return base.replace(".", "-")
    return None


def validate_config(config: Mapping[str, Any], *, allow_plaintext_secrets: bool = True) -> list[Problem]:
    """All problems of an endpoint config (`served_entities`, `traffic_config`)."""
    problems: list[Problem] = []
    entities = list(config.get("served_entities") or [])
    if config.get("served_models"):
        # The legacy field still works; treat its entries like entities.
        entities += [_served_model_as_entity(m) for m in config["served_models"]]
    if not entities:
        problems.append(Problem("config.served_entities", "at least one served entity is required"))
    if len(entities) > MAX_SERVED_ENTITIES:
        problems.append(Problem("config.served_entities",
                                f"{len(entities)} served entities, at most {MAX_SERVED_ENTITIES} are allowed"))
    names: list[str] = []
    for index, entity in enumerate(entities):
        where = f"config.served_entities[{index}]"
        problems += validate_served_entity(entity, where, allow_plaintext_secrets=allow_plaintext_secrets)
        name = entity.get("name") or default_entity_name(entity)
        if name:
            if name in names:
                problems.append(Problem(f"{where}.name", f"{name!r} is used by more than one served entity"))
            names.append(name)
    tasks = {e["external_model"].get("task") for e in entities if e.get("external_model")}
    if len(tasks) > 1:
        problems.append(Problem("config.served_entities",
                                f"external models of one endpoint must share one task, found {sorted(map(str, tasks))}"))
    problems += validate_traffic(config.get("traffic_config"), names)
    return problems


def _served_model_as_entity(model: Mapping[str, Any]) -> dict[str, Any]:
    entity = {k: v for k, v in model.items() if k not in ("model_name", "model_version")}
    entity["entity_name"] = model.get("model_name")
    entity["entity_version"] = model.get("model_version")
    return entity


def validate_served_entity(entity: Mapping[str, Any], where: str, *,
                           allow_plaintext_secrets: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    name = entity.get("name")
    if name is not None and not (isinstance(name, str) and NAME_PATTERN.match(name)):
        problems.append(Problem(f"{where}.name", f"{name!r} may contain only letters, digits, '-' and '_'"))
    external = entity.get("external_model")
    if external is not None:
        for field in EXTERNAL_MODEL_EXCLUDES:
            if entity.get(field) is not None:
                problems.append(Problem(f"{where}.{field}", "cannot be set on an external model"))
        problems += validate_external_model(external, f"{where}.external_model",
                                            allow_plaintext_secrets=allow_plaintext_secrets)
    elif not entity.get("entity_name"):
        problems.append(Problem(f"{where}.entity_name", "is required unless the entity is an external model"))

    size, concurrency = entity.get("workload_size"), (
        entity.get("min_provisioned_concurrency"), entity.get("max_provisioned_concurrency"))
    if size is not None and not (isinstance(size, str) and NAME_PATTERN.match(size)):
        problems.append(Problem(f"{where}.workload_size",
                                f"{size!r} is not a workload size: use one of {', '.join(WORKLOAD_SIZES)} "
                                "or a custom size of the workspace"))
    if size is not None and any(c is not None for c in concurrency):
        problems.append(Problem(f"{where}.workload_size",
                                "cannot be set together with min/max_provisioned_concurrency"))
    problems += _check_range(where, "provisioned_concurrency", *concurrency)
    wtype = entity.get("workload_type")
    if wtype is not None and wtype not in WORKLOAD_TYPES:
        problems.append(Problem(f"{where}.workload_type",
                                f"{wtype!r} is not one of {', '.join(WORKLOAD_TYPES)}"))

    throughput = (entity.get("min_provisioned_throughput"), entity.get("max_provisioned_throughput"))
    units = entity.get("provisioned_model_units")
    problems += _check_range(where, "provisioned_throughput", *throughput)
    if units is not None and not (_is_int(units) and units > 0):
        problems.append(Problem(f"{where}.provisioned_model_units", f"must be a whole number above 0, got {units!r}"))
    provisioned = units is not None or any(t is not None for t in throughput)
    if provisioned and entity.get("scale_to_zero_enabled"):
        problems.append(Problem(f"{where}.scale_to_zero_enabled",
                                "provisioned throughput cannot scale to zero"))
    if units is not None and any(t is not None for t in throughput):
        problems.append(Problem(f"{where}.provisioned_model_units",
                                "use either provisioned_model_units or min/max_provisioned_throughput, not both"))

    for key, value in (entity.get("environment_vars") or {}).items():
        if not isinstance(value, str):
            problems.append(Problem(f"{where}.environment_vars[{key}]", "must be a string"))
        elif looks_like_secret_name(key) and not is_secret_reference(value) and not allow_plaintext_secrets:
            problems.append(Problem(f"{where}.environment_vars[{key}]",
                                    "looks like a secret but is not a {{secrets/<scope>/<key>}} reference"))
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


_SECRET_NAME_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE")


def looks_like_secret_name(name: str) -> bool:
    """An environment variable whose name says it holds a secret (`OPENAI_API_KEY`, `DB_PASSWORD`)."""
    upper = name.upper()
    return any(part in upper for part in _SECRET_NAME_PARTS)


def validate_external_model(external: Mapping[str, Any], where: str, *,
                            allow_plaintext_secrets: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    provider = external.get("provider")
    for field in ("name", "provider", "task"):
        if not external.get(field):
            problems.append(Problem(f"{where}.{field}", "is required"))
    task = external.get("task")
    if task and task not in TASKS:
        problems.append(Problem(f"{where}.task", f"{task!r} is not one of {', '.join(TASKS)}"))
    present = [block for block, _ in PROVIDERS.values() if external.get(block) is not None]
    if provider and provider not in PROVIDERS:
        problems.append(Problem(f"{where}.provider", f"{provider!r} is not one of {', '.join(PROVIDERS)}"))
        return problems
    if not provider:
        return problems
    block, secret_fields = PROVIDERS[provider]
    if present != [block]:
        others = [b for b in present if b != block]
        if others:
            problems.append(Problem(f"{where}.{others[0]}",
                                    f"does not match provider {provider!r}: set only {block}"))
        if block not in present:
            problems.append(Problem(f"{where}.{block}", f"is required for provider {provider!r}"))
            return problems
    settings = external[block]
    problems += _validate_secret_fields(settings, f"{where}.{block}", secret_fields, allow_plaintext_secrets)
    if provider in SINGLE_KEY_PROVIDERS and not _has_key(settings, secret_fields[0]):
        problems.append(Problem(f"{where}.{block}.{secret_fields[0]}", "is required (a secret reference)"))
    if provider == "openai" and not (_has_key(settings, "openai_api_key")
                                     or _has_key(settings, "microsoft_entra_client_secret")):
        problems.append(Problem(f"{where}.{block}.openai_api_key",
                                "is required unless Microsoft Entra ID credentials are set"))
    if provider == "amazon-bedrock":
        problems += _validate_bedrock(settings, f"{where}.{block}")
    if provider == "custom":
        problems += _validate_custom_provider(settings, f"{where}.{block}", allow_plaintext_secrets)
    return problems


def _has_key(settings: Mapping[str, Any], field: str) -> bool:
    return bool(settings.get(field) or settings.get(f"{field}_plaintext"))


def _validate_secret_fields(settings: Mapping[str, Any], where: str, fields: Iterable[str],
                            allow_plaintext: bool) -> list[Problem]:
    problems = []
    for field in fields:
        reference, plaintext = settings.get(field), settings.get(f"{field}_plaintext")
        if reference is not None and not is_secret_reference(reference):
            problems.append(Problem(f"{where}.{field}",
                                    "must be a secret reference {{secrets/<scope>/<key>}}, not a literal value"))
        if plaintext is not None and not allow_plaintext:
            problems.append(Problem(f"{where}.{field}_plaintext",
                                    "puts the secret into Terraform state in plaintext: use a secret reference, "
                                    "or opt in with allow_plaintext_secrets=True"))
        if reference is not None and plaintext is not None:
            problems.append(Problem(f"{where}.{field}", f"set either {field} or {field}_plaintext, not both"))
    return problems


def _validate_bedrock(settings: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    for field in ("aws_region", "bedrock_provider"):
        if not settings.get(field):
            problems.append(Problem(f"{where}.{field}", "is required"))
    has_keys = _has_key(settings, "aws_access_key_id") and _has_key(settings, "aws_secret_access_key")
    # SDK AmazonBedrockConfig: access keys, an instance profile, or a UC service credential.
    if not has_keys and not settings.get("instance_profile_arn") and not settings.get("uc_service_credential_name"):
        problems.append(Problem(where, "needs aws_access_key_id and aws_secret_access_key, instance_profile_arn "
                                       "or uc_service_credential_name"))
    return problems


def _validate_custom_provider(settings: Mapping[str, Any], where: str, allow_plaintext: bool) -> list[Problem]:
    problems = []
    if not settings.get("custom_provider_url"):
        problems.append(Problem(f"{where}.custom_provider_url", "is required"))
    api_key, bearer = settings.get("api_key_auth"), settings.get("bearer_token_auth")
    if (api_key is None) == (bearer is None):
        problems.append(Problem(where, "needs exactly one of api_key_auth or bearer_token_auth"))
    if api_key is not None:
        if not api_key.get("key"):
            problems.append(Problem(f"{where}.api_key_auth.key", "is required"))
        problems += _validate_secret_fields(api_key, f"{where}.api_key_auth", ("value",), allow_plaintext)
    if bearer is not None:
        problems += _validate_secret_fields(bearer, f"{where}.bearer_token_auth", ("token",), allow_plaintext)
    return problems


def validate_traffic(traffic: Mapping[str, Any] | None, entity_names: list[str]) -> list[Problem]:
    """Routes are whole percentages 0..100 to existing entities that sum to 100."""
    routes = list((traffic or {}).get("routes") or [])
    if not routes:
        if len(entity_names) > 1:
            return [Problem("config.traffic_config",
                            f"{len(entity_names)} served entities need an explicit traffic split")]
        return []
    problems: list[Problem] = []
    seen: list[str] = []
    total = 0
    for index, route in enumerate(routes):
        where = f"config.traffic_config.routes[{index}]"
        target = route.get("served_model_name") or route.get("served_entity_name")
        percent = route.get("traffic_percentage")
        if not target:
            problems.append(Problem(f"{where}.served_model_name", "is required"))
        elif target not in entity_names:
            problems.append(Problem(f"{where}.served_model_name",
                                    f"{target!r} is not a served entity of this endpoint "
                                    f"(entities: {', '.join(entity_names) or 'none'})"))
        elif target in seen:
            problems.append(Problem(f"{where}.served_model_name", f"{target!r} has more than one route"))
        if target:
            seen.append(target)
        if not (_is_int(percent) and 0 <= percent <= 100):
            problems.append(Problem(f"{where}.traffic_percentage",
                                    f"must be a whole number from 0 to 100, got {percent!r}"))
        else:
            total += percent
    if not problems and total != 100:
        problems.append(Problem("config.traffic_config", f"traffic routes sum to {total}, must be 100"))
    return problems


def validate_ai_gateway(gateway: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for index, limit in enumerate(gateway.get("rate_limits") or []):
        problems += validate_rate_limit(limit, f"ai_gateway.rate_limits[{index}]")
    table = gateway.get("inference_table_config")
    if table and table.get("enabled"):
        for field in ("catalog_name", "schema_name"):
            if not table.get(field):
                problems.append(Problem(f"ai_gateway.inference_table_config.{field}",
                                        "is required when the inference table is enabled"))
    for direction in ("input", "output"):
        params = (gateway.get("guardrails") or {}).get(direction)
        if not params:
            continue
        where = f"ai_gateway.guardrails.{direction}"
        behavior = (params.get("pii") or {}).get("behavior")
        if behavior is not None and behavior not in PII_BEHAVIORS:
            problems.append(Problem(f"{where}.pii.behavior", f"{behavior!r} is not one of {', '.join(PII_BEHAVIORS)}"))
        for field in ("invalid_keywords", "valid_topics"):
            values = params.get(field)
            if values is not None and not all(isinstance(v, str) and v.strip() for v in values):
                problems.append(Problem(f"{where}.{field}", "must be a list of non-empty strings"))
    return problems


def validate_rate_limit(limit: Mapping[str, Any], where: str) -> list[Problem]:
    problems = []
    period = limit.get("renewal_period")
    if period not in RATE_LIMIT_RENEWAL_PERIODS:
        problems.append(Problem(f"{where}.renewal_period", f"{period!r} is not supported: use 'minute'"))
    key = limit.get("key") or "endpoint"
    if key not in RATE_LIMIT_KEYS:
        problems.append(Problem(f"{where}.key", f"{key!r} is not one of {', '.join(RATE_LIMIT_KEYS)}"))
    elif key == "endpoint" and limit.get("principal"):
        problems.append(Problem(f"{where}.principal", "cannot be set when the key is 'endpoint'"))
    elif key != "endpoint" and not limit.get("principal"):
        problems.append(Problem(f"{where}.principal", f"is required when the key is {key!r}"))
    calls, tokens = limit.get("calls"), limit.get("tokens")
    if calls is None and tokens is None:
        problems.append(Problem(where, "needs calls, tokens or both"))
    for field, value in (("calls", calls), ("tokens", tokens)):
        if value is not None and not (_is_int(value) and value > 0):
            problems.append(Problem(f"{where}.{field}", f"must be a whole number above 0, got {value!r}"))
    return problems


def validate_tags(tags: Iterable[Mapping[str, Any]]) -> list[Problem]:
    problems = []
    seen = set()
    for index, tag in enumerate(tags):
        key = tag.get("key")
        if not isinstance(key, str) or not key.strip():
            problems.append(Problem(f"tags[{index}].key", "must be a non-empty string"))
        elif key in seen:
            problems.append(Problem(f"tags[{index}].key", f"{key!r} appears more than once"))
        seen.add(key)
        value = tag.get("value")
        if value is not None and not isinstance(value, str):
            problems.append(Problem(f"tags[{index}].value", "must be a string"))
    return problems
