"""Unity Catalog privileges the deploying principal needs for serving, as `databricks_grant`
resources: opt-in with `ServingStack(..., deployer="<user, group or service principal application id>")`.

What is needed comes from `facts/uc_privileges.py` (pure Python); this module adds the resources,
one per securable, widened as endpoints join the stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from servingstack.cdk import engine as _cdk
from servingstack.facts.uc_privileges import required_privileges

_ANCHOR_ID = "UnityCatalogGrants"


class DeployerGrants:
    """The grants a stack declares for its deployer, one `databricks_grant` per securable."""

    def __init__(self, stack: Any, deployer: str) -> None:
        self.stack = stack
        self.deployer = deployer
        self._anchor: Any = None
        self._resources: dict[tuple[str, str], Any] = {}
        self._needed: dict[tuple[str, str], set[str]] = {}
        self._adopted = False

    def add(self, request: Mapping[str, Any]) -> None:
        """Add or widen the grants that one endpoint's request needs."""
        for key, privileges in required_privileges([request]).items():
            have = self._needed.setdefault(key, set())
            if privileges <= have:
                continue
            have |= privileges
            ordered = sorted(have)
            if key in self._resources:
                _cdk.set_privileges(self._resources[key], ordered)
                continue
            if self._anchor is None:
                self._anchor = _cdk.Construct(self.stack, _ANCHOR_ID)
            kind, name = key
            id = f"{kind}-{re.sub(r'[^A-Za-z0-9_-]', '_', name)}"
            self._resources[key] = _cdk.uc_grant(
                self._anchor, id, securable=kind, full_name=name, principal=self.deployer, privileges=ordered
            )
            if self._adopted:
                _cdk.import_existing(self._resources[key], self._import_id(key))

    def adopt(self) -> None:
        """Adopt the live grants instead of creating them: a Terraform import block for each grant,
        made now or later (`<securable>/<full name>/<principal>`, provider docs resources/grant.md "Import")."""
        self._adopted = True
        for key, resource in self._resources.items():
            _cdk.import_existing(resource, self._import_id(key))

    def _import_id(self, key: tuple[str, str]) -> str:
        # The first part is the resource's attribute name (`model`, not the API's `function`):
        # provider catalog/resource_grant.go `toSecurableId`.
        kind, name = key
        return f"{kind}/{name}/{self.deployer}"

    @property
    def grants(self) -> dict[tuple[str, str], list[str]]:
        """(securable kind, full name) -> privileges, as synthesized."""
        return {key: sorted(value) for key, value in self._needed.items()}
