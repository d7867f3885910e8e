"""Secret scopes and keys held to the Secrets API's rules, and the names a workspace holds once
(endpoints, secret scopes, apps) unique across every stack of the app that deploys there: each
mistake one ValidationError naming the field and both construct paths, never a raw exception."""

from __future__ import annotations

import pytest

from servingstack import (
    ExternalModel,
    FoundationModel,
    OpenAI,
    SecretScope,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    secret,
)
from servingstack.facts.secrets import MAX_NAME_LENGTH

LLAMA = FoundationModel("system.ai.llama", "1")

# (name, accepted): the documented examples and the edges of the one rule (facts/secrets.py).
NAMES = [
    ("llm-keys", True),
    ("my_scope.v2", True),
    (
        "team@example.com",
        True,
    ),  # product docs "Secret scopes": "alphanumeric characters, dashes, underscores, @, and periods"
    ("A" * MAX_NAME_LENGTH, True),
    ("A" * (MAX_NAME_LENGTH + 1), False),
    ("", False),
    ("a/b", False),  # would split the {{secrets/<scope>/<key>}} reference
    ("a b", False),
    ("schlüssel", False),  # ASCII letters only
]


def chat(stack, id, key):
    return ServingEndpoint(stack, id, name=id, served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=key))])


@pytest.mark.parametrize(("name", "accepted"), NAMES)
def test_secret_and_scope_secret_share_one_rule_for_keys_and_scopes(one_stack, name, accepted):
    """The module-level `secret()` and `SecretScope.secret()` accept and refuse the same keys, and a
    scope name follows the same rule."""

    def outcome(make):
        try:
            return str(make())
        except ValidationError as error:
            assert not isinstance(error.__cause__, TypeError)
            return error

    results = {}

    def fill(stack):
        keys = SecretScope(stack, "keys", name="keys")
        results["secret"] = outcome(lambda: secret("keys", name))
        results["scope.secret"] = outcome(lambda: keys.secret(name))
        results["secret scope"] = outcome(lambda: secret(name, "key"))
        results["SecretScope"] = outcome(lambda: SecretScope(stack, "named", name=name))

    one_stack(fill, environment=None)
    assert {kind: not isinstance(result, ValidationError) for kind, result in results.items()} == dict.fromkeys(
        results, accepted
    )
    if accepted:
        assert results["secret"] == results["scope.secret"] == f"{{{{secrets/keys/{name}}}}}"
    else:
        assert "secret: " in str(results["scope.secret"]) and "key: " in str(results["secret"])
        assert "name: " in str(results["SecretScope"])


def test_two_scopes_differing_only_in_case_are_one_scope(one_stack):
    def fill(stack):
        SecretScope(stack, "a", name="LLM-keys")
        SecretScope(stack, "b", name="llm-keys")

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    assert str(error.value) == (
        "dev/b: name: scope 'dev-llm-keys' is already declared in this stack as 'dev-LLM-keys' "
        "(names ignore case), by dev/a"
    )


def test_a_declared_scope_is_prefixed_and_an_external_one_keeps_its_literal_name(one_stack):
    seen = {}

    def fill(stack):
        declared = SecretScope(stack, "keys", name="llm-keys")
        shared = SecretScope.from_name(stack, "shared", name="platform-keys", reason="the platform team owns it")
        seen["names"] = (declared.scope_name, shared.scope_name)
        chat(stack, "chat", shared.secret("openai"))

    doc = one_stack(fill)
    assert seen["names"] == ("dev-llm-keys", "platform-keys")
    assert [s["name"] for s in doc["resource"]["databricks_secret_scope"].values()] == ["dev-llm-keys"]


def test_a_scope_name_is_unique_in_its_workspace_across_the_stacks_of_the_app(synth):
    def build(app):
        for environment in ("dev", "prod"):
            stack = ServingStack(app, environment, environment=environment, name_prefix="")
            SecretScope(stack, "keys", name="LLM-keys" if environment == "prod" else "llm-keys")

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value) == (
        "prod/keys: name: 'LLM-keys' is also the name of dev/keys ('llm-keys': secret scope names ignore case): "
        "secret scope names are unique in a workspace: stacks 'dev' and 'prod' deploy to the same workspace "
        "(same host and profile); give one a different name_prefix, host or profile"
    )


def test_scopes_of_stacks_on_other_workspaces_or_with_other_prefixes_do_not_collide(synth):
    def build(app):
        for environment, host in (("dev", "https://dev.example.com"), ("prod", "https://prod.example.com")):
            stack = ServingStack(app, environment, name_prefix="", host=host)
            SecretScope(stack, "keys", name="llm-keys")
        for environment in ("test", "stage"):  # one workspace, two prefixes
            SecretScope(ServingStack(app, environment, environment=environment), "keys", name="llm-keys")
        # A scope one stack declares, another names as made elsewhere: that is no second scope.
        user = ServingStack(app, "user", name_prefix="", host="https://dev.example.com")
        SecretScope.from_name(user, "keys", name="llm-keys", reason="the dev stack declares it")

    stacks = synth(build)
    names = {
        name: [b["name"] for b in doc.get("resource", {}).get("databricks_secret_scope", {}).values()]
        for name, doc in stacks.items()
    }
    assert names == {
        "dev": ["llm-keys"],
        "prod": ["llm-keys"],
        "test": ["test-llm-keys"],
        "stage": ["stage-llm-keys"],
        "user": [],
    }


def test_an_app_takes_the_stack_prefix_and_its_name_is_unique_in_the_workspace(synth):
    def build(app):
        for environment in ("dev", "prod"):
            stack = ServingStack(app, environment, environment=environment)
            llm = ServingEndpoint(stack, "llm", name="llm", served_entities=[LLAMA])
            ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": llm})

    stacks = synth(build)
    assert [a["name"] for a in stacks["dev"]["resource"]["databricks_app"].values()] == ["dev-support-bot"]
    assert [a["name"] for a in stacks["prod"]["resource"]["databricks_app"].values()] == ["prod-support-bot"]

    def twice(app):
        for environment in ("dev", "prod"):
            stack = ServingStack(app, environment, name_prefix="")
            llm = ServingEndpoint(stack, "llm", name=f"{environment}-llm", served_entities=[LLAMA])
            ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": llm})

    with pytest.raises(ValidationError) as error:
        synth(twice)
    assert str(error.value).startswith(
        "prod/bot: name: 'support-bot' is also the name of dev/bot: app names are unique in a workspace: "
        "stacks 'dev' and 'prod' deploy to the same workspace"
    )


def test_a_prefix_an_app_name_cannot_hold_is_refused_naming_the_prefix(one_stack):
    def fill(stack):
        llm = ServingEndpoint(stack, "llm", name="llm", served_entities=[LLAMA])
        ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": llm})

    with pytest.raises(ValidationError) as error:
        one_stack(fill, environment=None, name_prefix="Dev_")
    assert str(error.value) == (
        "dev/bot: name: 'Dev_support-bot' may contain only lowercase letters, digits and '-': the stack's "
        "name_prefix 'Dev_' does not fit an app name; give the stack a name_prefix of lowercase letters, "
        "digits and '-'"
    )


# ---- principals whose names differ only in punctuation ----------------------------------------

DOTTED, UNDERSCORED = "a.b@x.com", "a_b@x_com"


def test_secret_acls_for_principals_differing_only_in_punctuation_are_two_resources(one_stack):
    def fill(stack):
        keys = SecretScope(stack, "keys", name="keys")
        keys.grant_read(user=UNDERSCORED).grant_manage(user=DOTTED)

    acls = one_stack(fill)["resource"]["databricks_secret_acl"]
    assert sorted((a["principal"], a["permission"]) for a in acls.values()) == [
        (DOTTED, "MANAGE"),
        (UNDERSCORED, "READ"),
    ]
    # Whichever is granted first, the ids are the same.
    ids = set(acls)

    def reversed_order(stack):
        keys = SecretScope(stack, "keys", name="keys")
        keys.grant_manage(user=DOTTED).grant_read(user=UNDERSCORED)

    assert set(one_stack(reversed_order)["resource"]["databricks_secret_acl"]) == ids


def test_endpoint_grants_for_principals_differing_only_in_punctuation_are_two_entries(one_stack):
    def fill(stack):
        ServingEndpoint(stack, "chat", name="chat", served_entities=[LLAMA]).grant_query(user=DOTTED).grant_view(
            user=UNDERSCORED
        )

    (permissions,) = one_stack(fill)["resource"]["databricks_permissions"].values()
    assert permissions["access_control"] == [
        {"permission_level": "CAN_QUERY", "user_name": DOTTED},
        {"permission_level": "CAN_VIEW", "user_name": UNDERSCORED},
    ]


def test_uc_grants_for_deployers_differing_only_in_punctuation_are_two_resources(synth):
    from servingstack import CustomModel

    def build(app):
        for environment, deployer in (("dev", "sp.deploy"), ("prod", "sp_deploy")):
            stack = ServingStack(app, environment, environment=environment, deployer=deployer)
            ServingEndpoint(stack, "fraud", name="fraud", served_entities=[CustomModel("ml.fraud.scorer", 3)])

    stacks = synth(build)
    for stack, principal in (("dev", "sp.deploy"), ("prod", "sp_deploy")):
        grants = stacks[stack]["resource"]["databricks_grant"]
        assert {(b["principal"], b.get("model")) for b in grants.values() if "model" in b} == {
            (principal, "ml.fraud.scorer")
        }
