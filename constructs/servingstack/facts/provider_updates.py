"""What the Terraform provider does with a change, resource by resource: which fields force the
resource to be replaced, which it sends on update (and by which call), which it never sends after
create, and what a create that fails to deploy leaves behind.

Every fact is read from the provider's source, terraform-provider-databricks v1.128.0 (commit
684f4424; the v1.99.0 tag has the same update paths, ForceNew fields, timeouts and delete-on-failure
for both serving resources). Provider 1.138 (CDK Terrain) is assumed to match; its source was not at
hand. Plain data over field names, so `plan` and `emulator apply` can share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MODEL_SERVING = "databricks_model_serving"
PROVISIONED_THROUGHPUT = "databricks_model_serving_provisioned_throughput"
PERMISSIONS = "databricks_permissions"
SECRET_SCOPE = "databricks_secret_scope"
SECRET_ACL = "databricks_secret_acl"
GRANT = "databricks_grant"
APP = "databricks_app"


@dataclass(frozen=True)
class UpdateCall:
    """How the provider sends a change of one top-level field, and what that does at the service."""

    call: str  # the REST call
    effect: str  # in serving terms
    source: str  # provider file and function

    def describe(self, **names: str) -> str:
        """`zero-downtime config update (PUT /api/2.0/serving-endpoints/chat/config): ...`"""
        what, _, rest = self.effect.partition(": ")
        return f"{what} ({self.call.format_map(_Keep(names))}): {rest}" if rest else f"{what} ({self.call})"


class _Keep(dict[str, str]):
    """Placeholders not given stay as they are: `{id}` in a call that names an endpoint by its id."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class NotSent:
    """A field the provider's Update never sends: a change plans as an update that calls nothing."""

    how_to_apply: str


@dataclass(frozen=True)
class ResourceFacts:
    resource_type: str
    # Dotted field paths whose change destroys the resource and creates it again (ForceNew).
    force_new: tuple[str, ...]
    force_new_source: str
    updates: dict[str, UpdateCall] = field(default_factory=dict)
    not_sent: dict[str, NotSent] = field(default_factory=dict)
    # Terraform's wait for a create / update, in minutes, when the resource sets no `timeouts`.
    default_timeout_minutes: int | None = None
    # A create whose deployment fails (or times out) is deleted by the provider: nothing is left in state.
    deletes_failed_create: bool = False


# Docs (custom models): "When updating an endpoint, Databricks performs a zero-downtime update by keeping
# the existing endpoint configuration up until the new one becomes ready."
_CONFIG_UPDATE = (
    "zero-downtime config update: the old config serves until the new one is ready; if the new one fails, "
    "the old one keeps serving (Terraform does not roll back)"
)
_TAGS = UpdateCall(
    "PATCH /api/2.0/serving-endpoints/{name}/tags",
    "tag update: immediate, nothing redeploys; live tags the stack does not declare are deleted",
    "serving/resource_model_serving.go, updateTags",
)
_AI_GATEWAY = UpdateCall(
    "PUT /api/2.0/serving-endpoints/{name}/ai-gateway",
    "gateway update: immediate, nothing redeploys; the whole AI Gateway configuration is replaced",
    "serving/resource_model_serving.go, updateAiGateway",
)
_REPLACE = "terraform apply -replace={address} (a replacement: the endpoint is deleted and created again)"

# `databricks_model_serving`: ResourceModelServing() in serving/resource_model_serving.go. Update calls
# only updateConfig (d.HasChange("config")), updateTags ("tags") and updateAiGateway ("ai_gateway").
MODEL_SERVING_FACTS = ResourceFacts(
    MODEL_SERVING,
    force_new=(
        "name",  # common.CustomizeSchemaPath(m, "name").SetForceNew()
        "route_optimized",  # "route_optimized cannot be updated." ... SetForceNew()
        "config.auto_capture_config.catalog_name",  # legacy inference table location: SetForceNew()
        "config.auto_capture_config.schema_name",
        "config.auto_capture_config.table_name_prefix",
        # CustomizeDiff: common.NamespaceCustomizeDiff (common/unified_provider.go): "When the effective
        # workspace_id changes, it triggers ForceNew" (provider 1.128+, so CDK Terrain's 1.138 only).
        "provider_config.workspace_id",
    ),
    force_new_source="serving/resource_model_serving.go, ResourceModelServing",
    updates={
        "config": UpdateCall(
            "PUT /api/2.0/serving-endpoints/{name}/config",
            _CONFIG_UPDATE,
            "serving/resource_model_serving.go, updateConfig",
        ),
        "tags": _TAGS,
        "ai_gateway": _AI_GATEWAY,
    },
    not_sent={
        # No d.HasChange branch in Update for these, and none is ForceNew. No API updates a description
        # or a budget policy after create (SDK 0.162 ServingEndpointsAPI has no such call).
        "description": NotSent(_REPLACE),
        "budget_policy_id": NotSent(_REPLACE),
        "email_notifications": NotSent(
            "PATCH /api/2.0/serving-endpoints/{name}/notifications (SDK serving_endpoints.update_notifications), "
            "or " + _REPLACE
        ),
        "telemetry_config": NotSent(
            "PATCH /api/2.0/serving-endpoints/{name}/telemetry-config (SDK serving_endpoints.patch_telemetry_config)"
            ", or " + _REPLACE
        ),
        "rate_limits": NotSent(
            "move them to ai_gateway.rate_limits (sent on update), or PUT /api/2.0/serving-endpoints/{name}/"
            "rate-limits (SDK serving_endpoints.put, deprecated)"
        ),
    },
    default_timeout_minutes=45,  # DefaultProvisionTimeout = 45 * time.Minute, for Create and Update
    deletes_failed_create=True,  # Create: on a failed wait, w.ServingEndpoints.DeleteByName(ctx, e.Name)
)

# `databricks_model_serving_provisioned_throughput`: ResourceModelServingProvisionedThroughput() in
# serving/resource_model_serving_provisioned_throughput.go; Update: config, tags and ai_gateway only.
PROVISIONED_THROUGHPUT_FACTS = ResourceFacts(
    PROVISIONED_THROUGHPUT,
    force_new=("name", "provider_config.workspace_id"),  # SetForceNew() on name; NamespaceCustomizeDiff
    force_new_source=(
        "serving/resource_model_serving_provisioned_throughput.go, ResourceModelServingProvisionedThroughput"
    ),
    updates={
        "config": UpdateCall(
            "PUT /api/2.0/serving-endpoints/pt/{name}/config",
            _CONFIG_UPDATE,
            "serving/resource_model_serving_provisioned_throughput.go, Update "
            "(UpdateProvisionedThroughputEndpointConfig)",
        ),
        "tags": _TAGS,
        "ai_gateway": _AI_GATEWAY,
    },
    not_sent={
        "budget_policy_id": NotSent(_REPLACE),
        "email_notifications": NotSent(
            "PATCH /api/2.0/serving-endpoints/{name}/notifications (SDK serving_endpoints.update_notifications), "
            "or " + _REPLACE
        ),
    },
    default_timeout_minutes=10,  # defaultPtProvisionTimeout = 10 * time.Minute
    deletes_failed_create=True,
)

# `databricks_permissions`: every object-id field is ForceNew (permissions/resource_permissions.go);
# Update is one PUT of the whole list (safePutWithOwner -> w.Permissions.Set), authoritative.
PERMISSIONS_FACTS = ResourceFacts(
    PERMISSIONS,
    force_new=("serving_endpoint_id",),
    force_new_source="permissions/resource_permissions.go (object id fields ForceNew: true)",
    updates={
        "access_control": UpdateCall(
            "PUT /api/2.0/permissions/serving-endpoints/{id}",
            "grants replaced: every direct grant the stack does not declare is removed (admins and the caller "
            "keep CAN_MANAGE)",
            "permissions/resource_permissions.go, safePutWithOwner",
        )
    },
)

# `databricks_secret_scope` has no Update, so common/resource.go (ToResource) makes every attribute
# ForceNew ("set ForceNew to all attributes with CRD"); `backend_type` is computed.
SECRET_SCOPE_FACTS = ResourceFacts(
    SECRET_SCOPE,
    force_new=("name", "initial_manage_principal", "keyvault_metadata"),
    force_new_source="secrets/resource_secret_scope.go (no Update) and common/resource.go, ToResource",
)

# `databricks_secret_acl`: scope, principal and permission are `ForceNew: true`; no Update.
SECRET_ACL_FACTS = ResourceFacts(
    SECRET_ACL,
    force_new=("scope", "principal", "permission"),
    force_new_source="secrets/resource_secret_acl.go, ResourceSecretACL",
)

# `databricks_grant`: principal and every securable field ForceNew; privileges updated in place by
# replacePermissionsForPrincipal, which is authoritative for that one principal on that securable.
GRANT_FACTS = ResourceFacts(
    GRANT,
    force_new=("principal", "catalog", "schema", "model", "function", "table", "volume"),
    force_new_source="catalog/resource_grant.go, ResourceGrant",
    updates={
        "privileges": UpdateCall(
            "PATCH /api/2.1/unity-catalog/permissions/{securable_type}/{full_name}",
            "privileges set: the principal holds exactly the declared ones on the securable; others it holds "
            "there directly are revoked",
            "catalog/resource_grant.go, replacePermissionsForPrincipal",
        )
    },
)

# `databricks_app` (plugin framework): RequiresReplace on name; Update is one PATCH of the whole app.
APP_FACTS = ResourceFacts(
    APP,
    force_new=("name",),
    force_new_source="internal/providers/pluginfw/products/app/resource_app.go (RequiresReplace on name)",
    updates={
        "*": UpdateCall(
            "PATCH /api/2.0/apps/{name}",
            "app update: the whole app is sent; fields left out are cleared",
            "internal/providers/pluginfw/products/app/resource_app.go, Update",
        )
    },
)

FACTS = {
    facts.resource_type: facts
    for facts in (
        MODEL_SERVING_FACTS,
        PROVISIONED_THROUGHPUT_FACTS,
        PERMISSIONS_FACTS,
        SECRET_SCOPE_FACTS,
        SECRET_ACL_FACTS,
        GRANT_FACTS,
        APP_FACTS,
    )
}

# The UC permissions API names a registered model's securable type `function`
# (catalog/permissions/permissions.go: `"model": catalog.SecurableType("function")`).
UC_SECURABLE_TYPES = {"model": "function"}


def uc_securable_type(attribute: str) -> str:
    """The securable type the UC permissions API takes for a `databricks_grant` attribute."""
    return UC_SECURABLE_TYPES.get(attribute, attribute)
