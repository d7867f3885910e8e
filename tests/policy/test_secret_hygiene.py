"""No synthesized file, report, policy finding or error message carries a secret value."""

from __future__ import annotations

import pytest

from policy_support import GATEWAY, TAGS
from servingstack import (
    AmazonBedrock,
    BaselinePack,
    CustomModel,
    CustomProvider,
    EndpointSpec,
    ExternalModel,
    OpenAI,
    Plaintext,
    Policy,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    suppress,
    synthesize,
)
from servingstack.policy import scan_directory, scan_value

KEY = "sk-live-9f8e7d6c5b4a39281706abcd"  # shaped like a real OpenAI key
PASSWORD = "correct-horse-battery-staple"


def plaintext_chat(app, **props):
    stack = ServingStack(app, "dev", environment="dev", default_tags=TAGS)
    endpoint = ServingEndpoint(
        stack,
        "chat",
        name="chat",
        ai_gateway=GATEWAY,
        served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=Plaintext(KEY)))],
        **props,
    )
    Policy.apply(stack, BaselinePack())
    return endpoint


# ---- refused secrets: the messages name the field, never the value ---------------------------


@pytest.mark.synth
def test_a_plaintext_key_is_refused_and_the_message_has_no_value(tmp_path, capsys):
    assert synthesize(plaintext_chat, tmp_path / "cdktf.out") == 1
    out, err = capsys.readouterr()
    assert "dev/chat: config.served_entities[0].external_model.openai_config.openai_api_key_plaintext" in err
    assert "allow_plaintext_secrets=True" in err
    assert KEY not in out + err and not (tmp_path / "cdktf.out").exists()


@pytest.mark.synth
def test_an_opted_in_plaintext_key_still_fails_the_policy_and_no_message_has_its_value(tmp_path, capsys):
    assert synthesize(lambda app: plaintext_chat(app, allow_plaintext_secrets=True), tmp_path / "cdktf.out") == 1
    out, err = capsys.readouterr()
    assert (
        "SS5 dev/chat config.served_entities[0].external_model.openai_config.openai_api_key_plaintext: "
        "holds a secret in plaintext"
    ) in err
    assert KEY not in out + err

    from servingstack.cdk import engine as _cdk

    app = _cdk.App(outdir=str(tmp_path / "direct"))
    plaintext_chat(app, allow_plaintext_secrets=True)
    with pytest.raises(Exception) as failure:
        app.synth()  # the error annotations fail it for users who call app.synth() themselves
    assert "SS5" in str(failure.value) and KEY not in str(failure.value)
    assert KEY not in (tmp_path / "direct" / "stacks" / "dev" / "policy-findings.json").read_text()


@pytest.mark.parametrize(
    "entity, field",
    [
        (ExternalModel("gpt-4o", OpenAI(api_key=KEY)), "openai_config.openai_api_key"),
        (ExternalModel("gpt-4o", OpenAI(api_key=Plaintext(KEY))), "openai_config.openai_api_key_plaintext"),
        (
            ExternalModel(
                "claude",
                AmazonBedrock("us-east-1", "anthropic", access_key_id=PASSWORD, secret_access_key=Plaintext(KEY)),
            ),
            "amazon_bedrock_config.aws_access_key_id",
        ),
        (
            ExternalModel("own", CustomProvider("https://llm.example.com", api_key_header="x-key", api_key=KEY)),
            "custom_provider_config.api_key_auth.value",
        ),
        (
            CustomModel("ml.a.b", 1, environment_vars={"DB_PASSWORD": PASSWORD, "API_TOKEN": KEY}),
            "environment_vars[API_TOKEN]",
        ),  # the token-shaped value; a secret-looking name alone refuses nothing
    ],
)
def test_validation_errors_name_the_field_of_a_refused_secret_never_its_value(entity, field):
    with pytest.raises(ValidationError) as error:
        EndpointSpec(name="chat", served_entities=[entity]).validate("dev/chat")
    assert field in str(error.value)
    assert KEY not in str(error.value) and PASSWORD not in str(error.value)


# ---- the synthesized output --------------------------------------------------------------


@pytest.mark.synth
def test_no_file_the_example_synthesizes_carries_a_plaintext_secret_or_a_token(example):
    files = {str(p.relative_to(example)) for p in example.rglob("*") if p.is_file()}
    assert {"manifest.json", "stacks/prod/cdk.tf.json", "stacks/prod/policy-findings.json"} <= files
    assert scan_directory(example) == []


@pytest.mark.synth
def test_the_search_finds_a_plaintext_key_let_in_loudly_and_reports_where_not_what(tmp_path):
    def build(app):
        endpoint = plaintext_chat(app, allow_plaintext_secrets=True)
        suppress(endpoint, "SS5", reason="a throwaway key for a sandbox workspace")

    assert synthesize(build, tmp_path) == 0
    leaks = scan_directory(tmp_path)
    location = (
        "stacks/dev/cdk.tf.json:resource.databricks_model_serving.chat.config.served_entities[0]"
        ".external_model.openai_config.openai_api_key_plaintext"
    )
    assert location in {leak.location for leak in leaks}
    assert any(leak.location.startswith("stacks/dev/cdk.tf.json:") and "OpenAI" in leak.kind for leak in leaks)
    assert KEY not in " ".join(map(str, leaks))
    for clean in ("manifest.json", "stacks/dev/policy-findings.json"):
        assert KEY not in (tmp_path / clean).read_text()


def test_token_shapes_are_found_in_any_field_and_secret_references_are_not():
    document = {
        "description": "use dapi0123456789abcdef0123456789abcdef",
        "environment_vars": {
            "API_TOKEN": "{{secrets/scope/token}}",
            "DB_PASSWORD": "${var.db_password}",
            "LOG_LEVEL": "INFO",
        },
        "headers": ["Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345"],
    }
    assert [str(leak) for leak in scan_value(document)] == [
        "description: a string shaped like a Databricks token",
        "headers[0]: a string shaped like a bearer token",
    ]
