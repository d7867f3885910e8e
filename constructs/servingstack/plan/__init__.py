"""Before the apply: what a synthesized stack's apply will change in serving terms, what it takes away,
what Terraform will not apply, and what will fail.

    from servingstack.plan import run_plan
    report = run_plan("cdktf.out/stacks/prod", host=url, token=token, state="terraform.prod.tfstate")
    report.exit_code(detailed=True)  # 0 nothing to do, 1 problems found, 5 changes and no problem
    report.to_dict()                 # the JSON report (schema: servingstack.plan.report_json.SCHEMA)

`run_plan` raises `SetupError` (exit code 2) for a bad stack, state file or options, no usable
workspace or rejected credentials. The live reads alone, for other tools: `servingstack.plan.live`.
"""

from __future__ import annotations

from servingstack.plan.results import (
    EXIT_CHANGES,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_SETUP,
    FieldChange,
    Finding,
    PlanReport,
    ResourceChange,
)
from servingstack.plan.runner import DEFAULT_TIMEOUT_SECONDS, run_plan

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "EXIT_CHANGES",
    "EXIT_OK",
    "EXIT_PROBLEMS",
    "EXIT_SETUP",
    "FieldChange",
    "Finding",
    "PlanReport",
    "ResourceChange",
    "run_plan",
]
