"""SS5 prefers a Unity Catalog service credential to Bedrock access keys where the engine's
provider can declare one (cdktn), and leaves keys alone where they are the only way (cdktf)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policy_support import spec, view
from servingstack import AmazonBedrock, ExternalModel, Plaintext, secret
from servingstack.policy.rules import SS5

KEYS = AmazonBedrock(
    region="us-east-1",
    bedrock_provider="anthropic",
    access_key_id=secret("aws", "id"),
    secret_access_key=secret("aws", "key"),
)
CREDENTIAL = AmazonBedrock(
    region="us-east-1", bedrock_provider="anthropic", uc_service_credential_name="bedrock-access"
)


def bedrock(provider, engine=None, **props):
    """The view of a Bedrock endpoint in a stack that builds with `engine`."""
    seen = view(spec(served_entities=[ExternalModel("anthropic.claude-3", provider)], **props))
    return replace(seen, engine=engine)


def test_on_cdktn_bedrock_access_keys_are_a_finding_and_the_credential_passes():
    problems = list(SS5(bedrock(KEYS, "cdktn")))
    assert [(p.field, p.message) for p in problems] == [
        (
            "config.served_entities[0].external_model.amazon_bedrock_config.aws_access_key_id",
            "long-lived AWS access keys: use uc_service_credential_name (a Unity Catalog service credential) instead",
        )
    ]
    assert list(SS5(bedrock(CREDENTIAL, "cdktn"))) == []


def test_on_cdktn_plaintext_keys_are_reported_both_ways_without_their_value():
    plaintext = AmazonBedrock(
        region="us-east-1",
        bedrock_provider="anthropic",
        access_key_id=Plaintext("AKIAABCDEFGHIJKLMNOP"),
        secret_access_key=Plaintext("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    )
    problems = list(SS5(bedrock(plaintext, "cdktn", allow_plaintext_secrets=True)))
    assert "config.served_entities[0].external_model.amazon_bedrock_config.aws_access_key_id_plaintext" in [
        p.field for p in problems
    ]
    assert "AKIA" not in str(problems) and "wJalr" not in str(problems)


@pytest.mark.parametrize("name", ["cdktf", None])
def test_where_keys_are_the_only_way_referenced_keys_pass(name):
    assert list(SS5(bedrock(KEYS, name))) == []
