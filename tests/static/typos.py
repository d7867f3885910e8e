"""Mistakes a type checker must catch before anything runs: each line ends with the message mypy
gives (`tests/static/test_static_types.py` checks that every one is reported, on its line)."""

from constructs import Construct

from servingstack import (
    AiGateway,
    CustomModel,
    ExternalModel,
    FoundationModel,
    OpenAI,
    ProvisionedThroughputEndpoint,
    RateLimit,
    SecretScope,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    secret,
)


def build(app: Construct) -> None:
    stack = ServingStack(app, "dev", enviroment="dev")  # expect: Unexpected keyword argument "enviroment"
    ServingEndpoint(stack, "x", nmae="y", served_entities=[])  # expect: Unexpected keyword argument "nmae"
    chat = ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.x", "1")])
    ServingEndpoint(stack, "t", name="t", served_entities=[], traffic="all")  # expect: Argument "traffic"
    CustomModel("ml.fraud.scorer", 1, wrokload_size="Small")  # expect: Unexpected keyword argument "wrokload_size"
    AiGateway(rate_limits=RateLimit(calls=10))  # expect: Argument "rate_limits"
    ExternalModel("gpt-4o", OpenAI(api_key=secret("llm", "k")), served_entity_name="x")  # expect: "served_entity_name"
    SecretScope(stack, "keys", name="keys").grant_read(usr="a@b.com")  # expect: Unexpected keyword argument "usr"
    ProvisionedThroughputEndpoint(stack, "pt", name="pt", served_entities=[], description="x")  # expect: "description"
    ServingApp(stack, "bot", name="bot", query_endpoint={"llm": chat})  # expect: argument "query_endpoint"
    chat.grant_query(grop="ml")  # expect: Unexpected keyword argument "grop"
