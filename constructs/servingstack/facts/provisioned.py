"""What `databricks_model_serving_provisioned_throughput` takes: the provider's own resource for
provisioned-throughput endpoints, as the API-shaped PT create request the constructs build for it.

Terraform's schema, not the service's (the emulator answers the service's PT routes by the SDK's
`PtServedModel`, where `entity_version` is optional): the constructs check a request here before
any jsii call, so a field the resource lacks or requires is a `ValidationError` naming it, never a
raw `TypeError` from the provider binding.
"""

from __future__ import annotations

RESOURCE_TYPE = "databricks_model_serving_provisioned_throughput"

# Provider 1.138 binding (cdktn-provider-databricks 18.11.0) `ModelServingProvisionedThroughputConfigServedEntities`:
# entity_name, entity_version, provisioned_model_units (required), burst_scaling_enabled, name (optional);
# provider source serving/resource_model_serving_provisioned_throughput.go makes the first three SetRequired().
# (`burst_scaling_enabled` is new in 1.138: facts/newer_fields.py refuses it on the cdktf engine, provider 1.99.)
REQUIRED_ENTITY_FIELDS = ("entity_name", "entity_version", "provisioned_model_units")
ENTITY_FIELDS = (*REQUIRED_ENTITY_FIELDS, "burst_scaling_enabled", "name")
# The same binding's resource takes: name, config (required), ai_gateway, budget_policy_id,
# email_notifications, provider_config (1.138: workspace_id), tags, timeouts {create, update}. No
# description, route_optimized, served_models, auto_capture_config, rate_limits or telemetry_config.
