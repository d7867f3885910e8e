"""The emulator holds secret scopes and keys to the same rule as the constructs (facts/secrets.py):
names of letters, digits, '-', '_', '.' and '@', scope names without case, and the documented limits;
through the unmodified databricks-sdk over HTTP, and the store itself for the limits."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import InvalidParameterValue, ResourceAlreadyExists
from databricks.sdk.service.serving import (
    EndpointCoreConfigInput,
    ExternalModel,
    ExternalModelProvider,
    OpenAiConfig,
    ServedEntityInput,
)

from emu_support import wait_ready
from servingstack.emulator.apierrors import ApiError
from servingstack.emulator.secrets_api import SecretStore
from servingstack.facts.secrets import MAX_SCOPES_PER_WORKSPACE, MAX_SECRET_VALUE_BYTES, MAX_SECRETS_PER_SCOPE


def test_scope_names_ignore_case_and_keep_the_case_they_were_created_with(w):
    w.secrets.create_scope("LLM-Keys")
    with pytest.raises(ResourceAlreadyExists):
        w.secrets.create_scope("llm-keys")  # product docs: "Secret scope names are case insensitive."
    w.secrets.put_secret("llm-KEYS", "openai", string_value="sk-not-returned")
    assert [s.key for s in w.secrets.list_secrets("llm-keys")] == ["openai"]
    assert [s.name for s in w.secrets.list_scopes()] == ["LLM-Keys"]
    # Keys keep their case: no source says otherwise.
    w.secrets.put_secret("llm-keys", "OpenAI", string_value="sk-other")
    assert sorted(s.key for s in w.secrets.list_secrets("llm-keys")) == ["OpenAI", "openai"]
    # A deployment finds its secret whatever the case of the scope in the reference.
    entity = ServedEntityInput(
        name="gpt",
        external_model=ExternalModel(
            name="gpt-4o",
            provider=ExternalModelProvider.OPENAI,
            task="llm/v1/chat",
            openai_config=OpenAiConfig(openai_api_key="{{secrets/llm-keys/openai}}"),
        ),
    )
    w.serving_endpoints.create(name="chat", config=EndpointCoreConfigInput(name="chat", served_entities=[entity]))
    assert wait_ready(w, "chat").name == "chat"


def test_the_one_name_rule_admits_at_signs_and_refuses_what_a_reference_cannot_hold(w):
    w.secrets.create_scope("team@example.com")
    w.secrets.put_secret("team@example.com", "key@v2", string_value="v")
    assert [s.key for s in w.secrets.list_secrets("team@example.com")] == ["key@v2"]
    for scope in ("a/b", "a b", "x" * 129, "schlüssel"):
        with pytest.raises(InvalidParameterValue, match="scope"):
            w.secrets.create_scope(scope)
    with pytest.raises(InvalidParameterValue, match="key"):
        w.secrets.put_secret("team@example.com", "a/b", string_value="v")


def test_a_secret_value_over_128_kb_is_refused_and_nothing_is_stored(w):
    w.secrets.create_scope("big")
    with pytest.raises(InvalidParameterValue, match="128 KB"):
        w.secrets.put_secret("big", "blob", string_value="x" * (MAX_SECRET_VALUE_BYTES + 1))
    assert list(w.secrets.list_secrets("big")) == []
    w.secrets.put_secret("big", "blob", string_value="x" * MAX_SECRET_VALUE_BYTES)


def test_the_store_keeps_the_documented_counts():
    store = SecretStore()
    for index in range(MAX_SCOPES_PER_WORKSPACE):
        store.create_scope(f"s{index}", "me", None)
    with pytest.raises(ApiError) as error:
        store.create_scope("one-more", "me", None)
    assert error.value.error_code == "RESOURCE_LIMIT_EXCEEDED"
    for index in range(MAX_SECRETS_PER_SCOPE):
        store.put_secret("s0", f"k{index}", "v")
    store.put_secret("s0", "k0", "overwritten")  # an existing key is overwritten, not counted again
    with pytest.raises(ApiError) as error:
        store.put_secret("s0", "one-more", "v")
    assert error.value.error_code == "RESOURCE_LIMIT_EXCEEDED"
