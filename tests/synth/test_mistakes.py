"""Every user mistake in the props is one ValidationError with the construct path, the field and
the type that was expected, before any resource is built; never a crash deep inside."""

from __future__ import annotations

import inspect
import os

import pytest

import servingstack.model.entities as entities
from servingstack import (
    AiGateway,
    CustomModel,
    ExternalModel,
    FoundationModel,
    OpenAI,
    RateLimit,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    secret,
)

LLAMA = FoundationModel("system.ai.llama", "1")
KINDS = [
    name
    for name, value in vars(entities).items()
    if isinstance(value, type)
    and value.__module__ == entities.__name__
    and hasattr(value, "served_name")
    and name != "ServedEntity"
]


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


@pytest.mark.parametrize(
    "name, message",
    [
        (None, "dev/chat: name: expected str, got None"),
        (123, "dev/chat: name: expected str, got int 123"),
        ("", "dev/chat: name: is required, got an empty string"),
    ],
)
def test_a_name_that_is_not_a_string_is_refused(one_stack, name, message):
    assert str(endpoint_error(one_stack, name=name, served_entities=[LLAMA])) == message


def test_a_missing_name_is_required_not_dev_none(one_stack):
    error = endpoint_error(one_stack, served_entities=[LLAMA])
    assert str(error) == "dev/chat: name: is required"
    assert "None" not in str(error)


# Every served entity class, in the order entities.py defines them (more may come: the list is read from there).
SERVED = f"a served entity ({', '.join(KINDS)})".replace(f", {KINDS[-1]})", f" or {KINDS[-1]})")


@pytest.mark.parametrize(
    "served, message",
    [
        # The shape of the prop is checked first, by the construct ...
        ("system.ai.llama", f"served_entities: expected {SERVED}, a list or None, got str"),
        (FoundationModel, f"served_entities: expected {SERVED}, a list or None, got type"),
        # ... what is inside it by the rules, under the API's field names.
        (
            [{"entity_name": "system.ai.llama"}],
            f"config.served_entities[0]: dict is not a served entity: use {', '.join(KINDS[:-1])} or {KINDS[-1]}",
        ),
    ],
)
def test_served_entities_of_the_wrong_type(one_stack, served, message):
    assert KINDS[:3] == ["FoundationModel", "ProvisionedThroughput", "CustomModel"] and "ExternalModel" in KINDS
    error = endpoint_error(one_stack, name="chat", served_entities=served)
    assert str(error) == f"dev/chat: {message}"
    assert "to_api" not in str(error)


def test_an_ai_gateway_given_as_a_dict(one_stack):
    error = endpoint_error(one_stack, name="chat", served_entities=[LLAMA], ai_gateway={"usage_tracking": True})
    assert str(error) == "dev/chat: ai_gateway: must be an AiGateway"


@pytest.mark.parametrize(
    "tags, message",
    [
        ({7: "v"}, "tags: must be a mapping of string keys to string values"),
        ({"team": 7}, "tags[0].value: must be a string"),
    ],
)
def test_tags_of_the_wrong_type(one_stack, tags, message):
    error = endpoint_error(one_stack, name="chat", served_entities=[LLAMA], tags=tags)
    assert message in [str(p) for p in error.problems]


def test_the_name_and_the_entities_are_checked_first_and_together(one_stack):
    error = endpoint_error(one_stack, name=None, served_entities="system.ai.llama", ai_gateway={}, tags=None)
    assert [p.field for p in error.problems] == ["name", "served_entities"]  # the rules never saw `dev-None`
    assert str(error).startswith("dev/chat: 2 problems\n  - name: expected str, got None\n")


def test_a_misspelt_prop_suggests_the_close_match(one_stack):
    error = endpoint_error(one_stack, name="chat", served_entities=[LLAMA], ai_gatway=AiGateway())
    assert str(error) == "dev/chat: ai_gatway: is not an argument of ServingEndpoint; did you mean 'ai_gateway'?"


def test_a_misspelt_argument_of_a_value_type_names_the_class_the_file_and_line():
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(ValidationError) as error:
        CustomModel("ml.fraud.scorer", 3, wrokload_size="Medium")
    assert str(error.value) == (
        f"CustomModel ({os.path.relpath(__file__)}, line {line}): wrokload_size: "
        "is not an argument of CustomModel; did you mean 'workload_size'?"
    )
    assert error.value.problems[0].field == "wrokload_size"


def test_value_types_refuse_missing_arguments_and_leave_field_types_to_the_endpoint(one_stack):
    with pytest.raises(ValidationError, match=r"^CustomModel \(.*test_mistakes.py, line \d+\): version: is required$"):
        CustomModel("ml.fraud.scorer")
    gateway = AiGateway(rate_limits=[{"calls": 100}])  # made, then named with its construct path:
    error = endpoint_error(one_stack, name="chat", served_entities=[LLAMA], ai_gateway=gateway)
    assert str(error) == "dev/chat: ai_gateway.rate_limits[0]: must be a RateLimit"


def test_a_wrongly_typed_value_is_not_printed(one_stack):
    error = endpoint_error(
        one_stack,
        name="chat",
        served_entities=[
            CustomModel("ml.a.b", 1, environment_vars={"API_TOKEN": 1234567890, "OTHER": secret("s", "k")})
        ],
    )
    assert str(error) == "dev/chat: config.served_entities[0].environment_vars[API_TOKEN]: must be a string"
    assert "1234567890" not in str(error)


def test_value_types_that_are_right_still_work():
    model = ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "openai")))
    assert model.served_name() == "gpt-4o"
    assert AiGateway(rate_limits=(RateLimit(calls=1),)).to_api()["rate_limits"][0]["calls"] == 1


def test_unknown_and_mistyped_stack_props(synth):
    with pytest.raises(ValidationError) as error:
        synth(lambda app: ServingStack(app, "prod", enviroment="prod", default_tags=None, outputs="yes"))
    assert str(error.value) == (
        "prod: 2 problems\n"
        "  - enviroment: is not an argument of ServingStack; did you mean 'environment'?\n"
        "  - outputs: expected bool, got str"
    )


# ---- unique names --------------------------------------------------------------------------


def test_the_same_endpoint_name_twice_in_a_stack_names_both_paths(synth):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        ServingEndpoint(stack, "chat", name="chat", served_entities=[LLAMA])
        ServingEndpoint(stack, "chat2", name="chat", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value) == (
        "dev/chat2: name: 'dev-chat' is also the name of dev/chat: endpoint names are unique in a workspace"
    )


def test_two_stacks_with_the_same_prefix_on_one_workspace_collide(synth):
    def build(app):
        ServingEndpoint(ServingStack(app, "blue", name_prefix="prod-"), "chat", name="chat", served_entities=[LLAMA])
        ServingEndpoint(
            ServingStack(app, "green", name_prefix="prod-"), "assistant", name="chat", served_entities=[LLAMA]
        )

    with pytest.raises(ValidationError) as error:
        synth(build)
    message = str(error.value)
    assert message.startswith("green/assistant: name: 'prod-chat' is also the name of blue/chat")
    assert "stacks 'blue' and 'green' deploy to the same workspace" in message


def test_the_same_name_on_different_workspaces_or_prefixes_is_fine(synth):
    def build(app):
        for stack in (
            ServingStack(app, "a", name_prefix="x-", host="https://a.cloud.databricks.com"),
            ServingStack(app, "b", name_prefix="x-", host="https://b.cloud.databricks.com"),
            ServingStack(app, "c", environment="dev"),
        ):
            ServingEndpoint(stack, "chat", name="chat", served_entities=[LLAMA])

    docs = synth(build)
    assert sorted(docs) == ["a", "b", "c"]


# ---- construct ids -------------------------------------------------------------------------


def test_non_ascii_ids_are_refused_before_they_collapse_into_one_logical_id(synth):
    def build(app):
        ServingEndpoint(ServingStack(app, "dev", environment="dev"), "模型", name="a", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value).startswith("dev/模型: id: '模型' has no ASCII letter, digit, '-' or '_'")


def test_two_ids_that_collapse_into_one_logical_id_are_refused(synth):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev", outputs=False)
        ServingEndpoint(stack, "chat.bot", name="a", served_entities=[LLAMA])
        ServingEndpoint(stack, "模型chatbot", name="b", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value) == (
        "dev/模型chatbot: id: makes the logical id 'chatbot', as dev/chat.bot does: cdktf "
        "keeps only ASCII letters, digits, '-' and '_' of an id"
    )


def test_an_id_that_keeps_distinct_characters_works(synth, one_stack):
    with pytest.raises(
        ValidationError, match=r"^dev/模型-chat: id: '模型-chat' makes the logical id '-chat': Terraform"
    ):
        one_stack(lambda s: ServingEndpoint(s, "模型-chat", name="a", served_entities=[LLAMA]))
    doc = synth(
        lambda app: ServingEndpoint(
            ServingStack(app, "dev", environment="dev"), "模型_chat", name="a", served_entities=[LLAMA]
        )
    )["dev"]
    assert list(doc["resource"]["databricks_model_serving"]) == ["_chat"]


def test_ids_whose_outputs_would_collide_are_refused(synth):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        ServingEndpoint(stack, "chat-bot", name="a", served_entities=[LLAMA])
        ServingEndpoint(stack, "chat_bot", name="b", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    assert str(error.value).startswith(
        "dev/chat_bot: id: its outputs (chat_bot_name, ...) would have the same names as those of dev/chat-bot"
    )


@pytest.mark.parametrize("first", ["chat", "chat_name"])
def test_an_endpoint_id_that_is_another_endpoints_output_name_is_refused(synth, first):
    """Outputs are children of the stack, beside its endpoints: `chat` writes `chat_name`."""
    second = "chat_name" if first == "chat" else "chat"

    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        ServingEndpoint(stack, first, name="a", served_entities=[LLAMA])
        ServingEndpoint(stack, second, name="b", served_entities=[LLAMA])

    with pytest.raises(ValidationError) as error:
        synth(build)
    expected = (
        "dev/chat_name: id: 'chat_name' is the name of an output of dev/chat: use another id"
        if first == "chat"
        else "dev/chat: id: its output chat_name would have the id of dev/chat_name: "
        "use ids that are not one another's output names"
    )
    assert str(error.value).startswith(expected), str(error.value)

    def without_outputs(app):
        stack = ServingStack(app, "dev", environment="dev", outputs=False)
        ServingEndpoint(stack, first, name="a", served_entities=[LLAMA])
        ServingEndpoint(stack, second, name="b", served_entities=[LLAMA])

    assert sorted(synth(without_outputs)["dev"]["resource"]["databricks_model_serving"]) == ["chat", "chat_name"]


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

    with pytest.raises(ValidationError, match=r"^dev/机器人: id: '机器人' has no ASCII letter"):
        one_stack(fill)


def test_an_endpoint_made_elsewhere_with_a_name_of_the_wrong_type(one_stack):
    with pytest.raises(ValidationError) as error:
        one_stack(lambda s: ServingEndpoint.from_name(s, "shared", name=123, serving_endpoint_id="ab" * 16))
    assert str(error.value) == "dev/shared: name: expected str, got int 123"


def test_a_misspelt_secret_argument_never_prints_its_value():
    with pytest.raises(ValidationError) as error:
        OpenAI(api_kee="sk-live-0123456789abcdef")
    assert "sk-live" not in str(error.value)
    assert str(error.value).endswith("api_kee: is not an argument of OpenAI; did you mean 'api_key'?")


def test_a_custom_model_may_leave_its_workload_size_unset():
    model = CustomModel("ml.a.b", 1, workload_size=None, min_provisioned_concurrency=4, max_provisioned_concurrency=8)
    assert "workload_size" not in model.to_api()


def test_a_single_policy_pack_where_a_list_belongs(synth):
    from servingstack import BaselinePack

    with pytest.raises(ValidationError) as error:
        synth(lambda app: ServingStack(app, "dev", policy=BaselinePack()))
    assert str(error.value) == "dev: policy: expected a list of Pack or Rule, got BaselinePack"


def test_every_value_type_checks_its_arguments():
    """Each frozen dataclass of the public API is made through the type checks (`@typed` sits
    right above its `@dataclass`), so none of them can take a dict or a misspelt keyword silently."""
    import dataclasses

    import servingstack
    from servingstack.model.typecheck import _TYPED

    value_types = [
        getattr(servingstack, name)
        for name in servingstack.__all__
        if name in vars(servingstack)
        and dataclasses.is_dataclass(getattr(servingstack, name))
        and getattr(servingstack, name).__module__.rsplit(".", 1)[-1] in ("entities", "providers", "gateway", "spec")
    ]
    assert len(value_types) >= 19  # 4 entities, 9 providers, 4 gateway types, EmailNotifications, EndpointSpec
    assert [cls.__name__ for cls in value_types if cls not in _TYPED] == []
