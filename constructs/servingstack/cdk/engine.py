"""The only module that imports an engine (cdktf or CDK Terrain) and its Databricks provider bindings.

Everything else speaks API-shaped dicts; this module turns them into the provider's
generated struct classes (never plain dicts: jsii silently synthesizes a list of
snake_case dicts as `[{}]`) and builds each L1 resource with one constructor call.

Two engines have the same classes under other module names: CDKTF (`cdktf`,
`cdktf_cdktf_provider_databricks` 15.16.1 = Terraform provider 1.99.0, archived) and its
maintained continuation CDK Terrain (`cdktn`, `cdktn_provider_databricks` 18.11.0 = provider
1.138.0). `select_engine` picks one: `SERVINGSTACK_CDK_ENGINE=cdktf|cdktn`, else the engine
already imported, else the one installed (cdktf first, so an existing install never switches).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import re
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from servingstack.cdk.node import use_node
from servingstack.errors import Problem, ValidationError

ENGINE_VARIABLE = "SERVINGSTACK_CDK_ENGINE"


@dataclass(frozen=True)
class Engine:
    name: str  # what SERVINGSTACK_CDK_ENGINE and the package extra call it
    core: str  # the engine's Python package
    provider_package: str  # its prebuilt Databricks provider bindings
    provider_version: str  # the Terraform provider version those bindings pin
    cli: str  # the npm CLI that runs `synth` for it

    @property
    def modules(self) -> tuple[str, str]:
        return self.core, self.provider_package


# Versions: the bindings' own READMEs ("prebuilt bindings for databricks/databricks provider version ...").
ENGINES: dict[str, Engine] = {
    "cdktf": Engine("cdktf", "cdktf", "cdktf_cdktf_provider_databricks", "1.99.0", "cdktf"),
    "cdktn": Engine("cdktn", "cdktn", "cdktn_provider_databricks", "1.138.0", "cdktn"),
}


class EngineError(ImportError):
    """No usable engine: an unknown or uninstalled choice, or two engines at once."""


def _installed(module: str) -> bool:
    return module in sys.modules or importlib.util.find_spec(module) is not None


def select_engine(
    environ: Mapping[str, str] = os.environ,
    modules: Mapping[str, Any] = sys.modules,
    installed: Callable[[str], bool] = _installed,
) -> Engine:
    """The engine to build with: the one named by SERVINGSTACK_CDK_ENGINE, else the one whose
    modules are already imported, else the first installed (cdktf, then cdktn)."""
    chosen = environ.get(ENGINE_VARIABLE, "").strip().lower()
    if chosen:
        if chosen not in ENGINES:
            raise EngineError(f"{ENGINE_VARIABLE}={chosen!r}: expected one of {', '.join(ENGINES)}")
        engine = ENGINES[chosen]
        if not all(installed(m) for m in engine.modules):
            raise EngineError(
                f"{ENGINE_VARIABLE}={chosen} but {' and '.join(engine.modules)} are not both "
                f"installed: pip install 'servingstack[{chosen}]'"
            )
        return engine
    imported = [e for e in ENGINES.values() if _imported(e, modules)]
    if len(imported) > 1:
        raise EngineError(f"both cdktf and cdktn are imported; one app uses one engine: set {ENGINE_VARIABLE}")
    if imported:
        return imported[0]
    for engine in ENGINES.values():
        if all(installed(m) for m in engine.modules):
            return engine
    raise EngineError("no CDK engine is installed: pip install 'servingstack[cdktf]' or 'servingstack[cdktn]'")


def _imported(engine: Engine, modules: Mapping[str, Any]) -> list[str]:
    return sorted(
        {package for m in modules for package in engine.modules if m == package or m.startswith(package + ".")}
    )


def mixed_engine_modules(engine: Engine, modules: Mapping[str, Any] = sys.modules) -> list[str]:
    """The other engine's modules that are imported: a resource built from them would land in
    this engine's stacks and silently declare the other engine's provider version."""
    return sorted(m for other in ENGINES.values() if other is not engine for m in _imported(other, modules))


def check_one_engine(path: str) -> None:
    """Refuse an app that mixes the two engines (one `ValidationError` naming the construct)."""
    mixed = mixed_engine_modules(ENGINE)
    if mixed:
        verb = "is" if len(mixed) == 1 else "are"
        raise ValidationError(
            path,
            [
                Problem(
                    "engine",
                    (
                        f"this app builds with {ENGINE.name} (provider {ENGINE.provider_version}) "
                        f"but {' and '.join(mixed)} "
                        f"{verb} imported too: use one engine's packages only, or set {ENGINE_VARIABLE}"
                    ),
                )
            ],
        )


ENGINE = select_engine()

# The jsii kernel runs on `JSII_NODE`: the user's, else the project's own Node from npm, else the
# `node` on PATH; an unsupported or missing one is said in one line (cdk/node.py).
use_node()

_engine = importlib.import_module(ENGINE.core)
import jsii  # noqa: E402
from constructs import Construct  # noqa: E402

App = _engine.App
TerraformStack = _engine.TerraformStack
# The metaclass of every construct class (constructs' and the engines'): `base.Refusable` extends it.
ConstructMeta = jsii.JSIIMeta
TerraformOutput = _engine.TerraformOutput

_PROVIDER_PACKAGE = ENGINE.provider_package


def _provider(submodule: str) -> Any:
    """One submodule of the provider bindings, without importing the other ~250.

    cdktf's binding imports every submodule in its `__init__` (about 1.2 s and most of a
    synth's start-up); the few this library uses need only the package's jsii assembly. So the
    package is registered as a bare namespace whose missing attributes import lazily:
    `from cdktf_cdktf_provider_databricks import job` in user code still works.
    """
    name = f"{_PROVIDER_PACKAGE}.{submodule}"
    module = sys.modules.get(name)
    if module is None:
        _register_lean_provider_package()
        module = importlib.import_module(name)
    return module


def _register_lean_provider_package() -> None:
    if _PROVIDER_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(_PROVIDER_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{_PROVIDER_PACKAGE} is not installed")
    package = types.ModuleType(_PROVIDER_PACKAGE)
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin

    def __getattr__(attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return importlib.import_module(f"{_PROVIDER_PACKAGE}.{attribute}")

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[_PROVIDER_PACKAGE] = package
    importlib.import_module(f"{_PROVIDER_PACKAGE}._jsii")  # loads the jsii assembly into the kernel


# ---- databricks_model_serving -------------------------------------------------------------

# API config block -> (struct class suffix, Terraform block name, API field -> Terraform field).
_PROVIDER_CONFIGS: dict[str, tuple[str, str, dict[str, str]]] = {
    "openai_config": ("OpenaiConfig", "openai_config", {}),
    "anthropic_config": ("AnthropicConfig", "anthropic_config", {}),
    "cohere_config": ("CohereConfig", "cohere_config", {}),
    "amazon_bedrock_config": ("AmazonBedrockConfig", "amazon_bedrock_config", {}),
    "google_cloud_vertex_ai_config": ("GoogleCloudVertexAiConfig", "google_cloud_vertex_ai_config", {}),
    "databricks_model_serving_config": ("DatabricksModelServingConfig", "databricks_model_serving_config", {}),
    "ai21labs_config": (
        "Ai21LabsConfig",
        "ai21_labs_config",
        {"ai21labs_api_key": "ai21_labs_api_key", "ai21labs_api_key_plaintext": "ai21_labs_api_key_plaintext"},
    ),
    "palm_config": ("PalmConfig", "palm_config", {}),
    "custom_provider_config": ("CustomProviderConfig", "custom_provider_config", {}),
}


def _external_model(ms: Any, external: Mapping[str, Any]) -> Any:
    prefix = "ModelServingConfigServedEntitiesExternalModel"
    values = {k: v for k, v in external.items() if k not in _PROVIDER_CONFIGS}
    for api_block, (suffix, tf_block, renames) in _PROVIDER_CONFIGS.items():
        settings = external.get(api_block)
        if settings is None:
            continue
        settings = {renames.get(k, k): v for k, v in settings.items()}
        if api_block == "custom_provider_config":
            for auth, auth_suffix in (("api_key_auth", "ApiKeyAuth"), ("bearer_token_auth", "BearerTokenAuth")):
                if auth in settings:
                    settings[auth] = getattr(ms, f"{prefix}{suffix}{auth_suffix}")(**settings[auth])
        values[tf_block] = getattr(ms, f"{prefix}{suffix}")(**settings)
    return ms.ModelServingConfigServedEntitiesExternalModel(**values)


def _served_entity(ms: Any, entity: Mapping[str, Any]) -> Any:
    values = dict(entity)
    if "external_model" in values:
        values["external_model"] = _external_model(ms, values["external_model"])
    return ms.ModelServingConfigServedEntities(**values)


def _config(ms: Any, config: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {"served_entities": [_served_entity(ms, e) for e in config["served_entities"]]}
    if config.get("traffic_config"):
        values["traffic_config"] = ms.ModelServingConfigTrafficConfig(
            routes=[ms.ModelServingConfigTrafficConfigRoutes(**r) for r in config["traffic_config"]["routes"]]
        )
    return ms.ModelServingConfigA(**values)


def _guardrail(ms: Any, direction: str, params: Mapping[str, Any]) -> Any:
    cls = "Input" if direction == "input" else "Output"
    values = dict(params)
    if "pii" in values:
        values["pii"] = getattr(ms, f"ModelServingAiGatewayGuardrails{cls}Pii")(**values["pii"])
    return getattr(ms, f"ModelServingAiGatewayGuardrails{cls}")(**values)


def _ai_gateway(ms: Any, gateway: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    if "rate_limits" in gateway:
        values["rate_limits"] = [ms.ModelServingAiGatewayRateLimits(**r) for r in gateway["rate_limits"]]
    if "usage_tracking_config" in gateway:
        values["usage_tracking_config"] = ms.ModelServingAiGatewayUsageTrackingConfig(
            **gateway["usage_tracking_config"]
        )
    if "inference_table_config" in gateway:
        values["inference_table_config"] = ms.ModelServingAiGatewayInferenceTableConfig(
            **gateway["inference_table_config"]
        )
    if "guardrails" in gateway:
        values["guardrails"] = ms.ModelServingAiGatewayGuardrails(
            **{d: _guardrail(ms, d, p) for d, p in gateway["guardrails"].items()}
        )
    if "fallback_config" in gateway:
        values["fallback_config"] = ms.ModelServingAiGatewayFallbackConfig(**gateway["fallback_config"])
    return ms.ModelServingAiGateway(**values)


def _telemetry(ms: Any, telemetry: Mapping[str, Any]) -> Any:
    """`telemetry_config` (provider 1.138: ModelServingTelemetryConfig and its two blocks)."""
    values = dict(telemetry)
    if "table_names" in values:
        values["table_names"] = ms.ModelServingTelemetryConfigTableNames(**values["table_names"])
    if "inference_table_config" in values:
        values["inference_table_config"] = ms.ModelServingTelemetryConfigInferenceTableConfig(
            **values["inference_table_config"]
        )
    return ms.ModelServingTelemetryConfig(**values)


def model_serving(
    scope: Construct,
    request: Mapping[str, Any],
    *,
    create_timeout: str | None = None,
    update_timeout: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    workspace_id: str | None = None,
    ignore_changes: Sequence[str] = (),
) -> Any:
    """A `databricks_model_serving` resource (child id `Default`) from an API create request;
    `ignore_changes`: Terraform attribute paths it plans from the live endpoint on update."""
    ms = _provider("model_serving")
    values: dict[str, Any] = {"name": request["name"]}
    if request.get("config"):  # optional: a config can be added after creation (provider docs)
        values["config"] = _config(ms, request["config"])
    if "ai_gateway" in request:
        values["ai_gateway"] = _ai_gateway(ms, request["ai_gateway"])
    if "tags" in request:
        values["tags"] = [ms.ModelServingTags(**t) for t in request["tags"]]
    if "email_notifications" in request:
        values["email_notifications"] = ms.ModelServingEmailNotifications(**request["email_notifications"])
    for key in ("description", "route_optimized", "budget_policy_id"):
        if key in request:
            values[key] = request[key]
    # The newer provider's fields; facts/newer_fields.py refuses them before this on an engine without them.
    if "telemetry_config" in request:
        values["telemetry_config"] = _telemetry(ms, request["telemetry_config"])
    if workspace_id is not None:
        values["provider_config"] = ms.ModelServingProviderConfig(workspace_id=workspace_id)
    if create_timeout or update_timeout:
        values["timeouts"] = ms.ModelServingTimeouts(create=create_timeout, update=update_timeout)
    if ignore_changes:
        # The engine's own struct (cdktf's or cdktn's): the resource class of each extends its own.
        values["lifecycle"] = _engine.TerraformResourceLifecycle(ignore_changes=list(ignore_changes))
    resource = ms.ModelServing(scope, "Default", **values)
    if metadata:
        # Terraform ignores "//" keys in JSON; the checker reads this one.
        resource.add_override("//.servingstack", dict(metadata))
    return resource


def stack_metadata(stack: Any, key: str, produce: Any) -> None:
    """Record `produce()` under the stack's top-level "//" key `key`, computed at synth time:
    one call per stack instead of an override per resource (each jsii call costs a round trip)."""

    @jsii.implements(_engine.IAnyProducer)
    class _Producer:
        def produce(self, context: Any) -> Any:
            check_one_engine(_path(stack))  # the other engine may have been imported after the stack was built
            return produce()

    stack.add_override(f"//.{key}", _engine.Lazy.any_value(_Producer()))


# ---- references without a round trip to Node ----------------------------------------------

_DISALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def logical_id(components: Sequence[str]) -> str:
    """The logical id both engines give an element at these construct ids below its stack:
    `makeUniqueId` of cdktf's and cdktn's lib/private/unique.js (the same code in both), called
    by `TerraformStack.allocateLogicalId`. "Default" ids are skipped; a single id is used as it is
    (less disallowed characters); deeper paths get their ids joined and an md5 suffix."""
    components = [c for c in components if c != "Default"]
    if len(components) == 1:
        candidate = _DISALLOWED.sub("", components[0])
        if len(candidate) <= 255:
            return candidate
    digest = hashlib.md5("/".join(components).encode()).hexdigest()[:8].upper()
    deduped: list[str] = []
    for component in components:
        if not deduped or not deduped[-1].endswith(component):
            deduped.append(component)
    human = "_".join(_DISALLOWED.sub("", c) for c in deduped if c != "Resource")[:240]
    return f"{human}_{digest}"


def reference(resource_type: str, components: Sequence[str], attribute: str) -> str:
    """`${<type>.<logical id>.<attribute>}`, what the resource's attribute token resolves to in
    its own stack, computed in Python: each attribute getter is a round trip to the jsii kernel.
    Only for references inside the same stack (a token also wires cross-stack outputs)."""
    return f"${{{resource_type}.{logical_id(components)}.{attribute}}}"


# ---- databricks_permissions ---------------------------------------------------------------


def permissions(scope: Construct, id: str, serving_endpoint_id: str, access_control: list[dict[str, str]]) -> Any:
    perms = _provider("permissions")
    return perms.Permissions(
        scope,
        id,
        serving_endpoint_id=serving_endpoint_id,
        access_control=[perms.PermissionsAccessControl(**a) for a in access_control],
    )


def replace_access_control(resource: Any, access_control: list[dict[str, str]]) -> None:
    perms = _provider("permissions")
    resource.put_access_control([perms.PermissionsAccessControl(**a) for a in access_control])


# ---- databricks_app -----------------------------------------------------------------------


def app(
    scope: Construct,
    id: str,
    *,
    name: str,
    description: str | None,
    serving_endpoints: Mapping[str, tuple[str, str]],
    compute_min_instances: int | None = None,
    compute_max_instances: int | None = None,
) -> Any:
    """A `databricks_app` whose resources give it access to serving endpoints
    (resource name -> (endpoint name, permission))."""
    apps = _provider("app")
    resources = [
        apps.AppResources(
            name=resource, serving_endpoint=apps.AppResourcesServingEndpoint(name=endpoint, permission=permission)
        )
        for resource, (endpoint, permission) in serving_endpoints.items()
    ]
    compute = {
        k: v
        for k, v in (("compute_min_instances", compute_min_instances), ("compute_max_instances", compute_max_instances))
        if v is not None
    }
    return apps.App(scope, id, name=name, description=description, resources=resources, **compute)


# ---- stacks -------------------------------------------------------------------------------


def provider(scope: Construct, *, host: str | None, profile: str | None) -> Any:
    """The Databricks provider; unset host/profile come from the environment at apply time."""
    check_one_engine(_path(scope))
    return _provider("provider").DatabricksProvider(scope, "databricks", host=host, profile=profile)


_BACKENDS = {
    "s3": "S3Backend",
    "azurerm": "AzurermBackend",
    "gcs": "GcsBackend",
    "local": "LocalBackend",
    "remote": "RemoteBackend",
    "cloud": "CloudBackend",
}


def backend(scope: Construct, kind: str, settings: Mapping[str, Any]) -> Any:
    return getattr(_engine, _BACKENDS[kind])(scope, **settings)


def output(scope: Construct, id: str, value: Any, description: str) -> Any:
    return TerraformOutput(scope, id, value=value, description=description)


_synth_callbacks = 0  # `at_synth` callbacks running now (synthesis runs on one thread)


def at_synth(scope: Construct, id: str, callback: Callable[[], object]) -> None:
    """Run `callback()` each time the app synthesizes `scope`, before its resources render: an
    aspect on a leaf construct `id` of its own, so the engine calls it once, not once per construct."""

    @jsii.implements(_engine.IAspect)
    class _AtSynth:
        def visit(self, node: Any) -> None:
            global _synth_callbacks
            _synth_callbacks += 1
            try:
                callback()
            finally:
                _synth_callbacks -= 1

    _engine.Aspects.of(Construct(scope, id)).add(_AtSynth())


# ---- policy aspects -----------------------------------------------------------------------


def implements_aspect(cls: type) -> type:
    """Mark a Python class as a cdktf `IAspect`: its `visit(node)` runs during synthesis."""
    return jsii.implements(_engine.IAspect)(cls)


def add_aspect(scope: Construct, aspect: Any) -> None:
    _engine.Aspects.of(scope).add(aspect)


def annotate(scope: Construct, level: str, message: str) -> None:
    """`level` is `error` (fails `app.synth()`), `warning` or `info`."""
    annotations = _engine.Annotations.of(scope)
    {"error": annotations.add_error, "warning": annotations.add_warning, "info": annotations.add_info}[level](message)


def app_outdir(scope: Construct) -> str:
    """The output directory of the app that `scope` belongs to."""
    return _engine.App.of(scope).outdir


def children(scope: Construct) -> list[Any]:
    return list(scope.node.children)


def _path(scope: Any) -> str:
    known = getattr(scope, "path", None)  # servingstack constructs know their path without a jsii call
    return known if isinstance(known, str) else scope.node.path


# ---- import blocks (servingstack import) ---------------------------------------------------


def import_existing(resource: Any, import_id: str) -> None:
    """Give `resource` a Terraform import block, so the first plan adopts the live object
    `import_id` instead of creating one (Terraform 1.5+ `import` blocks, cdktf `import_from`).

    cdktf's `import_from` adds to its resource a check that Terraform is 1.5 or newer, which runs
    `terraform version` at synth: once per imported resource, 0.1 s or more each (an imported stack
    of 200 endpoints and their permissions spent over a minute in it). So only a stack's first
    import goes through `import_from`, keeping the check once; the others join the stack's
    `import` list in one override (the same blocks, `{"id", "to"}`): `_StackImports`."""
    stack = TerraformStack.of(resource)
    imports: _StackImports | None = getattr(stack, "_servingstack_imports", None)
    if imports is None:
        resource.import_from(import_id)
        stack._servingstack_imports = _StackImports(stack)
        return
    imports.add(resource, import_id)


class _StackImports:
    """A stack's import blocks after its first, written as one override of its `import` list.

    Those declared while the program builds the stack are written once, at synth (an `at_synth` of
    their own). Some resources are built at synth, by other `at_synth` callbacks (a scope's ACLs, the
    deployer's grants), in an order the engine chooses, and a construct added then gets no aspect
    call: an import made there rewrites the list at once (a few, so the list is written a few times)."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.blocks: list[tuple[Any, str]] = []
        self.scheduled = False
        self.written = False

    def add(self, resource: Any, import_id: str) -> None:
        self.blocks.append((resource, import_id))
        if self.written or _synth_callbacks:
            self.write()
        elif not self.scheduled:
            self.scheduled = True
            at_synth(self.stack, "ServingstackImports", self.write)

    def write(self) -> None:
        self.written = True
        blocks = [{"id": id, "to": f"{r.terraform_resource_type}.{r.friendly_unique_id}"} for r, id in self.blocks]
        self.stack.add_override("import", blocks)


# ---- around the endpoint: provisioned throughput, secret scopes, Unity Catalog grants -------

_PT = "ModelServingProvisionedThroughput"


def has_provisioned_throughput_resource() -> bool:
    """True when this engine's provider bindings have `databricks_model_serving_provisioned_throughput`."""
    try:
        _provider("model_serving_provisioned_throughput")
    except ImportError:
        return False
    return True


def _pt_ai_gateway(pt: Any, gateway: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    if "rate_limits" in gateway:
        values["rate_limits"] = [getattr(pt, f"{_PT}AiGatewayRateLimits")(**r) for r in gateway["rate_limits"]]
    for key, suffix in (
        ("usage_tracking_config", "UsageTrackingConfig"),
        ("inference_table_config", "InferenceTableConfig"),
        ("fallback_config", "FallbackConfig"),
    ):
        if key in gateway:
            values[key] = getattr(pt, f"{_PT}AiGateway{suffix}")(**gateway[key])
    if "guardrails" in gateway:
        guardrails = {}
        for direction, params in gateway["guardrails"].items():
            cls = f"{_PT}AiGatewayGuardrails{'Input' if direction == 'input' else 'Output'}"
            params = dict(params)
            if "pii" in params:
                params["pii"] = getattr(pt, f"{cls}Pii")(**params["pii"])
            guardrails[direction] = getattr(pt, cls)(**params)
        values["guardrails"] = getattr(pt, f"{_PT}AiGatewayGuardrails")(**guardrails)
    return getattr(pt, f"{_PT}AiGateway")(**values)


def model_serving_provisioned_throughput(
    scope: Construct,
    request: Mapping[str, Any],
    *,
    create_timeout: str | None = None,
    update_timeout: str | None = None,
    workspace_id: str | None = None,
) -> Any:
    """A `databricks_model_serving_provisioned_throughput` (child id `Default`) from a PT create request."""
    pt = _provider("model_serving_provisioned_throughput")
    config = request["config"]
    config_values: dict[str, Any] = {
        "served_entities": [getattr(pt, f"{_PT}ConfigServedEntities")(**e) for e in config["served_entities"]]
    }
    if config.get("traffic_config"):
        config_values["traffic_config"] = getattr(pt, f"{_PT}ConfigTrafficConfig")(
            routes=[getattr(pt, f"{_PT}ConfigTrafficConfigRoutes")(**r) for r in config["traffic_config"]["routes"]]
        )
    values: dict[str, Any] = {"name": request["name"], "config": getattr(pt, f"{_PT}ConfigA")(**config_values)}
    if "ai_gateway" in request:
        values["ai_gateway"] = _pt_ai_gateway(pt, request["ai_gateway"])
    if "tags" in request:
        values["tags"] = [getattr(pt, f"{_PT}Tags")(**t) for t in request["tags"]]
    if "email_notifications" in request:
        values["email_notifications"] = getattr(pt, f"{_PT}EmailNotifications")(**request["email_notifications"])
    if "budget_policy_id" in request:
        values["budget_policy_id"] = request["budget_policy_id"]
    # Provider 1.138 only; facts/newer_fields.py refuses it before this on an engine without it.
    if workspace_id is not None:
        values["provider_config"] = getattr(pt, f"{_PT}ProviderConfig")(workspace_id=workspace_id)
    if create_timeout or update_timeout:
        values["timeouts"] = getattr(pt, f"{_PT}Timeouts")(create=create_timeout, update=update_timeout)
    return getattr(pt, _PT)(scope, "Default", **values)


def secret_scope(scope: Construct, id: str, *, name: str, initial_manage_principal: str | None) -> Any:
    return _provider("secret_scope").SecretScope(
        scope, id, name=name, initial_manage_principal=initial_manage_principal
    )


def secret_acl(
    scope: Construct, id: str, *, scope_name: str, principal: str, permission: str, depends_on: Any = None
) -> Any:
    return _provider("secret_acl").SecretAcl(
        scope,
        id,
        scope=scope_name,
        principal=principal,
        permission=permission,
        depends_on=[depends_on] if depends_on is not None else None,
    )


def uc_grant(
    scope: Construct, id: str, *, securable: str, full_name: str, principal: str, privileges: list[str]
) -> Any:
    """A non-authoritative `databricks_grant` (one principal on one securable; nothing else is revoked)."""
    return _provider("grant").Grant(scope, id, principal=principal, privileges=privileges, **{securable: full_name})


def set_privileges(resource: Any, privileges: list[str]) -> None:
    resource.privileges = privileges


def add_depends_on(resource: Any, targets: list[Any]) -> None:
    """Make `resource` depend on `targets` in the Terraform graph (each once)."""
    # The plain `type.logical_id` form, as cdktf writes a constructor's `depends_on`.
    wanted = [f"{t.terraform_resource_type}.{t.friendly_unique_id}" for t in targets]
    current = list(resource.depends_on or [])
    resource.depends_on = current + [fqn for fqn in wanted if fqn not in current]
