"""External models behind the AI Gateway: OpenAI live, Anthropic idle and as the fallback, their keys
in a secret scope the stack declares (put the values with `databricks secrets put-secret`), and an app
that queries the endpoint.

`python examples/external_model.py` writes cdktf.out/stacks/dev/cdk.tf.json.
"""

from servingstack import (
    AiGateway,
    Anthropic,
    BaselinePack,
    ExternalModel,
    Guardrail,
    InferenceTable,
    OpenAI,
    RateLimit,
    SecretScope,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    blue_green,
    synthesize,
)


def build(app):
    stack = ServingStack(
        app,
        "dev",
        environment="dev",
        default_tags={"owner": "ml-platform", "cost-center": "cc-4711"},
        policy=[BaselinePack()],
    )
    keys = SecretScope(stack, "llm-keys", name="llm-keys")  # the scope dev-llm-keys
    keys.grant_manage(group="ml-platform")
    gateway = ServingEndpoint(
        stack,
        "gateway",
        name="llm-gateway",
        served_entities=[
            ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai"))),
            ExternalModel("claude-sonnet-4", Anthropic(api_key=keys.secret("anthropic"))),
        ],
        traffic=blue_green(live="gpt-4o", idle="claude-sonnet-4"),  # {"gpt-4o": 100, "claude-sonnet-4": 0}
        ai_gateway=AiGateway(
            rate_limits=[RateLimit(calls=1000), RateLimit.per_group("data-scientists", tokens=200_000)],
            usage_tracking=True,
            inference_table=InferenceTable("ml", "llm_gateway", table_prefix="gateway"),
            input_guardrail=Guardrail(safety=True, pii="BLOCK"),
            output_guardrail=Guardrail(pii="MASK"),
            fallback=True,  # a failed request is tried on the other entity
        ),
        tags={"data-classification": "internal"},
    )
    gateway.grant_query(group="data-scientists")
    ServingApp(stack, "bot", name="support-bot", query_endpoints={"llm": gateway})


if __name__ == "__main__":
    raise SystemExit(synthesize(build))
