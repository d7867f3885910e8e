"""servingstack: Databricks Model Serving endpoints as CDKTF or CDK Terrain constructs.

The package is built in floors, each importing only the floors below it:

- `facts/`: what the service accepts, on API-shaped dicts, every rule sourced;
- `model/`: the typed value types (entities, providers, gateway, secrets, ...) that produce those dicts;
- `policy/`: opinions (rules and packs) over a read-only view of an endpoint;
- `cdk/`: the only floor that loads an engine (cdktf or cdktn) and jsii: the constructs and synth;
- beside it, the tools: `client/` (the workspace client they share), `check/`, `importer/`,
  `emulator/` (the server), `deploy/` (`emulator apply`), and the command line `cli/`.

The value types import instantly. The constructs (`ServingEndpoint`, `ServingStack`, `ServingApp`,
`ProvisionedThroughputEndpoint`, `SecretScope`, ...), `Policy` and `synthesize` load the engine on
first use, so the checker and the emulator never pay for Node; type checkers see them all as they are.
"""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it (setuptools `dynamic`), and so
# does `servingstack --version`. A plain literal: setuptools reads it without importing the package.
__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

from servingstack.errors import Problem, StackFileError, ValidationError
from servingstack.model.backend import Backend
from servingstack.model.entities import (
    CustomModel,
    ExternalModel,
    FeatureSpec,
    FoundationModel,
    ProvisionedThroughput,
    ServedEntity,
)
from servingstack.model.expectations import Expect, Expectation
from servingstack.model.gateway import AiGateway, Guardrail, InferenceTable, RateLimit
from servingstack.model.grants import ENDPOINT_LEVELS as PERMISSION_LEVELS
from servingstack.model.grants import Principal
from servingstack.model.providers import (
    AI21Labs,
    AmazonBedrock,
    Anthropic,
    Cohere,
    CustomProvider,
    DatabricksModelServing,
    GoogleVertexAI,
    OpenAI,
    PaLM,
)
from servingstack.model.rollout import Gate, Rollout
from servingstack.model.secrets import Plaintext, SecretRef, secret
from servingstack.model.spec import EmailNotifications, EndpointSpec
from servingstack.model.telemetry import Telemetry
from servingstack.model.traffic import blue_green, canary
from servingstack.policy import (
    BaselinePack,
    EndpointView,
    Pack,
    PolicyError,
    PolicyFailed,
    ProductionPack,
    Rule,
    Severity,
    suppress,
)

if TYPE_CHECKING:
    from servingstack.cdk.app import ServingApp
    from servingstack.cdk.endpoint import ExistingEndpoint, ServingEndpoint
    from servingstack.cdk.policy import Policy
    from servingstack.cdk.provisioned import ProvisionedThroughputEndpoint
    from servingstack.cdk.secret_scope import ExternalSecretScope, SecretScope
    from servingstack.cdk.stack import ServingStack
    from servingstack.cdk.synth import synthesize

# The names that load an engine, and the module of each: imported when first used.
_ENGINE_NAMES = {
    "ServingEndpoint": "servingstack.cdk.endpoint",
    "ExistingEndpoint": "servingstack.cdk.endpoint",
    "ServingStack": "servingstack.cdk.stack",
    "ServingApp": "servingstack.cdk.app",
    "ProvisionedThroughputEndpoint": "servingstack.cdk.provisioned",
    "SecretScope": "servingstack.cdk.secret_scope",
    "ExternalSecretScope": "servingstack.cdk.secret_scope",
    "Policy": "servingstack.cdk.policy",
    "synthesize": "servingstack.cdk.synth",
}

__all__ = [
    "AI21Labs",
    "AiGateway",
    "AmazonBedrock",
    "Anthropic",
    "Backend",
    "BaselinePack",
    "Cohere",
    "CustomModel",
    "CustomProvider",
    "DatabricksModelServing",
    "EmailNotifications",
    "EndpointSpec",
    "EndpointView",
    "ExistingEndpoint",
    "Expect",
    "Expectation",
    "ExternalModel",
    "ExternalSecretScope",
    "FeatureSpec",
    "FoundationModel",
    "Gate",
    "GoogleVertexAI",
    "Guardrail",
    "InferenceTable",
    "OpenAI",
    "PERMISSION_LEVELS",
    "Pack",
    "PaLM",
    "Plaintext",
    "Policy",
    "PolicyError",
    "PolicyFailed",
    "Principal",
    "Problem",
    "ProductionPack",
    "ProvisionedThroughput",
    "ProvisionedThroughputEndpoint",
    "RateLimit",
    "Rollout",
    "Rule",
    "SecretRef",
    "SecretScope",
    "ServedEntity",
    "ServingApp",
    "ServingEndpoint",
    "ServingStack",
    "Severity",
    "StackFileError",
    "Telemetry",
    "ValidationError",
    "blue_green",
    "canary",
    "secret",
    "suppress",
    "synthesize",
]

if not TYPE_CHECKING:  # type checkers read the imports above; at run time the engine loads on first use

    def __getattr__(name: str) -> Any:
        if name in _ENGINE_NAMES:
            return getattr(importlib.import_module(_ENGINE_NAMES[name]), name)
        raise AttributeError(f"module 'servingstack' has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_ENGINE_NAMES))
