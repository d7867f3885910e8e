"""Guardrails as code: policy rules for serving stacks, checked at synth time.

```python
from servingstack.policy import Policy, ProductionPack, suppress

Policy.apply(prod, ProductionPack(owner_tag="owner", cost_tag="cost-center"))
suppress(embeddings, "SS3", reason="embeddings of public docs: payloads are not kept")
```
Rules are small pure functions over an `EndpointView` (one module each under `rules/`);
packs group them; `Policy` applies packs to a stack as a cdktf Aspect. Error findings fail
the synth with every finding listed, warnings are printed, and each stack gets a
`policy-findings.json` report. Everything except `Policy` is plain Python: only `Policy`
loads cdktf, on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from .errors import PolicyError, PolicyFailed
from .evaluate import evaluate
from .findings import Finding, PolicyResult
from .packs import BaselinePack, Pack, ProductionPack
from .report import REPORT_FILE, report_document
from .rule import Rule, Severity, rule
from .rules import ALL_RULES, BASELINE_RULES, PRODUCTION_RULES
from .secret_scan import Leak, redact, scan_directory, scan_value
from .suppressions import Suppression, suppress
from .view import EndpointView

_LAZY = {"Policy": "aspect", "enforce": "enforce"}

__all__ = [
    "ALL_RULES", "BASELINE_RULES", "BaselinePack", "EndpointView", "Finding", "Leak", "PRODUCTION_RULES", "Pack",
    "Policy", "PolicyError", "PolicyFailed", "PolicyResult", "ProductionPack", "REPORT_FILE", "Rule", "Severity",
    "Suppression", "enforce", "evaluate", "redact", "report_document", "rule", "scan_directory", "scan_value",
    "suppress",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'servingstack.policy' has no attribute {name!r}")
