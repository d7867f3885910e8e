"""The Unity Catalog objects serving depends on, as the service answers reads of them: catalogs,
schemas, registered models and their versions (with their registration `status`), and model
versions of the Workspace Model Registry.

Routes and shapes are the SDK's: `CatalogsAPI.get` (`GET /api/2.1/unity-catalog/catalogs/{name}` ->
`CatalogInfo`), `SchemasAPI.get` (`.../schemas/{full_name}` -> `SchemaInfo`), `RegisteredModelsAPI.get`
(`.../models/{full_name}` -> `RegisteredModelInfo`), `ModelVersionsAPI.get`
(`.../models/{full_name}/versions/{version}` -> `ModelVersionInfo`, `status` from
`ModelVersionInfoStatus`), and `ModelRegistryAPI.get_model_version`
(`GET /api/2.0/mlflow/model-versions/get?name=&version=` -> `GetModelVersionResponse`, `status` from
`ModelVersionStatus`). "Only model versions in READY status can be loaded for inference or served"
(SDK `ModelVersionInfo.status`).

What a workspace answers for a missing object is documented only as a 404 (the SDK maps any 404 to
`NotFound`); the error codes below are the service's as commonly reported, unconfirmed by a
primary source. The objects are read-only here: they are added by the emulator's seeding
(`servingstack emulator seed`, `serve --seed-file`, `Emulator.add_objects`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from databricks.sdk.service.catalog import (
    CatalogInfo,
    CatalogType,
    ModelVersionInfo,
    ModelVersionInfoStatus,
    RegisteredModelInfo,
    SchemaInfo,
)
from databricks.sdk.service.ml import GetModelVersionResponse, ModelVersion, ModelVersionStatus

from servingstack.emulator import apierrors
from servingstack.emulator.auth import CURRENT_USER

UC = "/api/2.1/unity-catalog"
REGISTRY_VERSION = "/api/2.0/mlflow/model-versions/get"
UC_STATUSES = tuple(s.value for s in ModelVersionInfoStatus)
REGISTRY_STATUSES = tuple(s.value for s in ModelVersionStatus)


def _missing(code: str, message: str) -> apierrors.ApiError:
    return apierrors.ApiError(404, code, message)


@dataclass
class _Model:
    versions: dict[str, str] = field(default_factory=dict)  # version -> status
    created_ms: int = field(default_factory=lambda: int(time.time() * 1000))


class UnityCatalog:
    """Catalogs, schemas, UC models and registry models. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalogs: dict[str, int] = {}  # name -> created ms
        self._schemas: dict[str, int] = {}  # catalog.schema -> created ms
        self._models: dict[str, _Model] = {}  # catalog.schema.model
        self._registry: dict[str, _Model] = {}  # registry model name

    # -- adding ----------------------------------------------------------------------------

    def add_catalog(self, name: str) -> None:
        with self._lock:
            self._catalogs.setdefault(name, int(time.time() * 1000))

    def add_schema(self, full_name: str) -> None:
        catalog, schema = _split(full_name, 2, "a schema's full name is catalog.schema")
        self.add_catalog(catalog)
        with self._lock:
            self._schemas.setdefault(f"{catalog}.{schema}", int(time.time() * 1000))

    def add_model(self, full_name: str, versions: dict[str, str] | None = None) -> None:
        """A registered model (catalog.schema.model, its catalog and schema too) and versions -> status."""
        catalog, schema, _ = _split(full_name, 3, "a Unity Catalog model's full name is catalog.schema.model")
        for version, status in (versions or {}).items():
            _check_version(version, status, UC_STATUSES, numeric=True)
        self.add_schema(f"{catalog}.{schema}")
        with self._lock:
            model = self._models.setdefault(full_name, _Model())
            model.versions.update({str(int(v)): s for v, s in (versions or {}).items()})

    def add_registry_model(self, name: str, versions: dict[str, str] | None = None) -> None:
        """A Workspace Model Registry model and versions -> status."""
        if not name:
            raise ValueError("a registry model needs a name")
        for version, status in (versions or {}).items():
            _check_version(version, status, REGISTRY_STATUSES, numeric=True)
        with self._lock:
            model = self._registry.setdefault(name, _Model())
            model.versions.update({str(int(v)): s for v, s in (versions or {}).items()})

    # -- reading ---------------------------------------------------------------------------

    def catalog(self, name: str) -> CatalogInfo:
        with self._lock:
            created = self._catalogs.get(name)
        if created is None:
            raise _missing("CATALOG_DOES_NOT_EXIST", f"Catalog '{name}' does not exist.")
        return CatalogInfo(
            name=name, owner=CURRENT_USER, catalog_type=CatalogType.MANAGED_CATALOG, created_at=created, full_name=name
        )

    def schema(self, full_name: str) -> SchemaInfo:
        catalog, _, schema = full_name.partition(".")
        self.catalog(catalog)
        with self._lock:
            created = self._schemas.get(full_name)
        if created is None:
            raise _missing("SCHEMA_DOES_NOT_EXIST", f"Schema '{full_name}' does not exist.")
        return SchemaInfo(
            full_name=full_name, catalog_name=catalog, name=schema, owner=CURRENT_USER, created_at=created
        )

    def model(self, full_name: str) -> RegisteredModelInfo:
        with self._lock:
            model = self._models.get(full_name)
        if model is None:
            raise _missing("RESOURCE_DOES_NOT_EXIST", f"Routine or Model '{full_name}' does not exist.")
        catalog, schema, name = full_name.split(".", 2)
        return RegisteredModelInfo(
            full_name=full_name,
            catalog_name=catalog,
            schema_name=schema,
            name=name,
            owner=CURRENT_USER,
            created_at=model.created_ms,
        )

    def model_version(self, full_name: str, version: str) -> ModelVersionInfo:
        self.model(full_name)
        with self._lock:
            status = self._models[full_name].versions.get(version)
        if status is None:
            raise _missing("RESOURCE_DOES_NOT_EXIST", f"Model version {full_name}/{version} does not exist.")
        catalog, schema, name = full_name.split(".", 2)
        return ModelVersionInfo(
            catalog_name=catalog,
            schema_name=schema,
            model_name=name,
            version=int(version),
            status=ModelVersionInfoStatus(status),
            created_by=CURRENT_USER,
        )

    def registry_version(self, name: str, version: str) -> GetModelVersionResponse:
        with self._lock:
            model = self._registry.get(name)
            status = model.versions.get(version) if model is not None else None
        if model is None:
            raise _missing("RESOURCE_DOES_NOT_EXIST", f"Registered Model with name={name} not found")
        if status is None:
            raise _missing("RESOURCE_DOES_NOT_EXIST", f"Model Version (name={name}, version={version}) not found")
        return GetModelVersionResponse(
            model_version=ModelVersion(
                name=name,
                version=version,
                status=ModelVersionStatus(status),
                current_stage="None",
                user_id=CURRENT_USER,
            )
        )

    def knows_catalog(self, name: str) -> bool:
        with self._lock:
            return name in self._catalogs

    def check_securable(self, securable_type: str, full_name: str) -> None:
        """Raise the service's 404 for a schema or model (function) of a catalog the emulator knows that does
        not exist. Securables of catalogs it never saw are taken as existing outside it (it cannot know)."""
        kind = securable_type.lower()
        if kind not in ("schema", "function", "model") or not self.knows_catalog(full_name.split(".", 1)[0]):
            return
        if kind == "schema":
            self.schema(full_name)
        else:
            self.model(full_name)


def _split(full_name: str, parts: int, rule: str) -> list[str]:
    pieces = full_name.split(".") if isinstance(full_name, str) else []
    if len(pieces) != parts or not all(pieces):
        raise ValueError(f"{full_name!r}: {rule}")
    return pieces


def _check_version(version: Any, status: Any, statuses: tuple[str, ...], numeric: bool) -> None:
    if numeric and not str(version).isdigit():
        raise ValueError(f"model version {version!r}: must be a whole number")
    if status not in statuses:
        raise ValueError(f"model version {version}: status {status!r} is not one of {', '.join(statuses)}")


def add_routes(app: web.Application, catalog_of: Callable[[web.Request], UnityCatalog]) -> None:
    async def get_catalog(request: web.Request) -> web.Response:
        return web.json_response(catalog_of(request).catalog(request.match_info["name"]).as_dict())

    async def get_schema(request: web.Request) -> web.Response:
        return web.json_response(catalog_of(request).schema(request.match_info["full_name"]).as_dict())

    async def get_model(request: web.Request) -> web.Response:
        return web.json_response(catalog_of(request).model(request.match_info["full_name"]).as_dict())

    async def get_model_version(request: web.Request) -> web.Response:
        version = request.match_info["version"]
        if not version.isdigit():
            raise apierrors.invalid(f"version: must be a whole number, not {version!r}")
        found = catalog_of(request).model_version(request.match_info["full_name"], str(int(version)))
        return web.json_response(found.as_dict())

    async def get_registry_version(request: web.Request) -> web.Response:
        name, version = request.query.get("name") or "", request.query.get("version") or ""
        if not name or not version:
            raise apierrors.invalid("name and version are required")
        if not version.isdigit():
            raise apierrors.invalid(f"version: must be a whole number, not {version!r}")
        return web.json_response(catalog_of(request).registry_version(name, str(int(version))).as_dict())

    r = app.router
    r.add_get(f"{UC}/catalogs/{{name}}", get_catalog)
    r.add_get(f"{UC}/schemas/{{full_name}}", get_schema)
    r.add_get(f"{UC}/models/{{full_name}}", get_model)
    r.add_get(f"{UC}/models/{{full_name}}/versions/{{version}}", get_model_version)
    r.add_get(REGISTRY_VERSION, get_registry_version)
