"""Secret VALUES the constructs refuse: plaintext keys without the loud opt-in, and strings shaped
like real credentials where a `{{secrets/<scope>/<key>}}` reference belongs.

This is servingstack's own line, not the service's: the emulator never applies it. A secret-looking
NAME (`TOKENIZERS_PARALLELISM`, `PRIMARY_KEY_COLUMN`) is no reason to refuse anything; policy rule
SS5 may warn about it.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from .errors import Problem


def problems(request: Mapping[str, Any], *, allow_plaintext: bool) -> list[Problem]:
    """Every refused secret value of an API create request, named by field, never quoting the value."""
    if allow_plaintext:
        return []
    from .policy.secret_scan import find_tokens  # the credential shapes live with the policy scan

    found = []
    for where, key, value in _strings(request, ""):
        if key.endswith("_plaintext"):
            found.append(Problem(where, "puts the secret into Terraform state in plaintext: use a secret "
                                        "reference, or opt in with allow_plaintext_secrets=True"))
        elif where.split(".")[-1].startswith("environment_vars["):
            kinds = find_tokens(value)
            if kinds:
                found.append(Problem(where, f"holds a value shaped like a credential ({kinds[0]}): put it in a secret "
                                            "scope and pass secret(scope, key)"))
    return found


def _strings(value: Any, where: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            key = str(key)
            if where.endswith("environment_vars"):
                here = f"{where}[{key}]"
            else:
                here = f"{where}.{key}" if where else key
            if isinstance(item, str):
                yield here, key, item
            else:
                yield from _strings(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
