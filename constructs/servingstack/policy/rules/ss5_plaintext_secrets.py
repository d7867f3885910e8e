"""SS5: no secret in plaintext anywhere in an endpoint."""
from __future__ import annotations

from typing import Iterator

from ...errors import Problem
from ..rule import rule
from ..secret_scan import scan_value
from ..view import EndpointView


@rule("SS5", "No secret in plaintext",
      why="A plaintext key is written into the synthesized JSON and into Terraform state, and from "
          "there into every copy of them; a secret reference keeps the value in the workspace.",
      fix="Put the value in a Databricks secret scope and pass secret(scope, key) instead of "
          "Plaintext(...) or a literal, for provider keys and for environment variables alike.")
def plaintext_secrets(endpoint: EndpointView) -> Iterator[Problem]:
    # Messages name the field and the kind of secret, never the value.
    for leak in scan_value(endpoint.request):
        yield Problem(leak.location, f"holds {leak.kind}")
