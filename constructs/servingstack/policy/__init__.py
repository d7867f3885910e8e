"""Guardrails as code: policy rules for serving stacks, checked at synth time.

```python
from servingstack import Policy, ProductionPack, suppress

Policy.apply(prod, ProductionPack(owner_tag="owner", cost_tag="cost-center"))
suppress(embeddings, "SS3", reason="embeddings of public docs: payloads are not kept")
```
Rules are small pure functions over an `EndpointView` (one module each under `rules/`);
packs group them. Everything here is plain Python and never imports the constructs: `Policy`,
the aspect that applies packs to a stack, lives with them (`servingstack.cdk.policy`). Error
findings fail the synth with every finding listed, warnings are printed, and each stack gets a
`policy-findings.json` report.
"""

from __future__ import annotations

from servingstack.policy.errors import PolicyError
from servingstack.policy.evaluate import evaluate
from servingstack.policy.findings import Finding, PolicyResult
from servingstack.policy.packs import BaselinePack, Pack, ProductionPack
from servingstack.policy.report import REPORT_FILE, PolicyFailed, report_document
from servingstack.policy.rule import Rule, Severity, rule
from servingstack.policy.rules import ALL_RULES, BASELINE_RULES, PRODUCTION_RULES
from servingstack.policy.secret_scan import Leak, scan_directory, scan_value
from servingstack.policy.suppressions import PolicyTarget, Suppression, suppress
from servingstack.policy.view import EndpointView, SourceLocation

__all__ = [
    "ALL_RULES",
    "BASELINE_RULES",
    "BaselinePack",
    "EndpointView",
    "Finding",
    "Leak",
    "PRODUCTION_RULES",
    "Pack",
    "PolicyError",
    "PolicyFailed",
    "PolicyResult",
    "PolicyTarget",
    "ProductionPack",
    "REPORT_FILE",
    "Rule",
    "Severity",
    "SourceLocation",
    "Suppression",
    "evaluate",
    "report_document",
    "rule",
    "scan_directory",
    "scan_value",
    "suppress",
]
