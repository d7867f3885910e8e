"""SS5: no secret in plaintext anywhere in an endpoint; and where the engine's provider can
declare a Unity Catalog service credential for Bedrock, no long-lived AWS keys either."""

from __future__ import annotations

from collections.abc import Iterator

from servingstack.errors import Problem
from servingstack.facts import newer_fields
from servingstack.policy.rule import rule
from servingstack.policy.secret_scan import scan_value
from servingstack.policy.view import EndpointView

_BEDROCK_KEYS = (
    "aws_access_key_id",
    "aws_access_key_id_plaintext",
    "aws_secret_access_key",
    "aws_secret_access_key_plaintext",
)


@rule(
    "SS5",
    "No secret in plaintext",
    why="A plaintext key is written into the synthesized JSON and into Terraform state, and from "
    "there into every copy of them; a secret reference keeps the value in the workspace. "
    "A Unity Catalog service credential gives Bedrock access with no long-lived key at all.",
    fix="Put the value in a Databricks secret scope and pass secret(scope, key) instead of "
    "Plaintext(...) or a literal, for provider keys and for environment variables alike. "
    "On the cdktn engine, give AmazonBedrock a uc_service_credential_name instead of access keys.",
)
def plaintext_secrets(endpoint: EndpointView) -> Iterator[Problem]:
    # Messages name the field and the kind of secret, never the value.
    for leak in scan_value(endpoint.request):
        yield Problem(leak.location, f"holds {leak.kind}")
    if endpoint.engine not in newer_fields.NEWER_FIELD_ENGINES:
        return  # the cdktf provider (1.99) has no uc_service_credential_name: keys are the only way there
    entities = (endpoint.request.get("config") or {}).get("served_entities") or []
    for index, entity in enumerate(entities):
        bedrock = (entity.get("external_model") or {}).get("amazon_bedrock_config") or {}
        keys = [k for k in _BEDROCK_KEYS if bedrock.get(k) is not None]
        if keys:
            yield Problem(
                f"config.served_entities[{index}].external_model.amazon_bedrock_config.{keys[0]}",
                "long-lived AWS access keys: use uc_service_credential_name (a Unity Catalog "
                "service credential) instead",
            )
