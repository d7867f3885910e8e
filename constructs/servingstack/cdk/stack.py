"""`ServingStack`: one environment's serving endpoints, its Databricks provider, backend,
default tags, endpoint name prefix and outputs; the one place every endpoint-like construct
registers with (names, logical ids, outputs, checker metadata, deployer grants)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from servingstack.cdk import engine as _cdk
from servingstack.cdk.base import Refusable, construct
from servingstack.cdk.names import WorkspaceNames
from servingstack.cdk.policy import Policy
from servingstack.cdk.problems import is_collecting, refuse_problems
from servingstack.cdk.uc_grants import DeployerGrants, UcGrants
from servingstack.errors import Problem, ValidationError
from servingstack.facts.stackfile import METADATA_KEY
from servingstack.facts.uc_privileges import privilege_problems, securable_problems
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
class ServingStack(_cdk.TerraformStack, metaclass=Refusable):
    """A stack of serving endpoints for one environment:
    `ServingStack(app, "prod", environment="prod", default_tags={"owner": "ml-platform"})`.

    - `environment`: e.g. `"dev"`; default none. It sets the default `name_prefix` (`"dev-"`).
    - `name_prefix`: put in front of every endpoint, secret scope and app name, so environments never
      collide; default `"<environment>-"`, or none without an environment.
    - `default_tags`: tags on every endpoint; an endpoint's own tags win. Default none.
    - `host` / `profile`: the workspace; default unset: the provider reads DATABRICKS_HOST, a token
      or ~/.databrickscfg at apply time, so the same code deploys anywhere.
    - `backend`: a `Backend`; default Terraform's local state.
    - `outputs`: default True: a `TerraformOutput` for each endpoint's name, id and URL.
    - `policy`: default none; packs and rules enforced at synth, as `Policy.apply(stack, *policy)`.
    - `deployer`: default none; the user, group or service principal (application id) that deploys
      the stack: each endpoint then grants it the Unity Catalog privileges serving needs
      (`databricks_grant`, authoritative for that principal; see `cdk/uc_grants.py` and `grant_deployer`).
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
        props: dict[str, Any] = {
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
            # Nothing to build a stack on: while synthesize() collects, it becomes a stand-in.
            raise ValidationError(
                str(id), [Problem("id", f"expected a non-empty str, got {type(id).__name__}"), *problems]
            )
        # A prop of the wrong type is reported above and left at its default, so the stack can still be
        # built while synthesize() collects every problem (its endpoints are checked too).
        wrong = {re.split(r"[\[.]", p.field, maxsplit=1)[0] for p in problems}
        defaults = {"outputs": True, "policy": ()}
        props = {k: defaults.get(k) if k in wrong else v for k, v in props.items()}
        environment, name_prefix, default_tags = props["environment"], props["name_prefix"], props["default_tags"]
        backend, deployer = props["backend"], props["deployer"]
        if environment is not None and not _ENVIRONMENT.match(environment):
            problems.append(
                Problem(
                    "environment",
                    f"{environment!r} must be lowercase letters, digits and '-', "
                    "starting with a letter, at most 20 characters",
                )
            )
            environment = None
        if name_prefix is None:
            name_prefix = f"{environment}-" if environment else ""
        if not _PREFIX.match(name_prefix):
            problems.append(Problem("name_prefix", f"{name_prefix!r} may contain only letters, digits, '-' and '_'"))
            name_prefix = ""
        tags = dict(default_tags or {})
        for key, value in list(tags.items()):
            if not (key.strip() and isinstance(value, str)):
                problems.append(Problem(f"default_tags[{key!r}]", "tags map non-empty strings to strings"))
                del tags[key]
        if backend is not None and backend.kind not in BACKEND_KINDS:
            problems.append(Problem("backend", f"{backend.kind!r} is not one of {', '.join(BACKEND_KINDS)}"))
            backend = None
        if deployer is not None and not deployer.strip():
            problems.append(Problem("deployer", "must be a user name, group name or service principal application id"))
            deployer = None
        if problems and not is_collecting():
            raise ValidationError(id, problems)
        super().__init__(scope, id)
        # A stack with problems is still built while synthesize() collects them, so its endpoints are
        # checked; it claims its names apart from the app's other stacks (its prefix may be a stand-in).
        self.refused = refuse_problems(id, problems)
        self.environment = environment
        self.name_prefix = name_prefix
        self.default_tags = tags
        self.outputs = props["outputs"]
        self.deployer = deployer
        self.workspace = (props["host"].rstrip("/").lower() if props["host"] else None, props["profile"])
        self.endpoints: list[EndpointBase] = []
        # What the checker needs beyond Terraform's schema (task, sample request), by endpoint name.
        self.endpoint_metadata: dict[str, dict[str, Any]] = {}
        # The secret scopes it declares or names as external, by `facts.secrets.scope_key` of their name.
        self.secret_scopes: dict[str, ScopeBase] = {}
        self.policy: Policy | None = None
        self.policy_suppressions: list[Suppression] = []
        self._names = WorkspaceNames() if self.refused else WorkspaceNames.of(scope)
        register = UcGrants() if self.refused else UcGrants.of(scope)
        self.deployer_grants = DeployerGrants(self, deployer, register) if deployer else None
        self._output_keys: dict[str, str] = {}
        # Construct ids directly in the stack: an endpoint's and its outputs' share one namespace.
        self._endpoint_ids: dict[str, str] = {}
        self._output_ids: dict[str, str] = {}
        self._logical_ids: dict[str, str] = {}
        self._at_synth: list[Callable[[], None]] | None = None
        _cdk.stack_metadata(self, METADATA_KEY, lambda: self.endpoint_metadata)
        _cdk.provider(self, host=props["host"], profile=props["profile"])
        if backend is not None:
            _cdk.backend(self, backend.kind, backend.settings)
        if props["policy"]:
            Policy.apply(self, *props["policy"])

    def _become_stand_in(self, scope: Any, props: Mapping[str, Any]) -> None:
        """A stack that could not be built (its id): what its (unchecked, unbuilt) children may read."""
        self.refused = True
        self.environment, self.name_prefix, self.default_tags = None, "", {}
        self.outputs, self.deployer, self.deployer_grants = False, None, None
        self.workspace = (None, None)
        self.endpoints, self.endpoint_metadata, self.secret_scopes = [], {}, {}
        self.policy, self.policy_suppressions = None, []

    def grant_deployer(
        self,
        *,
        privileges: Sequence[str],
        catalog: str | None = None,
        schema: str | None = None,
        model: str | None = None,
    ) -> ServingStack:
        """Privileges the deployer must keep on one securable (exactly one of `catalog=`, `schema=`,
        `model=`), beside those serving needs: `stack.grant_deployer(catalog="ml", privileges=["MANAGE"])`.

        The app's one `databricks_grant` for the deployer on that securable lists them, so the next
        apply keeps them; every direct privilege of the deployer there that no stack declares or needs,
        it takes away (see `cdk/uc_grants.py`). Chainable."""
        given = [(k, v) for k, v in (("catalog", catalog), ("schema", schema), ("model", model)) if v is not None]
        problems = []
        if self.deployer_grants is None:
            problems.append(
                Problem("deployer", "grant_deployer(...) grants to the deployer: set ServingStack(deployer=...)")
            )
        if len(given) != 1:
            problems.append(Problem("grant_deployer", "names exactly one of catalog=, schema= or model="))
        else:
            problems += securable_problems(*given[0])
        problems += privilege_problems("privileges", privileges)
        if refuse_problems(self.path, problems) or self.deployer_grants is None:
            return self
        self.deployer_grants.declare({given[0]: privileges})
        return self

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

    def claim_endpoint(
        self, name: str, path: str, id: str, output_suffixes: Collection[str] = ("name",)
    ) -> list[Problem]:
        """Before an endpoint is built: its final name must be unique among the endpoints of every
        stack of this app on the same workspace (same host and profile); its construct ids must not
        make the logical id of another endpoint (`chat.bot` and `chatbot`); its output names must be
        unique in this stack, and differ from the ids of the stack's endpoints (outputs are children of
        the stack: `chat_name` beside `chat`). Every problem, naming the construct; the ids are claimed
        only without one."""
        problems = []
        # "must be unique across a Databricks workspace": Databricks CLI reference, serving-endpoints create NAME.
        problems += self.claim_name("endpoint", name, path)
        logical = _cdk.logical_id(path[len(self.path) + 1 :].split("/") + ["Default"])
        other = self._logical_ids.get(logical)
        if other is not None and other != path:
            problems.append(
                Problem(
                    "id",
                    f"makes the logical id {logical!r}, as {other} does: cdktf keeps "
                    "only ASCII letters, digits, '-' and '_' of an id",
                )
            )
        key = output_key(id)
        if self.outputs and self._output_keys.get(key, path) != path:
            problems.append(
                Problem(
                    "id",
                    f"its outputs ({key}_name, ...) would have the same names as those of "
                    f"{self._output_keys[key]}: use ids that differ in more than '-' and '_'",
                )
            )
        output_ids = [f"{key}_{suffix}" for suffix in output_suffixes] if self.outputs else []
        direct = path == f"{self.path}/{id}"
        if direct and id in self._output_ids:
            problems.append(Problem("id", f"{id!r} is the name of an output of {self._output_ids[id]}: use another id"))
        for output_id in output_ids:
            if output_id in self._endpoint_ids:
                problems.append(
                    Problem(
                        "id",
                        f"its output {output_id} would have the id of {self._endpoint_ids[output_id]}: "
                        "use ids that are not one another's output names",
                    )
                )
        if not problems:
            self._logical_ids[logical] = path
            self._output_keys[key] = path
            self._output_ids.update(dict.fromkeys(output_ids, path))
            if direct:
                self._endpoint_ids[id] = path
        return problems

    def claim_name(self, kind: str, name: str, path: str, key: str | None = None) -> list[Problem]:
        """`name` of a `kind` (`endpoint`, `secret scope`, `app`) for the construct at `path`: unique
        among the names of that kind of every stack of this app on the same workspace. `key` is what
        makes two names the same (a secret scope's, its name without case)."""
        taken = self._names.claim(self.workspace, kind, name, path, self.path, key=key)
        return [taken] if taken is not None else []

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
