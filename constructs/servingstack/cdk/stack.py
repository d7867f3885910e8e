"""`ServingStack`: one environment's serving endpoints, its Databricks provider, backend,
default tags, endpoint name prefix and outputs; the one place every endpoint-like construct
registers with (names, logical ids, outputs, checker metadata, deployer grants)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import construct
from servingstack.cdk.names import WorkspaceNames
from servingstack.cdk.policy import Policy
from servingstack.cdk.uc_grants import DeployerGrants
from servingstack.errors import Problem, ValidationError
from servingstack.facts.stackfile import METADATA_KEY
from servingstack.model.backend import BACKEND_KINDS, Backend
from servingstack.model.typecheck import call_problems
from servingstack.policy.packs import Pack
from servingstack.policy.rule import Rule
from servingstack.policy.suppressions import Suppression

if TYPE_CHECKING:
    from servingstack.cdk.endpoint import EndpointBase
    from servingstack.cdk.secret_scope import ScopeBase

_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]*$")


@construct
class ServingStack(_cdk.TerraformStack):
    """A stack of serving endpoints for one environment:
    `ServingStack(app, "prod", environment="prod", default_tags={"owner": "ml-platform"})`.

    - `environment`: e.g. `"dev"`; default none. It sets the default `name_prefix` (`"dev-"`).
    - `name_prefix`: put in front of every endpoint name, so environments never collide;
      default `"<environment>-"`, or none without an environment.
    - `default_tags`: tags on every endpoint; an endpoint's own tags win. Default none.
    - `host` / `profile`: the workspace; default unset: the provider reads DATABRICKS_HOST, a token
      or ~/.databrickscfg at apply time, so the same code deploys anywhere.
    - `backend`: a `Backend`; default Terraform's local state.
    - `outputs`: default True: a `TerraformOutput` for each endpoint's name, id and URL.
    - `policy`: default none; packs and rules enforced at synth, as `Policy.apply(stack, *policy)`.
    - `deployer`: default none; the user, group or service principal (application id) that deploys
      the stack: each endpoint then grants it the Unity Catalog privileges serving needs
      (`databricks_grant`; see `cdk/uc_grants.py`).
    """

    def __init__(
        self,
        scope: _cdk.Construct,
        id: str,
        *,
        environment: str | None = None,
        name_prefix: str | None = None,
        default_tags: Mapping[str, str] | None = None,
        host: str | None = None,
        profile: str | None = None,
        backend: Backend | None = None,
        outputs: bool = True,
        policy: Sequence[Pack | Rule] = (),
        deployer: str | None = None,
    ) -> None:
        self.path = id
        props = {
            "environment": environment,
            "name_prefix": name_prefix,
            "default_tags": default_tags,
            "host": host,
            "profile": profile,
            "backend": backend,
            "outputs": outputs,
            "policy": policy,
            "deployer": deployer,
        }
        # Types first: the checks below read the props as the types they declare.
        problems = call_problems(ServingStack.__init__, props)
        if not isinstance(id, str) or not id:
            problems.insert(0, Problem("id", f"expected a non-empty str, got {type(id).__name__}"))
        if problems:
            raise ValidationError(str(id), problems)
        if environment is not None and not _ENVIRONMENT.match(environment):
            problems.append(
                Problem(
                    "environment",
                    f"{environment!r} must be lowercase letters, digits and '-', "
                    "starting with a letter, at most 20 characters",
                )
            )
        if name_prefix is None:
            name_prefix = f"{environment}-" if environment and not problems else ""
        if not _PREFIX.match(name_prefix):
            problems.append(Problem("name_prefix", f"{name_prefix!r} may contain only letters, digits, '-' and '_'"))
        tags = dict(default_tags or {})
        for key, value in tags.items():
            if not (key.strip() and isinstance(value, str)):
                problems.append(Problem(f"default_tags[{key!r}]", "tags map non-empty strings to strings"))
        if backend is not None and backend.kind not in BACKEND_KINDS:
            problems.append(Problem("backend", f"{backend.kind!r} is not one of {', '.join(BACKEND_KINDS)}"))
        if deployer is not None and not deployer.strip():
            problems.append(Problem("deployer", "must be a user name, group name or service principal application id"))
        if problems:
            raise ValidationError(id, problems)
        super().__init__(scope, id)
        self.environment = environment
        self.name_prefix = name_prefix
        self.default_tags = tags
        self.outputs = outputs
        self.deployer = deployer
        self.workspace = (host.rstrip("/").lower() if host else None, profile)
        self.endpoints: list[EndpointBase] = []
        # What the checker needs beyond Terraform's schema (task, sample request), by endpoint name.
        self.endpoint_metadata: dict[str, dict[str, Any]] = {}
        # The secret scopes it declares or names as external, by scope name.
        self.secret_scopes: dict[str, ScopeBase] = {}
        self.policy: Policy | None = None
        self.policy_suppressions: list[Suppression] = []
        self.deployer_grants = DeployerGrants(self, deployer) if deployer else None
        self._names = WorkspaceNames.of(scope)
        self._output_keys: dict[str, str] = {}
        self._logical_ids: dict[str, str] = {}
        self._at_synth: list[Callable[[], None]] | None = None
        _cdk.stack_metadata(self, METADATA_KEY, lambda: self.endpoint_metadata)
        _cdk.provider(self, host=host, profile=profile)
        if backend is not None:
            _cdk.backend(self, backend.kind, backend.settings)
        if policy:
            Policy.apply(self, *policy)

    @staticmethod
    def of(scope: Any) -> ServingStack | None:
        """The ServingStack that `scope` is in (`scope` itself if it is one), else None."""
        if isinstance(scope, ServingStack):
            return scope
        known = getattr(scope, "stack", None)  # servingstack constructs know their stack
        if isinstance(known, ServingStack):
            return known
        try:
            found = _cdk.TerraformStack.of(scope)
        except Exception:  # not inside a stack: the construct tree reports that itself
            return None
        return found if isinstance(found, ServingStack) else None

    # ---- the one registration path of endpoint-like constructs -------------------------------

    def claim_endpoint(self, name: str, path: str, id: str) -> None:
        """Before an endpoint is built: its final name must be unique among the endpoints of every
        stack of this app on the same workspace (same host and profile); its construct ids must not
        make the logical id of another endpoint (`chat.bot` and `chatbot`); its output names must be
        unique in this stack. Every problem at once, naming the construct."""
        problems = []
        # "must be unique across a Databricks workspace": Databricks CLI reference, serving-endpoints create NAME.
        taken = self._names.claim(self.workspace, "endpoint", name, path, self.path)
        if taken is not None:
            problems.append(taken)
        logical = _cdk.logical_id(path[len(self.path) + 1 :].split("/") + ["Default"])
        other = self._logical_ids.get(logical)
        if other is not None:
            problems.append(
                Problem(
                    "id",
                    f"makes the logical id {logical!r}, as {other} does: cdktf keeps "
                    "only ASCII letters, digits, '-' and '_' of an id",
                )
            )
        key = output_key(id)
        if self.outputs and key in self._output_keys:
            problems.append(
                Problem(
                    "id",
                    f"its outputs ({key}_name, ...) would have the same names as those of "
                    f"{self._output_keys[key]}: use ids that differ in more than '-' and '_'",
                )
            )
        if problems:
            raise ValidationError(path, problems)
        self._logical_ids[logical] = path
        self._output_keys[key] = path

    def add_endpoint(
        self, endpoint: EndpointBase, id: str, metadata: Mapping[str, Any], outputs: Mapping[str, tuple[str, str]]
    ) -> None:
        """After an endpoint is built: record it (policy, checker metadata, deployer grants) and add
        its outputs (`outputs`: output name suffix -> (attribute of its resource, what it is))."""
        self.endpoints.append(endpoint)
        self.endpoint_metadata[endpoint.endpoint_name] = dict(metadata)
        if self.deployer_grants is not None:
            self.deployer_grants.add(endpoint.request)
        if not self.outputs:
            return
        key = output_key(id)
        _cdk.output(self, f"{key}_name", endpoint.endpoint_name, f"name of serving endpoint {id}")
        for suffix, (attribute, what) in outputs.items():
            _cdk.output(
                self, f"{key}_{suffix}", endpoint.reference_in_stack(attribute), f"{what} of serving endpoint {id}"
            )

    def adopt_deployer_grants(self) -> ServingStack:
        """Adopt the live Unity Catalog grants of the deployer instead of creating them: a Terraform
        import block for each `databricks_grant` this stack declares (now or later). `servingstack
        import --uc-grants` writes it."""
        if self.deployer_grants is None:
            raise ValidationError(self.path, [Problem("deployer", "adopt_deployer_grants() needs a deployer=")])
        self.deployer_grants.adopt()
        return self

    def at_synth(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the app synthesizes this stack, before its resources render."""
        if self._at_synth is None:
            self._at_synth = []
            callbacks = self._at_synth
            _cdk.at_synth(self, "ServingstackPermissions", lambda: [c() for c in list(callbacks)])
        self._at_synth.append(callback)


def output_key(id: str) -> str:
    """The prefix of an endpoint's output names, from its construct id."""
    return re.sub(r"[^A-Za-z0-9_]", "_", id)
