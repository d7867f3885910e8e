"""`Telemetry`: where an endpoint's logs, metrics and traces go (provider 1.138, the cdktn engine)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from servingstack.facts.newer_fields import TABLE_NAME_FIELDS
from servingstack.model.typecheck import typed


@typed
@dataclass(frozen=True)
class Telemetry:
    """An endpoint's telemetry (`telemetry_config`, provider 1.138; needs the cdktn engine):
    Unity Catalog tables that receive its logs, metrics, traces and annotations, or an existing
    telemetry profile, and inference-table payload sampling.

    - `logs_table`, `metrics_table`, `traces_table`, `annotations_table`: `catalog.schema.table`.
    - `telemetry_profile_id`: reuse an existing profile instead of naming tables.
    - `features`: the signals to export (`rules.TELEMETRY_FEATURES`); default all.
    - `inference_table`: the inference table's full name; `sampling_fraction`: 0.0 to 1.0 of
      requests logged (1.0 logs all).
    """

    logs_table: str | None = None
    metrics_table: str | None = None
    traces_table: str | None = None
    annotations_table: str | None = None
    telemetry_profile_id: str | None = None
    features: Sequence[str] = ()
    inference_table: str | None = None
    sampling_fraction: float | None = None

    def to_api(self) -> dict[str, Any]:
        """The API's `TelemetryConfig` (databricks-sdk `serving.TelemetryConfig.as_dict()` shape)."""
        config: dict[str, Any] = {}
        if self.features:
            config["enabled_telemetry_features"] = list(self.features)
        inference = {
            k: v
            for k, v in (("name", self.inference_table), ("sampling_fraction", self.sampling_fraction))
            if v is not None
        }
        if inference:
            config["inference_table_config"] = inference
        tables = {f: getattr(self, f) for f in TABLE_NAME_FIELDS if getattr(self, f) is not None}
        if tables:
            config["table_names"] = tables
        if self.telemetry_profile_id is not None:
            config["telemetry_profile_id"] = self.telemetry_profile_id
        return config
