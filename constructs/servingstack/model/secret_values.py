"""Secret VALUES the constructs refuse: plaintext keys without the loud opt-in, and strings shaped
like real credentials where a `{{secrets/<scope>/<key>}}` reference belongs.

This is servingstack's own line, not the service's: the emulator never applies it. A secret-looking
NAME (`TOKENIZERS_PARALLELISM`, `PRIMARY_KEY_COLUMN`) is no reason to refuse anything; policy rule
SS13 may warn about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servingstack.errors import Problem
from servingstack.facts.secrets import find_tokens
from servingstack.facts.walk import strings


def problems(request: Mapping[str, Any], *, allow_plaintext: bool) -> list[Problem]:
    """Every refused secret value of an API create request, named by field, never quoting the value."""
    if allow_plaintext:
        return []
    found = []
    for node in strings(request):
        if node.key.endswith("_plaintext"):
            found.append(
                Problem(
                    node.path,
                    "puts the secret into Terraform state in plaintext: use a secret "
                    "reference, or opt in with allow_plaintext_secrets=True",
                )
            )
        elif node.parent == "environment_vars":
            kinds = find_tokens(node.value)
            if kinds:
                found.append(
                    Problem(
                        node.path,
                        f"holds a value shaped like a credential ({kinds[0]}): put it in a secret "
                        "scope and pass secret(scope, key)",
                    )
                )
    return found
