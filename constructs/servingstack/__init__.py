"""servingstack: Databricks Model Serving endpoints as CDKTF constructs.

The value types (entities, providers, gateway, secrets, traffic helpers, errors) are
plain Python and import instantly. The constructs (`ServingEndpoint`, `ServingStack`,
`ServingApp`, `ExistingEndpoint`, `ProvisionedThroughputEndpoint`, `SecretScope`), `Policy` and
`synthesize` load cdktf and jsii on first use, so the checker and the emulator never pay for Node. The policy names (packs, rules,
suppressions) load on first use too.
"""
from __future__ import annotations

import importlib
from typing import Any

from .entities import CustomModel, ExternalModel, FeatureSpec, FoundationModel, ProvisionedThroughput
from .errors import Problem, StackFileError, ValidationError
from .expectations import Expect, Expectation
from .gateway import AiGateway, Guardrail, InferenceTable, RateLimit
from .newer_fields import Telemetry
from .permissions import LEVELS as PERMISSION_LEVELS
from .providers import (AI21Labs, AmazonBedrock, Anthropic, Cohere, CustomProvider, DatabricksModelServing,
                        GoogleVertexAI, OpenAI, PaLM)
from .secrets import Plaintext, SecretRef, secret
from .spec import EmailNotifications, EndpointSpec
from .backend import Backend
from .traffic import blue_green, canary

_LAZY = {
    "ServingEndpoint": "endpoint",
    "ExistingEndpoint": "endpoint",
    "ServingStack": "stack",
    "ServingApp": "apps",
    "ProvisionedThroughputEndpoint": "provisioned",
    "SecretScope": "secret_scope",
    "ExternalSecretScope": "secret_scope",
    "synthesize": "synth",
    "Policy": "policy.aspect",
    "BaselinePack": "policy",
    "ProductionPack": "policy",
    "Pack": "policy",
    "Rule": "policy",
    "Severity": "policy",
    "EndpointView": "policy",
    "PolicyError": "policy",
    "PolicyFailed": "policy",
    "suppress": "policy",
}

__all__ = [
    "AI21Labs", "AiGateway", "AmazonBedrock", "Anthropic", "Backend", "BaselinePack", "Cohere", "CustomModel",
    "CustomProvider", "DatabricksModelServing", "EmailNotifications", "EndpointSpec", "EndpointView", "Expect",
    "Expectation", "ExistingEndpoint", "ExternalModel", "ExternalSecretScope", "FeatureSpec", "FoundationModel",
    "GoogleVertexAI", "Guardrail", "InferenceTable",
    "OpenAI", "PERMISSION_LEVELS", "PaLM", "Pack", "Plaintext", "Policy", "PolicyError", "PolicyFailed", "Problem",
    "ProductionPack", "ProvisionedThroughput", "ProvisionedThroughputEndpoint", "RateLimit", "Rule", "SecretRef",
    "SecretScope", "ServingApp", "ServingEndpoint",
    "ServingStack", "Severity", "StackFileError", "ValidationError", "blue_green", "canary", "secret", "suppress",
    "synthesize", "Telemetry",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'servingstack' has no attribute {name!r}")
