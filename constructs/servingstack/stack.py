"""`ServingStack`: one environment's serving endpoints, its Databricks provider, backend,
default tags, endpoint name prefix and outputs."""
from __future__ import annotations

import functools
import inspect
import re
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from . import _cdk, uc_grants
from .backend import BACKEND_KINDS, Backend
from .errors import Problem, ValidationError
from .stackfile import METADATA_KEY
from .typecheck import call_problems, unknown_arguments

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
                 outputs: bool = True, policy: Sequence[Any] = (), deployer: str | None = None,
                 **unknown: Any) -> None:
        self.path = id
        props = {name: value for name, value in locals().items() if name in _props()}
        # Types first: the checks below read the props as the types they declare.
        problems = unknown_arguments(unknown, list(props), "ServingStack") + call_problems(ServingStack.__init__, props)
        if not isinstance(id, str) or not id:
            problems.insert(0, Problem("id", f"expected a non-empty str, got {type(id).__name__}"))
        if problems:
            raise ValidationError(str(id), problems)
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
        # Endpoint names are unique per workspace, across every stack of the app that deploys there.
        root = scope.node.root
        self._names_by_workspace: dict[tuple, dict[str, tuple[str, str]]] = root.__dict__.setdefault(
            "_servingstack_endpoint_names", {})
        self.workspace = (host.rstrip("/").lower() if host else None, profile)
        self._output_keys: dict[str, str] = {}
        self._logical_ids: dict[str, str] = {}
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

    def claim_endpoint_name(self, name: str, path: str, id: str) -> None:
        """Called by each endpoint before it is built: its final name must be unique among the
        endpoints of every stack of this app on the same workspace (same host and profile), and
        its output names unique in this stack."""
        problems = []
        names = self._names_by_workspace.setdefault(self.workspace, {})
        # "must be unique across a Databricks workspace": Databricks CLI reference, serving-endpoints create NAME.
        if name in names:
            other, other_stack = names[name]
            where = "" if other_stack == self.path else (
                f": stacks {other_stack!r} and {self.path!r} deploy to the same workspace (same host and profile); "
                "give one a different name_prefix, host or profile")
            problems.append(Problem("name", f"{name!r} is also the name of {other}: endpoint names are unique "
                                            f"in a workspace{where}"))
        key = _output_key(id)
        if self.outputs and key in self._output_keys:
            problems.append(Problem("id", f"its outputs ({key}_name, ...) would have the same names as those of "
                                          f"{self._output_keys[key]}: use ids that differ in more than '-' and '_'"))
        if problems:
            raise ValidationError(path, problems)
        names[name] = (path, self.path)
        self._output_keys[key] = path

    def claim_logical_id(self, path: str) -> None:
        """Two endpoints whose construct ids the engine would turn into one logical id (`chat.bot`
        and `chatbot`) are refused, naming both, instead of one resource overwriting the other."""
        logical = _cdk.logical_id(path[len(self.path) + 1:].split("/") + ["Default"])
        other = self._logical_ids.get(logical)
        if other is not None:
            raise ValidationError(path, [Problem("id", f"makes the logical id {logical!r}, as {other} does: cdktf keeps "
                                                       "only ASCII letters, digits, '-' and '_' of an id")])
        self._logical_ids[logical] = path

    def register(self, id: str, endpoint: "ServingEndpoint") -> None:
        """Called by each endpoint of this stack: records it and adds its outputs."""
        self.endpoints.append(endpoint)
        self.endpoint_metadata[endpoint.endpoint_name] = endpoint.spec.metadata()
        uc_grants.on_register(self, endpoint)
        if not self.outputs:
            return
        key = _output_key(id)
        _cdk.output(self, f"{key}_name", endpoint.endpoint_name, f"name of serving endpoint {id}")
        _cdk.output(self, f"{key}_serving_endpoint_id", endpoint.reference_in_stack("serving_endpoint_id"),
                    f"id of serving endpoint {id}")
        _cdk.output(self, f"{key}_url", endpoint.reference_in_stack("endpoint_url"), f"URL of serving endpoint {id}")


@functools.lru_cache(maxsize=None)
def _props() -> tuple[str, ...]:
    """The keyword props of `ServingStack`, from its signature."""
    return tuple(name for name, p in inspect.signature(ServingStack.__init__).parameters.items()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY)


def _output_key(id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", id)
