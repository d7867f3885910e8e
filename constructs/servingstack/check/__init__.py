"""The post-deploy checker: is every endpoint of a synthesized stack READY, as declared, and answering?

    from servingstack.check import run_check
    report = run_check("cdktf.out/stacks/prod", host=url, token=token, timeout=600)
    report.exit_code          # 0 pass, 1 an endpoint failed, 130 interrupted
    report.to_dict()          # the JSON report (schema: servingstack.check.report_json.SCHEMA)

`run_check` raises `SetupError` (exit code 2) for a bad stack directory, options,
configuration or credentials. The `servingstack check` command wraps it.
"""

from __future__ import annotations

from servingstack.check.drift import Difference
from servingstack.check.readiness import PollPolicy
from servingstack.check.results import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SETUP,
    CheckReport,
    EndpointResult,
    QueryStats,
    StepResult,
)
from servingstack.check.runner import DEFAULT_TIMEOUT_SECONDS, run_check
from servingstack.client.errors import AuthenticationError, ConfigurationError, SetupError, UsageError

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
