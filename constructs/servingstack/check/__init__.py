"""The post-deploy checker: is every endpoint of a synthesized stack READY, as declared, and answering?

    from servingstack.check import run_check
    report = run_check("cdktf.out/stacks/prod", host=url, token=token, timeout=600)
    report.exit_code          # 0 pass, 1 an endpoint failed, 130 interrupted
    report.to_dict()          # the JSON report (schema: servingstack.check.report_json.SCHEMA)

`run_check` raises `SetupError` (exit code 2) for a bad stack directory, options,
configuration or credentials. The `servingstack check` command wraps it.

`run_check` and what needs the Databricks SDK load on first use: the report types and writers
import without it, so `servingstack check` can clear old reports and take Ctrl-C or SIGTERM
before the SDK's second of imports (and write an interrupted report during them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from servingstack.check.drift import Difference
from servingstack.check.readiness import PollPolicy
from servingstack.check.results import (
    DEFAULT_TIMEOUT_SECONDS,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SETUP,
    CheckReport,
    EndpointResult,
    QueryStats,
    StepResult,
)
from servingstack.client.errors import AuthenticationError, ConfigurationError, SetupError, UsageError

if TYPE_CHECKING:
    from servingstack.check.runner import run_check


def __getattr__(name: str) -> Any:
    """`run_check` (the runner needs the SDK) loads on first use."""
    if name == "run_check":
        return importlib.import_module("servingstack.check.runner").run_check
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "run_check",
    "DEFAULT_TIMEOUT_SECONDS",
    "PollPolicy",
    "CheckReport",
    "EndpointResult",
    "StepResult",
    "QueryStats",
    "Difference",
    "SetupError",
    "UsageError",
    "ConfigurationError",
    "AuthenticationError",
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_SETUP",
    "EXIT_INTERRUPTED",
]
