"""Which engine the imported program will build with, so it declares only what that engine's
provider binding has (`telemetry` and app compute bounds need provider 1.138, the cdktn engine).

The same choice as `servingstack.cdk.engine.select_engine` makes when the program runs, without
loading an engine here: `SERVINGSTACK_CDK_ENGINE` when set, else the first engine installed
(cdktf, then cdktn).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping

from servingstack.facts.newer_fields import NEWER_FIELD_ENGINES

ENGINE_VARIABLE = "SERVINGSTACK_CDK_ENGINE"
# Engine -> its Python package and its prebuilt Databricks provider bindings (cdk/engine.py ENGINES).
ENGINE_MODULES = {
    "cdktf": ("cdktf", "cdktf_cdktf_provider_databricks"),
    "cdktn": ("cdktn", "cdktn_provider_databricks"),
}


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def target_engine(environ: Mapping[str, str] = os.environ, installed: Callable[[str], bool] = _installed) -> str | None:
    """The engine's name, or None when none is installed (the program then cannot run here at all)."""
    chosen = environ.get(ENGINE_VARIABLE, "").strip().lower()
    if chosen in ENGINE_MODULES:
        return chosen
    for engine, modules in ENGINE_MODULES.items():
        if all(installed(m) for m in modules):
            return engine
    return None


def has_newer_fields(engine: str | None) -> bool:
    """True when the engine's provider binding has the 1.138 fields (telemetry, app compute bounds)."""
    return engine in NEWER_FIELD_ENGINES
