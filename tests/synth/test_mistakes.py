"""Every user mistake in the props is one ValidationError with the construct path, the field and
the type that was expected, before any resource is built; never a crash deep inside."""
from __future__ import annotations

import inspect
import os

import pytest

import servingstack.entities as entities
from servingstack import (AiGateway, CustomModel, ExternalModel, FoundationModel, Guardrail, OpenAI, RateLimit,
                          ServingEndpoint, ServingStack, ValidationError, secret)

LLAMA = FoundationModel("system.ai.llama", "1")
KINDS = [name for name, value in vars(entities).items() if isinstance(value, type)
         and value.__module__ == entities.__name__ and hasattr(value, "served_name") and name != "ServedEntity"]


def endpoint_error(one_stack, **props) -> ValidationError:
    built = {}

    def fill(stack):
        built["stack"] = stack
        ServingEndpoint(stack, "chat", **props)

    with pytest.raises(ValidationError) as error:
        one_stack(fill)
    assert built["stack"].node.try_find_child("chat") is None  # nothing was built
    assert "Traceback" not in str(error.value)
    return error.value


@pytest.mark.parametrize("name, message", [
    (None, "dev/chat: name: expected str, got None"),
    (123, "dev/chat: name: expected str, got int 123"),
    ("", "dev/chat: name: is required, got an empty string"),
])
def test_a_name_that_is_not_a_string_is_refused(one_stack, name, message):
    assert str(endpoint_error(one_stack, name=name, served_entities=[LLAMA])) == message


def test_a_missing_name_is_required_not_dev_none(one_stack):
    error = endpoint_error(one_stack, served_entities=[LLAMA])
    assert str(error) == "dev/chat: name: is required"
    assert "None" not in str(error)


# Every served entity class, in the order entities.py defines them (more may come: the list is read from there).
SERVED = f"a served entity ({', '.join(KINDS[:-1])} or {KINDS[-1]})"


@pytest.mark.parametrize("served, message", [
    ([{"entity_name": "system.ai.llama"}], f"served_entities[0]: expected {SERVED}, got dict"),
    ("system.ai.llama", f"served_entities: expected {SERVED} or a list of served entities, got str"),
    (None, f"served_entities: expected {SERVED} or a list of served entities, got None"),
])
def test_served_entities_of_the_wrong_type(one_stack, served, message):
    assert KINDS[:3] == ["FoundationModel", "ProvisionedThroughput", "CustomModel"] and "ExternalModel" in KINDS
    error = endpoint_error(one_stack, name="chat", served_entities=served)
    assert str(error) == f"dev/chat: {message}"
    assert "to_api" not in str(error)


def test_an_ai_gateway_given_as_a_dict(one_stack):
    error = endpoint_error(one_stack, name="chat", served_entities=[LLAMA], ai_gateway={"usage_tracking": True})
    assert str(error) == "dev/chat: ai_gateway: expected AiGateway or None, got dict"


@pytest.mark.parametrize("tags, message", [
    ({7: "v"}, "tags: keys must be str, got int 7"),
    ({"team": 7}, "tags['team']: expected str, got int 7"),
    (None, "tags: expected a dict of str to str, got None"),
])
def test_tags_of_the_wrong_type(one_stack, tags, message):
    assert str(endpoint_error(one_stack, name="chat", served_entities=[LLAMA], tags=tags)) == f"dev/chat: {message}"


def test_every_type_problem_at_once(one_stack):
    error = endpoint_error(one_stack, name=None, served_entities=[{}], ai_gateway={}, tags=None)
    assert [p.field for p in error.problems] == ["name", "served_entities[0]", "ai_gateway", "tags"]
    assert str(error).startswith("dev/chat: 4 problems\n")


def test_a_misspelt_prop_suggests_the_close_match(one_stack):
    error = endpoint_error(one_stack, name="chat", served_entities=[LLAMA], ai_gatway=AiGateway())
    assert str(error) == "dev/chat: ai_gatway: is not an argument of ServingEndpoint; did you mean 'ai_gateway'?"


def test_a_misspelt_argument_of_a_value_type_names_the_class_the_file_and_line():
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(ValidationError) as error:
        CustomModel("ml.fraud.scorer", 3, wrokload_size="Medium")
    assert str(error.value) == (f"CustomModel ({os.path.relpath(__file__)}, line {line}): wrokload_size: "
                                "is not an argument of CustomModel; did you mean 'workload_size'?")
    assert error.value.problems[0].field == "wrokload_size"


def test_value_types_check_the_types_of_their_fields():
    with pytest.raises(ValidationError) as error:
        AiGateway(rate_limits=[{"calls": 100}], input_guardrail=Guardrail(pii="BLOCK"))
    assert [str(p) for p in error.value.problems] == ["rate_limits[0]: expected RateLimit, got dict"]
    with pytest.raises(ValidationError, match=r"invalid_keywords: expected a list of str, got str$"):
        Guardrail(invalid_keywords="password")
    with pytest.raises(ValidationError, match=r"calls: expected int or None, got str$"):
        RateLimit.per_group("data-scientists", calls="100")
    with pytest.raises(ValidationError, match=r"provider: expected an external provider \(OpenAI, .*\), got dict$"):
        ExternalModel("gpt-4o", {"api_key": "sk-not-printed"})
    with pytest.raises(ValidationError, match=r"version: is required$"):
        CustomModel("ml.fraud.scorer")


def test_a_type_error_never_prints_a_string_value():
    with pytest.raises(ValidationError) as error:
        CustomModel("ml.a.b", 1, environment_vars={"API_TOKEN": 12345, "OTHER": secret("s", "k")},
                    workload_type=["sk-live-very-secret"])
    assert "sk-live-very-secret" not in str(error.value)
    assert "environment_vars['API_TOKEN']: expected str or SecretRef, got int 12345" in str(error.value)


def test_value_types_that_are_right_still_work():
    model = ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))
    assert model.served_name() == "gpt-4o"
    assert AiGateway(rate_limits=(RateLimit(calls=1),)).to_api()["rate_limits"][0]["calls"] == 1


def test_unknown_and_mistyped_stack_props(synth):
    with pytest.raises(ValidationError) as error:
        synth(lambda app: ServingStack(app, "prod", enviroment="prod", default_tags=None, outputs="yes"))
    assert str(error.value) == ("prod: 2 problems\n"
                                "  - enviroment: is not an argument of ServingStack; did you mean 'environment'?\n"
                                "  - outputs: expected bool, got str")


# ---- unique names --------------------------------------------------------------------------

def test_the_same_endpoint_name_twice_in_a_stack_names_both_paths(synth):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        ServingEndpoint(stack, "chat", name="chat", served_entities=[LLAMA])
        ServingEndpoint(stack, "chat2", name="chat", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value) == ("dev/chat2: name: 'dev-chat' is also the name of dev/chat: "
                                "endpoint names are unique in a workspace")


def test_two_stacks_with_the_same_prefix_on_one_workspace_collide(synth):
    def build(app):
        ServingEndpoint(ServingStack(app, "blue", name_prefix="prod-"), "chat", name="chat", served_entities=[LLAMA])
        ServingEndpoint(ServingStack(app, "green", name_prefix="prod-"), "assistant", name="chat",
                        served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    message = str(error.value)
    assert message.startswith("green/assistant: name: 'prod-chat' is also the name of blue/chat")
    assert "stacks 'blue' and 'green' deploy to the same workspace" in message


def test_the_same_name_on_different_workspaces_or_prefixes_is_fine(synth):
    def build(app):
        for stack in (ServingStack(app, "a", name_prefix="x-", host="https://a.cloud.databricks.com"),
                      ServingStack(app, "b", name_prefix="x-", host="https://b.cloud.databricks.com"),
                      ServingStack(app, "c", environment="dev")):
            ServingEndpoint(stack, "chat", name="chat", served_entities=[LLAMA])

    docs = synth(build)
    assert sorted(docs) == ["a", "b", "c"]


# ---- construct ids -------------------------------------------------------------------------

def test_non_ascii_ids_are_refused_before_they_collapse_into_one_logical_id(synth):
    def build(app):
        ServingEndpoint(ServingStack(app, "dev", environment="dev"), "模型", name="a", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value).startswith("dev/模型: id: '模型' must be ASCII letters, digits, '-' and '_'")


def test_ids_whose_outputs_would_collide_are_refused(synth):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        ServingEndpoint(stack, "chat-bot", name="a", served_entities=[LLAMA])
        ServingEndpoint(stack, "chat_bot", name="b", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value).startswith("dev/chat_bot: id: its outputs (chat_bot_name, ...) would have the same "
                                       "names as those of dev/chat-bot")


def test_distinct_ascii_ids_keep_distinct_logical_ids(synth):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev", outputs=False)
        ServingEndpoint(stack, "chat-bot", name="a", served_entities=[LLAMA])
        ServingEndpoint(stack, "chat_bot", name="b", served_entities=[LLAMA])

    doc = synth(build)["dev"]
    assert sorted(doc["resource"]["databricks_model_serving"]) == ["chat-bot", "chat_bot"]


def test_an_app_id_that_cdktf_would_drop_is_refused(one_stack):
    from servingstack import ServingApp

    def fill(stack):
        chat = ServingEndpoint(stack, "chat", name="chat", served_entities=[LLAMA])
        ServingApp(stack, "机器人", name="support-bot", query_endpoints={"llm": chat})

    with pytest.raises(ValidationError, match=r"^dev/机器人: id: '机器人' must be ASCII letters"):
        one_stack(fill)


def test_an_existing_endpoint_with_a_name_of_the_wrong_type(one_stack):
    from servingstack import ExistingEndpoint

    with pytest.raises(ValidationError) as error:
        one_stack(lambda s: ExistingEndpoint(s, "shared", name=123, serving_endpoint_id="ab" * 16))
    assert str(error.value) == "dev/shared: name: expected str, got int 123"


def test_a_misspelt_secret_argument_never_prints_its_value():
    with pytest.raises(ValidationError) as error:
        OpenAI(api_kee="sk-live-0123456789abcdef")
    assert "sk-live" not in str(error.value)
    assert str(error.value).endswith("api_kee: is not an argument of OpenAI; did you mean 'api_key'?")


def test_a_custom_model_may_leave_its_workload_size_unset():
    model = CustomModel("ml.a.b", 1, workload_size=None, min_provisioned_concurrency=4,
                        max_provisioned_concurrency=8)
    assert "workload_size" not in model.to_api()


def test_a_single_policy_pack_where_a_list_belongs(synth):
    from servingstack import BaselinePack

    with pytest.raises(ValidationError) as error:
        synth(lambda app: ServingStack(app, "dev", policy=BaselinePack()))
    assert str(error.value) == "dev: policy: expected a list, got BaselinePack"


def test_every_value_type_checks_its_arguments():
    """Each frozen dataclass of the public API is made through the type checks (`@typed` sits
    right above its `@dataclass`), so none of them can take a dict or a misspelt keyword silently."""
    import dataclasses

    import servingstack
    from servingstack.typecheck import _TYPED

    value_types = [getattr(servingstack, name) for name in servingstack.__all__
                   if name in vars(servingstack) and dataclasses.is_dataclass(getattr(servingstack, name))
                   and getattr(servingstack, name).__module__.rsplit(".", 1)[-1] in
                   ("entities", "providers", "gateway", "spec")]
    assert len(value_types) >= 19  # 4 entities, 9 providers, 4 gateway types, EmailNotifications, EndpointSpec
    assert [cls.__name__ for cls in value_types if cls not in _TYPED] == []


def test_a_field_whose_type_does_not_resolve_is_left_unchecked_not_a_crash():
    import dataclasses
    import sys
    import types

    from servingstack.typecheck import typed

    module = types.ModuleType("servingstack_test_unresolved")
    sys.modules[module.__name__] = module
    try:
        @typed
        @dataclasses.dataclass(frozen=True)
        class Value:
            known: int
            unknown: OnlyForTypeCheckers = None  # noqa: F821 (a string: this file has postponed annotations)

        Value.__module__ = module.__name__
        assert Value(1, object()).known == 1
        with pytest.raises(ValidationError, match=r"known: expected int, got str$"):
            Value("1")
    finally:
        del sys.modules[module.__name__]
