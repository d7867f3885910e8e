"""What the Apps service accepts of an app that queries serving endpoints."""

from __future__ import annotations

import re
from typing import Any

from servingstack.errors import Problem

# SDK apps.App.name: "The name must contain only lowercase alphanumeric characters and hyphens. It must be
# unique within the workspace." (Older SDKs added "between 2 and 30 characters long"; the current
# docstring sets no length, so neither do we.)
APP_NAME = re.compile(r"^[a-z0-9-]+$")
# TF-GO AppResources.name is required; the docs set no character or length rule for it: any non-empty string.
RESOURCE_NAME = re.compile(r"^.+$", re.DOTALL)
# SDK enum AppResourceServingEndpointServingEndpointPermission.
SERVING_ENDPOINT_PERMISSIONS = ("CAN_MANAGE", "CAN_QUERY", "CAN_VIEW")


def app_name_problems(name: Any, prefix: str = "") -> list[Problem]:
    """The app name rule, on the name as the workspace gets it (`prefix` is the part a stack put in front)."""
    if isinstance(name, str) and APP_NAME.match(name):
        return []
    if prefix and isinstance(name, str) and not APP_NAME.match(prefix):
        return [
            Problem(
                "name",
                f"{name!r} may contain only lowercase letters, digits and '-': the stack's name_prefix {prefix!r} "
                "does not fit an app name; give the stack a name_prefix of lowercase letters, digits and '-'",
            )
        ]
    return [Problem("name", f"{name!r} may contain only lowercase letters, digits and '-'")]
