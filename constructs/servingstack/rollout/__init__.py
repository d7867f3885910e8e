"""`servingstack rollout`: the progressive rollout a stack declares, carried out against the live workspace.

    from servingstack.rollout import run_rollout
    report = run_rollout("cdktf.out/stacks/prod", "prod-fraud-scoring", host=url, token=token)
    report.outcome            # completed | rolled_back | failed | interrupted | timed_out
    report.exit_code          # 0 completed, 1 rolled back or failed, 130 interrupted
    report.to_dict()          # the JSON report (see `servingstack.rollout.reports`)

`run_rollout` raises `SetupError` (exit code 2) for a bad stack, options, configuration or credentials.
"""

from __future__ import annotations

from servingstack.rollout.results import Evaluation, GateResult, RolloutReport, SplitChange, Step
from servingstack.rollout.runner import RolloutOptions, default_timeout, run_rollout

__all__ = [
    "run_rollout",
    "RolloutOptions",
    "default_timeout",
    "RolloutReport",
    "Step",
    "Evaluation",
    "GateResult",
    "SplitChange",
]
