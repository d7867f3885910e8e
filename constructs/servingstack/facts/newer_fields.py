"""The serving fields of the newer Databricks provider (1.138, CDK Terrain's binding) that the
archived cdktf binding (provider 1.99.0) does not have: their service facts, and which engine
can declare them.

Pure Python: the constructs check an endpoint here before any jsii call (on cdktf each newer
field is refused with a `ValidationError` naming the field, never a jsii `TypeError`), and the
emulator reads the same service facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from servingstack.errors import Problem

# Engines whose provider binding has the fields below (cdktn-provider-databricks 18.11.0 =
# provider 1.138.0; its model_serving and app structs). cdktf 15.16.1 (provider 1.99.0) has none.
NEWER_FIELD_ENGINES = ("cdktn",)

# SDK serving.UnityCatalogTableNames: "the full three-level Unity Catalog name (catalog.schema.table)".
TABLE_NAME_FIELDS = ("logs_table", "metrics_table", "traces_table", "annotations_table")
_THREE_LEVEL = re.compile(r"^[^.\s]+\.[^.\s]+\.[^.\s]+$")


# ---- service facts (shared with the emulator) -------------------------------------------------


def validate(request: Mapping[str, Any]) -> list[Problem]:
    """Problems with the newer fields of an API create request."""
    problems: list[Problem] = []
    for index, entity in enumerate((request.get("config") or {}).get("served_entities") or []):
        where = f"config.served_entities[{index}]"
        if not isinstance(entity, Mapping):
            continue
        # SDK ServedEntityInput.burst_scaling_enabled: Optional[bool].
        burst = entity.get("burst_scaling_enabled")
        if burst is not None and not isinstance(burst, bool):
            problems.append(Problem(f"{where}.burst_scaling_enabled", "must be true or false"))
        bedrock = (entity.get("external_model") or {}).get("amazon_bedrock_config") or {}
        # SDK AmazonBedrockConfig.uc_service_credential_name: the name of a Unity Catalog service credential.
        credential = bedrock.get("uc_service_credential_name") if isinstance(bedrock, Mapping) else None
        if credential is not None and not (isinstance(credential, str) and credential.strip()):
            problems.append(
                Problem(
                    f"{where}.external_model.amazon_bedrock_config.uc_service_credential_name",
                    "must name a Unity Catalog service credential",
                )
            )
    problems += validate_telemetry_tables(request.get("telemetry_config"))
    return problems


def validate_telemetry_tables(telemetry: Any, where: str = "telemetry_config") -> list[Problem]:
    """The tables of a `telemetry_config` (its features and sampling: `rules.validate_telemetry`)."""
    if not isinstance(telemetry, Mapping) or not isinstance(telemetry.get("table_names"), Mapping):
        return []
    problems = []
    for field, name in telemetry["table_names"].items():
        if field not in TABLE_NAME_FIELDS:
            problems.append(Problem(f"{where}.table_names.{field}", f"is not one of {', '.join(TABLE_NAME_FIELDS)}"))
        elif not (isinstance(name, str) and _THREE_LEVEL.match(name)):  # SDK UnityCatalogTableNames
            problems.append(
                Problem(
                    f"{where}.table_names.{field}",
                    f"{name!r} is not a full Unity Catalog table name catalog.schema.table",
                )
            )
    return problems


def validate_app_compute(minimum: Any, maximum: Any) -> list[Problem]:
    """SDK apps.App.compute_min_instances / compute_max_instances: whole numbers,
    "Must be set together"."""
    problems = []
    for field, value in (("compute_min_instances", minimum), ("compute_max_instances", maximum)):
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            problems.append(Problem(field, f"{value!r} must be a whole number of app instances"))
    if (minimum is None) != (maximum is None):
        problems.append(
            Problem("compute_min_instances", "set compute_min_instances and compute_max_instances together")
        )
    return problems


# ---- which engine can declare them -----------------------------------------------------------


def _declared(request: Mapping[str, Any], workspace_id: Any) -> Iterator[str]:
    """The newer fields an endpoint declares, by field path."""
    for index, entity in enumerate((request.get("config") or {}).get("served_entities") or []):
        if not isinstance(entity, Mapping):
            continue
        if entity.get("burst_scaling_enabled") is not None:
            yield f"config.served_entities[{index}].burst_scaling_enabled"
        bedrock = (entity.get("external_model") or {}).get("amazon_bedrock_config") or {}
        if isinstance(bedrock, Mapping) and bedrock.get("uc_service_credential_name") is not None:
            yield f"config.served_entities[{index}].external_model.amazon_bedrock_config.uc_service_credential_name"
    if request.get("telemetry_config") is not None:
        yield "telemetry_config"
    if workspace_id is not None:
        yield "provider_config.workspace_id"


def needs_newer_engine(field: str, engine: str) -> Problem:
    return Problem(
        field,
        f"needs the cdktn engine (Terraform provider 1.138); this app builds with {engine}, whose "
        "provider binding pins 1.99.0: install servingstack with its cdktn extra "
        "(pip install 'servingstack[cdktn] @ <its wheel or git URL>') and set "
        "SERVINGSTACK_CDK_ENGINE=cdktn",
    )


def engine_problems(engine: str, request: Mapping[str, Any], workspace_id: Any = None) -> list[Problem]:
    """On an engine whose provider lacks them, one problem per newer field declared."""
    if engine in NEWER_FIELD_ENGINES:
        return []
    return [needs_newer_engine(field, engine) for field in _declared(request, workspace_id)]


def app_engine_problems(engine: str, **compute: Any) -> list[Problem]:
    if engine in NEWER_FIELD_ENGINES:
        return []
    return [needs_newer_engine(field, engine) for field, value in compute.items() if value is not None]


def validate_workspace_id(workspace_id: Any) -> list[Problem]:
    # Provider 1.138 model_serving `provider_config.workspace_id`: a string (the workspace's numeric id).
    if workspace_id is None or (isinstance(workspace_id, str) and workspace_id.strip()):
        return []
    return [Problem("provider_config.workspace_id", f"{workspace_id!r} must be a workspace id string")]
