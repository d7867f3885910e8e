"""`ServingStack`: one environment's serving endpoints, its Databricks provider, backend,
default tags, endpoint name prefix and outputs."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import _cdk, uc_grants
from .backend import BACKEND_KINDS, Backend
from .errors import Problem, ValidationError
from .stackfile import METADATA_KEY

if TYPE_CHECKING:
    from .endpoint import ServingEndpoint

_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]*$")


class ServingStack(_cdk.TerraformStack):
    """A stack of serving endpoints for one environment.

    - `environment`: e.g. `"dev"`; default none. It sets the default `name_prefix` (`"dev-"`).
    - `name_prefix`: put in front of every endpoint name, so environments never collide.
    - `default_tags`: tags on every endpoint; an endpoint's own tags win.
    - `host` / `profile`: the workspace; default: the provider reads DATABRICKS_HOST, a token
      or ~/.databrickscfg at apply time, so the same code deploys anywhere.
    - `backend`: a `Backend`; default Terraform's local state.
    - `outputs`: default True: a `TerraformOutput` for each endpoint's name, id and URL.
    - `policy`: default none; packs and rules enforced at synth, as `Policy.apply(stack, *policy)`.
    - `deployer`: default none; the user, group or service principal (application id) that deploys
      the stack: each endpoint then grants it the Unity Catalog privileges serving needs
      (`databricks_grant`, non-authoritative; see `uc_grants.py`).
    """

    def __init__(self, scope: _cdk.Construct, id: str, *, environment: str | None = None,
                 name_prefix: str | None = None, default_tags: Mapping[str, str] | None = None,
                 host: str | None = None, profile: str | None = None, backend: Backend | None = None,
                 outputs: bool = True, policy: Sequence[Any] = (), deployer: str | None = None) -> None:
        self.path = id
        problems = []
        if environment is not None and not (isinstance(environment, str) and _ENVIRONMENT.match(environment)):
            problems.append(Problem("environment", f"{environment!r} must be lowercase letters, digits and '-', "
                                                   "starting with a letter, at most 20 characters"))
        if name_prefix is None:
            name_prefix = f"{environment}-" if environment and not problems else ""
        if not (isinstance(name_prefix, str) and _PREFIX.match(name_prefix)):
            problems.append(Problem("name_prefix", f"{name_prefix!r} may contain only letters, digits, '-' and '_'"))
        tags = dict(default_tags or {})
        for key, value in tags.items():
            if not (isinstance(key, str) and key.strip() and isinstance(value, str)):
                problems.append(Problem(f"default_tags[{key!r}]", "tags map non-empty strings to strings"))
        if backend is not None and backend.kind not in BACKEND_KINDS:
            problems.append(Problem("backend", f"{backend.kind!r} is not one of {', '.join(BACKEND_KINDS)}"))
        if deployer is not None and not uc_grants.valid_deployer(deployer):
            problems.append(Problem("deployer", "must be a user name, group name or service principal application id"))
        if problems:
            raise ValidationError(id, problems)
        super().__init__(scope, id)
        self.deployer = deployer
        self.environment = environment
        self.name_prefix = name_prefix
        self.default_tags = tags
        self.outputs = outputs
        self.endpoints: list[ServingEndpoint] = []
        # What the checker needs beyond Terraform's schema (task, sample request), by endpoint name.
        self.endpoint_metadata: dict[str, dict] = {}
        _cdk.stack_metadata(self, METADATA_KEY, lambda: self.endpoint_metadata)
        _cdk.provider(self, host=host, profile=profile)
        if backend is not None:
            _cdk.backend(self, backend.kind, backend.settings)
        if policy:
            from .policy import Policy

            Policy.apply(self, *policy)

    def register(self, id: str, endpoint: "ServingEndpoint") -> None:
        """Called by each endpoint of this stack: records it and adds its outputs."""
        self.endpoints.append(endpoint)
        self.endpoint_metadata[endpoint.endpoint_name] = endpoint.spec.metadata()
        uc_grants.on_register(self, endpoint)
        if not self.outputs:
            return
        key = re.sub(r"[^A-Za-z0-9_]", "_", id)
        _cdk.output(self, f"{key}_name", endpoint.endpoint_name, f"name of serving endpoint {id}")
        _cdk.output(self, f"{key}_serving_endpoint_id", endpoint.reference_in_stack("serving_endpoint_id"),
                    f"id of serving endpoint {id}")
        _cdk.output(self, f"{key}_url", endpoint.reference_in_stack("endpoint_url"), f"URL of serving endpoint {id}")
